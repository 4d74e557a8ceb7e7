"""The run summary: what was loaded or rejected, how each index stands, and which criteria
miss their targets; rendered in Vietnamese for the Office."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import duckdb

from flows import vietnamese as vi
from flows.checks.gx import Outcome
from flows.documents import published
from flows.intake.ingest import ExtractOutcome
from flows.plan import Plan
from flows.warehouse.db import has_table
from flows.warehouse.run_records import RunInfo

STATUS_VI = {
    "met": "Đạt",
    "missed": "Không đạt",
    "at_risk": "Có nguy cơ",
    "no_data": "Chưa có số liệu",
    "not_applicable": "Không áp dụng",
}
STAGE_VI = {"self_assessed": "tự đánh giá", "appraised": "thẩm định", "final": "chính thức",
            "interim": "khảo sát tạm thời"}
# The worst off-track rows a summary keeps (a national run has hundreds of thousands; they are
# all in criterion_gaps): the summary is printed, returned by the flow, held in memory.
OFF_TRACK_KEPT = 200


@dataclass
class RunSummary:
    run: RunInfo
    plan_title: str
    baseline_year: int
    target_year: int
    extracts: list[ExtractOutcome]
    standing: list[dict]  # per index x appendix: counts by status
    off_track: list[dict]  # the worst OFF_TRACK_KEPT missed and at_risk rows, worst gap first
    checks: list[Outcome] = field(default_factory=list)
    alerts: object | None = None  # flows.alerts.AlertReport, once alerting has run
    ranks: list[dict] = field(default_factory=list)  # rank_targets rows
    off_track_counts: dict[str, int] | None = None  # status -> rows in all of criterion_gaps
    deferred: list = field(default_factory=list)  # flows.intake.Deferred: left for next run
    replacements: list[dict] = field(default_factory=list)  # extract_replacements rows
    reported_before: set[str] = field(default_factory=set)  # rejected files told already
    n_evidence_missing: int = 0  # PAR criteria scored above zero without evidence
    lagging: list[dict] = field(default_factory=list)  # participation_targets below target
    deadlines: list[dict] = field(default_factory=list)  # deadline_watch rows
    tree_mismatches: list[dict] = field(default_factory=list)  # criterion_gaps rows

    def count_off_track(self, status: str | None = None) -> int:
        """Missed and at-risk criteria (of one status), all of them, not only those kept."""
        if self.off_track_counts is None:  # made by hand: off_track holds every row
            return sum(status in (None, r["status"]) for r in self.off_track)
        return sum(n for s, n in self.off_track_counts.items() if status in (None, s))

    @property
    def rejected(self) -> list[ExtractOutcome]:
        return [e for e in self.extracts if e.status == "rejected"]

    @property
    def newly_rejected(self) -> list[ExtractOutcome]:
        return [e for e in self.rejected if e.file not in self.reported_before]

    @property
    def checks_failed(self) -> list[Outcome]:
        return [c for c in self.checks if not c.success and not c.meta.get("flags_targets")]


def collect_summary(
    con: duckdb.DuckDBPyConnection, run: RunInfo, plan: Plan,
    extracts: list[ExtractOutcome], checks: list[Outcome], deferred: list | tuple = (),
) -> RunSummary:
    """Read the standing and the off-track criteria from the built database."""
    def rows(sql: str, params: list | None = None) -> list[dict]:
        return published.rows(con, sql, params)

    standing = rows(
        """select index_name, appendix,
               count(*) as total,
               count(*) filter (where status = 'met') as met,
               count(*) filter (where status = 'missed') as missed,
               count(*) filter (where status = 'at_risk') as at_risk,
               count(*) filter (where status = 'no_data') as no_data,
               count(*) filter (where status = 'not_applicable') as not_applicable
           from criterion_gaps group by index_name, appendix
           order by list_position(['PAR', 'SIPAS', 'PAPI'], index_name), appendix nulls last"""
    )
    off_track = rows(
        f"""select * from criterion_gaps where status in ('missed', 'at_risk')
           order by gap / nullif(max_value, 0), index_name, criterion_code
           limit {OFF_TRACK_KEPT}"""
    )
    counts = dict(con.execute(
        "select status, count(*) from criterion_gaps where status in ('missed', 'at_risk')"
        " group by status"
    ).fetchall())
    progress = published.progress(con, plan.target_year)
    replacements = rows(
        "select * from extract_replacements where run_id = ? order by all", [run.run_id]
    ) if has_table(con, "extract_replacements") else []
    told = {r[0] for r in con.execute(
        "select file from extracts where run_id = ? and reported_before", [run.run_id]
    ).fetchall()}
    return RunSummary(run, plan.title, plan.baseline_year, plan.target_year, extracts,
                      standing, off_track, checks, ranks=progress.ranks,
                      off_track_counts=counts, deferred=list(deferred),
                      replacements=replacements, reported_before=told,
                      n_evidence_missing=progress.n_evidence_missing, lagging=progress.lagging,
                      deadlines=progress.deadlines, tree_mismatches=progress.tree_mismatches)


def _value(index_name: str, value: Decimal | None) -> str:
    if value is None:
        return "–"
    return vi.percent(value) if index_name == "SIPAS" else vi.number(value)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def render(summary: RunSummary, db_path: str, limit: int = 40, log_path=None) -> str:
    """The summary as a person reads it in a terminal or the morning email (Vietnamese)."""
    run = summary.run
    out = [
        f"chiso — kết quả lượt chạy {run.run_id} ({vi.datetime(run.started_at)})",
        summary.plan_title,
        f"Năm cơ sở {summary.baseline_year} → năm mục tiêu {summary.target_year}."
        f" Cơ sở dữ liệu: {db_path}",
        "",
        "Tệp dữ liệu:",
    ]
    for e in summary.extracts:
        if e.status == "loaded":
            out.append(f"  ✓ {e.file}: {vi.number(e.n_rows)} dòng ({e.kinds})")
            out += [f"      lưu ý: {w}" for w in e.warnings]
        elif e.file not in summary.reported_before:
            out.append(f"  ✗ {e.file}: KHÔNG NẠP — {e.message}")
    if not summary.extracts:
        out.append("  (không có tệp nào)")
    told = sorted(summary.reported_before)
    if told:
        out.append(f"  ✗ {len(told)} tệp đã báo lỗi ở lượt trước, chưa sửa (không nạp):"
                   f" {', '.join(told)}")
    for r in summary.replacements:
        what = " ".join(x for x in (r["unit"], r["year"]) if x)
        out.append(f"  ↻ {r['by_file']} thay thế {r['replaced_file']}"
                   f"{f' cho {what}' if what else ''} (bỏ {vi.number(r['n_rows'])} dòng cũ)")
    for d in summary.deferred:
        out.append(f"  … {d.name}: {d.reason}")
    out += ["", "Tình hình theo chỉ số và phụ lục:"]
    out.append(_table(
        ["Chỉ số", "Phụ lục", "Tổng", "Đạt", "Không đạt", "Nguy cơ", "Chưa có số liệu",
         "Không áp dụng"],
        [[s["index_name"], str(s["appendix"] or "–"), str(s["total"]), str(s["met"]),
          str(s["missed"]), str(s["at_risk"]), str(s["no_data"]), str(s["not_applicable"])]
         for s in summary.standing],
    ))
    out += ["", f"Tiêu chí chưa đạt mục tiêu: {summary.count_off_track()}"
            f" (không đạt {summary.count_off_track('missed')},"
            f" có nguy cơ {summary.count_off_track('at_risk')});"
            f" tự chấm có điểm nhưng thiếu tài liệu kiểm chứng: {summary.n_evidence_missing}"]
    if summary.off_track:
        rows = []
        for r in summary.off_track[:limit]:
            stage = STAGE_VI.get(r["current_stage"], "")
            rows.append([
                r["index_name"], str(r["appendix"]), r["unit_code"], r["criterion_code"],
                (r["criterion_name"] or "")[:38],
                _value(r["index_name"], r["baseline_value"]),
                f"{r['target_op']} {_value(r['index_name'], r['target_value'])}",
                f"{_value(r['index_name'], r['current_value'])} ({stage})",
                vi.signed(r["gap"], 2 if r["index_name"] == "SIPAS" else None),
                STATUS_VI[r["status"]] + (" · thiếu TLKC" if r.get("evidence_missing") else ""),
                r["owner_unit"] or "–",
            ])
        out.append(_table(
            ["Chỉ số", "PL", "Đơn vị", "Mã", "Tên tiêu chí", "Cơ sở", "Mục tiêu", "Hiện tại",
             "Chênh lệch", "Trạng thái", "Phụ trách"],
            rows,
        ))
        if summary.count_off_track() > limit:
            out.append(f"… và {summary.count_off_track() - limit} tiêu chí khác"
                       " (xem criterion_gaps).")
    if summary.tree_mismatches:
        out += ["", TREE_HEADING + ":"]
        out += [f"  {tree_mismatch_text(r)}" for r in summary.tree_mismatches]
    if summary.ranks:
        out += ["", render_ranks(summary.ranks)]
    if summary.lagging:
        out += ["", "Đơn vị chưa trả lời đủ phiếu điều tra xã hội học:"]
        out += [f"  {r['unit_name'] or r['unit_code']} ({r['index_name']}): đã trả lời"
                f" {r['forms_answered']}/{r['forms_assigned']} phiếu"
                f" ({vi.percent(r['response_rate_pct'])}; mục tiêu {vi.percent(r['target_pct'])})"
                for r in summary.lagging]
    if summary.deadlines:
        out += ["", "Các mốc thời gian của kế hoạch:"]
        out += [f"  {deadline_text(d)}" for d in summary.deadlines]
    out += ["", *render_checks(summary)]
    if summary.alerts is not None:
        out += ["", render_alerts(summary.alerts)]
    if log_path:
        out += ["", f"Nhật ký chi tiết (tiếng Anh): {log_path}"]
    return "\n".join(out)


def render_checks(summary: RunSummary) -> list[str]:
    """The checks' line: the input rules every extract met or failed (SQL, as it loaded;
    rejected files included) and the expectations on what was published (GX)."""
    rules = [c for e in summary.extracts for c in e.checks]
    n_rules_ok = sum(c.success for c in rules)
    n_loaded = sum(e.status == "loaded" for e in summary.extracts)
    failed = summary.checks_failed
    lines = [
        f"Kiểm tra dữ liệu: tệp đầu vào {n_loaded}/{len(summary.extracts)} được nạp"
        f" ({n_rules_ok}/{len(rules)} quy tắc đạt, kiểm tra bằng SQL khi nạp);"
        f" kết quả công bố {len(summary.checks) - len(failed)}/{len(summary.checks)} kỳ vọng"
        " đạt (Great Expectations)."
    ]
    for e in summary.rejected:
        bad = [c.meta.get("vi", c.column) for c in e.checks if not c.success]
        if bad:
            lines.append(f"  ✗ {e.file}: {'; '.join(bad)}")
    lines += [f"  ✗ {c.meta.get('vi', c.expectation)} ({c.column or ''}: {c.observed})"
              for c in failed]
    return lines


TREE_HEADING = ("Tiêu chí có điểm khác tổng điểm các tiêu chí con (mục tiêu vẫn xét theo điểm"
                " ghi ở tiêu chí, như khi thẩm định)")


def tree_mismatch_text(r: dict) -> str:
    """A PAR criterion whose own score differs from its sub-criteria's sum, in one line."""
    years = [
        f"năm {year} ghi {vi.number(stated)}, tổng các tiêu chí con {vi.number(children)}"
        for year, stated, children in (
            (r["baseline_year"], r["baseline_value"], r["baseline_children_value"]),
            (r["current_year"], r["current_value"], r["children_value"]),
        )
        if stated is not None and children is not None and stated != children
    ] or ["điểm tự đánh giá hoặc điểm thẩm định khác tổng các tiêu chí con (xem cảnh báo"
          " của tệp điểm)"]
    return (f"{r['criterion_code']} {r['criterion_name'] or ''} ({r['unit_code']}): "
            + "; ".join(years))


