"""sql/staging: text cells in, typed rows out (codes normalised, level and parent derived,
not-applicable cells flagged, answer validity, PAPI code levels)."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from flows.warehouse import models


def stage(wh, model: str) -> None:
    # a staging model reads the unit register and the plan's provinces (_units.sql.j2)
    wh.plan()
    models.run_model(wh.con, "staging/stg_ref__provinces")
    models.run_model(wh.con, f"staging/{model}")


def test_par_scores_types_levels_and_parents(wh):
    wh.par(
        ("U1", "2023", "VII", "10", None, None),
        ("U1", "2023", "7.1.", "2,5", "2", "1,75"),
        ("U1", "2023", "7.1.2", "0,5", " 0.5 ", None),
    )
    stage(wh, "stg_par__scores")
    rows = wh.rows(
        "select unit_code, year, criterion_code, criterion_code_raw, level, depth, parent_code,"
        " max_points, self_score, appraised_score, not_applicable, source_row"
        " from stg_par__scores order by source_row"
    )
    assert rows == [
        dict(unit_code="U1", year=2023, criterion_code="7", criterion_code_raw="VII",
             level="area", depth=1, parent_code=None, max_points=Decimal("10"),
             self_score=None, appraised_score=None, not_applicable=False, source_row=2),
        dict(unit_code="U1", year=2023, criterion_code="7.1", criterion_code_raw="7.1.",
             level="TC", depth=2, parent_code="7", max_points=Decimal("2.5"),
             self_score=Decimal("2"), appraised_score=Decimal("1.75"), not_applicable=False,
             source_row=3),
        dict(unit_code="U1", year=2023, criterion_code="7.1.2", criterion_code_raw="7.1.2",
             level="TCTP", depth=3, parent_code="7.1", max_points=Decimal("0.5"),
             self_score=Decimal("0.5"), appraised_score=None, not_applicable=False,
             source_row=4),
    ]
    assert wh.value("select typeof(year) from stg_par__scores limit 1") == "INTEGER"


def test_par_scores_not_applicable_in_either_score_cell(wh):
    nfd = unicodedata.normalize("NFD", "Không áp dụng")
    wh.par(
        ("U1", "2024", "1.1", "1", "KAD", None),
        ("U1", "2024", "1.2", "1", None, "N/A"),
        ("U1", "2024", "1.3", "1", nfd, None),
        ("U1", "2024", "1.4", "1", "0", "0"),
    )
    stage(wh, "stg_par__scores")
    rows = wh.rows(
        "select criterion_code, not_applicable, self_score, appraised_score"
        " from stg_par__scores order by criterion_code"
    )
    assert rows == [
        dict(criterion_code="1.1", not_applicable=True, self_score=None, appraised_score=None),
        dict(criterion_code="1.2", not_applicable=True, self_score=None, appraised_score=None),
        dict(criterion_code="1.3", not_applicable=True, self_score=None, appraised_score=None),
        dict(criterion_code="1.4", not_applicable=False, self_score=Decimal("0"),
             appraised_score=Decimal("0")),
    ]


def test_sipas_answers_validity(wh):
    wh.sipas_answers(2023, "U1", "Q1", ["5", " 4 ", "1", "", None, "6", "0", "x", "3.5", "4,5"])
    stage(wh, "stg_sipas__answers")
    rows = wh.rows(
        "select respondent_id, answer, is_valid, is_invalid from stg_sipas__answers"
        " order by source_row"
    )
    assert [(r["answer"], r["is_valid"], r["is_invalid"]) for r in rows] == [
        (5, True, False),
        (4, True, False),
        (1, True, False),
        (None, False, False),  # blank: neither valid nor invalid
        (None, False, False),
        (6, False, True),  # 6 is outside 1-5
        (0, False, True),
        (None, False, True),
        (None, False, True),  # 3.5 is not a level (it must not round to 4)
        (None, False, True),
    ]


def test_sipas_criteria_first_row_per_code_wins(wh):
    wh.sipas_criterion(" Q1 ", 1, "Tiếp cận dịch vụ")
    wh.sipas_criterion("Q1", 2, "Bản sao")
    stage(wh, "stg_sipas__criteria")
    assert wh.rows("select question_code, element, criterion_name from stg_sipas__criteria") == [
        dict(question_code="Q1", element=1, criterion_name="Tiếp cận dịch vụ")
    ]


def test_sipas_rates_types(wh):
    wh.sipas_rate(2023, " U1 ", " Q1 ", "75,03", 412)
    stage(wh, "stg_sipas__rates")
    assert wh.rows("select year, unit_code, criterion_code, rate_pct, n from stg_sipas__rates") == [
        dict(year=2023, unit_code="U1", criterion_code="Q1", rate_pct=Decimal("75.03"), n=412)
    ]


def test_papi_scores_codes_levels_and_province_key(wh):
    wh.papi(
        ("2023", " Bắc Kạn ", "d6", "7,1279"),
        ("2023", "Bắc Kạn", "6.2", "1.4148"),
        ("2023", "Bắc Kạn", "Tổng", "43.348"),
    )
    stage(wh, "stg_papi__scores")
    rows = wh.rows(
        "select province, province_key, code, level, dimension_code, score"
        " from stg_papi__scores order by source_row"
    )
    assert rows == [
        dict(province="Bắc Kạn", province_key="bac kan", code="D6", level="dimension",
             dimension_code="D6", score=Decimal("7.1279")),
        dict(province="Bắc Kạn", province_key="bac kan", code="6.2", level="subdimension",
             dimension_code="D6", score=Decimal("1.4148")),
        dict(province="Bắc Kạn", province_key="bac kan", code="Tổng", level=None,
             dimension_code=None, score=Decimal("43.348")),
    ]
