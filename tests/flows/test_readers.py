"""Every reader on every documented format variant (data/README.md, issue 2 section 2).

Each test writes its own small file into tmp_path: CSV as raw bytes (so BOMs, delimiters and
encodings are exactly what is tested), XLSX with openpyxl.
"""

from __future__ import annotations

import hashlib
import unicodedata
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest

from flows.errors import ExtractError
from flows.intake import ingest, readers
from flows.intake.kinds import KINDS, canonical, near_miss, recognise
from flows.warehouse import db

ROOT = Path(__file__).resolve().parents[2]
PAPI_SAMPLE = ROOT / "data" / "sample" / "papi_dimensions.csv"
# The shared reference sits beside the repository (../shared) in a session and in CI; the
# sample is a byte-for-byte copy of it (checked by its sha256 below), used when it is absent.
PAPI_REFERENCE = next(
    (p for p in (ROOT.parent / "shared" / "reference" / "papi" / "agg_province_year.csv",
                 Path("/work/shared/reference/papi/agg_province_year.csv")) if p.exists()),
    PAPI_SAMPLE,
)
# sha256 of agg_province_year.csv (tunah72/papi-dashboard, commit 2e42ab8); the sample is a
# byte-for-byte copy of it (data/README.md).
PAPI_REAL_SHA256 = "841e3c4cccec84930197a30cd8376ca555e516b558d58bb6a37b463666b9ec5c"

PAR_VI = "Mã đơn vị,Năm,Mã tiêu chí,Tên tiêu chí,Điểm tối đa,Điểm tự đánh giá,Điểm thẩm định"


# --- helpers -------------------------------------------------------------------------------

