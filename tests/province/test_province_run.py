"""A province run (flows/province): the inbox routed to the plans whose units each file covers,
each plan published in its own file, a failing or unreadable plan reported while the others
publish (its last rows kept, marked stale), the province file every plan's marts with plan_id,
exit codes 0 / 3 / 2 / 75.

The plans' runs go through tests.helpers.build_db (the flow's steps without Prefect), except in
the one test that runs `chiso run --province` as a person does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows import cli, yamlfile
from flows.errors import PlanError
from flows.plan import load_plan
from flows.province import routing, run
from tests.conftest import ROOT
from tests.province.conftest import PLAN_IDS, rows


def test_routing_sends_each_file_to_the_plans_whose_units_it_covers(province):
    plans = [load_plan(p) for p in sorted((province / "plans").glob("*.yaml"))]
    (province / "inbox" / "survey_participation.csv").write_text(
        "Năm,Chỉ số,Mã đơn vị,Số phiếu được giao,Số phiếu đã trả lời\n2026,PAR INDEX,VP,3,1\n",
        encoding="utf-8")
    (province / "inbox" / "par_khac.csv").write_text(
        "Mã đơn vị,Năm,Mã tiêu chí,Tên tiêu chí,Điểm tối đa,Điểm tự đánh giá,Điểm thẩm định\n"
        "HGI.SYT,2026,1.1,Kế hoạch,1,1,\n", encoding="utf-8")
    (province / "inbox" / "xa-khong-co").mkdir()
    routes = routing.route(province / "inbox", plans)
    names = {p: sorted(f.name for f in files) for p, files in routes.files.items()}
    assert "par_index_so_nganh_2025_2026.csv" in names["so-noi-vu"]
    assert "par_index_so_nganh_2025_2026.csv" not in names["xa-dai-tu"]
    assert "par_index_cap_xa_2025_2026.csv" in names["xa-dai-tu"]
    assert all("papi_2026_34_tinh.csv" in n for n in names.values())  # province-wide
    assert all("sipas_answers_2025_toan_tinh.csv" in n for n in names.values())
    assert "survey_participation.csv" in names["so-khcn"]  # from inbox/so-khcn/
    assert "survey_participation.csv" not in names["so-noi-vu"]
    unrouted = dict(routes.unrouted)
    assert unrouted["survey_participation.csv"].startswith("loại tệp này không ghi đơn vị")
    assert unrouted["par_khac.csv"] == ("không kế hoạch nào theo dõi đơn vị trong tệp"
                                        " (HGI.SYT)")
    assert unrouted["xa-khong-co/"].startswith("thư mục không mang mã kế hoạch nào")


def test_every_plan_publishes_its_own_file_and_the_province_file_has_them_all(
    province, plan_runs, tmp_path
):
    out = tmp_path / "out"
    summary = run.province_run.fn(folder=str(province), out=str(out), notify=False)
    assert summary.exit_code == 0
    assert sorted(s.plan_id for s in summary.states if s.status == "published") == PLAN_IDS
    for plan_id in PLAN_IDS:
        mine = rows(run.plan_db(out, plan_id), "select distinct plan_id from criterion_gaps")
        assert mine == [(plan_id,)]
    db = out / "province.duckdb"
    assert [r[0] for r in rows(db, "select distinct plan_id from criterion_gaps order by 1")
            ] == PLAN_IDS
    # the province marts: one row per plan, counts from that plan's rows
    for plan_id, n_off in rows(db, "select plan_id, n_off_track from rpt_province__plans"):
        assert n_off == rows(run.plan_db(out, plan_id), "select count(*) from criterion_gaps"
                             " where status in ('missed', 'at_risk')")[0][0]
    assert rows(db, "select n_plans, n_published from province_runs") == [(5, 5)]
    # every province mart is documented column by column, as the run's models are
    for doc in sorted((ROOT / "sql" / "province").glob("*.yml")):
        documented = list(yamlfile.load(doc.read_text(encoding="utf-8"))["columns"])
        built = [r[0] for r in rows(db, "select column_name from duckdb_columns() where"
                                        f" table_name = '{doc.stem}' order by column_index")]
        assert built == documented, doc.name


def test_a_failing_plan_keeps_its_last_rows_marked_stale_and_the_others_publish(
    province, plan_runs, tmp_path
):
    out = tmp_path / "out"
    run.province_run.fn(folder=str(province), out=str(out), notify=False)
    first = rows(out / "province.duckdb", "select * from criterion_gaps"
                 " where plan_id = 'so-noi-vu' order by all")
    published_at = rows(out / "province.duckdb", "select published_at from province_plans"
                        " where plan_id = 'so-noi-vu'")
    plan_runs.add("so-noi-vu")
    (province / "plans" / "xa-dai-tu.yaml").write_text("baseline_year: [2025\n", encoding="utf-8")
    summary = run.province_run.fn(folder=str(province), out=str(out), notify=False)
    assert summary.exit_code == 3
    states = {s.plan_id: (s.status, s.message) for s in summary.states}
    assert states["so-noi-vu"] == ("stale", "transform failed (test)")
    # a plan file broken after it published: refused, its last rows kept (stale), the reason
    assert states["xa-dai-tu"][0] == "stale" and states["xa-dai-tu"][1].startswith(
        "kế hoạch không hợp lệ: ") and "không phải YAML hợp lệ" in states["xa-dai-tu"][1]
    assert [states[p][0] for p in ("so-khcn", "so-tai-chinh", "xa-phuc-thuan")] == [
        "published"] * 3
    db = out / "province.duckdb"
    assert rows(db, "select * from criterion_gaps where plan_id = 'so-noi-vu' order by all"
                ) == first
    assert rows(db, "select status, published_at from province_plans where plan_id ="
                    " 'so-noi-vu'") == [("stale", published_at[0][0])]
    # the last province run is the one the change is measured from
    assert rows(db, "select change_off_track from rpt_province__plans where plan_id ="
                    " 'so-khcn'") == [(0,)]
    assert rows(db, "select count(*) from criterion_gaps where plan_id = 'xa-dai-tu'")[0][0] > 0
    assert rows(db, "select n_plans, n_published, n_stale, n_failed from province_runs"
                    " order by started_at") == [(5, 5, 0, 0), (5, 3, 2, 0)]


def test_a_plan_never_published_has_no_numbers_and_two_plans_with_one_id_are_refused(
    province, plan_runs, tmp_path
):
    """No published file: NULL counts (not 0: not a plan with nothing off track). Two plans
    with one id: both refused, the others run. A file a plan's run refuses is counted."""
    plans = province / "plans"
    (plans / "so-tai-chinh.yaml").write_text(
        (plans / "so-tai-chinh.yaml").read_text(encoding="utf-8") + "id: so-noi-vu\n",
        encoding="utf-8")
    plan_runs.add("xa-dai-tu")
    (province / "inbox" / "xa-phuc-thuan" / "par_sai.csv").write_text(
        "Mã đơn vị,Năm,Mã tiêu chí,Tên tiêu chí,Điểm tối đa,Điểm tự đánh giá,Điểm thẩm định\n"
        "XA.PHUCTHUAN,2026,1.1,Kế hoạch,1,ba điểm,\n", encoding="utf-8")
    out = tmp_path / "out"
    summary = run.province_run.fn(folder=str(province), out=str(out), notify=False)
    assert summary.exit_code == 3
    states = {(s.plan_id, Path(s.plan_file).name): s for s in summary.states}
    for file in ("so-noi-vu.yaml", "so-tai-chinh.yaml"):
        state = states[("so-noi-vu", file)]
        assert state.status == "invalid" and state.message == (
            "hai kế hoạch cùng mã 'so-noi-vu' (so-noi-vu.yaml, so-tai-chinh.yaml); đặt khoá id"
            " khác nhau")
    assert states[("xa-dai-tu", "xa-dai-tu.yaml")].status == "failed"
    assert states[("so-khcn", "so-khcn.yaml")].status == "published"
    db = out / "province.duckdb"
    assert rows(db, "select n_off_track, n_criteria, change_off_track from rpt_province__plans"
                    " where plan_id = 'xa-dai-tu'") == [(None, None, None)]
    assert rows(db, "select n_rejected from rpt_province__plans where plan_id ="
                    " 'xa-phuc-thuan'") == [(1,)]
    assert rows(db, "select plan_id, file from plan_rejected") == [
        ("xa-phuc-thuan", "xa-phuc-thuan__par_sai.csv")]
    # the refused plans' own folder waits, said so
    assert dict(summary.unrouted)["so-noi-vu/"].startswith("kế hoạch so-noi-vu không chạy được")


