"""The Office's report: one self-contained HTML page (CSS inline, charts as inline SVG, no
network; it prints on A4 landscape) and an XLSX workbook of the gap tables, both read from the
published DuckDB file, opened read-only so a report never blocks or disturbs a run.

What the page shows is selected, counted and ordered by the presentation marts
(sql/reports/rpt_*): the report reads no more rows than it shows (the plan's
documents.report_rows and owner_rows). Its words are templates/report.html.j2 and
templates/report_xlsx.yml.j2; this module reads, draws the small charts and writes the files.
Making a report writes nothing in the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from flows import yamlfile
from flows.documents import published
from flows.documents.render import TEMPLATES, labels, render
from flows.errors import ChisoError
from flows.warehouse.run_records import TZ

HTML_NAME, XLSX_NAME = "chiso-bao-cao.html", "chiso-bao-cao.xlsx"
STATUS_ORDER = ["met", "at_risk", "missed", "no_data", "not_applicable", "retired"]
STATUS_COLOUR = {"met": "#1e7b45", "at_risk": "#d9822b", "missed": "#c0392b",
                 "no_data": "#8a94a3", "not_applicable": "#c9d1db", "retired": "#a89f91"}
Key = tuple[str, int | None, str, str]  # index_name, appendix, unit_code, criterion_code
NEEDED = ("criterion_gaps", "rpt_standing", "rpt_worst", "rpt_owner_status", "rpt_owner_worst")


@dataclass
class ReportData:
    title: str
    baseline_year: int | None
    target_year: int | None
    run: dict | None  # the latest row of `runs`
    standing: list[dict]  # rpt_standing
    worst: list[dict]  # rpt_worst
    owners: list[dict]  # rpt_owner_status
    owner_worst: dict[str, list[dict]]  # rpt_owner_worst, by owner unit
    history: dict[Key, list[dict]] | None  # rpt_history, by criterion; None: no gap_history
    rejected: list[dict] = field(default_factory=list)
    failed_checks: list[dict] = field(default_factory=list)  # data checks that failed
    n_target_flags: int = 0  # criteria GX flagged as missing their target (results, not errors)
    ranks: list[dict] = field(default_factory=list)  # rpt_ranks
    participation: list[dict] = field(default_factory=list)  # participation_targets
    deadlines: list[dict] = field(default_factory=list)  # deadline_watch
    open_items: list[dict] = field(default_factory=list)  # rpt_open_items
    tree_mismatches: list[dict] = field(default_factory=list)  # rpt_tree_mismatches
    evidence_missing: list[dict] = field(default_factory=list)  # rpt_evidence_missing
    baseline_sources: list[dict] = field(default_factory=list)  # rpt_baseline_sources
    sipas_groups: list[dict] = field(default_factory=list)  # sipas_groups, when by component
    trend: list[dict] = field(default_factory=list)  # criterion_trend, the plan's rows
    trend_text: dict[Key, str] = field(default_factory=dict)  # rpt_trend, by criterion

    @property
    def as_of(self) -> dt.date | None:
        return self.run["as_of_date"] if self.run else None

    @property
    def totals(self) -> dict:
        return next(r for r in self.standing if r["is_total"])

    @property
    def status_columns(self) -> list[str]:
        """The statuses the tables count, in their order; retired only when there is one."""
        return [s for s in ("met", "missed", "at_risk", "no_data", "not_applicable", "retired")
                if s != "retired" or self.totals.get("retired")]


def key(row: dict) -> Key:
    return row["index_name"], row["appendix"], row["unit_code"], row["criterion_code"]


def load(db: Path) -> ReportData:
    """Everything the report shows, read from the published database (read-only)."""
    con = published.read_only(db)
    try:
        have = published.tables(con)
        missing = [t for t in NEEDED if t not in have]
        if missing:
            raise ChisoError(f"{db} không có bảng {', '.join(missing)} (cơ sở dữ liệu lập bởi"
                             " phiên bản chiso cũ hơn): chạy lại `chiso run` rồi lập báo cáo")

        def rows(sql: str, params: list | None = None) -> list[dict]:
            return published.rows(con, sql, params)

        s = (rows("select * from plan_settings limit 1") or [{}])[0] \
            if "plan_settings" in have else {}
        run = (rows("select * from runs order by started_at desc nulls last limit 1")
               or [None])[0] if "runs" in have else None
        this_run = "run_id = ?" if run else "true"
        # the plan the file was built for; the marts may hold the plans it continues too
        this_plan = "plan_id = (select plan_id from plan_settings)" if "plan_id" in s else "true"
        params = [run["run_id"]] if run else []
        history = None
        if "gap_history" in have and "rpt_history" in have:
            history = {}
            for h in rows("select * from rpt_history"):
                history.setdefault(key(h), []).append(h)
        owner_worst: dict[str, list[dict]] = {}
        for r in rows("select * from rpt_owner_worst"):
            owner_worst.setdefault(r["owner_unit"], []).append(r)
        checks = rows(f"""select suite, target, expectation, column_name, n_failing, observed,
                description_vi from check_results
            where not coalesce(success, false) and {this_run} order by suite, target""",
                      params) if "check_results" in have else []
        target_flags = [c for c in checks if c["suite"] == "target_criterion_gaps"
                        and c["expectation"].startswith("expect_column_pair_values")]
        return ReportData(
            title=s.get("title") or "",
            baseline_year=s.get("baseline_year"),
            target_year=s.get("target_year"),
            run=run,
            standing=rows("select * from rpt_standing"),
            worst=rows("select * from rpt_worst order by worst_rank"),
            owners=rows("select * from rpt_owner_status"),
            owner_worst=owner_worst,
            history=history,
            rejected=rows(f"""select file, sheet, message from extracts
                where status = 'rejected' and {this_run} order by file, sheet""", params)
            if "extracts" in have else [],
            failed_checks=[c for c in checks if c not in target_flags],
            n_target_flags=sum(c["n_failing"] or 0 for c in target_flags),
            ranks=rows("select * from rpt_ranks") if "rpt_ranks" in have else [],
            participation=rows(
                f"select * from participation_targets where year = ? and {this_plan}",
                [s.get("target_year")])
            if "participation_targets" in have else [],
            deadlines=rows(f"select * from deadline_watch where {this_plan} order by ends, pos")
            if "deadline_watch" in have else [],
            open_items=rows("select * from rpt_open_items") if "rpt_open_items" in have else [],
            tree_mismatches=rows("select * from rpt_tree_mismatches")
            if "rpt_tree_mismatches" in have else [],
            evidence_missing=rows("select * from rpt_evidence_missing")
            if "rpt_evidence_missing" in have else [],
            baseline_sources=rows("select * from rpt_baseline_sources")
            if "rpt_baseline_sources" in have else [],
            # by component and element once the criteria have components (SIPAS from 2024)
            sipas_groups=rows(f"""select * from sipas_groups where {this_plan} and exists
                (select 1 from sipas_groups where component is not null and {this_plan})""")
            if "sipas_groups" in have else [],
            trend=rows(f"select * from criterion_trend where {this_plan}")
            if "criterion_trend" in have else [],
            trend_text={key(r): r["trend_vi"] for r in rows("select * from rpt_trend")}
            if "rpt_trend" in have else {},
        )
    finally:
        con.close()


# --- inline SVG: drawn here, labelled by the template ---------------------------------------

def _f(x: float) -> str:
    return f"{x:.1f}"


def status_bar(counts: dict, words: dict[str, str], width: int = 220, height: int = 14) -> str:
    """A stacked bar of counts by status; `words` names each status (from the template)."""
    total = sum(counts.get(s, 0) or 0 for s in STATUS_ORDER)
    label = "; ".join(f"{words[s]} {counts[s]}" for s in STATUS_ORDER if counts.get(s))
    parts = [f'<svg class="bar" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
             f' role="img" aria-label="{_attr(label)}">',
             f'<rect width="{width}" height="{height}" rx="3" fill="#eef1f5"/>']
    x = 0.0
    for s in STATUS_ORDER:
        n = counts.get(s, 0) or 0
        if not n or not total:
            continue
        w = width * n / total
        parts.append(f'<rect x="{_f(x)}" width="{_f(w)}" height="{height}" '
                     f'fill="{STATUS_COLOUR[s]}"><title>{_attr(words[s])}: {n}</title></rect>')
        x += w
    parts.append("</svg>")
    return "".join(parts)


def _attr(text: str) -> str:
    from html import escape

    return escape(text, quote=True)


def sparkline(row: dict, history: list[dict] | None, as_of: dt.date | None, tip: str,
              width: int = 120, height: int = 32) -> str:
    """The criterion's path from the baseline value to today, with its target as a dashed line.

    The baseline-year value sits on the left; the recorded history (a step per period in which
    the values held) spans the rest up to the run date. Without history: baseline -> current.
    `tip` is the tooltip, written by the template."""
    base, target = row["baseline_value"], row["target_value"]
    steps = _steps(row, history, as_of)
    values = [v for v in [base, target, *(v for _, v, _ in steps)] if v is not None]
    if not values or (base is None and not steps):
        return '<span class="muted">–</span>'
    lo, hi = float(min(values)), float(max(values))
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    pad_y, pad_x = 5.0, 4.0

    def y(v: Decimal) -> float:
        return pad_y + (height - 2 * pad_y) * (hi - float(v)) / (hi - lo)

    x0, x1 = pad_x, width - pad_x
    start = x0 + (x1 - x0) * 0.28 if base is not None else x0
    pts: list[tuple[float, float]] = []
    if len(steps) == 1:
        pts = [(x1, y(steps[0][1]))]
    elif steps:
        d0, dn = steps[0][0], steps[-1][0]
        span = max((dn - d0).days, 1)
        for i, (d, v, _) in enumerate(steps):
            x = start + (x1 - start) * (d - d0).days / span
            if i:  # a step: the previous value held until this date
                pts.append((x, pts[-1][1]))
            pts.append((x, y(v)))
    colour = STATUS_COLOUR.get(row["status"], "#475569")
    out = [f'<svg class="spark" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{_attr(tip)}">',
           f'<title>{_attr(tip)}</title>']
    if target is not None:
        out.append(f'<line x1="{_f(x0)}" x2="{_f(x1)}" y1="{_f(y(target))}" '
                   f'y2="{_f(y(target))}" stroke="#1f4e79" stroke-width="1" '
                   f'stroke-dasharray="3 2" opacity="0.8"/>')
    if base is not None:
        bx, by = x0, y(base)
        if pts:
            out.append(f'<line x1="{_f(bx)}" y1="{_f(by)}" x2="{_f(pts[0][0])}" '
                       f'y2="{_f(pts[0][1])}" stroke="#64748b" stroke-width="1.4" '
                       f'stroke-dasharray="3 2"/>')
        out.append(f'<circle cx="{_f(bx)}" cy="{_f(by)}" r="2.6" fill="#94a3b8"/>')
    if len(pts) > 1:
        out.append('<polyline fill="none" stroke="#334155" stroke-width="1.6" '
                   'stroke-linejoin="round" points="'
                   + " ".join(f"{_f(px)},{_f(py)}" for px, py in pts) + '"/>')
    if pts:
        out.append(f'<circle cx="{_f(pts[-1][0])}" cy="{_f(pts[-1][1])}" r="3.2" '
                   f'fill="{colour}"/>')
    out.append("</svg>")
    return "".join(out)


def _steps(row: dict, history: list[dict] | None, as_of: dt.date | None) -> list[tuple]:
    """(date, value, text) of each recorded value, then today's if it differs."""
    steps = [(h["valid_from"], h["current_value"], h["current_text"]) for h in history or []
             if h["current_value"] is not None]
    current = row["current_value"]
    if current is not None and (not steps or steps[-1][1] != current):
        steps.append((as_of or (steps[-1][0] if steps else dt.date.today()), current,
                      row["current_text"]))
    return steps


