"""criterion_trend: each criterion of the plan across every year on the data, under its code in
the target year's edition, followed through a criteria edition by the crosswalk (old codes
named) and through a merger of units by the predecessors the plan names. Rows in -> rows out.

PAR rows are (unit, year, code, max, self, appraised); the plan's unit is U1, 2023 -> 2024."""

from __future__ import annotations

from decimal import Decimal

from tests.sql.test_criteria_editions import crosswalk


def trend(wh, code: str, index_name: str = "PAR") -> list[tuple]:
    wh.run()
    return [(r["year"], r["scored_unit"], r["old_codes"], r["value"], r["max_value"],
             r["share_pct"])
            for r in wh.rows("select * from criterion_trend where index_name = ?"
                             " and criterion_code = ? order by year, scored_unit",
                             [index_name, code])]


def test_every_year_on_the_data_under_the_current_code(wh):
    wh.par(("U1", 2021, "1.1", "1", "0,25", "0,25"), ("U1", 2022, "1.1", "1", "0,5", "0,5"),
           ("U1", 2023, "1.1", "1", "0,5", "0,5"), ("U1", 2024, "1.1", "1", "0,75", None))
    wh.plan()
    assert trend(wh, "1.1") == [
        (2021, "U1", None, Decimal("0.25"), Decimal("1"), Decimal("25.00")),
        (2022, "U1", None, Decimal("0.5"), Decimal("1"), Decimal("50.00")),
        (2023, "U1", None, Decimal("0.5"), Decimal("1"), Decimal("50.00")),
        (2024, "U1", None, Decimal("0.75"), Decimal("1"), Decimal("75.00")),
    ]
    flags = wh.rows("select year, is_baseline_year, is_target_year from criterion_trend"
                    " where criterion_code = '1.1' and year >= 2023 order by year")
    assert [(f["is_baseline_year"], f["is_target_year"]) for f in flags] == [
        (True, False), (False, True)]


def test_a_renumbered_criterion_keeps_its_years_and_names_its_old_code(wh):
    wh.par(("U1", 2022, "5.2", "2", "1", "1"), ("U1", 2023, "5.2", "2", "1,5", "1,5"),
           ("U1", 2024, "5.3", "2", "1,75", "1,75"))
    crosswalk(wh, "5.2,5.3,2,2,renumbered,")
    assert trend(wh, "5.3") == [
        (2022, "U1", "5.2", Decimal("1"), Decimal("2"), Decimal("50.00")),
        (2023, "U1", "5.2", Decimal("1.5"), Decimal("2"), Decimal("75.00")),
        (2024, "U1", None, Decimal("1.75"), Decimal("2"), Decimal("87.50")),
    ]
    assert trend(wh, "5.2") == []  # the old code is not a criterion of its own


def test_a_changed_maximum_keeps_the_points_and_the_share_compares(wh):
    wh.par(("U1", 2023, "1.1", "2", "1", "1"), ("U1", 2024, "1.1", "4", "3", None))
    crosswalk(wh, "1.1,1.1,2,4,max_changed,")
    assert trend(wh, "1.1") == [
        (2023, "U1", None, Decimal("1"), Decimal("2"), Decimal("50.00")),
        (2024, "U1", None, Decimal("3"), Decimal("4"), Decimal("75.00")),
    ]


def test_split_parts_show_the_old_whole_and_a_merged_criterion_its_parts_pooled(wh):
    wh.par(("U1", 2023, "2.1", "2", "1,5", "1,5"),
           ("U1", 2023, "3.1", "1", "1", "1"), ("U1", 2023, "3.2", "3", "1", "1"),
           ("U1", 2024, "2.1", "1", "1", "1"), ("U1", 2024, "2.2", "3", "2", "2"),
           ("U1", 2024, "3.1", "4", "3", "3"))
    crosswalk(wh, "2.1,2.1,2,1,split,share", "2.1,2.2,2,3,split,share",
              "3.1,3.1,1,4,merged,pooled", "3.2,3.1,3,4,merged,pooled")
    assert trend(wh, "2.2") == [
        (2023, "U1", "2.1", Decimal("1.5"), Decimal("2"), Decimal("75.00")),
        (2024, "U1", None, Decimal("2"), Decimal("3"), Decimal("66.67")),
    ]
    assert trend(wh, "3.1") == [
        (2023, "U1", "3.1, 3.2", Decimal("2"), Decimal("4"), Decimal("50.00")),
        (2024, "U1", None, Decimal("3"), Decimal("4"), Decimal("75.00")),
    ]


