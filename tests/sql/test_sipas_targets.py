"""SIPAS (Phụ lục 3): rates from counts or as published, which rates are low, the +10 target
(percentage points or relative), the cap at 100, missing current rates."""

from __future__ import annotations

from decimal import Decimal


def rates(wh) -> list[dict]:
    wh.run()
    return wh.rows(
        "select year, unit_code, criterion_code, criterion_name, element, n, n_satisfied,"
        " rate_pct, small_sample, rate_source from int_sipas__rates"
        " order by year, unit_code, criterion_code"
    )


def sipas_row(wh, code: str = "Q1", unit: str = "U1") -> dict:
    return wh.gap(index_name="SIPAS", unit_code=unit, criterion_code=code)


# --- rates ---------------------------------------------------------------------------------

def test_rate_from_counts_excludes_blank_and_invalid_answers(wh):
    wh.sipas_criterion("Q1", 1, "Niêm yết công khai thủ tục")
    # 4 valid answers (5, 4, 4, 2), 3 of them 4 or 5; the blank, 6 and 3.5 are not counted
    wh.sipas_answers(2023, "U1", "Q1", ["5", "4", "4", "2", "", None, "6", "3.5"])
    assert rates(wh) == [
        dict(year=2023, unit_code="U1", criterion_code="Q1",
             criterion_name="Niêm yết công khai thủ tục", element=1, n=4, n_satisfied=3,
             rate_pct=Decimal("75.000000"), small_sample=True, rate_source="answers")
    ]


def test_rate_from_counts_is_exact_to_six_places(wh):
    wh.sipas_answers(2023, "U1", "Q1", ["5", "5", "1"])
    assert rates(wh)[0]["rate_pct"] == Decimal("66.666667")


def test_small_sample_below_30(wh):
    wh.sipas_answers(2023, "U1", "Q29", ["5"] * 29)
    wh.sipas_answers(2023, "U1", "Q30", ["5"] * 30)
    got = {r["criterion_code"]: (r["n"], r["small_sample"]) for r in rates(wh)}
    assert got == {"Q29": (29, True), "Q30": (30, False)}


def test_small_sample_threshold_from_plan(wh):
    wh.sipas_answers(2023, "U1", "Q1", ["5", "4", "4", "2"])
    wh.sipas_rate(2023, "U1", "Q2", "70", 3)
    wh.plan({"rules": {"sipas_raise_low": {"small_sample_n": 4}}})
    got = {r["criterion_code"]: r["small_sample"] for r in rates(wh)}
    assert got == {"Q1": False, "Q2": True}


def test_published_rate_wins_over_computed_for_the_same_key(wh):
    wh.sipas_answers(2023, "U1", "Q1", ["5", "4", "4", "2"])  # would be 75%
    wh.sipas_answers(2023, "U1", "Q2", ["5", "4", "4", "2"])
    wh.sipas_rate(2023, "U1", "Q1", "70,5", 412)
    got = {r["criterion_code"]: (r["rate_pct"], r["n"], r["rate_source"]) for r in rates(wh)}
    assert got == {
        "Q1": (Decimal("70.5"), 412, "published"),
        "Q2": (Decimal("75"), 4, "answers"),
    }


# --- the target: +10 percentage points, met / missed, no data -------------------------------

def test_target_is_baseline_plus_ten_points(wh):
    wh.sipas_answers(2023, "U1", "Q1", ["5", "4", "4", "2"])  # 75%
    wh.sipas_rate(2024, "U1", "Q1", "85", 400)
    row = sipas_row(wh)
    assert {k: row[k] for k in ("appendix", "baseline_value", "baseline_n", "target_op",
                                "target_value", "target_capped", "max_value", "current_value",
                                "current_n", "current_stage", "gap", "status",
                                "small_sample")} == dict(
        appendix=3, baseline_value=Decimal("75"), baseline_n=4, target_op=">=",
        target_value=Decimal("85"), target_capped=False, max_value=Decimal("100"),
        current_value=Decimal("85"), current_n=400, current_stage="final", gap=Decimal("0"),
        status="met", small_sample=True)  # small in the baseline year is enough


def test_current_just_below_target_is_missed(wh):
    wh.sipas_rate(2023, "U1", "Q1", "75", 400)
    wh.sipas_rate(2024, "U1", "Q1", "84,999999", 400)
    row = sipas_row(wh)
    assert (row["gap"], row["status"], row["small_sample"]) == (
        Decimal("-0.000001"), "missed", False)


def test_missing_current_rate_is_no_data(wh):
    wh.sipas_rate(2023, "U1", "Q1", "75", 400)
    row = sipas_row(wh)
    assert (row["target_value"], row["current_value"], row["current_n"], row["gap"],
            row["status"]) == (Decimal("85"), None, None, None, "no_data")


