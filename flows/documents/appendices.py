"""The plan's appendices (Phụ lục 1-4) as the Office attaches them to the plan: one DOCX laid
out as a Vietnamese administrative document (Nghị định 30/2020/NĐ-CP: heading block, Times New
Roman, A4 margins) and one XLSX with a sheet per appendix. Both are derived from criterion_gaps
in the published DuckDB file, opened read-only, like the Office's report; the issuer's names
come from the plan file (key `issuer`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from flows import vietnamese as vi
from flows.documents.published import atomic_save, rows, tables
from flows.documents.report import FMT_COUNT, FMT_POINTS, NO_OWNER
from flows.errors import ChisoError

DOCX_NAME, XLSX_NAME = "chiso-phu-luc.docx", "chiso-phu-luc.xlsx"
FONT = "Times New Roman"
FMT_RATE = "[$-42A]#,##0.00"  # a SIPAS rate in %, the header carries the unit
APPENDICES = (1, 2, 3, 4)
BLANK = "…"

# A4 landscape; margins per Nghị định 30/2020/NĐ-CP (top and bottom 20-25 mm, left 30-35 mm,
# right 15-20 mm).
PAGE_W_MM, PAGE_H_MM = 297, 210
MARGIN_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
TEXT_W_CM = (PAGE_W_MM - MARGIN_MM["left"] - MARGIN_MM["right"]) / 10


# --- what goes in ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Issuer:
    """Who issues the plan: the heading block and the "(Kèm theo Kế hoạch số ...)" line."""

    governing_body: str | None = None  # cơ quan chủ quản: UBND tỉnh Bắc Kạn
    name: str | None = None  # cơ quan ban hành: Sở Thông tin và Truyền thông
    place: str | None = None  # địa danh: Bắc Kạn
    document_number: str | None = None  # 125/KH-STTTT, or …/KH-STTTT before it is numbered
    date: str | None = None  # dd/mm/yyyy once signed

    @classmethod
    def from_plan(cls, raw: dict) -> Issuer:
        """The plan's `issuer`; without it, the province the plan tracks names the place."""
        given = raw.get("issuer") or {}
        provinces = raw.get("provinces")
        if isinstance(provinces, str) and provinces != "all":
            provinces = [provinces]
        only_province = provinces[0] if isinstance(provinces, list) and len(provinces) == 1 \
            else None
        place = given.get("place") or only_province
        return cls(
            governing_body=given.get("governing_body") or (f"UBND tỉnh {place}" if place else None),
            name=given.get("name"),
            place=place,
            document_number=given.get("document_number"),
            date=given.get("date"),
        )

    def date_parts(self) -> tuple[str, str, str]:
        """Day, month, year as written ('08', '6', '2024'); blanks until the plan is signed."""
        if not self.date:
            return BLANK, BLANK, BLANK
        day, month, year = self.date.split("/")
        return day.zfill(2), str(int(month)) if int(month) > 2 else month.zfill(2), year

    def attached_to(self) -> str:
        """(Kèm theo Kế hoạch số …/KH-STTTT ngày … của Sở Thông tin và Truyền thông)."""
        number = self.document_number or BLANK
        signed = self.date or BLANK
        return f"(Kèm theo Kế hoạch số {number} ngày {signed} của {self.name or BLANK})"


@dataclass
class AppendixData:
    title: str
    baseline_year: int | None
    target_year: int | None
    settings: dict  # plan_settings: rule increases and modes, for the subtitles
    gaps: list[dict]  # criterion_gaps rows that belong to an appendix, in the mart's order


def load(db: Path) -> AppendixData:
    """criterion_gaps and plan_settings from the published database, opened read-only."""
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise ChisoError(f"{db}: cannot open the published database read-only ({exc})") from None
    try:
        found = tables(con)
        if "criterion_gaps" not in found:
            raise ChisoError(f"{db}: no criterion_gaps table; run `chiso run` first")
        settings = rows(con, "select * from plan_settings limit 1") \
            if "plan_settings" in found else []
        gaps = rows(con, "select * from criterion_gaps where appendix is not null")
    finally:
        con.close()
    s = settings[0] if settings else {}
    return AppendixData(
        title=s.get("title") or "",
        baseline_year=s.get("baseline_year") or _first(gaps, "baseline_year"),
        target_year=s.get("target_year") or _first(gaps, "current_year"),
        settings=s,
        gaps=gaps,
    )


