"""A plan whose target year scores PAR on a new criteria edition names a crosswalk
(criteria_crosswalk.PAR): the baseline is mapped onto the new codes and maxima before it is
compared (int_par__crosswalk, int_par__targets). Rows in -> rows out, each rule by hand.

PAR rows are (unit, year, code, max, self, appraised); the plan's unit is U1, 2023 -> 2024."""

from __future__ import annotations

from decimal import Decimal

import pytest

from flows.errors import PlanError

HEADER = "old_code,new_code,old_max,new_max,kind,rule\n"


def crosswalk(wh, *lines: str, changed_max: str | None = None, name: str = "xw.csv"):
    (wh.tmp_path / name).write_text(HEADER + "".join(f"{line}\n" for line in lines),
                                    encoding="utf-8")
    changes: dict = {"criteria_crosswalk": {"PAR": name}}
    if changed_max:
        changes["rules"] = {"par_beat_baseline": {"changed_max": changed_max}}
    return wh.plan(changes)


def par(wh, code: str) -> dict:
    return wh.gap(index_name="PAR", unit_code="U1", criterion_code=code)


def test_a_renumbered_criterion_keeps_its_baseline_under_the_new_code(wh):
    wh.par(("U1", 2023, "5.2", "2", "1,5", "1,5"), ("U1", 2024, "5.3", "2", "1,75", "1,75"))
    crosswalk(wh, "5.2,5.3,2,2,renumbered,")
    row = par(wh, "5.3")
    assert (row["appendix"], row["baseline_value"], row["target_op"], row["target_value"],
            row["current_value"], row["status"], row["baseline_code"], row["change_kind"]) == (
        2, Decimal("1.5"), ">", Decimal("1.5"), Decimal("1.75"), "met", "5.2", "renumbered")
    assert row["rule_vi"] == "Đạt điểm cao hơn năm 2023 (1,5; mã năm 2023: 5.2)"
    assert not wh.gaps(criterion_code="5.2")  # the old code is not a second criterion


def test_without_a_crosswalk_the_same_rows_are_two_criteria(wh):
    wh.par(("U1", 2023, "5.2", "2", "1,5", "1,5"), ("U1", 2024, "5.3", "2", "1,75", "1,75"))
    wh.plan()
    assert (par(wh, "5.2")["status"], par(wh, "5.3")["status"]) == ("no_data", "no_data")
    assert par(wh, "5.3")["appendix"] is None


def test_a_changed_maximum_compares_shares_by_default(wh):
    # 1 of 2 in 2023 is half; half of the new maximum 4 is 2: 2024 must score above 2
    wh.par(("U1", 2023, "1.1", "2", "1", "1"), ("U1", 2024, "1.1", "4", "2", None))
    crosswalk(wh, "1.1,1.1,2,4,max_changed,")
    row = par(wh, "1.1")
    assert (row["appendix"], row["baseline_value"], row["max_value"], row["target_value"],
            row["status"]) == (2, Decimal("2"), Decimal("4"), Decimal("2"), "at_risk")
    assert row["rule_vi"] == ("Đạt điểm cao hơn năm 2023 (2,0; điểm tối đa năm 2023: 2,0,"
                              " quy đổi theo tỷ lệ điểm/điểm tối đa)")


def test_a_changed_maximum_compares_points_when_the_plan_says_so(wh):
    wh.par(("U1", 2023, "1.1", "2", "1", "1"), ("U1", 2024, "1.1", "4", "2", None))
    crosswalk(wh, "1.1,1.1,2,4,max_changed,", changed_max="points")
    row = par(wh, "1.1")
    assert (row["appendix"], row["baseline_value"], row["max_value"], row["target_value"],
            row["status"]) == (2, Decimal("1"), Decimal("4"), Decimal("1"), "met")
    assert row["rule_vi"].endswith("so sánh theo điểm)")


