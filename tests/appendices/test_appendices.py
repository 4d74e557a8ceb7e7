"""Phụ lục 1-4: the DOCX and the XLSX hold one row per criterion_gaps row of each appendix, read
the Vietnamese way, under a Nghị định 30/2020 heading block; years come from the data."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Pt

from flows import vietnamese as vi
from flows.cli import main
from flows.documents.appendices import write_appendices
from tests.appendices.conftest import gaps, settings

CNTT = "Phòng Công nghệ thông tin – Bưu chính, Viễn thông"
HEADING_LEFT = ["UBND TỈNH BẮC KẠN", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG"]
HEADING_RIGHT = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
ATTACHED = "(Kèm theo Kế hoạch số …/KH-STTTT ngày … của Sở Thông tin và Truyền thông)"


def open_docx(written) -> docx.document.Document:
    return docx.Document(str(written[0]))


def appendix_tables(doc) -> list:
    return doc.tables[1:]  # the first table is the heading block


def table_rows(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def by_code(rows: list[list], code: str, col: int = 1) -> list:
    (row,) = [r for r in rows if r[col] == code]
    return row


def texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def sheet_rows(ws, header_row: int = 5) -> tuple[list, list[list]]:
    values = list(ws.iter_rows(values_only=True))
    header = list(values[header_row - 1])
    body = []
    for row in values[header_row:]:
        if row[0] is None or not isinstance(row[0], int):
            break
        body.append(list(row))
    return header, body


# --- both files -----------------------------------------------------------------------------

def test_four_appendices_in_both_files(written):
    doc = open_docx(written)
    assert len(appendix_tables(doc)) == 4
    titles = [t for t in texts(doc) if t.startswith("Phụ lục")]
    assert titles == ["Phụ lục 1", "Phụ lục 2", "Phụ lục 3", "Phụ lục 4"]
    wb = openpyxl.load_workbook(written[1])
    assert wb.sheetnames == ["Phụ lục 1", "Phụ lục 2", "Phụ lục 3", "Phụ lục 4"]


def test_row_counts_equal_criterion_gaps_per_appendix(written, published):
    doc = open_docx(written)
    wb = openpyxl.load_workbook(written[1])
    for n, table in enumerate(appendix_tables(doc), 1):
        expected = len(gaps(published, n))
        assert expected > 0
        assert len(table.rows) - 1 == expected, f"Phụ lục {n}"
        _, body = sheet_rows(wb[f"Phụ lục {n}"])
        assert len(body) == expected, f"Phụ lục {n}"
        assert [r[0] for r in body] == list(range(1, expected + 1))  # STT


def test_every_criterion_appears_once_with_its_owner(written, published):
    doc = open_docx(written)
    for n, table in enumerate(appendix_tables(doc), 1):
        shown = {(r[1], r[-1]) for r in table_rows(table)[1:]}
        assert shown == {(g["criterion_code"], g["owner_name"]) for g in gaps(published, n)}


def test_columns_follow_the_plan_with_years_from_the_data(written, published):
    y = settings(published)
    b, t = y["baseline_year"], y["target_year"]
    par = ["STT", "Mã tiêu chí", "Tiêu chí/TCTP", "Điểm tối đa", f"Kết quả năm {b}",
           f"Mục tiêu năm {t}", "Đơn vị chủ trì"]
    expected = {
        1: par,
        2: par,
        3: ["STT", "Mã tiêu chí", "Tiêu chí", f"Tỷ lệ hài lòng năm {b} (%)",
            f"Mục tiêu năm {t} (%)", "Đơn vị chủ trì"],
        4: ["STT", "Mã tiêu chí", "Chỉ số nội dung/nội dung thành phần", f"Điểm năm {b}",
            f"Mục tiêu năm {t}", "Đơn vị chủ trì"],
    }
    doc = open_docx(written)
    wb = openpyxl.load_workbook(written[1])
    for n, table in enumerate(appendix_tables(doc), 1):
        assert table_rows(table)[0] == expected[n]
        header, _ = sheet_rows(wb[f"Phụ lục {n}"])
        assert header == expected[n]


# --- exact cells ----------------------------------------------------------------------------

def test_papi_primary_education_row(written):
    rows = table_rows(appendix_tables(open_docx(written))[3])
    assert by_code(rows, "6.2")[2:] == ["Giáo dục tiểu học công lập", "1,4148", "1,5148",
                                        "Văn phòng Sở"]
    _, body = sheet_rows(openpyxl.load_workbook(written[1])["Phụ lục 4"])
    row = by_code(body, "6.2")
    assert row[3] == pytest.approx(1.4148) and row[4] == pytest.approx(1.5148)
    assert row[5] == "Văn phòng Sở"


def test_par_rows_read_the_vietnamese_way(written, published):
    tables = appendix_tables(open_docx(written))
    keep = by_code(table_rows(tables[0]), "1.3.1")
    assert keep[3:] == ["0,5", "0,5", "Duy trì điểm tối đa (0,5 điểm)", "Văn phòng Sở"]
    assert by_code(table_rows(tables[0]), "7.2")[-1] == CNTT  # PAR:7 belongs to the IT division
    b = settings(published)["baseline_year"]
    beat = by_code(table_rows(tables[1]), "1.1.2")
    assert beat[3:] == ["2", "0", f"Cao hơn năm {b}", "Văn phòng Sở"]
    assert by_code(table_rows(tables[1]), "7.6.1")[-1] == CNTT


def test_sipas_rates_in_percent_with_two_decimals(written, published):
    rows = table_rows(appendix_tables(open_docx(written))[2])
    for g in gaps(published, 3):
        row = by_code(rows, g["criterion_code"])
        assert row[3] == vi.number(g["baseline_value"], 2)
        assert row[4] == vi.number(g["target_value"], 2)
    assert by_code(rows, "1.1")[3:5] == ["72,27", "82,27"]


def test_xlsx_keeps_numbers_as_numbers(written, published):
    wb = openpyxl.load_workbook(written[1])
    for n, cols in ((1, (3, 4)), (2, (3, 4)), (3, (3, 4)), (4, (3, 4))):
        _, body = sheet_rows(wb[f"Phụ lục {n}"])
        for row in body:
            for c in cols:
                assert isinstance(row[c], int | float), (n, row)
    ws = wb["Phụ lục 3"]
    assert ws.cell(row=6, column=4).number_format.endswith("#,##0.00")
    exact = {g["criterion_code"]: g["baseline_value"] for g in gaps(published, 3)}
    _, body = sheet_rows(ws)
    for row in body:
        assert Decimal(str(row[3])) == pytest.approx(exact[row[1]])


def test_xlsx_title_rows(written):
    ws = openpyxl.load_workbook(written[1])["Phụ lục 2"]
    assert ws["A1"].value == "Phụ lục 2"
    assert ws["A1"].font.bold and ws["A1"].font.name == "Times New Roman"
    assert "chưa đạt điểm tối đa" in ws["A2"].value
    assert ws["A3"].value == ATTACHED
    assert ws["A3"].font.italic
    assert ws.print_title_rows == "$5:$5"
    assert ws.page_setup.orientation == "landscape"


# --- the document's layout (Nghị định 30/2020/NĐ-CP) --------------------------------------

def cell_paragraphs(cell) -> list:
    return [p for p in cell.paragraphs if p.text.strip()]


def has_rule(cell) -> bool:
    return any(p._p.find(f"{qn('w:pPr')}/{qn('w:pBdr')}/{qn('w:top')}") is not None
               for p in cell.paragraphs if not p.text.strip())


def test_heading_block(written):
    doc = open_docx(written)
    heading = doc.tables[0]
    assert len(heading.columns) == 2 and len(heading.rows) == 1
    left, right = heading.rows[0].cells
    left_p, right_p = cell_paragraphs(left), cell_paragraphs(right)
    assert [p.text for p in left_p] == HEADING_LEFT
    assert [p.text for p in right_p[:2]] == HEADING_RIGHT
    assert right_p[2].text == "Bắc Kạn, ngày … tháng … năm …"
    assert not any(r.bold for r in left_p[0].runs)  # the governing body is not bold
    assert all(r.bold for p in (left_p[1], *right_p[:2]) for r in p.runs)
    assert all(r.italic for r in right_p[2].runs)
    assert has_rule(left) and has_rule(right)
    borders = heading._tbl.tblPr.find(qn("w:tblBorders"))
    assert borders is not None
    assert {b.get(qn("w:val")) for b in borders} == {"nil"}  # borderless


def test_each_appendix_has_title_subtitle_and_attachment_line(written, published):
    doc = open_docx(written)
    paragraphs = [p for p in doc.paragraphs if p.text.strip()]
    y = settings(published)
    for n in range(1, 5):
        i = next(i for i, p in enumerate(paragraphs) if p.text == f"Phụ lục {n}")
        title, subtitle, attached = paragraphs[i:i + 3]
        assert all(r.bold for r in title.runs) and all(r.bold for r in subtitle.runs)
        assert title.alignment == subtitle.alignment == 1  # centred
        assert str(y["baseline_year"]) in subtitle.text and str(y["target_year"]) in subtitle.text
        assert attached.text == ATTACHED
        assert all(r.italic for r in attached.runs)
        assert title.paragraph_format.page_break_before == (n > 1)


def test_times_new_roman_13_to_14_pt(written):
    doc = open_docx(written)
    normal = doc.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "Times New Roman"
    runs = [r for p in doc.paragraphs for r in p.runs]
    runs += [r for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs
             for r in p.runs]
    assert len(runs) > 500
    for r in runs:
        assert r.font.name in (None, "Times New Roman")
        size = r.font.size or normal.font.size
        assert Pt(13) <= size <= Pt(14), r.text


def test_a4_landscape_with_the_decrees_margins(written):
    for s in open_docx(written).sections:
        assert s.orientation == WD_ORIENT.LANDSCAPE
        # Word stores twentieths of a point: compare in whole millimetres.
        mm = {k: round(getattr(s, k).mm, 1) for k in ("page_width", "page_height", "top_margin",
                                                      "bottom_margin", "left_margin",
                                                      "right_margin")}
        assert (mm["page_width"], mm["page_height"]) == (297, 210)  # A4, long side across
        assert 20 <= mm["top_margin"] <= 25 and 20 <= mm["bottom_margin"] <= 25
        assert 30 <= mm["left_margin"] <= 35 and 15 <= mm["right_margin"] <= 20


def test_header_rows_repeat_on_every_page(written):
    for table in appendix_tables(open_docx(written)):
        tr_pr = table.rows[0]._tr.trPr
        assert tr_pr is not None and tr_pr.find(qn("w:tblHeader")) is not None


# --- years, units and caps come from the data ---------------------------------------------

def test_years_come_from_plan_settings(db_copy, plan_raw, tmp_path):
    db = db_copy("update plan_settings set baseline_year = 2030, target_year = 2031")
    docx_path, xlsx_path = write_appendices(db, tmp_path / "out", plan_raw)
    doc = docx.Document(str(docx_path))
    heads = table_rows(appendix_tables(doc)[0])[0]
    assert "Kết quả năm 2030" in heads and "Mục tiêu năm 2031" in heads
    # a row's target is the mart's wording (criterion_gaps.target_vi, from the same settings)
    (target_vi,) = [g["target_vi"] for g in gaps(db, 2) if g["criterion_code"] == "1.1"]
    assert by_code(table_rows(appendix_tables(doc)[1]), "1.1")[5] == target_vi
    wb = openpyxl.load_workbook(xlsx_path)
    assert "Tỷ lệ hài lòng năm 2030 (%)" in sheet_rows(wb["Phụ lục 3"])[0]
    shown = " ".join([*texts(doc), *(" ".join(r) for t in appendix_tables(doc)
                                     for r in table_rows(t)[:1])])
    assert "2023" not in shown and "2024" not in shown


def test_an_empty_appendix_keeps_its_place(db_copy, plan_raw, tmp_path):
    db = db_copy("delete from criterion_gaps where appendix = 4")
    docx_path, xlsx_path = write_appendices(db, tmp_path / "out", plan_raw)
    doc = docx.Document(str(docx_path))
    assert len(appendix_tables(doc)) == 4
    assert len(appendix_tables(doc)[3].rows) == 1
    assert "Không có tiêu chí nào thuộc phụ lục này." in texts(doc)
    assert sheet_rows(openpyxl.load_workbook(xlsx_path)["Phụ lục 4"])[1] == []


def test_several_units_get_a_unit_column(db_copy, plan_raw, tmp_path):
    db = db_copy("update criterion_gaps set unit_code = 'SNV' where appendix = 3"
                 " and criterion_code like '5.%'")
    docx_path, _ = write_appendices(db, tmp_path / "out", plan_raw)
    rows = table_rows(appendix_tables(docx.Document(str(docx_path)))[2])
    assert rows[0][:3] == ["STT", "Đơn vị", "Mã tiêu chí"]
    units = [r[1] for r in rows[1:]]
    assert units == ["SNV"] * 4 + ["STTTT"] * (len(units) - 4)  # units in dictionary order
    assert [r[2] for r in rows[1:5]] == ["5.1", "5.2", "5.3", "5.4"]


def test_a_capped_target_is_marked(db_copy, plan_raw, tmp_path):
    db = db_copy("update criterion_gaps set target_value = 100, target_capped = true,"
                 " target_vi = '100,00 (*)' where appendix = 3 and criterion_code = '1.1'")
    docx_path, _ = write_appendices(db, tmp_path / "out", plan_raw)
    doc = docx.Document(str(docx_path))
    assert by_code(table_rows(appendix_tables(doc)[2]), "1.1")[4] == "100,00 (*)"
    assert "(*) Mục tiêu được giới hạn ở 100%." in texts(doc)


# --- the command ----------------------------------------------------------------------------

def test_cli_writes_both_files(published, tmp_path, capsys):
    assert main(["appendices", "--db", str(published), "--out", str(tmp_path / "pl")]) == 0
    out = capsys.readouterr().out.split()
    assert [Path(p).name for p in out] == ["chiso-phu-luc.docx", "chiso-phu-luc.xlsx"]
    assert all(Path(p).stat().st_size > 0 for p in out)


def test_cli_without_a_database_says_what_to_do(tmp_path, capsys):
    assert main(["appendices", "--db", str(tmp_path / "none.duckdb")]) == 2
    assert "chiso run" in capsys.readouterr().err
