"""PAR INDEX rules (Phụ lục 1 and 2) as they come out in criterion_gaps.

Rows are (unit, year, code, max_points, self_score, appraised_score). 2023 is the baseline
year, 2024 the target year (the test plan's defaults)."""

from __future__ import annotations

from decimal import Decimal

KEYS = ("appendix", "level", "baseline_value", "max_value", "target_op", "target_value",
        "current_value", "current_stage", "gap", "status")


def par_row(wh, code: str, unit: str = "U1") -> dict:
    row = wh.gap(index_name="PAR", unit_code=unit, criterion_code=code)
    return {k: row[k] for k in KEYS}


def expect(appendix, level, baseline, max_value, op, target, current, stage, gap, status):
    def dec(x):
        return None if x is None else Decimal(x)

    return dict(appendix=appendix, level=level, baseline_value=dec(baseline),
                max_value=dec(max_value), target_op=op, target_value=dec(target),
                current_value=dec(current), current_stage=stage, gap=dec(gap), status=status)


# --- Phụ lục 1: at max in the baseline year, keep the max ---------------------------------

def test_appendix1_current_at_max_is_met(wh):
    wh.par(("U1", 2023, "1.1", "1", "1", "1"), ("U1", 2024, "1.1", "1", "1", None))
    assert par_row(wh, "1.1") == expect(
        1, "TC", "1", "1", ">=", "1", "1", "self_assessed", "0", "met")


def test_appendix1_below_max_self_assessed_is_at_risk(wh):
    wh.par(("U1", 2023, "1.1", "1", "1", "1"), ("U1", 2024, "1.1", "1", "0,75", None))
    assert par_row(wh, "1.1") == expect(
        1, "TC", "1", "1", ">=", "1", "0.75", "self_assessed", "-0.25", "at_risk")


def test_appendix1_below_max_appraised_is_missed(wh):
    wh.par(("U1", 2023, "1.1", "1", "1", "1"), ("U1", 2024, "1.1", "1", "1", "0,75"))
    # the appraised score wins over the self-assessed one
    assert par_row(wh, "1.1") == expect(
        1, "TC", "1", "1", ">=", "1", "0.75", "appraised", "-0.25", "missed")


def test_appendix1_baseline_from_self_score_when_not_appraised(wh):
    wh.par(("U1", 2023, "1.1", "2", "2", None), ("U1", 2024, "1.1", "2", "2", None))
    assert par_row(wh, "1.1")["appendix"] == 1


def test_appendix1_target_is_the_target_years_max(wh):
    # max points changed between method editions: 1 in 2023, 1,5 in 2024
    wh.par(("U1", 2023, "2.1", "1", "1", "1"), ("U1", 2024, "2.1", "1,5", "1", None))
    assert par_row(wh, "2.1") == expect(
        1, "TC", "1", "1.5", ">=", "1.5", "1", "self_assessed", "-0.5", "at_risk")


def test_appendix1_max_lowered_in_target_year(wh):
    wh.par(("U1", 2023, "2.2", "2", "2", "2"), ("U1", 2024, "2.2", "1", "1", "1"))
    assert par_row(wh, "2.2") == expect(
        1, "TC", "2", "1", ">=", "1", "1", "appraised", "0", "met")


# --- Phụ lục 2: below max in the baseline year, score strictly higher -----------------------

def test_appendix2_current_equal_to_baseline_is_not_met(wh):
    wh.par(("U1", 2023, "3.1", "1", "0,5", "0,5"), ("U1", 2024, "3.1", "1", "0,5", None))
    assert par_row(wh, "3.1") == expect(
        2, "TC", "0.5", "1", ">", "0.5", "0.5", "self_assessed", "0", "at_risk")


def test_appendix2_current_equal_to_baseline_appraised_is_missed(wh):
    wh.par(("U1", 2023, "3.1", "1", "0,5", "0,5"), ("U1", 2024, "3.1", "1", "0,75", "0,5"))
    assert par_row(wh, "3.1") == expect(
        2, "TC", "0.5", "1", ">", "0.5", "0.5", "appraised", "0", "missed")


def test_appendix2_current_above_baseline_is_met(wh):
    wh.par(("U1", 2023, "3.1", "1", "0,5", "0,5"), ("U1", 2024, "3.1", "1", "0,75", None))
    assert par_row(wh, "3.1") == expect(
        2, "TC", "0.5", "1", ">", "0.5", "0.75", "self_assessed", "0.25", "met")


