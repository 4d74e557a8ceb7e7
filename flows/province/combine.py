"""The province file: every plan's marts in one DuckDB file, each row with its plan_id, and the
province marts (sql/province/rpt_province__*.sql) the overview reads. Built beside the published
file and renamed over it (readers are never blocked; a crash leaves the last one as it was).

What a plan brings is its last published file: a plan whose run failed tonight keeps the rows it
last published, marked stale with the time of that run (province_plans.status). The file's own
history (province_runs, province_history) is carried over from the previous province file, so
the overview can say what changed since the previous province run."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from flows.paths import ROOT
from flows.warehouse import chain, models, sqlquote
from flows.warehouse.db import fetch_all, insert_many, install_macros

PROVINCE_SQL = ROOT / "sql" / "province"
# what each plan's file brings (besides the marts): its settings and deadlines
CARRIED = ("plan_settings", "gap_history")
HISTORY_TABLES = ("province_runs", "province_history")
# what the province marts read, when no plan has a published file yet (every run failed)
EMPTY = {
    "criterion_gaps": "plan_id varchar, index_name varchar, appendix integer, unit_code varchar,"
    " criterion_code varchar, status varchar, evidence_missing boolean, gap decimal(20, 8),"
    " relative_gap double, index_order integer, code_order integer[]",
    "participation_targets": "plan_id varchar, year integer, status varchar",
    "deadline_watch": "plan_id varchar, pos integer, label varchar, ends date,"
    " days_left integer, phase varchar",
    "plan_settings": "plan_id varchar, target_year integer",
}


@dataclass
class PlanState:
    """One plan of the province run: what happened to it tonight."""

    plan_id: str
    title: str
    plan_file: str
    status: str  # published, stale (failed tonight; its last file stays), failed, invalid
    message: str | None  # Vietnamese, when not published
    db: Path | None  # its published file, if any


def build(published: Path, run_id: str, started_at: dt.datetime, province: str,
          states: list[PlanState], unrouted: list[tuple[str, str]],
          office: dict[str, str] | None = None) -> Path:
    path = published.with_name(f".{published.name}.build-{run_id}")
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        install_macros(con)
        _carry_history(con, published)
        files = [(i, s) for i, s in enumerate(states) if s.db is not None and s.db.exists()]
        for i, s in files:
            con.execute(f"attach {sqlquote.literal(str(s.db))} as p{i} (read_only)")
        _union(con, files)
        con.execute("""create table province_plans (plan_id varchar, title varchar,
            plan_file varchar, status varchar, message varchar, db_file varchar,
            published_at timestamptz)""")
        published_at = {i: _published_at(con, i) for i, _ in files}
        _rejected(con, files)
        insert_many(con, "insert into province_plans values (?, ?, ?, ?, ?, ?, ?)", [
            [s.plan_id, s.title, s.plan_file, s.status, s.message,
             str(s.db) if i in published_at else None, published_at.get(i)]
            for i, s in enumerate(states)])
        con.execute("create table province_unrouted (file varchar, reason varchar)")
        insert_many(con, "insert into province_unrouted values (?, ?)", [list(u) for u in unrouted])
        con.execute("create table province_run as select ?::varchar as run_id,"
                    " ?::timestamptz as started_at, ?::varchar as province,"
                    " ?::varchar as office_name, ?::varchar as office_email",
                    [run_id, started_at, province, (office or {}).get("name"),
                     (office or {}).get("email")])
        for i, _ in files:
            con.execute(f"detach p{i}")
        for sql_path in sorted(PROVINCE_SQL.glob("*.sql")):
            sql = models.render_sql(sql_path.read_text(encoding="utf-8"))
            con.execute(f"create table {sqlquote.identifier(sql_path.stem)} as\n{sql}")
        _record_history(con, run_id, started_at)
        con.close()
    except BaseException:
        con.close()
        path.unlink(missing_ok=True)
        raise
    os.replace(path, published)
    return published


def _carry_history(con: duckdb.DuckDBPyConnection, published: Path) -> None:
    con.execute("""create table province_runs (run_id varchar, started_at timestamptz,
        finished_at timestamptz, n_plans integer, n_published integer, n_stale integer,
        n_failed integer)""")
    con.execute("""create table province_history (run_id varchar, started_at timestamptz,
        plan_id varchar, status varchar, n_off_track integer, n_missed integer,
        n_at_risk integer)""")
    if not published.exists():
        return
    con.execute(f"attach {sqlquote.literal(str(published))} as previous (read_only)")
    for table in HISTORY_TABLES:
        if fetch_all(con, "select 1 from duckdb_tables() where database_name = 'previous'"
                          " and table_name = ?", [table]):
            con.execute(f"insert into {table} by name select * from previous.{table}")
    con.execute("detach previous")


def _union(con: duckdb.DuckDBPyConnection, files: list[tuple[int, object]]) -> None:
    """Every plan's marts, one table each, rows by name (plans published by older or newer
    builds may differ by a column)."""
    for table in [*chain.plan_marts(), *CARRIED]:
        have = [i for i, _ in files if fetch_all(
            con, "select 1 from duckdb_tables() where database_name = ? and table_name = ?",
            [f"p{i}", table])]
        name = sqlquote.identifier(table)
        if not have:
            if table in EMPTY:
                con.execute(f"create table {name} ({EMPTY[table]})")
            continue
        con.execute(f"create table {name} as " + " union all by name ".join(
            f"select * from p{i}.{name}" for i in have))


def _rejected(con: duckdb.DuckDBPyConnection, files: list[tuple[int, PlanState]]) -> None:
    """The extracts each plan's latest run refused, with the message it gave."""
    con.execute("create table plan_rejected (plan_id varchar, file varchar, sheet varchar,"
                " message varchar)")
    for i, s in files:
        tables = {r[0] for r in fetch_all(con, "select table_name from duckdb_tables()"
                                               " where database_name = ?", [f"p{i}"])}
        if not {"runs", "extracts"} <= tables:  # a file from before run records
            continue
        con.execute(f"""insert into plan_rejected
            select ?, file, sheet, message from p{i}.extracts
            where status = 'rejected' and run_id = (
                select run_id from p{i}.runs order by started_at desc limit 1)
            order by file, sheet""", [s.plan_id])


def _published_at(con: duckdb.DuckDBPyConnection, i: int) -> dt.datetime | None:
    """When the plan's file was last published: its latest run's end."""
    if not fetch_all(con, "select 1 from duckdb_tables() where database_name = ?"
                          " and table_name = 'runs'", [f"p{i}"]):
        return None
    return fetch_all(con, f"select max(finished_at) from p{i}.runs")[0][0]


def _record_history(con: duckdb.DuckDBPyConnection, run_id: str, started: dt.datetime) -> None:
    con.execute("""insert into province_history
        select ?, ?, plan_id, status, n_off_track, n_missed, n_at_risk
        from rpt_province__plans""", [run_id, started])
    con.execute("""insert into province_runs
        select run_id, started_at, now(), n_plans, n_published, n_stale, n_failed
        from rpt_province__standing""")
