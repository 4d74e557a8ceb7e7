"""Reading the published DuckDB file and writing documents from it, for every module that makes
files for people (the summary, the emails, the report, the plan's appendices): rows as dicts,
which tables exist, and a write-then-rename save so nobody opens a half-written file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    """A query's rows as dicts keyed by column name."""
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the tables in the main schema (older databases lack some)."""
    return {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'main'"
    ).fetchall()}


def atomic_save(path: Path, save: Callable[[str], None]) -> None:
    """Write beside the target and rename, so nobody opens a half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        save(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
