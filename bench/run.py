"""`chiso bench`: the nightly run measured against the floor, on generated extracts.

  floor       DuckDB alone reading every extract once with every column parsed
              (select count(*), count(col_1), ..., count(col_n) from read_csv(file));
  least work  what no design of the run can skip: the passes over each SIPAS answers file
              that the rates, the refusal of repeated answers and the rows named to people
              need (LEAST_WORK_PASSES), timed like the floor;
  full        the nightly flow on a fresh database (ingest, transform, checks, publish,
              emails to the outbox);
  unchanged   the flow again on the same extracts.

Each run is a child process (`python -m flows.bench child ...`), so its start-up costs and its
peak memory are its own. With `--prefect-server` the benchmark starts a Prefect server
(`prefect server start`, as `chiso serve` needs) and the runs report to it; it then serves the
deployment itself (`chiso serve`, on a second fresh database) and triggers the same two runs
through it, measured from the moment the runner takes a run to the end of its process: the
framework cost of a served run is taken from those. It also times, apart, what Prefect's
temporary server costs a run that has no server to report to (start-up and shutdown).

The child reads the phase times the tasks report (flows/instrument/timing.py) and splits them
into data
work (reading, transforming, checking, writing) and the fixed cost of the frameworks (Python
imports, Prefect's server start, flow-run overhead and task bookkeeping, Great Expectations'
import and context).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FLOOR_REPEATS = 3
TARGETS = {
    "full_data_work_over_floor": 3.0,  # at national scale
    "unchanged_over_full_data_work": 0.10,
    "framework_served_s": 5.0,
    "peak_rss_mb": 2048.0,
    "gx_share_of_data_work": 0.10,
}


# --- the floor --------------------------------------------------------------------------------

def floor(inbox: Path, repeats: int = FLOOR_REPEATS) -> dict[str, Any]:
    """Per extract, the median time DuckDB takes to read it with every column parsed."""
    import duckdb

    from flows.warehouse.sqlquote import identifier, literal

    files: dict[str, Any] = {}
    with duckdb.connect() as con:
        con.execute("set enable_progress_bar = false")
        for path in sorted(inbox.glob("*.csv")):
            source = f"read_csv({literal(str(path))})"
            columns = [r[0] for r in con.execute(f"describe select * from {source}").fetchall()]
            counts = ", ".join(f"count({identifier(c)})" for c in columns)
            sql = f"select count(*), {counts} from {source}"
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                rows = con.execute(sql).fetchone()[0]
                times.append(time.perf_counter() - start)
            files[path.name] = {
                "seconds": statistics.median(times), "rows": rows, "columns": len(columns),
            }
    return {"seconds": sum(f["seconds"] for f in files.values()), "files": files}


# --- the least a full run must do ---------------------------------------------------------------

# Answers any run must find, on every SIPAS answers file, however it keeps them (rows in the
# database, or left in their file): the counts by year x unit x question x answer that the rates
# come from; any answer given twice for one respondent and question (the file is refused), by
# sorting a hash of each key as ingest does; and, in a file with answers outside 1-5, the rows
# that hold them, which people are told (numbering rows is a pass in file order: one thread).
LEAST_WORK_PASSES = {
    "count_answers": "select count(*) from (select {year}, {unit}, {question}, {answer},"
                     " count(*) from {source} group by all)",
    "find_repeated_keys": "select count(*) from (select h, lag(h) over (order by h) as p from"
                          " (select hash({year}, {unit}, {respondent}, {question}) as h"
                          " from {source})) where h = p",
    "number_invalid_rows": "select count(*) from (select row_number() over () as n, {answer}"
                           " from {source}) where {answer} in (select unnest({invalid}))",
}


def least_work(inbox: Path, repeats: int = FLOOR_REPEATS) -> dict[str, Any]:
    """Per SIPAS answers file (most of the rows at every scale), the median time of each pass in
    LEAST_WORK_PASSES, timed like the floor: what no design of the run can skip, so how close to
    the floor a full run can come at all."""
    import duckdb

    from flows.intake import readers
    from flows.warehouse.db import install_macros
    from flows.warehouse.sqlquote import literal

    files: dict[str, Any] = {}
    with duckdb.connect() as con:
        con.execute("set enable_progress_bar = false")
        install_macros(con)
        for path in sorted(inbox.glob("*.csv")):
            part = readers.inspect(path)[0]
            if part.table != "sipas_answers" or part.header.kind.wide_codes is not None:
                continue
            names = part.header.names
            columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names))) + "}"
            col = {k: f"c{names.index(c)}" for k, c in (
                ("year", "year"), ("unit", "unit_code"), ("respondent", "respondent_id"),
                ("question", "question_code"), ("answer", "answer"))}
            source = (f"read_csv({literal(str(path))}, delim = {literal(part.delimiter)},"
                      f" header = true, auto_detect = false, columns = {columns})")
            # the answers outside 1-5 by ingest's rule (chk_sipas_answers__problems), found
            # among the few distinct answers before the timing, as ingest finds them
            bad, n_invalid = con.execute(
                f"select coalesce(list(a), []), coalesce(sum(n), 0) from (select {col['answer']}"
                f" as a, count(*) as n from {source} group by all) where sipas_invalid_answer(a)"
            ).fetchone()
            invalid = "[" + ", ".join(literal(a) for a in bad) + "]::varchar[]"
            passes, found = {}, {}
            for name, sql in LEAST_WORK_PASSES.items():
                if name == "number_invalid_rows" and not n_invalid:
                    continue
                query = sql.format(source=source, invalid=invalid, **col)
                times = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    found[name] = con.execute(query).fetchone()[0]
                    times.append(time.perf_counter() - start)
                passes[name] = statistics.median(times)
            files[path.name] = {"seconds": sum(passes.values()), "passes": passes,
                                "found": found, "invalid_answers": int(n_invalid)}
    return {"seconds": sum(f["seconds"] for f in files.values()), "files": files}


# --- one measured run (parent side) --------------------------------------------------------------

def measure_run(
    inbox: Path, plan: Path, db: Path, out: Path, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run the nightly flow in a child process; its report plus wall time and peak RSS."""
    cmd = [sys.executable, "-m", "bench.run", "child", "--inbox", str(inbox),
           "--plan", str(plan), "--db", str(db), "--json", str(out)]
    log = out.with_suffix(".log")
    out.unlink(missing_ok=True)  # a result left by an earlier bench must not pass for this one
    start = time.perf_counter()
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or not out.exists():
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise RuntimeError(f"benchmark run failed (exit {proc.returncode}); see {log}:\n{tail}")
    child = json.loads(out.read_text(encoding="utf-8"))
    child["wall_s"] = wall
    # interpreter start, and at exit Prefect's server shutdown and GX's clean-up
    child["process_start_and_exit_s"] = max(0.0, wall - child["child_s"])
    # ru_maxrss (KiB on Linux): the largest of the child and the processes it waited for
    child["peak_rss_tree_mb"] = usage.ru_maxrss / 1024
    return child


