"""The nightly flow: discover extracts -> ingest -> transform -> check -> publish a summary.

Each step is a Prefect task; each task's function can be called plainly (`.fn`) in tests.
"""

from __future__ import annotations

import atexit
import dataclasses
import datetime as dt
import gc
import logging
import os
from pathlib import Path

from prefect import flow, task
from prefect import get_run_logger as _prefect_logger
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import MissingContextError

from flows import console
from flows.checks import gx, targets
from flows.documents.summary import RunSummary, collect_summary
from flows.instrument import faults, timing
from flows.intake import carry, inbox, ingest, supersede
from flows.intake.inbox import Arrival, Intake
from flows.intake.ingest import ExtractOutcome
from flows.notify import alerts
from flows.paths import DEFAULT_DB, DEFAULT_INBOX, DEFAULT_PLAN, ROOT  # noqa: F401
from flows.plan import Plan, continued_plans, load_plan, write_plan_tables
from flows.warehouse import chain, run_records
from flows.warehouse.build import Build
from flows.warehouse.db import fetch_all
from flows.warehouse.lock import RunLock
from flows.warehouse.run_records import RunInfo

# A run's process (`chiso run`, or the one Prefect's runner spawns for each served run) ends
# with it. At exit, the interpreter's garbage collections walk every object GX and Prefect
# left: 1.3 s with GX loaded, measured. The memory goes back to the OS anyway, so they are
# frozen out of those collections (0.08 s). atexit handlers (Prefect's log flush, logging's
# shutdown) still run, and every database is closed by then (Build.publish, alerts).
atexit.register(gc.freeze)
# With this set (`chiso bench` does, for the runs of the deployment it serves), each run leaves
# its phase times there as <flow run id>.json.
TIMING_DIR_ENV = "CHISO_TIMING_DIR"


def get_run_logger() -> logging.Logger | logging.LoggerAdapter:
    """Prefect's run logger inside a run; a plain logger when a task's .fn is called directly."""
    try:
        return _prefect_logger()
    except MissingContextError:
        return logging.getLogger("chiso.nightly")


@task(cache_policy=NO_CACHE)
@timing.measured("read_plan")
def read_plan(path: Path) -> Plan:
    """Read and validate the plan and the plans it continues (a chain of plan years); a bad
    plan stops the run before anything is built."""
    plan = load_plan(path)
    plan = dataclasses.replace(plan, continued=tuple(continued_plans(plan)))
    get_run_logger().info(
        "plan %s (%s): baseline %s, target %s%s", path, plan.id, plan.baseline_year,
        plan.target_year, "; continues " + ", ".join(p.id for p in plan.continued)
        if plan.continued else "",
    )
    return plan


@task(cache_policy=NO_CACHE)
@timing.measured("discover")
def take_extracts(inbox_path: Path, db: Path) -> Intake:
    """Archive the complete extract files of the inbox by content hash, in name order (see
    flows/intake/inbox.py for what is skipped); a file still being written is left for later."""
    taken = inbox.take(inbox_path, inbox.archive_dir(db))
    console.step(f"Nhận {len(taken.arrivals)} tệp từ {inbox_path}"
                 + (f" ({len(taken.deferred)} tệp đang được chép, để lượt sau)"
                    if taken.deferred else ""))
    logger = get_run_logger()
    logger.info("took %d extract files from %s", len(taken.arrivals), inbox_path)
    for d in taken.deferred:
        logger.warning("left for the next run (changed while read): %s", d.name)
    return taken


@task(cache_policy=NO_CACHE)
@timing.measured("open_build")
def open_build(db: Path, run: RunInfo, plan: Plan) -> Build:
    """Start a new database file beside the published one, with the plan's tables."""
    build = Build(db, run.run_id)
    if console.enabled():  # DuckDB's own bar, on a terminal, for a step over two seconds
        build.con.execute("set enable_progress_bar = true")
    build.con.execute(
        "create table current_run as select ?::varchar as run_id, ?::date as as_of_date",
        [run.run_id, run.as_of],
    )
    run_records.create_tables(build.con)
    write_plan_tables(build.con, plan)
    return build