def write(tmp_path: Path, name: str, text: str | bytes, bom: bool = False) -> Path:
    data = text.encode("utf-8") if isinstance(text, str) else text
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def write_xlsx(tmp_path: Path, name: str, sheets: list[dict]) -> Path:
    """sheets: [{"title": ..., "rows": {row_number: [cells]}, "state": "visible"}]."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for spec in sheets:
        ws = wb.create_sheet(spec["title"])
        ws.sheet_state = spec.get("state", "visible")
        for row_number, cells in spec["rows"].items():
            for col, value in enumerate(cells, start=1):
                if value is not None:
                    ws.cell(row=row_number, column=col, value=value)
    path = tmp_path / name
    wb.save(path)
    return path


def rows_of(con: duckdb.DuckDBPyConnection, columns: str) -> list[tuple]:
    return con.execute(f"select {columns} from incoming order by source_row, rowid").fetchall()


def read_all(path: Path, name: str | None = None) -> tuple[duckdb.DuckDBPyConnection, list]:
    """Inspect and load the first part of a file; returns the connection and the parts."""
    con = duckdb.connect()
    parts = readers.inspect(path, name or path.name)
    readers.load(con, parts[0], "0" * 64)
    return con, parts


def load_part(part: readers.Part) -> tuple[duckdb.DuckDBPyConnection, int]:
    con = duckdb.connect()
    n = readers.load(con, part, "0" * 64)
    return con, n


def problem_of(path: Path, name: str | None = None):
    with pytest.raises(ExtractError) as info:
        parts = readers.inspect(path, name or path.name)
        for part in parts:
            load_part(part)
    problems = info.value.problems
    assert problems, "an ExtractError always carries at least one problem"
    return problems[0]


def assert_vietnamese(text: str) -> None:
    """A person-facing text: Vietnamese (has Vietnamese letters), no English 'expected'."""
    assert any(ch in text for ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
               "áàãéèíìóòõúùýĐ"), text
    assert "expected" not in text.lower() and "looks like" not in text.lower(), text


# --- CSV: encoding, BOM, delimiter -----------------------------------------------------------

@pytest.mark.parametrize("bom", [False, True], ids=["no-bom", "bom"])
@pytest.mark.parametrize("delim", [",", ";"], ids=["comma", "semicolon"])
def test_csv_utf8_bom_and_delimiters(tmp_path, bom, delim):
    header = delim.join(
        ["unit_code", "year", "criterion_code", "criterion_name", "max_points", "self_score"])
    body = delim.join(["STTTT", "2023", "1.1", "Kế hoạch CCHC", "3", "2.5"])
    path = write(tmp_path, "par.csv", f"{header}\n{body}\n", bom=bom)
    con, parts = read_all(path)
    assert [p.kind for p in parts] == ["par_scores"]
    assert parts[0].delimiter == delim
    assert rows_of(con, "unit_code, year, criterion_code, criterion_name, max_points, self_score,"
                        " appraised_score, evidence, source_row") == [
        ("STTTT", "2023", "1.1", "Kế hoạch CCHC", "3", "2.5", None, None, 2)
    ]


def test_csv_crlf_line_endings(tmp_path):
    path = write(tmp_path, "papi.csv", "year,province,code,score\r\n2023,Bắc Kạn,D1,5.1\r\n"
                                      "2023,Bắc Kạn,D2,4.9\r\n")
    con, _ = read_all(path)
    assert rows_of(con, "code, score, source_row") == [("D1", "5.1", 2), ("D2", "4.9", 3)]


# --- headers: English, Vietnamese with/without diacritics, upper case, Đ/đ ---------------------

PAR_HEADERS = {
    "english": "unit_code,year,criterion_code,criterion_name,max_points,self_score",
    "vietnamese": "Mã đơn vị,Năm,Mã tiêu chí,Tên tiêu chí,Điểm tối đa,Điểm tự đánh giá",
    "no-diacritics": "Ma don vi,Nam,Ma tieu chi,Ten tieu chi,Diem toi da,Diem tu danh gia",
    "upper-snake": "MA_DON_VI,NAM,MA_TIEU_CHI,TEN_TIEU_CHI,DIEM_TOI_DA,DIEM_TU_DANH_GIA",
    "upper-d-stroke": "MÃ ĐƠN VỊ,NĂM,MÃ TIÊU CHÍ,TÊN TIÊU CHÍ,ĐIỂM TỐI ĐA,ĐIỂM TỰ ĐÁNH GIÁ",
    "mixed-case-spaces": "  Mã Đơn Vị , năm,MÃ tiêu CHÍ,Tên Tiêu Chí,điểm TỐI đa ,Điểm Tự Đánh Giá",
}


@pytest.mark.parametrize("header", PAR_HEADERS.values(), ids=PAR_HEADERS.keys())
def test_par_header_spellings(tmp_path, header):
    path = write(tmp_path, "par.csv", f"{header}\nSTTTT,2024,1.1.2,Tỷ lệ hoàn thành,2,1.5\n")
    con, parts = read_all(path)
    assert parts[0].kind == "par_scores"
    assert parts[0].header.ignored == ()
    assert rows_of(con, "unit_code, year, criterion_code, max_points, self_score") == [
        ("STTTT", "2024", "1.1.2", "2", "1.5")
    ]


@pytest.mark.parametrize(
    "cell, column",
    [
        ("Điểm tối đa", "max_points"),
        ("diem toi da", "max_points"),
        ("DIEM_TOI_DA", "max_points"),
        ("ĐIỂM TỐI ĐA", "max_points"),
        ("Điểm", "score"),
        ("ĐIỂM", "score"),
        ("Điểm thẩm định", "appraised_score"),
        ("Mã đơn vị", "unit_code"),
        ("MÃ ĐƠN VỊ", "unit_code"),
        ("Tỷ lệ hài lòng (%)", "rate_pct"),
        ("Số phiếu hợp lệ", "n"),
        ("province_vi", "province"),
        ("Tỉnh", "province"),
        ("Ghi chú", "note"),  # of the evidence register; ignored by the other kinds
        ("Người lập biểu", None),
        ("", None),
    ],
)
def test_header_cell_canonical(cell, column):
    assert canonical(cell) == column


# --- numbers: decimal commas survive as text and parse later ---------------------------------

def test_decimal_comma_survives_as_text_and_parses(tmp_path):
    path = write(
        tmp_path, "par.csv",
        "Mã đơn vị;Năm;Mã tiêu chí;Tên tiêu chí;Điểm tối đa;Điểm tự đánh giá;Điểm thẩm định\n"
        "STTTT;2023;1.1.1;Ban hành kế hoạch;0,5;0,25;1,0\n"
        'STTTT;2023;1.1.2;"Tỷ lệ; hoàn thành";1,5;Không áp dụng;\n',
    )
    con, _ = read_all(path)
    assert rows_of(con, "criterion_name, max_points, self_score, appraised_score") == [
        ("Ban hành kế hoạch", "0,5", "0,25", "1,0"),
        ("Tỷ lệ; hoàn thành", "1,5", "Không áp dụng", None),
    ]
    db.install_macros(con)
    parsed = con.execute(
        "select parse_decimal(max_points), parse_decimal(self_score) from incoming"
        " order by source_row"
    ).fetchall()
    assert parsed == [(Decimal("0.5"), Decimal("0.25")), (Decimal("1.5"), None)]


def test_decimal_comma_quoted_in_comma_delimited_csv(tmp_path):
    path = write(tmp_path, "rates.csv",
                 'year,unit_code,criterion_code,rate_pct,n\n2023,STTTT,1.1,"75,03",120\n')
    con, parts = read_all(path)
    assert parts[0].kind == "sipas_rates"
    assert rows_of(con, "rate_pct, n") == [("75,03", "120")]


# --- blank cells --------------------------------------------------------------------------------

def test_blank_and_whitespace_cells_are_null(tmp_path):
    path = write(
        tmp_path, "par.csv",
        "unit_code,year,criterion_code,criterion_name,max_points,self_score,appraised_score\n"
        'STTTT,2023,1.1,Kế hoạch,3,  ,""\n'
        "STTTT,2023,1.2, Báo cáo ,2,\t,1\n",
    )
    con, _ = read_all(path)
    assert rows_of(con, "criterion_name, self_score, appraised_score") == [
        ("Kế hoạch", None, None),
        ("Báo cáo", None, "1"),
    ]


# --- source_row: the row a person sees (header = row 1) ----------------------------------------

def test_source_row_is_the_row_a_person_sees(tmp_path):
    path = write(
        tmp_path, "par.csv",
        "unit_code,year,criterion_code,criterion_name,max_points\n"
        "STTTT,2023,1,Lĩnh vực 1,11\n"
        'STTTT,2023,1.1,"Kế hoạch CCHC\nnăm 2023",3\n'
        "STTTT,2023,1.2,Báo cáo,2\n",
    )
    con, _ = read_all(path)
    assert rows_of(con, "criterion_code, criterion_name, source_row") == [
        ("1", "Lĩnh vực 1", 2),
        ("1.1", "Kế hoạch CCHC\nnăm 2023", 3),
        # One record with an embedded newline is one row in Excel: the next one is row 4.
        ("1.2", "Báo cáo", 4),
    ]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_empty_lines_count_as_rows_people_see(tmp_path, newline):
    """DuckDB skips empty lines; Excel shows them as rows, so the rows below keep their
    number. An empty line inside a quoted cell is part of the cell, not a row."""
    lines = [
        "unit_code,year,criterion_code,criterion_name,max_points",
        "",                                  # row 2: empty, right below the header
        "STTTT,2023,1,Lĩnh vực 1,11",        # row 3
        'STTTT,2023,1.1,"Kế hoạch',          # row 4, a cell over three lines
        "",
        'năm 2023",3',
        "",                                  # rows 5 and 6: empty
        "",
        "STTTT,2023,1.2,Báo cáo,2",          # row 7
        "STTTT,2023,1.3,Tuyên truyền,1",     # row 8
    ]
    path = write(tmp_path, "par.csv", newline.join(lines) + newline)
    con, parts = read_all(path)
    assert parts[0].lines == len(lines)
    assert rows_of(con, "criterion_code, source_row") == [
        ("1", 3), ("1.1", 4), ("1.2", 7), ("1.3", 8)]
    assert rows_of(con, "criterion_name")[1] == (f"Kế hoạch{newline}{newline}năm 2023",)


def test_empty_lines_in_a_wide_file_and_in_an_error(tmp_path):
    path = write(
        tmp_path, "wide.csv",
        "Năm;Mã đơn vị;Mã phiếu;1.1;1.2\n"
        "2024;STTTT;P001;4;5\n"
        "\n"
        "2024;STTTT;P002;3;\n",
    )
    con, parts = read_all(path)
    assert parts[0].kind == "sipas_answers_wide"
    assert rows_of(con, "respondent_id, question_code, source_row") == [
        ("P001", "1.1", 2), ("P001", "1.2", 2), ("P002", "1.1", 4)]
    # and a problem below an empty line names the row people see
    bad = write(tmp_path, "par_bad.csv",
                "unit_code,year,criterion_code,criterion_name,max_points,self_score\n"
                "STTTT,2023,1,Lĩnh vực 1,11,5\n\n\n"
                "STTTT,2023,1.1,Kế hoạch,3,ba\n")
    con = duckdb.connect()
    db.install_macros(con)
    db.create_raw_tables(con)
    outcome = ingest.ingest_file(con, bad, bad.name)
    assert outcome.status == "rejected"
    assert [(p.row, p.column, p.value) for p in outcome.problems] == [(5, "self_score", "ba")]


def test_a_file_without_empty_lines_is_not_read_again_for_them(tmp_path, monkeypatch):
    path = write(tmp_path, "par.csv", "unit_code,year,criterion_code,criterion_name,max_points\n"
                 "STTTT,2023,1,Lĩnh vực 1,11\n")
    monkeypatch.setattr(readers, "_blank_breaks", lambda *a: pytest.fail("read again"))
    con, parts = read_all(path)
    assert parts[0].lines == 2
    assert rows_of(con, "source_row") == [(2,)]


def test_provenance_columns(tmp_path):
    path = write(tmp_path, "papi.csv", "year,province,code,score\n2023,Bắc Kạn,D1,5.1\n")
    con = duckdb.connect()
    part = readers.inspect(path, "inbox/papi.csv")[0]
    assert readers.load(con, part, "ab" * 32) == 1
    assert rows_of(con, "source_file, source_sheet, source_sha256, source_row") == [
        ("inbox/papi.csv", None, "ab" * 32, 2)
    ]
    assert readers.sha256_of(path) == hashlib.sha256(path.read_bytes()).hexdigest()


# --- the 7 layouts, recognised from the header --------------------------------------------

LAYOUTS = {
    "par_scores": ("Mã đơn vị,Năm,Mã tiêu chí,Tên tiêu chí,Điểm tối đa",
                   "STTTT,2023,1.1,Kế hoạch,3"),
    "sipas_answers_long": ("Năm,Mã đơn vị,Mã phiếu,Mã câu hỏi,Trả lời",
                           "2023,STTTT,P001,1.1,4"),
    "sipas_answers_wide": ("Năm,Mã đơn vị,Mã phiếu,1.1,1.2", "2023,STTTT,P001,4,5"),
    "sipas_criteria": ("Mã câu hỏi,Yếu tố,Tên tiêu chí", "1.1,1,Nơi ngồi chờ"),
    "sipas_rates": ("Năm,Mã đơn vị,Mã tiêu chí,Tỷ lệ hài lòng (%),Số phiếu hợp lệ",
                    "2023,STTTT,1.1,75.03,120"),
    "papi_scores_long": ("Năm,Tỉnh,Mã,Điểm", "2023,Bắc Kạn,D6,7.2207"),
    "papi_scores_wide": ("Năm,Tỉnh,D1,D2,6.2", "2023,Bắc Kạn,5.1,4.9,1.4148"),
    "evidence_register": ("Năm,Mã đơn vị,Mã tiêu chí,Số ký hiệu văn bản,Ngày ban hành",
                          "2024,STTTT,1.1,92/BC-STTTT,01/06/2024"),
    "survey_participation": ("Năm,Chỉ số,Mã đơn vị,Số phiếu được giao,Số phiếu đã trả lời",
                             "2024,PAR INDEX,VP,6,5"),
    "index_results": ("Năm,Chỉ số,Tên,Điểm", "2024,SIPAS,Bắc Kạn,78.17"),
}


def test_layouts_cover_every_kind():
    assert set(LAYOUTS) == {k.name for k in KINDS}


@pytest.mark.parametrize("kind", LAYOUTS)
def test_kind_recognised_from_header(tmp_path, kind):
    header, row = LAYOUTS[kind]
    assert recognise(header.split(",")).kind.name == kind
    path = write(tmp_path, f"{kind}.csv", f"{header}\n{row}\n")
    con, parts = read_all(path)
    assert [p.kind for p in parts] == [kind]
    assert readers.load(con, parts[0], "0" * 64) >= 1


@pytest.mark.parametrize("kind", LAYOUTS)
def test_kind_recognised_in_xlsx(tmp_path, kind):
    header, row = LAYOUTS[kind]
    values = [float(v) if v.replace(".", "").isdigit() and "." in v else v for v in row.split(",")]
    path = write_xlsx(tmp_path, f"{kind}.xlsx",
                      [{"title": "Sheet1", "rows": {1: header.split(","), 2: values}}])
    parts = readers.inspect(path, path.name)
    assert [(p.kind, p.sheet, p.header_row) for p in parts] == [(kind, "Sheet1", 1)]


def test_sipas_rates_columns(tmp_path):
    header, row = LAYOUTS["sipas_rates"]
    con, _ = read_all(write(tmp_path, "r.csv", f"{header}\n{row}\n"))
    assert rows_of(con, "year, unit_code, criterion_code, rate_pct, n, source_row") == [
        ("2023", "STTTT", "1.1", "75.03", "120", 2)
    ]


def test_sipas_criteria_columns(tmp_path):
    header, row = LAYOUTS["sipas_criteria"]
    con, _ = read_all(write(tmp_path, "c.csv", f"{header}\n{row}\n"))
    assert rows_of(con, "question_code, element, criterion_name") == [
        ("1.1", "1", "Nơi ngồi chờ")
    ]


# --- wide layouts: unpivoted, source_row per value, blank cells dropped -----------------------

def test_sipas_wide_unpivoted_with_source_rows(tmp_path):
    path = write(
        tmp_path, "wide.csv",
        "Năm;Mã đơn vị;Mã phiếu;1.1;1.2;Q2.1;Ghi chú\n"
        "2024;STTTT;P001;4;;5;tốt\n"
        "2024;STTTT;P002;; ;3;\n"
        "2024;STTTT;P003;;;;\n"
        "2024;STTTT;P004;2;1;6;\n",
    )
    con, parts = read_all(path)
    assert parts[0].kind == "sipas_answers_wide"
    assert parts[0].header.codes == ("1.1", "1.2", "Q2.1")
    assert parts[0].header.ignored == ("Ghi chú",)
    assert rows_of(con, "year, unit_code, respondent_id, question_code, answer, source_row") == [
        ("2024", "STTTT", "P001", "1.1", "4", 2),
        ("2024", "STTTT", "P001", "Q2.1", "5", 2),
        ("2024", "STTTT", "P002", "Q2.1", "3", 3),
        ("2024", "STTTT", "P004", "1.1", "2", 5),
        ("2024", "STTTT", "P004", "1.2", "1", 5),
        ("2024", "STTTT", "P004", "Q2.1", "6", 5),
    ]


def test_sipas_wide_xlsx_unpivoted(tmp_path):
    path = write_xlsx(tmp_path, "wide.xlsx", [{
        "title": "Phiếu",
        "rows": {
            1: ["PHIẾU KHẢO SÁT SIPAS 2024"],
            2: ["Năm", "Mã đơn vị", "Mã phiếu", "1.1", "1.2"],
            3: [2024, "STTTT", "P001", 4, None],
            5: [2024, "STTTT", "P002", None, 5],
        },
    }])
    con, parts = read_all(path)
    assert parts[0].header_row == 2
    assert rows_of(con, "respondent_id, question_code, answer, source_sheet, source_row") == [
        ("P001", "1.1", "4", "Phiếu", 3),
        ("P002", "1.2", "5", "Phiếu", 5),
    ]


def test_papi_wide_ignores_columns_that_are_not_codes(tmp_path):
    path = write(
        tmp_path, "papi.csv",
        "id,Tỉnh,Vùng,Năm,d1,D8,6.2,Tổng điểm,Xếp hạng\n"
        "3,Bắc Kạn,Miền núi phía Bắc,2023,5.2,,1.4148,40.1,55\n",
    )
    con, parts = read_all(path)
    header = parts[0].header
    assert parts[0].kind == "papi_scores_wide"
    assert header.codes == ("D1", "D8", "6.2")
    assert header.ignored == ("id", "Vùng", "Tổng điểm", "Xếp hạng")
    assert rows_of(con, "year, province, code, score, source_row") == [
        ("2023", "Bắc Kạn", "D1", "5.2", 2),
        ("2023", "Bắc Kạn", "6.2", "1.4148", 2),
    ]


def _check_real_papi_file(path: Path) -> None:
    con, parts = read_all(path, "papi/agg_province_year.csv")
    part = parts[0]
    assert part.kind == "papi_scores_wide"
    assert part.header.codes == tuple(f"D{i}" for i in range(1, 9))
    assert part.header.ignored == (
        "province_id", "region", "region_id", "total_papi", "total_papi_6dim",
        "total_official", "n_dims", "rank_year", "tier",
    )
    n_rows, n_source_rows, last_row, n_years, n_provinces = con.execute(
        "select count(*), count(distinct source_row), max(source_row), count(distinct year),"
        " count(distinct province) from incoming"
    ).fetchall()[0]
    assert n_rows == 6094  # non-empty scores
    assert last_row == 883  # 882 data rows under the header
    assert n_source_rows == 873  # 9 province-years have no score at all
    assert (n_years, n_provinces) == (14, 63)
    assert con.execute(
        "select score, source_row from incoming"
        " where province = 'Bắc Kạn' and year = '2011' and code = 'D1'"
    ).fetchall() == [("5.601996", 4)]
    # a blank cell is no value: D7 and D8 start in 2016
    assert con.execute(
        "select count(*) from incoming where year = '2011' and code in ('D7', 'D8')"
    ).fetchall() == [(0,)]


@pytest.mark.parametrize("path", [PAPI_REFERENCE, PAPI_SAMPLE], ids=["shared", "sample"])
def test_real_papi_file_loads_as_it_is(path):
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == PAPI_REAL_SHA256
    assert len(data.splitlines()) == 883
    _check_real_papi_file(path)


# --- XLSX ---------------------------------------------------------------------------------------

def test_xlsx_header_below_title_block_reports_excel_rows(tmp_path):
    path = write_xlsx(tmp_path, "par.xlsx", [{
        "title": "Điểm CCHC",
        "rows": {
            1: ["BẢNG ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2023"],
            2: ["Sở Thông tin và Truyền thông"],
            3: PAR_VI.split(","),
            4: ["STTTT", 2023.0, "1.1", "Kế hoạch", 3, 2.5, 2.25],
            6: ["STTTT", 2023, "1.2", "Báo cáo", 0.5, 0.5, "KAD"],
        },
    }])
    con, parts = read_all(path)
    assert (parts[0].kind, parts[0].sheet, parts[0].header_row) == ("par_scores", "Điểm CCHC", 3)
    assert rows_of(con, "year, criterion_code, max_points, self_score, appraised_score,"
                        " source_sheet, source_row") == [
        ("2023", "1.1", "3", "2.5", "2.25", "Điểm CCHC", 4),
        ("2023", "1.2", "0.5", "0.5", "KAD", "Điểm CCHC", 6),
    ]


def test_xlsx_numeric_cells_as_text(tmp_path):
    path = write_xlsx(tmp_path, "papi.xlsx", [{
        "title": "PAPI",
        "rows": {1: ["year", "province", "code", "score"],
                 2: [2023.0, "Bắc Kạn", "6.2", 1.4148],
                 3: [2023, "Bắc Kạn", "D1", 5.0],
                 4: [2023, "Bắc Kạn", "D2", 0.5]},
    }])
    con, _ = read_all(path)
    assert rows_of(con, "year, code, score") == [
        ("2023", "6.2", "1.4148"), ("2023", "D1", "5"), ("2023", "D2", "0.5")
    ]


def test_xlsx_several_sheets_of_different_kinds_and_hidden_sheet(tmp_path):
    path = write_xlsx(tmp_path, "book.xlsx", [
        {"title": "Hướng dẫn", "rows": {1: ["Điền mỗi trang tính theo mẫu"]}},
        {"title": "Tiêu chí", "rows": {1: ["Mã câu hỏi", "Yếu tố", "Tên tiêu chí"],
                                       2: ["1.1", 1, "Nơi ngồi chờ"],
                                       3: ["1.2", 1, "Trang thiết bị"]}},
        # hidden sheets are ignored even when their header is a valid layout
        {"title": "Ẩn", "state": "hidden",
         "rows": {1: ["Năm", "Tỉnh", "Mã", "Điểm"], 2: [2023, "Bắc Kạn", "D1", 99]}},
        {"title": "Rất ẩn", "state": "veryHidden", "rows": {1: ["rác"]}},
        {"title": "Tỷ lệ", "rows": {2: ["BẢNG TỶ LỆ"],
                                    4: LAYOUTS["sipas_rates"][0].split(","),
                                    5: [2023, "STTTT", "1.1", 75.03, 120]}},
    ])
    parts = readers.inspect(path, path.name)
    assert [(p.sheet, p.kind, p.header_row) for p in parts] == [
        ("Tiêu chí", "sipas_criteria", 1),
        ("Tỷ lệ", "sipas_rates", 4),
    ]
    con, n = load_part(parts[1])
    assert n == 1
    assert rows_of(con, "rate_pct, n, source_sheet, source_row") == [("75.03", "120", "Tỷ lệ", 5)]
    con, n = load_part(parts[0])
    assert n == 2


def test_xlsx_header_only_sheet_loads_zero_rows(tmp_path):
    path = write_xlsx(tmp_path, "empty.xlsx",
                      [{"title": "S", "rows": {1: ["Năm", "Tỉnh", "Mã", "Điểm"]}}])
    con, n = load_part(readers.inspect(path, path.name)[0])
    assert n == 0


def test_xlsx_header_beyond_search_rows_is_not_found(tmp_path):
    path = write_xlsx(tmp_path, "deep.xlsx", [{
        "title": "S", "rows": {1: ["Tiêu đề"], 11: ["Năm", "Tỉnh", "Mã", "Điểm"],
                               12: [2023, "Bắc Kạn", "D1", 5]}}])
    problem = problem_of(path)
    assert "10 dòng đầu" in problem.expected
    assert_vietnamese(problem.expected)


# --- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n", b"\xef\xbb\xbf  \r\n"],
                         ids=["zero-bytes", "bom-only", "blank-lines", "bom-blank"])
def test_empty_file(tmp_path, data):
    problem = problem_of(write(tmp_path, "empty.csv", data))
    assert (problem.file, problem.row) == ("empty.csv", 1)
    assert "tệp đang trống" in problem.expected
    assert_vietnamese(problem.expected)


def test_header_only_loads_zero_rows(tmp_path):
    path = write(tmp_path, "par.csv", PAR_VI + "\n")
    con, parts = read_all(path)
    assert parts[0].kind == "par_scores"
    assert readers.load(con, parts[0], "0" * 64) == 0
    assert con.execute("select count(*) from incoming").fetchall() == [(0,)]


def test_unrecognised_header(tmp_path):
    problem = problem_of(write(tmp_path, "notes.csv", "Họ tên,Ngày sinh,Quê quán\nAn,1990,Huế\n"))
    assert (problem.file, problem.row) == ("notes.csv", 1)
    assert problem.expected.startswith(
        "dòng tiêu đề của một trong các loại tệp đã mô tả (điểm PAR INDEX, phiếu/tiêu chí/tỷ lệ"
        " SIPAS, điểm PAPI; xem data/README.md)"
    )
    assert "Họ tên, Ngày sinh, Quê quán" in problem.expected
    assert_vietnamese(problem.expected)


@pytest.mark.parametrize(
    "header, column, label",
    [
        ("Mã đơn vị,Năm,Mã tiêu chí,Tên tiêu chí,Điểm tự đánh giá", "max_points", "Điểm tối đa"),
        ("Mã đơn vị,Năm,Mã tiêu chí,Điểm tối đa", "criterion_name", "Tên tiêu chí"),
        ("year,unit_code,respondent_id,question_code", "answer", "Trả lời"),
        ("year,unit_code,respondent_id,answer", "question_code", "Mã câu hỏi"),
        ("Năm,Tỉnh,Mã", "score", "Điểm"),
        ("Năm,Mã đơn vị,Mã tiêu chí,Tỷ lệ hài lòng (%)", "n", "Số phiếu hợp lệ"),
        ("Mã câu hỏi,Tên tiêu chí", "element", "Yếu tố"),
    ],
)
def test_required_column_missing_names_it(tmp_path, header, column, label):
    problem = problem_of(write(tmp_path, "x.csv", header + "\n"))
    assert problem.row == 1
    assert problem.column == column
    assert f"thiếu cột {column} ({label})" in problem.expected
    assert_vietnamese(problem.expected)


def test_required_column_missing_once_signature_matches(tmp_path):
    # criterion_code + max_points make it PAR; the unit is missing.
    problem = problem_of(write(tmp_path, "x.csv", "Năm,Mã tiêu chí,Tên tiêu chí,Điểm tối đa\n"))
    assert problem.column == "unit_code"
    assert "thiếu cột unit_code (Mã đơn vị)" in problem.expected
    assert "Điểm Chỉ số CCHC (PAR INDEX)" in problem.expected


def test_wide_layout_without_code_columns(tmp_path):
    problem = problem_of(write(tmp_path, "w.csv", "Năm,Mã đơn vị,Mã phiếu,Ghi chú\n"))
    assert problem.expected.startswith(
        "ít nhất một cột mã (ví dụ 1.1, Q1.1, C12) cho loại tệp Phiếu khảo sát SIPAS (dạng ngang)"
    )
    assert "question_code (Mã câu hỏi), answer (Trả lời)" in problem.expected
    problem = problem_of(write(tmp_path, "p.csv", "Năm,Tỉnh,Tổng điểm\n"))
    assert "ít nhất một cột mã (ví dụ D1, D8, 6.2)" in problem.expected


def test_duplicated_column(tmp_path):
    problem = problem_of(write(
        tmp_path, "dup.csv",
        "unit_code,year,criterion_code,criterion_name,max_points,Điểm tối đa\n"))
    assert (problem.row, problem.column) == (1, "max_points")
    assert "cột max_points (Điểm tối đa) có hai lần" in problem.expected
    assert "'Điểm tối đa'" in problem.expected
    assert_vietnamese(problem.expected)


def test_duplicated_code_column(tmp_path):
    problem = problem_of(write(tmp_path, "dup.csv", "year,province,D1,d1\n2023,X,5,5\n"))
    assert problem.column == "D1"
    assert "cột mã 'd1' xuất hiện hai lần" in problem.expected


def cp1258(text: str) -> bytes:
    """Text as Windows-1258 (Vietnamese ANSI): tone marks as combining characters."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            base, tone = unicodedata.normalize("NFD", ch)[:-1], unicodedata.normalize("NFD", ch)[-1]
            out += unicodedata.normalize("NFC", base).encode("cp1258") + tone.encode("cp1258")
    return out


