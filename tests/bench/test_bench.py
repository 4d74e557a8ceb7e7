"""`chiso gen` and `chiso bench` at small scale: the generator is deterministic and writes
extracts the readers accept, and the benchmark's output has its documented shape (the times
themselves are not checked)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from bench import run as bench_mod
from bench.generate import MANIFEST, generate
from flows.intake import ingest
from flows.plan import load_plan
from flows.warehouse import db
from tests.conftest import ROOT

pytestmark = pytest.mark.real_process  # starts chiso or Prefect processes (make test-fast skips)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != MANIFEST}


def test_gen_same_seed_same_bytes(tmp_path):
    generate("small", tmp_path / "a", seed=7)
    generate("small", tmp_path / "b", seed=7)
    generate("small", tmp_path / "c", seed=8)
    a, b, c = (_files(tmp_path / x) for x in "abc")
    assert set(a) == {"par_index.csv", "sipas_answers_2023.csv", "sipas_answers_2024.csv",
                      "sipas_criteria.csv", "papi_scores.csv", "plan.yaml"}
    assert a == b
    assert a["par_index.csv"] != c["par_index.csv"]
    assert a["sipas_answers_2023.csv"] != c["sipas_answers_2023.csv"]


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "small"
    generate("small", out)
    return out


def test_gen_extracts_load_and_the_plan_validates(small):
    load_plan(small / "plan.yaml")
    manifest = json.loads((small / MANIFEST).read_text(encoding="utf-8"))
    con = duckdb.connect()
    db.install_macros(con)
    db.create_raw_tables(con)
    for path in sorted(small.glob("*.csv")):
        outcome = ingest.ingest_file(con, path, path.name)
        assert outcome.status == "loaded", (path.name, outcome.message)
        assert outcome.n_rows == manifest["rows"][path.name]
    units = con.execute("select count(distinct unit_code) from raw_par_scores").fetchone()[0]
    assert units == 2 * 3  # provinces x units per province at small scale


def test_gen_par_parents_sum_their_children(small):
    con = duckdb.connect()
    bad = con.execute(
        """with par as (
               select "Mã đơn vị" as unit, "Năm" as year, "Mã tiêu chí"::varchar as code,
                   "Điểm tối đa" as max_points,
                   coalesce(try_cast("Điểm tự đánh giá" as decimal(12, 3)), 0) as self_score,
               from read_csv(?, all_varchar = false)
           ),
           children as (
               select unit, year, regexp_replace(code, '\\.[^.]+$', '') as parent,
                   sum(max_points) as max_points, sum(self_score) as self_score,
               from par where code like '%.%' group by all
           )
           select count(*) from children as c
           join par as p on p.unit = c.unit and p.year = c.year and p.code = c.parent
           where p.max_points <> c.max_points or p.self_score <> c.self_score""",
        [str(small / "par_index.csv")],
    ).fetchone()[0]
    assert bad == 0


def test_least_work_times_the_passes_each_sipas_answers_file_needs(tmp_path):
    """The passes are timed on SIPAS answers files only (other extracts have no least work
    here), whatever their column order and delimiter; rows are numbered only in a file that
    has answers outside 1-5 to name."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "clean.csv").write_text(
        "question_code;answer;respondent_id;unit_code;year\n"
        + "".join(f"1.{q};{1 + r % 5};R{r};U1;2024\n" for r in range(20) for q in (1, 2)),
        encoding="utf-8")
    (inbox / "with_invalid.csv").write_text(
        "year,unit_code,respondent_id,question_code,answer\n"
        "2024,U1,R1,1.1,5\n2024,U1,R1,1.2,6\n2024,U1,R2,1.1, \n2024,U1,R2,1.2,0\n"
        "2024,U1,R3,1.1,\"4,0\"\n2024,U1,R3,1.2, 3 \n2024,U1,R3,1.2,2\n",
        encoding="utf-8")
    (inbox / "papi_scores.csv").write_text(
        "province,year,code,score\nHà Nội,2024,D1,5.1\n", encoding="utf-8")
    least = bench_mod.least_work(inbox, repeats=1)
    assert set(least["files"]) == {"clean.csv", "with_invalid.csv"}
    clean, with_invalid = least["files"]["clean.csv"], least["files"]["with_invalid.csv"]
    assert clean["invalid_answers"] == 0
    assert set(clean["passes"]) == {"count_answers", "find_repeated_keys"}
    # '6' and '0', by ingest's rule: a blank answer is no answer, and '4,0' and ' 3 ' are valid
    assert with_invalid["invalid_answers"] == 2
    # what each pass found: the answer groups, R3's question 1.2 answered twice, the two rows
    assert with_invalid["found"] == {
        "count_answers": 7, "find_repeated_keys": 1, "number_invalid_rows": 2}
    assert clean["found"] == {"count_answers": 10, "find_repeated_keys": 0}
    assert set(with_invalid["passes"]) == {
        "count_answers", "find_repeated_keys", "number_invalid_rows"}
    assert least["seconds"] == pytest.approx(clean["seconds"] + with_invalid["seconds"])


