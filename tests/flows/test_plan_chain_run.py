"""A run of a plan that continues another (plan key `continues`), through the flow's steps: the
published file holds both plans' rows, each with its plan_id; the running plan's rows, its
summary and its checks are those of a run without the chain; a second night changes nothing."""

from __future__ import annotations

import shutil

import duckdb
import pytest
import yaml

from tests.conftest import PLAN, SAMPLE
from tests.helpers import build_db

SEED_ID = "bkn-stttt-2023-2024"
EARLIER_ID = "bkn-stttt-2022-2023"


@pytest.fixture
def inbox(tmp_path):
    path = tmp_path / "inbox"
    shutil.copytree(SAMPLE, path)
    return path


@pytest.fixture
def chained_plan(tmp_path):
    """The seed plan, continuing a 2022→2023 plan of the same department (in the same folder)."""
    folder = tmp_path / "plans"
    folder.mkdir()
    seed = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    earlier = {**seed, "id": EARLIER_ID, "baseline_year": 2022, "target_year": 2023,
               "title": "Kế hoạch năm 2023"}
    (folder / "earlier.yaml").write_text(yaml.safe_dump(earlier, allow_unicode=True),
                                         encoding="utf-8")
    head = folder / "seed.yaml"
    head.write_text(yaml.safe_dump({**seed, "continues": EARLIER_ID}, allow_unicode=True),
                    encoding="utf-8")
    return head


def rows(db, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


MINE = f"select * exclude (plan_id) from criterion_gaps where plan_id = '{SEED_ID}' order by all"


def test_a_chain_publishes_each_plans_rows_and_the_running_plans_are_unchanged(
    tmp_path, inbox, chained_plan
):
    alone = tmp_path / "alone.duckdb"
    summary_alone, _, _ = build_db(alone, inbox, PLAN)
    chained = tmp_path / "chained.duckdb"
    summary, plan, _ = build_db(chained, inbox, chained_plan)
    assert [p.id for p in plan.continued] == [EARLIER_ID]
    per_plan = rows(chained, "select plan_id, min(baseline_year), min(current_year), count(*)"
                             " from criterion_gaps group by all order by all")
    n_seed = rows(alone, "select count(*) from criterion_gaps")[0][0]
    assert per_plan[1] == (SEED_ID, 2023, 2024, n_seed)
    assert per_plan[0][:3] == (EARLIER_ID, 2022, 2023) and per_plan[0][3] > 0
    # the running plan's rows, documents and checks: as without the chain
    assert rows(chained, MINE) == rows(alone, MINE)
    for table in ("rpt_standing", "rpt_worst", "rpt_status_counts"):
        assert rows(chained, f"select * from {table} order by all") == rows(
            alone, f"select * from {table} order by all"), table
    assert summary.standing == summary_alone.standing
    assert rows(chained, "select count(*) from check_results where not success") == rows(
        alone, "select count(*) from check_results where not success")
    assert {r[0] for r in rows(chained, "select distinct plan_id from gap_history")} == {
        SEED_ID, EARLIER_ID}
    assert rows(chained, "select count(*) from duckdb_tables() where table_name like 'chain__%'"
                ) == [(0,)]


def test_a_second_night_publishes_the_same_rows(tmp_path, inbox, chained_plan):
    db = tmp_path / "chiso.duckdb"
    build_db(db, inbox, chained_plan)
    first = rows(db, "select * from criterion_gaps order by all")
    history = rows(db, "select count(*) from gap_history")
    build_db(db, inbox, chained_plan)
    assert rows(db, "select * from criterion_gaps order by all") == first
    assert rows(db, "select count(*) from gap_history") == history


def test_a_plan_run_alone_again_drops_the_chain(tmp_path, inbox, chained_plan):
    db = tmp_path / "chiso.duckdb"
    build_db(db, inbox, chained_plan)
    build_db(db, inbox, PLAN)
    assert rows(db, "select distinct plan_id from criterion_gaps") == [(SEED_ID,)]
    # the history of the plan no longer run is kept as it was
    assert {r[0] for r in rows(db, "select distinct plan_id from gap_history")} == {
        SEED_ID, EARLIER_ID}