def _first(gaps: list[dict], column: str) -> int | None:
    return next((g[column] for g in gaps if g[column] is not None), None)


# --- what each appendix shows ---------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    header: str
    text: Callable[[dict], str]  # as printed in the DOCX
    value: Callable[[dict], object]  # as stored in the XLSX (numbers stay numbers)
    width_cm: float
    fmt: str | None = None
    align: str = "center"  # left, center or right


@dataclass
class Appendix:
    number: int
    subtitle: str
    columns: list[Column]
    rows: list[dict]
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"Phụ lục {self.number}"


def _year(y: int | None) -> str:
    return str(y) if y is not None else BLANK


def _code_key(code: str) -> tuple:
    """PAPI D6 before its sub-dimension 6.2; PAR 1.1 before 1.1.2 before 1.2."""
    parts = code.lstrip("Dd").split(".")
    return tuple(int(p) if p.isdigit() else 0 for p in parts), code


def _capped_mark(r: dict) -> str:
    return " (*)" if r.get("target_capped") else ""


def _par_target(r: dict, baseline_year: int | None) -> str:
    op, target = r["target_op"], r["target_value"]
    if target is None:
        return BLANK
    if r["appendix"] == 1 and op == ">=" and target == r["max_value"]:
        return f"Duy trì điểm tối đa ({vi.number(target)} điểm)"
    if op == ">" and target == r["baseline_value"]:
        return f"Cao hơn năm {_year(baseline_year)}"
    return f"{'Trên' if op == '>' else 'Tối thiểu'} {vi.number(target)} điểm"


def _increase_text(data: AppendixData, index_name: str) -> str:
    s = data.settings
    if index_name == "SIPAS" and s.get("sipas_increase"):
        inc = vi.number(s["sipas_increase"])
        if s.get("sipas_mode") == "relative":
            return f" tối thiểu {inc}% so với năm {_year(data.baseline_year)}"
        return f" tối thiểu {inc} điểm phần trăm"
    if index_name == "PAPI" and s.get("papi_increase"):
        return f" tối thiểu {vi.number(s['papi_increase'])} điểm"
    return ""