@pytest.mark.parametrize("changed_max", ["share", "points"])
def test_keep_max_targets_the_new_maximum(wh, changed_max):
    wh.par(("U1", 2023, "1.2", "2", "2", "2"), ("U1", 2024, "1.2", "3", "2,5", "2,5"))
    crosswalk(wh, "1.2,1.2,2,3,max_changed,", changed_max=changed_max)
    row = par(wh, "1.2")
    assert (row["appendix"], row["target_op"], row["target_value"], row["max_value"],
            row["status"]) == (1, ">=", Decimal("3"), Decimal("3"), "missed")


def test_each_part_of_a_split_keeps_the_old_share(wh):
    wh.par(("U1", 2023, "2.1", "2", "1,5", "1,5"),
           ("U1", 2024, "2.1", "1", "1", "1"), ("U1", 2024, "2.2", "3", "2", "2"))
    crosswalk(wh, "2.1,2.1,2,1,split,share", "2.1,2.2,2,3,split,")
    first, second = par(wh, "2.1"), par(wh, "2.2")
    # 1,5 of 2 = 0,75 of the maximum: 0,75 of 1 and 2,25 of 3
    assert (first["baseline_value"], first["status"]) == (Decimal("0.75"), "met")
    assert (second["baseline_value"], second["status"]) == (Decimal("2.25"), "missed")
    assert second["baseline_code"] == "2.1" and second["change_kind"] == "split"
    assert "tách từ tiêu chí 2.1 năm 2023" in second["rule_vi"]


@pytest.mark.parametrize(("rule", "expected"), [
    ("pooled", Decimal("4")),    # (1 + 1) / (2 + 1) of 6
    ("mean", Decimal("4.5")),    # (0,5 + 1) / 2 of 6
])
def test_a_merged_criterion_pools_or_averages_its_parts(wh, rule, expected):
    wh.par(("U1", 2023, "3.1", "2", "1", "1"), ("U1", 2023, "3.2", "1", "1", "1"),
           ("U1", 2024, "3.1", "6", "5", "5"))
    crosswalk(wh, f"3.1,3.1,2,6,merged,{rule}", "3.2,3.1,1,6,merged,")
    row = par(wh, "3.1")
    assert (row["appendix"], row["baseline_value"], row["target_value"], row["status"],
            row["baseline_code"]) == (2, expected, expected, "met", "3.1, 3.2")
    assert len(wh.gaps(index_name="PAR")) == 1


def test_a_merged_criterion_at_the_maximum_everywhere_keeps_the_maximum(wh):
    wh.par(("U1", 2023, "3.1", "2", "2", "2"), ("U1", 2023, "3.2", "1", "1", "1"),
           ("U1", 2024, "3.1", "6", "6", "6"))
    crosswalk(wh, "3.1,3.1,2,6,merged,pooled", "3.2,3.1,1,6,merged,pooled")
    row = par(wh, "3.1")
    assert (row["appendix"], row["target_value"], row["status"]) == (1, Decimal("6"), "met")


def test_a_third_of_a_new_maximum_rounds_half_up_to_6_places(wh):
    wh.par(("U1", 2023, "2.3", "3", "1", "1"))
    crosswalk(wh, "2.3,2.3,3,2,max_changed,")
    assert par(wh, "2.3")["baseline_value"] == Decimal("0.666667")


def test_a_retired_criterion_has_no_target_and_is_counted(wh):
    wh.par(("U1", 2023, "4.1", "1", "0,5", "0,5"), ("U1", 2023, "4.2", "1", "1", "1"),
           ("U1", 2024, "4.2", "1", "1", "1"))
    crosswalk(wh, "4.1,,1,,retired,")
    row = par(wh, "4.1")
    assert (row["appendix"], row["status"], row["target_op"], row["target_value"],
            row["change_kind"]) == (2, "retired", None, None, "retired")
    assert row["rule_vi"] == ("Không còn đánh giá từ năm 2024 (bộ tiêu chí mới không có tiêu"
                              " chí này)")
    assert par(wh, "4.2")["status"] == "met"
    assert wh.rows("select retired, total, met from rpt_standing where is_total") == [
        {"retired": 1, "total": 2, "met": 1}]
    # the checks on what is published count it, and find no target on it
    from flows.warehouse import models
    models.run_model(wh.con, "chk_criterion_gaps__profile", "gap_profile", temp=True)
    assert wh.rows("select n_retired, n_retired_with_target, n_bad_status from gap_profile"
                   " where appendix = 2") == [
        {"n_retired": 1, "n_retired_with_target": 0, "n_bad_status": 0}]


