"""The SQL models in sql/, the order they run in, and running them into a database."""

from __future__ import annotations

import json
import re

import duckdb
import yaml

from flows.intake.kinds import TABLE_COLUMNS
from flows.warehouse import fingerprint, sqlquote
from flows.warehouse.db import SQL_DIR, fetch_all, has_table

# The models, in the order they run; each file is one SELECT, materialised as a table of
# the file's name. Read them top to bottom to follow the data.
MODELS: tuple[str, ...] = (
    "staging/stg_par__scores",
    "staging/stg_sipas__answers",
    "staging/stg_sipas__criteria",
    "staging/stg_sipas__rates",
    "staging/stg_papi__scores",
    "staging/stg_evidence__register",
    "staging/stg_survey__participation",
    "staging/stg_index__results",
    "intermediate/int_par__tree",
    "intermediate/int_par__evidence",
    "intermediate/int_sipas__rates",
    "intermediate/int_papi__scores",
    "intermediate/int_means__by_year_code",
    "intermediate/int_papi__ranks",
    "intermediate/int_index__ranks",
    "intermediate/int_par__targets",
    "intermediate/int_sipas__targets",
    "intermediate/int_papi__targets",
    "intermediate/int_targets__unioned",
    "intermediate/int_criteria__owners",
    "marts/criterion_gaps",
    "marts/gap_history",
    "marts/rank_targets",
    "marts/participation_targets",
    "marts/deadline_watch",
)


# Models kept as views, not tables (analysts query them all the same): staging over the bulk
# raw tables, read once downstream, so ten million typed rows are not written a second time;
# and the per-criterion steps between int_par__tree and criterion_gaps, which DuckDB then runs
# as one query instead of writing ~600 k rows at each step (national: 9.1 s -> 6.4 s for the
# models). A view is rebuilt every run; criterion_gaps is still kept when its inputs are.
VIEWS = frozenset({
    "stg_sipas__answers", "stg_par__scores", "int_par__targets", "int_sipas__targets",
    "int_papi__targets", "int_targets__unioned", "int_criteria__owners",
})


# A history model reads its previous self (renamed, above) and the run's date; it is kept as
# published when what else it reads is unchanged (run_models).
HISTORIES = {"gap_history": "prev_gap_history"}


# A model reading one of these is rebuilt every run.
VOLATILE = re.compile(
    r"\b(current_date|current_timestamp|(now|today|random|uuid|gen_random_uuid)\s*\()", re.I
)


# Per-extract input checks: the problems model of each raw table, then the shared profile.
PROBLEM_MODELS = {table: f"checks/chk_{table}__problems" for table in TABLE_COLUMNS}


PROFILE_MODEL = "checks/chk_incoming__profile"


def read_sql(model: str) -> str:
    return (SQL_DIR / f"{model}.sql").read_text(encoding="utf-8")


def model_table(model: str) -> str:
    return model.rsplit("/", 1)[-1]


def run_model(
    con: duckdb.DuckDBPyConnection, model: str, table: str | None = None, temp: bool = False
) -> None:
    """Materialise one model as a table (by default named after its file), or a view (VIEWS)."""
    table = table or model_table(model)
    name = sqlquote.identifier(table)
    if not temp and table in VIEWS:
        if has_table(con, table):  # a table of that name, from an older build
            con.execute(f"drop table {name}")
        con.execute(f"create or replace view {name} as\n{read_sql(model)}")
        return
    kind = "temp table" if temp else "table"
    if not temp and fetch_all(
        con, "select 1 from duckdb_views() where view_name = ? and not internal"
        " and database_name = current_database() and schema_name = 'main'", [table],
    ):
        con.execute(f"drop view {name}")
    con.execute(f"create or replace {kind} {name} as\n{read_sql(model)}")