def test_when_no_plan_publishes_the_province_file_says_so(province, plan_runs, tmp_path):
    plan_runs.update(PLAN_IDS)
    summary = run.province_run.fn(folder=str(province), out=str(tmp_path / "out"),
                                  notify=False)
    assert summary.exit_code == 2
    db = tmp_path / "out" / "province.duckdb"
    assert rows(db, "select count(*), count(*) filter (where status = 'failed')"
                    " from rpt_province__plans") == [(5, 5)]


def test_a_locked_province_run_exits_75(province, tmp_path, capsys):
    """Another process's province run holds the lock: this one says so and exits 75."""
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\n"
         "from pathlib import Path\n"
         "from flows.warehouse.lock import RunLock\n"
         f"with RunLock(Path({str(out / 'province.duckdb')!r}), command='chiso run --province'):\n"
         "    print('held', flush=True)\n"
         "    time.sleep(60)\n"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert cli.main(["run", "--province", str(province), "--out", str(out)]) == 75
        assert "một lượt chạy khác đang dùng" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.real_process
def test_chiso_run_province_on_the_bundled_sample(province, tmp_path):
    """As a person runs it: a temporary Prefect, five plans, the console in Vietnamese."""
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "--province", str(province)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "CHISO_VAR": str(tmp_path / "var")})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Tỉnh Thái Nguyên: 5 kế hoạch; 5 đã công bố." in done.stdout
    db = province / "var" / "province.duckdb"
    assert rows(db, "select count(distinct plan_id) from criterion_gaps") == [(5,)]