def _data_phases(phases: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Of a run's phase times (flows/instrument/timing.py), the outermost data phases: seconds,
    and the peak RSS after each."""
    outer = {name: p for name, p in phases.items() if p["kind"] == "data" and p["outermost"]}
    return {"seconds": {name: p["seconds"] for name, p in outer.items()},
            "peak_rss_mb_after": {name: p["peak_rss_mb_after"] for name, p in outer.items()}}


def _gx_validate_s(phases: dict[str, Any]) -> float:
    return phases.get("gx_validate", {}).get("seconds", 0.0)


def summarise(child: dict[str, Any], floor_s: float) -> dict[str, Any]:
    """Data work, framework cost and the ratios of one run."""
    timing = child["timing"]
    phases = timing["phases"]
    flow = phases.get("flow", {"seconds": 0.0, "unaccounted": 0.0})
    gx_validate = _gx_validate_s(phases)
    data_phases = _data_phases(phases)
    framework = {
        "process_start_and_exit_s": child["process_start_and_exit_s"],
        "python_imports_s": child["imports_s"],
        "prefect_server_start_s": child["server_start_s"],
        "prefect_flow_run_s": max(0.0, child["flow_call_s"] - flow["seconds"]),
        "prefect_task_bookkeeping_s": flow.get("unaccounted", 0.0),
        "gx_import_and_context_s": timing["framework_s"],
    }
    data = timing["data_s"]
    # With a Prefect server already up (chiso serve needs one), a run pays the rest.
    with_server = sum(framework.values()) - framework["prefect_server_start_s"]
    return {
        "wall_s": child["wall_s"],
        "data_work_s": data,
        "data_work": data_phases["seconds"],
        "ingest_by_file_s": phases.get("ingest", {}).get("detail", {}),
        "peak_rss_mb_after": data_phases["peak_rss_mb_after"],
        "framework_s": sum(framework.values()),
        "framework": framework,
        "framework_with_a_server_s": with_server,
        "gx_validate_s": gx_validate,
        "gx_share_of_data_work": gx_validate / data if data else 0.0,
        "data_work_over_floor": data / floor_s if floor_s else 0.0,
        "peak_rss_mb": child["peak_rss_mb"],
        "peak_rss_tree_mb": child["peak_rss_tree_mb"],
        "extracts": child["extracts"],
        "criterion_gaps_rows": child["criterion_gaps_rows"],
    }


# --- the benchmark --------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    import duckdb

    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "platform": platform.platform(),
    }


def prepare(scale: str, work: Path, seed: int) -> tuple[Path, dict[str, Any]]:
    """Generated extracts for (scale, seed) in work/inbox, reusing them when already there."""
    from bench.generate import MANIFEST, generate, generator_version

    inbox = work / "inbox"
    manifest_path = inbox / MANIFEST
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if (manifest["scale"]["name"] == scale and manifest["seed"] == seed
                and manifest.get("generator") == generator_version()):
            return inbox, manifest
    return inbox, generate(scale, inbox, seed)


def fresh_db(work: Path, name: str = "db") -> Path:
    """An empty folder for the published database, its lock, alert state and outbox."""
    folder = work / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder / "chiso.duckdb"


@contextmanager
def prefect_server(work: Path, timeout_s: float = 90.0) -> Iterator[str]:
    """`prefect server start` on a free loopback port, in its own process group; its API URL.
    Stopped (the whole group) when the block ends."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api"
    log = work / "prefect-server.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
             "--port", str(port)],
            stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout_s
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Prefect server did not start; see {log}")
            time.sleep(0.5)
        yield url
    finally:
        _stop_group(proc, grace_s=30)


