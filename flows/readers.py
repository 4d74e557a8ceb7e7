"""Readers: turn one extract file (CSV or XLSX) into rows of the `incoming` table.

CSV is read by DuckDB itself (read_csv, every cell as text); only the header line is read
in Python, to recognise the layout. XLSX is small by nature and read with openpyxl. Either
way the result is the same: a temp table `incoming` with the raw table's canonical
columns as text, plus provenance (source_file, source_sheet, source_sha256, source_row,
where source_row is the row a person sees in Excel or an editor, header = row 1).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from flows.errors import ExtractError, Problem
from flows.extract_kinds import TABLE_COLUMNS, HeaderError, HeaderMap, near_miss, recognise
from flows.sqlquote import identifier

READABLE_SUFFIXES = (".csv", ".xlsx")
HEADER_SEARCH_ROWS = 10  # XLSX: the header may sit below a title block
CSV_HEAD_BYTES = 1 << 16  # CSV: how much is read in Python to find the header
KINDS_VI = (
    "dòng tiêu đề của một trong các loại tệp đã mô tả (điểm PAR INDEX, phiếu/tiêu chí/tỷ lệ"
    " SIPAS, điểm PAPI; xem data/README.md)"
)
UTF8_VI = "tệp CSV mã hoá UTF-8 (lưu dưới dạng 'CSV UTF-8')"


@dataclass(frozen=True)
class Part:
    """One loadable piece of an extract: a CSV file, or one visible sheet of a workbook."""

    path: Path
    name: str  # how the file is named to people (relative to the inbox)
    sheet: str | None
    header: HeaderMap
    header_row: int
    delimiter: str = ","

    @property
    def kind(self) -> str:
        return self.header.kind.name

    @property
    def table(self) -> str:
        return self.header.kind.table


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def inspect(path: Path, name: str | None = None) -> list[Part]:
    """Recognise the layout of every loadable part of a file; raise ExtractError if none."""
    name = name or path.name
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [_inspect_csv(path, name)]
    if suffix == ".xlsx":
        return _inspect_xlsx(path, name)
    got = f"tệp này có đuôi {path.suffix}" if path.suffix else "tệp này không có đuôi"
    raise ExtractError(
        name,
        [Problem(name, expected=f"một tệp .csv hoặc .xlsx ({got}); xem data/README.md",
                 kind="unreadable_file")],
    )


def load(con: duckdb.DuckDBPyConnection, part: Part, sha256: str) -> int:
    """Replace the temp table `incoming` with this part's rows; return the row count."""
    con.execute("drop table if exists incoming_raw")
    try:
        if part.sheet is None:
            _stage_csv(con, part)
            row_expr = f"row_number() over (order by rowid) + {part.header_row}"
        else:
            _stage_xlsx(con, part)
            row_expr = "_row"
    except duckdb.Error as exc:
        raise ExtractError(part.name, [_csv_problem(part.name, exc)]) from None

    def provenance(row: str) -> str:
        return ("?::varchar as source_file, ?::varchar as source_sheet,"
                f" ?::varchar as source_sha256, ({row})::integer as source_row")

    names = part.header.names
    header = part.header
    if header.kind.wide_codes is None:
        cols = ", ".join(
            f'"c{names.index(c)}" as {c}' if c in names else f"null::varchar as {c}"
            for c in TABLE_COLUMNS[part.table]
        )
        sql = f"select {cols}, {provenance(row_expr)} from incoming_raw"
    else:
        # Wide layouts: one column per code becomes one row per code (blank cells dropped).
        ids = [c for c in TABLE_COLUMNS[part.table] if c in names]
        code_col, value_col = ("question_code", "answer") if part.table == "sipas_answers" \
            else ("code", "score")
        id_select = ", ".join(f'"c{names.index(c)}" as {c}' for c in ids)
        code_select = ", ".join(
            f'"c{names.index(code)}" as {identifier(code)}' for code in header.codes
        )
        unpivot_cols = ", ".join(identifier(code) for code in header.codes)
        out_cols = ", ".join(TABLE_COLUMNS[part.table])
        sql = (
            f"select {out_cols}, {provenance('_row_number')} from ("
            f"  unpivot (select {id_select}, {code_select}, {row_expr} as _row_number"
            f"           from incoming_raw)"
            f"  on {unpivot_cols} into name {code_col} value {value_col}"
            f") order by _row_number"
        )
    con.execute(f"create or replace temp table incoming as {sql}", [part.name, part.sheet, sha256])
    con.execute("drop table if exists incoming_raw")
    return con.execute("select count(*) from incoming").fetchall()[0][0]


