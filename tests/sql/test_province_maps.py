"""PAPI across the 2025 reorganisation: every score is on one province map (63 up to 2024, 34
from 2025, unless its extract says province_map), names resolve within that map only, means and
ranks are per map, and a province that absorbed others takes its baseline by the plan's rule:
its own recomputed score, the one predecessor named, or a weighted mean.

Rows are (year, province, code, score[, province_map]). The plans track Thái Nguyên 2024 -> 2025:
the 2024 scores are on the 63-province map, the 2025 ones on the 34."""

from __future__ import annotations

from decimal import Decimal

TN, BK, CB = "Thái Nguyên", "Bắc Kạn", "Cao Bằng"


def tracking_thai_nguyen(wh, baseline_from: dict | None = None, low: dict | None = None) -> None:
    papi = {"low": low or {"codes": ["D1", "D2"]}}
    if baseline_from is not None:
        papi["baseline_from"] = {TN: baseline_from}
    wh.plan({"baseline_year": 2024, "target_year": 2025, "provinces": [TN],
             "rules": {"papi_raise_low": papi}},
            drop=[] if "below_mean" in papi["low"] else ["rules.papi_raise_low.low.below_mean"])


def two_years(wh) -> None:
    wh.papi(
        (2024, TN, "D1", "5,2"), (2024, TN, "D2", "5,0"),   # old Thái Nguyên (63:19)
        (2024, BK, "D1", "4,6"), (2024, BK, "D2", "4,4"),   # Bắc Kạn (63:06)
        (2024, CB, "D1", "4,9"), (2024, CB, "D2", "5,5"),
        (2025, TN, "D1", "5,0"), (2025, TN, "D2", "4,9"),   # new Thái Nguyên (34:19)
        (2025, CB, "D1", "4,8"), (2025, CB, "D2", "5,2"),
    )


def targets(wh) -> dict[str, tuple]:
    return {r["criterion_code"]: (r["unit_code"], r["baseline_value"], r["target_value"],
                                  r["current_value"], r["status"])
            for r in wh.gaps(index_name="PAPI")}


def test_each_year_is_on_its_map_and_a_name_on_both_maps_is_two_provinces(wh):
    two_years(wh)
    tracking_thai_nguyen(wh, {BK: 1})
    wh.run()
    got = wh.rows("select distinct year, province_map, province_code, province_name"
                  " from int_papi__scores where province_name = ? order by year", [TN])
    assert got == [
        dict(year=2024, province_map=63, province_code="19", province_name=TN),
        dict(year=2025, province_map=34, province_code="19", province_name=TN),
    ]


def test_without_a_rule_the_old_maps_namesake_is_no_baseline(wh):
    # 2024's Thái Nguyên is the old province: its score must not pass as the new one's
    two_years(wh)
    tracking_thai_nguyen(wh)
    wh.run()
    assert targets(wh) == {}
    assert wh.rows("select province_map, province_code, baseline_kind"
                   " from int_papi__plan_provinces") == [
        dict(province_map=34, province_code="19", baseline_kind="none")]


def test_the_declared_predecessor_gives_the_baseline(wh):
    two_years(wh)
    tracking_thai_nguyen(wh, {BK: 1})
    assert targets(wh) == {
        "D1": (TN, Decimal("4.6"), Decimal("4.7"), Decimal("5.0"), "met"),
        "D2": (TN, Decimal("4.4"), Decimal("4.5"), Decimal("4.9"), "met"),
    }
    rule = wh.gap(index_name="PAPI", criterion_code="D1")["rule_vi"]
    assert rule == ("Điểm tối thiểu 4,7 (năm 2024: 4,6 + 0,1;"
                    " cơ sở: Bắc Kạn (tỉnh tiền thân, bản đồ 63 tỉnh))")
    assert wh.gap(index_name="PAPI", criterion_code="D1")["baseline_from"] == \
        "Bắc Kạn (tỉnh tiền thân, bản đồ 63 tỉnh)"


def test_declared_weights_give_the_exact_weighted_mean(wh):
    two_years(wh)
    tracking_thai_nguyen(wh, {TN: 2, BK: 1})
    got = targets(wh)
    # D1: (2 x 5,2 + 4,6) / 3 = 5,0 exactly; D2: (2 x 5,0 + 4,4) / 3 = 4,8
    assert got["D1"][1:3] == (Decimal("5"), Decimal("5.1"))
    assert got["D2"][1:3] == (Decimal("4.8"), Decimal("4.9"))
    assert got["D1"][4] == "missed" and got["D2"][4] == "met"
    assert wh.gap(index_name="PAPI", criterion_code="D1")["baseline_from"] == \
        "bình quân có trọng số của Thái Nguyên × 2, Bắc Kạn × 1 (bản đồ 63 tỉnh)"


