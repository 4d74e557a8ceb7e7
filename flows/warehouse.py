"""The DuckDB side of a run: a new database file is built beside the published one, the SQL
models in sql/ run inside it in a fixed order, and publishing swaps it in atomically.

Analysts hold the published file open read-only at any time: the build never touches it,
and os.replace() gives them either the old file or the new one, never a half-built state.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import yaml

from flows import sqlquote
from flows.extract_kinds import TABLE_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "sql"
REFERENCE_DIR = ROOT / "data" / "reference"

# The models, in the order they run; each file is one SELECT, materialised as a table of
# the file's name. Read them top to bottom to follow the data.
MODELS: tuple[str, ...] = (
    "staging/stg_par__scores",
    "staging/stg_sipas__answers",
    "staging/stg_sipas__criteria",
    "staging/stg_sipas__rates",
    "staging/stg_papi__scores",
    "intermediate/int_par__tree",
    "intermediate/int_sipas__rates",
    "intermediate/int_papi__scores",
    "intermediate/int_means__by_year_code",
    "intermediate/int_papi__ranks",
    "intermediate/int_par__targets",
    "intermediate/int_sipas__targets",
    "intermediate/int_papi__targets",
    "intermediate/int_targets__unioned",
    "intermediate/int_criteria__owners",
    "marts/criterion_gaps",
    "marts/gap_history",
    "marts/rank_targets",
)

# Tables a run carries over from the published database into the one it builds.
CARRIED_TABLES = ("runs", "gap_history")

# Per-extract input checks: the problems model of each raw table, then the shared profile.
PROBLEM_MODELS = {table: f"checks/chk_{table}__problems" for table in TABLE_COLUMNS}
PROFILE_MODEL = "checks/chk_incoming__profile"


def read_sql(model: str) -> str:
    return (SQL_DIR / f"{model}.sql").read_text(encoding="utf-8")


def model_table(model: str) -> str:
    return model.rsplit("/", 1)[-1]


def fetch_all(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list:
    """Run a query and fetch every row (DuckDB 2 refuses new work while a result is open)."""
    return con.execute(sql, params or []).fetchall()


def insert_many(con: duckdb.DuckDBPyConnection, sql: str, rows: list[list]) -> None:
    """executemany that accepts an empty list (DuckDB refuses one)."""
    if rows:
        con.executemany(sql, rows)


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the SQL macros (sql/macros/*.sql) on a connection."""
    for path in sorted((SQL_DIR / "macros").glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Empty raw_<table> tables, one per extract table kind; readers append to them."""
    for table, columns in TABLE_COLUMNS.items():
        cols = ", ".join(f"{c} varchar" for c in columns)
        con.execute(
            f"create table if not exists raw_{table} ({cols}, source_file varchar,"
            " source_sheet varchar, source_sha256 varchar, source_row integer)"
        )


def load_reference(con: duckdb.DuckDBPyConnection) -> None:
    """Reference tables shipped with chiso (PAPI code names)."""
    con.execute(
        "create or replace table ref_papi_codes as select * from read_csv(?, header = true,"
        " all_varchar = true)",
        [str(REFERENCE_DIR / "papi_codes.csv")],
    )


def run_model(
    con: duckdb.DuckDBPyConnection, model: str, table: str | None = None, temp: bool = False
) -> None:
    """Materialise one model as a table (by default named after its file)."""
    table = table or model_table(model)
    kind = "temp table" if temp else "table"
    con.execute(f"create or replace {kind} {sqlquote.identifier(table)} as\n{read_sql(model)}")


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


def run_models(con: duckdb.DuckDBPyConnection) -> None:
    """Build every model, in order, then document the marts' columns."""
    ensure_history_inputs(con)
    for model in MODELS:
        run_model(con, model)
    apply_comments(con)


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


class Build:
    """A database being built for one run, in a new file beside the published one."""

    def __init__(self, published: Path, run_id: str):
        self.published = published
        self.path = published.with_name(f".{published.name}.build-{run_id}")
        published.parent.mkdir(parents=True, exist_ok=True)
        self.remove_leftovers(published)
        self.con = duckdb.connect(str(self.path))
        install_macros(self.con)
        create_raw_tables(self.con)
        load_reference(self.con)
        self.carry_over()

    def carry_over(self) -> None:
        """Copy what must outlive a run (run log, gap history) from the published file.

        The published file is attached read-only: analysts reading it at the same time are
        fine, since DuckDB lets any number of read-only openers share a file.
        """
        if not self.published.exists():
            return
        self.con.execute(f"attach {sqlquote.literal(str(self.published))} as published (read_only)")
        try:
            present = {
                r[0] for r in fetch_all(
                    self.con,
                    "select table_name from duckdb_tables() where database_name = 'published'",
                )
            }
            for table in CARRIED_TABLES:
                if table in present:
                    target = "prev_gap_history" if table == "gap_history" else table
                    self.con.execute(
                        f"create table {target} as select * from published.{table}"
                    )
        finally:
            self.con.execute("detach published")

    @staticmethod
    def remove_leftovers(published: Path) -> None:
        """Delete build files left by killed runs (the caller holds the run lock)."""
        for stale in published.parent.glob(f".{published.name}.build-*"):
            stale.unlink(missing_ok=True)

    def publish(self) -> None:
        """Swap the built file in place of the published one, atomically."""
        self.con.execute("checkpoint")
        self.con.close()
        with open(self.path, "rb") as f:
            os.fsync(f.fileno())
        os.replace(self.path, self.published)
        dir_fd = os.open(self.published.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def discard(self) -> None:
        """Drop the build; the published file stays as it was."""
        try:
            self.con.close()
        except duckdb.Error:
            pass
        for leftover in (self.path, self.path.with_name(self.path.name + ".wal")):
            leftover.unlink(missing_ok=True)
