"""`chiso sql`: the published results, read-only, on the pinned DuckDB (the DuckDB command-line
tool on the package registry is older and cannot open these files).

The results file and the alert log (chiso.alerts.duckdb) are attached read-only to an
in-memory database and both are on the search path, so `select * from alert_log` and
`select * from criterion_gaps` work alike. A query comes from the argument, from standard
input, or from an interactive prompt; tables print as boxes, or as CSV or JSON on request.
Opening read-only never blocks a run, and a run never blocks this.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import json
import sys
from pathlib import Path
from typing import TextIO

import duckdb

from flows.documents import published
from flows.errors import ConfigError

PROMPT, MORE = "chiso> ", "   ...> "
MAX_ROWS_SHOWN = 10_000


def connect(db: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the results (`chiso`) and the alert log (`alerts`, when there
    is one) attached read-only and searched in that order."""
    if not db.exists():
        raise ConfigError(f"chưa có cơ sở dữ liệu {db}: chạy `chiso run` trước, hoặc chỉ"
                          " đường dẫn khác bằng --db")
    from flows.notify.store import published_log_path

    con = duckdb.connect()

    def attach(file: Path, name: str) -> None:
        published.settled(file, lambda: con.execute(f"attach ? as {name} (read_only)",
                                                    [str(file)]),
                          lambda _: con.execute(f"detach {name}"))

    attach(db, "chiso")
    path = ["chiso.main"]
    log = published_log_path(db)
    if log.exists():
        attach(log, "alerts")
        path.append("alerts.main")
    con.execute("use chiso")
    con.execute(f"set search_path = '{','.join(path)}'")
    return con


def _plain(value: object) -> object:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def write_result(rel: duckdb.DuckDBPyRelation, fmt: str, out: TextIO) -> None:
    """Print a query's result: a box table (DuckDB's), CSV with a header, or JSON lines."""
    if fmt == "table":
        out.write(rel.__repr__() if rel.shape[0] <= MAX_ROWS_SHOWN else
                  rel.limit(MAX_ROWS_SHOWN).__repr__() + f"\n(chỉ hiện {MAX_ROWS_SHOWN} dòng"
                  " đầu; dùng --csv để lấy hết)")
        out.write("\n")
        return
    columns = rel.columns
    rows = rel.fetchall()
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_plain(v) for v in r] for r in rows])
    else:
        for r in rows:
            out.write(json.dumps({c: _plain(v) for c, v in zip(columns, r, strict=True)},
                                 ensure_ascii=False, default=str) + "\n")


def run_query(con: duckdb.DuckDBPyConnection, sql: str, fmt: str, out: TextIO) -> None:
    """Run one or more statements; print the result of each that returns rows."""
    statements = [s for s in _split(sql) if s.strip()]
    for statement in statements:
        rel = con.sql(statement)
        if rel is not None:
            write_result(rel, fmt, out)


def _split(sql: str) -> list[str]:
    """Statements of a script, split where DuckDB's parser says they end."""
    try:
        return [s.query for s in duckdb.extract_statements(sql)]
    except duckdb.Error:
        return [sql]


def interactive(con: duckdb.DuckDBPyConnection, fmt: str) -> int:
    """A prompt: statements end with ';' (or an empty line); .tables lists the tables; .quit
    (or Ctrl-D) leaves."""
    try:
        import readline  # noqa: F401  (line editing and history where available)
    except ImportError:
        pass
    print("chiso sql — chỉ đọc. Câu lệnh kết thúc bằng ';'. Gõ .tables để xem các bảng,"
          " .quit để thoát.")
    buffer: list[str] = []
    while True:
        try:
            line = input(MORE if buffer else PROMPT)
        except EOFError:
            print()
            return 0
        except KeyboardInterrupt:
            print()
            buffer = []
            continue
        stripped = line.strip()
        if not buffer and stripped in (".quit", ".exit", "\\q"):
            return 0
        if not buffer and stripped == ".tables":
            stripped = ("select database_name as csdl, table_name as bang, estimated_size as"
                        " so_dong, comment as mo_ta from duckdb_tables() order by all;")
        buffer.append(stripped if stripped.startswith("select database_name") else line)
        text = "\n".join(buffer)
        if not text.strip():
            buffer = []
            continue
        if not (text.rstrip().endswith(";") or stripped == ""):
            continue
        buffer = []
        try:
            run_query(con, text, fmt, sys.stdout)
        except duckdb.Error as exc:
            print(f"Lỗi: {exc}", file=sys.stderr)
