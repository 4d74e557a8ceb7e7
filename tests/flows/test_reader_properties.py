"""Property-based tests (hypothesis) of the readers and ingest (issue 4, section 4): random
bytes and random well-formed tables give either a clean load or a clean rejection (an
ExtractError, or an outcome with status 'rejected'), never another exception, and never a
partial load: after a rejection every raw table is exactly as it was.
"""

from __future__ import annotations

import csv
import io
import tempfile
import unicodedata
from pathlib import Path

import duckdb
import openpyxl
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from flows.errors import ExtractError
from flows.intake import ingest, readers
from flows.intake.kinds import TABLE_COLUMNS
from flows.warehouse import db

SETTINGS = settings(max_examples=50, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TABLE_SETTINGS = settings(max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])

PAR_EN = "unit_code,year,criterion_code,criterion_name,max_points,self_score,appraised_score"


def fresh() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    db.install_macros(con)
    db.create_raw_tables(con)
    con.execute("insert into raw_papi_scores (year, province, code, score, source_file,"
                " source_sheet, source_sha256, source_row)"
                " values ('2022', 'Bắc Kạn', 'D1', '5', 'old.csv', null, 'ab', 2)")
    return con


def snapshot(con) -> dict[str, list]:
    return {t: con.execute(f"select * from raw_{t} order by all").fetchall()
            for t in TABLE_COLUMNS}


def ingest_cleanly(data: bytes, name: str) -> tuple[ingest.ExtractOutcome, dict, dict, list]:
    """Write `data` to a temp file, ingest it; any exception other than a clean outcome fails
    the test. Returns the outcome, the raw tables before and after, and the loaded rows."""
    con = fresh()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        before = snapshot(con)
        outcome = ingest.ingest_file(con, path, name)
        after = snapshot(con)
        if outcome.status == "rejected":
            assert after == before, "a rejected file changed a raw table"
            assert outcome.message, "a rejection always says why"
        else:
            assert outcome.status == "loaded"
            assert sum(map(len, after.values())) == sum(map(len, before.values())) + outcome.n_rows
        new = {t: [r for r in after[t] if r not in before[t]] for t in after}
    con.close()
    event(outcome.status if outcome.status == "loaded" else
          f"rejected: {outcome.problems[0].kind if outcome.problems else 'check'}")
    return outcome, before, after, new


def read_cleanly(data: bytes, name: str) -> None:
    """The readers alone: inspect + load raise ExtractError or succeed, nothing else."""
    con = duckdb.connect()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            for part in readers.inspect(path, name):
                readers.load(con, part, "0" * 64)
        except ExtractError as exc:
            assert exc.problems and all(p.expected for p in exc.problems)
    con.close()


# --- random bytes ------------------------------------------------------------------------------

@SETTINGS
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_random_bytes(data, suffix):
    read_cleanly(data, f"x{suffix}")
    ingest_cleanly(data, f"x{suffix}")


@SETTINGS
@given(body=st.binary(max_size=3000),
       header=st.sampled_from([PAR_EN, "Năm,Tỉnh,Mã,Điểm", "year;unit_code;respondent_id;"
                               "question_code;answer", "Năm,Mã đơn vị,Mã phiếu,1.1,1.2"]),
       bom=st.booleans())
def test_known_header_then_random_bytes(body, header, bom):
    data = (b"\xef\xbb\xbf" if bom else b"") + header.encode() + b"\n" + body
    read_cleanly(data, "x.csv")
    ingest_cleanly(data, "x.csv")


def _small_workbook() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "PAPI"
    for row in (["Năm", "Tỉnh", "Mã", "Điểm"], [2023, "Bắc Kạn", "D1", 5.5],
                [2023, "Bắc Kạn", "6.2", "1,4148"], [2024, "Bắc Kạn", "D1", "=4+2"]):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


SMALL_XLSX = _small_workbook()


@SETTINGS
@given(cut=st.integers(min_value=0, max_value=len(SMALL_XLSX)),
       flips=st.lists(st.tuples(st.integers(0, len(SMALL_XLSX) - 1), st.integers(0, 255)),
                      max_size=8))
def test_damaged_workbook(cut, flips):
    data = bytearray(SMALL_XLSX)
    for pos, value in flips:
        data[pos] = value
    data = bytes(data[:cut]) if cut < len(SMALL_XLSX) // 2 or not flips else bytes(data)
    read_cleanly(data, "x.xlsx")
    ingest_cleanly(data, "x.xlsx")


# --- random well-formed tables -----------------------------------------------------------------

LAYOUTS = {
    "par_scores": ["unit_code", "year", "criterion_code", "criterion_name", "max_points",
                   "self_score", "appraised_score"],
    "papi_scores": ["year", "province", "code", "score"],
    "sipas_answers": ["year", "unit_code", "respondent_id", "question_code", "answer"],
    "sipas_rates": ["year", "unit_code", "criterion_code", "rate_pct", "n"],
}
VI_HEADERS = {
    "unit_code": "Mã đơn vị", "year": "Năm", "criterion_code": "Mã tiêu chí",
    "criterion_name": "Tên tiêu chí", "max_points": "Điểm tối đa",
    "self_score": "Điểm tự đánh giá", "appraised_score": "Điểm thẩm định", "province": "Tỉnh",
    "code": "Mã", "score": "Điểm", "respondent_id": "Mã phiếu", "question_code": "Mã câu hỏi",
    "answer": "Trả lời", "rate_pct": "Tỷ lệ hài lòng (%)", "n": "Số phiếu hợp lệ",
}
# Cells: plausible values (so that some files load) and hostile text (quotes, delimiters,
# newlines, Vietnamese letters in NFC and NFD, non-breaking spaces, formulas-looking text).
PLAUSIBLE = st.sampled_from(["1", "2", "3", "4", "5", "0,5", "2.5", "2023", "2024", "1.1",
                             "1.1.2", "D1", "6.2", "STTTT", "Bắc Kạn", "Hà Nội", "KAD", "", " "])