def test_bench_smoke(tmp_path):
    """The whole benchmark at small scale, as `make bench SCALE=small` runs it: against a
    Prefect server it starts (and stops), with the temporary server's cost timed apart."""
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "bench", "--scale", "small", "--prefect-server",
         "--work", str(tmp_path / "work"), "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=400, env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "floor" in result.stdout and "data work" in result.stdout
    assert "the temporary server would add" in result.stdout
    bench = json.loads(out.read_text(encoding="utf-8"))
    assert bench["scale"] == "small"
    assert bench["prefect_api"].startswith("served")
    assert bench["ephemeral_server_s"] > 0
    server_log = (tmp_path / "work" / "prefect-server.log").read_text(encoding="utf-8")
    address = re.search(r"dashboard at (http://127\.0\.0\.1:\d+)", server_log)
    assert address, server_log[-2000:]
    assert not bench_mod._healthy(f"{address.group(1)}/api"), "the server was left running"
    assert set(bench) >= {"machine", "extracts", "floor", "runs", "targets"}
    assert bench["floor"]["seconds"] > 0
    assert set(bench["floor"]["files"]) == set(bench["extracts"]["rows"])
    for name, f in bench["floor"]["files"].items():
        assert f["rows"] == bench["extracts"]["rows"][name] and f["seconds"] > 0
    # the least work: the passes over each SIPAS answers file (long CSV), the numbering of
    # rows only in a file that has answers outside 1-5 to name
    least = bench["least_work"]
    assert set(least["files"]) == {n for n in bench["floor"]["files"] if "sipas_answers" in n}
    assert least["files"]
    for f in least["files"].values():
        assert set(f["passes"]) == {"count_answers", "find_repeated_keys"} | (
            {"number_invalid_rows"} if f["invalid_answers"] else set())
        assert all(s > 0 for s in f["passes"].values())
        assert f["seconds"] == pytest.approx(sum(f["passes"].values()))
    assert least["seconds"] == pytest.approx(sum(f["seconds"] for f in least["files"].values()))
    assert least["over_floor"] == pytest.approx(least["seconds"] / bench["floor"]["seconds"])
    assert "least work" in result.stdout
    for key in ("full", "unchanged"):
        run = bench["runs"][key]
        for field in ("wall_s", "data_work_s", "framework_s", "peak_rss_mb"):
            assert run[field] > 0, (key, field)
        assert run["gx_validate_s"] >= 0  # an unchanged run may reuse every check
        assert run["framework_s"] == pytest.approx(sum(run["framework"].values()))
        assert run["data_work_s"] == pytest.approx(sum(run["data_work"].values()))
        assert run["data_work_over_floor"] == pytest.approx(
            run["data_work_s"] / bench["floor"]["seconds"])
        assert run["gx_share_of_data_work"] == pytest.approx(
            run["gx_validate_s"] / run["data_work_s"])
        assert set(run["extracts"].values()) == {"loaded"}
        assert run["criterion_gaps_rows"] > 0
    assert bench["runs"]["full"]["gx_validate_s"] > 0
    # the runs of the deployment the benchmark serves: started warm, measured from the
    # runner taking them to the end of their process
    assert "served deployment" in result.stdout
    served = bench["served_runs"]
    assert set(served) == {"full", "unchanged"}
    for run in served.values():
        assert run["started_warm"] is True
        assert run["data_work_s"] > 0 and run["framework_s"] > 0
        assert run["wall_s"] == pytest.approx(run["data_work_s"] + run["framework_s"])
        assert run["framework_s"] == pytest.approx(sum(run["framework"].values()))
        assert run["data_work_s"] == pytest.approx(sum(run["data_work"].values()))
        # forked warm: no import of GX in the run (the checks' context is all that is left)
        assert run["framework"]["gx_import_and_context_s"] < 1.0
    assert served["full"]["gx_validate_s"] > 0
    assert bench["targets"]["framework_served_s"]["value"] == pytest.approx(
        max(r["framework_s"] for r in served.values()))
    assert bench["runs"]["unchanged"]["data_work_over_full"] == pytest.approx(
        bench["runs"]["unchanged"]["data_work_s"] / bench["runs"]["full"]["data_work_s"])
    assert set(bench["targets"]) == {
        "full_data_work_over_floor", "unchanged_over_full_data_work", "framework_served_s",
        "peak_rss_mb", "gx_share_of_data_work",
    }
    for t in bench["targets"].values():
        assert t["value"] >= 0 and t["met"] == (t["value"] <= t["target"])
