"""A chain of plan years in one database (plan key `continues`): a run evaluates every plan of
the chain, oldest first, then the plan it runs, with the same extracts and SQL models; every
mart row carries its plan's `plan_id`.

How, so that the models only ever see one plan:
- before the models run, the marts keep only the running plan's rows (what the last run
  published for it; they are reused when nothing changed);
- each continued plan: its plan_* tables, the models, then its mart rows are set aside
  (`chain__<mart>`) and its periods of gap_history become the history the next plan starts
  from (gap_history keeps other plans' rows as they are);
- the running plan: its plan_* tables and the models, as a run without a chain; the target
  checks, the summary and the presentation marts (rpt_*) are its own;
- `append_continued`, just before publishing: the continued plans' rows go into the marts.

Readers of the published file that want one plan filter on plan_id (the running plan's is
in plan_settings)."""

from __future__ import annotations

import duckdb

from flows.plan import Plan, write_plan_tables
from flows.warehouse import models, sqlquote
from flows.warehouse.db import fetch_all, has_table

SET_ASIDE = "chain__"


def plan_marts() -> list[str]:
    """The marts built as tables, each row with its plan_id (gap_history, a history, apart)."""
    return [m.name for m in models.run_order()
            if m.layer == "marts" and m.materialized == "table" and not m.history]


def run(
    con: duckdb.DuckDBPyConnection, plan: Plan, continued: list[Plan], reuse: bool = True
) -> None:
    """Build every model for each plan of the chain (`continued`, oldest first), then for
    `plan`; the continued plans' mart rows wait in chain__<mart> for append_continued.
    `reuse`: as models.run_models (a run's build reuses what did not change)."""
    marts = plan_marts()
    for mart in marts:
        if has_table(con, mart):  # what a previous run published for other plans
            con.execute(f"delete from {sqlquote.identifier(mart)} where plan_id is distinct"
                        " from ?", [plan.id])
        con.execute(f"drop table if exists {sqlquote.identifier(SET_ASIDE + mart)}")
    for earlier in continued:
        write_plan_tables(con, earlier)
        models.run_models(con, reuse=reuse)
        for mart in marts:
            aside, name = sqlquote.identifier(SET_ASIDE + mart), sqlquote.identifier(mart)
            if has_table(con, SET_ASIDE + mart):
                con.execute(f"insert into {aside} by name select * from {name}")
            else:
                con.execute(f"create table {aside} as select * from {name}")
        # the history as it stands after this plan: what the next plan's build starts from
        con.execute("create or replace table prev_gap_history as select * from gap_history")
    if continued:
        write_plan_tables(con, plan)
    models.run_models(con, reuse=reuse)


def append_continued(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """Put the continued plans' rows (set aside by `run`) into the marts; (plan_id, rows in
    criterion_gaps) per continued plan."""
    appended = []
    if has_table(con, SET_ASIDE + "criterion_gaps"):
        appended = fetch_all(con, f"select plan_id, count(*) from {SET_ASIDE}criterion_gaps"
                                  " group by all order by all")
    for mart in plan_marts():
        aside = SET_ASIDE + mart
        if has_table(con, aside):
            con.execute(f"insert into {sqlquote.identifier(mart)} by name"
                        f" select * from {sqlquote.identifier(aside)}")
            con.execute(f"drop table {sqlquote.identifier(aside)}")
    return appended