def test_appendix2_baseline_zero(wh):
    wh.par(
        ("U1", 2023, "4.1", "2", "0", "0"), ("U1", 2024, "4.1", "2", "0,25", None),
        ("U1", 2023, "4.2", "2", "0", "0"), ("U1", 2024, "4.2", "2", "0", "0"),
    )
    assert par_row(wh, "4.1") == expect(
        2, "TC", "0", "2", ">", "0", "0.25", "self_assessed", "0.25", "met")
    assert par_row(wh, "4.2") == expect(
        2, "TC", "0", "2", ">", "0", "0", "appraised", "0", "missed")


def test_appendix2_just_below_max(wh):
    wh.par(("U1", 2023, "4.3", "1", "0,999999", "0,999999"), ("U1", 2024, "4.3", "1", "1", None))
    assert par_row(wh, "4.3")["appendix"] == 2
    assert par_row(wh, "4.3")["status"] == "met"


# --- the tree: a TC and its TCTPs are all targets; areas are not ----------------------------

def test_tc_and_its_tctps_are_all_rows_areas_are_not(wh):
    wh.par(
        ("U1", 2023, "I", "3", None, None),
        ("U1", 2023, "1.1.", "3", "2", "2"),
        ("U1", 2023, "1.1.1", "1", "1", "1"),
        ("U1", 2023, "1.1.2", "2", "1", "1"),
        ("U1", 2024, "1", "3", None, None),
        ("U1", 2024, "1.1", "3", "3", None),
        ("U1", 2024, "1.1.1", "1", "1", None),
        ("U1", 2024, "1.1.2", "2", "2", None),
    )
    rows = wh.gaps(index_name="PAR")
    assert sorted((r["criterion_code"], r["level"], r["appendix"], r["status"]) for r in rows) == [
        ("1.1", "TC", 2, "met"),
        ("1.1.1", "TCTP", 1, "met"),
        ("1.1.2", "TCTP", 2, "met"),
    ]


# --- not applicable, codes present in one year only ----------------------------------------

def test_not_applicable_in_target_year_has_no_target(wh):
    wh.par(("U1", 2023, "5.1", "1", "1", "1"), ("U1", 2024, "5.1", "1", "Không áp dụng", None))
    row = wh.gap(index_name="PAR", criterion_code="5.1")
    assert (row["status"], row["target_op"], row["target_value"], row["current_value"],
            row["gap"], row["rule_vi"]) == ("not_applicable", None, None, None, None,
                                            "Không áp dụng")


def test_not_applicable_in_baseline_year_only_listed_as_such(wh):
    wh.par(("U1", 2023, "5.2", "1", "KAD", None))
    row = wh.gap(index_name="PAR", criterion_code="5.2")
    assert (row["appendix"], row["status"], row["target_value"]) == (None, "not_applicable", None)


def test_code_only_in_target_year_has_no_appendix_and_no_data(wh):
    wh.par(("U1", 2024, "8.9", "1", "0,5", None))
    assert par_row(wh, "8.9") == expect(
        None, "TC", None, "1", None, None, "0.5", "self_assessed", None, "no_data")
    assert wh.gap(criterion_code="8.9")["rule_vi"] == "Tiêu chí mới năm 2024, chưa có mục tiêu"


def test_code_only_in_baseline_year_is_no_data(wh):
    wh.par(("U1", 2023, "6.1", "1", "1", "1"), ("U1", 2023, "6.2", "1", "0", "0"))
    assert par_row(wh, "6.1") == expect(
        1, "TC", "1", "1", ">=", "1", None, None, None, "no_data")
    assert par_row(wh, "6.2") == expect(
        2, "TC", "0", "1", ">", "0", None, None, None, "no_data")


def test_scored_code_without_a_current_score_is_no_data(wh):
    wh.par(("U1", 2023, "6.3", "1", "1", "1"), ("U1", 2024, "6.3", "1", None, None))
    row = par_row(wh, "6.3")
    assert (row["appendix"], row["current_value"], row["status"]) == (1, None, "no_data")


# --- the plan: units and switched-off rules -------------------------------------------------

def two_units(wh):
    wh.par(
        ("U1", 2023, "1.1", "1", "1", "1"), ("U1", 2024, "1.1", "1", "1", None),
        ("U2", 2023, "1.1", "1", "0,5", "0,5"), ("U2", 2024, "1.1", "1", "0,5", None),
    )


def test_units_list_filters_assessed_units(wh):
    two_units(wh)
    wh.plan({"units": ["U2"]})
    assert [(r["unit_code"], r["appendix"]) for r in wh.gaps(index_name="PAR")] == [("U2", 2)]


def test_units_one_code_as_a_string(wh):
    two_units(wh)
    wh.plan({"units": "U1"})
    assert [(r["unit_code"], r["appendix"]) for r in wh.gaps(index_name="PAR")] == [("U1", 1)]