def _stop_group(proc: subprocess.Popen, grace_s: float) -> None:
    """SIGTERM a process started in its own session, and what it started; SIGKILL them if its
    leader has not ended after `grace_s` seconds."""
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def ephemeral_server_cost(work: Path) -> float:
    """What Prefect's temporary server costs a run with no server to report to: a child that
    imports Prefect, starts it (as a flow run would) and exits, minus that import."""
    out = work / "ephemeral.json"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bench.run", "ephemeral", "--json", str(out)],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    return wall - json.loads(out.read_text(encoding="utf-8"))["imports_s"]


def run_bench(
    scale: str, work: Path, seed: int = 2024, start_server: bool = False
) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    inbox, manifest = prepare(scale, work, seed)
    if not start_server:
        return _measure(scale, seed, inbox, manifest, work, dict(os.environ),
                        os.environ.get("PREFECT_API_URL") or "ephemeral")
    ephemeral_s = ephemeral_server_cost(work)
    with prefect_server(work) as url:
        result = _measure(scale, seed, inbox, manifest, work,
                          {**os.environ, "PREFECT_API_URL": url},
                          "served (prefect server start, by the benchmark)", serve=True)
    result["ephemeral_server_s"] = ephemeral_s
    return result


def _measure(
    scale: str, seed: int, inbox: Path, manifest: dict[str, Any], work: Path,
    env: dict[str, str], prefect_api: str, serve: bool = False,
) -> dict[str, Any]:
    """The floor, then the two runs with `env` (PREFECT_API_URL: the server they report to;
    without it each run starts Prefect's temporary server); with `serve`, the same two runs
    of the deployment served on that server (served_runs)."""
    plan = inbox / "plan.yaml"
    the_floor = floor(inbox)
    least = least_work(inbox)
    least["over_floor"] = least["seconds"] / the_floor["seconds"]
    db = fresh_db(work)
    full = summarise(measure_run(inbox, plan, db, work / "run-full.json", env),
                     the_floor["seconds"])
    again = summarise(
        measure_run(inbox, plan, db, work / "run-unchanged.json", env), the_floor["seconds"]
    )
    again["data_work_over_full"] = (
        again["data_work_s"] / full["data_work_s"] if full["data_work_s"] else 0.0
    )
    served = served_runs(inbox, plan, work, env) if serve else {}
    measured = {
        "full_data_work_over_floor": full["data_work_over_floor"],
        "unchanged_over_full_data_work": again["data_work_over_full"],
        # measured on the served runs; without them, estimated from these (no server start)
        "framework_served_s": max(r["framework_s"] for r in served.values()) if served
        else max(full["framework_with_a_server_s"], again["framework_with_a_server_s"]),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in (full, again, *served.values())),
        "gx_share_of_data_work": max(full["gx_share_of_data_work"],
                                     again["gx_share_of_data_work"]),
    }
    result = {
        "scale": scale,
        "seed": seed,
        # "ephemeral": each run starts Prefect's temporary server; else the served API
        "prefect_api": prefect_api,
        "machine": machine(),
        "extracts": {"rows": manifest["rows"], "bytes": manifest["bytes"]},
        "floor": the_floor,
        "least_work": least,
        "runs": {"full": full, "unchanged": again},
        "targets": {
            key: {"value": value, "target": TARGETS[key], "met": value <= TARGETS[key]}
            for key, value in measured.items()
        },
    }
    if served:
        result["served_runs"] = served
    return result


