"""`chiso bench --province` on a tiny province (2 plans): the generated province folder, the
floor, the province run in process and on one and two real Prefect process workers, every plan
published each time; the numbers are reported, never asserted as thresholds."""

from __future__ import annotations

import pytest

from bench.generate import generate_province
from bench.province import province_bench, render
from tests.province.conftest import rows

pytestmark = pytest.mark.real_process


def test_generated_province_folder(tmp_path):
    manifest = generate_province(tmp_path / "p", plans=3)
    plans = sorted(p.stem for p in (tmp_path / "p" / "plans").glob("*.yaml"))
    assert plans == ["p01-u001", "p01-u002", "p01-u003"] and manifest["plans"] == 3
    assert (tmp_path / "p" / "inbox" / "p01-u002" / "sipas_criteria.csv").is_file()
    assert not (tmp_path / "p" / "inbox" / "sipas_criteria.csv").exists()


def test_province_bench_runs_in_process_and_on_one_and_two_workers(tmp_path):
    result = province_bench(tmp_path, plans=2)
    assert set(result["runs"]) == {"in_process", "workers_1", "workers_2"}
    for name, run in result["runs"].items():
        assert run["exit"] == 0, name
        assert run["seconds"] > 0 and run["over_floor"] > 1
        db = tmp_path / f"out-{name.removeprefix('workers_') if name != 'in_process' else 0}"
        assert rows(db / "province.duckdb", "select count(*) from province_plans"
                    " where status = 'published'") == [(2,)]
    assert "2 process workers" in render(result)