# --- CSV ---------------------------------------------------------------------------------

def _inspect_csv(path: Path, name: str) -> Part:
    with path.open("rb") as f:
        head = f.read(CSV_HEAD_BYTES)
    truncated = len(head) == CSV_HEAD_BYTES
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Only a cut in the middle of a multi-byte character at the end of what was read is
        # fine; anywhere else (or at the real end of the file) the file is not UTF-8.
        cut = truncated and exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
        if not cut:
            line = head[: exc.start].count(b"\n") + 1
            raise ExtractError(
                name, [Problem(name, row=line, expected=UTF8_VI, kind="not_utf8")]
            ) from None
        text = head[: exc.start].decode("utf-8-sig")
    if not text.strip():
        raise ExtractError(
            name, [Problem(name, row=1, expected="một dòng tiêu đề; tệp đang trống",
                           kind="empty_file")]
        )
    first_line = next(csv.reader(io.StringIO(text)), [""])
    candidates = []
    for delim in (",", ";", "\t"):
        cells = next(csv.reader(io.StringIO(text), delimiter=delim), [])
        candidates.append((len(cells), delim, cells))
    problems = []
    for _, delim, cells in sorted(candidates, reverse=True):
        try:
            header = recognise(cells)
        except HeaderError as exc:
            problems.append(_header_problem(name, None, 1, exc))
            continue
        if header is not None:
            return Part(path, name, None, header, header_row=1, delimiter=delim)
    for _, _, cells in sorted(candidates, reverse=True):
        exc = near_miss(cells)
        if exc is not None:
            problems.append(_header_problem(name, None, 1, exc))
            break
    raise _unrecognised(name, problems, first_line)


def _stage_csv(con: duckdb.DuckDBPyConnection, part: Part) -> None:
    width = len(part.header.names)
    # The dialect is known from the header, so DuckDB's sniffer is switched off: left on, it
    # may decide that the rows above a malformed one are a preamble and drop them silently.
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    # A cell of spaces is as blank as an empty one (openpyxl cells are stripped the same way).
    cells = ", ".join(f"nullif(trim(c{i}, ' ' || chr(9) || chr(160)), '') as c{i}"
                      for i in range(width))
    con.execute(
        f"create temp table incoming_raw as select {cells} from read_csv(?, delim = ?,"
        f" header = true, auto_detect = false, skip = 0, columns = {columns},"
        " quote = '\"', escape = '\"', encoding = 'utf-8')",
        [str(part.path), part.delimiter],
    )


def _csv_problem(name: str, exc: duckdb.Error) -> Problem:
    """What DuckDB could not read, said for a person (DuckDB's own text is long, English)."""
    text = str(exc)
    match = re.search(r"CSV Error on Line: (\d+)", text)
    row = int(match.group(1)) if match else None
    if "not utf-8 encoded" in text.lower() or "invalid unicode" in text.lower():
        return Problem(name, row=row, expected=UTF8_VI, kind="not_utf8")
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if counts:
        # DuckDB stops counting one past the expected number
        expected_n, found_n = int(counts.group(1)), int(counts.group(2))
        got = f"dòng này có {found_n} cột" if found_n < expected_n else "dòng này có nhiều cột hơn"
    else:
        lines = text.strip().splitlines()
        got = f"DuckDB báo: {lines[0] if lines else type(exc).__name__}"
    return Problem(
        name,
        row=row,
        expected="tệp CSV đúng cấu trúc: mọi dòng có cùng số cột với dòng tiêu đề"
        f"{' (' + counts.group(1) + ' cột)' if counts else ''}, dấu ngoặc kép đóng mở"
        f" đủ cặp ({got})",
        kind="malformed_csv",
    )


