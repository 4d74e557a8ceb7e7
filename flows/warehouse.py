"""The DuckDB side of a run: a new database file is built beside the published one, the SQL
models in sql/ run inside it in a fixed order, and publishing swaps it in atomically.

Analysts hold the published file open read-only at any time: the build never touches it,
and os.replace() gives them either the old file or the new one, never a half-built state.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import duckdb
import yaml

from flows import faults, sqlquote
from flows.extract_kinds import KINDS, TABLE_COLUMNS

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

# A build starts as a copy of the published file (Build). What it keeps from it: the run log,
# the raw rows and model tables (reused when unchanged, see run_models and flows/carry.py),
# their fingerprints; and, renamed, what the previous run recorded that this one reads.
KEPT_TABLES = ("runs", "build_fingerprints")
RENAMED_TABLES = {
    "gap_history": "prev_gap_history",
    "extracts": "prev_extracts",
    "extract_problems": "prev_extract_problems",
    "check_results": "prev_check_results",
    "extract_replacements": "prev_extract_replacements",
}
# A history model reads its previous self (renamed, above) and the run's date; it is kept as
# published when what else it reads is unchanged (run_models).
HISTORIES = {table: RENAMED_TABLES[table] for table in ("gap_history",)}

# What decides how an extract becomes raw rows: when any of it changes, every extract is read
# again instead of being carried over.
INGEST_SOURCES = (
    "flows/readers.py", "flows/extract_kinds.py", "flows/ingest.py", "flows/vietnamese.py",
    "flows/checks.py", "sql/checks/chk_*__problems.sql", "sql/checks/chk_incoming__*.sql",
    "sql/checks/input_rules.csv", "sql/macros/*.sql",
    "data/reference/*",
)
# A model reading one of these is rebuilt every run.
VOLATILE = re.compile(
    r"\b(current_date|current_timestamp|(now|today|random|uuid|gen_random_uuid)\s*\()", re.I
)
FINGERPRINTED_ROWS = 10_000  # inputs larger than this (not raw, not models) are not hashed

# DuckDB's memory in a build (it spills to <build>.tmp/ beyond): by default it takes up to 80 %
# of the machine, and checking ten million SIPAS answers then holds ~3.5 GB. With 1 GB the
# national ingest is ~15 % slower and the run's peak RSS stays near 2 GB (README, Performance).
MEMORY_LIMIT = "1GB"

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
                and known[table] == stored_fingerprint(con, table):
            # nothing it records changed since the run that published it: no row starts or
            # ends, whatever the date, so that history is this run's (the build's copy of it)
            con.execute(f"drop table if exists {sqlquote.identifier(table)}")
            con.execute(f"alter table {previous} rename to {sqlquote.identifier(table)}")
        elif (known[table] is None or table in VIEWS or not has_table(con, table)
                or known[table] != stored_fingerprint(con, table)):
            run_model(con, model)
            record_fingerprint(con, table, known[table])
    apply_comments(con)


# --- fingerprints: what a table was built from ---------------------------------------------

def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode("utf-8")).hexdigest()


def has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(fetch_all(
        con, "select 1 from duckdb_tables() where table_name = ? and database_name ="
        " current_database() and schema_name = 'main'", [table],
    ))


def stored_fingerprint(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    if not has_table(con, "build_fingerprints"):
        return None
    rows = fetch_all(con, "select fingerprint from build_fingerprints where name = ?", [name])
    return rows[0][0] if rows else None


def record_fingerprint(con: duckdb.DuckDBPyConnection, name: str, fingerprint: str | None) -> None:
    con.execute("create table if not exists build_fingerprints (name varchar primary key,"
                " fingerprint varchar)")
    con.execute("insert or replace into build_fingerprints values (?, ?)", [name, fingerprint])


def source_fingerprint(patterns: tuple[str, ...]) -> str:
    """The files matching `patterns` under the project root, and DuckDB's version."""
    digest = hashlib.sha256(duckdb.__version__.encode())
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def ingest_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """The code that turns extracts into raw rows, and the plan's encodings (how files decode)."""
    encodings = table_fingerprint(con, "plan_encodings") if has_table(con, "plan_encodings") \
        else None
    return _digest(source_fingerprint(INGEST_SOURCES), encodings)


