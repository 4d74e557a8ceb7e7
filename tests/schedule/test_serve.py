"""`chiso serve` against a real Prefect server on loopback: the deployment is registered
with the asked schedule and parameters, a triggered run starts warm, completes and publishes,
and the processes (the forkserver among them) go away cleanly. Without an explicit plan and
inbox, or with a bad cron, it refuses to start."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb
import httpx
import pytest

from tests.conftest import PLAN, SAMPLE

pytestmark = pytest.mark.real_process  # starts chiso or Prefect processes (make test-fast skips)

BIN = Path(sys.executable).parent
CHISO, PREFECT = str(BIN / "chiso"), str(BIN / "prefect")
RUN_TIMEOUT = 180  # seconds for a triggered run to complete (it takes ~20 s here)


def _env(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment without its Prefect settings, plus a private Prefect home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CHISO_"))}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        GX_ANALYTICS_ENABLED="false",
        PREFECT_UI_ENABLED="false",
        **extra,
    )
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(log: Path, lines: int = 40) -> str:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop_group(proc: subprocess.Popen, sig: signal.Signals, grace: float) -> bool:
    """Signal the whole process group; SIGKILL it after `grace` seconds. True if it ended
    on `sig` alone."""
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        proc.poll()  # reap the leader so a zombie does not count as alive
        if not _group_alive(proc.pid):
            return True
        time.sleep(0.2)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    return False


def _processes_with(marker: str) -> list[int]:
    """Our processes whose environment mentions `marker` (a test's private temp folder):
    catches children that left their parent's process group, such as flow-run processes."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with suppress(OSError):
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
    return found


@contextmanager
def _client(api_url: str) -> Iterator:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as c:
        yield c


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory) -> Iterator[str]:
    """A real `prefect server start` on a free loopback port, in its own process group."""
    home = tmp_path_factory.mktemp("prefect-server")
    log = home / "server.log"
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=_env(home),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 90
            while True:
                assert proc.poll() is None, f"prefect server exited:\n{_tail(log)}"
                with suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                assert time.monotonic() < deadline, f"server not healthy in 90 s:\n{_tail(log)}"
                time.sleep(0.5)
            yield url
        finally:
            _stop_group(proc, signal.SIGTERM, grace=30)
            leftovers = _processes_with(str(home))
            for pid in leftovers:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            assert not leftovers, f"processes left behind by the server: {leftovers}"


@pytest.mark.real_server
def test_serve_registers_the_schedule_and_a_triggered_run_completes(prefect_api, tmp_path):
    from prefect.exceptions import ObjectNotFound

    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE, inbox)
    db = tmp_path / "published" / "chiso.duckdb"
    home = tmp_path / "prefect-serve"
    log = tmp_path / "serve.log"
    timing_dir = tmp_path / "timing"
    env = _env(home, PREFECT_API_URL=prefect_api, PREFECT_RUNNER_POLL_FREQUENCY="2",
               CHISO_TIMING_DIR=str(timing_dir))

    started = time.monotonic()
    with log.open("wb") as out:
        # Run from an unrelated folder: the deployment must not depend on the working folder.
        serve = subprocess.Popen(
            [CHISO, "serve", "--plan", str(PLAN), "--inbox", str(inbox), "--db", str(db)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    graceful = False
    try:
        with _client(prefect_api) as client:
            deadline = time.monotonic() + 60
            while True:
                assert serve.poll() is None, f"chiso serve exited:\n{_tail(log)}"
                with suppress(ObjectNotFound):
                    deployment = client.read_deployment_by_name("nightly/nightly")
                    break
                assert time.monotonic() < deadline, f"no deployment after 60 s:\n{_tail(log)}"
                time.sleep(0.5)

            assert deployment.parameters == {
                "inbox": str(inbox.resolve()),
                "plan": str(PLAN.resolve()),
                "db": str(db.resolve()),
            }
            assert not deployment.paused
            assert deployment.entrypoint == "flows.nightly.nightly"
            [schedule] = deployment.schedules
            assert schedule.active
            assert schedule.schedule.cron == "0 1 * * *"
            assert schedule.schedule.timezone == "Asia/Ho_Chi_Minh"

            run = client.create_flow_run_from_deployment(deployment.id)
            deadline = time.monotonic() + RUN_TIMEOUT
            while True:
                state = client.read_flow_run(run.id).state
                if state is not None and state.is_final():
                    break
                assert serve.poll() is None, f"chiso serve exited:\n{_tail(log)}"
                assert time.monotonic() < deadline, (
                    f"run not finished in {RUN_TIMEOUT} s (state {state and state.name}):"
                    f"\n{_tail(log)}"
                )
                time.sleep(1)
            assert state.is_completed(), f"run ended {state.name}: {state.message}\n{_tail(log)}"
        # The run was forked from serve's warm forkserver (serving/warm_start.py); it leaves its
        # phase times last, after its final state.
        report_path = timing_dir / f"{run.id}.json"
        deadline = time.monotonic() + 30
        while not report_path.exists():
            assert time.monotonic() < deadline, f"no timing report:\n{_tail(log)}"
            time.sleep(0.2)
        report = json.loads(report_path.read_text(encoding="utf-8"))
        assert report["state"] == "Completed"
        assert report["started_warm"] is True, _tail(log)
        assert report["timing"]["data_s"] > 0
        chiso_log = next(db.parent.joinpath("logs").glob("chiso-*.log"))
        assert "served runs start warm" in chiso_log.read_text(encoding="utf-8")
        # A forked run exits without atexit handlers: its logs still reach the server, the
        # engine's last line among them (Prefect drains them from threading's exit hooks).
        from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

        with _client(prefect_api) as client:
            deadline = time.monotonic() + 30
            while True:
                entries = client.read_logs(
                    LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])))
                messages = [entry.message for entry in entries]
                # the flow's own last line (task runs print the same words, with their id)
                if any("Finished in state Completed" in e.message and e.task_run_id is None
                       for e in entries):
                    break
                assert time.monotonic() < deadline, f"run's last logs not on the server: {messages}"
                time.sleep(0.5)
        assert any(m.startswith("criterion_gaps: ") for m in messages), messages
        print(f"deployment registered and run completed in {time.monotonic() - started:.1f} s")

        with duckdb.connect(str(db), read_only=True) as con:
            assert con.execute("select count(*) from criterion_gaps").fetchone()[0] > 0
    finally:
        # serve first (it pauses its schedule on SIGTERM, which needs the server), then the
        # server in the fixture.
        graceful = _stop_group(serve, signal.SIGTERM, grace=30)
        leftovers = _processes_with(str(home))
        for pid in leftovers:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert graceful, f"chiso serve needed SIGKILL after SIGTERM:\n{_tail(log)}"
    assert serve.returncode == 0, f"chiso serve exited {serve.returncode}:\n{_tail(log)}"
    assert not leftovers, f"processes left behind by chiso serve: {leftovers}"


