"""The Office's report: the HTML shows what criterion_gaps holds, the Vietnamese way, with no
outside resource and nothing from the data interpreted as markup; the XLSX holds the same
values as numbers."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest

from flows import vietnamese as vi
from flows.documents.render import labels
from flows.documents.report import write_report
from tests.helpers import build_reports
from tests.report.conftest import HOSTILE, TITLE, add_trend

L = labels()


def gaps(db: Path) -> list[dict]:
    con = duckdb.connect(str(db), read_only=True)
    cur = con.execute("select * from criterion_gaps")
    cols = [d[0] for d in cur.description]
    rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    con.close()
    return rows


def shown(index_name: str, value: Decimal | None) -> str:
    """How a value must read, straight from flows.vietnamese."""
    return vi.percent(value) if index_name == "SIPAS" else vi.points(value)


@pytest.fixture
def report(db: Path, tmp_path: Path) -> tuple[Path, Path, str]:
    html, xlsx = write_report(db, tmp_path / "report")
    return html, xlsx, html.read_text(encoding="utf-8")


def section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    end = html.find("<section", start)
    return html[start:end if end > 0 else None]


def test_writes_both_files_and_leaves_the_database_alone(db: Path, tmp_path: Path) -> None:
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    html, xlsx = write_report(db, tmp_path / "out" / "nested")
    assert html.exists() and xlsx.exists()
    assert html.suffix == ".html" and xlsx.suffix == ".xlsx"
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert not list((tmp_path / "out" / "nested").glob(".*"))  # no temporary files left


def test_html_shows_every_off_track_value_the_vietnamese_way(db, report) -> None:
    """The page lists what needs action (every criterion's values are in the XLSX)."""
    _, _, html = report
    for r in gaps(db):
        if r["status"] not in ("missed", "at_risk"):
            continue
        for col in ("baseline_value", "target_value", "current_value"):
            if r[col] is not None:
                assert shown(r["index_name"], r[col]) in html, (r["criterion_code"], col)
        assert L.status(r["status"]) in html
    # The key numbers, spelled out: points, percentages, gaps, dates, thousands.
    for text in ("2,0 điểm", "1,2 điểm", "-0,8 điểm", "78,63%", "≥ 88,63%", "79,66%",
                 "-8,97 điểm %", "1,4148 điểm", "≥ 1,5148 điểm", "-0,0496 điểm",
                 "15/03/2026", "Năm cơ sở <b>2023</b>", "Năm mục tiêu <b>2024</b>"):
        assert text in html, text


def test_header_has_the_plan_title_and_the_latest_run(report) -> None:
    _, _, html = report
    assert TITLE.replace("&", "&amp;") in html
    assert "20260315T010000-aaaaaa" in html
    assert "15/03/2026 01:00" in html  # started_at shown in Asia/Ho_Chi_Minh
    assert "20260314T010000-bbbbbb" not in html


def test_standing_counts_per_index_and_appendix(report) -> None:
    _, _, html = report
    overview = section(html, "tong-quan")
    # PAR Phụ lục 1: 2 criteria, 1 met, 1 at risk; SIPAS Phụ lục 3: 2, 1 met, 1 missed.
    par1 = overview[overview.index("Phụ lục 1"):overview.index("Phụ lục 2")]
    cells = re.findall(r'<td class="num">(?:<b>)?(\d+)', par1)
    assert cells[:6] == ["2", "1", "0", "1", "0", "0"]
    assert overview.count("<svg class=\"bar\"") == 5  # one bar per index x appendix
    assert "Chưa có phụ lục" in overview


def test_off_track_ranked_by_gap_relative_to_max(report) -> None:
    _, _, html = report
    ranked = section(html, "can-khac-phuc")
    order = [ranked.index(f"<b>{code}</b>") for code in ("1.6", "3.5", "6.2")]
    assert order == sorted(order)  # -40% of max, -8,97%, -1,98%
    assert "-40,0%" in ranked and "-8,97 điểm %" in ranked
    assert "<b>1.1</b>" not in ranked  # met criteria are not listed there


def test_provisional_and_small_sample_are_marked(report) -> None:
    _, _, html = report
    ranked = section(html, "can-khac-phuc")
    row_16 = ranked[ranked.index("<b>1.6</b>"):ranked.index("</tr>", ranked.index("<b>1.6</b>"))]
    assert "tag-prov" in row_16 and L.stage("self_assessed") in row_16
    row_35 = ranked[ranked.index("<b>3.5</b>"):ranked.index("</tr>", ranked.index("<b>3.5</b>"))]
    assert "tag-small" in row_35 and "mẫu nhỏ: n = 20" in row_35
    assert "tag-prov" not in row_35


def test_owners_in_vietnamese_order(report) -> None:
    _, _, html = report
    owners = re.findall(r'<div class="owner-head"><h3>(.*?)</h3>', html)
    assert owners == ["Dân vận", "Đội kiểm tra &lt;b&gt;nội bộ&lt;/b&gt;", "Văn phòng Sở"]
    assert sorted(["Văn phòng Sở", "Đội", "Dân vận"]) != ["Dân vận", "Đội", "Văn phòng Sở"]


def test_hostile_text_renders_as_text(report) -> None:
    _, _, html = report
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "<b>nội bộ</b>" not in html
    assert "Thiếu cột &lt;Điểm&gt;" in html and "papi_&lt;bad&gt;.xlsx" in html


def test_what_it_takes_is_under_each_off_track_criterion(report) -> None:
    _, _, html = report
    assert ('<div class="todo">Cần làm: Cần thêm 2 phiếu hài lòng trên 20 để đạt 88,63%.'
            ' So với năm cơ sở: chưa phân biệt được với sai số chọn mẫu (p = 0,930).</div>') in html
    assert "để vượt &lt;script&gt;alert(1)&lt;/script&gt; (cần hơn 0,45 điểm" in html
    assert html.count('class="todo"') == 2  # the met and no-data criteria have none


def test_no_external_resources(report) -> None:
    _, _, html = report
    assert not re.search(r"https?://", html)
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I)
    assert not re.search(r"<link\b", html, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html, re.I)
    assert not re.search(r"@import", html, re.I)
    assert "default-src 'none'" in html  # the page may not fetch anything even if it tried


