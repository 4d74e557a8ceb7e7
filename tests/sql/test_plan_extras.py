"""The rest of the plan (issue 6), model by model: evidence readiness, survey participation,
ranks from an index results extract, interim SIPAS results, and the key dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.sql.conftest import Warehouse

# --- evidence readiness (int_par__evidence, criterion_gaps.evidence_*) -----------------------


def _par_tree(wh: Warehouse, evidence: dict[str, str] | None = None) -> None:
    """U1 in 2023 and 2024: TC 1.1 with TCTP 1.1.1 and 1.1.2, TC 1.2 without sub-criteria."""
    rows = []
    for year in (2023, 2024):
        for code, mx, score in (("1", 4, 3), ("1.1", 2, 1.5), ("1.1.1", 1, 1), ("1.1.2", 1, 0.5),
                                ("1.2", 2, 1.5)):
            rows.append({"unit_code": "U1", "year": year, "criterion_code": code,
                         "criterion_name": f"Tiêu chí {code}", "max_points": mx,
                         "self_score": score,
                         "evidence": (evidence or {}).get(code) if year == 2024 else None})
    wh.insert("par_scores", rows)


def _evidence(wh: Warehouse) -> dict[str, tuple]:
    return {r["criterion_code"]: (r["evidence_status"], r["evidence_missing"])
            for r in wh.gaps(index_name="PAR")}


def test_a_score_without_evidence_is_flagged(wh):
    _par_tree(wh, {"1.1.1": "Báo cáo 92/BC-STTTT ngày 01/6/2024"})
    assert _evidence(wh) == {
        "1.1": ("missing", True),        # 1.1.2 scored 0,5 without evidence
        "1.1.1": ("present", False),
        "1.1.2": ("missing", True),
        "1.2": ("missing", True),
    }


@pytest.mark.parametrize(("cell", "status"), [
    ("QĐ 215/QĐ-STTTT", "present"),
    ("https://stttt.backan.gov.vn/vb.pdf", "present"),
    ("ke_hoach_2024.docx", "present"),
    ("Trích xuất hệ thống ngày 25/09/2024", "present"),
    ("Không phát sinh trong kỳ", "explanation_only"),
])
def test_what_counts_as_a_document_in_the_par_evidence_column(wh, cell, status):
    _par_tree(wh, {"1.2": cell})
    assert _evidence(wh)["1.2"] == (status, False)


def test_the_evidence_register_backs_scores_and_explanations_do_not(wh):
    _par_tree(wh)
    wh.insert("evidence_register", [
        {"year": 2024, "unit_code": "U1", "criterion_code": "1.1.1", "document": "15/KH-STTTT",
         "document_date": "15/3/2024"},
        {"year": 2024, "unit_code": "U1", "criterion_code": "1.1.2.",  # written with a dot
         "link": "tai_lieu/1.1.2.pdf"},
        {"year": 2024, "unit_code": "U1", "criterion_code": "1.2", "note": "Đang bổ sung"},
        {"year": 2023, "unit_code": "U1", "criterion_code": "1.2", "document": "1/BC-X"},
    ])
    assert _evidence(wh) == {
        "1.1": ("present", False),  # as its scored sub-criteria are
        "1.1.1": ("present", False),
        "1.1.2": ("present", False),
        "1.2": ("explanation_only", False),  # the 2023 document is not this year's
    }
    # SIPAS and PAPI rows carry no evidence status
    wh.sipas_answers(2023, "U1", "Q1", ["2"] * 40)
    assert {r["evidence_status"] for r in wh.gaps(index_name="SIPAS")} == {None}


def test_a_zero_score_needs_no_evidence(wh):
    wh.par(("U1", 2023, "1.1", 1, 1, 1), ("U1", 2024, "1.1", 1, 0, None))
    assert _evidence(wh)["1.1"] == ("missing", False)


# --- survey participation (participation_targets) -------------------------------------------


def test_response_rates_against_the_plan_target(wh):
    wh.insert("survey_participation", [
        {"year": 2024, "index_name": "PAR INDEX", "unit_code": "VP", "forms_assigned": 6,
         "forms_answered": 6},
        {"year": 2024, "index_name": "Chỉ số CCHC", "unit_code": "CNTT", "forms_assigned": 3,
         "forms_answered": 2},
        {"year": 2024, "index_name": "sipas", "unit_code": "X", "forms_assigned": 8,
         "forms_answered": 7},
    ])
    wh.plan({"participation": {"target_pct": 85}})
    wh.run()
    rows = wh.rows("select index_name, unit_code, unit_name, response_rate_pct, target_pct,"
                   " status from participation_targets order by unit_code")
    assert rows == [
        {"index_name": "PAR", "unit_code": "CNTT",
         "unit_name": "Phòng Công nghệ thông tin – Bưu chính, Viễn thông",
         "response_rate_pct": Decimal("66.666667"), "target_pct": Decimal("85"),
         "status": "lagging"},
        {"index_name": "PAR", "unit_code": "VP", "unit_name": "Văn phòng Sở",
         "response_rate_pct": Decimal("100"), "target_pct": Decimal("85"), "status": "met"},
        {"index_name": "SIPAS", "unit_code": "X", "unit_name": None,
         "response_rate_pct": Decimal("87.5"), "target_pct": Decimal("85"), "status": "met"},
    ]


def test_the_default_participation_target_is_every_form(wh):
    wh.insert("survey_participation", [
        {"year": 2024, "index_name": "PAPI", "unit_code": "VP", "forms_assigned": 100,
         "forms_answered": 99},
    ])
    wh.run()
    assert wh.rows("select target_pct, status from participation_targets") == [
        {"target_pct": Decimal("100"), "status": "lagging"}]


# --- ranks from an index results extract (int_index__ranks, rank_targets) --------------------


def _results(wh: Warehouse, index: str, scores: dict[int, dict[str, float]]) -> None:
    wh.insert("index_results", [
        {"year": year, "index_name": index, "name": name, "score": score}
        for year, by_name in scores.items() for name, score in by_name.items()
    ])


def test_par_and_sipas_ranks_from_a_results_extract(wh):
    _results(wh, "PAR INDEX", {
        2023: {"Sở A": 90, "Sở Thông tin và Truyền thông": 85, "Sở B": 80},
        2024: {"Sở A": 91, "Sở thông tin và truyền thông": 92, "Sở B": 80},  # case differs
    })
    _results(wh, "SIPAS", {
        2023: {"Bắc Kạn": 75.03, "Quảng Ninh": 90.61, "Hà Giang": 75.03},  # a tie
        2024: {"Bắc Kạn": 78.17, "Quảng Ninh": 90.59, "Hà Giang": 80},
    })
    wh.plan({"issuer": {"name": "Sở Thông tin và Truyền thông"}})
    wh.run()
    got = wh.rows("select index_name, member, baseline_rank, baseline_n_ranked, current_rank,"
                  " status from rank_targets where index_name <> 'PAPI' order by index_name")
    assert got == [
        {"index_name": "PAR", "member": "Sở Thông tin và Truyền thông", "baseline_rank": 2,
         "baseline_n_ranked": 3, "current_rank": 1, "status": "met"},
        {"index_name": "SIPAS", "member": "Bắc Kạn", "baseline_rank": 2,
         "baseline_n_ranked": 3, "current_rank": 3, "status": "missed"},
    ]


def test_a_rank_that_only_holds_is_missed_and_rank_names_match(wh):
    _results(wh, "PAR", {2023: {"Sở TT&TT": 80, "Sở A": 90}, 2024: {"Sở TT&TT": 85, "Sở A": 95}})
    wh.plan({"rank_names": ["Sở TT&TT"]})
    wh.run()
    assert wh.rows("select member, baseline_rank, current_rank, status from rank_targets"
                   " where index_name = 'PAR'") == [
        {"member": "Sở TT&TT", "baseline_rank": 2, "current_rank": 2, "status": "missed"}]


# --- interim SIPAS results ---------------------------------------------------------------------


def test_an_interim_survey_is_provisional_at_risk_not_missed(wh):
    wh.sipas_answers(2023, "U1", "Q1", ["5"] * 30 + ["2"] * 10)  # 75%: low, target 85%
    wh.insert("sipas_answers", [
        {"year": 2024, "unit_code": "U1", "respondent_id": f"R{i}", "question_code": "Q1",
         "answer": a} for i, a in enumerate(["5"] * 32 + ["2"] * 8)  # 80%
    ], source_file="SIPAS_2024_tam_thoi.xlsx")
    wh.plan({"interim_extracts": ["*TAM_THOI*"]})  # matched whatever the case
    row = wh.gap(index_name="SIPAS", criterion_code="Q1")
    assert (row["current_value"], row["current_stage"], row["status"]) == (
        Decimal("80"), "interim", "at_risk")
    wh.plan({"interim_extracts": []})  # the same answers, final: the target is missed
    row = wh.gap(index_name="SIPAS", criterion_code="Q1")
    assert (row["current_stage"], row["status"]) == ("final", "missed")


def test_interim_published_rates_are_provisional_too(wh):
    wh.sipas_rate(2023, "U1", "C1", "70", 100)
    wh.insert("sipas_rates", [{"year": 2024, "unit_code": "U1", "criterion_code": "C1",
                               "rate_pct": "95", "n": 100}], source_file="rates_interim.csv")
    wh.plan({"interim_extracts": ["*interim*"]})
    row = wh.gap(index_name="SIPAS", criterion_code="C1")
    assert (row["current_stage"], row["status"]) == ("interim", "met")  # met is met


# --- key dates (deadline_watch) ------------------------------------------------------------


def test_key_dates_count_days_left_and_list_what_is_open(wh):
    _par_tree(wh)
    wh.insert("survey_participation", [
        {"year": 2024, "index_name": "PAR", "unit_code": "CNTT", "forms_assigned": 4,
         "forms_answered": 3}])
    wh.con.execute("create table current_run as select 'r' as run_id, date '2024-10-05'"
                   " as as_of_date")
    wh.plan({"key_dates": [
        {"label": "Hạn tự đánh giá", "date": "15/10/2024", "index": "PAR"},
        {"label": "Kỳ điều tra", "date": "2024-10-01", "end": "2024-10-20"},
        {"label": "Công bố SIPAS", "date": "15/3/2025", "index": "SIPAS"},
        {"label": "Đã qua", "date": "30/9/2024"},
    ]})
    wh.run()
    rows = {r["label"]: r for r in wh.rows("select * from deadline_watch")}
    assert [r["label"] for r in wh.rows("select label from deadline_watch")] == [
        "Đã qua", "Hạn tự đánh giá", "Kỳ điều tra", "Công bố SIPAS"]
    due = rows["Hạn tự đánh giá"]
    assert (due["days_left"], due["phase"], due["n_evidence_missing"]) == (10, "upcoming", 4)
    assert due["evidence_missing_codes"] == ["1.1", "1.1.1", "1.1.2", "1.2"]
    assert (due["n_units_lagging"], due["lagging_units"]) == (1, ["CNTT"])
    assert (rows["Kỳ điều tra"]["phase"], rows["Kỳ điều tra"]["days_left"]) == ("ongoing", 15)
    assert (rows["Đã qua"]["phase"], rows["Đã qua"]["days_left"]) == ("passed", -5)
    sipas = rows["Công bố SIPAS"]
    assert (sipas["n_evidence_missing"], sipas["n_units_lagging"]) == (0, 0)
    assert sipas["ends"] == dt.date(2025, 3, 15)


def test_the_plan_refuses_a_date_that_does_not_exist(wh):
    from flows.errors import PlanError

    with pytest.raises(PlanError,
                       match=r"key_dates\.0\.date: '31/2/2024' không phải một ngày có thật"):
        wh.plan({"key_dates": [{"label": "x", "date": "31/2/2024"}]})
    with pytest.raises(PlanError, match=r"key_dates\.0\.end: .* trước ngày bắt đầu"):
        wh.plan({"key_dates": [{"label": "x", "date": "2/3/2024", "end": "1/3/2024"}]})
