"""The Office's report: one self-contained HTML page (CSS inline, charts as inline SVG, no
network) and an XLSX workbook of the gap tables, both read from the published DuckDB file,
opened read-only so a report never blocks or disturbs a run."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from flows import vietnamese as vi
from flows.documents.published import atomic_save as _atomic_save
from flows.documents.published import progress as _progress
from flows.documents.published import rows as _rows
from flows.documents.published import tables as _tables
from flows.documents.summary import STAGE_VI, STATUS_VI

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
HTML_NAME, XLSX_NAME = "chiso-bao-cao.html", "chiso-bao-cao.xlsx"

INDEX_ORDER = ["PAR", "SIPAS", "PAPI"]
INDEX_VI = {"PAR": "Chỉ số CCHC (PAR INDEX)", "SIPAS": "Chỉ số hài lòng (SIPAS)",
            "PAPI": "Chỉ số PAPI"}
APPENDIX_VI = {
    1: "Tiêu chí đạt điểm tối đa năm cơ sở — giữ vững",
    2: "Tiêu chí chưa đạt điểm tối đa — nâng điểm",
    3: "Tiêu chí có tỷ lệ hài lòng thấp — nâng tỷ lệ",
    4: "Chỉ số nội dung, nội dung thành phần thấp — nâng điểm",
    None: "Tiêu chí mới năm mục tiêu — chưa có mục tiêu",
}
STATUS_ORDER = ["met", "at_risk", "missed", "no_data", "not_applicable"]
STATUS_COLOUR = {"met": "#1e7b45", "at_risk": "#d9822b", "missed": "#c0392b",
                 "no_data": "#8a94a3", "not_applicable": "#c9d1db"}
OFF_TRACK = ("missed", "at_risk")
EVIDENCE_VI = {"present": "Có", "explanation_only": "Chỉ giải trình", "missing": "Chưa có"}
NO_OWNER = "Chưa phân công"

Key = tuple[str, int | None, str, str]  # index_name, appendix, unit_code, criterion_code


@dataclass
class ReportData:
    title: str
    baseline_year: int | None
    target_year: int | None
    run: dict | None  # latest row of `runs`
    gaps: list[dict]  # criterion_gaps, in the mart's order
    history: dict[Key, list[dict]] | None  # None: no gap_history table in this database
    rejected: list[dict] = field(default_factory=list)
    failed_checks: list[dict] = field(default_factory=list)  # data checks that failed
    target_checks: list[dict] = field(default_factory=list)  # GX flags of missed targets
    ranks: list[dict] = field(default_factory=list)  # rank_targets
    participation: list[dict] = field(default_factory=list)  # participation_targets, target year
    deadlines: list[dict] = field(default_factory=list)  # deadline_watch
    tree_mismatches: list[dict] = field(default_factory=list)  # criterion_gaps rows

    @property
    def as_of(self) -> dt.date | None:
        return self.run["as_of_date"] if self.run else None


def key(row: dict) -> Key:
    return row["index_name"], row["appendix"], row["unit_code"], row["criterion_code"]


# --- reading ------------------------------------------------------------------------------

def _target_flag_descriptions() -> set[str]:
    """Descriptions of the expectations whose failures are the missed targets themselves
    (meta flags_targets in expectations/*.json): shown as targets, not as data problems."""
    from flows.checks.gx import EXPECTATIONS_DIR

    found = set()
    for path in EXPECTATIONS_DIR.glob("*.json"):
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for exp in spec.get("expectations", []):
            meta = exp.get("meta") or {}
            if meta.get("flags_targets") and meta.get("vi"):
                found.add(meta["vi"])
    return found


def load(db: Path) -> ReportData:
    """Everything the report shows, read from the published database (read-only)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = _tables(con)
        settings = _rows(con, "select * from plan_settings limit 1") if "plan_settings" in tables \
            else []
        s = settings[0] if settings else {}
        run = None
        if "runs" in tables:
            runs = _rows(con, "select * from runs order by started_at desc nulls last limit 1")
            run = runs[0] if runs else None
        gaps = _rows(con, "select * from criterion_gaps")
        history = None
        if "gap_history" in tables:
            history = defaultdict(list)
            for h in _rows(con, """
                    select h.index_name, h.appendix, h.unit_code, h.criterion_code,
                        h.valid_from, h.valid_to, h.current_value, h.current_stage, h.status
                    from gap_history as h
                    semi join criterion_gaps as g
                        on h.index_name = g.index_name
                        and h.appendix is not distinct from g.appendix
                        and h.unit_code = g.unit_code
                        and h.criterion_code = g.criterion_code
                    order by h.valid_from"""):
                history[key(h)].append(h)
        this_run = "run_id = ?" if run else "true"
        params = [run["run_id"]] if run else []
        rejected = _rows(con, f"""select file, sheet, message from extracts
            where status = 'rejected' and {this_run} order by file, sheet""", params) \
            if "extracts" in tables else []
        progress = _progress(con, s.get("target_year"))
        failed = _rows(con, f"""select suite, target, expectation, column_name, n_failing,
                observed, description_vi
            from check_results where not coalesce(success, false) and {this_run}
            order by suite, target""", params) if "check_results" in tables else []
    finally:
        con.close()
    flags = _target_flag_descriptions()
    return ReportData(
        title=s.get("title") or "Kế hoạch nâng cao các chỉ số",
        baseline_year=s.get("baseline_year"),
        target_year=s.get("target_year"),
        run=run,
        gaps=gaps,
        history=history,
        rejected=rejected,
        failed_checks=[c for c in failed if c["description_vi"] not in flags],
        target_checks=[c for c in failed if c["description_vi"] in flags],
        ranks=progress.ranks,
        participation=progress.participation,
        deadlines=progress.deadlines,
        tree_mismatches=progress.tree_mismatches,
    )


# --- how values read ----------------------------------------------------------------------

def value_text(index_name: str, value: Decimal | None) -> str:
    """A criterion's value as a person reads it: 75,03% (SIPAS) or 1,5 điểm (PAR, PAPI)."""
    if value is None:
        return "–"
    return vi.percent(value) if index_name == "SIPAS" else vi.points(value)


def gap_text(index_name: str, gap: Decimal | None) -> str:
    """The gap with its sign: -8,97 điểm % (SIPAS, percentage points) or -0,5 điểm."""
    if gap is None:
        return "–"
    if index_name == "SIPAS":
        return f"{vi.signed(gap, 2)} điểm %"
    text = vi.signed(gap)
    return f"{text if ',' in text else text + ',0'} điểm"


def relative_gap(row: dict) -> Decimal | None:
    """Gap as a share of the maximum value: how far off a criterion is, across scales."""
    if row["gap"] is None or not row["max_value"]:
        return None
    return row["gap"] / row["max_value"]


def off_track(data: ReportData) -> list[dict]:
    """Missed and at-risk criteria, worst first (gap relative to the maximum value)."""
    rows = [r for r in data.gaps if r["status"] in OFF_TRACK]
    return sorted(rows, key=lambda r: (relative_gap(r) if relative_gap(r) is not None
                                       else Decimal(0), r["gap"] or 0,
                                       INDEX_ORDER.index(r["index_name"])
                                       if r["index_name"] in INDEX_ORDER else 9,
                                       r["criterion_code"]))


def standing(data: ReportData) -> list[dict]:
    """Counts by status per index and appendix, in the plan's order."""
    groups: dict[tuple, Counter] = {}
    for r in data.gaps:
        groups.setdefault((r["index_name"], r["appendix"]), Counter())[r["status"]] += 1

    def order(k: tuple) -> tuple:
        idx = INDEX_ORDER.index(k[0]) if k[0] in INDEX_ORDER else 9
        return idx, k[1] is None, k[1] or 0

    return [{"index_name": k[0], "appendix": k[1], "total": sum(c.values()),
             **{s: c.get(s, 0) for s in STATUS_ORDER}} for k, c in sorted(groups.items(),
                                                                         key=lambda i: order(i[0]))]


def by_owner(data: ReportData) -> list[tuple[str, list[dict]]]:
    """Criteria per owner, owners in Vietnamese dictionary order."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in data.gaps:
        groups[r["owner_name"] or NO_OWNER].append(r)
    return sorted(groups.items(), key=lambda item: vi.sort_key(item[0]))


def appendix_label(appendix: int | None) -> str:
    return f"Phụ lục {appendix}" if appendix is not None else "Chưa có phụ lục"


# --- inline SVG -------------------------------------------------------------------------

def _f(x: float) -> str:
    return f"{x:.1f}"


def status_bar(counts: dict, width: int = 220, height: int = 14) -> str:
    """A stacked bar of counts by status."""
    total = sum(counts.get(s, 0) for s in STATUS_ORDER)
    parts = [f'<svg class="bar" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
             f' role="img" aria-label="{escape(_counts_text(counts))}">',
             f'<rect width="{width}" height="{height}" rx="3" fill="#eef1f5"/>']
    x = 0.0
    for s in STATUS_ORDER:
        n = counts.get(s, 0)
        if not n or not total:
            continue
        w = width * n / total
        parts.append(f'<rect x="{_f(x)}" width="{_f(w)}" height="{height}" '
                     f'fill="{STATUS_COLOUR[s]}"><title>{STATUS_VI[s]}: {n}</title></rect>')
        x += w
    parts.append("</svg>")
    return "".join(parts)


def _counts_text(counts: dict) -> str:
    return "; ".join(f"{STATUS_VI[s]} {counts[s]}" for s in STATUS_ORDER if counts.get(s))


def sparkline(row: dict, history: list[dict] | None, as_of: dt.date | None,
              width: int = 120, height: int = 32) -> str:
    """The criterion's path from the baseline value to today, with its target as a dashed line.

    The baseline-year value sits on the left; the recorded history (a step per period in which
    the values held) spans the rest up to the run date. Without history: baseline -> current.
    """
    idx = row["index_name"]
    base, target, current = row["baseline_value"], row["target_value"], row["current_value"]
    steps = [(h["valid_from"], h["current_value"]) for h in history or []
             if h["current_value"] is not None]
    if current is not None and (not steps or steps[-1][1] != current):
        steps.append((as_of or (steps[-1][0] if steps else dt.date.today()), current))
    values = [v for v in [base, target, *(v for _, v in steps)] if v is not None]
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
        for i, (d, v) in enumerate(steps):
            x = start + (x1 - start) * (d - d0).days / span
            if i:  # a step: the previous value held until this date
                pts.append((x, pts[-1][1]))
            pts.append((x, y(v)))
    tip = [f"Năm {row['baseline_year']}: {value_text(idx, base)}"] if base is not None else []
    tip += [f"{vi.date(d)}: {value_text(idx, v)}" for d, v in steps]
    if target is not None:
        tip.append(f"Mục tiêu {row['target_op'] or ''} {value_text(idx, target)}")
    colour = STATUS_COLOUR.get(row["status"], "#475569")
    out = [f'<svg class="spark" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(" · ".join(tip))}">',
           f'<title>{escape(" · ".join(tip))}</title>']
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


# --- HTML -------------------------------------------------------------------------------

CSS = """
:root { --ink:#1b2430; --muted:#5f6b7a; --line:#dde3ea; --band:#123c69; --soft:#f5f7fa;
  --met:#1e7b45; --risk:#d9822b; --miss:#c0392b; --nodata:#8a94a3; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin:0; font-family:"DejaVu Sans", system-ui, -apple-system, "Segoe UI", Roboto,
  "Noto Sans", Arial, sans-serif; color:var(--ink); background:#fff; font-size:13px;
  line-height:1.45; }
header.top { background:var(--band); color:#fff; padding:26px 40px 22px; }
header.top .eyebrow { text-transform:uppercase; letter-spacing:.08em; font-size:11px;
  opacity:.8; margin:0 0 6px; }
header.top h1 { font-size:21px; line-height:1.3; margin:0 0 10px; font-weight:700;
  max-width:1100px; }
header.top .meta { font-size:12.5px; opacity:.92; display:flex; flex-wrap:wrap; gap:6px 22px; }
header.top .meta b { font-weight:700; }
nav.toc { padding:10px 40px; border-bottom:1px solid var(--line); background:var(--soft);
  font-size:12px; }
nav.toc a { color:var(--band); text-decoration:none; margin-right:18px; }
main { padding:8px 40px 40px; }
h2 { font-size:16px; margin:30px 0 4px; padding-bottom:6px; border-bottom:2px solid var(--band); }
h3 { font-size:14px; margin:22px 0 6px; }
p.lead { color:var(--muted); margin:4px 0 12px; }
.cards { display:flex; flex-wrap:wrap; gap:12px; margin:18px 0 6px; }
.card { flex:1 1 150px; border:1px solid var(--line); border-radius:8px; padding:12px 14px;
  border-top:4px solid var(--nodata); background:#fff; }
.card .n { font-size:26px; font-weight:700; line-height:1.1; }
.card .l { color:var(--muted); font-size:12px; margin-top:3px; }
.card.total { border-top-color:var(--band); }
.card.met { border-top-color:var(--met); } .card.met .n { color:var(--met); }
.card.missed { border-top-color:var(--miss); } .card.missed .n { color:var(--miss); }
.card.at_risk { border-top-color:var(--risk); } .card.at_risk .n { color:var(--risk); }
table { border-collapse:collapse; width:100%; margin:6px 0 4px; }
th, td { padding:5px 8px; border-bottom:1px solid var(--line); vertical-align:middle;
  text-align:left; }
th { background:var(--soft); font-size:11.5px; color:#394454; font-weight:700;
  border-bottom:1px solid #c7d0db; white-space:nowrap; }
td.num, th.num { text-align:right; white-space:nowrap; font-variant-numeric:tabular-nums; }
table.criteria { table-layout:fixed; }
table.criteria th { white-space:normal; }
td.num.cur { white-space:normal; }
td.crit b { font-variant-numeric:tabular-nums; margin-right:3px; }
td.crit .where { color:var(--muted); font-size:11px; margin-top:1px; }
td.owner-cell { font-size:11.5px; }
tr.sep td { border-bottom:0; }
tbody tr:nth-child(even) td { background:#fbfcfd; }
.st { display:inline-block; padding:1px 8px; border-radius:10px; font-size:11.5px;
  font-weight:700; white-space:nowrap; color:#fff; }
.st-met { background:var(--met); } .st-missed { background:var(--miss); }
.st-at_risk { background:var(--risk); } .st-no_data { background:var(--nodata); }
.st-not_applicable { background:#e6eaef; color:#5f6b7a; }
.tag { display:inline-block; margin-left:4px; padding:0 5px; border-radius:3px;
  font-size:10.5px; white-space:nowrap; vertical-align:1px; }
.tag-prov { border:1px solid var(--risk); color:#9a5a14; background:#fff6ea; }
.tag-small { border:1px solid #7b5ea7; color:#5b3f86; background:#f5f0fb; }
.tag-ev { border:1px solid var(--missed); color:#8f1d1d; background:#fdeeee; }
.tag-expl { border:1px solid #8a94a3; color:#4a5361; background:#f3f5f8; }
.neg { color:var(--miss); } .pos { color:var(--met); }
.muted { color:var(--muted); }
.legend { color:var(--muted); font-size:11.5px; margin:6px 0 0; }
.legend span.sw { display:inline-block; width:10px; height:10px; border-radius:2px;
  margin:0 4px 0 12px; vertical-align:-1px; }
.legend span.sw:first-child { margin-left:0; }
.owner-head { display:flex; align-items:center; gap:14px; margin:24px 0 4px; }
.owner-head h3 { margin:0; }
.ok { border-left:4px solid var(--met); padding:8px 12px; background:#f1f8f4; }
.warn { border-left:4px solid var(--miss); padding:8px 12px; background:#fcf1ef; }
svg { display:block; }
footer { color:var(--muted); font-size:11.5px; border-top:1px solid var(--line);
  padding:14px 40px 30px; }
@page { size:A4 landscape; margin:12mm; }
@media print {
  body { font-size:10.5px; }
  header.top { padding:14px 0; background:#fff; color:var(--ink);
    border-bottom:3px solid var(--band); }
  nav.toc { display:none; }
  main, footer { padding-left:0; padding-right:0; max-width:none; }
  h2 { break-after:avoid; }
  tr, .card, .owner-head { break-inside:avoid; }
  thead { display:table-header-group; }
  section.owners .owner { break-before:auto; }
}
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def _status(status: str | None) -> str:
    s = status or "no_data"
    return f'<span class="st st-{_e(s)}">{_e(STATUS_VI.get(s, s))}</span>'


def _evidence_tag(r: dict) -> str:
    """Beside a PAR status: a score without evidence (appraisal may cut it), or only an
    explanation."""
    if r.get("evidence_missing"):
        return ('<span class="tag tag-ev" title="Tự chấm có điểm nhưng chưa có tài liệu kiểm'
                ' chứng: có thể bị trừ điểm khi thẩm định">thiếu TLKC</span>')
    if r.get("evidence_status") == "explanation_only" and r["status"] != "not_applicable":
        return ('<span class="tag tag-expl" title="Chỉ có nội dung giải trình, chưa có văn bản,'
                ' đường dẫn hoặc tệp">chỉ giải trình</span>')
    return ""


def _current_cell(r: dict) -> str:
    text = _e(value_text(r["index_name"], r["current_value"]))
    if r["current_value"] is not None and r["current_stage"] == "self_assessed":
        text += ('<span class="tag tag-prov" title="Số liệu tự đánh giá, chưa thẩm định: '
                 f'tạm tính">{_e(STAGE_VI["self_assessed"])}</span>')
    if r["current_value"] is not None and r["current_stage"] == "interim":
        text += ('<span class="tag tag-prov" title="Kết quả khảo sát tạm thời, chưa chính thức">'
                 f'{_e(STAGE_VI["interim"])}</span>')
    if r["small_sample"]:
        n = r["current_n"] if r["current_n"] is not None else r["baseline_n"]
        text += (f'<span class="tag tag-small" title="Mẫu nhỏ: tỷ lệ dựa trên ít phiếu hợp lệ">'
                 f'mẫu nhỏ{_e(f": n = {vi.number(n)}" if n is not None else "")}</span>')
    return text


def _gap_cell(r: dict) -> str:
    g = r["gap"]
    cls = "" if g is None else ("neg" if g < 0 else "pos")
    return f'<td class="num {cls}">{_e(gap_text(r["index_name"], g))}</td>'


def _target_text(r: dict) -> str:
    if r["target_value"] is None:
        return "–"
    op = {">=": "≥", ">": ">"}.get(r["target_op"] or "", r["target_op"] or "")
    return f"{op} {value_text(r['index_name'], r['target_value'])}".strip()


def _criterion_row(r: dict, data: ReportData, *, rank: int | None = None,
                   show_owner: bool = False) -> str:
    hist = data.history.get(key(r)) if data.history is not None else None
    rel = relative_gap(r)
    cells = []
    if rank is not None:
        cells.append(f'<td class="num muted">{rank}</td>')
    cells += [
        f'<td class="crit"><b>{_e(r["criterion_code"])}</b> {_e(r["criterion_name"])}'
        f'<div class="where">{_e(r["index_name"])} · {_e(appendix_label(r["appendix"]))} · '
        f'{_e(r["unit_code"])}</div></td>',
        f'<td class="num">{_e(value_text(r["index_name"], r["baseline_value"]))}</td>',
        f'<td class="num">{_e(_target_text(r))}</td>',
        f'<td class="num cur">{_current_cell(r)}</td>',
        _gap_cell(r),
    ]
    if rank is not None:
        cells.append(f'<td class="num">{_e(vi.percent(rel * 100, 1) if rel is not None else "–")}'
                     "</td>")
    cells.append(f"<td>{_status(r['status'])}{_evidence_tag(r)}</td>")
    if show_owner:
        cells.append(f'<td class="owner-cell">{_e(r["owner_name"] or NO_OWNER)}</td>')
    cells.append(f"<td>{sparkline(r, hist, data.as_of)}</td>")
    return "<tr>" + "".join(cells) + "</tr>"


def _criteria_table(rows: Iterable[dict], data: ReportData, *, ranked: bool) -> str:
    base_year = data.baseline_year or ""
    head = ['<th class="num">#</th>'] if ranked else []
    head += ["<th>Tiêu chí</th>", f'<th class="num">Năm {_e(base_year)}</th>',
             '<th class="num">Mục tiêu</th>', '<th class="num">Hiện tại</th>',
             '<th class="num">Chênh lệch</th>']
    if ranked:
        head.append('<th class="num" title="Chênh lệch so với giá trị tối đa">So với tối đa</th>')
    head.append("<th>Trạng thái</th>")
    if ranked:
        head.append("<th>Phụ trách</th>")
    head.append("<th>Diễn biến</th>")
    body = "".join(_criterion_row(r, data, rank=i if ranked else None, show_owner=ranked)
                   for i, r in enumerate(rows, 1))
    # Fixed column widths, so every owner's table lines up with the others.
    widths = ([32] if ranked else []) + [None, 86, 106, 166, 108] + ([82] if ranked else []) \
        + [104] + ([140] if ranked else []) + [132]
    cols = "".join(f'<col style="width:{w}px">' if w else "<col>" for w in widths)
    return (f'<table class="criteria"><colgroup>{cols}</colgroup><thead><tr>{"".join(head)}'
            f"</tr></thead><tbody>{body}</tbody></table>")


def _legend() -> str:
    sw = "".join(f'<span class="sw" style="background:{STATUS_COLOUR[s]}"></span>{STATUS_VI[s]}'
                 for s in STATUS_ORDER)
    return f'<p class="legend">{sw}</p>'


def render_html(data: ReportData, generated_at: dt.datetime | None = None) -> str:
    """The report as one HTML document; every value from the data is escaped."""
    generated_at = generated_at or dt.datetime.now(TZ)
    counts = Counter(r["status"] for r in data.gaps)
    total = len(data.gaps)
    ranked = off_track(data)
    run = data.run

    meta = []
    if data.baseline_year:
        meta.append(f"Năm cơ sở <b>{_e(data.baseline_year)}</b>")
    if data.target_year:
        meta.append(f"Năm mục tiêu <b>{_e(data.target_year)}</b>")
    if run:
        meta.append(f"Số liệu ngày <b>{_e(vi.date(run['as_of_date']))}</b>")
        if run.get("started_at"):
            meta.append(f"Lượt chạy {_e(run['run_id'])} lúc "
                        f"{_e(vi.datetime(run['started_at'].astimezone(TZ)))}")
    meta.append(f"Lập báo cáo {_e(vi.datetime(generated_at.astimezone(TZ)))}")

    def card(cls: str, n: int, label: str) -> str:
        share = f" ({vi.percent(Decimal(n) * 100 / total, 1)})" if total and cls != "total" else ""
        return (f'<div class="card {cls}"><div class="n">{vi.number(n)}</div>'
                f'<div class="l">{_e(label)}{_e(share)}</div></div>')

    cards = [card("total", total, "Tổng số tiêu chí")]
    cards += [card(s, counts.get(s, 0), STATUS_VI[s]) for s in STATUS_ORDER
              if s in ("met", "missed", "at_risk") or counts.get(s)]

    # Overall standing per index and appendix.
    st_rows = []
    for s in standing(data):
        st_rows.append(
            "<tr>"
            f'<td><b>{_e(s["index_name"])}</b> <span class="muted">'
            f'{_e(INDEX_VI.get(s["index_name"], ""))}</span></td>'
            f'<td>{_e(appendix_label(s["appendix"]))}<br><span class="muted">'
            f'{_e(APPENDIX_VI.get(s["appendix"], ""))}</span></td>'
            f'<td class="num"><b>{vi.number(s["total"])}</b></td>'
            + "".join(f'<td class="num">{vi.number(s[k])}</td>' for k in
                      ("met", "missed", "at_risk", "no_data", "not_applicable"))
            + f"<td>{status_bar(s)}</td></tr>"
        )
    standing_html = (
        "<table><thead><tr><th>Chỉ số</th><th>Phụ lục</th><th class='num'>Tổng</th>"
        + "".join(f"<th class='num'>{STATUS_VI[k]}</th>" for k in
                  ("met", "missed", "at_risk", "no_data", "not_applicable"))
        + "<th>Tỷ lệ</th></tr></thead><tbody>" + "".join(st_rows) + "</tbody></table>"
        + _legend()
    )

    # Missed and at-risk criteria, worst first.
    if ranked:
        n_missed = sum(r["status"] == "missed" for r in ranked)
        n_risk = len(ranked) - n_missed
        ranked_html = (
            f'<p class="lead">{vi.number(len(ranked))} tiêu chí chưa đạt mục tiêu: '
            f"không đạt {vi.number(n_missed)}, có nguy cơ {vi.number(n_risk)}. Xếp theo mức "
            "chênh lệch so với giá trị tối đa của tiêu chí, nặng nhất trước.</p>"
            + _criteria_table(ranked, data, ranked=True)
        )
    else:
        ranked_html = '<p class="ok">Mọi tiêu chí có số liệu đều đạt mục tiêu.</p>'

    # Per owner.
    owner_html = []
    for name, rows in by_owner(data):
        c = Counter(r["status"] for r in rows)
        summary = " · ".join(f"{STATUS_VI[s]} {vi.number(c[s])}" for s in STATUS_ORDER if c[s])
        owner_html.append(
            f'<div class="owner"><div class="owner-head"><h3>{_e(name)}</h3>'
            f"{status_bar(c, 160, 12)}<span class='muted'>{vi.number(len(rows))} tiêu chí: "
            f"{_e(summary)}</span></div>{_criteria_table(rows, data, ranked=False)}</div>"
        )

    progress_html = _progress_html(data)

    # Extracts and checks.
    if data.rejected:
        rej = "".join(f"<tr><td>{_e(r['file'])}</td><td>{_e(r['sheet'] or '–')}</td>"
                      f"<td>{_e(r['message'])}</td></tr>" for r in data.rejected)
        rejected_html = ('<p class="warn">Các tệp dưới đây không được nạp; số liệu của chúng '
                         "không có trong báo cáo này.</p><table><thead><tr><th>Tệp</th>"
                         f"<th>Trang tính</th><th>Lý do</th></tr></thead><tbody>{rej}"
                         "</tbody></table>")
    else:
        rejected_html = '<p class="ok">Không có tệp nào bị từ chối.</p>'
    if data.tree_mismatches:
        from flows.documents.summary import TREE_HEADING, tree_mismatch_text

        rejected_html += (f"<h2>{_e(TREE_HEADING)}</h2><ul>"
                          + "".join(f"<li>{_e(tree_mismatch_text(r))}</li>"
                                    for r in data.tree_mismatches) + "</ul>")
    if data.failed_checks:
        chk = "".join(
            f"<tr><td>{_e(c['description_vi'] or c['expectation'])}</td><td>{_e(c['target'])}"
            f"</td><td>{_e(c['column_name'] or '–')}</td><td class='num'>"
            f"{_e(vi.number(c['n_failing']) if c['n_failing'] is not None else '–')}</td>"
            f"<td>{_e(c['observed'] or '–')}</td></tr>" for c in data.failed_checks)
        checks_html = ("<table><thead><tr><th>Kiểm tra</th><th>Đối tượng</th><th>Cột</th>"
                       "<th class='num'>Số dòng lỗi</th><th>Ghi nhận</th></tr></thead>"
                       f"<tbody>{chk}</tbody></table>")
    else:
        checks_html = '<p class="ok">Mọi kiểm tra dữ liệu đều đạt.</p>'
    if data.target_checks:
        n_flag = sum(c["n_failing"] or 0 for c in data.target_checks)
        checks_html += (f'<p class="legend">Great Expectations cũng gắn cờ {vi.number(n_flag)} '
                        "tiêu chí chưa đạt mục tiêu; đó là các tiêu chí đã nêu ở mục "
                        "“Cần khắc phục”, không phải lỗi dữ liệu.</p>")

    history_note = (
        "Diễn biến: chấm xám là giá trị năm cơ sở, đường liền là các giá trị đã ghi nhận qua "
        "các lượt chạy, chấm màu là giá trị hiện tại; đường đứt nét là mục tiêu."
        if data.history is not None else
        "Diễn biến: từ giá trị năm cơ sở (chấm xám) đến giá trị hiện tại (chấm màu); đường đứt "
        "nét là mục tiêu. Cơ sở dữ liệu này chưa có lịch sử theo ngày (bảng gap_history)."
    )
    title = _e(data.title)
    return f"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
  content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Báo cáo chỉ số — {title}</title>
<style>{CSS}</style>
</head>
<body>
<header class="top">
<p class="eyebrow">Báo cáo tình hình thực hiện kế hoạch · PAR INDEX · SIPAS · PAPI</p>
<h1>{title}</h1>
<div class="meta">{"".join(f"<span>{m}</span>" for m in meta)}</div>
</header>
<nav class="toc"><a href="#tong-quan">Tổng quan</a><a href="#can-khac-phuc">Cần khắc phục</a>
<a href="#tien-do">Mốc thời gian, phiếu, xếp hạng</a>
<a href="#theo-don-vi">Theo đơn vị phụ trách</a><a href="#du-lieu">Tệp và kiểm tra dữ liệu</a></nav>
<main>
<section id="tong-quan">
<div class="cards">{"".join(cards)}</div>
<h2>Tình hình theo chỉ số và phụ lục</h2>
{standing_html}
</section>
<section id="can-khac-phuc">
<h2>Cần khắc phục: tiêu chí không đạt và có nguy cơ</h2>
{ranked_html}
<p class="legend"><span class="tag tag-prov">{STAGE_VI["self_assessed"]}</span>
số liệu tự đánh giá, chưa thẩm định (tạm tính) · <span class="tag tag-small">mẫu nhỏ</span>
tỷ lệ SIPAS dựa trên ít phiếu hợp lệ, cần thận trọng · <span class="tag tag-ev">thiếu TLKC</span>
tự chấm có điểm nhưng chưa có tài liệu kiểm chứng · {history_note}</p>
</section>
<section id="tien-do">
{progress_html}
</section>
<section id="theo-don-vi" class="owners">
<h2>Theo đơn vị phụ trách</h2>
{"".join(owner_html)}
</section>
<section id="du-lieu">
<h2>Tệp dữ liệu bị từ chối</h2>
{rejected_html}
<h2>Kiểm tra dữ liệu không đạt</h2>
{checks_html}
</section>
</main>
<footer>Lập tự động bởi chiso từ bảng criterion_gaps. Số điểm PAR và PAPI tính bằng điểm,
tỷ lệ SIPAS tính bằng %; chênh lệch = giá trị hiện tại − mục tiêu.</footer>
</body>
</html>
"""


def _progress_html(data: ReportData) -> str:
    """Key dates with days left, survey forms per unit, and ranks against the baseline year."""
    from flows.documents.summary import deadline_text

    parts = ["<h2>Các mốc thời gian của kế hoạch</h2>"]
    if data.deadlines:
        parts.append("<ul class='deadlines'>" + "".join(
            f"<li class='ph-{_e(d['phase'])}'>{_e(deadline_text(d))}</li>" for d in data.deadlines
        ) + "</ul>")
    else:
        parts.append("<p class='muted'>Kế hoạch chưa ghi mốc thời gian (key_dates).</p>")
    parts.append("<h2>Phiếu điều tra xã hội học</h2>")
    if data.participation:
        rows = "".join(
            f"<tr><td>{_e(r['index_name'])}</td><td>{_e(r['unit_name'] or r['unit_code'])}</td>"
            f"<td class='num'>{vi.number(r['forms_assigned'])}</td>"
            f"<td class='num'>{vi.number(r['forms_answered'])}</td>"
            f"<td class='num'>{_e(vi.percent(r['response_rate_pct']))}</td>"
            f"<td class='num'>{_e(vi.percent(r['target_pct']))}</td>"
            f"<td>{_status('met' if r['status'] == 'met' else 'missed')}</td></tr>"
            for r in data.participation
        )
        parts.append(
            "<table><thead><tr><th>Chỉ số</th><th>Đơn vị</th><th class='num'>Phiếu được giao"
            "</th><th class='num'>Đã trả lời</th><th class='num'>Tỷ lệ</th>"
            f"<th class='num'>Mục tiêu</th><th>Trạng thái</th></tr></thead><tbody>{rows}"
            "</tbody></table>")
    else:
        parts.append("<p class='muted'>Chưa có tệp tiến độ trả lời phiếu năm mục tiêu.</p>")
    parts.append("<h2>Xếp hạng so với năm cơ sở</h2>")
    if data.ranks:
        rows = "".join(
            f"<tr><td>{_e(r['index_name'])}</td><td>{_e(r['member'])}</td>"
            f"<td>{_e('Tổng' if r['scope'] == 'TOTAL' else r['scope'])}</td>"
            f"<td class='num'>{_e(r['baseline_rank'])}/{_e(r['baseline_n_ranked'])}</td>"
            f"<td class='num'>{_e(r['current_rank'] or '–')}/{_e(r['current_n_ranked'] or '–')}"
            f"</td><td>{_status(r['status'])}</td></tr>"
            for r in data.ranks
        )
        years = data.ranks[0]
        parts.append(
            "<p class='muted'>Hạng tính từ điểm công bố của mọi tỉnh hoặc đơn vị trong dữ liệu"
            " (đồng điểm cùng hạng), không phải bảng xếp hạng chính thức. Mục tiêu: hạng năm"
            f" {_e(years['current_year'])} cao hơn năm {_e(years['baseline_year'])}.</p>"
            "<table><thead><tr><th>Chỉ số</th><th>Tỉnh / đơn vị</th><th>Phạm vi</th>"
            f"<th class='num'>Hạng {_e(years['baseline_year'])}</th>"
            f"<th class='num'>Hạng {_e(years['current_year'])}</th><th>Trạng thái</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>")
    else:
        parts.append("<p class='muted'>Chưa có số liệu để xếp hạng.</p>")
    return "\n".join(parts)


# --- XLSX -------------------------------------------------------------------------------

# Excel shows the separators of the reader's locale; [$-42A] marks the formats Vietnamese
# (vi-VN), so on a Vietnamese system 1234,5 reads 1.234,5.
FMT_POINTS = "[$-42A]#,##0.0###"
FMT_PERCENT = '[$-42A]#,##0.00"%"'
FMT_GAP_POINTS = "[$-42A]+#,##0.0###;-#,##0.0###;0"
FMT_GAP_PERCENT = "[$-42A]+#,##0.00;-#,##0.00;0"
FMT_COUNT = "[$-42A]#,##0"
FMT_SHARE = "[$-42A]0.0%"


@dataclass(frozen=True)
class Column:
    header: str
    get: Callable[[dict], object]
    fmt: Callable[[dict], str | None] = lambda r: None
    width: int = 12


def _vfmt(r: dict) -> str:
    return FMT_PERCENT if r["index_name"] == "SIPAS" else FMT_POINTS


def _gfmt(r: dict) -> str:
    return FMT_GAP_PERCENT if r["index_name"] == "SIPAS" else FMT_GAP_POINTS


def _yes(v: bool | None) -> str:
    return "Có" if v else ""


XLSX_COLUMNS = [
    Column("Chỉ số", lambda r: r["index_name"], width=8),
    Column("Phụ lục", lambda r: r["appendix"], lambda r: FMT_COUNT, 8),
    Column("Đơn vị", lambda r: r["unit_code"], width=10),
    Column("Mã tiêu chí", lambda r: r["criterion_code"], width=10),
    Column("Tên tiêu chí", lambda r: r["criterion_name"], width=48),
    Column("Cấp", lambda r: r["level"], width=8),
    Column("Đơn vị phụ trách", lambda r: r["owner_name"], width=30),
    Column("Năm cơ sở", lambda r: r["baseline_year"], width=9),
    Column("Giá trị năm cơ sở", lambda r: r["baseline_value"], _vfmt, 13),
    Column("Số phiếu năm cơ sở", lambda r: r["baseline_n"], lambda r: FMT_COUNT, 11),
    Column("Giá trị tối đa", lambda r: r["max_value"], _vfmt, 11),
    Column("So sánh", lambda r: r["target_op"], width=8),
    Column("Mục tiêu", lambda r: r["target_value"], _vfmt, 12),
    Column("Mục tiêu bị giới hạn", lambda r: _yes(r["target_capped"]), width=10),
    Column("Năm mục tiêu", lambda r: r["current_year"], width=9),
    Column("Giá trị hiện tại", lambda r: r["current_value"], _vfmt, 13),
    Column("Số phiếu hiện tại", lambda r: r["current_n"], lambda r: FMT_COUNT, 11),
    Column("Giai đoạn số liệu", lambda r: STAGE_VI.get(r["current_stage"] or "", ""), width=13),
    Column("Chênh lệch", lambda r: r["gap"], _gfmt, 12),
    Column("Chênh lệch so với tối đa", relative_gap, lambda r: FMT_SHARE, 12),
    Column("Trạng thái", lambda r: STATUS_VI.get(r["status"], r["status"]), width=14),
    Column("Tài liệu kiểm chứng", lambda r: EVIDENCE_VI.get(r.get("evidence_status") or "", ""),
           width=16),
    Column("Thiếu TLKC", lambda r: _yes(r.get("evidence_missing")), width=8),
    Column("Mẫu nhỏ", lambda r: _yes(r["small_sample"]), width=8),
    Column("Quy tắc mục tiêu", lambda r: r["rule_vi"], width=60),
]


def _sheet_title(index_name: str, appendix: int | None) -> str:
    text = f"{index_name} – {appendix_label(appendix)}"
    for ch in "[]:*?/\\":
        text = text.replace(ch, " ")
    return text[:31]


def write_xlsx(data: ReportData, path: Path) -> None:
    """The gap tables for Excel: a summary sheet and one sheet per index and appendix."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    head_font = Font(bold=True, color="FFFFFF")
    head_fill = PatternFill("solid", fgColor="123C69")
    status_fill = {s: PatternFill("solid", fgColor=c.lstrip("#"))
                   for s, c in STATUS_COLOUR.items()}

    def header(ws, row: int, headers: list[str], widths: list[int]) -> None:
        for col, (h, w) in enumerate(zip(headers, widths, strict=True), 1):
            cell = ws.cell(row=row, column=col, value=h)
            cell.font, cell.fill = head_font, head_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            ws.column_dimensions[get_column_letter(col)].width = w
        ws.row_dimensions[row].height = 32

    wb = Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    ws["A1"] = data.title
    ws["A1"].font = Font(bold=True, size=13)
    info = []
    if data.baseline_year:
        info.append(f"Năm cơ sở {data.baseline_year}")
    if data.target_year:
        info.append(f"năm mục tiêu {data.target_year}")
    if data.as_of:
        info.append(f"số liệu ngày {vi.date(data.as_of)}")
    ws["A2"] = "; ".join(info)
    heads = ["Chỉ số", "Phụ lục", "Nội dung", "Tổng", *(STATUS_VI[s] for s in
             ("met", "missed", "at_risk", "no_data", "not_applicable")), "Tỷ lệ đạt"]
    header(ws, 4, heads, [10, 16, 52, 9, 9, 11, 11, 14, 14, 10])
    st = standing(data)
    for i, s in enumerate(st, 5):
        values = [s["index_name"], appendix_label(s["appendix"]),
                  APPENDIX_VI.get(s["appendix"], ""), s["total"],
                  *(s[k] for k in ("met", "missed", "at_risk", "no_data", "not_applicable"))]
        for col, v in enumerate(values, 1):
            c = ws.cell(row=i, column=col, value=v)
            if col >= 4:
                c.number_format = FMT_COUNT
        share = ws.cell(row=i, column=len(heads), value=s["met"] / s["total"] if s["total"] else 0)
        share.number_format = FMT_SHARE
    last = 4 + len(st)
    ws.freeze_panes = "A5"
    ws.auto_filter.ref = f"A4:{get_column_letter(len(heads))}{max(last, 5)}"

    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in data.gaps:
        groups[(r["index_name"], r["appendix"])].append(r)
    for s in st:
        rows = groups[(s["index_name"], s["appendix"])]
        sh = wb.create_sheet(_sheet_title(s["index_name"], s["appendix"]))
        header(sh, 1, [c.header for c in XLSX_COLUMNS], [c.width for c in XLSX_COLUMNS])
        status_col = [c.header for c in XLSX_COLUMNS].index("Trạng thái") + 1
        for i, r in enumerate(rows, 2):
            for col, spec in enumerate(XLSX_COLUMNS, 1):
                cell = sh.cell(row=i, column=col, value=spec.get(r))
                fmt = spec.fmt(r)
                if fmt and cell.value is not None:
                    cell.number_format = fmt
            if r["status"] in OFF_TRACK:
                cell = sh.cell(row=i, column=status_col)
                cell.fill, cell.font = status_fill[r["status"]], Font(bold=True, color="FFFFFF")
        sh.freeze_panes = "F2"  # header row and the criterion's identity stay in view
        sh.auto_filter.ref = f"A1:{get_column_letter(len(XLSX_COLUMNS))}{max(len(rows) + 1, 2)}"
    _atomic_save(path, wb.save)


# --- the entry point --------------------------------------------------------------------

def write_report(db: Path, out_dir: Path) -> tuple[Path, Path]:
    """Write the HTML report and the XLSX workbook from the published database."""
    data = load(Path(db))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, xlsx_path = out_dir / HTML_NAME, out_dir / XLSX_NAME
    html = render_html(data)
    _atomic_save(html_path, lambda p: Path(p).write_text(html, encoding="utf-8"))
    write_xlsx(data, xlsx_path)
    return html_path, xlsx_path
