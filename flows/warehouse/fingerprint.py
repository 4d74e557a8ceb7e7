"""What a table was built from, as one number; when it is the number stored when the table was
built (`build_fingerprints`), the table is kept as it is instead of being built again.

One rule, wherever chiso asks "unchanged since the last run?":

- an extract: its sha256 (the inbox's hash cache keeps it with the file's identity) and the
  version of the reader: the code that turns files into raw rows and the plan's encodings
  (`reader_version`); a raw table: the extracts loaded into it, and that version;
- a model: its SQL, the macros, and the fingerprints of what it reads (models, raw tables,
  the plan's small tables, reference data), plus the run's date for a model that reads it
  (`of_model`, applied by flows/warehouse/models.py);
- the target checks: the fingerprint of what they validate and of their code
  (flows/checks/targets.py).
"""

from __future__ import annotations

import hashlib
import json

import duckdb

from flows.intake.kinds import KINDS
from flows.paths import ROOT
from flows.warehouse import sqlquote
from flows.warehouse.db import fetch_all, has_table, insert_many

# What decides how an extract becomes raw rows: when any of it changes, every extract is read
# again instead of being carried over.
INGEST_SOURCES = (
    "flows/intake/readers.py", "flows/intake/kinds.py", "flows/intake/ingest.py",
    "flows/vietnamese.py", "flows/checks/gx.py", "sql/checks/chk_*__problems.sql",
    "sql/checks/chk_incoming__*.sql", "sql/sources/*.yml", "sql/macros/*.sql",
    "data/reference/*.csv",
)
MACROS = ("sql/macros/*.sql",)
FINGERPRINTED_ROWS = 10_000  # inputs larger than this (not raw, not models) are not hashed


def digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode("utf-8")).hexdigest()


def stored_fingerprint(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    if not has_table(con, "build_fingerprints"):
        return None
    rows = fetch_all(con, "select fingerprint from build_fingerprints where name = ?", [name])
    return rows[0][0] if rows else None


def stored_fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    """Every stored fingerprint, by model."""
    if not has_table(con, "build_fingerprints"):
        return {}
    return dict(fetch_all(con, "select name, fingerprint from build_fingerprints"))


def record_fingerprint(con: duckdb.DuckDBPyConnection, name: str, fingerprint: str | None) -> None:
    record_fingerprints(con, {name: fingerprint})


def record_fingerprints(con: duckdb.DuckDBPyConnection, found: dict[str, str | None]) -> None:
    """Store what each model was built from (one statement for them all)."""
    con.execute("create table if not exists build_fingerprints (name varchar primary key,"
                " fingerprint varchar)")
    if found:
        insert_many(con, "insert or replace into build_fingerprints values (?, ?)",
                    [[name, value] for name, value in found.items()])


def source_fingerprint(patterns: tuple[str, ...]) -> str:
    """The files matching `patterns` under the project root, and DuckDB's version. A pattern
    that matches nothing is a mistake (a file moved): it fails rather than fingerprinting less."""
    sha = hashlib.sha256(duckdb.__version__.encode())
    for pattern in patterns:
        paths = sorted(ROOT.glob(pattern))
        if not paths:
            raise FileNotFoundError(f"fingerprint: no file matches {pattern!r} under {ROOT}")
        for path in paths:
            sha.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()


def ingest_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """The reader's version: the code that turns extracts into raw rows, and the plan's
    encodings (how files decode)."""
    encodings = table_fingerprint(con, "plan_encodings") if has_table(con, "plan_encodings") \
        else None
    return digest(source_fingerprint(INGEST_SOURCES), encodings)


def table_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """A small table's content; None for a large one (its readers are always rebuilt)."""
    name = sqlquote.identifier(table)
    if fetch_all(con, f"select count(*) from {name}")[0][0] > FINGERPRINTED_ROWS:
        return None
    return digest([repr(r) for r in fetch_all(con, f"select * from {name} order by all")])


def raw_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A raw table's content: the extracts (name, sheet, sha256) this run loaded into it, and
    the reader's version. Only ingest writes raw tables in a run's build."""
    kinds = [k.name for k in KINDS if k.table == table]
    loaded = fetch_all(
        con,
        "select file, sheet, sha256 from extracts where status = 'loaded'"
        " and list_contains(?, kind) order by all",
        [kinds],
    )
    return digest(ingest_fingerprint(con), loaded)


def of_run_date(con: duckdb.DuckDBPyConnection) -> str | None:
    """The run's as-of date, for a model that reads it (not the run's id: a second run on the
    same day keeps what only the date decides)."""
    rows = fetch_all(con, "select as_of_date from current_run")
    return str(rows[0][0]) if rows else None


def of_model(sql: str, inputs: dict[str, str | None]) -> str:
    """A model's SQL, the macros, and the fingerprints of what it reads."""
    return digest(source_fingerprint(MACROS), sql, inputs)