def test_rejected_extracts_and_failed_checks_of_the_latest_run(report) -> None:
    _, _, html = report
    data = section(html, "du-lieu")
    assert "papi_&lt;bad&gt;.xlsx" in data and "Trang &lt;1&gt;" in data
    assert "old_rejected.csv" not in html
    assert "Mọi ô số đọc được thành số" in data
    assert "Tệp có ít nhất một dòng dữ liệu" not in data  # passed
    assert "Kiểm tra của lượt chạy trước" not in html
    # A GX flag of missed targets is a result, not a data problem: mentioned, not listed.
    assert "Giá trị hiện tại đạt tối thiểu mục tiêu" not in data
    assert "gắn cờ 3 tiêu chí chưa đạt" in data


def test_trend_uses_gap_history(report) -> None:
    _, _, html = report
    # Tooltip of 1.6's sparkline: baseline, the history steps, the target.
    assert ("Năm 2023: 2,0 điểm · 10/01/2026: 1,0 điểm · 01/03/2026: 1,2 điểm · "
            "Mục tiêu ≥ 2,0 điểm") in html
    # One sparkline per off-track criterion in the owner tables, and one in the worst list.
    assert html.count('<svg class="spark"') == 3 + 3


def test_each_listed_criterion_shows_its_years_under_its_code_now(db, tmp_path) -> None:
    """criterion_trend: every year on the data, the old code named, a predecessor named, a
    score out of another maximum said so; in the HTML under the criterion, in the XLSX a sheet."""
    assert "Qua các năm" not in write_report(db, tmp_path / "before")[0].read_text("utf-8")
    add_trend(db)
    html_path, xlsx = write_report(db, tmp_path / "after")
    html = html_path.read_text(encoding="utf-8")
    assert ("Qua các năm: 2021: 0,5 điểm trên 1 (BKN.X) (mã 1.5) · 2022: 1,5 điểm (mã 1.5)"
            " · 2023: 2,0 điểm · 2024: 1,2 điểm") in html
    sheet = openpyxl.load_workbook(xlsx)["Qua các năm"]
    assert [c.value for c in sheet[1]][:6] == [
        "Chỉ số", "Đơn vị", "Mã tiêu chí", "Năm", "Đơn vị được chấm", "Mã năm đó (nếu khác)"]
    assert [[c.value for c in row][:9] for row in sheet.iter_rows(min_row=2)][:2] == [
        ["PAR", "STTTT", "1.6", 2021, "BKN.X", "1.5", 0.5, 1, 50],
        ["PAR", "STTTT", "1.6", 2022, "STTTT", "1.5", 1.5, 2, 75]]


def test_trend_without_gap_history(db_without_history: Path, tmp_path: Path) -> None:
    html_path, xlsx_path = write_report(db_without_history, tmp_path / "r")
    html = html_path.read_text(encoding="utf-8")
    assert "chưa có lịch sử" in html
    assert "Năm 2023: 2,0 điểm · 15/03/2026: 1,2 điểm · Mục tiêu ≥ 2,0 điểm" in html
    assert "10/01/2026" not in html
    assert xlsx_path.exists()


