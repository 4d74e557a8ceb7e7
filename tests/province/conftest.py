"""The province sample (data/samples/province-thai-nguyen) copied for a test, and plan runs
through the flow's steps without Prefect (tests.helpers.build_db)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT
from tests.helpers import build_db

SAMPLE = ROOT / "data" / "samples" / "province-thai-nguyen"
PLAN_IDS = ["so-khcn", "so-noi-vu", "so-tai-chinh", "xa-dai-tu", "xa-phuc-thuan"]


@pytest.fixture
def province(tmp_path) -> Path:
    folder = tmp_path / "tinh"
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns("build_sample.py", "var"))
    return folder


@pytest.fixture
def plan_runs(monkeypatch):
    """Each plan's run: the flow's steps, without Prefect; `broken` plan ids raise mid-run."""
    broken: set[str] = set()

    def nightly(inbox: str, plan: str, db: str, notify: bool = True):
        if Path(plan).stem in broken:
            raise RuntimeError("transform failed (test)")
        return build_db(Path(db), Path(inbox), Path(plan))[0]

    import flows.nightly

    monkeypatch.setattr(flows.nightly, "nightly", nightly)
    return broken


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()
