"""The province's documents: the console summary of a province run and the overview for the
monitoring office (`chiso report --province`), from the province file's marts
(sql/province/rpt_province__*.sql); the words are in templates/province_*.j2."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from flows import yamlfile
from flows.documents import published
from flows.documents.render import labels, render
from flows.errors import ChisoError
from flows.warehouse.run_records import TZ

NEEDED = ("rpt_province__plans", "rpt_province__standing", "province_plans",
          "province_unrouted", "plan_rejected")


def _require(con, db: Path) -> None:
    """A province file written by an older chiso lacks what the documents read: say so."""
    have = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    missing = [t for t in NEEDED if t not in have]
    if missing:
        raise ChisoError(f"{db} không có bảng {', '.join(missing)} (tệp tổng hợp lập bởi phiên"
                         " bản chiso cũ hơn): chạy lại `chiso run --province` rồi lập báo cáo")


def _local(*rows: dict) -> None:
    """Times as people read them here: Asia/Ho_Chi_Minh."""
    for row in rows:
        for k, v in row.items():
            if isinstance(v, dt.datetime) and v.tzinfo is not None:
                row[k] = v.astimezone(TZ)


def render_run(db: Path) -> str:
    """The console text of a province run: one line per plan, the files no plan took."""
    with published.read_only(db) as con:
        _require(con, db)
        standing = published.rows(con, "select * from rpt_province__standing")[0]
        plans = published.rows(con, "select * from rpt_province__plans")
        unrouted = published.rows(con, "select * from province_unrouted order by file")
        rejected = published.rows(con, "select * from plan_rejected order by all")
    _local(*plans)
    return render("province_run.txt.j2", standing=standing, plans=plans, unrouted=unrouted,
                  db=db, rejected=rejected)


OVERVIEW_HTML, OVERVIEW_XLSX = "chiso-tong-hop-tinh.html", "chiso-tong-hop-tinh.xlsx"


def write_overview(db: Path, out_dir: Path, plan_reports: bool = True) -> tuple[Path, Path]:
    """The overview (HTML, XLSX) from the province file, and each published plan's own report
    beside its file (plans/<id>/report/), which the overview links to. Writes no database."""
    from flows.documents.report import HTML_NAME, TEMPLATES, write_report

    out_dir.mkdir(parents=True, exist_ok=True)
    with published.read_only(db) as con:
        _require(con, db)
        standing = published.rows(con, "select * from rpt_province__standing")[0]
        plans = published.rows(con, "select * from rpt_province__plans")
        files = dict(con.execute("select plan_id, db_file from province_plans").fetchall())
        unrouted = published.rows(con, "select * from province_unrouted order by file")
        rejected = published.rows(con, "select * from plan_rejected order by all")
    _local(*plans, standing)
    for p in plans:
        p["report_href"] = None
        plan_db = files.get(p["plan_id"])
        if plan_reports and plan_db and Path(plan_db).exists():
            html, _ = write_report(Path(plan_db), Path(plan_db).parent / "report")
            p["report_href"] = Path(os.path.relpath(html, out_dir)).as_posix()
        elif plan_db:
            href = Path(plan_db).parent / "report" / HTML_NAME
            p["report_href"] = Path(os.path.relpath(href, out_dir)).as_posix()
    html = render("province.html.j2", standing=standing, plans=plans, unrouted=unrouted,
                  rejected=rejected, css=(TEMPLATES / "report.css").read_text(encoding="utf-8"),
                  generated_at=dt.datetime.now(TZ))
    html_path, xlsx_path = out_dir / OVERVIEW_HTML, out_dir / OVERVIEW_XLSX
    published.atomic_save(html_path, lambda p: Path(p).write_text(html, encoding="utf-8"))
    published.atomic_save(xlsx_path, lambda p: _overview_xlsx(plans).save(p))
    return html_path, xlsx_path


def _overview_xlsx(plans: list[dict]):
    """The overview's workbook; its columns and words are templates/province_xlsx.yml.j2."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    spec = yamlfile.load(render("province_xlsx.yml.j2"))
    columns, words = spec["columns"], {"plan_status": labels().plan_status}
    wb = openpyxl.Workbook()
    sh = wb.active
    sh.title = spec["title"]
    for col, c in enumerate(columns, 1):
        sh.cell(row=1, column=col, value=c["header"]).font = Font(bold=True)
        sh.column_dimensions[get_column_letter(col)].width = c["width"]
    for i, p in enumerate(plans, 2):
        for col, c in enumerate(columns, 1):
            value = p[c["key"]]
            if isinstance(value, dt.datetime):
                value = value.replace(tzinfo=None)  # local time already (_local)
            elif c.get("words") and value is not None:
                value = words[c["words"]](value)
            cell = sh.cell(row=i, column=col, value=value)
            if c.get("format") and value is not None:
                cell.number_format = c["format"]
    sh.freeze_panes = "C2"
    sh.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(plans) + 1}"
    return wb
