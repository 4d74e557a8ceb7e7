"""Test helpers: build a published database from an inbox without starting Prefect, by calling
each task's plain function in the order the nightly flow does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from flows import nightly
from flows.warehouse import models, run_records
from flows.warehouse.db import install_macros


def build_db(db: Path, inbox: Path, plan_path: Path, when: dt.datetime | None = None):
    """Ingest, transform, check and publish like the flow does; return (summary, plan, run)."""
    from flows.documents.summary import collect_summary

    run = run_records.new_run(str(inbox), str(plan_path), str(db))
    if when is not None:
        run = run_records.RunInfo(run.run_id, when, run.inbox, run.plan, run.db)
    plan = nightly.read_plan.fn(plan_path)
    taken = nightly.take_extracts.fn(inbox, db)
    build = nightly.open_build.fn(db, run, plan)
    try:
        extracts = [nightly.ingest_extract.fn(build, a, run) for a in taken.arrivals]
        nightly.transform.fn(build, run, taken.arrivals, plan)
        checks = nightly.check_targets.fn(build, run)
        summary = collect_summary(build.con, run, plan, extracts, checks, taken.deferred)
        nightly.publish.fn(build, run, plan_path, taken.arrivals, extracts)
    except BaseException:
        build.discard()
        raise
    return summary, plan, run


def set_par_self_score(inbox: Path, unit: str, year: int, code: str, value: str) -> None:
    """Edit one self-assessed score in the sample PAR extract of an inbox copy."""
    par = inbox / "par_index_stttt.csv"
    lines = par.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        cells = line.split(",")
        if cells[:3] == [unit, str(year), code]:
            cells[5] = value
            lines[i] = ",".join(cells)
    par.write_text("\n".join(lines) + "\n", encoding="utf-8")


def build_reports(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build the presentation marts (sql/reports) whose inputs the database has, by the real
    models: for tests that hand-make or change the marts they read."""
    install_macros(con)
    have = {r[0] for r in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'main' union all"
        " select view_name from duckdb_views() where not internal").fetchall()}
    for m in models.run_order():
        if m.layer == "reports" and m.reads <= have:
            models.run_model(con, m)
            have.add(m.name)
