"""The province's documents: the console summary of a province run and the overview for the
monitoring office (`chiso report --province`), from the province file's marts
(sql/province/rpt_province__*.sql); the words are in templates/province_*.j2."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from flows.documents import published
from flows.documents.render import render
from flows.errors import ChisoError
from flows.warehouse.run_records import TZ

NEEDED = ("rpt_province__plans", "province_plans", "province_unrouted", "plan_rejected",
          "province_run")


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


def render_run(summary, db: Path) -> str:
    """The console text of a province run: one line per plan, the files no plan took."""
    with published.read_only(db) as con:
        _require(con, db)
        plans = published.rows(con, "select * from rpt_province__plans")
        unrouted = published.rows(con, "select * from province_unrouted order by file")
        rejected = published.rows(con, "select * from plan_rejected order by all")
    _local(*plans)
    counts = {k: sum(p["status"] in v for p in plans) for k, v in (
        ("published", ("published",)), ("stale", ("stale",)), ("failed", ("failed", "invalid")))}
    return render("province_run.txt.j2", s=summary, plans=plans, unrouted=unrouted, db=db,
                  rejected=rejected, **counts)


STATUS_VI = {"published": "Đã công bố", "stale": "Kết quả cũ", "failed": "Lỗi, chưa có kết quả",
             "invalid": "Kế hoạch không hợp lệ"}
OVERVIEW_HTML, OVERVIEW_XLSX = "chiso-tong-hop-tinh.html", "chiso-tong-hop-tinh.xlsx"
# the overview's XLSX: (rpt_province__plans column, header, width, number format)
XLSX_COLUMNS = (
    ("plan_id", "Mã kế hoạch", 16, None), ("title", "Kế hoạch", 50, None),
    ("status_vi", "Trạng thái", 16, None), ("published_at", "Công bố lúc", 18, None),
    ("n_criteria", "Tiêu chí", 9, "#,##0"), ("n_off_track", "Chưa đạt", 9, "#,##0"),
    ("n_off_1", "PL1", 6, "#,##0"), ("n_off_2", "PL2", 6, "#,##0"),
    ("n_off_3", "PL3", 6, "#,##0"), ("n_off_4", "PL4", 6, "#,##0"),
    ("n_evidence_missing", "Thiếu TLKC", 10, "#,##0"),
    ("n_units_lagging", "Đơn vị chưa đủ phiếu", 12, "#,##0"),
    ("n_rejected", "Tệp bị từ chối", 9, "#,##0"), ("message", "Lý do (khi chưa công bố)", 50, None),
    ("next_deadline", "Mốc gần nhất", 40, None), ("next_deadline_date", "Ngày", 11, "dd/mm/yyyy"),
    ("next_deadline_days", "Còn (ngày)", 9, "#,##0"), ("worst_codes", "Xa mục tiêu nhất", 30, None),
    ("change_off_track", "So với lượt trước", 10, "+#,##0;-#,##0;0"),
)


def write_overview(db: Path, out_dir: Path, plan_reports: bool = True) -> tuple[Path, Path]:
    """The overview (HTML, XLSX) from the province file, and each published plan's own report
    beside its file (plans/<id>/report/), which the overview links to. Writes no database."""
    import openpyxl
    from openpyxl.styles import Font

    from flows.documents.report import HTML_NAME, TEMPLATES, write_report

    out_dir.mkdir(parents=True, exist_ok=True)
    with published.read_only(db) as con:
        _require(con, db)
        plans = published.rows(con, "select * from rpt_province__plans")
        files = dict(con.execute("select plan_id, db_file from province_plans").fetchall())
        unrouted = published.rows(con, "select * from province_unrouted order by file")
        rejected = published.rows(con, "select * from plan_rejected order by all")
        run = published.rows(con, "select * from province_run")[0]
        previous = con.execute("select max(previous_run_at) from rpt_province__plans"
                               ).fetchall()[0][0]
    _local(*plans, run)
    if isinstance(previous, dt.datetime):
        previous = previous.astimezone(TZ)
    for p in plans:
        p["status_vi"] = STATUS_VI[p["status"]]
        p["report_href"] = None
        plan_db = files.get(p["plan_id"])
        if plan_reports and plan_db and Path(plan_db).exists():
            html, _ = write_report(Path(plan_db), Path(plan_db).parent / "report")
            p["report_href"] = Path(os.path.relpath(html, out_dir)).as_posix()
        elif plan_db:
            href = Path(plan_db).parent / "report" / HTML_NAME
            p["report_href"] = Path(os.path.relpath(href, out_dir)).as_posix()
    counts = {"published": sum(p["status"] == "published" for p in plans),
              "stale": sum(p["status"] == "stale" for p in plans),
              "failed": sum(p["status"] in ("failed", "invalid") for p in plans)}
    html = render("province.html.j2", province=run["province"], plans=plans, run=run,
                  unrouted=unrouted, rejected=rejected, counts=counts, previous_run=previous,
                  office=run["office_name"],
                  css=(TEMPLATES / "report.css").read_text(encoding="utf-8"),
                  generated_at=dt.datetime.now(TZ))
    html_path, xlsx_path = out_dir / OVERVIEW_HTML, out_dir / OVERVIEW_XLSX
    published.atomic_save(html_path, lambda p: Path(p).write_text(html, encoding="utf-8"))
    wb = openpyxl.Workbook()
    sh = wb.active
    sh.title = "Tổng hợp"
    for col, (_, header, width, _) in enumerate(XLSX_COLUMNS, 1):
        sh.cell(row=1, column=col, value=header).font = Font(bold=True)
        sh.column_dimensions[openpyxl.utils.get_column_letter(col)].width = width
    for i, p in enumerate(plans, 2):
        for col, (key, _, _, fmt) in enumerate(XLSX_COLUMNS, 1):
            value = p[key]
            if isinstance(value, dt.datetime):
                value = value.astimezone(TZ).replace(tzinfo=None)
            cell = sh.cell(row=i, column=col, value=value)
            if fmt and value is not None:
                cell.number_format = fmt
    sh.freeze_panes = "C2"
    sh.auto_filter.ref = f"A1:{openpyxl.utils.get_column_letter(len(XLSX_COLUMNS))}{len(plans) + 1}"
    published.atomic_save(xlsx_path, wb.save)
    return html_path, xlsx_path

