"""Reading the published DuckDB file and writing documents from it, for every module that makes
files for people (the Office's report, the plan's appendices): rows as dicts, which tables
exist, and a write-then-rename save so nobody opens a half-written file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
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


@dataclass
class Progress:
    """The plan's targets beside criterion_gaps, as the summary, the digest and the report
    show them: ranks, survey participation of the target year, key dates, and how many
    criteria are scored without evidence."""

    ranks: list[dict] = field(default_factory=list)  # rank_targets
    participation: list[dict] = field(default_factory=list)  # participation_targets
    deadlines: list[dict] = field(default_factory=list)  # deadline_watch
    n_evidence_missing: int = 0
    # PAR criteria whose own score differs from their sub-criteria's sum (criterion_gaps)
    tree_mismatches: list[dict] = field(default_factory=list)

    @property
    def lagging(self) -> list[dict]:
        return [r for r in self.participation if r["status"] == "lagging"]


def progress(con: duckdb.DuckDBPyConnection, target_year: int | None) -> Progress:
    """Read Progress (a table an older database lacks reads as empty)."""
    have = tables(con)

    def read(table: str, sql: str, params: list | None = None) -> list[dict]:
        return rows(con, sql, params) if table in have else []

    n_missing = 0
    columns = {r[0] for r in con.execute("select column_name from information_schema.columns"
                                         " where table_name = 'criterion_gaps'").fetchall()}
    if "evidence_missing" in columns:
        n_missing = con.execute(
            "select count(*) from criterion_gaps where evidence_missing").fetchall()[0][0]
    mismatches = rows(
        con,
        """select unit_code, criterion_code, criterion_name, baseline_year, baseline_value,
               baseline_children_value, current_year, current_value, children_value,
               current_stage, owner_unit, owner_name
           from criterion_gaps where children_sum_differs
           order by unit_code, try_cast(string_split(criterion_code, '.') as integer[])
           limit 50""",
    ) if "children_sum_differs" in columns else []
    return Progress(
        ranks=read("rank_targets", "select * from rank_targets"),
        participation=read("participation_targets",
                           "select * from participation_targets where year = ?", [target_year]),
        deadlines=read("deadline_watch", "select * from deadline_watch"),
        n_evidence_missing=n_missing,
        tree_mismatches=mismatches,
    )


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
