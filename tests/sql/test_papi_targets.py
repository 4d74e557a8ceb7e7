"""PAPI (Phụ lục 4): scales of dimensions and sub-dimensions, which scores are low, the +0,1
target capped at the scale max, exact decimal arithmetic, province names matched loosely.

Rows are (year, province, code, score). The test plan tracks Bắc Kạn, low = below the mean."""

from __future__ import annotations

from decimal import Decimal

BK = "Bắc Kạn"


def papi_row(wh, code: str, province: str = BK) -> dict:
    return wh.gap(index_name="PAPI", unit_code=province, criterion_code=code)


def codes_only(wh, *codes: str) -> None:
    """Low = exactly these codes (no mean, no threshold)."""
    wh.plan({"rules": {"papi_raise_low": {"low": {"codes": list(codes)}}}},
            drop=["rules.papi_raise_low.low.below_mean"])


# --- scales ---------------------------------------------------------------------------------

def test_scale_of_dimensions_and_sub_dimensions(wh):
    wh.papi(
        (2023, BK, "D1", "5,448"),
        *[(2023, BK, f"1.{i}", "1,2") for i in range(1, 5)],  # D1 has 4 sub-dimensions
        *[(2023, BK, f"3.{i}", "1,2") for i in range(1, 4)],  # D3 has 3
    )
    wh.run()
    got = {r["code"]: (r["scale_min"], r["scale_max"]) for r in wh.rows(
        "select code, scale_min, scale_max from int_papi__scores where code in ('D1','1.1','3.1')")}
    assert got == {
        "D1": (Decimal("1"), Decimal("10")),
        "1.1": (Decimal("0.25"), Decimal("2.5")),
        "3.1": (Decimal("0.333333"), Decimal("3.333333")),
    }


def test_number_of_sub_dimensions_is_counted_per_year_when_not_in_the_reference(wh):
    # D5's sub-dimensions are not in data/reference/papi_codes.csv (their number changed)
    wh.papi(
        *[(2023, BK, f"5.{i}", "1,5") for i in range(1, 5)],  # 4 in 2023
        *[(2024, BK, f"5.{i}", "1,5") for i in range(1, 4)],  # 3 in 2024
    )
    wh.run()
    got = wh.rows("select distinct year, scale_max from int_papi__scores order by year")
    assert got == [dict(year=2023, scale_max=Decimal("2.5")),
                   dict(year=2024, scale_max=Decimal("3.333333"))]


def test_the_reference_structure_sets_the_scale_when_data_is_partial(wh):
    # only 6.2 reported: D6 still has 4 sub-dimensions, so the scale is 2,5, not 10
    wh.papi((2023, BK, "6.2", "1,4148"), (2024, BK, "6.2", "1,5"))
    wh.run()
    got = wh.rows("select distinct year, scale_max from int_papi__scores order by year")
    assert got == [dict(year=2023, scale_max=Decimal("2.5")),
                   dict(year=2024, scale_max=Decimal("2.5"))]


# --- targets: exact arithmetic, cap, met / missed / no data -------------------------------

def test_real_bac_kan_primary_education_met_exactly(wh):
    # 1,4148 + 0,1 >= 1,5148 must hold: in binary floats it does not
    wh.papi(
        *[(2023, BK, c, s) for c, s in
          (("6.1", "1.9933"), ("6.2", "1.4148"), ("6.3", "1.8536"), ("6.4", "1.8662"))],
        *[(2024, BK, c, s) for c, s in
          (("6.1", "2"), ("6.2", "1.5148"), ("6.3", "1.9"), ("6.4", "1.9"))],
    )
    codes_only(wh, "6.2")
    row = papi_row(wh, "6.2")
    assert {k: row[k] for k in ("appendix", "criterion_name", "level", "baseline_value",
                                "max_value", "target_op", "target_value", "target_capped",
                                "current_value", "current_stage", "gap", "status")} == dict(
        appendix=4, criterion_name="Giáo dục tiểu học công lập", level="subdimension",
        baseline_value=Decimal("1.4148"), max_value=Decimal("2.5"), target_op=">=",
        target_value=Decimal("1.5148"), target_capped=False, current_value=Decimal("1.5148"),
        current_stage="final", gap=Decimal("0"), status="met")


def test_one_ten_thousandth_short_is_missed(wh):
    wh.papi((2023, BK, "6.2", "1.4148"), (2024, BK, "6.2", "1.5147"))
    codes_only(wh, "6.2")
    row = papi_row(wh, "6.2")
    assert (row["target_value"], row["gap"], row["status"]) == (
        Decimal("1.5148"), Decimal("-0.0001"), "missed")


def test_published_scores_with_seven_places_are_kept(wh):
    wh.papi((2023, BK, "D6", "7,1279005"), (2024, BK, "D6", "7,2279004"))
    codes_only(wh, "D6")
    row = papi_row(wh, "D6")
    assert (row["target_value"], row["gap"], row["status"]) == (
        Decimal("7.2279005"), Decimal("-0.0000001"), "missed")