def build(data: AppendixData) -> list[Appendix]:
    """The four appendices from the data and the plan's rules, in the plan's order."""
    b, t = _year(data.baseline_year), _year(data.target_year)
    by_appendix: dict[int, list[dict]] = {n: [] for n in APPENDICES}
    for g in data.gaps:
        if g["appendix"] in by_appendix:
            by_appendix[g["appendix"]].append(g)

    def owner(r: dict) -> str:
        return r["owner_name"] or NO_OWNER

    stt = Column("STT", lambda r: str(r["stt"]), lambda r: r["stt"], 1.5, FMT_COUNT)
    code = Column("Mã tiêu chí", lambda r: r["criterion_code"], lambda r: r["criterion_code"],
                  1.8)
    owner_col = Column("Đơn vị chủ trì", owner, owner, 4.2, align="left")

    def points(header: str, key: str, width: float) -> Column:
        return Column(header, lambda r: vi.number(r[key]), lambda r: r[key], width, FMT_POINTS)

    def rate(header: str, key: str) -> Column:
        return Column(header, lambda r: vi.number(r[key], 2) + (_capped_mark(r)
                      if key == "target_value" else ""), lambda r: r[key], 2.9, FMT_RATE)

    def papi_score(header: str, key: str) -> Column:
        return Column(header, lambda r: vi.number(r[key]) + (_capped_mark(r)
                      if key == "target_value" else ""), lambda r: r[key], 2.9, FMT_POINTS)

    def name(header: str, width: float) -> Column:
        return Column(header, lambda r: r["criterion_name"] or "", lambda r: r["criterion_name"],
                      width, align="left")

    par_target = Column(f"Mục tiêu năm {t}", lambda r: _par_target(r, data.baseline_year),
                        lambda r: _par_target(r, data.baseline_year), 3.8)
    par_cols = [stt, code, name("Tiêu chí/TCTP", 9.7), points("Điểm tối đa", "max_value", 2.0),
                points(f"Kết quả năm {b}", "baseline_value", 2.2), par_target, owner_col]
    appendices = [
        Appendix(1, f"Các tiêu chí, tiêu chí thành phần Chỉ số cải cách hành chính đạt điểm tối "
                    f"đa năm {b}, duy trì đạt điểm tối đa năm {t}", par_cols, by_appendix[1]),
        Appendix(2, f"Các tiêu chí, tiêu chí thành phần Chỉ số cải cách hành chính không đạt "
                    f"điểm, chưa đạt điểm tối đa năm {b}, phấn đấu năm {t} đạt điểm cao hơn "
                    f"năm {b}", par_cols, by_appendix[2]),
        Appendix(3, f"Các tiêu chí Chỉ số hài lòng của người dân, tổ chức đối với sự phục vụ của "
                    f"cơ quan hành chính nhà nước (SIPAS) đạt tỷ lệ thấp năm {b}, phấn đấu năm "
                    f"{t} đạt tỷ lệ cao hơn{_increase_text(data, 'SIPAS')}",
                 [stt, code, name("Tiêu chí", 11.3), rate(f"Tỷ lệ hài lòng năm {b} (%)",
                  "baseline_value"), rate(f"Mục tiêu năm {t} (%)", "target_value"), owner_col],
                 by_appendix[3]),
        Appendix(4, f"Các chỉ số nội dung, nội dung thành phần Chỉ số Hiệu quả quản trị và hành "
                    f"chính công cấp tỉnh (PAPI) đạt điểm thấp năm {b}, phấn đấu năm {t} đạt "
                    f"điểm cao hơn{_increase_text(data, 'PAPI')}",
                 [stt, code, name("Chỉ số nội dung/nội dung thành phần", 11.3),
                  papi_score(f"Điểm năm {b}", "baseline_value"),
                  papi_score(f"Mục tiêu năm {t}", "target_value"), owner_col], by_appendix[4]),
    ]
    for a in appendices:
        units = {r["unit_code"] for r in a.rows}
        # Units in dictionary order, then criteria by code: one unit reads as the mart does.
        a.rows = [dict(r, stt=i) for i, r in enumerate(sorted(
            a.rows, key=lambda r: (vi.sort_key(r["unit_code"] or ""),
                                   _code_key(r["criterion_code"]))), 1)]
        if len(units) > 1:  # several units or provinces in one plan: say whose row it is
            header = "Tỉnh" if a.number == 4 else "Đơn vị"
            unit = Column(header, lambda r: r["unit_code"] or "", lambda r: r["unit_code"], 2.4,
                          align="left")
            a.columns = [a.columns[0], unit, *a.columns[1:]]
            a.columns[3] = _narrower(a.columns[3], 2.4)
        if any(r.get("target_capped") for r in a.rows):
            cap = "100%" if a.number == 3 else "điểm tối đa của thang điểm"
            a.notes.append(f"(*) Mục tiêu được giới hạn ở {cap}.")
        if a.number == 3:
            a.notes.append("Tỷ lệ hài lòng: tỷ lệ ý kiến “hài lòng” và “rất hài lòng” trên tổng "
                           "số ý kiến hợp lệ của tiêu chí.")
    return appendices


def _narrower(col: Column, by_cm: float) -> Column:
    return Column(col.header, col.text, col.value, col.width_cm - by_cm, col.fmt, col.align)


# --- DOCX -----------------------------------------------------------------------------------