def _chiso(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHISO, *args],
        env=_env(Path(os.environ["PREFECT_HOME"]), **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_serve_refuses_without_explicit_plan_and_inbox(tmp_path):
    # The environment variables are stripped too: the sample defaults must not be used.
    done = _chiso("serve")
    assert done.returncode == 2
    assert "không khởi động khi thiếu --plan (hoặc CHISO_PLAN) và --inbox" in done.stderr
    assert "make demo" in done.stderr

    done = _chiso("serve", "--plan", str(PLAN))
    assert done.returncode == 2
    assert "thiếu --inbox (hoặc CHISO_INBOX)" in done.stderr


def test_serve_takes_plan_and_inbox_from_the_environment_and_refuses_a_bad_cron():
    done = _chiso("serve", CHISO_PLAN=str(PLAN), CHISO_INBOX=str(SAMPLE), CHISO_CRON="0 25 * * *")
    assert done.returncode == 2
    assert "cron '0 25 * * *' không hợp lệ" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"--cron": "every night"}, "cron 'every night': cần năm trường"),
        ({"--timezone": "Asia/Hanoi"}, "timezone 'Asia/Hanoi' không phải tên múi giờ IANA"),
        ({"--inbox": "/nonexistent/inbox"}, "inbox /nonexistent/inbox: không phải thư mục"),
        ({"--plan": "/nonexistent/plan.yaml"}, "/nonexistent/plan.yaml: không tìm thấy tệp"),
    ],
    ids=["cron", "timezone", "inbox", "plan"],
)
def test_serve_refuses_bad_settings_before_prefect_starts(monkeypatch, capsys, args, message):
    from flows.cli import main

    for name in ("CHISO_PLAN", "CHISO_INBOX", "CHISO_CRON", "CHISO_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    given = {"--plan": str(PLAN), "--inbox": str(SAMPLE)} | args
    assert main(["serve", *(x for kv in given.items() for x in kv)]) == 2
    assert message in capsys.readouterr().err


def test_serve_refuses_without_a_prefect_server():
    done = _chiso("serve", "--plan", str(PLAN), "--inbox", str(SAMPLE))
    assert done.returncode == 2
    assert "chưa có máy chủ Prefect" in done.stderr
    assert "PREFECT_API_URL=http://127.0.0.1:4200/api" in done.stderr


@pytest.mark.parametrize(("switch", "calls"), [(None, ["warm", "serve"]), ("1", ["warm", "serve"]),
                                               ("0", ["serve"])])
def test_serve_starts_runs_warm_unless_switched_off(monkeypatch, tmp_path, switch, calls):
    """Warm starts are on unless CHISO_WARM_STARTS=0 (then Prefect starts each run itself)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.nightly import nightly
    from flows.serving import schedule, warm_start

    made: list[str] = []
    monkeypatch.setattr(warm_start, "enable", lambda: made.append("warm"))
    monkeypatch.setattr(schedule, "check_server", lambda url: None)
    monkeypatch.setattr(type(nightly), "serve", lambda self, **kwargs: made.append("serve"))
    if switch is None:
        monkeypatch.delenv(warm_start.SWITCH, raising=False)
    else:
        monkeypatch.setenv(warm_start.SWITCH, switch)
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        schedule.serve(SAMPLE, PLAN, tmp_path / "chiso.duckdb")
    assert made == calls