@task(cache_policy=NO_CACHE)
@timing.measured("ingest", detail=lambda build, arrival, *_, **__: arrival.name)
def ingest_extract(build: Build, arrival: Arrival, run: RunInfo) -> ExtractOutcome:
    """Load one extract (its archived copy), or reject it whole; either way record what
    happened. An extract the previous run took in, unchanged, keeps its outcome and raw rows
    without being read."""
    faults.point("ingest")
    name = arrival.name
    outcome = carry.unchanged(build.con, arrival.archived, name, arrival.sha256)
    carried = outcome is not None
    if outcome is None:
        size = f"{arrival.size / 1e6:.1f}".replace(".", ",")
        console.step(f"Nạp {name} ({size} MB)…")
        build.forget(name)
        outcome = ingest.ingest_file(build.con, arrival.archived, name, sha256=arrival.sha256)
    else:
        get_run_logger().info("unchanged since the last run: %s (%s)", name, outcome.status)
    console.step(f"  {'✓' if outcome.status == 'loaded' else '✗'} {name}: "
                 + (f"{outcome.n_rows:,} dòng".replace(",", ".") if outcome.status == "loaded"
                    else "không nạp")
                 + (" (không đổi từ lượt trước)" if carried else ""))
    reported = outcome.status == "rejected" and run_records.rejected_before(
        build.con, name, outcome.sha256
    )
    run_records.record_extract(
        build.con, run, outcome, modified=arrival.modified, reported_before=reported
    )
    if outcome.status == "rejected":
        get_run_logger().warning(
            "rejected %s%s: %s", outcome.file, " (as in the last run)" if reported else "",
            outcome.problems[:1],
        )
    return outcome


@task(cache_policy=NO_CACHE)
@timing.measured("transform")
def transform(build: Build, run: RunInfo, arrivals: list[Arrival], plan: Plan) -> int:
    """Where a newer file brings the same unit and year again, drop the older file's rows;
    then run the SQL models (sql/) into criterion_gaps, for each plan the plan continues and
    then for the plan (flows/warehouse/chain.py), and return the plan's row count. Models whose
    inputs did not change since the last run are kept as they were."""
    faults.point("transform")
    console.step("Tính các bảng (mô hình SQL)…")
    build.settle()
    for table, unit, year, old, new, n in supersede.replace_older(build.con, run, arrivals):
        get_run_logger().info(
            "%s replaces %s for %s %s %s (%d rows dropped)", new, old, table, unit, year, n
        )
    if plan.continued:
        console.step("Đánh giá lại các kế hoạch trước trong chuỗi: "
                     + ", ".join(p.id for p in plan.continued))
    chain.run(build.con, plan, list(plan.continued))
    n = fetch_all(build.con, "select count(*) from criterion_gaps")[0][0]
    get_run_logger().info("criterion_gaps: %d rows", n)
    return n


@task(cache_policy=NO_CACHE)
@timing.measured("check_targets")
def check_targets(build: Build, run: RunInfo) -> list[gx.Outcome]:
    """Check criterion_gaps with the target suites (flows/checks/targets.py) and record which
    criteria they flag; when the mart and the checks are those the previous run checked, its
    results stand."""
    faults.point("checks")
    console.step("Kiểm tra kết quả (Great Expectations)…")
    outcomes = targets.carried(build.con, run)
    if outcomes is not None:
        get_run_logger().info("criterion_gaps unchanged since the last run: its checks stand")
        return outcomes
    outcomes = targets.run(build.con, run)
    agree = outcomes[-1]
    if not agree.success:
        get_run_logger().error(
            "GX flags and SQL status differ (%s): see check_results", agree.observed
        )
    return outcomes