def table_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """A small table's content; None for a large one (its readers are always rebuilt)."""
    name = sqlquote.identifier(table)
    if fetch_all(con, f"select count(*) from {name}")[0][0] > FINGERPRINTED_ROWS:
        return None
    return _digest([repr(r) for r in fetch_all(con, f"select * from {name} order by all")])


def raw_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A raw table's content: the extracts (name, sheet, sha256) this run loaded into it, and
    the code that read them. Only ingest writes raw tables in a run's build."""
    kinds = [k.name for k in KINDS if k.table == table]
    loaded = fetch_all(
        con,
        "select file, sheet, sha256 from extracts where status = 'loaded'"
        " and list_contains(?, kind) order by all",
        [kinds],
    )
    return _digest(ingest_fingerprint(con), loaded)


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
            inputs[table] = raw_fingerprint(con, table.removeprefix("raw_"))
        elif has_table(con, table):
            inputs[table] = table_fingerprint(con, table)
        else:
            inputs[table] = None
        if inputs[table] is None:
            return None
    return _digest(source_fingerprint(("sql/macros/*.sql",)), sql, inputs)


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
        if published.exists():
            # The kernel copies the file (analysts reading it are fine: the copy only reads);
            # raw rows and models come along without being read, and are reused if unchanged.
            shutil.copyfile(published, self.path)
        self.con = duckdb.connect(str(self.path))
        self.con.execute(f"set memory_limit = {sqlquote.literal(MEMORY_LIMIT)}")
        self.prune()
        install_macros(self.con)
        create_raw_tables(self.con)
        load_reference(self.con)

    def prune(self) -> None:
        """Of the copied file keep raw tables, models, KEPT_TABLES and RENAMED_TABLES (renamed);
        drop the rest (views, the plan's tables, what this run records afresh)."""
        for (view,) in fetch_all(
            self.con, "select view_name from duckdb_views() where not internal"
            " and database_name = current_database() and schema_name = 'main'",
        ):
            self.con.execute(f"drop view {sqlquote.identifier(view)}")
        tables = {r[0] for r in fetch_all(
            self.con, "select table_name from duckdb_tables() where not temporary"
            " and database_name = current_database() and schema_name = 'main'",
        )}
        kept = {*KEPT_TABLES, *RENAMED_TABLES, *(model_table(m) for m in MODELS)}
        kept |= {t for t in tables if t.startswith("raw_")}
        for table in sorted(tables - kept):
            self.con.execute(f"drop table {sqlquote.identifier(table)}")
        for old, new in RENAMED_TABLES.items():
            if old in tables:
                self.con.execute(f"alter table {old} rename to {new}")

    def forget(self, file: str) -> None:
        """Delete the raw rows a previous run loaded from this file (it is about to be read)."""
        for table in TABLE_COLUMNS:
            self.con.execute(f"delete from raw_{table} where source_file = ?", [file])

    def settle(self) -> None:
        """Once every extract is in: forget the files the previous run loaded that this one
        did not see, and note the code that read them."""
        if has_table(self.con, "prev_extracts"):
            gone = fetch_all(
                self.con,
                "select distinct file from prev_extracts where status = 'loaded'"
                " and file not in (select file from extracts)",
            )
            for (file,) in gone:
                self.forget(file)
        record_fingerprint(self.con, "ingest", ingest_fingerprint(self.con))

    @staticmethod
    def remove_leftovers(published: Path) -> None:
        """Delete build files left by killed runs (the caller holds the run lock)."""
        for stale in published.parent.glob(f".{published.name}.build-*"):
            if stale.is_dir():  # DuckDB's spill folder, <build>.tmp
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)

    def publish(self) -> None:
        """Swap the built file in place of the published one, atomically."""
        for table in RENAMED_TABLES.values():  # the previous run's records, read by this one
            self.con.execute(f"drop table if exists {table}")
        self.con.execute("checkpoint")
        self.con.close()
        with open(self.path, "rb") as f:
            os.fsync(f.fileno())
        faults.point("swap")
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
        shutil.rmtree(self.path.with_name(self.path.name + ".tmp"), ignore_errors=True)
