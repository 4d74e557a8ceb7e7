"""`chiso bench --province`: a nightly province run, on the generated province of
`chiso gen --scale province-plans` (15 department and 100 commune plans, one unit each), timed
in the same sitting as the floor:

  floor        DuckDB alone reading the province inbox's extracts once (bench/run.py, floor)
  in process   `chiso run --province` with the plans one after another in its own process
  1 worker     the same with `--workers 1`: each plan a deployment run on one process worker
  2 workers    the same on two process workers (work pool concurrency 2)

Every run reports to a Prefect server the benchmark starts on loopback, as a served province
would. Results: the seconds of each and their ratio to the floor (never an absolute threshold),
per plan, and the speed-up of two workers over one. `--plans N` takes the first N units only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.generate import generate_province
from bench.run import ROOT, _stop_group, floor, machine, prefect_server

WORKER_QUERY_SECONDS = "1"  # how often an idle worker asks the server for a run


def _province_run(folder: Path, out: Path, env: dict[str, str], workers: int) -> dict[str, Any]:
    shutil.rmtree(out, ignore_errors=True)
    args = [sys.executable, "-m", "flows.cli", "run", "--province", str(folder), "--out",
            str(out)] + (["--workers", str(workers)] if workers else [])
    start = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 3):
        raise RuntimeError(f"province run failed ({done.returncode}): {done.stdout[-2000:]}"
                           f"{done.stderr[-2000:]}")
    return {"seconds": seconds, "exit": done.returncode}


def _workers(n: int, env: dict[str, str], work: Path) -> list[subprocess.Popen]:
    procs = []
    for i in range(1, n + 1):
        log = (work / f"worker-{n}-{i}.log").open("wb")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "prefect", "worker", "start", "--pool", "chiso-plans",
             "--type", "process", "--name", f"bench-{n}-{i}"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True))
    return procs


def province_bench(work: Path, plans: int | None = None, seed: int = 2024) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    folder = work / "province"
    manifest = generate_province(folder, seed, plans)
    the_floor = floor(folder / "inbox")
    runs: dict[str, Any] = {}
    with prefect_server(work) as url:
        env = {**os.environ, "PREFECT_API_URL": url,
               "PREFECT_WORKER_QUERY_SECONDS": WORKER_QUERY_SECONDS}
        runs["in_process"] = _province_run(folder, work / "out-0", env, 0)
        for n in (1, 2):
            procs = _workers(n, env, work)
            try:
                runs[f"workers_{n}"] = _province_run(folder, work / f"out-{n}", env, n)
            finally:
                for p in procs:
                    _stop_group(p, grace_s=30)
    for r in runs.values():
        r["over_floor"] = r["seconds"] / the_floor["seconds"]
        r["per_plan_s"] = r["seconds"] / manifest["plans"]
    return {
        "plans": manifest["plans"], "floor": the_floor, "runs": runs,
        "two_workers_speedup": runs["workers_1"]["seconds"] / runs["workers_2"]["seconds"],
        "machine": machine(), "rows": manifest["rows"],
    }


def render(result: dict[str, Any]) -> str:
    floor_s = result["floor"]["seconds"]
    lines = [f"province run, {result['plans']} plans (one unit each), one sitting:",
             f"  floor (DuckDB reads the province inbox once): {floor_s:.2f} s"]
    for name, label in (("in_process", "in process, one after another"),
                        ("workers_1", "1 process worker"), ("workers_2", "2 process workers")):
        r = result["runs"][name]
        lines.append(f"  {label:32s} {r['seconds']:7.1f} s = {r['over_floor']:6.0f} x floor,"
                     f" {r['per_plan_s']:.2f} s a plan")
    lines.append(f"  two workers over one: {result['two_workers_speedup']:.2f} x faster")
    return "\n".join(lines)


def main(work: Path, plans: int | None, out_json: Path | None) -> int:
    result = province_bench(work, plans)
    (out_json or work / "bench-province.json").write_text(
        json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(render(result))
    return 0