def render_ranks(ranks: list[dict]) -> str:
    """The plan's "higher position" targets, computed from the published scores."""
    rows = [[
        r["index_name"], r["member"], "Tổng" if r["scope"] == "TOTAL" else r["scope"],
        f"{r['baseline_rank']}/{r['baseline_n_ranked']}",
        f"{r['current_rank']}/{r['current_n_ranked']}" if r["current_rank"] else "–",
        STATUS_VI[r["status"]],
    ] for r in ranks]
    return (
        "Xếp hạng (tính từ điểm công bố, không phải bảng xếp hạng chính thức):\n"
        + _table(["Chỉ số", "Tỉnh / đơn vị", "Phạm vi", f"Hạng {ranks[0]['baseline_year']}",
                  f"Hạng {ranks[0]['current_year']}", "Mục tiêu hạng cao hơn"], rows)
    )


def deadline_text(d: dict) -> str:
    """One key date as the Office reads it: the days left, and what is still open for it."""
    when = (f"{vi.date(d['starts'])} – {vi.date(d['ends'])}" if d["starts"] != d["ends"]
            else vi.date(d["ends"]))
    days = d["days_left"]
    if d["phase"] == "passed":
        left = f"đã qua {vi.number(-days)} ngày"
    elif days == 0:
        left = "hôm nay là hạn cuối"
    else:
        left = f"còn {vi.number(days)} ngày"
        if d["phase"] == "ongoing":
            left += " (đang diễn ra)"
    open_items = []

    def codes(values: list) -> str:
        return ", ".join(values[:8]) + ("…" if len(values) > 8 else "")

    if d["n_missed"]:
        open_items.append(f"{d['n_missed']} tiêu chí không đạt")
    if d["n_at_risk"]:
        open_items.append(f"{d['n_at_risk']} tiêu chí có nguy cơ ({codes(d['at_risk_codes'])})")
    if d["n_evidence_missing"]:
        open_items.append(f"{d['n_evidence_missing']} tiêu chí thiếu tài liệu kiểm chứng"
                          f" ({codes(d['evidence_missing_codes'])})")
    if d["n_units_lagging"]:
        open_items.append(f"{d['n_units_lagging']} đơn vị chưa trả lời đủ phiếu"
                          f" ({codes(d['lagging_units'])})")
    index = f" [{d['index_name']}]" if d["index_name"] else ""
    tail = ": " + "; ".join(open_items) if open_items else ": không còn việc tồn đọng"
    return f"{d['label']}{index} ({when}): {left}{tail}"



