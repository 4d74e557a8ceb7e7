"""The catalogue of bad extracts (issue 4, section 2): every way a hand-exported file can be
wrong, each fed to the real ingest (reader -> SQL problems -> profile -> GX input suite) on a
fresh DuckDB, with the outcome a person should get.

Each case is a builder that writes the file into tmp_path, and what must happen: `loaded`,
or `rejected` with the row, column and a fragment of the Vietnamese message a person reads.
A rejection must leave every raw table as it was (nothing half-loaded), and a load must put
rows in.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import openpyxl
import pytest
import yaml

from flows import cli
from flows.errors import ConfigError, PlanError
from flows.intake import ingest, readers
from flows.intake.kinds import TABLE_COLUMNS
from flows.plan import load_plan, write_plan_tables
from flows.warehouse import db
from tests.conftest import PLAN

ROOT = Path(__file__).resolve().parents[2]
PAR_VI = "Mã đơn vị,Năm,Mã tiêu chí,Tên tiêu chí,Điểm tối đa,Điểm tự đánh giá,Điểm thẩm định"
PAR_ROWS = ["STTTT,2023,1,Công tác chỉ đạo,3,2.5,2.5", "STTTT,2023,1.1,Kế hoạch CCHC,1,1,1",
            "STTTT,2023,1.2,Báo cáo,2,1.5,1.5"]
PAR_EN = "unit_code,year,criterion_code,criterion_name,max_points,self_score,appraised_score"
PAPI_H = "Năm,Tỉnh,Mã,Điểm"
SIPAS_LONG_H = "year;unit_code;respondent_id;question_code;answer"
RATES_H = "Năm,Mã đơn vị,Mã tiêu chí,Tỷ lệ hài lòng (%),Số phiếu hợp lệ"
CRITERIA_H = "Mã câu hỏi,Yếu tố,Tên tiêu chí"
EVIDENCE_H = "Năm,Mã đơn vị,Mã tiêu chí,Số ký hiệu văn bản,Ngày ban hành,Đường dẫn,Ghi chú"
PARTICIPATION_H = "Năm,Chỉ số,Mã đơn vị,Số phiếu được giao,Số phiếu đã trả lời"
RESULTS_H = "Năm,Chỉ số,Tên,Điểm"


# --- builders ----------------------------------------------------------------------------------

def text(name: str, body: str, *, encoding: str = "utf-8", bom: bool = False):
    def build(tmp: Path) -> Path:
        data = (b"\xef\xbb\xbf" if bom else b"") + body.encode(encoding)
        (tmp / name).write_bytes(data)
        return tmp / name
    return build


def raw(name: str, data: bytes | Callable[[], bytes]):
    def build(tmp: Path) -> Path:
        (tmp / name).write_bytes(data() if callable(data) else data)
        return tmp / name
    return build


def cp1258(s: str) -> bytes:
    """Windows-1258 as Windows writes it: precomposed base letters, tones as combining marks."""
    out = b""
    for ch in unicodedata.normalize("NFC", s):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            base, tone = unicodedata.normalize("NFC", decomposed[:-1]), decomposed[-1]
            out += base.encode("cp1258") + tone.encode("cp1258")
    return out


def par_csv(*rows: str, header: str = PAR_VI, name: str = "par.csv"):
    return text(name, header + "\n" + "\n".join(rows) + "\n")


def workbook(name: str, sheets: list[dict], patch: Callable[[dict], None] | None = None):
    """sheets: [{"title", "rows": [[...], ...] or {row: [...]}, "state", "merge": [...]}];
    patch edits the saved zip's members (name -> bytes) in place."""
    def build(tmp: Path) -> Path:
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for spec in sheets:
            ws = wb.create_sheet(spec["title"])
            ws.sheet_state = spec.get("state", "visible")
            rows = spec["rows"]
            items = rows.items() if isinstance(rows, dict) else enumerate(rows, start=1)
            for r, cells in items:
                for c, value in enumerate(cells, start=1):
                    if value is not None:
                        ws.cell(row=r, column=c, value=value)
            for ref in spec.get("merge", []):
                ws.merge_cells(ref)
        path = tmp / name
        wb.save(path)
        if patch:
            with zipfile.ZipFile(path) as zf:
                members = {i.filename: zf.read(i.filename) for i in zf.infolist()}
            patch(members)
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
                for member, data in members.items():
                    zf.writestr(member, data)
        return path
    return build


PAR_HEADER_CELLS = PAR_VI.split(",")


def par_sheet(*rows: list, title: str = "CCHC", **extra) -> dict:
    return {"title": title, "rows": [PAR_HEADER_CELLS, *rows], **extra}


def zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (40 * 2**20))  # 40 MiB -> ~40 KiB
    return buf.getvalue()