def test_a_weighted_mean_rounds_half_up_to_6_places(wh):
    wh.papi((2024, TN, "D1", "5"), (2024, BK, "D1", "4"), (2025, TN, "D1", "5"))
    tracking_thai_nguyen(wh, {TN: 1, BK: 2}, low={"codes": ["D1"]})
    assert targets(wh)["D1"][1] == Decimal("4.333333")  # 13/3


def test_a_recomputed_score_for_the_new_province_comes_first(wh):
    two_years(wh)
    wh.papi((2024, TN, "D1", "4,95", "34"), (2024, TN, "D2", "4,75", "34"))
    tracking_thai_nguyen(wh, {BK: 1})
    got = targets(wh)
    assert got["D1"][1:3] == (Decimal("4.95"), Decimal("5.05"))
    assert wh.gap(index_name="PAPI", criterion_code="D1")["baseline_from"] == \
        "Thái Nguyên, điểm tính lại theo bản đồ 34 tỉnh"


def test_below_the_mean_compares_with_the_mean_of_the_baselines_map(wh):
    two_years(wh)
    tracking_thai_nguyen(wh, {BK: 1}, low={"below_mean": True})
    # 2024 (63 map) D1 mean = (5,2 + 4,6 + 4,9) / 3 = 4,9: Bắc Kạn's 4,6 is low;
    # D2 mean = (5,0 + 4,4 + 5,5) / 3 = 4,966667: 4,4 is low
    assert set(targets(wh)) == {"D1", "D2"}
    means = wh.rows("select year, province_map, n_members from int_means__by_year_code"
                    " where index_name = 'PAPI' and code = 'D1' order by year")
    assert means == [dict(year=2024, province_map=63, n_members=3),
                     dict(year=2025, province_map=34, n_members=2)]


def test_ranks_are_per_map_and_compared_as_percentiles_across_maps(wh):
    two_years(wh)
    tracking_thai_nguyen(wh, {BK: 1})
    wh.run()
    got = {r["scope"]: r for r in wh.rows("select * from rank_targets")}
    total = got["TOTAL"]
    # 2024: Bắc Kạn 9,0 is 3rd of 3 on the 63 map (percentile 0); 2025: Thái Nguyên 9,9 is
    # 2nd of 2 on the 34 map (percentile 0): not higher, missed
    assert (total["baseline_rank"], total["baseline_n_ranked"], total["baseline_map"],
            total["current_rank"], total["current_n_ranked"], total["current_map"],
            total["compared_by"], total["status"]) == (3, 3, 63, 2, 2, 34, "percentile", "missed")
    d1 = got["D1"]  # Bắc Kạn 3rd of 3 (0); Thái Nguyên 5,0 1st of 2 (1): met
    assert (d1["baseline_percentile"], d1["current_percentile"], d1["status"]) == (
        Decimal("0"), Decimal("1"), "met")
    assert total["rule_vi"] == (
        "Xếp hạng năm 2025 cao hơn năm 2024 (hạng 3/3, bản đồ 63 tỉnh; so theo thứ hạng phần"
        " trăm: 0,00%; cơ sở: Bắc Kạn (tỉnh tiền thân, bản đồ 63 tỉnh))")
    texts = wh.rows("select baseline_rank_text, current_rank_text from rpt_ranks"
                    " where scope = 'TOTAL'")
    assert texts == [dict(baseline_rank_text="3/3 (bản đồ 63 tỉnh)",
                          current_rank_text="2/2 (bản đồ 34 tỉnh)")]


def test_on_one_map_ranks_compare_as_before(wh):
    wh.papi((2023, BK, "D1", "5"), (2023, CB, "D1", "6"),
            (2024, BK, "D1", "7"), (2024, CB, "D1", "6"))
    wh.run()
    row = wh.rows("select * from rank_targets where scope = 'D1'")[0]
    assert (row["baseline_rank"], row["current_rank"], row["compared_by"], row["status"]) == (
        2, 1, "rank", "met")
    assert row["rule_vi"] == "Xếp hạng năm 2024 cao hơn năm 2023 (hạng 2/2, bản đồ 63 tỉnh)"