# --- XLSX ----------------------------------------------------------------------------------

def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _open_workbook(path: Path, name: str):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ExtractError(
            name,
            [Problem(name, expected="một sổ tính Excel .xlsx đọc được (tệp bị hỏng hoặc không"
                     f" phải .xlsx: {type(exc).__name__}); mở bằng Excel và lưu lại dạng .xlsx",
                     kind="unreadable_file")],
        ) from None


def _inspect_xlsx(path: Path, name: str) -> list[Part]:
    wb = _open_workbook(path, name)
    parts, problems = [], []
    try:
        for ws in wb.worksheets:
            if ws.sheet_state != "visible":
                continue
            rows = [
                [_cell_text(v) or "" for v in row]
                for row in ws.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)
            ]
            for row_number, cells in enumerate(rows, start=1):
                try:
                    header = recognise(cells)
                except HeaderError as exc:
                    problems.append(_header_problem(name, ws.title, row_number, exc))
                    break
                if header is not None:
                    parts.append(Part(path, name, ws.title, header, header_row=row_number))
                    break
            else:
                # No header: a notes sheet is skipped, but a sheet whose header is close to
                # a layout is data that would be lost, so it makes the whole file fail.
                for row_number, cells in enumerate(rows, start=1):
                    exc = near_miss(cells)
                    if exc is not None:
                        problems.append(_header_problem(name, ws.title, row_number, exc))
                        break
    finally:
        wb.close()
    if problems or not parts:
        raise _unrecognised(name, problems, None)
    return parts


def _stage_xlsx(con: duckdb.DuckDBPyConnection, part: Part) -> None:
    wb = _open_workbook(part.path, part.name)
    try:
        ws = wb[part.sheet]
        width = len(part.header.names)
        rows = []
        for row_number, row in enumerate(
            ws.iter_rows(min_row=part.header_row + 1, values_only=True), start=part.header_row + 1
        ):
            cells = [_cell_text(v) for v in row[:width]]
            if any(c is not None for c in cells):
                cells += [None] * (width - len(cells))
                rows.append([*cells, row_number])
    finally:
        wb.close()
    frame = pd.DataFrame(rows, columns=[*(f"c{i}" for i in range(width)), "_row"], dtype=object)
    frame["_row"] = frame["_row"].astype("int64")
    for col in frame.columns[:-1]:
        frame[col] = frame[col].astype("string")
    con.register("xlsx_frame", frame)
    try:
        con.execute("create temp table incoming_raw as select * from xlsx_frame")
    finally:
        con.unregister("xlsx_frame")


def _header_problem(name: str, sheet: str | None, row: int, exc: HeaderError) -> Problem:
    return Problem(name, sheet=sheet, row=row, column=exc.column, expected=str(exc),
                   kind="bad_header")


def _unrecognised(
    name: str, problems: list[Problem], first_line: list[str] | None
) -> ExtractError:
    if problems:
        return ExtractError(name, problems)
    if first_line is None:
        where = f" trong {HEADER_SEARCH_ROWS} dòng đầu của một trang tính đang hiện"
        seen = ""
    else:
        where = ""
        seen = f" (tiêu đề đọc được: {', '.join(first_line[:8])})" if any(first_line) else ""
    return ExtractError(
        name, [Problem(name, row=1 if first_line is not None else None,
                       expected=KINDS_VI + where + seen, kind="bad_header")]
    )
