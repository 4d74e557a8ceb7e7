"""One published database built from the bundled sample (no Prefect), and the appendices written
from it, shared by the module's tests; tests that change data work on copies."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from flows.documents.appendices import write_appendices
from flows.plan import load_plan
from tests.conftest import PLAN, SAMPLE
from tests.helpers import build_db, build_reports


@pytest.fixture(scope="session")
def published(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("appendices")
    inbox = base / "inbox"
    shutil.copytree(SAMPLE, inbox)
    db = base / "chiso.duckdb"
    build_db(db, inbox, PLAN)
    return db


@pytest.fixture(scope="session")
def plan_raw() -> dict:
    return load_plan(PLAN).raw


@pytest.fixture(scope="session")
def written(published: Path, plan_raw: dict, tmp_path_factory) -> tuple[Path, Path]:
    return write_appendices(published, tmp_path_factory.mktemp("out"), plan_raw)


@pytest.fixture
def db_copy(published: Path, tmp_path: Path):
    """A writable copy of the published database: change it, then write from it."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(published, path)

    def change(*statements: str) -> Path:
        con = duckdb.connect(str(path))
        for sql in statements:
            con.execute(sql)
        build_reports(con)  # the presentation marts follow, as a run would rebuild them
        con.close()
        return path

    return change


def gaps(db: Path, appendix: int | None = None) -> list[dict]:
    con = duckdb.connect(str(db), read_only=True)
    where = "where appendix = ?" if appendix is not None else ""
    cur = con.execute(f"select * from criterion_gaps {where}",
                      [appendix] if appendix is not None else [])
    cols = [d[0] for d in cur.description]
    rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    con.close()
    return rows


def settings(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    cur = con.execute("select baseline_year, target_year from plan_settings")
    row = dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))
    con.close()
    return row