def test_windows_1258_file_is_decoded_to_nfc(tmp_path):
    # a file saved as Windows-1258, as old Excel versions do for "CSV (Comma delimited)":
    # tones are combining marks; the reader decodes it and normalises to NFC (issue 4)
    data = cp1258("Năm,Tỉnh,Mã,Điểm\n2023,Bắc Kạn,D1,5\n")
    assert "Năm,Tỉnh,Mã,Điểm".encode() not in data
    con, parts = read_all(write(tmp_path, "ansi.csv", data))
    assert parts[0].encoding == "cp1258"
    assert rows_of(con, "province, code, score, source_row") == [("Bắc Kạn", "D1", "5", 2)]
    assert unicodedata.is_normalized("NFC", rows_of(con, "province")[0][0])


def test_non_utf8_file_that_is_not_vietnamese_is_refused(tmp_path):
    # Latin-1 text: guessing would be unsafe, so the plan must name the encoding
    data = "Năm,Tỉnh,Mã,Điểm\n2023,Orléans,D1,5\n".encode()
    data = data.replace("Orléans".encode(), "Orléans".encode("latin-1"))
    problem = problem_of(write(tmp_path, "ansi.csv", data))
    assert problem.expected.startswith("tệp CSV mã hoá UTF-8 (lưu dưới dạng 'CSV UTF-8')")
    assert "encoding: windows-1258" in problem.expected
    assert problem.row == 2


