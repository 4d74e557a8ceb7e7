"""`chiso server start | stop | status`: a Prefect server on loopback and a warm process beside
it, so that `chiso run` answers in seconds instead of paying Prefect's temporary server and
the imports of Prefect and Great Expectations every time.

The warm process imports the flow, Great Expectations and pandas once, then waits on a Unix
socket (`<var>/server/chiso.sock`). A `chiso run` that finds it sends its arguments, working
folder and environment, and its own standard input, output and error (the descriptors
themselves, over the socket), and waits. The warm process forks a child for it, as `chiso
serve` forks each served run from a warm forkserver: the child takes the caller's descriptors
(so progress lines see the caller's terminal), runs the command against the Prefect server,
and sends back its exit code. The warm process stays single-threaded, which is what makes the
fork safe. Without a server, `chiso run` runs in its own process as before.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from flows.paths import var_dir

# Keep the Prefect server's own settings and the address of its API in every warm child,
# whatever the caller's environment says.
KEPT_ENV = ("PREFECT_API_URL", "PREFECT_HOME", "PREFECT_SERVER_ANALYTICS_ENABLED",
            "DO_NOT_TRACK", "GX_ANALYTICS_ENABLED")
PRELOAD = ("flows.nightly", "great_expectations", "pandas")
WARM_COMMAND = "__warm__"  # `python -m flows.cli __warm__ SOCKET`: the warm process
DEFAULT_PORT = 4200
READY_TIMEOUT_S = 120.0


CODE_DIR = Path(__file__).resolve().parent.parent  # the flows package


def code_fingerprint() -> str:
    """chiso's Python files, names and bytes: the code a warm process imported when it started."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(CODE_DIR.rglob("*.py")):
        digest.update(str(path.relative_to(CODE_DIR)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def folder() -> Path:
    return var_dir() / "server"


def socket_path() -> Path:
    return folder() / "chiso.sock"


def state_path() -> Path:
    return folder() / "server.json"


def read_state() -> dict | None:
    try:
        return json.loads(state_path().read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


def _ping(path: Path, timeout: float = 2.0) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(path))
            s.sendall(b'{"ping": true}\n')
            return s.recv(64).startswith(b'{"pong"')
    except OSError:
        return False


def _free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise OSError("no free port on 127.0.0.1")


def _prefect_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    env["PREFECT_HOME"] = str(var_dir() / "prefect")
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("DO_NOT_TRACK", "1")
    env.setdefault("GX_ANALYTICS_ENABLED", "false")
    return env


def status() -> dict | None:
    """The running server's state (its pids, address, since when), or None."""
    state = read_state()
    if not state:
        return None
    state["prefect_alive"] = _alive(state.get("prefect_pid")) and _healthy(state["api_url"])
    state["warm_alive"] = _alive(state.get("warm_pid")) and _ping(Path(state["socket"]))
    return state


def start(port: int = DEFAULT_PORT) -> dict:
    """Start the Prefect server and the warm process (both in new sessions, logging under
    <var>/logs), wait until both answer, and record them in <var>/server/server.json."""
    current = status()
    if current and current["prefect_alive"] and current["warm_alive"]:
        current["already"] = True
        return current
    if current:
        stop()
    folder().mkdir(parents=True, exist_ok=True)
    logs = var_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = _prefect_env()
    port = _free_port(port)
    api_url = f"http://127.0.0.1:{port}/api"
    prefect = Path(sys.executable).with_name("prefect")
    with open(logs / "prefect-server.log", "ab") as out:
        server = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not _healthy(api_url):
        if server.poll() is not None or time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            raise RuntimeError(f"Prefect server did not start (see {logs / 'prefect-server.log'})")
        time.sleep(0.2)
    sock = socket_path()
    sock.unlink(missing_ok=True)
    code = code_fingerprint()  # before the warm process imports it
    with open(logs / "chiso-server.log", "ab") as out:
        warm = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", WARM_COMMAND, str(sock)],
            env={**env, "PREFECT_API_URL": api_url}, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
    while not _ping(sock):
        if warm.poll() is not None or time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
                os.killpg(warm.pid, signal.SIGTERM)
            raise RuntimeError(f"the warm process did not start (see {logs / 'chiso-server.log'})")
        time.sleep(0.1)
    state = {
        "code": code, "prefect_pid": server.pid, "warm_pid": warm.pid, "port": port,
        "api_url": api_url,
        "socket": str(sock), "started_at": dt.datetime.now().astimezone().isoformat(),
        "prefect_home": env["PREFECT_HOME"], "logs": str(logs),
    }
    partial = state_path().with_suffix(".part")
    partial.write_text(json.dumps(state, indent=2), encoding="utf-8")
    os.replace(partial, state_path())
    return {**state, "prefect_alive": True, "warm_alive": True, "already": False}


def stop(timeout: float = 30.0) -> bool:
    """Stop both processes (their whole sessions); True when something was running."""
    state = read_state()
    if not state:
        return False
    pids = [p for p in (state.get("warm_pid"), state.get("prefect_pid")) if _alive(p)]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
    Path(state.get("socket") or socket_path()).unlink(missing_ok=True)
    state_path().unlink(missing_ok=True)
    return bool(pids)


# --- the client side: `chiso run` hands itself to the warm process --------------------------

def run_remote(argv: list[str]) -> int | None:
    """Run `chiso <argv>` in the warm process, with this process's terminal; its exit code,
    or None when no warm process answers (the caller then runs the command itself)."""
    path = socket_path()
    if not path.exists():
        return None
    state = read_state() or {}
    if state.get("code") != code_fingerprint():
        # chiso was upgraded under a running server: its warm process holds the old code
        from flows import console

        console.say("Máy chủ chiso đang giữ mã cũ (chiso đã được cập nhật từ khi khởi động):"
                    " lượt này chạy riêng. Khởi động lại: chiso server stop && chiso server start")
        return None
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(str(path))
    except OSError:
        s.close()
        return None
    request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}
    child: list[int] = []

    def forward(signum, frame):  # Ctrl-C reaches the run, which stops as it would at home
        if child:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child[0], signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        socket.send_fds(s, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
        reader = s.makefile("rb")
        for line in reader:
            message = json.loads(line)
            if "pid" in message:
                child.append(message["pid"])
            elif "exit" in message:
                return int(message["exit"])
        return 70  # the warm child died without an answer (EX_SOFTWARE)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        s.close()


# --- the warm process -----------------------------------------------------------------------

def _reap() -> None:
    with contextlib.suppress(ChildProcessError):
        while True:
            pid, _ = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                return


def _serve_one(conn: socket.socket, entry: Callable[..., int]) -> None:
    """In a forked child: become the caller's command, answer its exit code, exit."""
    code = 70
    try:
        data, fds, _, _ = socket.recv_fds(conn, 1 << 22, 3)
        buffer = data
        while not buffer.endswith(b"\n"):
            more = conn.recv(1 << 20)
            if not more:
                break
            buffer += more
        request = json.loads(buffer)
        if request.get("ping"):
            conn.sendall(b'{"pong": true}\n')
            code = 0
            return
        conn.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
        for target, fd in zip((0, 1, 2), fds, strict=False):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        kept = {k: os.environ[k] for k in KEPT_ENV if k in os.environ}
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ.update(kept)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            code = entry(request["argv"], warm=True)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
        except KeyboardInterrupt:
            code = 130
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        with contextlib.suppress(OSError):
            conn.sendall(json.dumps({"exit": code}).encode() + b"\n")
    finally:
        # what a process does at exit (Prefect sends its last log lines), then leave without
        # running the warm process's own code below the fork
        with contextlib.suppress(Exception):
            atexit._run_exitfuncs()
        os._exit(code)


def warm_main(sock_path: str, entry: Callable[..., int]) -> int:
    """The warm process: import once, then fork a child per request, which runs `entry` (the
    command line's main) with the caller's arguments."""
    import importlib
    import logging

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    for name in PRELOAD:
        importlib.import_module(name)
    path = Path(sock_path)
    path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    os.chmod(path, 0o600)
    listener.listen(16)
    listener.settimeout(1.0)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    logging.getLogger("chiso.server").info(
        "warm process %d ready on %s (imported %s)", os.getpid(), path, ", ".join(PRELOAD))
    try:
        while not stopping:
            _reap()
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except InterruptedError:
                continue
            pid = os.fork()
            if pid == 0:
                listener.close()
                _serve_one(conn, entry)
            conn.close()
    finally:
        listener.close()
        path.unlink(missing_ok=True)
    return 0