def test_a_merged_unit_shows_each_predecessor_before_it_existed(wh):
    unit = "TNG.SKHCN"  # formed 2025 from STTTT, TNG.STTTT, ... (data/reference/units.csv)
    wh.par(("STTTT", 2024, "1.1", "1", "0,5", "0,5"), ("TNG.STTTT", 2024, "1.1", "1", "1", "1"),
           (unit, 2025, "1.1", "1", "0,75", None))
    wh.plan({"baseline_year": 2024, "target_year": 2025, "units": [unit],
             "provinces": ["Thái Nguyên"],
             "baseline_from": {unit: {"PAR": {"STTTT": 1, "TNG.STTTT": 1}}}})
    wh.run()
    rows = wh.rows("select year, scored_unit, value from criterion_trend where unit_code = ?"
                   " and criterion_code = '1.1' order by year, scored_unit", [unit])
    assert [(r["year"], r["scored_unit"], r["value"]) for r in rows] == [
        (2024, "STTTT", Decimal("0.5")), (2024, "TNG.STTTT", Decimal("1")),
        (2025, unit, Decimal("0.75"))]


def test_papi_across_the_province_map_shows_the_predecessors_then_the_new_province(wh):
    from tests.sql.test_province_maps import BK, TN, tracking_thai_nguyen, two_years

    two_years(wh)
    wh.papi((2023, TN, "D1", "5,1"), (2023, BK, "D1", "4,5"))
    tracking_thai_nguyen(wh, {TN: 2, BK: 1})
    wh.run()
    rows = wh.rows("select year, scored_unit, value from criterion_trend"
                   " where index_name = 'PAPI' and criterion_code = 'D1' order by all")
    # Cao Bằng is not Thái Nguyên's predecessor; old and new Thái Nguyên are two provinces
    assert [(r["year"], r["scored_unit"], r["value"]) for r in rows] == [
        (2023, BK, Decimal("4.5")), (2023, TN, Decimal("5.1")),
        (2024, BK, Decimal("4.6")), (2024, TN, Decimal("5.2")),
        (2025, TN, Decimal("5"))]


def test_sipas_rates_by_year(wh):
    wh.sipas_rate(2022, "U1", "1.1", "70", 40)
    wh.sipas_rate(2023, "U1", "1.1", "75,5", 40)
    wh.sipas_rate(2024, "U1", "1.1", "86", 40)
    wh.plan()
    assert [(y, v) for y, _, _, v, _, _ in trend(wh, "1.1", "SIPAS")] == [
        (2022, Decimal("70")), (2023, Decimal("75.5")), (2024, Decimal("86"))]


def test_the_report_line_names_the_latest_five_years_and_the_range_before(wh):
    wh.par(*[("U1", y, "1.1", "1", "0,5", "0,5") for y in range(2016, 2023)],
           ("U1", 2023, "1.1", "1", "0,75", "0,75"), ("U1", 2024, "1.1", "1", "0,5", None))
    wh.plan()
    wh.run()
    assert wh.value("select trend_vi from rpt_trend where criterion_code = '1.1'") == (
        "2016–2019: xem bảng Qua các năm (XLSX) · 2020: 0,5 điểm · 2021: 0,5 điểm"
        " · 2022: 0,5 điểm · 2023: 0,75 điểm · 2024: 0,5 điểm")