# --- the runs of a served deployment ----------------------------------------------------------

SERVED_TIMEOUT_S = 600.0  # for `chiso serve` to register, and for each run
REPORT_GRACE_S = 60.0  # from a run's final state to its timing report (its last hook)


def served_runs(inbox: Path, plan: Path, work: Path, env: dict[str, str]) -> dict[str, Any]:
    """`chiso serve` on the benchmark's Prefect server, on a fresh database; a full run, then
    one with no new extracts, each triggered through the deployment. A run is measured from
    the moment the runner takes it (its Pending state) to the end of its process: its data
    work from the phase times it leaves (CHISO_TIMING_DIR), the rest is framework."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    folder = work / "served-timing"
    shutil.rmtree(folder, ignore_errors=True)
    db = fresh_db(work, "served-db")
    log = work / "serve.log"
    env = {**env, "CHISO_TIMING_DIR": str(folder), "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "serve", "--inbox", str(inbox), "--plan",
             str(plan), "--db", str(db)],
            stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=ROOT,
            env=env, start_new_session=True,
        )
    try:
        with temporary_settings({PREFECT_API_URL: env["PREFECT_API_URL"]}), \
                get_client(sync_client=True) as client:
            deployment = _wait_for_deployment(client, proc, log)
            return {key: _served_run(client, deployment.id, folder, proc, log)
                    for key in ("full", "unchanged")}
    finally:
        # before the server: on SIGTERM, serve pauses its schedule, which needs the server
        _stop_group(proc, grace_s=60)


def _wait_for_deployment(client: Any, proc: subprocess.Popen, log: Path) -> Any:
    from prefect.exceptions import ObjectNotFound

    deadline = time.monotonic() + SERVED_TIMEOUT_S
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"chiso serve did not register its deployment; see {log}")
        with suppress(ObjectNotFound):
            return client.read_deployment_by_name("nightly/nightly")
        time.sleep(0.2)


def _served_run(
    client: Any, deployment_id: Any, folder: Path, proc: subprocess.Popen, log: Path
) -> dict[str, Any]:
    """Trigger one run of the deployment and measure it (see served_runs)."""
    run = client.create_flow_run_from_deployment(deployment_id)
    report_path = folder / f"{run.id}.json"
    deadline = time.monotonic() + SERVED_TIMEOUT_S
    last_look = 0.0
    final_seen: float | None = None
    # the run writes its report as its last act (a hook on its final state, so the state is
    # final a moment before the report exists): then only its process's exit is left
    while not report_path.exists():
        if final_seen is None and time.monotonic() - last_look > 1.0:
            last_look = time.monotonic()
            state = client.read_flow_run(run.id).state
            if state is not None and state.is_final():
                final_seen = time.monotonic()
        if final_seen is not None and time.monotonic() - final_seen > REPORT_GRACE_S:
            raise RuntimeError(f"served run ended with no timing report {REPORT_GRACE_S:.0f} s"
                               f" after its final state; see {log}")
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"served run did not finish; see {log}")
        time.sleep(0.005)
    child = json.loads(report_path.read_text(encoding="utf-8"))
    while not _ended(child["pid"]):
        if time.monotonic() > deadline:
            raise RuntimeError(f"served run's process {child['pid']} did not exit; see {log}")
        time.sleep(0.002)
    ended = time.time()
    if child["state"] != "Completed":
        raise RuntimeError(f"served run ended {child['state']}; see {log}")
    first: dict[str, float] = {}  # the first time the run entered each state type
    for state in sorted(client.read_flow_run_states(run.id), key=lambda s: s.timestamp):
        first.setdefault(state.type.value, state.timestamp.timestamp())
    pending, running = first["PENDING"], first["RUNNING"]
    timing = child["timing"]
    flow = timing["phases"].get("flow", {"seconds": 0.0, "unaccounted": 0.0})
    data = timing["data_s"]
    framework = {
        "runner_to_process_s": child["process_started_at"] - pending,
        "process_to_running_s": running - child["process_started_at"],
        "prefect_flow_run_s": child["written_at"] - running - flow["seconds"],
        "prefect_task_bookkeeping_s": flow.get("unaccounted", 0.0),
        "gx_import_and_context_s": timing["framework_s"],
        "process_exit_s": ended - child["written_at"],
    }
    return {
        "started_warm": child["started_warm"],
        "wall_s": ended - pending,
        "data_work_s": data,
        "data_work": _data_phases(timing["phases"])["seconds"],
        "framework_s": ended - pending - data,
        "framework": framework,
        "gx_validate_s": _gx_validate_s(timing["phases"]),
        "peak_rss_mb": child["peak_rss_mb"],
    }


def _ended(pid: int) -> bool:
    """The process is gone, or a zombie (it has exited; its parent has not reaped it yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] == "Z"