def test_a_new_criterion_stays_no_data_without_an_appendix(wh):
    wh.par(("U1", 2023, "1.1", "1", "1", "1"), ("U1", 2024, "6.1", "2", "1", None))
    crosswalk(wh, ",6.1,,2,new,")
    row = par(wh, "6.1")
    assert (row["appendix"], row["status"], row["target_value"]) == (None, "no_data", None)


def test_predecessors_are_mapped_before_they_are_combined(wh):
    # STTTT scored the old 5.2 (1 of 2); the merged unit's edition calls it 5.3 out of 4
    wh.par(("STTTT", 2024, "5.2", "2", "1", "1"), ("BKN.SKHCN", 2024, "5.2", "2", "2", "2"),
           ("TNG.SKHCN", 2025, "5.3", "4", "3", None))
    (wh.tmp_path / "xw.csv").write_text(HEADER + "5.2,5.3,2,4,max_changed,\n", encoding="utf-8")
    wh.plan({"baseline_year": 2024, "target_year": 2025, "units": ["TNG.SKHCN"],
             "provinces": ["Thái Nguyên"], "criteria_crosswalk": {"PAR": "xw.csv"},
             "baseline_from": {"TNG.SKHCN": {"PAR": {"STTTT": 1, "BKN.SKHCN": 1}}}})
    row = wh.gap(index_name="PAR", unit_code="TNG.SKHCN", criterion_code="5.3")
    # shares 0,5 and 1, mean 0,75, of 4 = 3; 3 is not above 3
    assert (row["appendix"], row["baseline_value"], row["target_value"], row["status"]) == (
        2, Decimal("3"), Decimal("3"), "at_risk")


@pytest.mark.parametrize(("line", "message"), [
    ("5.2,5.3,2,2,moved,", "dòng 2, cột kind: 'moved' không hợp lệ"),
    ("5.2,5.3,2,3,renumbered,", "dòng 2: kind renumbered cần cùng điểm tối đa"),
    ("5.2,5.3,2,x,max_changed,", "dòng 2, cột new_max: cần điểm tối đa là một số dương"),
    ("5.2,5.3,2,2,merged,sum", "dòng 2, cột rule: 'sum' không dùng được với kind merged"),
    ("5.2,,2,,renumbered,", "dòng 2, cột new_code: cần một mã tiêu chí với kind renumbered"),
])
def test_a_bad_crosswalk_row_names_file_row_and_column(wh, line, message):
    with pytest.raises(PlanError) as err:
        crosswalk(wh, line)
    assert f"xw.csv, {message}" in str(err.value)


def test_a_code_twice_outside_a_split_is_refused(wh):
    with pytest.raises(PlanError, match=r"dòng 3, cột old_code: 5.2 đã có ở dòng 2"):
        crosswalk(wh, "5.2,5.3,2,2,renumbered,", "5.2,5.4,2,2,renumbered,")


def test_a_missing_crosswalk_file_says_where_it_was_looked_for(wh):
    with pytest.raises(PlanError, match="criteria_crosswalk.PAR: không tìm thấy tệp"):
        wh.plan({"criteria_crosswalk": {"PAR": "khong_co.csv"}})


def test_the_shipped_sample_crosswalk_loads(wh):
    plan = wh.plan({"criteria_crosswalk": {"PAR": "par_2024_2025_synthetic.csv"}})
    kinds = {row[5] for row in plan.crosswalk}
    assert kinds == {"same", "renumbered", "max_changed", "split", "merged", "retired", "new"}


