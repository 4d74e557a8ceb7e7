"""The plan's appendices (Phụ lục 1-4) as the Office attaches them to the plan: one DOCX laid
out as a Vietnamese administrative document (Nghị định 30/2020/NĐ-CP: heading block, Times New
Roman, A4 margins; a row never splits across pages, the header row repeats) and one XLSX with
a sheet per appendix. The rows, numbered and formatted, are sql/reports/rpt_appendix_rows in
the published DuckDB file (opened read-only); every word is templates/appendices.yml.j2; the
issuer's names come from the plan file (key `issuer`). This module lays them out."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from flows import yamlfile
from flows.documents.published import atomic_save, read_only, rows, tables
from flows.documents.render import render
from flows.errors import ChisoError

DOCX_NAME, XLSX_NAME = "chiso-phu-luc.docx", "chiso-phu-luc.xlsx"
FONT = "Times New Roman"
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



@dataclass(frozen=True)
class Column:
    header: str
    text: str  # the rpt_appendix_rows column the DOCX prints
    value: str  # the column the XLSX keeps (a number stays a number)
    width_cm: float
    format: str | None = None
    align: str = "center"  # left, center or right


@dataclass
class Appendix:
    number: int
    title: str
    subtitle: str
    columns: list[Column]
    rows: list[dict]
    notes: list[str] = field(default_factory=list)


@dataclass
class Document:
    heading: dict
    empty: str
    appendices: list[Appendix]


def words(settings: dict, issuer: Issuer) -> dict:
    """Every word the appendices print (appendices.yml.j2), for these plan settings (a file
    without plan_settings: none) and issuer."""
    known = dict.fromkeys(("baseline_year", "target_year", "sipas_increase", "sipas_mode",
                           "papi_increase"))
    return yamlfile.load(render("appendices.yml.j2", s={**known, **settings}, issuer=issuer))


def load(db: Path, issuer: Issuer) -> Document:
    """The appendices' rows (rpt_appendix_rows) and words (appendices.yml.j2), read from the
    published database opened read-only."""
    try:
        con = read_only(db)
    except duckdb.Error as exc:
        raise ChisoError(f"{db}: không mở được cơ sở dữ liệu để đọc ({exc})") from None
    try:
        found = tables(con)
        if "rpt_appendix_rows" not in found:
            raise ChisoError(f"{db} không có bảng rpt_appendix_rows (cơ sở dữ liệu lập bởi phiên"
                             " bản chiso cũ hơn): chạy lại `chiso run` rồi lập phụ lục")
        settings = (rows(con, "select * from plan_settings limit 1") or [{}])[0] \
            if "plan_settings" in found else {}
        by_appendix: dict[int, list[dict]] = {}
        for r in rows(con, "select * from rpt_appendix_rows order by appendix, stt"):
            by_appendix.setdefault(r["appendix"], []).append(r)
    finally:
        con.close()
    if not settings.get("baseline_year") and any(by_appendix.values()):
        first = next(r for rs in by_appendix.values() for r in rs)
        settings = {**settings, "baseline_year": first.get("baseline_year")}
    spec = words(settings, issuer)
    appendices = []
    for a in spec["appendices"]:
        found_rows = by_appendix.get(a["number"], [])
        several_units = bool(found_rows) and found_rows[0]["n_units"] > 1
        columns = []
        for c in a["columns"]:
            c = dict(c)
            # several units or provinces in one plan: the name column gives room to the unit's
            if c.pop("narrows", False) and several_units:
                c["width_cm"] -= 2.4
            columns.append(Column(**c))
        if several_units:
            columns.insert(1, Column(spec["unit_header"][a["number"]], "unit_code", "unit_code",
                                     2.4, align="left"))
        notes = list(a["notes"])
        if any(r["target_capped"] for r in found_rows) and spec["capped_note"][a["number"]]:
            notes.insert(0, spec["capped_note"][a["number"]])
        appendices.append(Appendix(a["number"], a["title"], a["subtitle"], columns, found_rows,
                                   notes))
    return Document(spec["heading"], spec["empty"], appendices)


def _text(r: dict, column: Column) -> str:
    value = r[column.text]
    return "" if value is None else str(value)


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


def _heading_block(doc, heading: dict) -> None:
    """Quốc hiệu, tiêu ngữ and the issuing body side by side, as Nghị định 30/2020 lays out."""
    left_w, right_w = 10.2, TEXT_W_CM - 10.2
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, [left_w, right_w])
    left, right = table.rows[0].cells

    body, name = heading["governing_body"], heading["name"]
    _paragraph(left, body, size=13, first=True)
    if name:
        _paragraph(left, name, bold=True, size=13)
    # The issuer's rule: a third to a half of its name.
    widest = max(_text_width_cm(name, 13, 0.66), _text_width_cm(body, 13, 0.62))
    _rule(left, max(widest * 0.4, 2.0), left_w)

    _paragraph(right, heading["nation"], bold=True, size=13, first=True)
    motto = heading["motto"]
    _paragraph(right, motto, bold=True, size=14)
    _rule(right, _text_width_cm(motto, 14, 0.47), right_w)  # as long as the motto
    if heading["place_date"]:
        _paragraph(right, heading["place_date"], italic=True, size=14, before=4)


def _row_property(row, name: str) -> None:
    """A table row property: w:tblHeader (the header row repeats on every page) or w:cantSplit
    (the row never breaks across pages)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement(f"w:{name}")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _data_table(doc, a: Appendix) -> None:
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT

    table = doc.add_table(rows=1 + len(a.rows), cols=len(a.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, [c.width_cm for c in a.columns])
    head = table.rows[0]
    _row_property(head, "cantSplit")
    _row_property(head, "tblHeader")
    for cell, col in zip(head.cells, a.columns, strict=True):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        _paragraph(cell, col.header, bold=True, size=13, first=True, before=2, after=2)
    for row, r in zip(table.rows[1:], a.rows, strict=True):
        _row_property(row, "cantSplit")
        bold = r.get("level") in ("TC", "dimension")
        for i, (cell, col) in enumerate(zip(row.cells, a.columns, strict=True)):
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            _paragraph(cell, _text(r, col), bold=bold and i > 0, size=13,
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


def write_docx(document: Document, path: Path) -> None:
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

    _heading_block(doc, document.heading)
    for i, a in enumerate(document.appendices):
        title = _paragraph(doc, a.title, bold=True, size=14, before=12 if i == 0 else 0)
        title.paragraph_format.page_break_before = i > 0
        _paragraph(doc, a.subtitle, bold=True, size=14)
        _paragraph(doc, document.heading["attached_to"], italic=True, size=14, after=12)
        _data_table(doc, a)
        if not a.rows:
            _paragraph(doc, document.empty, italic=True, before=6)
        for note in a.notes:
            _paragraph(doc, note, italic=True, size=13, align="left", before=6)
    atomic_save(path, doc.save)


# --- XLSX -----------------------------------------------------------------------------------

def write_xlsx(document: Document, path: Path) -> None:
    """One sheet per appendix: title rows, Vietnamese headers, numbers kept as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin")
    grid = Border(left=thin, right=thin, top=thin, bottom=thin)
    wb = Workbook()
    wb.remove(wb.active)
    for a in document.appendices:
        ws = wb.create_sheet(a.title)
        n = len(a.columns)
        last = get_column_letter(n)
        for row, (text, font) in enumerate([
            (a.title, Font(name=FONT, bold=True, size=14)),
            (a.subtitle, Font(name=FONT, bold=True, size=13)),
            (document.heading["attached_to"], Font(name=FONT, italic=True, size=13)),
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
                value = r[spec.value]
                if isinstance(value, Decimal):
                    value = float(value)
                cell = ws.cell(row=i, column=col, value=value)
                cell.font = Font(name=FONT, size=12, bold=bold and col > 1)
                cell.border = grid
                cell.alignment = Alignment(horizontal=spec.align, vertical="center",
                                           wrap_text=True)
                if spec.format and isinstance(value, int | float):
                    cell.number_format = spec.format
        below = head_row + len(a.rows) + 2
        if not a.rows:
            ws.cell(row=below, column=1, value=document.empty)
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
    document = load(Path(db), Issuer.from_plan(plan_raw or {}))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    docx_path, xlsx_path = out_dir / DOCX_NAME, out_dir / XLSX_NAME
    write_docx(document, docx_path)
    write_xlsx(document, xlsx_path)
    return docx_path, xlsx_path