def test_non_utf8_byte_at_the_end_of_a_small_file(tmp_path):
    # Bug fixed: a bad byte in the last 4 bytes used to pass as "a character cut at the
    # 64 KiB boundary" and then failed in DuckDB with an English message.
    path = write(tmp_path, "tail.csv", b"year,province,code,score\n2023,B\xe1c,D1,5\xe3\n")
    problem = problem_of(path)
    assert problem.expected.startswith("tệp CSV mã hoá UTF-8 (lưu dưới dạng 'CSV UTF-8')")
    assert problem.row == 2


def test_non_utf8_byte_after_the_first_64_kib(tmp_path):
    rows = "".join(f"2023,Tỉnh {i},D1,5.{i % 10}\n" for i in range(5000))
    data = ("year,province,code,score\n" + rows).encode() + b"2024,B\xe1c,D1,5\n"
    assert len(data) > readers.CSV_HEAD_BYTES
    problem = problem_of(write(tmp_path, "big.csv", data))
    assert problem.expected.startswith("tệp CSV mã hoá UTF-8 (lưu dưới dạng 'CSV UTF-8')")


def test_multibyte_character_cut_at_64_kib_is_fine(tmp_path):
    head = b"year,province,code,score\n" + b"2023,X,D1,5\n" * 5000
    head = head[: head.rindex(b"\n", 0, readers.CSV_HEAD_BYTES - 100) + 1]
    pad = readers.CSV_HEAD_BYTES - 1 - len(head) - len(b"2023,")
    data = head + b"2023," + b"x" * pad + "ạ,D1,5\n".encode() + b"2023,Y,D2,6\n"
    # "ạ" is 3 bytes; the first of them is the last byte the header search reads
    assert data[readers.CSV_HEAD_BYTES - 1 : readers.CSV_HEAD_BYTES + 2] == "ạ".encode()
    con, parts = read_all(write(tmp_path, "big.csv", data))
    assert parts[0].kind == "papi_scores_long"
    n_data_rows = len(data.splitlines()) - 1
    assert con.execute("select count(*) from incoming").fetchall() == [(n_data_rows,)]