def render_alerts(report) -> str:
    """One paragraph on what alerting did (Vietnamese); the counts are the alert log's."""
    if report.mode == "outbox":
        head = (f"Thư báo: chưa cấu hình SMTP, {len(report.written)} thư đã ghi thành tệp .eml"
                f" trong {report.outbox}.")
    else:
        head = f"Thư báo: đã gửi {len(report.sent)} thư."
    lines = [head]
    if not report.owner_emails_on:
        lines.append("  Thư cho đơn vị phụ trách chưa bật (alerts.owner_emails): chỉ gửi bản"
                     " tổng hợp cho Văn phòng.")
    if report.superseded:
        lines.append(f"  {len(report.superseded)} thư chưa gửi được từ lượt trước được thay bằng"
                     " thư mới của lượt này (không gửi thư cũ).")
    if report.pending:
        lines.append(f"  {len(report.pending)} thư chưa gửi được, sẽ thử lại ở lượt sau"
                     + (" (không kết nối được máy chủ thư)." if report.unreachable else "."))
    if report.unknown:
        lines.append(f"  {len(report.unknown)} thư không rõ đã gửi hay chưa (không gửi lại tự"
                     " động): xem bảng alert_log.")
    if not report.created and not report.sent and not report.written:
        lines.append("  Không có gì mới để báo.")
    if report.log_path:
        lines.append(f"  Nhật ký thư: {report.log_path} (bảng alert_log; `chiso sql` đọc sẵn).")
    return "\n".join(lines)
