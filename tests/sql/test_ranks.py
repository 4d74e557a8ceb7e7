"""PAPI ranks computed from the published scores, and the plan's "higher position" target."""

from __future__ import annotations

import shutil

import duckdb

from tests.conftest import PLAN, SAMPLE
from tests.helpers import build_db

BK = "Bắc Kạn"


def _dims(wh, year: int, province: str, scores: list[str]) -> None:
    wh.papi(*[(year, province, f"D{i}", s) for i, s in enumerate(scores, start=1)])


def test_ties_share_a_rank_and_incomplete_provinces_are_not_in_the_total(wh):
    for year in (2023, 2024):
        _dims(wh, year, BK, ["5", "5"])
        _dims(wh, year, "Cao Bằng", ["6", "4"])  # same total as Bắc Kạn: a tie
        _dims(wh, year, "Hà Giang", ["9", "9"])
    wh.papi((2024, "Lào Cai", "D1", "9,9"))  # D2 missing: ranked on D1, not in the total
    wh.run()
    ranks = wh.rows(
        "select year, scope, member, rank, n_ranked from int_papi__ranks"
        " where year = 2024 order by scope, rank, member")
    total = [(r["member"], r["rank"], r["n_ranked"]) for r in ranks if r["scope"] == "TOTAL"]
    assert total == [("Hà Giang", 1, 3), (BK, 2, 3), ("Cao Bằng", 2, 3)]
    d1 = [(r["member"], r["rank"]) for r in ranks if r["scope"] == "D1"]
    assert d1 == [("Lào Cai", 1), ("Hà Giang", 2), ("Cao Bằng", 3), (BK, 4)]


def test_a_rank_not_strictly_better_is_missed(wh):
    _dims(wh, 2023, BK, ["5", "5"])
    _dims(wh, 2023, "Cao Bằng", ["6", "6"])
    _dims(wh, 2024, BK, ["7", "4"])      # total 11 vs 12: still 2nd; D1 now 1st
    _dims(wh, 2024, "Cao Bằng", ["6", "6"])
    wh.run()
    got = {r["scope"]: (r["baseline_rank"], r["current_rank"], r["status"])
           for r in wh.rows("select * from rank_targets")}
    assert got == {"TOTAL": (2, 2, "missed"), "D1": (2, 1, "met"), "D2": (2, 2, "missed")}


def test_no_current_rank_is_no_data(wh):
    _dims(wh, 2023, BK, ["5", "5"])
    wh.run()
    rows = wh.rows("select scope, status from rank_targets order by scope")
    assert rows == [{"scope": "D1", "status": "no_data"}, {"scope": "D2", "status": "no_data"},
                    {"scope": "TOTAL", "status": "no_data"}]


def test_the_real_papi_file_gives_bac_kans_published_positions(tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE, inbox)
    db = tmp_path / "chiso.duckdb"
    build_db(db, inbox, PLAN)
    with duckdb.connect(str(db), read_only=True) as con:
        ranks = dict(con.execute(
            "select year, rank from int_papi__ranks where member = ? and scope = 'TOTAL'"
            " and year in (2021, 2022)", [BK]).fetchall())
        total = con.execute(
            "select baseline_rank, current_rank, status from rank_targets where scope = 'TOTAL'"
                " and index_name = 'PAPI'"
        ).fetchall()
    # 2021: 34th, 2022: 30th, as the provincial press reported (facts/papi_backan_...csv)
    assert ranks == {2021: 34, 2022: 30}
    assert total == [(22, 22, "missed")]
