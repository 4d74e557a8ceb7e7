"""Reading the published DuckDB file and writing documents from it, for every module that makes
files for people (the summary, the emails, the report, the plan's appendices): a read-only
connection that a run's swap cannot tear, rows as dicts, which tables exist, and a
write-then-rename save so nobody opens a half-written file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb

T = TypeVar("T")

# DuckDB opens a database file three times to connect: its magic bytes, its headers, then the
# handle it reads blocks from (strace, DuckDB 2.0.1). A run that swaps a new file in between
# the second and the third open leaves the connection reading the new file through the old
# file's headers: "Could not read enough bytes", a checksum error, or worse, blocks of one state
# read as another's. No writer can prevent it (the swap is the only way never to write a
# published file); a reader makes sure the file at the path stayed the same file throughout.
SWAP_RETRIES = 5


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def settled(path: Path, open_: Callable[[], T], close: Callable[[T], None]) -> T:
    """`open_()` (a connect or an attach of `path`), again while a run swapped the file at
    `path` during it: what it returns was opened on one published file, whole."""
    for _ in range(SWAP_RETRIES):
        before = _identity(path)
        try:
            opened = open_()
        except duckdb.Error:
            if _identity(path) == before:
                raise
            continue  # torn by a swap: the next attempt sees the new file whole
        if _identity(path) == before:
            return opened
        close(opened)
    raise duckdb.IOException(f"{path} was replaced {SWAP_RETRIES} times while being opened")


def read_only(db: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a published file, on one whole published state."""
    return settled(db, lambda: duckdb.connect(str(db), read_only=True), lambda c: c.close())


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