# --- XLSX: the gap tables for people who work in Excel ---------------------------------------

def write_xlsx(db: Path, data: ReportData, path: Path) -> None:
    """A summary sheet and one sheet per index and appendix, numbers kept as numbers; the
    columns and their words come from templates/report_xlsx.yml.j2."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    spec = yamlfile.load(render("report_xlsx.yml.j2", data=data))
    head_font = Font(bold=True, color="FFFFFF")
    head_fill = PatternFill("solid", fgColor="123C69")
    status_fill = {s: PatternFill("solid", fgColor=c.lstrip("#"))
                   for s, c in STATUS_COLOUR.items()}

    def header(ws, row: int, columns: list[dict]) -> None:
        for col, c in enumerate(columns, 1):
            cell = ws.cell(row=row, column=col, value=c["header"])
            cell.font, cell.fill = head_font, head_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            ws.column_dimensions[get_column_letter(col)].width = c["width"]
        ws.row_dimensions[row].height = 32

    wb = Workbook()
    ws = wb.active
    summary = spec["summary"]
    ws.title = summary["title"]
    ws["A1"] = summary["heading"]
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = summary["subheading"]
    header(ws, 4, summary["columns"])
    groups = [r for r in data.standing if not r["is_total"]]
    for i, (row, texts) in enumerate(zip(groups, summary["rows"], strict=True), 5):
        values = [row["index_name"], texts["appendix"], texts["content"], row["total"],
                  *(row[s] for s in data.status_columns),
                  row["met"] / row["total"] if row["total"] else 0]
        for col, (v, c) in enumerate(zip(values, summary["columns"], strict=True), 1):
            cell = ws.cell(row=i, column=col, value=v)
            if c.get("format"):
                cell.number_format = c["format"]
    ws.freeze_panes = "A5"
    ws.auto_filter.ref = f"A4:{get_column_letter(len(summary['columns']))}{max(4 + len(groups), 5)}"

    columns = spec["criteria"]["columns"]
    words = {"status": labels().status, "stage": labels().stage, "level": labels().level,
             "evidence": labels().evidence}
    with published.read_only(db) as con:
        for group, sheet in zip(groups, spec["criteria"]["sheets"], strict=True):
            rows = published.rows(
                con, "select * from rpt_criteria where index_name = ?"
                " and appendix is not distinct from ? order by unit_code collate vi,"
                " code_order, criterion_code", [group["index_name"], group["appendix"]])
            sh = wb.create_sheet(sheet)
            header(sh, 1, columns)
            status_col = next(i for i, c in enumerate(columns, 1) if c["key"] == "status")
            for i, r in enumerate(rows, 2):
                for col, c in enumerate(columns, 1):
                    value = r[c["key"]]
                    if c.get("words"):
                        value = words[c["words"]](value) if value is not None else None
                    elif c.get("when_true"):
                        value = c["when_true"] if value else ""
                    if isinstance(value, Decimal):
                        value = float(value)
                    cell = sh.cell(row=i, column=col, value=value)
                    fmt = c.get("format_sipas") if r["index_name"] == "SIPAS" \
                        else c.get("format")
                    if fmt and cell.value is not None:
                        cell.number_format = fmt
                if r["status"] in ("missed", "at_risk"):
                    cell = sh.cell(row=i, column=status_col)
                    cell.fill = status_fill[r["status"]]
                    cell.font = Font(bold=True, color="FFFFFF")
            sh.freeze_panes = "F2"  # header row and the criterion's identity stay in view
            sh.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(rows) + 1, 2)}"
    if data.sipas_groups:
        _table_sheet(wb, spec["sipas_groups"], data.sipas_groups, header)
    if data.trend:
        _table_sheet(wb, spec["trend"], data.trend, header)
    published.atomic_save(path, wb.save)


def _table_sheet(wb, spec: dict, rows: list[dict], header) -> None:
    """One mart's rows as a sheet: its numbers, the template's headers and, where the spec has
    `rows`, the template's words for some cells of each row."""
    sh = wb.create_sheet(spec["title"])
    header(sh, 1, spec["columns"])
    texts_of = spec.get("rows") or [{}] * len(rows)
    for i, (r, texts) in enumerate(zip(rows, texts_of, strict=True), 2):
        for col, c in enumerate(spec["columns"], 1):
            value = texts.get(c["key"], r[c["key"]])
            cell = sh.cell(row=i, column=col,
                           value=float(value) if isinstance(value, Decimal) else value)
            if c.get("format") and value is not None:
                cell.number_format = c["format"]
    sh.freeze_panes = "A2"


# --- the entry point --------------------------------------------------------------------------

def render_html(data: ReportData, generated_at: dt.datetime | None = None) -> str:
    """The report as one HTML document; every value from the data is escaped by the engine."""
    return render("report.html.j2", data=data, css=(TEMPLATES / "report.css").read_text(
        encoding="utf-8"), generated_at=(generated_at or dt.datetime.now(TZ)).astimezone(TZ),
        status_bar=status_bar, sparkline=sparkline, key=key, tz=TZ)


def write_report(db: Path, out_dir: Path) -> tuple[Path, Path]:
    """Write the HTML report and the XLSX workbook from the published database."""
    data = load(Path(db))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, xlsx_path = out_dir / HTML_NAME, out_dir / XLSX_NAME
    html = render_html(data)
    published.atomic_save(html_path, lambda p: Path(p).write_text(html, encoding="utf-8"))
    write_xlsx(Path(db), data, xlsx_path)
    return html_path, xlsx_path
