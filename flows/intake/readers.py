"""Readers: turn one extract file (CSV or XLSX) into rows of the `incoming` table.

CSV is read by DuckDB itself (read_csv, every cell as text); only the head of the file is
read in Python, to check what the file is, find its encoding and recognise the layout. A CSV
in another encoding than UTF-8 (Windows-1258, UTF-16) is transcoded to a UTF-8 temp file in
streamed chunks and DuckDB reads that. XLSX is small by nature and read with openpyxl, after
its zip directory has been checked against the size limits. Either way the result is the
same: a temp table `incoming` with the raw table's canonical columns as text (NFC, trimmed),
plus provenance (source_file, source_sheet, source_sha256, source_row, where source_row is
the row a person sees in Excel or an editor, header = row 1).

Every limit below can be overridden by an environment variable of the same name prefixed
with CHISO_ (CHISO_MAX_XLSX_ROWS=2000000); it is read each time a file is read.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from flows.errors import ConfigError, ExtractError, Problem
from flows.intake.kinds import (
    TABLE_COLUMNS,
    HeaderError,
    HeaderMap,
    canonical,
    near_miss,
    recognise,
)
from flows.warehouse import db
from flows.warehouse.sqlquote import identifier

READABLE_SUFFIXES = (".csv", ".xlsx")
# Names the inbox never takes (and `chiso check` says why): hidden files and Office lock files,
# copies in progress.
SKIPPED_PREFIXES = (".", "~$")
SKIPPED_SUFFIXES = (".part", ".tmp")


def skipped(name: str) -> bool:
    """A temporary, hidden or partial file's name: not an extract yet."""
    return name.startswith(SKIPPED_PREFIXES) or name.lower().endswith(SKIPPED_SUFFIXES)
HEADER_SEARCH_ROWS = 10  # XLSX: the header may sit below a title block
CSV_HEAD_BYTES = 1 << 16  # CSV: how much is read in Python to find the header

# --- limits (CHISO_<NAME> overrides each) ---------------------------------------------------
# CSV is bulk data read by DuckDB: national scale (a 10M-row SIPAS answers file is ~300 MB)
# sits far below these.
MAX_CSV_BYTES = 50 * 2**30
MAX_CSV_ROWS = 1_000_000_000
MAX_CSV_COLUMNS = 5_000
MAX_CSV_LINE_BYTES = 8 * 2**20  # one line (DuckDB's max_line_size)
# XLSX is read cell by cell in Python: Excel's own limits are 1,048,576 rows x 16,384
# columns and 32,767 characters per cell. A real extract (a province's SIPAS sheet) has
# tens of thousands of rows.
MAX_XLSX_ROWS = 1_048_576
MAX_XLSX_COLUMNS = 2_000
MAX_CELL_CHARS = 32_767
MAX_XLSX_UNCOMPRESSED_BYTES = 2 * 2**30  # sum of the zip members' declared sizes
MAX_XLSX_RATIO = 200  # uncompressed / compressed, for a member above 1 MiB
MAX_XLSX_MEMBERS = 10_000
LIMIT_NAMES = (
    "MAX_CSV_BYTES", "MAX_CSV_ROWS", "MAX_CSV_COLUMNS", "MAX_CSV_LINE_BYTES",
    "MAX_XLSX_ROWS", "MAX_XLSX_COLUMNS", "MAX_CELL_CHARS", "MAX_XLSX_UNCOMPRESSED_BYTES",
    "MAX_XLSX_RATIO", "MAX_XLSX_MEMBERS",
)

KINDS_VI = (
    "dòng tiêu đề của một trong các loại tệp đã mô tả (điểm PAR INDEX, phiếu/tiêu chí/tỷ lệ"
    " SIPAS, điểm PAPI; xem data/README.md)"
)
UTF8_VI = "tệp CSV mã hoá UTF-8 (lưu dưới dạng 'CSV UTF-8')"
ENCODING_HINT_VI = (
    "; nếu không lưu lại được, ghi bảng mã của tệp vào kế hoạch, ví dụ"
    " `encoding: windows-1258`"
)
XLSX_VI = "một sổ tính Excel .xlsx đọc được"

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls 97-2003, or a password-protected .xlsx
# Excel's error values, as openpyxl gives them for a cell (or a formula's cached result).
EXCEL_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
     "#SPILL!", "#CALC!"}
)
# Code columns whose cell must be text in Excel: as a number, 1.10 becomes 1.1.
CODE_COLUMNS = ("criterion_code", "question_code")


def limit(name: str) -> int:
    """A size limit: CHISO_<name> from the environment, else the module constant."""
    raw = os.environ.get(f"CHISO_{name}")
    if raw is None or not raw.strip():
        return int(globals()[name])
    try:
        value = int(raw.strip().replace("_", ""))
    except ValueError:
        raise ConfigError(f"CHISO_{name}={raw!r}: cần một số nguyên") from None
    if value <= 0:
        raise ConfigError(f"CHISO_{name}={raw!r}: cần một số lớn hơn 0")
    return value


@dataclass(frozen=True)
class SheetXml:
    """What openpyxl's read-only mode does not give: merged ranges, formulas present."""

    merges: tuple[tuple[int, int, int, int], ...]  # (min_row, min_col, max_row, max_col)
    has_formulas: bool


