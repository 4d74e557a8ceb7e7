"""What a table was built from, as one number: when it is the number stored when the table was
built, the table is kept as it is."""

from __future__ import annotations

import hashlib
import json

import duckdb

from flows.intake.kinds import KINDS
from flows.paths import ROOT
from flows.warehouse import sqlquote
from flows.warehouse.db import fetch_all, has_table

# What decides how an extract becomes raw rows: when any of it changes, every extract is read
# again instead of being carried over.
INGEST_SOURCES = (
    "flows/intake/readers.py", "flows/intake/kinds.py", "flows/intake/ingest.py",
    "flows/vietnamese.py", "flows/checks/gx.py", "sql/checks/chk_*__problems.sql",
    "sql/checks/chk_incoming__*.sql",
    "sql/checks/input_rules.csv", "sql/macros/*.sql",
    "data/reference/*",
)


FINGERPRINTED_ROWS = 10_000  # inputs larger than this (not raw, not models) are not hashed


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode("utf-8")).hexdigest()


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
    """The files matching `patterns` under the project root, and DuckDB's version. A pattern
    that matches nothing is a mistake (a file moved): it fails rather than fingerprinting less."""
    digest = hashlib.sha256(duckdb.__version__.encode())
    for pattern in patterns:
        paths = sorted(ROOT.glob(pattern))
        if not paths:
            raise FileNotFoundError(f"fingerprint: no file matches {pattern!r} under {ROOT}")
        for path in paths:
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
