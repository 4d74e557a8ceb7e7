"""The monitoring office's overview (`chiso report --province`): one row per plan from
rpt_province__plans, in HTML (sortable, offline, A4) and XLSX, each row linking to that plan's
own report; a stale plan says since when; making it writes no database."""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pytest

from flows import cli
from flows.province import run
from tests.province.conftest import PLAN_IDS, rows
from tests.report.browser import _run, find_chromium, pdf_pages, print_to_pdf


@pytest.fixture
def built(province, plan_runs, tmp_path) -> Path:
    """Two province runs, the second with so-noi-vu failing: its rows stale."""
    out = tmp_path / "out"
    run.province_run.fn(folder=str(province), out=str(out), notify=False)
    plan_runs.add("so-noi-vu")
    run.province_run.fn(folder=str(province), out=str(out), notify=False)
    return out


def test_overview_files_rows_and_links(built, capsys):
    db = built / "province.duckdb"
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    assert cli.main(["report", "--province", str(db)]) == 0
    html_path, xlsx_path = (Path(line) for line in capsys.readouterr().out.split())
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before  # a report writes nothing
    html = html_path.read_text(encoding="utf-8")
    assert "Tỉnh Thái Nguyên: 5 kế hoạch" in html and "Sở Nội vụ tỉnh Thái Nguyên" in html
    assert "Giữ kết quả cũ: công bố lúc" in html and "transform failed (test)" in html
    # each plan links to its own report, written beside its file
    for plan_id in PLAN_IDS:
        href = f"../plans/{plan_id}/report/chiso-bao-cao.html"
        assert f'href="{href}"' in html, plan_id
        assert (html_path.parent / href).is_file()
    sheet = openpyxl.load_workbook(xlsx_path)["Tổng hợp"]
    got = {r[0]: r[5] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert got == dict(rows(db, "select plan_id, n_off_track from rpt_province__plans"))
    assert [c.value for c in sheet[1]][:6] == [
        "Mã kế hoạch", "Kế hoạch", "Trạng thái", "Công bố lúc", "Tiêu chí", "Chưa đạt"]
    status = {r[0]: r[2] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert status == {p: "Giữ kết quả cũ" if p == "so-noi-vu" else "Đã công bố" for p in PLAN_IDS}
    # the heading's counts are the province file's (rpt_province__standing)
    assert rows(db, "select n_plans, n_published, n_stale, n_failed from rpt_province__standing"
                ) == [(5, 4, 1, 0)]
    assert "Đã công bố: <b>4</b>" in html and "Giữ kết quả cũ: <b>1</b>" in html


@pytest.mark.real_process
def test_overview_sorts_and_prints_in_chromium(built, tmp_path):
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium not installed: .ci/run installs it")
    assert cli.main(["report", "--province", str(built / "province.duckdb")]) == 0
    html = built / "report" / "chiso-tong-hop-tinh.html"
    by_off_track = [p for p, _ in sorted(
        rows(built / "province.duckdb", "select plan_id, n_off_track from rpt_province__plans"),
        key=lambda r: -r[1])]
    done = _run(chromium, ["--dump-dom", html.as_uri() + "#sort=2-desc"])
    order = [line.split('class="plan-id">')[1].split("<")[0]
             for line in done.stdout.split("\n") if 'class="plan-id">' in line]
    assert [o for o in order if o in PLAN_IDS][: len(by_off_track)] == by_off_track
    pdf = tmp_path / "overview.pdf"
    print_to_pdf(chromium, html, pdf)
    pages = pdf_pages(pdf)
    assert 1 <= len(pages) <= 2 and all(abs(w - 842) < 2 for w, _ in pages), pages


def test_report_hints_where_there_is_no_province_file(province, tmp_path, capsys):
    assert cli.main(["report", "--province", str(tmp_path / "nowhere")]) == 2
    assert "không có thư mục hoặc tệp" in capsys.readouterr().err
    assert cli.main(["report", "--province", str(province)]) == 2
    assert f"chạy `chiso run --province {province}` trước" in capsys.readouterr().err
