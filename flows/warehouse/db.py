"""The DuckDB side of chiso, at its plainest: connections' helpers (fetch, insert in bulk, does
a table exist), the SQL macros, the raw tables the readers append to, the reference tables."""

from __future__ import annotations

from pathlib import Path

import duckdb

from flows.intake.kinds import TABLE_COLUMNS
from flows.paths import ROOT

SQL_DIR = ROOT / "sql"
REFERENCE_DIR = ROOT / "data" / "reference"
# the reference tables and their files (data/README.md describes each)
REFERENCE_TABLES = {
    "ref_papi_codes": REFERENCE_DIR / "papi_codes.csv",
    "ref_provinces": REFERENCE_DIR / "provinces.csv",
    "ref_units": REFERENCE_DIR / "units.csv",
    "ref_unit_changes": REFERENCE_DIR / "unit_changes.csv",
}


# DuckDB's memory in a build (it spills to <build>.tmp/ beyond): by default it takes up to 80 %
# of the machine, and checking ten million SIPAS answers then holds ~3.5 GB. With 1 GB the
# national ingest is ~15 % slower and the run's peak RSS stays near 2 GB (README, Performance).
MEMORY_LIMIT = "1GB"


def fetch_all(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list:
    """Run a query and fetch every row (DuckDB 2 refuses new work while a result is open)."""
    return con.execute(sql, params or []).fetchall()


INSERT_CHUNK = 1_000  # rows per INSERT statement


def insert_many(con: duckdb.DuckDBPyConnection, sql: str, rows: list[list]) -> None:
    """Insert rows with `sql` ("insert into t values (?, ...)"), as one statement per thousand
    rows: DuckDB's executemany runs one statement per row (~2 ms each), and refuses no rows."""
    head, sep, row = sql.rpartition(" values ")
    if not sep:
        raise ValueError(f"not an INSERT ... VALUES statement: {sql}")
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start:start + INSERT_CHUNK]
        con.execute(f"{head} values " + ", ".join([row] * len(chunk)),
                    [value for r in chunk for value in r])


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the SQL macros (sql/macros/*.sql) on a connection. A macro may use another: one
    that names a macro not created yet waits for the next pass."""
    waiting = sorted((SQL_DIR / "macros").glob("*.sql"))
    while waiting:
        failed: list[tuple[Path, duckdb.Error]] = []
        for path in waiting:
            try:
                con.execute(path.read_text(encoding="utf-8"))
            except duckdb.CatalogException as exc:
                failed.append((path, exc))
        if len(failed) == len(waiting):
            raise failed[0][1]
        waiting = [path for path, _ in failed]


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Empty raw_<table> tables, one per extract table kind; readers append to them."""
    have = {(t, c) for t, c in fetch_all(
        con, "select table_name, column_name from duckdb_columns() where table_name like 'raw_%'"
        " and database_name = current_database() and schema_name = 'main'",
    )}
    for table, columns in TABLE_COLUMNS.items():
        cols = ", ".join(f"{c} varchar" for c in columns)
        con.execute(
            f"create table if not exists raw_{table} ({cols}, source_file varchar,"
            " source_sheet varchar, source_sha256 varchar, source_row integer)"
        )
        existed = any(t == f"raw_{table}" for t, _ in have)
        for column in columns:  # a column a kind gained since the file was made (empty)
            if existed and (f"raw_{table}", column) not in have:
                con.execute(f"alter table raw_{table} add column {column} varchar")


def load_reference(con: duckdb.DuckDBPyConnection) -> None:
    """Reference tables shipped with chiso: PAPI code names and structure (ref_papi_codes), the
    provinces of each map (ref_provinces)."""
    for table, path in REFERENCE_TABLES.items():
        con.execute(
            f"create or replace table {table} as select * from read_csv(?, header = true,"
            " all_varchar = true)",
            [str(path)],
        )


def has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(fetch_all(
        con, "select 1 from duckdb_tables() where table_name = ? and database_name ="
        " current_database() and schema_name = 'main'", [table],
    ))
