"""The nightly flow: discover extracts -> ingest -> transform -> check -> publish a summary.

Each step is a Prefect task; each task's function can be called plainly (`.fn`) in tests.
"""

from __future__ import annotations

import logging
from pathlib import Path

from prefect import flow, task
from prefect import get_run_logger as _prefect_logger
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import MissingContextError

from flows import alerts, checks, ingest, run_records, warehouse
from flows.ingest import ExtractOutcome
from flows.lock import RunLock
from flows.plan import Plan, load_plan, write_plan_tables
from flows.readers import READABLE_SUFFIXES
from flows.run_records import RunInfo
from flows.summary import RunSummary, collect_summary

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INBOX = ROOT / "data" / "sample"
DEFAULT_PLAN = ROOT / "data" / "plan.yaml"
DEFAULT_DB = ROOT / "var" / "chiso.duckdb"
SKIPPED_PREFIXES = (".", "~$")
SKIPPED_SUFFIXES = (".part", ".tmp")


def get_run_logger() -> logging.Logger | logging.LoggerAdapter:
    """Prefect's run logger inside a run; a plain logger when a task's .fn is called directly."""
    try:
        return _prefect_logger()
    except MissingContextError:
        return logging.getLogger("chiso.nightly")


@task(cache_policy=NO_CACHE)
def read_plan(path: Path) -> Plan:
    """Read and validate the plan; a bad plan stops the run before anything is built."""
    plan = load_plan(path)
    get_run_logger().info(
        "plan %s: baseline %s, target %s", path, plan.baseline_year, plan.target_year
    )
    return plan


@task(cache_policy=NO_CACHE)
def discover_extracts(inbox: Path) -> list[Path]:
    """The extract files in the inbox, in name order (hidden, temporary and partial skipped)."""
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox {inbox} is not a folder")
    found = sorted(
        p for p in inbox.iterdir()
        if p.is_file() and not p.is_symlink()
        and p.suffix.lower() in READABLE_SUFFIXES
        and not p.name.startswith(SKIPPED_PREFIXES)
        and not p.name.lower().endswith(SKIPPED_SUFFIXES)
    )
    get_run_logger().info("found %d extract files in %s", len(found), inbox)
    return found


@task(cache_policy=NO_CACHE)
def open_build(db: Path, run: RunInfo, plan: Plan) -> warehouse.Build:
    """Start a new database file beside the published one, with the plan's tables."""
    build = warehouse.Build(db, run.run_id)
    build.con.execute(
        "create table current_run as select ?::varchar as run_id, ?::date as as_of_date",
        [run.run_id, run.as_of],
    )
    run_records.create_tables(build.con)
    write_plan_tables(build.con, plan)
    alerts.export_log(build.con, db)
    return build


@task(cache_policy=NO_CACHE)
def ingest_extract(build: warehouse.Build, path: Path, inbox: Path, run: RunInfo) -> ExtractOutcome:
    """Load one extract, or reject it whole; either way record what happened."""
    outcome = ingest.ingest_file(build.con, path, str(path.relative_to(inbox)))
    run_records.record_extract(build.con, run, outcome)
    if outcome.status == "rejected":
        get_run_logger().warning("rejected %s: %s", outcome.file, outcome.problems[:1])
    return outcome


@task(cache_policy=NO_CACHE)
def transform(build: warehouse.Build) -> int:
    """Run the SQL models (sql/) into criterion_gaps; return its row count."""
    warehouse.run_models(build.con)
    n = warehouse.fetch_all(build.con, "select count(*) from criterion_gaps")[0][0]
    get_run_logger().info("criterion_gaps: %d rows", n)
    return n


@task(cache_policy=NO_CACHE)
def check_targets(build: warehouse.Build, run: RunInfo) -> list[checks.Outcome]:
    """Run the target suite on criterion_gaps and record which criteria it flags."""
    con = build.con
    frame = con.sql("select * from criterion_gaps").df()
    outcomes = checks.validate(frame, "target_criterion_gaps")
    keys = frame[["index_name", "appendix", "unit_code", "criterion_code"]]

    def key_list(rows: list[int]) -> list:
        return [
            [r.index_name, None if r.appendix != r.appendix else int(r.appendix),
             r.unit_code, r.criterion_code]
            for r in keys.iloc[rows].itertuples()
        ]

    failing = {i: key_list(o.failing_index) for i, o in enumerate(outcomes)}
    run_records.record_checks(con, run, outcomes, target="criterion_gaps", failing=failing)

    flagged = {tuple(k) for k in key_list(checks.flagged_rows(outcomes))}
    off_track = {
        tuple(r) for r in warehouse.fetch_all(
            con,
            "select index_name, appendix, unit_code, criterion_code from criterion_gaps"
            " where status in ('missed', 'at_risk')",
        )
    }
    agree = checks.Outcome(
        suite="target_criterion_gaps", expectation="flagged_rows_match_sql_status",
        kwargs={}, meta={"vi": "Các tiêu chí GX gắn cờ trùng khớp với trạng thái missed/at_risk"},
        success=flagged == off_track, observed=f"{len(flagged)} flagged, {len(off_track)} in SQL",
    )
    run_records.record_checks(
        con, run, [agree], target="criterion_gaps",
        failing={0: sorted(list(k) for k in flagged ^ off_track)},
    )
    if not agree.success:
        get_run_logger().error("GX flags %s differ from SQL status %s", flagged, off_track)
    return [*outcomes, agree]


@task(cache_policy=NO_CACHE)
def publish(build: warehouse.Build, run: RunInfo, extracts: list[ExtractOutcome]) -> None:
    """Record the run and swap the new database in place of the published one."""
    run_records.record_run(build.con, run, extracts)
    build.publish()
    get_run_logger().info("published %s", build.published)


@task(cache_policy=NO_CACHE)
def send_alerts(db: Path, plan: Plan, run: RunInfo) -> alerts.AlertReport:
    """Tell owners and the Office what changed, from the database just published."""
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


@flow(name="nightly")
def nightly(
    inbox: str = str(DEFAULT_INBOX), plan: str = str(DEFAULT_PLAN), db: str = str(DEFAULT_DB)
) -> RunSummary:
    """Turn the extracts in `inbox` into checked gap tables in `db`, following `plan`."""
    inbox_path, db_path = Path(inbox), Path(db)
    with RunLock(db_path):  # re-entrant: `chiso run` already holds it
        run = run_records.new_run(inbox, plan, db)
        the_plan = read_plan(Path(plan))
        files = discover_extracts(inbox_path)
        build = open_build(db_path, run, the_plan)
        try:
            extracts = [ingest_extract(build, f, inbox_path, run) for f in files]
            transform(build)
            target_checks = check_targets(build, run)
            summary = collect_summary(build.con, run, the_plan, extracts, target_checks)
            publish(build, run, extracts)
        except BaseException:
            build.discard()
            raise
        # Results are published before any email is sent: no email cites unpublished numbers.
        summary.alerts = send_alerts(db_path, the_plan, run)
    return summary
