"""Nothing unchanged is read twice: an extract whose bytes (sha256) and name are those of one the
previous published run took in, read by the same code, keeps that run's outcome and raw rows.

A build starts as a copy of the published file (flows/warehouse/build.py), so the raw rows of
the previous run are already in it; the previous run's records of its extracts are kept there
as prev_extracts, prev_extract_problems and prev_check_results until the extracts are settled.
What the new run did not load again (a file changed, gone, or now rejected) is then deleted.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from flows.checks.gx import Outcome
from flows.errors import Problem
from flows.intake import readers
from flows.intake.ingest import ExtractOutcome, PartOutcome
from flows.intake.kinds import KINDS_BY_NAME
from flows.warehouse import db, fingerprint


def unchanged(
    con: duckdb.DuckDBPyConnection, path: Path, name: str, sha256: str | None = None
) -> ExtractOutcome | None:
    """The previous run's outcome for this file, when the file and the code reading it are
    unchanged; None when the file must be read. A file whose rows a newer file replaced in
    the previous run is read again: those rows are no longer in the build."""
    if not db.has_table(con, "prev_extracts"):
        return None
    if fingerprint.stored_fingerprint(con, "ingest") != fingerprint.ingest_fingerprint(con):
        return None
    if db.has_table(con, "prev_extract_replacements") and db.fetch_all(
        con, "select 1 from prev_extract_replacements where replaced_file = ? limit 1", [name]
    ):
        return None
    sha256 = sha256 or readers.sha256_of(path)
    rows = db.fetch_all(
        con,
        "select sheet, kind, n_rows, status, message, warnings from prev_extracts"
        " where file = ? and sha256 = ? order by rowid",
        [name, sha256],
    )
    if not rows:
        return None
    status, message, warnings = rows[0][3], rows[0][4], rows[0][5]
    outcome = ExtractOutcome(
        file=name, sha256=sha256, status=status, message=message or "",
        warnings=[warnings] if warnings else [],
        parts=[PartOutcome(sheet, kind, KINDS_BY_NAME[kind].table, n_rows)
               for sheet, kind, n_rows, *_ in rows if kind is not None],
    )
    outcome.problems = [
        Problem(file=f, sheet=s, row=r, column=c, value=v, kind=k, expected=e)
        for f, s, r, c, v, k, e in db.fetch_all(
            con,
            "select file, sheet, row_number, column_name, value, problem, expected"
            " from prev_extract_problems where file = ? order by rowid",
            [name],
        )
    ]
    outcome.checks = [
        Outcome(suite=suite, expectation=expectation,
                kwargs={"column": column} if column else {},
                meta={"vi": vi} if vi else {}, success=success,
                failing_index=json.loads(failing) if failing else [], observed=observed)
        for suite, expectation, column, success, failing, observed, vi in db.fetch_all(
            con,
            "select suite, expectation, column_name, success, failing, observed, description_vi"
            " from prev_check_results where target = ? order by rowid",
            [name],
        )
    ]
    return outcome
