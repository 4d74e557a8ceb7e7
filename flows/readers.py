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
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from flows.errors import ExtractError, Problem
from flows.extract_kinds import TABLE_COLUMNS, HeaderError, HeaderMap, recognise
from flows.sqlquote import identifier

READABLE_SUFFIXES = (".csv", ".xlsx")
HEADER_SEARCH_ROWS = 10  # XLSX: the header may sit below a title block


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
    raise ExtractError(
        name, [Problem(name, expected=f"a file ending in {' or '.join(READABLE_SUFFIXES)}")]
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
        raise ExtractError(
            part.name, [Problem(part.name, expected=f"a well-formed CSV file ({exc})")]
        ) from None

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


# --- CSV -----------------------------------------------------------------------------------

def _inspect_csv(path: Path, name: str) -> Part:
    with path.open("rb") as f:
        head = f.read(1 << 16)
    if not head.strip():
        raise ExtractError(name, [Problem(name, row=1, expected="a header row; the file is empty")])
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # A cut in the middle of a multi-byte character at the 64 KiB boundary is fine.
        if exc.start < len(head) - 4:
            raise ExtractError(
                name, [Problem(name, expected="UTF-8 text (save the file as 'CSV UTF-8')")]
            ) from None
        text = head[: exc.start].decode("utf-8-sig")
    first_line = next(csv.reader(io.StringIO(text)), [""])
    candidates = []
    for delim in (",", ";", "\t"):
        cells = next(csv.reader(io.StringIO(text), delimiter=delim), [])
        candidates.append((len(cells), delim, cells))
    errors = []
    for _, delim, cells in sorted(candidates, reverse=True):
        try:
            header = recognise(cells)
        except HeaderError as exc:
            errors.append(str(exc))
            continue
        if header is not None:
            return Part(path, name, None, header, header_row=1, delimiter=delim)
    raise _unrecognised(name, errors, first_line)


def _stage_csv(con: duckdb.DuckDBPyConnection, part: Part) -> None:
    names = [f"c{i}" for i in range(len(part.header.names))]
    con.execute(
        "create temp table incoming_raw as select * from read_csv(?, delim = ?, header = true,"
        " all_varchar = true, names = ?, quote = '\"', escape = '\"', encoding = 'utf-8')",
        [str(part.path), part.delimiter, names],
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
            name, [Problem(name, expected=f"a readable .xlsx workbook ({type(exc).__name__})")]
        ) from None


def _inspect_xlsx(path: Path, name: str) -> list[Part]:
    wb = _open_workbook(path, name)
    parts, errors = [], []
    try:
        for ws in wb.worksheets:
            if ws.sheet_state != "visible":
                continue
            for row_number, row in enumerate(
                ws.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True), start=1
            ):
                cells = [_cell_text(v) or "" for v in row]
                try:
                    header = recognise(cells)
                except HeaderError as exc:
                    errors.append(f"sheet {ws.title}: {exc}")
                    break
                if header is not None:
                    parts.append(Part(path, name, ws.title, header, header_row=row_number))
                    break
    finally:
        wb.close()
    if not parts:
        raise _unrecognised(name, errors, None)
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


def _unrecognised(name: str, errors: list[str], first_line: list[str] | None) -> ExtractError:
    if errors:
        return ExtractError(name, [Problem(name, row=1, expected=errors[0])])
    seen = f" (header found: {', '.join(first_line[:8])})" if first_line else ""
    return ExtractError(
        name,
        [
            Problem(
                name,
                row=1,
                expected="a header row of one of the documented extract kinds"
                " (PAR INDEX scores, SIPAS answers/criteria/rates, PAPI scores; see data/README.md)"
                + seen,
            )
        ],
    )
