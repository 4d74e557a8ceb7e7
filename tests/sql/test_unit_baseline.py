"""A unit formed in the 2025 reorganisation takes its baseline from its predecessors, as the plan
declares (baseline_from): PAR combines shares of the maximum with weights, SIPAS pools answers.

Sở KH&CN Thái Nguyên (TNG.SKHCN) plans 2024 -> 2025; its predecessors in
data/reference/units.csv are Sở TT&TT Bắc Kạn (STTTT), Sở KH&CN Bắc Kạn (BKN.SKHCN), Sở TT&TT
Thái Nguyên (TNG.STTTT) and itself before the merger. PAR rows are (unit, year, code, max,
self, appraised)."""

from __future__ import annotations

from decimal import Decimal

UNIT = "TNG.SKHCN"


def plan_for_the_merged_unit(wh, par: dict | None = None, sipas: dict | None = None) -> None:
    declared = {}
    if par:
        declared["PAR"] = par
    if sipas:
        declared["SIPAS"] = sipas
    wh.plan({"baseline_year": 2024, "target_year": 2025, "units": [UNIT],
             "provinces": ["Thái Nguyên"], "baseline_from": {UNIT: declared}})


def par_gap(wh, code: str) -> dict:
    return wh.gap(index_name="PAR", unit_code=UNIT, criterion_code=code)


def test_one_predecessor_gives_its_scores_on_the_units_scale(wh):
    wh.par(("STTTT", 2024, "1.1", "1", "0,5", "0,5"),
           (UNIT, 2025, "1.1", "2", "1,5", None))  # the new edition scores 1.1 out of 2
    plan_for_the_merged_unit(wh, par={"STTTT": 1})
    row = par_gap(wh, "1.1")
    assert (row["appendix"], row["baseline_value"], row["max_value"], row["target_op"],
            row["target_value"], row["status"]) == (
        2, Decimal("1"), Decimal("2"), ">", Decimal("1"), "met")
    assert row["baseline_from"] == "Sở Thông tin và Truyền thông Bắc Kạn (đơn vị tiền thân)"
    assert row["rule_vi"] == "Đạt điểm cao hơn năm 2024 (1,0)"


def test_combined_is_the_weighted_mean_of_shares_of_the_maximum(wh):
    wh.par(("STTTT", 2024, "1.1", "1", "1", "1"),          # share 1
           ("BKN.SKHCN", 2024, "1.1", "2", "1", "1"),      # share 0,5
           ("TNG.SKHCN", 2024, "1.1", "1", "0", "0"),      # share 0
           (UNIT, 2025, "1.1", "2", "1,5", None))
    plan_for_the_merged_unit(wh, par={"STTTT": 2, "BKN.SKHCN": 1, "TNG.SKHCN": 1})
    row = par_gap(wh, "1.1")
    # (2 x 1 + 1 x 0,5 + 1 x 0) / 4 = 0,625 of the unit's maximum 2 = 1,25
    assert (row["appendix"], row["baseline_value"], row["target_value"], row["current_value"],
            row["status"]) == (2, Decimal("1.25"), Decimal("1.25"), Decimal("1.5"), "met")
    assert row["baseline_from"] == ("bình quân có trọng số tỷ lệ điểm/điểm tối đa của Sở Thông tin"
                                    " và Truyền thông Bắc Kạn × 2, Sở Khoa học và Công nghệ Bắc"
                                    " Kạn × 1, Sở Khoa học và Công nghệ Thái Nguyên × 1")


def test_the_predecessors_are_read_not_judged(wh):
    """Only the plan's unit has criteria: its predecessors' baseline-year rows feed its baseline
    and are not criteria of their own (no rows 'no data' for STTTT, BKN.SKHCN)."""
    wh.par(("STTTT", 2024, "1.1", "1", "1", "1"), ("BKN.SKHCN", 2024, "1.1", "2", "1", "1"),
           (UNIT, 2025, "1.1", "2", "1,5", None))
    wh.sipas_rate(2024, "STTTT", "1.1", "70", 40)
    wh.sipas_rate(2025, UNIT, "1.1", "85", 40)
    plan_for_the_merged_unit(wh, par={"STTTT": 1, "BKN.SKHCN": 1}, sipas={"STTTT": 1})
    assert {(r["index_name"], r["unit_code"]) for r in wh.gaps() if r["index_name"] != "PAPI"
            } == {("PAR", UNIT), ("SIPAS", UNIT)}


def test_combined_at_the_maximum_everywhere_is_appendix_1(wh):
    wh.par(("STTTT", 2024, "1.2", "1", "1", "1"), ("BKN.SKHCN", 2024, "1.2", "0,5", "0,5", None),
           (UNIT, 2025, "1.2", "1", "0,75", None))
    plan_for_the_merged_unit(wh, par={"STTTT": 1, "BKN.SKHCN": 1})
    row = par_gap(wh, "1.2")
    assert (row["appendix"], row["baseline_value"], row["target_value"], row["status"]) == (
        1, Decimal("1"), Decimal("1"), "at_risk")