@pytest.mark.parametrize("last", [True, False], ids=["last-row", "middle-row"])
@pytest.mark.parametrize("bad, found", [("2023,Bắc Kạn,D2,5,7,8", "nhiều cột hơn"),
                                        ("2023,Bắc Kạn,D2", "3 cột")],
                         ids=["too-many-fields", "too-few-fields"])
def test_row_with_wrong_number_of_fields(tmp_path, bad, found, last):
    # Bug fixed: with DuckDB's sniffer on, a malformed last row made every row above it
    # vanish (0 rows loaded, no error); now the file is rejected, naming the row.
    rows = ["2023,Bắc Kạn,D1,5", bad] + ([] if last else ["2023,Bắc Kạn,D3,5"])
    path = write(tmp_path, "bad.csv", "year,province,code,score\n" + "\n".join(rows) + "\n")
    problem = problem_of(path)
    assert problem.row == 3
    assert problem.expected == (
        "tệp CSV đúng cấu trúc: mọi dòng có cùng số cột với dòng tiêu đề (4 cột), dấu ngoặc"
        f" kép đóng mở đủ cặp (dòng này có {found})"
    )


def test_unterminated_quote(tmp_path):
    path = write(tmp_path, "q.csv", 'year,province,code,score\n2023,B,D1,5\n2023,"B,D2,5\n'
                                    "2023,B,D3,5\n")
    problem = problem_of(path)
    assert problem.row == 3
    assert problem.expected.startswith("tệp CSV đúng cấu trúc: mọi dòng có cùng số cột với dòng"
                                       " tiêu đề, dấu ngoặc kép đóng mở đủ cặp (DuckDB báo: ")