def test_the_summary_digest_and_report_count_retired_criteria(wh, tmp_path):
    import datetime as dt

    from flows.documents import report
    from flows.documents.summary import collect_summary, render
    from flows.notify.alerts import AlertReport, plan_digest, read_published
    from flows.notify.store import AlertStore
    from flows.plan import load_plan
    from flows.warehouse import run_records
    from flows.warehouse.run_records import RunInfo

    wh.par(("U1", 2023, "4.1", "1", "0,5", "0,5"), ("U1", 2023, "4.2", "1", "1", "1"),
           ("U1", 2024, "4.2", "1", "1", "1"))
    crosswalk(wh, "4.1,,1,,retired,")
    wh.run()
    run = RunInfo("r1", dt.datetime(2024, 12, 1, 8, 0, tzinfo=dt.UTC), "inbox", "plan", "db")
    run_records.create_tables(wh.con)
    plan = load_plan(wh.tmp_path / "plan.yaml")
    text = render(collect_summary(wh.con, run, plan, [], []), "chiso.duckdb")
    header = next(line for line in text.splitlines() if "Chỉ số" in line and "Phụ lục" in line)
    assert header.rstrip().endswith("Không còn đánh giá")
    wh.con.execute("checkpoint")
    path = tmp_path / "published.duckdb"
    wh.con.execute(f"attach '{path}' as out")
    wh.con.execute("copy from database memory to out")
    wh.con.execute("detach out")
    assert '<th class="num">Không còn đánh giá</th>' in report.render_html(report.load(path))
    store = AlertStore(tmp_path / "alerts.sqlite")
    digest = plan_digest(plan, read_published(path, plan, store, owner_items=False), store,
                         AlertReport("preview"), dt.datetime(2024, 12, 1, 8, tzinfo=dt.UTC))
    assert "không áp dụng 0, không còn đánh giá 1" in digest.text
    assert "Không còn đánh giá</th>" in digest.html


def test_each_predecessor_goes_through_its_own_crosswalk(wh):
    """Predecessors on their province's framework: STTTT's 1.1 is the new 1.1, TNG.STTTT's is
    its 2.1 (its own file, where its old 1.1 is retired and counts for nothing); each share is
    mapped first, then combined (weights 1:1)."""
    unit = "TNG.SKHCN"
    wh.par(("STTTT", 2024, "1.1", "1", "0,5", "0,5"),
           ("TNG.STTTT", 2024, "2.1", "2", "2", "2"), ("TNG.STTTT", 2024, "1.1", "1", "0", "0"),
           (unit, 2025, "1.1", "2", "1,5", None))
    (wh.tmp_path / "bac_kan.csv").write_text(HEADER + "1.1,1.1,1,2,max_changed,\n",
                                             encoding="utf-8")
    (wh.tmp_path / "thai_nguyen.csv").write_text(
        HEADER + "2.1,1.1,2,2,renumbered,\n1.1,,1,,retired,\n", encoding="utf-8")
    wh.plan({"baseline_year": 2024, "target_year": 2025, "units": [unit],
             "provinces": ["Thái Nguyên"],
             "baseline_from": {unit: {"PAR": {"STTTT": 1, "TNG.STTTT": 1}}},
             "criteria_crosswalk": {"PAR": {"*": "bac_kan.csv", "TNG.STTTT": "thai_nguyen.csv"}}})
    row = wh.gap(index_name="PAR", unit_code=unit, criterion_code="1.1")
    # STTTT: 0,5 of 1 = 50 %; TNG.STTTT's 2.1: 2 of 2 = 100 %; mean 75 % of 2 = 1,5
    assert (row["appendix"], row["baseline_value"], row["current_value"], row["status"]) == (
        2, Decimal("1.5"), Decimal("1.5"), "at_risk")