@dataclass(frozen=True)
class Part:
    """One loadable piece of an extract: a CSV file, or one visible sheet of a workbook."""

    path: Path
    name: str  # how the file is named to people (relative to the inbox)
    sheet: str | None
    header: HeaderMap
    header_row: int
    delimiter: str = ","
    encoding: str = "utf-8"  # CSV: Python codec of the file ('utf-8': DuckDB reads it as is)
    nfc: bool = True  # CSV: cells need NFC normalising (combining marks seen in the file)
    odd_blanks: bool = True  # CSV: blanks other than ' ' seen in the file (ODD_BLANKS)
    lines: int | None = None  # CSV: lines in the file, when counted (UTF-8 files)
    xml: SheetXml | None = None  # XLSX: the sheet's merged ranges and formulas

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


def _error(name: str, expected: str, kind: str, **where) -> ExtractError:
    return ExtractError(name, [Problem(name, expected=expected, kind=kind, **where)])


def inspect(path: Path, name: str | None = None, encoding: str | None = None) -> list[Part]:
    """Recognise the layout of every loadable part of a file; raise ExtractError if none.

    `encoding` is the plan's encoding for this file (a Python codec name), used when the
    file is not UTF-8; without it, a non-UTF-8 CSV is decoded only when it is plainly
    Windows-1258 Vietnamese.
    """
    name = name or path.name
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return [_inspect_csv(path, name, encoding)]
        if suffix == ".xlsx":
            return _inspect_xlsx(path, name)
    except OSError as exc:
        raise _error(name, f"một tệp đọc được (hệ thống báo: {exc.strerror or exc})",
                     "unreadable_file") from None
    got = f"tệp này có đuôi {path.suffix}" if path.suffix else "tệp này không có đuôi"
    raise _error(name, f"một tệp .csv hoặc .xlsx ({got}); xem data/README.md",
                 "unreadable_file")


def load(
    con: duckdb.DuckDBPyConnection, part: Part, sha256: str, append: bool = False
) -> int:
    """Make `incoming` this part's rows (the raw table's columns, as text, with provenance);
    return the row count.

    `incoming` is a temp table; with `append`, inside a transaction that the caller rolls back
    to reject the file, the rows go straight into their raw table and `incoming` is a temp view
    of the rows just added, so that ten million rows are written once, not twice. A CSV is read
    by DuckDB in one pass; a sheet is staged by openpyxl in `incoming_raw` first."""
    _drop_incoming(con)
    con.execute("drop table if exists incoming_raw")
    params = [part.name, part.sheet, sha256]
    target = f"raw_{part.table}" if append else None
    try:
        if part.sheet is None:
            return _load_csv(con, part, params, target)
        _stage_xlsx(con, part)
        n = _fill(con, _shape(part, "incoming_raw"), params, target)[0]
    except duckdb.Error as exc:
        raise ExtractError(part.name, [_csv_problem(part.name, exc)]) from None
    except OSError as exc:
        raise _error(part.name, f"một tệp đọc được (hệ thống báo: {exc.strerror or exc})",
                     "unreadable_file") from None
    con.execute("drop table if exists incoming_raw")
    return n


def _drop_incoming(con: duckdb.DuckDBPyConnection) -> None:
    if con.execute(
        "select 1 from duckdb_views() where view_name = 'incoming' and temporary"
    ).fetchall():
        con.execute("drop view incoming")
    con.execute("drop table if exists incoming")


def _fill(
    con: duckdb.DuckDBPyConnection, select: str, params: list, target: str | None
) -> tuple[int, str, int | None, int | None]:
    """Put the rows of `select` in `incoming`: a new temp table, or (`target`) appended to the
    raw table with `incoming` a temp view of them. Returns the row count, the table that holds
    them, and their first and last rowid."""
    if target is None:
        con.execute(f"create temp table incoming as {select}", params)
        table, after = "incoming", -1
    else:
        # Appended rows get rowids above every row already there (in a transaction, from
        # 2^55 up), in the order they are inserted.
        table = target
        after = con.execute(f"select coalesce(max(rowid), -1) from {table}").fetchall()[0][0]
        con.execute(f"insert into {table} by name {select}", params)
        con.execute(
            f"create temp view incoming as select * from {table} where rowid > {int(after)}"
        )
    n, first, last = con.execute(
        f"select count(*), min(rowid), max(rowid) from {table} where rowid > ?", [after]
    ).fetchall()[0]
    return n, table, first, last


def _shape(part: Part, source: str) -> str:
    """The SELECT that turns `source` (cells c0, c1, ... and _row, the row a person sees) into
    the raw table's columns and provenance: three parameters (file, sheet, sha256), which come
    in the text before any in `source`."""

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
        return f"select {cols}, {provenance('_row')} from {source}"
    # Wide layouts: one column per code becomes one row per code (blank cells dropped).
    ids = [c for c in TABLE_COLUMNS[part.table] if c in names]
    code_col, value_col = ("question_code", "answer") if part.table == "sipas_answers" \
        else ("code", "score")
    id_select = ", ".join(f'"c{names.index(c)}" as {c}' for c in ids)
    code_select = ", ".join(
        f'"c{names.index(code)}" as {identifier(code)}' for code in header.codes
    )
    unpivot_cols = ", ".join(identifier(code) for code in header.codes)
    # a column the file does not have (an optional one) is empty
    out_cols = ", ".join(c if c in ids or c in (code_col, value_col) else f"null::varchar as {c}"
                         for c in TABLE_COLUMNS[part.table])
    return (
        f"select {out_cols}, {provenance('_row_number')} from ("
        f"  unpivot (select {id_select}, {code_select}, _row as _row_number from {source})"
        f"  on {unpivot_cols} into name {code_col} value {value_col}"
        f") order by _row_number"
    )


