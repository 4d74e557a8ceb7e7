"""The target checks on criterion_gaps. Great Expectations sees two small frames from DuckDB:

- target_criterion_gaps: one row per criterion with a target and a current value, and only the
  compared columns (sql/checks/chk_criterion_gaps__targets.sql); its failing rows are the
  criteria that miss their target;
- target_gaps_profile: one row per index, appendix and unit, counting the rows that break the
  table's shape (sql/checks/chk_criterion_gaps__profile.sql); each count must be zero;
- target_marts_profile: one row per other published mart (gap_history, participation_targets,
  rank_targets, deadline_watch), counting the rows that break its shape
  (sql/checks/chk_marts__profile.sql).

A last check compares GX's flags with the rows SQL marks missed or at_risk. Which keys each
check failed on goes into check_results, serialised by DuckDB: nationally that is hundreds of
thousands of keys, which never become Python lists.

Input extracts are checked in SQL alone, as they load (flows/intake/ingest.py); Great Expectations
validates what is published. When criterion_gaps, the marts' profile and these checks are those
the previous run checked, its results stand: they are copied over in SQL (`carried`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import duckdb

from flows.checks import gx
from flows.checks.gx import EXPECTATIONS_DIR, Outcome
from flows.warehouse import db, fingerprint, models, run_records
from flows.warehouse.run_records import FailingKeys, RunInfo

TARGET_SUITE = "target_criterion_gaps"
PROFILE_SUITE = "target_gaps_profile"
MARTS_SUITE = "target_marts_profile"
SUITES = (TARGET_SUITE, PROFILE_SUITE, MARTS_SUITE)
TARGETS_MODEL = "chk_criterion_gaps__targets"
PROFILE_MODEL = "chk_criterion_gaps__profile"
MARTS_MODEL = "chk_marts__profile"
AGREEMENT = "flagged_rows_match_sql_status"
# What decides the checks' results, besides criterion_gaps itself.
CODE = (
    "flows/checks/gx.py", "flows/checks/targets.py", "sql/checks/chk_criterion_gaps__*.sql",
    "sql/checks/chk_marts__profile.sql", "expectations/target_*.json", "requirements.lock",
)
KEY = "json_array(index_name, appendix, unit_code, criterion_code)"
UNIT_KEY = "json_array(index_name, appendix, unit_code)"  # a row of the profile
ORDER = "index_name, appendix, unit_code, criterion_code"


def run(con: duckdb.DuckDBPyConnection, run: RunInfo) -> list[Outcome]:
    """Run both suites and the agreement check, record them, and return the verdicts (the
    failing rows are in check_results, not in the outcomes)."""
    models.run_model(con, TARGETS_MODEL, "gap_targets", temp=True)
    models.run_model(con, PROFILE_MODEL, "gap_profile", temp=True)

    frame = gx.frame(con.sql(
        "select current_value, target_value, target_op from gap_targets order by check_row"
    ))
    flags = gx.validate(frame, TARGET_SUITE)
    failing = {i: _failing_keys(con, "gap_targets", KEY, o.failing_index)
               for i, o in enumerate(flags)}
    run_records.record_checks(con, run, flags, target="criterion_gaps", failing=failing)

    profile = gx.frame(con.sql("select * exclude (check_row) from gap_profile"
                                   " order by check_row"))
    shape = gx.validate(profile, PROFILE_SUITE)
    failing = {i: _failing_keys(con, "gap_profile", UNIT_KEY, o.failing_index)
               for i, o in enumerate(shape)}
    run_records.record_checks(con, run, shape, target="criterion_gaps", failing=failing)

    models.run_model(con, MARTS_MODEL, "marts_profile", temp=True)
    marts = gx.frame(con.sql("select * exclude (check_row) from marts_profile"
                                 " order by check_row"))
    marts_shape = gx.validate(marts, MARTS_SUITE)
    failing = {i: _failing_keys(con, "marts_profile", "json_array(mart)", o.failing_index)
               for i, o in enumerate(marts_shape)}
    run_records.record_checks(con, run, marts_shape, target="marts", failing=failing)

    agree, differ = _agreement(con, gx.flagged_rows(flags))
    run_records.record_checks(con, run, [agree], target="criterion_gaps", failing={0: differ})
    fingerprint.record_fingerprint(con, "checks:criterion_gaps", _fingerprint(con))
    return [*(replace(o, failing_index=[]) for o in [*flags, *shape, *marts_shape]), agree]


def carried(con: duckdb.DuckDBPyConnection, run: RunInfo) -> list[Outcome] | None:
    """The previous run's results, recorded again for this run, when criterion_gaps (its
    fingerprint) and the checks are unchanged; None when they must run."""
    current = _fingerprint(con)
    if (current is None
            or current != fingerprint.stored_fingerprint(con, "checks:criterion_gaps")
            or not db.has_table(con, "prev_check_results")):
        return None
    rows = db.fetch_all(
        con,
        "select suite, expectation, column_name, success, observed, description_vi"
        " from prev_check_results where target in ('criterion_gaps', 'marts') order by rowid",
    )
    # GX returns results in its own order: find each one's expectation by type and text
    own = {}
    for suite in SUITES:
        spec = json.loads((EXPECTATIONS_DIR / f"{suite}.json").read_text(encoding="utf-8"))
        own |= {(suite, e["type"], (e.get("meta") or {}).get("vi")): e
                for e in spec["expectations"]}
    if len(rows) != len(own) + 1:  # the suites' results, then the agreement with SQL
        return None
    con.execute(
        "insert into check_results select ?, suite, target, expectation, column_name, success,"
        " n_failing, failing, observed, description_vi from prev_check_results"
        " where target in ('criterion_gaps', 'marts') order by rowid",
        [run.run_id],
    )
    outcomes = []
    for suite, expectation, column, success, observed, vi in rows:
        e = own.get((suite, expectation, vi), {})
        outcomes.append(Outcome(
            suite=suite, expectation=expectation,
            kwargs=dict(e.get("kwargs") or ({"column": column} if column else {})),
            meta=dict(e.get("meta") or ({"vi": vi} if vi else {})),
            success=success, observed=observed,
        ))
    return outcomes


def _fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    """What the checks' results depend on: criterion_gaps (as it was built), the other marts
    (their profile, a few rows computed in SQL every run: deadline_watch changes with the
    date, its shape rarely), and the checks' code."""
    mart = fingerprint.stored_fingerprint(con, "criterion_gaps")
    if mart is None:
        return None
    models.run_model(con, MARTS_MODEL, "marts_profile", temp=True)
    profile = fingerprint.table_fingerprint(con, "marts_profile")
    return fingerprint.digest(mart, profile, fingerprint.source_fingerprint(CODE))