def _set_fonts(rpr_parent) -> None:
    """Times New Roman for every script slot, so Word never substitutes another font."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rpr = rpr_parent.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:  # Word checks spelling in Vietnamese
        lang = OxmlElement("w:lang")
        rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    lang.set(qn("w:val"), "vi-VN")


def _run(paragraph, text: str, *, bold: bool = False, italic: bool = False,
         size: float = 13) -> None:
    from docx.shared import Pt

    run = paragraph.add_run(text)
    run.bold, run.italic = bold or None, italic or None
    run.font.name = FONT
    run.font.size = Pt(size)
    _set_fonts(run._r)


def _paragraph(container, text: str = "", *, bold: bool = False, italic: bool = False,
               size: float = 13, align: str = "center", first: bool = False,
               before: float = 0, after: float = 0):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = container.paragraphs[0] if first else container.add_paragraph()
    p.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
                   "right": WD_ALIGN_PARAGRAPH.RIGHT,
                   "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}[align]
    p.paragraph_format.space_before = Pt(before)
    p.paragraph_format.space_after = Pt(after)
    if text:
        _run(p, text, bold=bold, italic=italic, size=size)
    return p


# Children of w:pPr that the schema puts after w:pBdr.
_PPR_AFTER_BORDER = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
    "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)


def _rule(cell, width_cm: float, cell_width_cm: float) -> None:
    """A short solid line, centred under the text above it (a top border on an empty line)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    p = _paragraph(cell)
    side = max((cell_width_cm - width_cm) / 2, 0)
    p.paragraph_format.left_indent = Cm(side)
    p.paragraph_format.right_indent = Cm(side)
    p.paragraph_format.line_spacing = Pt(2)
    ppr = p._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "auto")):
        top.set(qn(k), v)
    border.append(top)
    ppr.insert_element_before(border, *_PPR_AFTER_BORDER)  # Word insists on schema order


def _text_width_cm(text: str, size_pt: float, em: float) -> float:
    """Rough printed width of a line of Times New Roman (em: average glyph width in em)."""
    return len(text) * size_pt * em * 2.54 / 72


def _no_borders(table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    table._tbl.tblPr.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar",
                                           "w:tblLook", "w:tblCaption", "w:tblDescription",
                                           "w:tblPrChange")


def _widths(table, widths_cm: list[float]) -> None:
    """Fixed column widths: the grid for LibreOffice, each cell for Word."""
    from docx.shared import Cm

    table.autofit = False
    for col, w in zip(table.columns, widths_cm, strict=True):
        col.width = Cm(w)
    for row in table.rows:
        for cell, w in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(w)


