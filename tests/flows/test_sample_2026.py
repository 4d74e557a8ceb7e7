"""End to end on the second bundled sample (Sở KH&CN Thái Nguyên, two chained plans): one build
of the 2025 → 2026 plan, which evaluates the 2024 → 2025 plan it continues into the same
database, checked row by row against an independent computation of both plans."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT
from tests.flows.independent_2026 import expected_gaps
from tests.helpers import build_db

SAMPLE_2026 = ROOT / "data" / "samples" / "sktcn-thai-nguyen"
INBOX = SAMPLE_2026 / "inbox"
PLAN_2026 = SAMPLE_2026 / "plans" / "sktcn-tng-2025-2026.yaml"
PLAN_IDS = {"sktcn-tng-2024-2025": (2024, 2025), "sktcn-tng-2025-2026": (2025, 2026)}
KEY = ("plan_id", "index_name", "appendix", "unit_code", "criterion_code")
COMPARED = ("baseline_value", "target_value", "current_value", "status")


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    """One build of the chained plans on a copy of the sample inbox."""
    base = tmp_path_factory.mktemp("sample-2026")
    inbox = base / "inbox"
    shutil.copytree(INBOX, inbox)
    db = base / "chiso.duckdb"
    build_db(db, inbox, PLAN_2026)
    return db


@pytest.fixture(scope="module")
def gaps(sample_db) -> dict:
    with duckdb.connect(str(sample_db), read_only=True) as con:
        rows = con.execute(
            f"select {', '.join(KEY)}, {', '.join(COMPARED)} from criterion_gaps"
        ).fetchall()
    got = {tuple(r[: len(KEY)]): tuple(r[len(KEY) :]) for r in rows}
    assert len(got) == len(rows), "criterion_gaps has duplicate keys"
    return got


def test_gaps_match_an_independent_computation(gaps):
    want = expected_gaps(ROOT, INBOX, PLAN_2026)
    assert {k[0] for k in want} == set(PLAN_IDS)
    missing, extra = sorted(set(want) - set(gaps), key=str), sorted(set(gaps) - set(want), key=str)
    assert (missing, extra) == ([], []), f"keys only expected: {missing}; only in the db: {extra}"
    # Decimals compare numerically (the database gives DECIMAL(20,8): 1.50000000 == 1.5)
    wrong = {
        key: {"want": want[key], "got": gaps[key]}
        for key in sorted(want, key=str)
        if want[key] != gaps[key]
    }
    assert wrong == {}


def test_both_plans_with_their_years_and_all_four_appendices(sample_db, gaps):
    with duckdb.connect(str(sample_db), read_only=True) as con:
        years = con.execute(
            "select distinct plan_id, baseline_year, current_year from criterion_gaps"
        ).fetchall()
    assert {p: (b, c) for p, b, c in years} == PLAN_IDS and len(years) == 2
    for plan_id in PLAN_IDS:
        appendices = {k[2] for k in gaps if k[0] == plan_id}
        assert {1, 2, 3, 4} <= appendices, (plan_id, appendices)
        indexes = {k[1] for k in gaps if k[0] == plan_id and k[2] is not None}
        assert indexes == {"PAR", "SIPAS", "PAPI"}


def test_the_sample_exercises_the_statuses_of_a_chain(gaps):
    by_plan = {p: {v[3] for k, v in gaps.items() if k[0] == p} for p in PLAN_IDS}
    # 2024 -> 2025: appraised and final results
    assert by_plan["sktcn-tng-2024-2025"] == {"met", "missed", "not_applicable"}
    # 2025 -> 2026: a mid-year self-assessment, interim SIPAS, a retired and a new criterion
    assert {"met", "at_risk", "no_data", "not_applicable", "retired"} <= by_plan[
        "sktcn-tng-2025-2026"
    ]