def render(result: dict[str, Any]) -> str:
    """The benchmark as a person reads it."""
    m = result["machine"]
    floor_s = result["floor"]["seconds"]
    rows = sum(result["extracts"]["rows"].values())
    out = [
        f"chiso bench — scale {result['scale']} (seed {result['seed']}), {rows:,} extract rows;"
        f" {m['cpus']} CPUs, {m['memory_gb']} GB, DuckDB {m['duckdb']};"
        f" Prefect API: {result['prefect_api']}"
        + (f" (the temporary server would add {result['ephemeral_server_s']:.1f} s a run)"
           if "ephemeral_server_s" in result else ""),
        "",
        f"floor (DuckDB reads every extract once, every column parsed): {floor_s:.2f} s",
    ]
    out += [f"    {name:28} {f['seconds']:7.2f} s  {f['rows']:>11,} rows"
            for name, f in result["floor"]["files"].items()]
    least = result["least_work"]
    out += ["", "least work (passes any full run makes over the SIPAS answers, however kept):"
            f" {least['seconds']:.2f} s = {least['over_floor']:.1f} x floor"]
    for name, f in least["files"].items():
        out.append(f"    {name:28} {f['seconds']:7.2f} s  (" + ", ".join(
            f"{p} {s:.2f} s" for p, s in f["passes"].items())
            + f"; {f['invalid_answers']:,} answers outside 1-5)")
    for label, key in (("full run", "full"), ("run with no new extracts", "unchanged")):
        r = result["runs"][key]
        fw = r["framework"]
        out += [
            "",
            f"{label}: {r['wall_s']:.2f} s wall, peak RSS {r['peak_rss_mb']:.0f} MB"
            f" (process tree {r['peak_rss_tree_mb']:.0f} MB)",
            f"  data work            {r['data_work_s']:7.2f} s   = {r['data_work_over_floor']:.1f}"
            " x floor" + (f", {r['data_work_over_full']:.1%} of the full run's"
                          if "data_work_over_full" in r else ""),
        ]
        peaks = r["peak_rss_mb_after"]
        out += [f"    {name:18} {s:7.2f} s   (peak RSS so far {peaks[name]:5.0f} MB)"
                for name, s in r["data_work"].items()]
        out += [
            f"    of which GX validation {r['gx_validate_s']:.2f} s"
            f" ({r['gx_share_of_data_work']:.1%} of the data work)",
            f"  framework            {r['framework_s']:7.2f} s"
            f"   ({r['framework_with_a_server_s']:.2f} s with a Prefect server already up)",
        ]
        out += [f"    {name:28} {s:6.2f} s" for name, s in fw.items()]
    if "served_runs" in result:
        out += ["", "served deployment (chiso serve; each run triggered through it, measured from"
                " the runner taking it to the end of its process):"]
        for label, key in (("full run", "full"), ("run with no new extracts", "unchanged")):
            r = result["served_runs"][key]
            out += [
                f"  {label}: {r['wall_s']:.2f} s, data work {r['data_work_s']:.2f} s,"
                f" framework {r['framework_s']:.2f} s"
                f" (started {'warm' if r['started_warm'] else 'cold'})",
            ]
            out += [f"    {name:28} {s:6.2f} s" for name, s in r["framework"].items()]
    out += ["", "targets:" if result["scale"] == "national" else
            "targets (set for the national scale):"]
    for key, t in result["targets"].items():
        mark = "ok  " if t["met"] else "MISS"
        out.append(f"  {mark} {key:32} {t['value']:9.3f}  (target <= {t['target']})")
    target = result["targets"]["full_data_work_over_floor"]["target"]
    left = target * floor_s - least["seconds"]
    out.append(f"  (least work alone is {least['over_floor']:.1f} x floor: {target:g} x floor"
               f" leaves {left:.2f} s for all else a full run does: PAR, models, checks,"
               " publish, alerts)")
    return "\n".join(out)