def test_dimension_target_capped_at_10(wh):
    wh.papi((2023, BK, "D4", "9,95"), (2024, BK, "D4", "10"))
    codes_only(wh, "D4")
    row = papi_row(wh, "D4")
    assert (row["max_value"], row["target_value"], row["target_capped"], row["status"]) == (
        Decimal("10"), Decimal("10"), True, "met")
    assert row["target_vi"] == "10 (*)"  # Phụ lục 4 marks a capped target


def test_sub_dimension_target_capped_at_its_scale(wh):
    wh.papi(*[(year, BK, f"3.{i}", "3,3") for year in (2023, 2024) for i in range(1, 4)])
    codes_only(wh, "3.1")
    row = papi_row(wh, "3.1")
    assert (row["max_value"], row["target_value"], row["target_capped"], row["gap"],
            row["status"]) == (Decimal("3.333333"), Decimal("3.333333"), True,
                               Decimal("-0.033333"), "missed")


def test_target_exactly_at_scale_max_is_not_capped(wh):
    wh.papi((2023, BK, "D4", "9,9"))
    codes_only(wh, "D4")
    row = papi_row(wh, "D4")
    assert (row["target_value"], row["target_capped"]) == (Decimal("10"), False)
    assert row["target_vi"] == "10"


def test_missing_current_score_is_no_data(wh):
    wh.papi((2023, BK, "D8", "3,259"))
    codes_only(wh, "D8")
    row = papi_row(wh, "D8")
    assert (row["target_value"], row["current_value"], row["current_stage"], row["gap"],
            row["status"]) == (Decimal("3.359"), None, None, None, "no_data")


def test_increase_from_plan(wh):
    wh.papi((2023, BK, "D8", "3,259"))
    wh.plan({"rules": {"papi_raise_low": {"increase": 0.25, "low": {"codes": ["D8"]}}}})
    assert papi_row(wh, "D8")["target_value"] == Decimal("3.509")


# --- which scores are low -------------------------------------------------------------------

def three_provinces(wh):
    # D1 mean over the three provinces = 5,0; Bắc Kạn 4,9 is below it; D3 mean 4,2 = Bắc Kạn's
    wh.papi(
        (2023, BK, "D1", "4,9"), (2023, "Thái Nguyên", "D1", "5,1"),
        (2023, "Hà Giang", "D1", "5"),
        (2023, BK, "D3", "4,2"), (2023, "Thái Nguyên", "D3", "4,1"),
        (2023, "Hà Giang", "D3", "4,3"),
    )


def test_low_below_mean_over_all_provinces_in_the_data(wh):
    three_provinces(wh)
    assert [(r["unit_code"], r["criterion_code"]) for r in wh.gaps(index_name="PAPI")] == [
        (BK, "D1")]  # D3 equals the mean: not below it


def test_below_mean_is_unweighted_and_exact(wh):
    # mean of 6.1 = (1 + 1 + 1,000001) / 3 = 1,000000333...: both provinces at 1 are below it
    wh.papi((2023, BK, "6.1", "1"), (2023, "Hà Giang", "6.1", "1"),
            (2023, "Cao Bằng", "6.1", "1,000001"))
    wh.plan({"provinces": "all"})
    assert sorted(r["unit_code"] for r in wh.gaps(index_name="PAPI")) == [BK, "Hà Giang"]


def test_low_by_codes_dimension_and_sub_dimension(wh):
    wh.papi(
        (2023, BK, "D8", "9"), (2023, BK, "8.1", "3"), (2023, BK, "8.2", "3"),
        (2023, BK, "8.3", "3"), (2023, BK, "D2", "9"),
    )
    codes_only(wh, "d8", "8.1")
    assert [r["criterion_code"] for r in wh.gaps(index_name="PAPI")] == ["D8", "8.1"]


def test_low_by_fixed_threshold(wh):
    wh.papi((2023, BK, "D1", "5"), (2023, BK, "D2", "4,999"))
    wh.plan({"rules": {"papi_raise_low": {"low": {"below": 5}}}},
            drop=["rules.papi_raise_low.low.below_mean"])
    assert [r["criterion_code"] for r in wh.gaps(index_name="PAPI")] == ["D2"]


def test_papi_rule_disabled(wh):
    three_provinces(wh)
    wh.plan({"rules": {"papi_raise_low": {"enabled": False}}})
    assert wh.gaps(index_name="PAPI") == []


# --- provinces ------------------------------------------------------------------------------

def test_province_in_plan_matches_without_diacritics_or_case(wh):
    three_provinces(wh)
    wh.papi((2024, "BẮC KẠN", "D1", "5,0"))
    wh.plan({"provinces": ["bac kan"]})
    row = papi_row(wh, "D1")
    assert (row["unit_code"], row["target_value"], row["current_value"], row["status"]) == (
        BK, Decimal("5"), Decimal("5"), "met")


def test_plan_province_bac_kan_without_diacritics(wh):
    three_provinces(wh)
    wh.plan({"provinces": "Bac Kan"})
    assert [r["unit_code"] for r in wh.gaps(index_name="PAPI")] == [BK]


def test_all_provinces(wh):
    three_provinces(wh)
    wh.plan({"provinces": "all"})
    assert sorted((r["unit_code"], r["criterion_code"]) for r in wh.gaps(index_name="PAPI")) == [
        (BK, "D1"), ("Thái Nguyên", "D3")]