def test_target_capped_at_100(wh):
    wh.sipas_rate(2023, "U1", "Q1", "95", 400)
    wh.sipas_rate(2024, "U1", "Q1", "100", 400)
    wh.sipas_rate(2023, "U1", "Q2", "90", 400)
    wh.plan({"rules": {"sipas_raise_low": {"low": {"codes": ["Q1", "Q2"]}}}})
    q1, q2 = sipas_row(wh, "Q1"), sipas_row(wh, "Q2")
    assert (q1["target_value"], q1["target_capped"], q1["status"], q1["gap"]) == (
        Decimal("100"), True, "met", Decimal("0"))
    assert (q2["target_value"], q2["target_capped"]) == (Decimal("100"), False)


def test_relative_mode(wh):
    wh.sipas_rate(2023, "U1", "Q1", "75", 400)
    wh.sipas_rate(2023, "U1", "Q2", "92", 400)
    wh.plan({"rules": {"sipas_raise_low": {"mode": "relative", "low": {"below": 95}}}})
    q1, q2 = sipas_row(wh, "Q1"), sipas_row(wh, "Q2")
    assert (q1["target_value"], q1["target_capped"]) == (Decimal("82.5"), False)
    assert (q2["target_value"], q2["target_capped"]) == (Decimal("100"), True)  # 101,2 -> 100


def test_relative_mode_rounds_exactly(wh):
    # 70,000045 x 1,1 = 77,0000495 exactly: half up gives 77,000050 (a float gives 77,000049)
    wh.sipas_rate(2023, "U1", "Q1", "70,000045", 400)
    wh.sipas_rate(2024, "U1", "Q1", "77,00005", 400)
    wh.plan({"rules": {"sipas_raise_low": {"mode": "relative"}}})
    row = sipas_row(wh)
    assert (row["target_value"], row["gap"], row["status"]) == (
        Decimal("77.00005"), Decimal("0"), "met")


def test_increase_from_plan(wh):
    wh.sipas_rate(2023, "U1", "Q1", "75,03", 400)
    wh.plan({"rules": {"sipas_raise_low": {"increase": 5.5}}})
    assert sipas_row(wh)["target_value"] == Decimal("80.53")


# --- which baseline rates are low -----------------------------------------------------------

def test_low_by_fixed_threshold_is_strictly_below(wh):
    wh.sipas_rate(2023, "U1", "Q1", "80", 400)
    wh.sipas_rate(2023, "U1", "Q2", "79,999999", 400)
    assert [r["criterion_code"] for r in wh.gaps(index_name="SIPAS")] == ["Q2"]


def test_low_by_explicit_codes_only(wh):
    wh.sipas_rate(2023, "U1", "Q1", "50", 400)
    wh.sipas_rate(2023, "U1", "Q2", "95", 400)
    wh.plan({"rules": {"sipas_raise_low": {"low": {"codes": ["Q2"]}}}},
            drop=["rules.sipas_raise_low.low.below"])
    assert [r["criterion_code"] for r in wh.gaps(index_name="SIPAS")] == ["Q2"]


def test_low_below_mean_over_units_in_the_data(wh):
    # mean of Q1 over U1..U3 is 80: U1 (70) is below, U2 (80, equal) is not, U3 (90) is not;
    # the mean is over every unit in the data, also those the plan does not cover (U3)
    for unit, rate in (("U1", "70"), ("U2", "80"), ("U3", "90")):
        wh.sipas_rate(2023, unit, "Q1", rate, 400)
    wh.plan({"units": ["U1", "U2"],
             "rules": {"sipas_raise_low": {"low": {"below_mean": True}}}},
            drop=["rules.sipas_raise_low.low.below"])
    assert [r["unit_code"] for r in wh.gaps(index_name="SIPAS")] == ["U1"]


def test_below_mean_is_exact(wh):
    # Q1: mean = 199,999999 / 3 = 66,666666333...; rounded to six places it would be
    # 66,666666 and the two rows at 66,666666 would wrongly not count as below it
    for unit, rate in (("U1", "66,666666"), ("U2", "66,666666"), ("U3", "66,666667")):
        wh.sipas_rate(2023, unit, "Q1", rate, 400)
    # Q2: every rate equal to the mean: none is below it
    wh.sipas_rate(2023, "U1", "Q2", "50", 400)
    wh.sipas_rate(2023, "U2", "Q2", "50", 400)
    wh.plan({"units": "all", "rules": {"sipas_raise_low": {"low": {"below_mean": True}}}},
            drop=["rules.sipas_raise_low.low.below"])
    assert [(r["unit_code"], r["criterion_code"]) for r in wh.gaps(index_name="SIPAS")] == [
        ("U1", "Q1"), ("U2", "Q1")]


def test_sipas_rule_disabled(wh):
    wh.sipas_rate(2023, "U1", "Q1", "50", 400)
    wh.plan({"rules": {"sipas_raise_low": {"enabled": False}}})
    assert wh.gaps(index_name="SIPAS") == []


def test_units_outside_the_plan_get_no_rows(wh):
    wh.sipas_rate(2023, "U1", "Q1", "50", 400)
    wh.sipas_rate(2023, "U2", "Q1", "50", 400)
    assert [r["unit_code"] for r in wh.gaps(index_name="SIPAS")] == ["U1"]