@pytest.mark.parametrize("name", ["par.txt", "par.xls", "par", "par.csv.bak"])
def test_other_extension(tmp_path, name):
    problem = problem_of(write(tmp_path, name, PAR_VI + "\nSTTTT,2023,1,x,1\n"))
    assert problem.file == name
    assert problem.expected.startswith("một tệp .csv hoặc .xlsx")
    assert_vietnamese(problem.expected)


def test_upper_case_extension_is_read(tmp_path):
    con, parts = read_all(write(tmp_path, "PAPI.CSV", "year,province,code,score\n2023,X,D1,5\n"))
    assert parts[0].kind == "papi_scores_long"


@pytest.mark.parametrize("data", [b"PK\x03\x04 not really a zip", b"", b"year,province\n"],
                         ids=["garbage-zip", "empty", "csv-named-xlsx"])
def test_damaged_xlsx(tmp_path, data):
    problem = problem_of(write(tmp_path, "book.xlsx", data))
    assert problem.file == "book.xlsx"
    assert problem.expected.startswith("một sổ tính Excel .xlsx đọc được")
    assert_vietnamese(problem.expected)


def test_xlsx_with_no_recognisable_sheet(tmp_path):
    path = write_xlsx(tmp_path, "notes.xlsx", [{"title": "Ghi chú", "rows": {1: ["Ghi chú"]}},
                                               {"title": "Ẩn", "state": "hidden",
                                                "rows": {1: ["Năm", "Tỉnh", "Mã", "Điểm"]}}])
    problem = problem_of(path)
    assert problem.expected.startswith("dòng tiêu đề của một trong các loại tệp đã mô tả")