def _heading_block(doc, issuer: Issuer) -> None:
    """Quốc hiệu, tiêu ngữ and the issuing body side by side, as Nghị định 30/2020 lays out."""
    left_w, right_w = 10.2, TEXT_W_CM - 10.2
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, [left_w, right_w])
    left, right = table.rows[0].cells

    body = (issuer.governing_body or "").upper()
    name = (issuer.name or "").upper()
    _paragraph(left, body, size=13, first=True)
    if name:
        _paragraph(left, name, bold=True, size=13)
    # The issuer's rule: a third to a half of its name.
    widest = max(_text_width_cm(name, 13, 0.66), _text_width_cm(body, 13, 0.62))
    _rule(left, max(widest * 0.4, 2.0), left_w)

    _paragraph(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=13, first=True)
    motto = "Độc lập - Tự do - Hạnh phúc"
    _paragraph(right, motto, bold=True, size=14)
    _rule(right, _text_width_cm(motto, 14, 0.47), right_w)  # as long as the motto
    if issuer.place:
        day, month, year = issuer.date_parts()
        _paragraph(right, f"{issuer.place}, ngày {day} tháng {month} năm {year}", italic=True,
                   size=14, before=4)


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _data_table(doc, a: Appendix) -> None:
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT

    table = doc.add_table(rows=1 + len(a.rows), cols=len(a.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, [c.width_cm for c in a.columns])
    head = table.rows[0]
    _repeat_header(head)
    for cell, col in zip(head.cells, a.columns, strict=True):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        _paragraph(cell, col.header, bold=True, size=13, first=True, before=2, after=2)
    for row, r in zip(table.rows[1:], a.rows, strict=True):
        bold = r.get("level") == "TC" or r.get("level") == "dimension"
        for cell, col in zip(row.cells, a.columns, strict=True):
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            _paragraph(cell, col.text(r), bold=bold and col.header != "STT", size=13,
                       align=col.align, first=True, before=2, after=2)


def _page_numbers(section) -> None:
    """Page numbers centred at the top, from the second page on."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    section.different_first_page_header_footer = True
    p = _paragraph(section.header, first=True)
    run = p.add_run()
    run.font.name = FONT
    _set_fonts(run._r)
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


def write_docx(appendices: list[Appendix], issuer: Issuer, path: Path) -> None:
    """The appendices as a Word document in the layout of Nghị định 30/2020/NĐ-CP."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm, Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(13)
    _set_fonts(normal.element)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0

    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(PAGE_W_MM), Mm(PAGE_H_MM)
    section.top_margin, section.bottom_margin = Mm(MARGIN_MM["top"]), Mm(MARGIN_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGIN_MM["left"]), Mm(MARGIN_MM["right"])
    section.header_distance = Mm(10)
    _page_numbers(section)

    _heading_block(doc, issuer)
    for i, a in enumerate(appendices):
        title = _paragraph(doc, a.title, bold=True, size=14, before=12 if i == 0 else 0)
        title.paragraph_format.page_break_before = i > 0
        _paragraph(doc, a.subtitle, bold=True, size=14)
        _paragraph(doc, issuer.attached_to(), italic=True, size=14, after=12)
        _data_table(doc, a)
        if not a.rows:
            _paragraph(doc, "Không có tiêu chí nào thuộc phụ lục này.", italic=True, before=6)
        for note in a.notes:
            _paragraph(doc, note, italic=True, size=13, align="left", before=6)
    atomic_save(path, doc.save)


# --- XLSX -----------------------------------------------------------------------------------

def write_xlsx(appendices: list[Appendix], issuer: Issuer, path: Path) -> None:
    """One sheet per appendix: title rows, Vietnamese headers, numbers kept as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin")
    grid = Border(left=thin, right=thin, top=thin, bottom=thin)
    wb = Workbook()
    wb.remove(wb.active)
    for a in appendices:
        ws = wb.create_sheet(a.title)
        n = len(a.columns)
        last = get_column_letter(n)
        for row, (text, font) in enumerate([
            (a.title, Font(name=FONT, bold=True, size=14)),
            (a.subtitle, Font(name=FONT, bold=True, size=13)),
            (issuer.attached_to(), Font(name=FONT, italic=True, size=13)),
        ], 1):
            ws.merge_cells(f"A{row}:{last}{row}")
            cell = ws.cell(row=row, column=1, value=text)
            cell.font = font
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.row_dimensions[2].height = 36
        head_row = 5
        for col, spec in enumerate(a.columns, 1):
            cell = ws.cell(row=head_row, column=col, value=spec.header)
            cell.font = Font(name=FONT, bold=True, size=12)
            cell.border = grid
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            ws.column_dimensions[get_column_letter(col)].width = round(spec.width_cm * 4.4, 1)
        ws.row_dimensions[head_row].height = 34
        for i, r in enumerate(a.rows, head_row + 1):
            bold = r.get("level") in ("TC", "dimension")
            for col, spec in enumerate(a.columns, 1):
                value = spec.value(r)
                cell = ws.cell(row=i, column=col, value=value)
                cell.font = Font(name=FONT, size=12, bold=bold and spec.header != "STT")
                cell.border = grid
                cell.alignment = Alignment(horizontal=spec.align, vertical="center",
                                           wrap_text=True)
                if spec.fmt and isinstance(value, int | float | Decimal):
                    cell.number_format = spec.fmt
        below = head_row + len(a.rows) + 2
        if not a.rows:
            ws.cell(row=below, column=1, value="Không có tiêu chí nào thuộc phụ lục này.")
            below += 1
        for k, note in enumerate(a.notes):
            ws.cell(row=below + k, column=1, value=note).font = Font(name=FONT, italic=True,
                                                                    size=12)
        ws.freeze_panes = f"A{head_row + 1}"
        ws.print_title_rows = f"{head_row}:{head_row}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    atomic_save(path, wb.save)


# --- the entry point ------------------------------------------------------------------------

def write_appendices(db: Path, out_dir: Path, plan_raw: dict | None = None) -> tuple[Path, Path]:
    """Write Phụ lục 1-4 as DOCX and XLSX from the published database; return both paths."""
    data = load(Path(db))
    issuer = Issuer.from_plan(plan_raw or {})
    appendices = build(data)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    docx_path, xlsx_path = out_dir / DOCX_NAME, out_dir / XLSX_NAME
    write_docx(appendices, issuer, docx_path)
    write_xlsx(appendices, issuer, xlsx_path)
    return docx_path, xlsx_path