def test_only_the_predecessors_that_scored_a_criterion_count(wh):
    wh.par(("STTTT", 2024, "1.3", "1", "0,5", None),
           ("BKN.SKHCN", 2024, "1.3", "1", "KAD", None),       # not applicable there
           ("BKN.SKHCN", 2024, "1.4", "1", "KAD", None),
           ("STTTT", 2024, "1.4", "1", "KAD", None),
           (UNIT, 2025, "1.3", "1", "0,75", None), (UNIT, 2025, "1.4", "1", "1", None))
    plan_for_the_merged_unit(wh, par={"STTTT": 1, "BKN.SKHCN": 3})
    assert par_gap(wh, "1.3")["baseline_value"] == Decimal("0.5")
    na = par_gap(wh, "1.4")  # not applicable for every predecessor: no baseline, no appendix
    assert (na["appendix"], na["baseline_value"]) == (None, None)


def test_a_third_rounds_half_up_to_6_places(wh):
    wh.par(("STTTT", 2024, "2.1", "3", "1", None), ("BKN.SKHCN", 2024, "2.1", "3", "1", None),
           (UNIT, 2025, "2.1", "1", "1", None))
    plan_for_the_merged_unit(wh, par={"STTTT": 1, "BKN.SKHCN": 1})
    assert par_gap(wh, "2.1")["baseline_value"] == Decimal("0.333333")


def test_a_unit_without_a_declaration_keeps_its_own_baseline(wh):
    wh.par(("U1", 2023, "1.1", "1", "0,5", "0,5"), ("U1", 2024, "1.1", "1", "0,75", None))
    wh.run()
    row = wh.gap(index_name="PAR", unit_code="U1", criterion_code="1.1")
    assert (row["baseline_value"], row["baseline_from"]) == (Decimal("0.5"), None)


def test_sipas_pools_the_predecessors_answers(wh):
    wh.sipas_answers(2024, "STTTT", "Q1", [5, 5, 5, 4, 2])        # 4 of 5 satisfied
    wh.sipas_answers(2024, "BKN.SKHCN", "Q1", [1, 2, 4, 2, 2])    # 1 of 5
    wh.sipas_answers(2025, UNIT, "Q1", [5, 4, 4, 4, 1, 5])
    plan_for_the_merged_unit(wh, sipas={"STTTT": 1, "BKN.SKHCN": 1})
    row = wh.gap(index_name="SIPAS", unit_code=UNIT, criterion_code="Q1")
    # pooled: 5 of 10 answers satisfied
    assert (row["baseline_value"], row["baseline_n"], row["target_value"]) == (
        Decimal("50"), 10, Decimal("60"))
    assert row["baseline_from"] == ("gộp phiếu của Sở Khoa học và Công nghệ Bắc Kạn, Sở Thông tin"
                                    " và Truyền thông Bắc Kạn")


def test_sipas_pooling_weighs_by_answers_not_by_unit(wh):
    wh.sipas_answers(2024, "STTTT", "Q1", [5, 5, 5, 5, 5, 5, 5, 5, 1, 1])   # 8 of 10
    wh.sipas_answers(2024, "BKN.SKHCN", "Q1", [1, 1])                        # 0 of 2
    plan_for_the_merged_unit(wh, sipas={"STTTT": 1, "BKN.SKHCN": 1})
    row = wh.gap(index_name="SIPAS", unit_code=UNIT, criterion_code="Q1")
    assert row["baseline_value"] == Decimal("66.666667")  # 8 / 12, not (80 + 0) / 2


def test_the_summary_and_the_report_say_where_the_baseline_came_from(wh, tmp_path):
    import datetime as dt

    from flows.documents import report
    from flows.documents.summary import collect_summary, render
    from flows.plan import load_plan
    from flows.warehouse import run_records
    from flows.warehouse.run_records import RunInfo

    wh.par(("STTTT", 2024, "1.1", "1", "0,5", "0,5"), (UNIT, 2025, "1.1", "1", "0,75", None))
    plan_for_the_merged_unit(wh, par={"STTTT": 1})
    wh.run()
    assert wh.rows("select * from rpt_baseline_sources") == [dict(
        index_name="PAR", unit_code=UNIT, baseline_year=2024,
        baseline_from="Sở Thông tin và Truyền thông Bắc Kạn (đơn vị tiền thân)")]
    line = ("Cơ sở 2024 lấy từ (Chỉ số CCHC (PAR INDEX), TNG.SKHCN): Sở Thông tin và Truyền"
            " thông Bắc Kạn (đơn vị tiền thân)")
    run = RunInfo("r1", dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC), "inbox", "plan", "db")
    run_records.create_tables(wh.con)
    summary = collect_summary(wh.con, run, load_plan(wh.tmp_path / "plan.yaml"), [], [])
    assert line in render(summary, "chiso.duckdb").splitlines()
    wh.con.execute("checkpoint")
    path = tmp_path / "report.duckdb"
    wh.con.execute(f"attach '{path}' as out")
    wh.con.execute("copy from database memory to out")  # tables, views and macros
    wh.con.execute("detach out")
    assert line in report.render_html(report.load(path))
