"""`chiso bench --cli`: how fast the commands a person types answer, median of 5 each.

Measured as whole processes from the outside (wall clock, start to exit), on the bundled
sample, beside Python's own start-up:

  python          `python -c pass`: what any command pays before its first line
  help            `chiso --help`
  check           `chiso check` of one small CSV (the sample's PAR extract)
  run (own)       `chiso run` with no server: Prefect's temporary server, imports, the run;
                  on a fresh database (new extracts) and again with nothing new
  run (server)    `chiso run` with `chiso server start` up: the run in the warm process

With `--before REV` the same commands are timed, in the same sitting, on another revision of
chiso (a git worktree of REV in a temporary folder, run with this environment's packages), so
before and after are compared within one run of the benchmark.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
REPEATS = 5
TARGETS_S = {"help": 0.5, "check": 1.5, "run_server_full": 5.0, "run_server_unchanged": 3.0}


def _timed(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=600)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):  # `chiso check` answers 1 for a file it would refuse
        raise RuntimeError(f"{' '.join(args)} exited {done.returncode}: {done.stderr[-500:]}")
    return elapsed


def _median(times: list[float]) -> dict[str, Any]:
    return {"median_s": round(statistics.median(times), 3),
            "runs_s": [round(t, 3) for t in times]}


def measure(src: Path, work: Path, env: dict[str, str], server: bool,
            repeats: int = REPEATS) -> dict[str, Any]:
    """Every command, `repeats` times, on the chiso found in `src`."""
    chiso = [sys.executable, "-m", "flows.cli"]
    env = {**env, "PYTHONPATH": str(src)}
    inbox = work / "inbox"
    shutil.copytree(SAMPLE, inbox, dirs_exist_ok=True)
    out: dict[str, Any] = {}
    out["python"] = _median([_timed([sys.executable, "-c", "pass"], src, env)
                             for _ in range(repeats)])
    out["help"] = _median([_timed([*chiso, "--help"], src, env) for _ in range(repeats)])
    out["check"] = _median([_timed([*chiso, "check", str(inbox / "par_index_stttt.csv")], src,
                                   env) for _ in range(repeats)])
    own = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
    own["CHISO_VAR"] = str(work / "no-server")  # no warm server there
    full, unchanged = [], []
    for i in range(repeats):
        db = work / f"own-{i}" / "chiso.duckdb"
        db.parent.mkdir(parents=True, exist_ok=True)
        run = [*chiso, "run", "--inbox", str(inbox), "--db", str(db)]
        full.append(_timed(run, src, own))
        unchanged.append(_timed(run, src, own))
    out["run_own_full"], out["run_own_unchanged"] = _median(full), _median(unchanged)
    if server:
        full, unchanged = [], []
        for i in range(repeats):
            db = work / f"served-{i}" / "chiso.duckdb"
            db.parent.mkdir(parents=True, exist_ok=True)
            run = [*chiso, "run", "--inbox", str(inbox), "--db", str(db)]
            full.append(_timed(run, src, env))
            unchanged.append(_timed(run, src, env))
        out["run_server_full"], out["run_server_unchanged"] = _median(full), _median(unchanged)
    return out


def run_cli_bench(work: Path, before: str | None = None, repeats: int = REPEATS) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    var = work / "var"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update({"CHISO_VAR": str(var), "PREFECT_HOME": str(var / "prefect"),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"})
    chiso = [sys.executable, "-m", "flows.cli"]
    result: dict[str, Any] = {"repeats": repeats, "targets_s": TARGETS_S}
    started = subprocess.run([*chiso, "server", "start", "--port", "0"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    if started.returncode != 0:
        raise RuntimeError(f"chiso server start failed: {started.stderr}")
    try:
        result["after"] = measure(ROOT, work / "after", env, server=True, repeats=repeats)
        if before:
            tree = Path(tempfile.mkdtemp(prefix="chiso-before-"))
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), before], cwd=ROOT,
                           check=True, capture_output=True)
            try:
                rev = subprocess.run(["git", "rev-parse", "--short", before], cwd=ROOT,
                                     capture_output=True, text=True, check=True).stdout.strip()
                result["before_rev"] = rev
                result["before"] = measure(tree, work / "before", env, server=False,
                                           repeats=repeats)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                               capture_output=True)
    finally:
        subprocess.run([*chiso, "server", "stop"], cwd=ROOT, env=env, capture_output=True,
                       timeout=120)
    return result


def _s(x: float) -> str:
    return f"{x:.2f} s".replace(".", ",")


def render(result: dict[str, Any]) -> str:
    after, before = result["after"], result.get("before", {})
    rows = [("python", "Python khởi động (`python -c pass`)"), ("help", "chiso --help"),
            ("check", "chiso check một tệp nhỏ"),
            ("run_own_full", "chiso run, không có máy chủ, tệp mới"),
            ("run_own_unchanged", "chiso run, không có máy chủ, không có gì mới"),
            ("run_server_full", "chiso run, có `chiso server start`, tệp mới"),
            ("run_server_unchanged", "chiso run, có máy chủ, không có gì mới")]
    lines = [f"Trung vị của {result['repeats']} lần, cả tiến trình (từ lúc gõ lệnh đến khi thoát)"
             + (f"; trước: {result['before_rev']}" if before else "") + ":"]
    for key, label in rows:
        now = _s(after[key]["median_s"]) if key in after else "–"
        then = _s(before[key]["median_s"]) if key in before else "–"
        target = result["targets_s"].get(key)
        goal = f" (mục tiêu ≤ {_s(target)})" if target else ""
        lines.append(f"  {label}: {now}" + (f" (trước: {then})" if before else "") + goal)
    return "\n".join(lines)


def main(work: Path, before: str | None, out: Path | None) -> int:
    result = run_cli_bench(work, before)
    path = out or work / "bench-cli.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(render(result))
    print(f"\n{path}")
    return 0