@task(cache_policy=NO_CACHE)
@timing.measured("publish")
def publish(
    build: Build, run: RunInfo, plan_path: Path, arrivals: list[Arrival],
    extracts: list[ExtractOutcome],
) -> None:
    """Write the run's manifest beside the archive, set newly rejected files aside with their
    error report, record the run and swap the new database in place of the published one."""
    faults.point("publish")
    console.step("Công bố kết quả…")
    archive = inbox.archive_dir(build.published)
    inbox.write_manifest(archive, run, plan_path, arrivals, {e.file: e.status for e in extracts})
    newly_rejected = set(run_records.new_rejections(build.con, run))
    for arrival, outcome in zip(arrivals, extracts, strict=True):
        if outcome.file in newly_rejected:
            kept = inbox.set_aside(
                inbox.rejected_dir(build.published), arrival, outcome.message, outcome.problems
            )
            get_run_logger().info("rejected %s set aside as %s", outcome.file, kept)
    run_records.record_run(build.con, run, extracts)
    for plan_id, n in chain.append_continued(build.con):
        get_run_logger().info("continued plan %s: %d criterion_gaps rows", plan_id, n)
    build.publish()
    get_run_logger().info("published %s", build.published)


@task(cache_policy=NO_CACHE)
@timing.measured("alerts")
def send_alerts(db: Path, plan: Plan, run: RunInfo) -> alerts.AlertReport:
    """Tell owners and the Office what changed, from the database just published."""
    console.step("Gửi thư…")
    report = alerts.run_alerts(db, plan, run.run_id)
    logger = get_run_logger()
    logger.info(
        "alerts (%s): %d created, %d sent, %d written, %d pending, %d unknown",
        report.mode, len(report.created), len(report.sent), len(report.written),
        len(report.pending), len(report.unknown),
    )
    if report.mode == "outbox" and report.written:
        logger.info("no SMTP configured: messages written to %s", report.outbox)
    return report


def _leave_timing(flow, flow_run, state) -> None:
    """A flow-run hook: with CHISO_TIMING_DIR set, write this run's phase times there."""
    folder = os.environ.get(TIMING_DIR_ENV)
    if folder:
        timing.write_run_report(Path(folder), str(flow_run.id), state=state.name)


@flow(name="nightly", on_completion=[_leave_timing], on_failure=[_leave_timing])
@timing.measured("flow", kind="span")
def nightly(
    inbox: str = str(DEFAULT_INBOX), plan: str = str(DEFAULT_PLAN), db: str = str(DEFAULT_DB),
    notify: bool = True, started_at: str | None = None,
) -> RunSummary:
    """Turn the extracts in `inbox` into checked gap tables in `db`, following `plan`; then
    tell owners and the Office (unless `notify` is false: a rebuild of a past run, which
    passes that run's `started_at`, ISO 8601, so its as-of date is the one it had)."""
    inbox_path, db_path, plan_path = Path(inbox), Path(db), Path(plan)
    with RunLock(db_path):  # re-entrant: `chiso run` already holds it
        run = run_records.new_run(
            inbox, plan, db, dt.datetime.fromisoformat(started_at) if started_at else None
        )
        the_plan = read_plan(plan_path)
        taken = take_extracts(inbox_path, db_path)
        build = open_build(db_path, run, the_plan)
        try:
            extracts = [ingest_extract(build, a, run) for a in taken.arrivals]
            transform(build, run, taken.arrivals, the_plan)
            target_checks = check_targets(build, run)
            with timing.phase("summary"):
                summary = collect_summary(
                    build.con, run, the_plan, extracts, target_checks, taken.deferred
                )
            publish(build, run, plan_path, taken.arrivals, extracts)
        except BaseException:
            build.discard()
            raise
        # Results are published before any email is sent: no email cites unpublished numbers.
        if notify:
            summary.alerts = send_alerts(db_path, the_plan, run)
    return summary