HOSTILE = st.text(
    alphabet=st.sampled_from(list("ab1.,;\"' \n\t\u00a0-=#/") + ["ạ", "Đ", "ế", "\u0301",
                                                                "\u0303", "ư", "<", "&"]),
    max_size=12,
)
CELL = st.one_of(PLAUSIBLE, PLAUSIBLE, HOSTILE)


@st.composite
def tables(draw):
    table = draw(st.sampled_from(sorted(LAYOUTS)))
    columns = LAYOUTS[table]
    spelling = draw(st.sampled_from(["en", "vi", "upper"]))
    header = [c if spelling == "en" else VI_HEADERS[c] for c in columns]
    if spelling == "upper":
        header = [h.upper() for h in header]
    rows = draw(st.lists(st.lists(CELL, min_size=len(columns), max_size=len(columns)),
                         min_size=0, max_size=6))
    return table, columns, header, rows


@st.composite
def valid_tables(draw):
    """Tables that should load: keys unique, numbers in range, free text hostile."""
    table = draw(st.sampled_from(["par_scores", "papi_scores"]))
    columns = LAYOUTS[table]
    header = [draw(st.sampled_from([c, VI_HEADERS[c], VI_HEADERS[c].upper()])) for c in columns]
    number = st.builds(lambda whole, frac, comma: f"{whole}{',' if comma else '.'}{frac}",
                       st.integers(1, 4), st.integers(0, 99), st.booleans())
    if table == "par_scores":
        codes = draw(st.lists(st.sampled_from(["1", "1.1", "1.2", "1.1.1", "II", "2.1.", "3.4.5"]),
                              min_size=1, max_size=6, unique_by=lambda c: c.rstrip(".")))
        rows = [["STTTT", "2023", code, "x" + draw(HOSTILE), "5", draw(number),
                 draw(st.sampled_from(["", "KAD", "Không áp dụng", "0,5"]))] for code in codes]
    else:
        keys = draw(st.lists(st.tuples(st.sampled_from(["Bắc Kạn", "Hà Nội", " huế ",
                                                        "TP. Hồ Chí Minh", "Đắk Lắk"]),
                                       st.sampled_from(["D1", "d3", "D8"])),
                             min_size=1, max_size=6,
                             unique_by=lambda k: (k[0].strip().lower(), k[1].upper())))
        rows = [["2023", province, code, draw(number)] for province, code in keys]
    return table, columns, header, rows


def _csv_expected(cell: str) -> str | None:
    return unicodedata.normalize("NFC", cell).strip(" \t\u00a0") or None


def _xlsx_expected(cell: str) -> str | None:
    text = readers._cell_text(cell)
    return None if text is None else _csv_expected(text)


def _check_loaded_rows(table, columns, rows, new, expected_cell, skip_blank_rows):
    expected = [tuple(expected_cell(c) for c in row) for row in rows]
    if skip_blank_rows:
        expected = [r for r in expected if any(v is not None for v in r)]
    positions = [TABLE_COLUMNS[table].index(c) for c in columns]
    got = [tuple(r[i] for i in positions) for r in new[table]]
    assert sorted(got, key=repr) == sorted(expected, key=repr)


@TABLE_SETTINGS
@given(spec=st.one_of(tables(), valid_tables()), delimiter=st.sampled_from([",", ";"]),
       bom=st.booleans(), encoding=st.sampled_from(["utf-8", "utf-8", "utf-16", "cp1258"]))
def test_random_table_as_csv(spec, delimiter, bom, encoding):
    table, columns, header, rows = spec
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    text = buf.getvalue()
    if encoding == "cp1258":
        try:
            data = _to_cp1258(text)
        except UnicodeEncodeError:
            data = text.encode("utf-8")
    else:
        data = text.encode(encoding)
    if bom and encoding == "utf-8":
        data = b"\xef\xbb\xbf" + data
    outcome, _, _, new = ingest_cleanly(data, "t.csv")
    if outcome.status == "loaded":
        _check_loaded_rows(table, columns, rows, new, _csv_expected, skip_blank_rows=False)


@TABLE_SETTINGS
@given(spec=st.one_of(tables(), valid_tables()),
       # a spreadsheet keeps about 15 significant digits (openpyxl writes %.16g): numbers with
       # more cannot round-trip through any .xlsx file, so they are not what we test here
       numbers=st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
                        .map(lambda x: float(f"{x:.12g}")), max_size=5))
def test_random_table_as_xlsx(spec, numbers):
    table, columns, header, rows = spec
    rows = [list(r) for r in rows]
    for i, number in enumerate(numbers):  # some cells typed as Excel numbers
        if rows:
            rows[i % len(rows)][i % len(columns)] = number
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append([None if c == "" else c for c in row])
    buf = io.BytesIO()
    wb.save(buf)
    outcome, _, _, new = ingest_cleanly(buf.getvalue(), "t.xlsx")
    if outcome.status == "loaded":
        _check_loaded_rows(table, columns, rows, new, _xlsx_expected, skip_blank_rows=True)


def _to_cp1258(text: str) -> bytes:
    out = b""
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            out += (unicodedata.normalize("NFC", decomposed[:-1]).encode("cp1258")
                    + decomposed[-1].encode("cp1258"))
    return out