def _clean_cells(width: int, nfc: bool = True, odd_blanks: bool = True) -> str:
    """Cells as people mean them: NFC (Windows-1258 and macOS write tones as combining
    marks), and a cell of spaces as blank as an empty one. NFC costs DuckDB half as much
    again as the read itself, so it is skipped for a file with no combining mark in it. Cells
    are trimmed of spaces, tabs and no-break spaces; trimming a set of characters costs three
    times the read, so a file without any other blank than ' ' (`odd_blanks` false, see
    ODD_BLANKS) is trimmed by DuckDB's plain trim(), the same there."""
    norm = "nfc_normalize(c{i})" if nfc else "c{i}"
    trim = "trim({x}, ' ' || chr(9) || chr(160))" if odd_blanks else "trim({x})"
    return ", ".join(
        f"nullif({trim.format(x=norm.format(i=i))}, '') as c{i}"
        for i in range(width)
    )


# --- what a file really is --------------------------------------------------------------------

def _sniff(head: bytes) -> str | None:
    """What the first bytes say a file is, whatever its extension: 'zip', 'ole2', 'pdf',
    'binary' (NUL bytes outside UTF-16), or None (text, or nothing known)."""
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(OLE2_MAGIC):
        return "ole2"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    if b"\x00" in head[:8192]:
        return "binary"
    return None


