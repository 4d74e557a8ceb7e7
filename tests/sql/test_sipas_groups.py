"""SIPAS criteria may belong to a component (policy, service delivery: SIPAS from 2024) and an
element; the criteria sheet's optional component column says which, and sipas_groups pools the
rates of each component x element (the 2023 five-element layout: one group per element).
Rows in -> rows out; the rates by hand."""

from __future__ import annotations

from decimal import Decimal

from tests.sql.test_checks import check, counts, profile_counts


def criteria(wh, *rows: tuple) -> None:
    """Criteria as (code, element, component or None)."""
    wh.insert("sipas_criteria", [
        {"question_code": c, "element": e, "criterion_name": f"Tiêu chí {c}", "component": k}
        for c, e, k in rows
    ])


def groups(wh) -> list[tuple]:
    wh.run()
    return [tuple(r.values()) for r in wh.rows(
        "select component, element, baseline_criteria, baseline_n, baseline_rate_pct,"
        " current_rate_pct, change_pct, n_targets, n_met, n_off_track from sipas_groups")]


def test_rates_pool_by_component_and_element(wh):
    criteria(wh, ("CS1", 1, "Chính sách"), ("1.1", 1, "Cung ứng dịch vụ công"),
             ("1.2", 1, "service_delivery"), ("2.1", 2, "Cung ứng dịch vụ công"))
    # 2023: CS1 3 of 4; 1.1 1 of 4 and 1.2 3 of 4 (pooled 4 of 8 = 50 %); 2.1 4 of 4
    wh.sipas_answers(2023, "U1", "CS1", [5, 4, 4, 1])
    wh.sipas_answers(2023, "U1", "1.1", [5, 1, 2, 3])
    wh.sipas_answers(2023, "U1", "1.2", [5, 4, 4, 2])
    wh.sipas_answers(2023, "U1", "2.1", [5, 5, 4, 4])
    # 2024: 1.1 4 of 4, 1.2 2 of 4 (pooled 75 %); CS1 4 of 4
    wh.sipas_answers(2024, "U1", "CS1", [5, 4, 4, 5])
    wh.sipas_answers(2024, "U1", "1.1", [5, 4, 4, 4])
    wh.sipas_answers(2024, "U1", "1.2", [5, 4, 1, 1])
    assert groups(wh) == [
        # CS1 75 % -> 100 %: low (below 80), target 85 %, met
        ("policy", 1, 1, 4, Decimal("75"), Decimal("100"), Decimal("25"), 1, 1, 0),
        # 1.1 25 % -> 100 % met; 1.2 75 % -> 50 % missed
        ("service_delivery", 1, 2, 8, Decimal("50"), Decimal("75"), Decimal("25"), 2, 1, 1),
        ("service_delivery", 2, 1, 4, Decimal("100"), None, None, 0, 0, 0),
    ]


def test_the_2023_layout_groups_by_element_alone(wh):
    wh.sipas_criterion("1.1", 1, "Nơi ngồi chờ")
    wh.sipas_criterion("1.2", 1, "Trang thiết bị")
    wh.sipas_answers(2023, "U1", "1.1", [5, 4, 1])
    wh.sipas_answers(2023, "U1", "1.2", [5, 5, 5])
    assert groups(wh) == [(None, 1, 2, 6, Decimal("83.333333"), None, None, 1, 0, 0)]


def test_a_component_word_is_read_in_vietnamese_or_english_and_a_wrong_one_refused(wh):
    problems, profile = check(wh, "sipas_criteria", [
        dict(question_code="Q1", element="1", criterion_name="A", component="Chính sách"),
        dict(question_code="Q2", element="1", criterion_name="B", component="cung ung dich vu"),
        dict(question_code="Q3", element="1", criterion_name="C", component=""),
        dict(question_code="Q4", element="1", criterion_name="D", component="Giáo dục"),
    ])
    assert problems == [(5, "component", "out_of_range", "Giáo dục")]
    assert profile_counts(profile) == counts(out_of_range=1)
    wh.con.execute("insert into raw_sipas_criteria select * from incoming where source_row < 5")
    wh.run()
    assert wh.rows("select question_code, component from stg_sipas__criteria order by 1") == [
        {"question_code": "Q1", "component": "policy"},
        {"question_code": "Q2", "component": "service_delivery"},
        {"question_code": "Q3", "component": None}]