def test_units_all_takes_every_unit_in_the_data(wh):
    two_units(wh)
    wh.plan({"units": "all"})
    assert sorted((r["unit_code"], r["appendix"], r["status"])
                  for r in wh.gaps(index_name="PAR")) == [
        ("U1", 1, "met"), ("U2", 2, "at_risk")]


def test_par_keep_max_disabled(wh):
    wh.par(
        ("U1", 2023, "1.1", "1", "1", "1"), ("U1", 2024, "1.1", "1", "1", None),
        ("U1", 2023, "1.2", "1", "0", "0"), ("U1", 2024, "1.2", "1", "0", None),
        ("U1", 2024, "1.3", "1", "0", None),
    )
    wh.plan({"rules": {"par_keep_max": {"enabled": False}}})
    rows = wh.gaps(index_name="PAR")
    assert sorted(((r["criterion_code"], r["appendix"]) for r in rows), key=str) == [
        ("1.2", 2), ("1.3", None)]


def test_par_beat_baseline_left_out_of_the_plan(wh):
    wh.par(
        ("U1", 2023, "1.1", "1", "1", "1"), ("U1", 2024, "1.1", "1", "1", None),
        ("U1", 2023, "1.2", "1", "0", "0"), ("U1", 2024, "1.2", "1", "0", None),
    )
    wh.plan(drop=["rules.par_beat_baseline"])
    assert [(r["criterion_code"], r["appendix"]) for r in wh.gaps(index_name="PAR")] == [
        ("1.1", 1)]


def test_not_applicable_in_baseline_scored_in_target_year_has_no_target(wh):
    wh.par(("U1", 2023, "5.3", "1", "KAD", None), ("U1", 2024, "5.3", "1", "1", None))
    row = par_row(wh, "5.3")
    assert (row["appendix"], row["target_value"], row["status"]) == (None, None, "no_data")


# --- a tree that does not add up ----------------------------------------------------------

TREE_KEYS = ("current_value", "children_value", "baseline_value", "baseline_children_value",
             "children_sum_differs", "status")


def test_a_criterion_whose_score_differs_from_its_children_is_flagged_and_judged_as_stated(wh):
    # 2.2 says 2,2 in 2024 while its TCTPs sum to 2,9 (which would beat 2,7)
    wh.par(
        ("U1", 2023, "2.2", "3", "2,7", "2,7"), ("U1", 2023, "2.2.1", "1,5", "1,5", "1,5"),
        ("U1", 2023, "2.2.2", "1,5", "1,2", "1,2"),
        ("U1", 2024, "2.2", "3", "2,2", None), ("U1", 2024, "2.2.1", "1,5", "1,5", None),
        ("U1", 2024, "2.2.2", "1,5", "1,4", None),
    )
    row = wh.gap(index_name="PAR", criterion_code="2.2")
    assert {k: row[k] for k in TREE_KEYS} == {
        "current_value": Decimal("2.2"), "children_value": Decimal("2.9"),
        "baseline_value": Decimal("2.7"), "baseline_children_value": Decimal("2.7"),
        "children_sum_differs": True, "status": "at_risk",
    }
    assert wh.gap(index_name="PAR", criterion_code="2.2.2")["children_sum_differs"] is False


def test_each_stage_is_compared_only_where_every_child_has_it(wh):
    wh.par(
        ("U1", 2023, "1", "4", "3", "3"), ("U1", 2023, "1.1", "2", "1", "1"),
        ("U1", 2023, "1.2", "2", "2", "2"),
        # 2024: the area's appraised total is stated while 1.1 and 1.2 are not appraised: no
        # appraised sum to compare; 1.2 is not applicable: no self-assessed sum either
        ("U1", 2024, "1", "4", "1", "5"), ("U1", 2024, "1.1", "2", "1", None),
        ("U1", 2024, "1.2", "2", "Không áp dụng", None),
    )
    wh.run()
    tree = {r["criterion_code"]: r for r in wh.rows(
        "select * from int_par__tree where year = 2024")}
    assert tree["1"]["children_sum_differs"] is False
    assert tree["1"]["children_value"] is None  # its value is appraised; children's is not
    # the area's appraised score against the children's once they are all appraised
    wh.par(("U1", 2025, "1", "4", "1", "1,5"), ("U1", 2025, "1.1", "2", "1", "1"),
           ("U1", 2025, "1.2", "2", "0", "0"))
    wh.run()
    tree = {r["criterion_code"]: r for r in wh.rows(
        "select * from int_par__tree where year = 2025")}
    assert tree["1"]["children_sum_differs"] is True
    assert tree["1"]["children_value"] == Decimal("1")