def test_a_plan_takes_the_provinces_shared_settings_unless_it_says_otherwise(province):
    plan = load_plan(province / "plans" / "so-noi-vu.yaml")
    assert plan.raw["provinces"] == ["Thái Nguyên"]
    assert [d["label"] for d in plan.raw["key_dates"]][:1] == [
        "Kỳ điều tra xã hội học (phát và thu phiếu)"]
    path = province / "plans" / "so-tai-chinh.yaml"
    path.write_text(path.read_text(encoding="utf-8") + 'key_dates:\n  - {label: "Riêng", date:'
                    ' "01/06/2026"}\n', encoding="utf-8")
    assert [d["label"] for d in load_plan(path).raw["key_dates"]] == ["Riêng"]
    settings = province / "province.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "smtp_host: mail.example\n",
                        encoding="utf-8")
    with pytest.raises(PlanError, match="khoá không dùng được: smtp_host"):
        load_plan(path)


def test_a_file_in_another_encoding_is_routed_with_the_provinces_encoding(province):
    """province.yaml's `encoding` is the plans' default, and routing reads the file with it: a
    Windows-1252 file is refused without it (reported, not routed) and routed with it."""
    from flows.plan import encodings_of
    from tests.flows.test_bad_extracts import PAR_EN

    plans = [load_plan(p) for p in sorted((province / "plans").glob("*.yaml"))]
    path = province / "inbox" / "par_ban_cu.csv"
    path.write_bytes(f"{PAR_EN}\nTNG.SNV,2026,1.1,Réunion,1,1,1\n".encode("cp1252"))
    assert "không đọc được" in dict(routing.route(province / "inbox", plans).unrouted)[
        "par_ban_cu.csv"]
    routed = routing.route(province / "inbox", plans, encodings_of({"encoding": "cp1252"}))
    assert path in routed.files["so-noi-vu"] and path not in routed.files["xa-dai-tu"]
