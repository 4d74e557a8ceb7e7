"""A chain of plan years in one database (plan key `continues`): each plan of the chain is
evaluated on the same rows, oldest first; every mart row carries its plan's id; what the
documents read is the running plan's; a second night gives the same rows, not twice as many."""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml

from flows.errors import PlanError
from flows.plan import continued_plans, load_plan
from flows.warehouse import chain
from tests.sql.conftest import BASE_PLAN, merged


def write_plan(folder, name: str, changes: dict) -> None:
    # PAR only: the chain is about plan years, not the province map (tests/sql/test_province_maps)
    raw = merged(BASE_PLAN, {"provinces": [], **changes})
    raw["rules"].pop("papi_raise_low")
    (folder / name).write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def chained(wh, tmp_path):
    """2023→2024 (first.yaml), then 2024→2025 (second.yaml, id second, continues first)."""
    folder = tmp_path / "plans"
    folder.mkdir()
    write_plan(folder, "first.yaml", {})
    write_plan(folder, "second.yaml", {"baseline_year": 2024, "target_year": 2025,
                                        "continues": "first"})
    # 1.1: 0,5 in 2023, 0,75 in 2024 (beats 2023), 0,5 in 2025 (below 2024)
    wh.par(("U1", 2023, "1.1", "1", "0,5", "0,5"), ("U1", 2024, "1.1", "1", "0,75", "0,75"),
           ("U1", 2025, "1.1", "1", "0,5", None))
    head = load_plan(folder / "second.yaml")
    return wh, head


def night(wh, head):
    continued = continued_plans(head)
    chain.run(wh.con, head, continued, reuse=False)
    return chain.append_continued(wh.con)


def test_the_chain_is_found_by_id_oldest_first(chained):
    _, head = chained
    assert [p.id for p in continued_plans(head)] == ["first"]


def test_each_plan_of_the_chain_has_its_rows(chained):
    wh, head = chained
    appended = night(wh, head)
    assert [plan_id for plan_id, _ in appended] == ["first"]
    rows = wh.rows("select plan_id, baseline_year, current_year, baseline_value, current_value,"
                   " status from criterion_gaps where criterion_code = '1.1' order by plan_id")
    assert rows == [
        {"plan_id": "first", "baseline_year": 2023, "current_year": 2024,
         "baseline_value": Decimal("0.5"), "current_value": Decimal("0.75"), "status": "met"},
        {"plan_id": "second", "baseline_year": 2024, "current_year": 2025,
         "baseline_value": Decimal("0.75"), "current_value": Decimal("0.5"),
         "status": "at_risk"},
    ]
    assert wh.value("select count(distinct plan_id) from gap_history") == 2


def test_documents_read_the_running_plans_rows(chained):
    wh, head = chained
    night(wh, head)
    assert wh.rows("select distinct plan_id from rpt_criteria") == [{"plan_id": "second"}]
    assert wh.value("select count(*) from rpt_worst where criterion_code = '1.1'") == 1
    # both plans hold 1.1 in Phụ lục 2; the appendices are the running plan's
    assert wh.rows("select baseline_value from rpt_appendix_rows where criterion_code = '1.1'"
                   ) == [{"baseline_value": Decimal("0.75")}]
    assert wh.value("select count(*) from rpt_history where criterion_code = '1.1'") == 1


def test_a_second_night_gives_the_same_rows(chained):
    wh, head = chained
    night(wh, head)
    first_night = wh.rows("select * from criterion_gaps order by all")
    wh.con.execute("create or replace table prev_gap_history as select * from gap_history")
    night(wh, head)
    assert wh.rows("select * from criterion_gaps order by all") == first_night
    assert wh.value("select count(*) from gap_history") == wh.value(
        "select count(*) from (select distinct plan_id, index_name, unit_code, criterion_code,"
        " appendix from gap_history)")


def test_a_missing_or_looping_or_overlapping_chain_is_an_error(chained, tmp_path):
    folder = tmp_path / "plans"
    write_plan(folder, "third.yaml", {"baseline_year": 2025, "target_year": 2026,
                                       "continues": "nowhere"})
    with pytest.raises(PlanError, match="continues: 'nowhere': không có tệp kế hoạch nào"):
        continued_plans(load_plan(folder / "third.yaml"))
    write_plan(folder, "late.yaml", {"baseline_year": 2024, "target_year": 2025,
                                      "continues": "second"})
    with pytest.raises(PlanError, match="năm mục tiêu 2025, sau năm cơ sở 2024"):
        continued_plans(load_plan(folder / "late.yaml"))
    # a longer loop has a plan ending after the next one's baseline year: the error above
    write_plan(folder, "a.yaml", {"continues": "a"})
    with pytest.raises(PlanError, match=r"quay vòng \(a → a\)"):
        continued_plans(load_plan(folder / "a.yaml"))


def test_a_plan_found_by_its_id_key(chained, tmp_path):
    folder = tmp_path / "plans"
    write_plan(folder, "ke-hoach-2024.yaml", {"id": "sktcn-2024"})
    write_plan(folder, "next.yaml", {"baseline_year": 2024, "target_year": 2025,
                                      "continues": ["sktcn-2024"]})
    assert [p.path.name for p in continued_plans(load_plan(folder / "next.yaml"))] == [
        "ke-hoach-2024.yaml"]


def test_across_a_criteria_edition_the_next_plan_names_the_previous_code(wh, tmp_path):
    """8.4 of 2024 is 8.5 from 2025: the second plan's history rows say so (baseline_code)."""
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "xw.csv").write_text("old_code,new_code,old_max,new_max,kind,rule\n"
                                   "8.4,8.5,1,1,renumbered,\n", encoding="utf-8")
    write_plan(folder, "first.yaml", {})
    write_plan(folder, "second.yaml", {"baseline_year": 2024, "target_year": 2025,
                                        "continues": "first",
                                        "criteria_crosswalk": {"PAR": "xw.csv"}})
    wh.par(("U1", 2023, "8.4", "1", "0,5", "0,5"), ("U1", 2024, "8.4", "1", "0,75", "0,75"),
           ("U1", 2025, "8.5", "1", "1", None))
    night(wh, load_plan(folder / "second.yaml"))
    linked = wh.rows("""select h2.criterion_code as now, h1.criterion_code as before,
            h1.current_value as before_value
        from gap_history as h2 join gap_history as h1
            on h1.plan_id = 'first' and h1.criterion_code = h2.baseline_code
        where h2.plan_id = 'second'""")
    assert linked == [{"now": "8.5", "before": "8.4", "before_value": Decimal("0.75")}]