@contextmanager
def _frame_rows(con: duckdb.DuckDBPyConnection, name: str, rows: list[int]) -> Iterator[None]:
    """Frame rows GX named (positions in a frame: its table's check_row), as relation
    `name`(check_row)."""
    import numpy as np
    import pandas as pd

    con.register(name, pd.DataFrame({"check_row": np.asarray(rows, dtype="int64")}))
    try:
        yield
    finally:
        con.unregister(name)


def _failing_keys(
    con: duckdb.DuckDBPyConnection, table: str, key: str, rows: list[int]
) -> FailingKeys:
    """The keys (`key`, a JSON array of columns) of frame rows `rows` of `table` (gap_targets
    or gap_profile, numbered by check_row), as a JSON array made by DuckDB."""
    with _frame_rows(con, "gx_failing", rows):
        n, text = db.fetch_all(
            con,
            f"select count(*), to_json(coalesce(list({key} order by check_row), []))::varchar"
            f" from {table} semi join gx_failing using (check_row)",
        )[0]
    return FailingKeys(n, text)


def _agreement(con: duckdb.DuckDBPyConnection, flagged: list[int]) -> tuple[Outcome, FailingKeys]:
    """Do GX's flagged rows name exactly the criteria SQL marks missed or at_risk? The
    criteria where they differ, either way."""
    with _frame_rows(con, "gx_flagged", flagged):
        n_flagged, n_sql, n_differ, text = db.fetch_all(con, f"""
            with flagged as (
                select index_name, appendix, unit_code, criterion_code
                from gap_targets semi join gx_flagged using (check_row)
            ),
            off_track as (
                select index_name, appendix, unit_code, criterion_code
                from criterion_gaps where status in ('missed', 'at_risk')
            ),
            differ as (
                (select * from flagged except select * from off_track)
                union all
                (select * from off_track except select * from flagged)
            )
            select (select count(*) from flagged), (select count(*) from off_track),
                count(*), to_json(coalesce(list({KEY} order by {ORDER}), []))::varchar
            from differ""")[0]
    agree = Outcome(
        suite=TARGET_SUITE, expectation=AGREEMENT, kwargs={},
        meta={"vi": "Các tiêu chí GX gắn cờ trùng khớp với trạng thái missed/at_risk"},
        success=n_differ == 0, observed=f"{n_flagged} flagged, {n_sql} in SQL",
    )
    return agree, FailingKeys(n_differ, text)