def truncated_xlsx(tmp: Path) -> Path:
    good = workbook("full.xlsx", [par_sheet(["STTTT", 2023, "1", "x", 1, 1, 1])])(tmp)
    data = good.read_bytes()
    (tmp / "cut.xlsx").write_bytes(data[: len(data) * 2 // 3])  # a copy stopped midway
    return tmp / "cut.xlsx"


def cached_formula(members: dict) -> None:
    sheet = members["xl/worksheets/sheet1.xml"]
    assert b"<f>E2*0.5</f><v></v>" in sheet
    members["xl/worksheets/sheet1.xml"] = sheet.replace(b"<f>E2*0.5</f><v></v>",
                                                        b"<f>E2*0.5</f><v>1.5</v>")


def sipas_long(answers: list[str]) -> str:
    return SIPAS_LONG_H + "\n" + "\n".join(
        f"2023;STTTT;P{i // 4:03d};1.{i % 4 + 1};{a}" for i, a in enumerate(answers)
    ) + "\n"


# --- the catalogue -----------------------------------------------------------------------------

@dataclass
class Case:
    id: str
    build: Callable[[Path], Path]
    outcome: str  # loaded | rejected
    row: int | None = None
    column: str | None = None
    fragment: str = ""  # in the person-facing message (rejected) or a warning (loaded)
    env: dict | None = None
    encoding: str | None = None  # as the plan would name it


CASES = [
    # --- PAR INDEX: headers -----------------------------------------------------------------
    Case("par-good", par_csv(*PAR_ROWS), "loaded"),
    Case("par-wrong-header", text("par.csv", "Họ tên,Ngày sinh,Quê quán\nAn,1990,Huế\n"),
         "rejected", 1, None, "dòng tiêu đề của một trong các loại tệp"),
    Case("par-missing-header", par_csv(*PAR_ROWS[1:], header=PAR_ROWS[0]), "rejected", 1, None,
         "dòng tiêu đề của một trong các loại tệp"),
    Case("par-missing-required-column",
         par_csv("STTTT,2023,1.1,Kế hoạch,1", header="Mã đơn vị,Năm,Mã tiêu chí,Tên tiêu chí,"
                 "Điểm tự đánh giá"),
         "rejected", 1, "max_points", "thiếu cột max_points (Điểm tối đa)"),
    Case("par-header-english-variant",
         par_csv(*PAR_ROWS, header="Unit code,Year,Criterion code,Criterion name,Maximum points,"
                 "Self-assessed score,Appraised score"), "loaded"),
    Case("par-header-no-diacritics-upper",
         par_csv(*PAR_ROWS, header="MA_DON_VI,NAM,MA TIEU CHI,TEN TIEU CHI,DIEM TOI DA,"
                 "DIEM TU DANH GIA,DIEM THAM DINH"), "loaded"),
    Case("par-header-with-unit-notes",
         par_csv(*PAR_ROWS, header="Mã đơn vị,Năm (yyyy),Mã tiêu chí,Tên tiêu chí,"
                 "Điểm tối đa (điểm),Điểm tự đánh giá (điểm),Điểm thẩm định"), "loaded"),
    Case("par-header-nfd-macos", par_csv(*PAR_ROWS, header=unicodedata.normalize("NFD", PAR_VI)),
         "loaded"),
    # --- empty, header only, BOM, delimiters, encodings ----------------------------------------
    Case("par-empty-file", text("par.csv", ""), "rejected", 1, None, "tệp đang trống"),
    Case("par-blank-lines-only", text("par.csv", "\n \r\n"), "rejected", 1, None,
         "tệp đang trống"),
    Case("par-header-only", par_csv(), "rejected", None, None, "ít nhất một dòng dữ liệu"),
    Case("par-bom-semicolons",
         text("par.csv", PAR_VI.replace(",", ";") + "\n"
              + "\n".join(r.replace(",", ";") for r in PAR_ROWS) + "\n", bom=True), "loaded"),
    Case("par-windows-1258", raw("par.csv", cp1258(PAR_VI + "\n" + "\n".join(PAR_ROWS) + "\n")),
         "loaded"),
    Case("par-utf16-unicode-text",
         raw("par.csv", ("\ufeff" + PAR_VI.replace(",", "\t") + "\r\n" + "\r\n".join(
             r.replace(",", "\t") for r in PAR_ROWS)).encode("utf-16-le")),
         "loaded"),
    Case("par-latin1-not-vietnamese",
         raw("par.csv", (PAR_EN + "\n").encode() + "STTTT,2023,1.1,Réunion à Orléans,1,1,1\n"
             .encode("latin-1")), "rejected", 2, None, "encoding: windows-1258"),
    Case("par-cp1252-named-in-plan",
         raw("par.csv", (PAR_EN + "\n").encode() + "STTTT,2023,1.1,Réunion à Orléans,1,1,1\n"
             .encode("cp1252")), "loaded", encoding="cp1252"),
    Case("par-not-decodable-in-plan-encoding",
         raw("par.csv", (PAR_EN + "\n").encode() + b"STTTT,2023,1.1,\x81\x8d,1,1,1\n"),
         "rejected", 2, None, "không đọc được bằng bảng mã cp1258", encoding="cp1258"),
    Case("par-quoted-newline",
         par_csv('STTTT,2023,1.1,"Kế hoạch CCHC\nnăm 2023",1,1,1', PAR_ROWS[2]), "loaded"),
    Case("par-unterminated-quote", par_csv(PAR_ROWS[0], 'STTTT,2023,1.1,"Kế hoạch,1,1,1'),
         "rejected", None, None, "dấu ngoặc kép"),
    Case("par-half-written-last-row", par_csv(*PAR_ROWS, "STTTT,2023,1.3"), "rejected", 5, None,
         "dòng này có 3 cột"),
    # --- numbers ------------------------------------------------------------------------------
    Case("par-decimal-comma-mixed-with-dot",
         par_csv('STTTT,2023,1,Chỉ đạo,3,"2,5",2.5', 'STTTT,2023,1.1,Kế hoạch,"1,0",0.75,"0,5"'),
         "loaded"),
    Case("par-thousands-separators",
         par_csv('STTTT,2023,1,Chỉ đạo,"1.234,5",1,1'), "rejected", 2, "max_points",
         "không có dấu phân cách hàng nghìn"),
    Case("par-thousands-separators-english",
         par_csv('STTTT,2023,1,Chỉ đạo,3,"1,234.5",1'), "rejected", 2, "self_score",
         "không có dấu phân cách hàng nghìn"),
    Case("par-number-with-unit-text", par_csv("STTTT,2023,1,Chỉ đạo,3,2.5 điểm,2"), "rejected",
         2, "self_score", "một số"),
    Case("par-numbers-as-text-in-xlsx",
         workbook("par.xlsx", [par_sheet(["STTTT", "2023", "1", "Chỉ đạo", " 3 ", "2,5", "2.5"])]),
         "loaded"),
    Case("par-code-as-excel-number",
         workbook("par.xlsx", [par_sheet(["STTTT", 2023, "1", "Chỉ đạo", 3, 2, 2],
                                         ["STTTT", 2023, 1.1, "Kế hoạch", 1, 1, 1])]),
         "rejected", 3, "criterion_code", "đang là số trong Excel"),
    Case("par-area-code-as-whole-excel-number",
         workbook("par.xlsx", [par_sheet(["STTTT", 2023, 1, "Chỉ đạo", 3, 2, 2])]), "loaded"),
    # --- scores -------------------------------------------------------------------------------
    Case("par-score-above-max", par_csv('STTTT,2023,1.2,Báo cáo,"0,5","0,75",'), "rejected", 2,
         "self_score", "điểm trong khoảng 0 đến điểm tối đa (0,5)"),
    Case("par-negative-score", par_csv("STTTT,2023,1.2,Báo cáo,1,1,-0.5"), "rejected", 2,
         "appraised_score", "điểm trong khoảng 0 đến điểm tối đa"),
    Case("par-max-points-missing", par_csv("STTTT,2023,1.2,Báo cáo,,1,1"), "rejected", 2,
         "max_points", "một giá trị (ô bắt buộc)"),
    Case("par-duplicate-criterion-different-scores",
         par_csv("STTTT,2023,1.1,Kế hoạch,1,1,1", "STTTT,2023,1.1.,Kế hoạch,1,0.5,0.5"),
         "rejected", 2, "criterion_code", "một dòng cho mỗi đơn vị × năm × tiêu chí"),
    Case("par-code-only-in-one-year-each-way",
         par_csv("STTTT,2023,7.3.2,Một cửa,2,2,2", "STTTT,2023,7.3.9,Bỏ năm 2024,1,1,1",
                 "STTTT,2024,7.3.2,Một cửa,1.5,1.5,", "STTTT,2024,7.3.4,Mới năm 2024,0.5,0.5,"),
         "loaded"),
    Case("par-not-applicable", par_csv("STTTT,2023,5.2.2,Không áp dụng,1,KAD,Không áp dụng"),
         "loaded"),
    # --- SIPAS ----------------------------------------------------------------------------------
    Case("sipas-answers-0-6-x-few", text("sipas.csv", sipas_long(["0", "6", "x"] + ["4"] * 97)),
         "loaded", fragment="3 câu trả lời ngoài khoảng 1–5"),
    Case("sipas-answers-0-6-x-many", text("sipas.csv", sipas_long(["0", "6", "x"] + ["4"] * 17)),
         "rejected", 2, "answer", "một mức từ 1 đến 5"),
    Case("sipas-answer-3.5", text("sipas.csv", sipas_long(["3.5"] + ["4"] * 10)), "rejected", 2,
         "answer", "một mức từ 1 đến 5"),
    Case("sipas-wide-question-code-as-number",
         workbook("sipas.xlsx", [{"title": "Phieu", "rows": [
             ["Năm", "Mã đơn vị", "Mã phiếu", "1.1", 1.2], [2024, "STTTT", "P1", 4, 5]]}]),
         "rejected", 1, "1.2", "đang là số trong Excel"),
    Case("sipas-wide-duplicate-answer-column",
         text("sipas.csv", "Năm,Mã đơn vị,Mã phiếu,1.1,1.1\n2024,STTTT,P1,4,5\n"), "rejected", 1,
         "1.1", "xuất hiện hai lần"),
    Case("sipas-criteria-element-out-of-range",
         text("criteria.csv", CRITERIA_H + "\n1.1,1,Tiếp cận\n1.2,7,Sai yếu tố\n"), "rejected", 3,
         "element", "từ 1 đến 5"),
    Case("sipas-rates-above-100", text("rates.csv", RATES_H + '\n2023,STTTT,1.1,"120,5",100\n'),
         "rejected", 2, "rate_pct", "tỷ lệ trong khoảng 0 đến 100"),
    Case("sipas-rates-count-with-thousands",
         text("rates.csv", RATES_H + "\n2023,STTTT,1.1,75.5,36.525\n"), "rejected", 2, "n",
         "36525"),
    # --- PAPI -----------------------------------------------------------------------------------
    Case("papi-good-real-file", lambda tmp: ROOT / "data" / "sample" / "papi_dimensions.csv",
         "loaded"),
    Case("papi-dimension-outside-scale", text("papi.csv", PAPI_H + "\n2023,Bắc Kạn,D1,11\n"),
         "rejected", 2, "score", "từ 1 đến 10"),
    Case("papi-subdimension-outside-scale",
         text("papi.csv", PAPI_H + "\n2023,Bắc Kạn,6.2,3.5\n"), "rejected", 2, "score",
         "của D6 lớn hơn 0 và không quá 2,5"),
    Case("papi-unknown-province",
         text("papi.csv", PAPI_H + "\n2023,Bắc Kạn,D1,5\n2023,Toàn quốc,D1,5\n"), "rejected", 3,
         "province", "của bản đồ 63 tỉnh (năm 2023) ở data/reference/provinces.csv"),
    Case("papi-province-spellings",
         text("papi.csv", PAPI_H + "\n2023,TP. Hồ Chí Minh,D1,5\n2023,Thành phố Hà Nội,D1,5\n"
              "2023,Bà Rịa-Vũng Tàu,D1,5\n2023,tinh khanh hoa,D1,5\n2025,Huế,D1,5\n"
              "2023,THỪA THIÊN HUẾ,D1,5\n"), "loaded"),
    Case("papi-score-thousands", text("papi.csv", PAPI_H + '\n2023,Bắc Kạn,D1,"5.123,4"\n'),
         "rejected", 2, "score", "không có dấu phân cách hàng nghìn"),
    Case("papi-bad-code", text("papi.csv", PAPI_H + "\n2023,Bắc Kạn,D9,5\n"), "rejected", 2,
         "code", "D1-D8"),
    # --- evidence register, survey participation, index results (issue 6) -------------------
    Case("evidence-good", text("tlkc.csv", EVIDENCE_H + "\n2024,STTTT,1.1,92/BC-STTTT,01/06/2024,,"
                               "\n2024,STTTT,1.2,,,,Giải trình: không phát sinh\n"), "loaded"),
    Case("evidence-empty-row", text("tlkc.csv", EVIDENCE_H + "\n2024,STTTT,1.1,,,,\n"),
         "rejected", 2, "document", "số, ký hiệu hoặc trích yếu văn bản"),
    Case("evidence-bad-date",
         text("tlkc.csv", EVIDENCE_H + "\n2024,STTTT,1.1,5/QĐ-X,31/02/2024,,\n"),
         "rejected", 2, "document_date", "dd/mm/yyyy"),
    Case("evidence-bad-code", text("tlkc.csv", EVIDENCE_H + "\n2024,STTTT,TC 1,5/QĐ-X,,,\n"),
         "rejected", 2, "criterion_code", "mã tiêu chí dạng 1, 1.1"),
    Case("participation-good", text("phieu.csv", PARTICIPATION_H + "\n2024,PAR INDEX,VP,6,5\n"),
         "loaded"),
    Case("participation-more-answered-than-assigned",
         text("phieu.csv", PARTICIPATION_H + "\n2024,PAR INDEX,VP,6,7\n"), "rejected", 2,
         "forms_answered", "từ 0 đến số phiếu được giao (6)"),
    Case("participation-unknown-index",
         text("phieu.csv", PARTICIPATION_H + "\n2024,PCI,VP,6,5\n"), "rejected", 2,
         "index_name", "PAR INDEX (CCHC), SIPAS hoặc PAPI"),
    Case("participation-duplicate-unit",
         text("phieu.csv", PARTICIPATION_H + "\n2024,PAR,VP,6,5\n2024,Chỉ số CCHC,VP,6,6\n"),
         "rejected", 2, "unit_code", "một dòng cho mỗi năm × chỉ số × đơn vị"),
    Case("results-good", text("kq.csv", RESULTS_H + '\n2024,SIPAS,Bắc Kạn,"78,17"\n'), "loaded"),
    Case("results-papi-is-computed-not-given",
         text("kq.csv", RESULTS_H + "\n2024,PAPI,Bắc Kạn,42\n"), "rejected", 2, "index_name",
         "xếp hạng PAPI tính từ tệp điểm PAPI"),
    Case("results-score-above-100", text("kq.csv", RESULTS_H + "\n2024,PAR,Sở A,100.5\n"),
         "rejected", 2, "score", "0 đến 100"),
    Case("results-same-name-twice",
         text("kq.csv", RESULTS_H + "\n2024,PAR,Sở A,90\n2024,PAR,sở a,91\n"), "rejected", 2,
         "name", "một dòng cho mỗi năm × chỉ số × tên"),
    # --- XLSX structure -------------------------------------------------------------------------
    Case("xlsx-merged-title-above-header",
         workbook("par.xlsx", [{"title": "CCHC", "merge": ["A1:G1"], "rows": {
             1: ["BẢNG ĐIỂM CHỈ SỐ CCHC 2023"], 3: PAR_HEADER_CELLS,
             4: ["STTTT", 2023, "1", "Chỉ đạo", 3, 2, 2]}}]), "loaded"),
    Case("xlsx-merged-two-row-header",
         workbook("par.xlsx", [{"title": "CCHC", "merge": ["A1:A2", "F1:G1"], "rows": {
             1: PAR_HEADER_CELLS[:5] + ["Điểm"],
             2: [None, None, None, None, None, "Tự đánh giá", "Thẩm định"],
             3: ["STTTT", 2023, "1", "Chỉ đạo", 3, 2, 2]}}]),
         "rejected", 1, None, "ô gộp A1:A2"),
    Case("xlsx-merged-header-cell-over-two-columns",
         workbook("par.xlsx", [{"title": "CCHC", "merge": ["D1:E1"], "rows": {
             1: PAR_HEADER_CELLS[:4] + [None] + PAR_HEADER_CELLS[4:],
             2: ["STTTT", 2023, "1", "Chỉ đạo", None, 3, 2, 2]}}]), "loaded"),
    Case("xlsx-merged-data-cells",
         workbook("par.xlsx", [par_sheet(["STTTT", 2023, "1", "Chỉ đạo", 3, 2, 2],
                                         [None, 2023, "1.1", "Kế hoạch", 1, 1, 1],
                                         merge=["A2:A3"])]),
         "rejected", 2, None, "ô gộp A2:A3"),
    Case("xlsx-several-sheets-and-notes",
         workbook("book.xlsx", [
             {"title": "Ghi chú", "rows": [["Hướng dẫn nhập liệu"], ["Xem data/README.md"]]},
             par_sheet(["STTTT", 2023, "1", "Chỉ đạo", 3, 2, 2]),
             {"title": "Tiêu chí", "rows": [CRITERIA_H.split(","), ["1.1", 1, "Tiếp cận"]]}]),
         "loaded"),
    Case("xlsx-hidden-sheet-ignored",
         workbook("par.xlsx", [par_sheet(["STTTT", 2023, "1", "Chỉ đạo", 3, 2, 2]),
                               par_sheet(["STTTT", 2023, "1", "Nháp", 99, 99, 99], title="Nháp",
                                         state="hidden")]), "loaded"),
    Case("xlsx-data-only-in-hidden-sheet",
         workbook("par.xlsx", [{"title": "Bìa", "rows": [["Bảng điểm"]]},
                               par_sheet(["STTTT", 2023, "1", "x", 3, 2, 2], title="Dữ liệu",
                                         state="hidden")]),
         "rejected", None, None, "trang tính ẩn 'Dữ liệu'"),
    Case("xlsx-formula-with-cached-value",
         workbook("par.xlsx", [par_sheet(["STTTT", 2023, "1", "Chỉ đạo", 3, "=E2*0.5", 1])],
                  patch=cached_formula), "loaded"),
    Case("xlsx-formula-without-cached-value",
         workbook("par.xlsx", [par_sheet(["STTTT", 2023, "1", "Chỉ đạo", 3, "=E2*0.5", 1])]),
         "rejected", 2, "self_score", "công thức ở ô F2"),
    Case("xlsx-excel-error-value",
         workbook("par.xlsx", [par_sheet(["STTTT", 2023, "1", "Chỉ đạo", 3, "#DIV/0!", 1])]),
         "rejected", 2, "self_score", "lỗi công thức Excel (#DIV/0!)"),
    # --- not what the extension says ------------------------------------------------------------
    Case("xlsx-that-is-a-csv", text("par.xlsx", PAR_VI + "\n" + PAR_ROWS[0] + "\n"), "rejected",
         None, None, "đổi đuôi thành .csv"),
    Case("csv-that-is-an-xlsx",
         lambda tmp: workbook("x.xlsx", [par_sheet(["STTTT", 2023, "1", "x", 3, 2, 2])])(tmp)
         .rename(tmp / "par.csv") or tmp / "par.csv",
         "rejected", None, None, "đổi đuôi tệp thành .xlsx"),
    Case("xlsx-that-is-an-old-xls", raw("par.xlsx", readers.OLE2_MAGIC + b"\0" * 504),
         "rejected", None, None, "Excel 97–2003 (.xls)"),
    Case("csv-that-is-binary", raw("par.csv", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(200)),
         "rejected", None, None, "dữ liệu nhị phân"),
    Case("csv-that-is-a-pdf", raw("par.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), "rejected", None,
         None, "tệp PDF"),
    Case("xlsx-truncated", truncated_xlsx, "rejected", None, None, "bị cắt cụt"),
    Case("xlsx-empty", raw("par.xlsx", b""), "rejected", None, None, "tệp đang trống"),
    Case("xlsx-zip-bomb", raw("par.xlsx", zip_bomb), "rejected", None, None,
         "tỷ lệ nén không quá 200 lần"),
    Case("xlsx-zip-not-a-workbook",
         raw("par.xlsx", lambda: _zip({"data.csv": PAR_VI})), "rejected", None, None,
         "không phải sổ tính Excel"),
    Case("other-extension", text("par.txt", PAR_VI + "\n" + PAR_ROWS[0] + "\n"), "rejected",
         None, None, "một tệp .csv hoặc .xlsx"),
    # --- size limits (lowered through the environment) ------------------------------------------
    Case("limit-xlsx-rows",
         workbook("par.xlsx", [par_sheet(*[["STTTT", 2023, f"1.{i}", "x", 1, 1, 1]
                                           for i in range(1, 9)])]),
         "rejected", 7, None, "không quá 5 dòng dữ liệu", env={"CHISO_MAX_XLSX_ROWS": "5"}),
    Case("limit-xlsx-columns",
         workbook("par.xlsx", [par_sheet(["STTTT", 2023, "1", "x", 1, 1, 1])]), "rejected", 1,
         None, "không quá 5 cột", env={"CHISO_MAX_XLSX_COLUMNS": "5"}),
    Case("limit-xlsx-cell-size",
         workbook("par.xlsx", [par_sheet(["STTTT", 2023, "1", "x" * 80, 1, 1, 1])]), "rejected",
         2, "criterion_name", "không quá 50 ký tự", env={"CHISO_MAX_CELL_CHARS": "50"}),
    Case("limit-xlsx-uncompressed",
         workbook("par.xlsx", [par_sheet(["STTTT", 2023, "1", "x", 1, 1, 1])]), "rejected", None,
         None, "giải nén không quá 1,000 byte",
         env={"CHISO_MAX_XLSX_UNCOMPRESSED_BYTES": "1000"}),
    Case("limit-csv-rows", par_csv(*PAR_ROWS), "rejected", None, None, "không quá 2 dòng",
         env={"CHISO_MAX_CSV_ROWS": "2"}),
    Case("limit-csv-line", par_csv(PAR_ROWS[0], "STTTT,2023,1.1," + "x" * 5000 + ",1,1,1"),
         "rejected", 3, None, "mỗi dòng không quá 1,000 byte",
         env={"CHISO_MAX_CSV_LINE_BYTES": "1000"}),
    Case("limit-csv-bytes", par_csv(*PAR_ROWS), "rejected", None, None, "không quá 100 byte",
         env={"CHISO_MAX_CSV_BYTES": "100"}),
]


def _zip(members: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return buf.getvalue()


@pytest.fixture
def con():
    con = duckdb.connect()
    db.install_macros(con)
    db.create_raw_tables(con)
    # what an earlier extract left: a rejection must not touch it
    con.execute("insert into raw_par_scores values ('OLD', '2022', '1', 'x', '1', '1', '1',"
                " null, 'old.csv', null, 'ab', 2)")
    yield con
    con.close()


def snapshot(con) -> dict[str, list]:
    return {t: con.execute(f"select * from raw_{t} order by all").fetchall()
            for t in TABLE_COLUMNS}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_extract(case: Case, con, tmp_path, monkeypatch):
    for key, value in (case.env or {}).items():
        monkeypatch.setenv(key, value)
    path = case.build(tmp_path)
    before = snapshot(con)
    outcome = ingest.ingest_file(con, path, path.name, encoding=case.encoding)
    after = snapshot(con)
    if case.outcome == "loaded":
        assert outcome.status == "loaded", f"{outcome.message} {outcome.problems[:3]}"
        assert outcome.n_rows > 0
        assert sum(len(v) for v in after.values()) == sum(len(v) for v in before.values()) \
            + outcome.n_rows
        if case.fragment:
            assert any(case.fragment in w for w in outcome.warnings), outcome.warnings
        return
    assert outcome.status == "rejected", f"loaded {outcome.n_rows} rows"
    assert after == before, "a rejected file changed a raw table"
    assert outcome.problems or outcome.message
    assert case.fragment in outcome.message, outcome.message
    assert "expected" not in outcome.message and "Traceback" not in outcome.message
    shown = [p for p in outcome.problems if case.fragment in p.expected] or outcome.problems
    if case.row is not None or case.column is not None:
        assert shown, outcome.message
        assert (shown[0].row, shown[0].column) == (case.row, case.column), shown[0]
    for p in outcome.problems:
        assert p.file == path.name


# --- cases that need more than one file or a closer look ---------------------------------------

def test_windows_1258_text_is_nfc_in_the_raw_table(con, tmp_path):
    path = raw("par.csv", cp1258(PAR_VI + "\nSTTTT,2023,1.1,Kế hoạch cải cách,1,1,1\n"))(tmp_path)
    assert "ế".encode("cp1258", errors="ignore") == b""  # not in the code page: combining
    outcome = ingest.ingest_file(con, path, "par.csv")
    assert outcome.status == "loaded", outcome.message
    [(name,)] = con.execute(
        "select criterion_name from raw_par_scores where source_file = 'par.csv'").fetchall()
    assert name == "Kế hoạch cải cách" and unicodedata.is_normalized("NFC", name)


def test_windows_1258_after_an_ascii_head_is_found_by_duckdb_and_decoded(con, tmp_path):
    # an English header and ASCII rows fill the head the reader looks at; the Windows-1258
    # line comes after it, so DuckDB is the one that finds it is not UTF-8
    rows = "".join(f"STTTT,2023,1.{i},Tieu chi {i},1,1,1\n" for i in range(1, 4000))
    data = ("unit_code,year,criterion_code,criterion_name,max_points,self_score,appraised_score\n"
            + rows).encode() + cp1258("STTTT,2023,9.9,Đánh giá cuối,1,1,1\n")
    assert len(data) > readers.CSV_HEAD_BYTES
    path = raw("par.csv", data)(tmp_path)
    outcome = ingest.ingest_file(con, path, "par.csv")
    assert outcome.status == "loaded", outcome.message
    assert con.execute("select criterion_name, source_row from raw_par_scores"
                       " where criterion_code = '9.9'").fetchall() == [("Đánh giá cuối", 4001)]


def test_quoted_newline_keeps_the_text_and_counts_records(con, tmp_path):
    path = par_csv('STTTT,2023,1.1,"Kế hoạch CCHC\nnăm 2023",1,1,1', PAR_ROWS[2])(tmp_path)
    assert ingest.ingest_file(con, path, "par.csv").status == "loaded"
    assert con.execute("select criterion_name, source_row from raw_par_scores"
                       " where source_file = 'par.csv' order by source_row").fetchall() == [
        ("Kế hoạch CCHC\nnăm 2023", 2), ("Báo cáo", 3)]


def test_decimal_comma_and_dot_parse_to_the_same_values(con, tmp_path):
    path = par_csv('STTTT,2023,1,Chỉ đạo,3,"2,5",2.5')(tmp_path)
    assert ingest.ingest_file(con, path, "par.csv").status == "loaded"
    assert con.execute("select parse_decimal(self_score) = parse_decimal(appraised_score)"
                       " from raw_par_scores where source_file = 'par.csv'").fetchall() == [(True,)]


def test_wide_sipas_with_unknown_question_column_loads_with_a_warning(con, tmp_path):
    criteria = text("criteria.csv", CRITERIA_H + "\n1.1,1,Tiếp cận\n1.2,1,Thủ tục\n")(tmp_path)
    assert ingest.ingest_file(con, criteria, "criteria.csv").status == "loaded"
    wide = text("sipas.csv", "Năm,Mã đơn vị,Mã phiếu,1.1,1.2,9.9,Ghi chú\n"
                             "2024,STTTT,P1,4,5,3,ok\n2024,STTTT,P2,5,4,,\n")(tmp_path)
    outcome = ingest.ingest_file(con, wide, "sipas.csv")
    assert outcome.status == "loaded", outcome.message
    assert outcome.warnings == [
        "1 mã câu hỏi có trong phiếu SIPAS nhưng không có trong danh mục tiêu chí: 9.9 (tỷ lệ"
        " vẫn được tính, tên tiêu chí để trống; thêm mã vào danh mục tiêu chí, hoặc sửa mã ở"
        " tiêu đề cột)"]


def test_unknown_question_warned_when_criteria_come_after_the_answers(con, tmp_path):
    wide = text("a.csv", "Năm,Mã đơn vị,Mã phiếu,1.1,Q7\n2024,STTTT,P1,4,5\n")(tmp_path)
    assert ingest.ingest_file(con, wide, "a.csv").warnings == []  # no criteria yet
    criteria = text("criteria.csv", CRITERIA_H + "\n1.1,1,Tiếp cận\n")(tmp_path)
    outcome = ingest.ingest_file(con, criteria, "criteria.csv")
    assert outcome.status == "loaded"
    assert [w.split(":")[1].split("(")[0].strip() for w in outcome.warnings] == ["Q7"]


def test_rejected_file_beside_good_ones_leaves_them_loaded(con, tmp_path):
    good = par_csv(*PAR_ROWS, name="good.csv")(tmp_path)
    bad = par_csv("STTTT,2023,1.1,x,1,5,1", name="bad.csv")(tmp_path)
    papi = text("papi.csv", PAPI_H + "\n2023,Bắc Kạn,D1,5\n")(tmp_path)
    outcomes = [ingest.ingest_file(con, p, p.name) for p in (good, bad, papi)]
    assert [o.status for o in outcomes] == ["loaded", "rejected", "loaded"]
    assert con.execute("select source_file, count(*) from raw_par_scores group by 1 order by 1"
                       ).fetchall() == [("good.csv", 3), ("old.csv", 1)]


# --- a file still being written: the inbox skips it -------------------------------------------

def test_inbox_skips_files_still_being_written(tmp_path):
    from flows.intake.inbox import candidates

    for name in ("par.csv.part", "par.csv.tmp", "~$par.xlsx", ".par.csv", "par.csv"):
        par_csv(*PAR_ROWS, name=name)(tmp_path)
    assert [p.name for p in candidates(tmp_path)] == ["par.csv"]


# --- the plan -----------------------------------------------------------------------------------

def _plan(tmp_path: Path, change: Callable[[dict], None]) -> Path:
    raw_plan = yaml.safe_load((ROOT / "data" / "plan.yaml").read_text(encoding="utf-8"))
    change(raw_plan)
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(raw_plan, allow_unicode=True), encoding="utf-8")
    return path


PLAN_CASES = [
    ("unknown-rule", lambda p: p["rules"].update(par_raise_everything={}),
     "rules.par_raise_everything: khoá không có trong kế hoạch"),
    ("negative-increase", lambda p: p["rules"]["papi_raise_low"].update(increase=-0.1),
     "rules.papi_raise_low.increase: cần một số lớn hơn 0; nhận được -0.1"),
    ("owner-unit-does-not-exist", lambda p: p["owners"].append({"match": "PAR:3", "owner": "PX"}),
     "không có trong owner_units"),
    ("unknown-encoding", lambda p: p.update(encoding="klingon-8"),
     "encoding: 'klingon-8' không phải bảng mã văn bản Python biết"),
    ("encoding-not-text", lambda p: p.update(encoding={"*.csv": "base64"}),
     "encoding.*.csv: 'base64' không phải bảng mã văn bản Python biết"),
]


@pytest.mark.parametrize("change, fragment", [c[1:] for c in PLAN_CASES],
                         ids=[c[0] for c in PLAN_CASES])
def test_bad_plan(tmp_path, change, fragment):
    with pytest.raises(PlanError) as info:
        load_plan(_plan(tmp_path, change))
    assert fragment in str(info.value)


def test_plan_encoding_reaches_the_reader(con, tmp_path):
    plan = load_plan(_plan(tmp_path, lambda p: p.update(
        encoding={"papi_*.csv": "windows-1252", "*.csv": "windows-1258"})))
    assert sorted(plan.encodings) == [("*.csv", "cp1258"), ("papi_*.csv", "cp1252")]
    write_plan_tables(con, plan)
    assert ingest.plan_encoding(con, "inbox/papi_2023.csv") == "cp1252"
    assert ingest.plan_encoding(con, "par.csv") == "cp1258"
    path = raw("par.csv", (PAR_EN + "\n").encode() + "STTTT,2023,1.1,Réunion,1,1,1\n"
               .encode("cp1252"))(tmp_path)
    # without the plan this Latin text is refused (not plainly Vietnamese) ...
    assert ingest.ingest_file(duckdb_fresh(), path, "par.csv").status == "rejected"
    # ... with it, the file is read in the encoding the plan names (cp1258 reads é the same)
    outcome = ingest.ingest_file(con, path, "par.csv")
    assert outcome.status == "loaded", outcome.message
    assert con.execute("select criterion_name from raw_par_scores where source_file = 'par.csv'"
                       ).fetchall() == [("Réunion",)]


def duckdb_fresh():
    con = duckdb.connect()
    db.install_macros(con)
    db.create_raw_tables(con)
    return con


# --- `chiso check` ------------------------------------------------------------------------------

def test_chiso_check_says_which_files_would_load(tmp_path, capsys):
    good = par_csv(*PAR_ROWS, name="good.csv")(tmp_path)
    bad = par_csv('STTTT,2023,1.2,Báo cáo,"0,5","0,75",', name="bad.csv")(tmp_path)
    assert cli.main(["check", str(good)]) == 0
    out = capsys.readouterr().out
    assert f"ĐƯỢC NẠP   {good} — par_scores: 3 dòng" in out and "1/1 tệp sẽ được nạp." in out
    assert cli.main(["check", str(good), str(bad), str(tmp_path / "x.csv.part")]) == 1
    out = capsys.readouterr().out
    assert f"BỊ TỪ CHỐI {bad} — Không đạt kiểm tra" in out
    assert "dòng 2, cột self_score: giá trị '0,75'" in out
    assert "hộp thư bỏ qua nó" in out
    assert "1/3 tệp sẽ được nạp." in out


def test_chiso_check_with_the_plan_reads_bare_codes_as_its_run_does(tmp_path, capsys):
    """A bare SKHCN is ambiguous (Bắc Kạn's or Thái Nguyên's) without a plan; the plan's
    unit_provinces say which, in `chiso check --plan` as in the run."""
    path = par_csv(*[row.replace("STTTT,", "SKHCN,", 1) for row in PAR_ROWS],
                   name="par_thai_nguyen.csv")(tmp_path)
    assert cli.main(["check", str(path)]) == 1
    assert "khớp BKN.SKHCN, TNG.SKHCN" in capsys.readouterr().out
    raw_plan = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    raw_plan["unit_provinces"] = [{"files": "*thai_nguyen*", "province": "Thái Nguyên"}]
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(raw_plan, allow_unicode=True), encoding="utf-8")
    assert cli.main(["check", "--plan", str(plan), str(path)]) == 0
    assert f"ĐƯỢC NẠP   {path}" in capsys.readouterr().out


def test_chiso_check_with_an_encoding(tmp_path, capsys):
    path = raw("par.csv", (PAR_EN + "\n").encode() + "STTTT,2023,1.1,Réunion,1,1,1\n"
               .encode("cp1252"))(tmp_path)
    assert cli.main(["check", str(path)]) == 1
    assert "encoding: windows-1258" in capsys.readouterr().out
    assert cli.main(["check", "--encoding", "cp1252", str(path)]) == 0


@pytest.mark.parametrize("raw, says", [
    ("năm", "CHISO_MAX_CSV_ROWS='năm': cần một số nguyên"),
    ("0", "CHISO_MAX_CSV_ROWS='0': cần một số lớn hơn 0"),
])
def test_a_size_limit_that_is_no_positive_whole_number_is_refused(monkeypatch, raw, says):
    monkeypatch.setenv("CHISO_MAX_CSV_ROWS", raw)
    with pytest.raises(ConfigError, match=f"^{says}$"):
        readers.limit("MAX_CSV_ROWS")
    monkeypatch.setenv("CHISO_MAX_CSV_ROWS", "2_000")
    assert readers.limit("MAX_CSV_ROWS") == 2000
