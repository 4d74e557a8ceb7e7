"""`chiso runs`: the run history as the Office reads it, from the published `runs` table and the
alert log (emails made, sent, pending or unknown per run)."""

from __future__ import annotations

import duckdb

from flows import vietnamese as vi
from flows.documents.published import rows as _rows

RUNS_SQL = """
with runs as (
    select * from runs
),

emails as (
    {emails}
),

final as (
    select
        r.run_id,
        r.started_at,
        r.finished_at,
        date_diff('millisecond', r.started_at, r.finished_at) / 1000.0 as seconds,
        r.extracts_loaded,
        r.extracts_rejected,
        r.n_missed,
        r.n_at_risk,
        r.n_met,
        r.n_no_data,
        coalesce(e.n_made, 0) as emails_made,
        coalesce(e.n_delivered, 0) as emails_delivered,
        coalesce(e.n_waiting, 0) as emails_waiting,
    from runs as r
    left join emails as e using (run_id)
    order by r.started_at desc
    limit ?
)

select * from final
"""
EMAILS_SQL = """select run_id,
        count(*) as n_made,
        count(*) filter (where state in ('sent', 'written')) as n_delivered,
        count(*) filter (where state in ('pending', 'unknown')) as n_waiting,
    from alert_log group by run_id"""
NO_EMAILS_SQL = ("select null::varchar as run_id, 0 as n_made, 0 as n_delivered,"
                 " 0 as n_waiting where false")


def runs(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[dict]:
    """The latest runs, newest first (a connection from flows.query.connect)."""
    has_log = bool(con.execute(
        "select 1 from duckdb_tables() where table_name = 'alert_log'").fetchall())
    sql = RUNS_SQL.format(emails=EMAILS_SQL if has_log else NO_EMAILS_SQL)
    return _rows(con, sql, [limit])


def render(rows: list[dict]) -> str:
    if not rows:
        return "Chưa có lượt chạy nào được công bố."
    headers = ["Mã lượt chạy", "Bắt đầu", "Thời gian", "Tệp nạp", "Tệp từ chối", "Không đạt",
               "Nguy cơ", "Đạt", "Chưa có số liệu", "Thư (đã gửi/chờ)"]
    table = [[
        r["run_id"],
        vi.datetime(r["started_at"]) if r["started_at"] else "–",
        f"{vi.number(r['seconds'], 1)} giây" if r["seconds"] is not None else "–",
        vi.number(r["extracts_loaded"]), vi.number(r["extracts_rejected"]),
        vi.number(r["n_missed"]), vi.number(r["n_at_risk"]), vi.number(r["n_met"]),
        vi.number(r["n_no_data"]),
        f"{r['emails_delivered']}/{r['emails_waiting']}" if r["emails_made"] else "–",
    ] for r in rows]
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in table]
    lines.append(f"{len(rows)} lượt gần nhất, mới nhất trước. Dựng lại một lượt: chiso rebuild"
                 " MÃ_LƯỢT --out THƯ_MỤC")
    return "\n".join(lines)
