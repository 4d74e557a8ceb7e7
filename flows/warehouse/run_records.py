"""What a run writes about itself into the database: runs, extracts, extract_problems and
check_results. Small tables, written with bound values."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import duckdb

from flows.checks.gx import Outcome
from flows.intake.ingest import ExtractOutcome
from flows.warehouse.db import has_table, insert_many

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    started_at: dt.datetime  # aware, Asia/Ho_Chi_Minh
    inbox: str
    plan: str
    db: str

    @property
    def as_of(self) -> dt.date:
        return self.started_at.date()


def new_run(inbox: str, plan: str, db: str, started_at: dt.datetime | None = None) -> RunInfo:
    """A run starting now; or, rebuilding a past run, at that run's start (its as-of date)."""
    now = (started_at or dt.datetime.now(TZ)).astimezone(TZ)
    return RunInfo(f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}", now, inbox, plan, db)


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """create table if not exists runs (
            run_id varchar primary key, as_of_date date, started_at timestamptz,
            finished_at timestamptz, inbox varchar, plan varchar,
            extracts_loaded integer, extracts_rejected integer,
            n_missed integer, n_at_risk integer, n_met integer, n_no_data integer)"""
    )
    con.execute(
        """create table if not exists extracts (
            run_id varchar, file varchar, sheet varchar, sha256 varchar, kind varchar,
            n_rows bigint, status varchar, message varchar, warnings varchar,
            modified_at timestamptz, reported_before boolean)"""
    )
    con.execute(
        """create table if not exists extract_problems (
            run_id varchar, file varchar, sheet varchar, row_number integer,
            column_name varchar, value varchar, problem varchar, expected varchar)"""
    )
    con.execute(
        """create table if not exists check_results (
            run_id varchar, suite varchar, target varchar, expectation varchar,
            column_name varchar, success boolean, n_failing integer, failing json,
            observed varchar, description_vi varchar)"""
    )


def record_extract(
    con: duckdb.DuckDBPyConnection, run: RunInfo, ex: ExtractOutcome,
    modified: dt.datetime | None = None, reported_before: bool = False,
) -> None:
    """One row per part of the file (sheet); `reported_before`: rejected, with the same bytes,
    in the previous run too, so people were told already."""
    parts = ex.parts or [None]
    for part in parts:
        con.execute(
            "insert into extracts values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run.run_id,
                ex.file,
                part.sheet if part else None,
                ex.sha256,
                part.kind if part else None,
                part.n_rows if part else 0,
                ex.status,
                ex.message or None,
                "; ".join(ex.warnings) or None,
                modified,
                reported_before,
            ],
        )
    insert_many(
        con,
        "insert into extract_problems values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [run.run_id, p.file, p.sheet, p.row, p.column, p.value, p.kind, p.expected]
            for p in ex.problems
        ],
    )
    record_checks(con, run, ex.checks, target=ex.file)


def rejected_before(con: duckdb.DuckDBPyConnection, file: str, sha256: str) -> bool:
    """Did the previous run reject this very file (same name, same bytes)?"""
    if not has_table(con, "prev_extracts"):  # the first run: nothing before it
        return False
    return bool(con.execute(
        "select 1 from prev_extracts where file = ? and sha256 = ? and status = 'rejected'"
        " limit 1", [file, sha256],
    ).fetchall())


def new_rejections(con: duckdb.DuckDBPyConnection, run: RunInfo) -> list[str]:
    """The files this run rejects that people have not been told about."""
    return [r[0] for r in con.execute(
        "select distinct file from extracts where run_id = ? and status = 'rejected'"
        " and not reported_before order by file", [run.run_id],
    ).fetchall()]


@dataclass(frozen=True)
class FailingKeys:
    """The keys an expectation failed on, already serialised (a JSON array) by DuckDB."""

    count: int
    json: str


def record_checks(
    con: duckdb.DuckDBPyConnection,
    run: RunInfo,
    outcomes: list[Outcome],
    target: str,
    failing: dict[int, list | FailingKeys] | None = None,
) -> None:
    """One row per expectation; `failing` maps an outcome's position to the keys it failed on."""
    rows = []
    for i, o in enumerate(outcomes):
        keys = (failing or {}).get(i, o.failing_index)
        if not isinstance(keys, FailingKeys):
            keys = FailingKeys(len(keys), json.dumps(keys, ensure_ascii=False, default=str))
        rows.append(
            [
                run.run_id,
                o.suite,
                target,
                o.expectation,
                o.column,
                o.success,
                keys.count,
                keys.json,
                None if o.observed is None else str(o.observed),
                o.meta.get("vi"),
            ]
        )
    insert_many(con, "insert into check_results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def record_run(
    con: duckdb.DuckDBPyConnection, run: RunInfo, extracts: list[ExtractOutcome]
) -> None:
    counts = dict(
        con.execute("select status, count(*) from criterion_gaps group by all").fetchall()
    )
    con.execute(
        "insert into runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run.run_id,
            run.as_of,
            run.started_at,
            dt.datetime.now(TZ),
            run.inbox,
            run.plan,
            sum(e.status == "loaded" for e in extracts),
            sum(e.status == "rejected" for e in extracts),
            counts.get("missed", 0),
            counts.get("at_risk", 0),
            counts.get("met", 0),
            counts.get("no_data", 0),
        ],
    )
