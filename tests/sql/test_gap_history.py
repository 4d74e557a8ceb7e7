"""gap_history: one row per period in which a criterion's values did not change; a re-run on
the same as-of date replaces that date; the state on any date is one query."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

D1, D2, D3 = dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 5)


def run_on(wh, day: dt.date, current_self: str) -> list[dict]:
    """One nightly run on `day` with criterion 1.1 self-assessed at `current_self` in 2024."""
    wh.con.execute("delete from raw_par_scores")
    wh.par(("U1", 2023, "1.1", "1", "0,5", "0,5"), ("U1", 2023, "1.2", "1", "1", "1"),
           ("U1", 2024, "1.1", "1", current_self, None), ("U1", 2024, "1.2", "1", "1", None))
    wh.con.execute("create or replace table current_run as select null::varchar as run_id,"
                   " ?::date as as_of_date", [day])
    wh.run()
    history = wh.rows("select * from gap_history order by criterion_code, valid_from")
    wh.con.execute("create or replace table prev_gap_history as select * from gap_history")
    return history


def periods(history: list[dict], code: str) -> list[tuple]:
    return [(h["valid_from"], h["valid_to"], h["current_value"], h["status"])
            for h in history if h["criterion_code"] == code]


def test_first_run_opens_one_period_per_criterion(wh):
    history = run_on(wh, D1, "0,5")
    assert periods(history, "1.1") == [(D1, None, Decimal("0.5"), "at_risk")]
    assert periods(history, "1.2") == [(D1, None, Decimal("1"), "met")]


def test_an_unchanged_night_adds_no_row(wh):
    run_on(wh, D1, "0,5")
    history = run_on(wh, D2, "0,5")
    assert len(history) == 2
    assert periods(history, "1.1") == [(D1, None, Decimal("0.5"), "at_risk")]


def test_a_change_closes_the_old_period_and_opens_a_new_one(wh):
    run_on(wh, D1, "0,5")
    run_on(wh, D2, "0,5")
    history = run_on(wh, D3, "0,75")
    assert periods(history, "1.1") == [
        (D1, D3, Decimal("0.5"), "at_risk"),
        (D3, None, Decimal("0.75"), "met"),
    ]
    assert periods(history, "1.2") == [(D1, None, Decimal("1"), "met")]


def test_a_rerun_on_the_same_date_replaces_that_dates_rows(wh):
    run_on(wh, D1, "0,5")
    run_on(wh, D2, "0,75")
    history = run_on(wh, D2, "0,25")  # the same night, run again on corrected data
    assert periods(history, "1.1") == [
        (D1, D2, Decimal("0.5"), "at_risk"),
        (D2, None, Decimal("0.25"), "at_risk"),
    ]
    history = run_on(wh, D2, "0,5")  # and again, back to the first value: one period
    assert periods(history, "1.1") == [(D1, None, Decimal("0.5"), "at_risk")]


def test_the_state_on_a_date_is_one_query(wh):
    run_on(wh, D1, "0,5")
    run_on(wh, D3, "0,75")
    as_of = wh.rows(
        "select criterion_code, current_value from gap_history"
        " where valid_from <= ? and (valid_to is null or valid_to > ?) order by 1", [D2, D2])
    assert as_of == [{"criterion_code": "1.1", "current_value": Decimal("0.5")},
                     {"criterion_code": "1.2", "current_value": Decimal("1")}]


def test_every_mart_row_carries_the_plans_id(wh):
    wh.plan({"id": "u1-2023-2024"})
    run_on(wh, D1, "0,5")
    for mart in ("criterion_gaps", "gap_history", "criterion_guidance", "deadline_watch",
                 "participation_targets", "rank_targets", "sipas_groups", "guidance_par",
                 "guidance_sipas", "guidance_papi"):
        ids = wh.rows(f"select distinct plan_id from {mart}")
        assert ids in ([], [{"plan_id": "u1-2023-2024"}]), mart
    assert wh.value("select count(*) from criterion_gaps where plan_id = 'u1-2023-2024'") > 0


def test_a_plan_without_an_id_is_known_by_its_file_name(wh):
    assert wh.plan().id == "plan"  # tests/sql writes the plan as plan.yaml
    run_on(wh, D1, "0,5")
    assert wh.rows("select distinct plan_id from criterion_gaps") == [{"plan_id": "plan"}]


def test_another_plans_history_is_kept_as_it_is(wh):
    wh.plan({"id": "first"})
    run_on(wh, D1, "0,5")
    wh.plan({"id": "second"})
    history = run_on(wh, D3, "0,75")
    first = [(h["criterion_code"], h["valid_from"], h["valid_to"], h["current_value"])
             for h in history if h["plan_id"] == "first"]
    assert first == [("1.1", D1, None, Decimal("0.5")), ("1.2", D1, None, Decimal("1"))]
    assert periods([h for h in history if h["plan_id"] == "second"], "1.1") == [
        (D3, None, Decimal("0.75"), "met")]


def test_a_history_published_before_plan_ids_becomes_the_running_plans(wh):
    wh.plan({"id": "seed"})
    run_on(wh, D1, "0,5")
    # as a database published before plans had ids holds it
    wh.con.execute("alter table prev_gap_history drop column plan_id")
    history = run_on(wh, D3, "0,75")
    assert {h["plan_id"] for h in history} == {"seed"}
    assert periods(history, "1.1") == [
        (D1, D3, Decimal("0.5"), "at_risk"), (D3, None, Decimal("0.75"), "met")]