def ensure_history_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """gap_history reads the previously published history and the run's as-of date; a first
    run (or a model test) starts from an empty history and today's date."""
    con.execute(
        """create table if not exists prev_gap_history (
            index_name varchar, appendix integer, unit_code varchar, criterion_code varchar,
            valid_from date, valid_to date, baseline_value decimal(20, 8),
            target_value decimal(20, 8), current_value decimal(20, 8), current_stage varchar,
            gap decimal(20, 8), status varchar)"""
    )
    con.execute(
        "create table if not exists current_run as"
        " select null::varchar as run_id, current_date as as_of_date"
    )


def run_models(con: duckdb.DuckDBPyConnection, reuse: bool = False) -> None:
    """Build every model, in order, then document the marts' columns.

    With `reuse` (a run's build, whose raw tables only ingest writes), a model table whose
    fingerprint (its SQL, the macros, and the fingerprints of what it reads) is the one stored
    when it was built is kept as it is: an unchanged night re-reads no raw row.
    """
    ensure_history_inputs(con)
    known: dict[str, str | None] = {}
    for model in MODELS:
        table = model_table(model)
        if not reuse:
            run_model(con, model)
            continue
        previous = HISTORIES.get(table)
        known[table] = model_fingerprint(
            con, model, known, ignore={previous, "current_run"} if previous else set()
        )
        if previous and known[table] is not None and has_table(con, previous) \
                and known[table] == fingerprint.stored_fingerprint(con, table):
            # nothing it records changed since the run that published it: no row starts or
            # ends, whatever the date, so that history is this run's (the build's copy of it)
            con.execute(f"drop table if exists {sqlquote.identifier(table)}")
            con.execute(f"alter table {previous} rename to {sqlquote.identifier(table)}")
        elif (known[table] is None or table in VIEWS or not has_table(con, table)
                or known[table] != fingerprint.stored_fingerprint(con, table)):
            run_model(con, model)
            fingerprint.record_fingerprint(con, table, known[table])
    apply_comments(con)


def tables_read(con: duckdb.DuckDBPyConnection, sql: str) -> set[str]:
    """The tables a SELECT reads, from DuckDB's parse tree (no binding: its inputs may not
    exist yet); names of its CTEs are not tables."""
    tree = json.loads(fetch_all(con, "select json_serialize_sql(?)", [sql])[0][0])
    tables, ctes = set(), set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "BASE_TABLE" and "table_name" in node:
                tables.add(node["table_name"])
            for entry in (node.get("cte_map") or {}).get("map", []):
                ctes.add(entry["key"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree)
    return tables - ctes


def apply_comments(con: duckdb.DuckDBPyConnection) -> None:
    """COMMENT ON the marts from the YAML beside each (COMMENT ON takes no bound parameters)."""
    for doc in sorted((SQL_DIR / "marts").glob("*.yml")):
        spec = yaml.safe_load(doc.read_text(encoding="utf-8"))
        table = sqlquote.identifier(doc.stem)
        con.execute(f"comment on table {table} is {sqlquote.literal(spec['table'])}")
        for column, text in spec["columns"].items():
            con.execute(
                f"comment on column {table}.{sqlquote.identifier(column)}"
                f" is {sqlquote.literal(text)}"
            )


def model_fingerprint(
    con: duckdb.DuckDBPyConnection, model: str, known: dict[str, str | None],
    ignore: set[str] = frozenset(),
) -> str | None:
    """A model's SQL, the macros, and the fingerprints of the tables it reads, but `ignore`
    (None: rebuild)."""
    sql = read_sql(model)
    if VOLATILE.search(sql):
        return None
    inputs = {}
    for table in sorted(tables_read(con, sql) - ignore):
        if table in known:
            inputs[table] = known[table]
        elif table.startswith("raw_") and table.removeprefix("raw_") in TABLE_COLUMNS:
            inputs[table] = fingerprint.raw_fingerprint(con, table.removeprefix("raw_"))
        elif has_table(con, table):
            inputs[table] = fingerprint.table_fingerprint(con, table)
        else:
            inputs[table] = None
        if inputs[table] is None:
            return None
    return fingerprint._digest(fingerprint.source_fingerprint(("sql/macros/*.sql",)), sql, inputs)