def test_report_on_a_database_without_run_records(db: Path, tmp_path: Path) -> None:
    """Run records (runs, extracts, check_results) missing: the report still shows the gaps."""
    con = duckdb.connect(str(db))
    con.execute("drop table runs; drop table extracts; drop table check_results")
    con.close()
    html, _ = write_report(db, tmp_path / "r")
    text = html.read_text(encoding="utf-8")
    assert "1,2 điểm" in text and "-8,97 điểm %" in text


def test_report_on_a_database_from_an_older_chiso(tmp_path: Path, capsys) -> None:
    """A file without the presentation marts (written by an older chiso): a clear message in
    Vietnamese, exit code 2, nothing written."""
    from flows.cli import main

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table criterion_gaps as select 'PAR' as index_name, 1 as appendix")
    con.close()
    out = tmp_path / "r"
    assert main(["report", "--db", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "rpt_standing" in err and "chiso run" in err
    assert not out.exists()


# --- XLSX ---------------------------------------------------------------------------------

NUMERIC = {"Giá trị năm cơ sở": "baseline_value", "Giá trị tối đa": "max_value",
           "Mục tiêu": "target_value", "Giá trị hiện tại": "current_value",
           "Chênh lệch": "gap", "Số phiếu năm cơ sở": "baseline_n",
           "Số phiếu hiện tại": "current_n", "Phụ lục": "appendix"}
TEXT = {"Chỉ số": "index_name", "Đơn vị": "unit_code", "Mã tiêu chí": "criterion_code",
        "Tên tiêu chí": "criterion_name", "Đơn vị phụ trách": "owner_name",
        "Quy tắc mục tiêu": "rule_vi"}


def test_xlsx_values_equal_criterion_gaps(db, report) -> None:
    _, xlsx, _ = report
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames[0] == "Tổng hợp"
    assert wb.sheetnames[1:] == ["PAR – Phụ lục 1", "PAR – Phụ lục 2", "PAR – Chưa có phụ lục",
                                 "SIPAS – Phụ lục 3", "PAPI – Phụ lục 4"]
    seen = []
    for ws in wb.worksheets[1:]:
        assert ws.freeze_panes == "F2"
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
        headers = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2, values_only=True):
            seen.append(dict(zip(headers, row, strict=True)))
    expected = gaps(db)
    assert len(seen) == len(expected)
    by_key = {(r["Chỉ số"], r["Mã tiêu chí"], r["Đơn vị"]): r for r in seen}
    for g in expected:
        row = by_key[(g["index_name"], g["criterion_code"], g["unit_code"])]
        for header, col in NUMERIC.items():
            value = row[header]
            if g[col] is None:
                assert value is None, (header, g)
            else:
                assert isinstance(value, int | float), (header, value)
                assert Decimal(str(value)) == g[col], (header, value, g[col])
        for header, col in TEXT.items():
            assert row[header] == g[col], header
        assert row["Trạng thái"] == L.status(g["status"])
        assert row["Giai đoạn số liệu"] == (L.stage(g["current_stage"]) or None)
        assert (row["Mẫu nhỏ"] == "Có") == g["small_sample"]


def test_xlsx_number_formats_and_summary(report) -> None:
    _, xlsx, _ = report
    wb = openpyxl.load_workbook(xlsx)
    sipas = wb["SIPAS – Phụ lục 3"]
    headers = [c.value for c in sipas[1]]
    rate = sipas.cell(row=2, column=headers.index("Giá trị hiện tại") + 1)
    assert "#,##0.00" in rate.number_format and '"%"' in rate.number_format
    par = wb["PAR – Phụ lục 1"]
    score = par.cell(row=2, column=headers.index("Mục tiêu") + 1)
    assert "#,##0.0" in score.number_format
    assert all(c.font.bold for c in par[1])
    summary = wb["Tổng hợp"]
    assert summary.freeze_panes == "A5" and summary.auto_filter.ref
    rows = list(summary.iter_rows(min_row=5, values_only=True))
    assert rows[0][:6] == ("PAR", "Phụ lục 1", rows[0][2], 2, 1, 0)
    assert rows[0][9] == 0.5  # share met
    assert "15/03/2026" in summary["A2"].value


# --- CLI ----------------------------------------------------------------------------------

def test_cli_report(db: Path, tmp_path: Path, capsys) -> None:
    from flows.cli import main

    out = tmp_path / "cli-out"
    assert main(["report", "--db", str(db), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(out / "chiso-bao-cao.html"), str(out / "chiso-bao-cao.xlsx")]
    assert all(Path(p).exists() for p in printed)


def test_cli_report_without_database(tmp_path: Path, capsys) -> None:
    from flows.cli import main

    missing = tmp_path / "nope.duckdb"
    assert main(["report", "--db", str(missing), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "chiso run" in err
    assert not (tmp_path / "o").exists()


def test_a_retired_criterion_gets_its_own_column_only_when_there_is_one(db, tmp_path) -> None:
    """A criterion the plan's criteria crosswalk retires (status retired) is counted in the
    overview and the XLSX summary; without one the tables keep their five status columns."""
    html_before, xlsx_before = write_report(db, tmp_path / "before")
    assert "Không còn đánh giá" not in html_before.read_text(encoding="utf-8")
    con = duckdb.connect(str(db))
    con.execute("""insert into criterion_gaps by name
        select * replace ('4.1' as criterion_code, 'Tiêu chí bỏ ở bộ mới' as criterion_name,
            'retired' as status, null as target_op, null as target_value, null as gap,
            'Không còn đánh giá từ năm 2024 (bộ tiêu chí mới không có tiêu chí này)' as rule_vi)
        from criterion_gaps where criterion_code = '2.2'""")
    build_reports(con)
    con.close()
    html, xlsx = write_report(db, tmp_path / "after")
    page = html.read_text(encoding="utf-8")
    overview = section(page, "tong-quan")
    par2 = overview[overview.index("Phụ lục 2"):overview.index("Phụ lục 3")]
    # total 2: met 1, missed 0, at risk 0, no data 0, not applicable 0, retired 1
    assert re.findall(r'<td class="num">(?:<b>)?(\d+)', par2)[:7] == [
        "2", "1", "0", "0", "0", "0", "1"]
    assert overview.count(f"<th class=\"num\">{L.status('retired')}</th>") == 1
    sheet = openpyxl.load_workbook(xlsx).worksheets[0]
    headers = [c.value for c in sheet[4]]
    assert "Không còn đánh giá" in headers
    before = [c.value for c in openpyxl.load_workbook(xlsx_before).worksheets[0][4]]
    assert "Không còn đánh giá" not in before and len(headers) == len(before) + 1


def test_sipas_by_component_and_element_once_the_criteria_have_components(db, tmp_path) -> None:
    """SIPAS from 2024 reports two components: the report groups the rates by component and
    element (sipas_groups); the 2023 layout (no component) keeps the page as it was."""
    html_before, xlsx_before = write_report(db, tmp_path / "before")
    assert "SIPAS theo thành phần và yếu tố" not in html_before.read_text(encoding="utf-8")
    assert "SIPAS theo yếu tố" not in openpyxl.load_workbook(xlsx_before).sheetnames
    con = duckdb.connect(str(db))
    con.execute("""create table sipas_groups as select plan_id, t.* from (values
        ('STTTT', 'policy', 1, 1, 40, 75.0::decimal(18, 6), 1, 44, 80.5::decimal(18, 6),
         5.5::decimal(18, 6), false, 1, 0, 1),
        ('STTTT', 'service_delivery', 3, 2, 80, 81.25::decimal(18, 6), 2, 90,
         null::decimal(18, 6), null::decimal(18, 6), false, 0, 0, 0))
        as t(unit_code, component, element, baseline_criteria, baseline_n, baseline_rate_pct,
             current_criteria, current_n, current_rate_pct, change_pct, interim, n_targets,
             n_met, n_off_track), plan_settings
        union all by name  -- a plan the file's plan continues: not this report's
        select 'earlier' as plan_id, 'STTTT' as unit_code, 'policy' as component, 9 as element,
            0 as baseline_criteria, 0 as baseline_n""")
    con.close()
    html, xlsx = write_report(db, tmp_path / "after")
    page = html.read_text(encoding="utf-8")
    part = page[page.index("SIPAS theo thành phần và yếu tố"):]
    part = part[:part.index("</table>")]
    assert "Sự hài lòng về chính sách" in part and "Yếu tố 1" in part
    assert "Sự hài lòng về cung ứng dịch vụ công" in part
    assert "3. Công chức giải quyết công việc" in part
    assert "75,00%" in part and "80,50%" in part and "+5,50 điểm %" in part
    assert "81,25%" in part and "Yếu tố 9" not in part
    sheet = openpyxl.load_workbook(xlsx)["SIPAS theo yếu tố"]
    assert [c.value for c in sheet[2]][:6] == [
        "STTTT", "Sự hài lòng về chính sách", "Yếu tố 1", 75.0, 40, 80.5]
    assert sheet.cell(row=3, column=6).value is None