def test_xlsx_sheet_with_broken_header_fails_the_whole_file(tmp_path):
    # Bug fixed: a sheet whose header was close to a layout (a column missing) used to be
    # dropped silently when another sheet of the workbook was fine.
    path = write_xlsx(tmp_path, "book.xlsx", [
        {"title": "PAPI", "rows": {1: ["Năm", "Tỉnh", "Mã", "Điểm"], 2: [2023, "X", "D1", 5]}},
        {"title": "CCHC", "rows": {1: ["Tiêu đề"],
                                   2: ["Mã đơn vị", "Năm", "Mã tiêu chí", "Tên tiêu chí"],
                                   3: ["STTTT", 2023, "1.1", "x"]}},
    ])
    with pytest.raises(ExtractError) as info:
        readers.inspect(path, path.name)
    [problem] = info.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("CCHC", 2, "max_points")
    assert "thiếu cột max_points (Điểm tối đa)" in problem.expected


def test_xlsx_duplicated_column_names_sheet_and_row(tmp_path):
    path = write_xlsx(tmp_path, "book.xlsx", [{
        "title": "S", "rows": {1: ["Tiêu đề"], 3: ["Năm", "Tỉnh", "Mã", "Điểm", "score"]}}])
    problem = problem_of(path)
    assert (problem.sheet, problem.row, problem.column) == ("S", 3, "score")


def test_near_miss_ignores_titles_and_notes():
    assert near_miss(["BẢNG ĐIỂM CHỈ SỐ CCHC NĂM 2023"]) is None
    assert near_miss(["Năm", "Mã đơn vị", "Tên tiêu chí"]) is None  # shared by every index
    assert near_miss([]) is None