# --- the child: one nightly run, measured from inside -------------------------------------------

def child(inbox: str, plan: str, db: str, out: str) -> int:
    started = time.perf_counter()
    # Prefect, DuckDB, pandas: the import cost is measured
    from flows import nightly
    from flows.instrument import timing

    imported = time.perf_counter()
    server_start = _start_prefect_server()
    call = time.perf_counter()
    summary = nightly.nightly(inbox=inbox, plan=plan, db=db)
    returned = time.perf_counter()
    import duckdb

    with duckdb.connect(db, read_only=True) as con:
        n_gaps = con.execute("select count(*) from criterion_gaps").fetchone()[0]
    result = {
        "child_s": time.perf_counter() - started,
        "imports_s": imported - started,
        "server_start_s": server_start,
        "flow_call_s": returned - call,
        "timing": timing.report(),
        "peak_rss_mb": timing.peak_rss_mb(),
        "extracts": {e.file: e.status for e in summary.extracts},
        "criterion_gaps_rows": n_gaps,
    }
    Path(out).write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


def _start_prefect_server() -> float:
    """Start Prefect's API the way the flow would (the ephemeral server when no PREFECT_API_URL
    is set), so its start-up is measured apart from the flow run."""
    from prefect.client.orchestration import get_client

    start = time.perf_counter()
    with get_client(sync_client=True) as client:
        client.api_healthcheck()
    return time.perf_counter() - start


def ephemeral(out: str) -> int:
    started = time.perf_counter()
    import prefect  # noqa: F401  (what a flow run imports before it needs a server)

    imported = time.perf_counter()
    server_start = _start_prefect_server()
    Path(out).write_text(json.dumps({"imports_s": imported - started,
                                     "server_start_s": server_start}) + "\n", encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.bench")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("child", help="one measured nightly run (used by chiso bench)")
    for name in ("inbox", "plan", "db", "json"):
        c.add_argument(f"--{name}", required=True)
    e = sub.add_parser("ephemeral", help="start and stop Prefect's temporary server, timed")
    e.add_argument("--json", required=True)
    args = parser.parse_args(argv)
    if args.command == "ephemeral":
        return ephemeral(args.json)
    return child(args.inbox, args.plan, args.db, args.json)


if __name__ == "__main__":
    sys.exit(main())