def _is_xlsx_zip(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return "xl/workbook.xml" in zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _not_a_csv(path: Path, name: str, what: str) -> ExtractError:
    if what == "zip":
        if _is_xlsx_zip(path):
            expected = ("một tệp CSV (văn bản); tệp này thực ra là sổ tính Excel .xlsx: đổi"
                        " đuôi tệp thành .xlsx")
        else:
            expected = "một tệp CSV (văn bản); tệp này là tệp nén .zip: giải nén trước"
    elif what == "ole2":
        expected = ("một tệp CSV (văn bản); tệp này là sổ tính Excel 97–2003 (.xls): mở bằng"
                    " Excel và lưu lại dạng 'CSV UTF-8' hoặc .xlsx")
    elif what == "pdf":
        expected = "một tệp CSV (văn bản); tệp này là tệp PDF"
    else:
        expected = "một tệp CSV (văn bản); tệp này chứa dữ liệu nhị phân, không phải văn bản"
    return _error(name, expected, "wrong_file_type")


# --- CSV: encoding ---------------------------------------------------------------------------

_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_VOWELS = frozenset("aăâeêioôơuưyAĂÂEÊIOÔƠUƯY")
# Non-ASCII characters other than letters that a Vietnamese spreadsheet plausibly holds.
_PUNCTUATION = frozenset("\u00a0–—‘’“”…•°§×±²³½¼¾€«»·")
_VIETNAMESE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b")


def _is_vietnamese_letter(ch: str) -> bool:
    if ch in "đĐ":
        return True
    decomposed = unicodedata.normalize("NFD", ch)
    return (decomposed[0].isascii() and decomposed[0].isalpha()
            and all(m in _VIETNAMESE_MARKS for m in decomposed[1:]))


def looks_like_windows_1258(sample: bytes) -> bool:
    """True when bytes that are not UTF-8 read as Vietnamese in Windows-1258: the tone marks
    it writes as combining characters sit on vowels, and every other character is a letter
    of the Vietnamese alphabet or common punctuation. Latin-1, TCVN3 or VNI text fails this,
    and then the plan must name the encoding."""
    try:
        text = sample.decode("cp1258")
    except UnicodeDecodeError:
        return False
    tones = 0
    for i, ch in enumerate(text):
        if ch in _TONE_MARKS:
            if i == 0 or text[i - 1] not in _VOWELS:
                return False
            tones += 1
        elif unicodedata.category(ch) == "Cc" and ch not in "\t\r\n":
            return False
    if not tones:
        return False
    composed = unicodedata.normalize("NFC", text)
    return all(
        ch.isascii() or ch in _PUNCTUATION or _is_vietnamese_letter(ch) for ch in composed
    )


def _declared_codec(head: bytes) -> str | None:
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    return None


def _decode_head(head: bytes, codec: str, final: bool) -> str:
    """Decode the head of a file; a character cut at the end of what was read is fine."""
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    return decoder.decode(head, final=final)


def _not_decodable(name: str, row: int | None, encoding: str | None) -> ExtractError:
    if encoding:
        expected = (f"{UTF8_VI}, hoặc một tệp đúng bảng mã {encoding} mà kế hoạch ghi; tệp này"
                    f" không đọc được bằng bảng mã {encoding}")
    else:
        expected = UTF8_VI + ENCODING_HINT_VI
    return _error(name, expected, "not_utf8", row=row)


# --- CSV ---------------------------------------------------------------------------------

def _inspect_csv(path: Path, name: str, encoding: str | None = None) -> Part:
    size = path.stat().st_size
    if size > limit("MAX_CSV_BYTES"):
        raise _error(name, f"một tệp CSV không quá {limit('MAX_CSV_BYTES'):,} byte (tệp này"
                     f" {size:,} byte); tách tệp theo năm hoặc đơn vị", "too_large")
    with path.open("rb") as f:
        head = f.read(CSV_HEAD_BYTES)
    truncated = len(head) == CSV_HEAD_BYTES
    what = _sniff(head)
    if what:
        raise _not_a_csv(path, name, what)
    codec = _declared_codec(head)
    combining = odd_blanks = True
    lines = None
    if codec is None:
        # The whole file is checked here, before any transaction: DuckDB would only find a
        # bad byte halfway through, and its error aborts the transaction it happens in.
        bad, combining, odd_blanks, lines = _scan_utf8(path)
        if bad is None:
            codec = "utf-8"
        elif encoding:
            codec = encoding
        elif looks_like_windows_1258(bad[1]):
            codec = "cp1258"
        else:
            raise _not_decodable(name, bad[0], None)
    try:
        text = _decode_head(head, codec, final=not truncated)
    except UnicodeDecodeError as exc:
        raise _not_decodable(name, head[: exc.start].count(b"\n") + 1, codec) from None
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise _error(name, "một dòng tiêu đề; tệp đang trống", "empty_file", row=1)
    # (newline="": the csv module reads line ends itself, a lone \r among them)
    first_line = next(csv.reader(io.StringIO(text, newline="")), [""])
    candidates = []
    for delim in (",", ";", "\t"):
        cells = next(csv.reader(io.StringIO(text, newline=""), delimiter=delim), [])
        candidates.append((len(cells), delim, cells))
    problems = []
    for n_cells, delim, cells in sorted(candidates, reverse=True):
        try:
            header = recognise(cells)
        except HeaderError as exc:
            problems.append(_header_problem(name, None, 1, exc))
            continue
        if header is not None:
            if n_cells > limit("MAX_CSV_COLUMNS"):
                raise _error(name, f"dòng tiêu đề có không quá {limit('MAX_CSV_COLUMNS'):,} cột"
                             f" (tệp này có {n_cells:,} cột)", "too_large", row=1)
            utf8 = codec in ("utf-8", "utf-8-sig")
            return Part(path, name, None, header, header_row=1, delimiter=delim,
                        encoding="utf-8" if utf8 else codec,
                        nfc=combining if codec == "utf-8" else True,
                        odd_blanks=odd_blanks if codec == "utf-8" else True,
                        lines=lines if codec == "utf-8" else None)
    for _, _, cells in sorted(candidates, reverse=True):
        exc = near_miss(cells)
        if exc is not None:
            problems.append(_header_problem(name, None, 1, exc))
            break
    raise _unrecognised(name, problems, first_line)


def transcode_to_utf8(path: Path, codec: str, name: str) -> Path:
    """A UTF-8 copy of a text file in another encoding, decoded in streamed chunks.

    The caller deletes it. Decoding is strict: a byte the codec cannot read is an error
    naming its line, never a silent replacement character.
    """
    max_line = limit("MAX_CSV_LINE_BYTES")
    fd, tmp = tempfile.mkstemp(prefix="chiso-", suffix=".csv",
                               dir=os.environ.get("CHISO_TMPDIR") or None)
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    line = 1
    try:
        with path.open("rb") as src, open(fd, "w", encoding="utf-8", newline="") as dst:
            carry = ""
            while True:
                block = src.read(1 << 20)
                try:
                    text = carry + decoder.decode(block, final=not block)
                except UnicodeDecodeError as exc:
                    row = line + carry.count("\n") + exc.object[: exc.start].count(b"\n")
                    raise _not_decodable(name, row, codec) from None
                if not block:
                    dst.write(text.lstrip("\ufeff") if line == 1 else text)
                    break
                cut = text.rfind("\n") + 1
                out, carry = text[:cut], text[cut:]
                if line == 1:
                    out = out.lstrip("\ufeff")
                dst.write(out)
                line += out.count("\n")
                if len(carry) > max_line:
                    raise _error(name, f"mỗi dòng không quá {max_line:,} byte", "too_large",
                                 row=line)
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


# Bytes of the blanks that make a cell's trimming costly: a tab, and every Unicode space other
# than ' ' (DuckDB's plain trim() takes these but no tab; the reader's takes ' ', tab and U+00A0).
ODD_BLANKS = (b"\t", *(chr(c).encode() for c in (
    0xA0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000)))
# U+2000-U+200A and U+202F start with E2 80, as do quotes and dashes: looked for only after it
_E2_80 = tuple(b for b in ODD_BLANKS if b.startswith(b"\xe2\x80"))
_OTHER_NON_ASCII = tuple(b for b in ODD_BLANKS[1:] if b not in _E2_80)


def _scan_utf8(path: Path) -> tuple[tuple[int, bytes] | None, bool, bool, int]:
    """Stream the whole file through Python's UTF-8 decoder (C, ~1 GB/s). Returns the line
    of the first byte that is not UTF-8 with a sample of bytes from that line on (or None),
    whether the file holds a combining mark (U+0300-U+036F: lead byte 0xCC or 0xCD), whether
    it holds one of ODD_BLANKS, and how many lines it has."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    line, offset, combining, odd_blanks = 1, 0, False, False
    tail = b""  # the end of the previous block: a blank's bytes may straddle two blocks
    with path.open("rb") as f:
        while True:
            block = f.read(1 << 20)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                data = exc.object  # bytes held from the previous block (no newline), then this
                start_of_data = offset - (len(data) - len(block))
                line += data[: exc.start].count(b"\n")
                f.seek(start_of_data + data.rfind(b"\n", 0, exc.start) + 1)
                return (line, f.read(CSV_HEAD_BYTES)), combining, odd_blanks, line
            if not block:
                # `line` is the last line's number; a final line break starts no line
                return None, combining, odd_blanks, line - (tail.endswith(b"\n") or not offset)
            odd_blanks = odd_blanks or b"\t" in block
            if not block.isascii():  # (a character that straddles two blocks ends in this one)
                combining = combining or b"\xcc" in block or b"\xcd" in block
                if not odd_blanks:
                    seen = tail + block
                    odd_blanks = any(blank in seen for blank in _OTHER_NON_ASCII) or (
                        b"\xe2\x80" in seen and any(blank in seen for blank in _E2_80))
            tail = block[-2:]
            line += block.count(b"\n")
            offset += len(block)


def _load_csv(
    con: duckdb.DuckDBPyConnection, part: Part, params: list, target: str | None
) -> int:
    """Read a CSV into `incoming` (transcoded to a UTF-8 temp file first if need be)."""
    if part.encoding == "utf-8":
        return _read_csv(con, part, part.path, params, target)
    tmp = transcode_to_utf8(part.path, part.encoding, part.name)
    try:
        return _read_csv(con, part, tmp, params, target)
    finally:
        tmp.unlink(missing_ok=True)


def _read_csv(
    con: duckdb.DuckDBPyConnection, part: Part, path: Path, params: list, target: str | None
) -> int:
    width = len(part.header.names)
    wide = part.header.kind.wide_codes is not None
    # Long rows are numbered once read, from their rowids (rows keep the file's order): a
    # window over the read would run it on one thread, ~1.5 s more for 5 M rows. A wide row
    # becomes several, so it is numbered as it is read (streaming, in order), before unpivoting.
    row = f"row_number() over () + {part.header_row}" if wide else "null::bigint"
    # DuckDB skips empty lines, which people count as rows: where the file has any, a row's
    # number is shifted by the empty lines above it (blank_breaks, made by the csv module).
    # A long file has none when it has one line per row read (checked once read); a wide
    # file (one row per respondent, small) is looked at first.
    breaks = wide and _blank_breaks(con, path, part.delimiter)
    # The dialect is known from the header, so DuckDB's sniffer is switched off: left on, it
    # may decide that the rows above a malformed one are a preamble and drop them silently.
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    source = (
        f"(select {_clean_cells(width, part.nfc, part.odd_blanks)}, {row} as _row"
        " from read_csv(?, delim = ?, header = true, auto_detect = false, skip = 0,"
        f" columns = {columns}, quote = '\"', escape = '\"', encoding = 'utf-8',"
        " max_line_size = ?))"
    )
    if wide and breaks:
        source = (
            f"(select s.* replace (s._row + coalesce(b.shift, 0) as _row) from {source} as s"
            f" asof left join blank_breaks as b on s._row - {part.header_row + 1} >= b.k)"
        )
    # _shape's SELECT has its three provenance parameters before its source, read_csv's three
    n, table, first, last = _fill(
        con, _shape(part, source),
        [*params, str(path), part.delimiter, limit("MAX_CSV_LINE_BYTES")], target,
    )
    if n > limit("MAX_CSV_ROWS"):
        if target is None:
            con.execute("drop table incoming")
        raise _error(part.name, f"một tệp CSV không quá {limit('MAX_CSV_ROWS'):,} dòng dữ liệu"
                     f" (tệp này có {n:,} dòng); tách tệp theo năm hoặc đơn vị", "too_large")
    if not wide and n and part.lines != n + part.header_row:
        breaks = _blank_breaks(con, path, part.delimiter)  # (or a cell over several lines)
    if not wide and n and breaks:
        con.execute(
            f"update {table} set source_row = numbered.n from (select t.rowid as id,"
            f" t.rowid - ? + ? + coalesce(b.shift, 0) as n from {table} as t asof left join"
            f" blank_breaks as b on t.rowid - ? >= b.k where t.rowid >= ?) as numbered"
            f" where {table}.rowid = numbered.id",
            [first, part.header_row + 1, first, first],
        )
    elif not wide and n:
        if last - first + 1 == n:  # consecutive rowids, in file order
            con.execute(f"update {table} set source_row = rowid - ? + ? where rowid >= ?",
                        [first, part.header_row + 1, first])
        else:  # (not seen in DuckDB 2.0) number them in order all the same
            con.execute(
                f"update {table} set source_row = numbered.n from (select rowid as id,"
                f" row_number() over (order by rowid) + ? as n from {table}"
                " where rowid >= ?) as numbered where rowid = numbered.id",
                [part.header_row, first],
            )
    return n


def _blank_breaks(con: duckdb.DuckDBPyConnection, path: Path, delimiter: str) -> bool:
    """Where a CSV has empty lines, the temp table blank_breaks(k, shift): from its k-th data
    row on (0-based, as DuckDB reads them), `shift` empty lines stand above. Read with the
    csv module, which knows an empty line inside a quoted cell from an empty row. False when
    no empty line stands above a data row."""
    breaks, k, shift, pending = [], 0, 0, False
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        try:
            next(reader, None)  # the header
            for record in reader:
                if not record:
                    shift, pending = shift + 1, True
                    continue
                if pending:
                    breaks.append([k, shift])
                    pending = False
                k += 1
        except csv.Error:  # (a cell longer than the csv module takes: DuckDB says what)
            return False
    con.execute("create or replace temp table blank_breaks (k bigint, shift bigint)")
    db.insert_many(con, "insert into blank_breaks values (?, ?)", breaks)
    return bool(breaks)


def _csv_problem(name: str, exc: duckdb.Error) -> Problem:
    """What DuckDB could not read, said for a person (DuckDB's own text is long, English)."""
    text = str(exc)
    match = re.search(r"CSV Error on Line: (\d+)", text)
    row = int(match.group(1)) if match else None
    if "not utf-8 encoded" in text.lower() or "invalid unicode" in text.lower():
        return Problem(name, row=row, expected=UTF8_VI + ENCODING_HINT_VI, kind="not_utf8")
    if "maximum line size" in text.lower():
        return Problem(name, row=row, kind="too_large",
                       expected=f"mỗi dòng không quá {limit('MAX_CSV_LINE_BYTES'):,} byte; dòng"
                       " này dài hơn (có thể do một dấu ngoặc kép không được đóng)")
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


def _cell_ref(row: int, col: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col)}{row}"


def _check_zip(path: Path, name: str) -> None:
    """Refuse what is not an .xlsx, and a zip bomb, before openpyxl inflates anything."""
    with path.open("rb") as f:
        head = f.read(8192)
    if not head:
        raise _error(name, f"{XLSX_VI} (tệp đang trống, có thể chưa chép xong)", "empty_file")
    if not head.startswith(ZIP_MAGIC):
        if head.startswith(OLE2_MAGIC):
            got = ("tệp này là sổ tính Excel 97–2003 (.xls) hoặc sổ tính có đặt mật khẩu: mở"
                   " bằng Excel, bỏ mật khẩu và lưu lại dạng .xlsx")
        elif _sniff(head) is None:
            got = "tệp này là văn bản, không phải sổ tính: nếu là CSV, đổi đuôi thành .csv"
        else:
            got = "tệp này không phải sổ tính Excel"
        raise _error(name, f"{XLSX_VI} ({got})", "wrong_file_type")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _error(name, f"{XLSX_VI} (tệp bị hỏng hoặc bị cắt cụt, có thể chưa chép xong:"
                     " chép lại tệp, hoặc mở bằng Excel và lưu lại dạng .xlsx)",
                     "unreadable_file") from None
    if "xl/workbook.xml" not in {i.filename for i in infos}:
        raise _error(name, f"{XLSX_VI} (tệp này là tệp nén .zip nhưng không phải sổ tính"
                     " Excel)", "wrong_file_type")
    total = sum(i.file_size for i in infos)
    too_big = limit("MAX_XLSX_UNCOMPRESSED_BYTES")
    ratio = limit("MAX_XLSX_RATIO")
    bomb = [i for i in infos
            if i.file_size > 2**20 and i.file_size > ratio * max(i.compress_size, 1)]
    if len(infos) > limit("MAX_XLSX_MEMBERS") or total > too_big or bomb:
        if total > too_big or not bomb:
            what = f"khi giải nén tệp này chiếm {total:,} byte"
        else:
            times = bomb[0].file_size // max(bomb[0].compress_size, 1)
            what = f"phần {bomb[0].filename} nén {times:,} lần"
        raise _error(name, f"{XLSX_VI} trong giới hạn: giải nén không quá {too_big:,} byte, tỷ"
                     f" lệ nén không quá {ratio} lần ({what}); tách thành nhiều tệp hoặc dùng"
                     " CSV", "too_large")


def _open_workbook(path: Path, name: str, data_only: bool = True):
    import openpyxl

    _check_zip(path, name)
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise _error(name, f"{XLSX_VI} (tệp bị hỏng hoặc không phải .xlsx:"
                     f" {type(exc).__name__}); mở bằng Excel và lưu lại dạng .xlsx",
                     "unreadable_file") from None


def _damaged(name: str, sheet: str | None, exc: Exception) -> ExtractError:
    return ExtractError(name, [Problem(
        name, sheet=sheet, kind="unreadable_file",
        expected=f"{XLSX_VI} (đọc trang tính bị lỗi: {type(exc).__name__}); mở bằng Excel và"
        " lưu lại dạng .xlsx")])


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _sheet_xml(path: Path, worksheet_path: str) -> SheetXml:
    """Merged ranges and whether any formula is present, scanned from the sheet's XML in
    chunks (openpyxl's read-only mode gives neither)."""
    from openpyxl.utils import column_index_from_string

    merges, formulas, tail = [], False, b""
    with zipfile.ZipFile(path) as zf, zf.open(worksheet_path.lstrip("/")) as f:
        while block := f.read(1 << 20):
            chunk = tail + block
            formulas = formulas or bool(_FORMULA.search(chunk))
            for m in _MERGE.finditer(chunk):
                merges.append((int(m.group(2)), column_index_from_string(m.group(1).decode()),
                               int(m.group(4)), column_index_from_string(m.group(3).decode())))
            tail = chunk[-200:]
    return SheetXml(tuple(sorted(set(merges))), formulas)


def _range(m: tuple[int, int, int, int]) -> str:
    return f"{_cell_ref(m[0], m[1])}:{_cell_ref(m[2], m[3])}"


def _check_header_merges(name: str, sheet: str, header_row: int, xml: SheetXml,
                         below: list[str]) -> Problem | None:
    """A header that spans two rows (merged cells reaching below or above the header row,
    or a merged header cell with labels under it) cannot be read as one row of names."""
    for m in xml.merges:
        min_row, min_col, max_row, max_col = m
        if not min_row <= header_row <= max_row:
            continue
        # column names under a merged header cell (data under it is fine)
        labelled_below = any(canonical(below[c - 1]) for c in range(min_col, max_col + 1)
                             if c - 1 < len(below))
        if max_row > min_row or (max_col > min_col and labelled_below):
            return Problem(
                name, sheet=sheet, row=header_row, kind="merged_header",
                expected=f"một dòng tiêu đề, mỗi cột một ô có tên; ô gộp {_range(m)} làm tiêu"
                " đề thành hai dòng: bỏ gộp ô (Merge & Center) và đặt tên từng cột trên cùng một"
                " dòng")
    return None


def _inspect_xlsx(path: Path, name: str) -> list[Part]:
    wb = _open_workbook(path, name)
    parts, problems, hidden_with_header = [], [], []
    try:
        for ws in wb.worksheets:
            try:
                raw_rows = [list(row) for row in ws.iter_rows(max_row=HEADER_SEARCH_ROWS + 1,
                                                              values_only=True)]
            except Exception as exc:  # damaged sheet XML
                raise _damaged(name, ws.title, exc) from None
            rows = [[_cell_text(v) or "" for v in row] for row in raw_rows]
            if ws.sheet_state != "visible":
                if any(_recognise_quietly(cells) for cells in rows[:HEADER_SEARCH_ROWS]):
                    hidden_with_header.append(ws.title)
                continue
            for row_number, cells in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
                try:
                    header = recognise(cells)
                    if header is not None:
                        _check_header_cells(header, raw_rows[row_number - 1])
                except HeaderError as exc:
                    problems.append(_header_problem(name, ws.title, row_number, exc))
                    break
                if header is not None:
                    width = len(cells)
                    if width > limit("MAX_XLSX_COLUMNS"):
                        problems.append(Problem(
                            name, sheet=ws.title, row=row_number, kind="too_large",
                            expected=f"dòng tiêu đề có không quá {limit('MAX_XLSX_COLUMNS'):,}"
                            f" cột (trang tính này có {width:,} cột)"))
                        break
                    xml = _sheet_xml(path, ws._worksheet_path)
                    below = rows[row_number] if row_number < len(rows) else []
                    merged = _check_header_merges(name, ws.title, row_number, xml, below)
                    if merged:
                        problems.append(merged)
                        break
                    parts.append(Part(path, name, ws.title, header, header_row=row_number,
                                      xml=xml))
                    break
            else:
                # No header: a notes sheet is skipped, but a sheet whose header is close to
                # a layout is data that would be lost, so it makes the whole file fail.
                for row_number, cells in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
                    exc = near_miss(cells)
                    if exc is not None:
                        problems.append(_header_problem(name, ws.title, row_number, exc))
                        break
    except ExtractError:
        raise
    except Exception as exc:  # damaged sheet XML, truncated zip member
        raise _damaged(name, None, exc) from None
    finally:
        wb.close()
    if not parts and not problems and hidden_with_header:
        problems.append(Problem(
            name, sheet=hidden_with_header[0], kind="bad_header",
            expected=f"{KINDS_VI} trên một trang tính đang hiện; trang tính ẩn"
            f" {', '.join(repr(t) for t in hidden_with_header)} có dòng tiêu đề nhưng trang"
            " tính ẩn không được đọc: bỏ ẩn trang tính (Unhide) nếu đó là dữ liệu cần nạp"))
    if problems or not parts:
        raise _unrecognised(name, problems, None)
    return parts


def _recognise_quietly(cells: list[str]) -> bool:
    try:
        return recognise(cells) is not None
    except HeaderError:
        return True


def _check_header_cells(header: HeaderMap, raw: list[object]) -> None:
    """A question code typed as a number in a wide header (1.10 read as 1.1) is ambiguous."""
    if header.kind.table != "sipas_answers":
        return
    for value, col in zip(raw, header.names, strict=False):
        if col in header.codes and isinstance(value, float) and not value.is_integer():
            raise HeaderError(
                f"mã câu hỏi ở dòng tiêu đề là chữ, không phải số: ô tiêu đề {value!r} đang là"
                " số trong Excel nên 1.10 và 1.1 không phân biệt được; định dạng dòng tiêu đề"
                " là Văn bản (Text) và gõ lại mã", column=col)


def _stage_xlsx(con: duckdb.DuckDBPyConnection, part: Part) -> None:
    width = len(part.header.names)
    max_rows, max_chars = limit("MAX_XLSX_ROWS"), limit("MAX_CELL_CHARS")
    code_positions = {i for i, c in enumerate(part.header.names) if c in CODE_COLUMNS}
    xml = part.xml or SheetXml((), True)
    problems: list[Problem] = []

    def problem(row: int, col: int, value: object, expected: str, kind: str) -> None:
        problems.append(Problem(
            part.name, sheet=part.sheet, row=row,
            column=part.header.names[col] or _cell_ref(part.header_row, col + 1),
            value=None if value is None else str(value)[:100], expected=expected, kind=kind))

    for m in xml.merges:
        if m[2] > part.header_row and m[0] != m[2] and any(
            part.header.names[c - 1] for c in range(m[1], min(m[3], width) + 1)
        ):
            problems.append(Problem(
                part.name, sheet=part.sheet, row=max(m[0], part.header_row + 1),
                kind="merged_cells",
                expected=f"mỗi dòng một giá trị; ô gộp {_range(m)} chỉ giữ giá trị ở ô đầu:"
                " bỏ gộp ô và điền giá trị cho từng dòng"))

    wb = _open_workbook(part.path, part.name)
    formulas_wb = _open_workbook(part.path, part.name, data_only=False) \
        if xml.has_formulas else None
    rows = []
    try:
        ws = wb[part.sheet]
        values = ws.iter_rows(min_row=part.header_row + 1, max_col=width, values_only=True)
        formulas = (formulas_wb[part.sheet].iter_rows(
            min_row=part.header_row + 1, max_col=width, values_only=True)
            if formulas_wb is not None else None)
        for row_number, row in enumerate(values, start=part.header_row + 1):
            frow = next(formulas, ()) if formulas is not None else ()
            if row_number - part.header_row > max_rows:
                raise _error(part.name, f"một trang tính không quá {max_rows:,} dòng dữ liệu;"
                             " tách tệp, hoặc dùng CSV cho dữ liệu lớn", "too_large",
                             sheet=part.sheet, row=row_number)
            for i, value in enumerate(row):
                if isinstance(value, str):
                    if len(value) > max_chars:
                        problem(row_number, i, value, f"một ô không quá {max_chars:,} ký tự",
                                "too_large")
                    elif value in EXCEL_ERRORS:
                        problem(row_number, i, value, f"một giá trị, không phải lỗi công thức"
                                f" Excel ({value}) ở ô {_cell_ref(row_number, i + 1)}",
                                "formula_error")
                elif value is None and i < len(frow) and _is_formula(frow[i]):
                    problem(row_number, i, frow[i], "giá trị đã tính của công thức ở ô"
                            f" {_cell_ref(row_number, i + 1)}: tệp được lưu mà công thức chưa"
                            " được tính; mở bằng Excel, lưu lại, hoặc dán giá trị (Paste"
                            " Values)", "formula_no_value")
                elif (i in code_positions and isinstance(value, float)
                        and not value.is_integer()):
                    problem(row_number, i, _cell_text(value),
                            f"một mã ở dạng chữ: ô {_cell_ref(row_number, i + 1)} đang là số"
                            f" trong Excel nên {_cell_text(value)} có thể là"
                            f" {_cell_text(value)}0 hay {_cell_text(value)}; định dạng cột là"
                            " Văn bản (Text) rồi gõ lại mã (hoặc gõ dấu ' trước mã)",
                            "bad_code")
            if len(problems) >= 200:
                break
            cells = [_cell_text(v) for v in row[:width]]
            if any(c is not None for c in cells):
                cells += [None] * (width - len(cells))
                rows.append([*cells, row_number])
    except ExtractError:
        raise
    except Exception as exc:  # damaged sheet XML, truncated zip member
        raise _damaged(part.name, part.sheet, exc) from None
    finally:
        wb.close()
        if formulas_wb is not None:
            formulas_wb.close()
    if problems:
        raise ExtractError(part.name, problems)
    import pandas as pd  # (only workbooks need it: a night of CSV files does not load it)

    frame = pd.DataFrame(rows, columns=[*(f"c{i}" for i in range(width)), "_row"], dtype=object)
    frame["_row"] = frame["_row"].astype("int64")
    for col in frame.columns[:-1]:
        frame[col] = frame[col].astype("string")
    con.register("xlsx_frame", frame)
    try:
        con.execute(f"create temp table incoming_raw as select {_clean_cells(width)}, _row"
                    " from xlsx_frame")
    finally:
        con.unregister("xlsx_frame")


def _is_formula(value: object) -> bool:
    return (isinstance(value, str) and value.startswith("=")) or type(value).__name__ in (
        "ArrayFormula", "DataTableFormula")


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

