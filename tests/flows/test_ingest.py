"""ingest_file end to end on a fresh DuckDB connection: read, SQL checks, GX input suite, and
a file either lands whole in its raw table or not at all."""

from __future__ import annotations

from pathlib import Path

import duckdb
import openpyxl
import pytest

from flows.intake import ingest, readers
from flows.warehouse import db

PAR_HEADER = "Mã đơn vị,Năm,Mã tiêu chí,Tên tiêu chí,Điểm tối đa,Điểm tự đánh giá,Điểm thẩm định"
PAR_GOOD = (
    f"{PAR_HEADER}\n"
    "STTTT,2023,1,Công tác chỉ đạo,3,2.5,2.5\n"
    "STTTT,2023,1.1,Kế hoạch CCHC,1,1,1\n"
    'STTTT,2023,1.2,Báo cáo,"2,0","1,5",Không áp dụng\n'
)


@pytest.fixture
def con():
    con = duckdb.connect()
    db.install_macros(con)
    db.create_raw_tables(con)
    yield con
    con.close()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def count(con, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchall()[0][0]


def sipas_long(tmp_path: Path, answers: list[str], name: str = "sipas.csv") -> Path:
    lines = ["year;unit_code;respondent_id;question_code;answer"]
    lines += [f"2023;STTTT;P{i // 4:03d};1.{i % 4 + 1};{a}" for i, a in enumerate(answers)]
    return write(tmp_path, name, "\n".join(lines) + "\n")


def test_good_file_loads(con, tmp_path):
    path = write(tmp_path, "par.csv", PAR_GOOD)
    outcome = ingest.ingest_file(con, path, "inbox/par.csv")
    assert outcome.status == "loaded", outcome.message
    assert outcome.n_rows == 3 and outcome.kinds == "par_scores"
    assert outcome.problems == [] and outcome.warnings == []
    assert all(r.success for r in outcome.checks)
    assert con.execute(
        "select criterion_code, max_points, self_score, appraised_score, source_file,"
        " source_sha256, source_row from raw_par_scores order by source_row"
    ).fetchall() == [
        ("1", "3", "2.5", "2.5", "inbox/par.csv", readers.sha256_of(path), 2),
        ("1.1", "1", "1", "1", "inbox/par.csv", readers.sha256_of(path), 3),
        ("1.2", "2,0", "1,5", "Không áp dụng", "inbox/par.csv", readers.sha256_of(path), 4),
    ]


def test_score_above_max_rejected_naming_row_column_expected(con, tmp_path):
    path = write(tmp_path, "par.csv", f"{PAR_HEADER}\n"
                                      "STTTT,2023,1.1,Kế hoạch CCHC,1,1,1\n"
                                      "STTTT,2023,1.2,Báo cáo,\"0,5\",\"0,75\",\n")
    outcome = ingest.ingest_file(con, path, "par.csv")
    assert outcome.status == "rejected"
    assert count(con, "raw_par_scores") == 0
    [problem] = [p for p in outcome.problems if p.kind == "out_of_range"]
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "par.csv", 3, "self_score", "0,75")
    assert problem.expected == "điểm trong khoảng 0 đến điểm tối đa (0,5)"
    assert outcome.message == (
        "Không đạt kiểm tra: Điểm trong khoảng 0 đến điểm tối đa. Ví dụ: dòng 3, cột self_score:"
        " giá trị '0,75' — cần điểm trong khoảng 0 đến điểm tối đa (0,5)."
    )


def test_header_only_file_rejected_by_row_count(con, tmp_path):
    outcome = ingest.ingest_file(con, write(tmp_path, "par.csv", PAR_HEADER + "\n"), "par.csv")
    assert outcome.status == "rejected"
    failed = [r for r in outcome.checks if not r.success]
    assert [r.column for r in failed] == ["n_rows"]
    assert "Tệp có ít nhất một dòng dữ liệu" in outcome.message


def test_unreadable_file_rejected_with_vietnamese_message(con, tmp_path):
    outcome = ingest.ingest_file(
        con, write(tmp_path, "par.csv", "Mã đơn vị,Năm,Mã tiêu chí,Tên tiêu chí\n"), "par.csv")
    assert outcome.status == "rejected"
    assert outcome.message.startswith("dòng 1, cột max_points — cần đủ các cột bắt buộc của loại"
                                      " tệp Điểm Chỉ số CCHC (PAR INDEX): thiếu cột max_points"
                                      " (Điểm tối đa)")


def _workbook(tmp_path: Path, papi_d1: float) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tiêu chí"
    for row in (["Mã câu hỏi", "Yếu tố", "Tên tiêu chí"], ["1.1", 1, "Nơi ngồi chờ"]):
        ws.append(row)
    ws = wb.create_sheet("PAPI")
    for row in (["Năm", "Tỉnh", "Mã", "Điểm"], [2023, "Bắc Kạn", "D1", papi_d1],
                [2023, "Bắc Kạn", "D2", 5.5]):
        ws.append(row)
    path = tmp_path / "book.xlsx"
    wb.save(path)
    return path


def test_multi_sheet_xlsx_loads_every_sheet(con, tmp_path):
    outcome = ingest.ingest_file(con, _workbook(tmp_path, 5.25), "book.xlsx")
    assert outcome.status == "loaded", outcome.message
    assert [(p.sheet, p.kind, p.n_rows) for p in outcome.parts] == [
        ("Tiêu chí", "sipas_criteria", 1), ("PAPI", "papi_scores_long", 2)]
    assert count(con, "raw_sipas_criteria") == 1 and count(con, "raw_papi_scores") == 2


def test_multi_sheet_xlsx_with_one_bad_sheet_rejects_the_whole_file(con, tmp_path):
    outcome = ingest.ingest_file(con, _workbook(tmp_path, 12), "book.xlsx")
    assert outcome.status == "rejected"
    # the good first sheet was checked and staged, but nothing of the file is kept
    assert count(con, "raw_sipas_criteria") == 0 and count(con, "raw_papi_scores") == 0
    [problem] = outcome.problems
    assert (problem.sheet, problem.row, problem.column, problem.value) == ("PAPI", 2, "score", "12")
    assert "trang tính PAPI, dòng 2, cột score: giá trị '12' — cần điểm chỉ số nội dung từ 1 đến" \
           " 10" in outcome.message


def test_sipas_invalid_answers_up_to_5_percent_load_with_warning(con, tmp_path):
    answers = ["4"] * 40
    answers[5], answers[20] = "0", "6"  # 2 of 40 = 5 %
    answers[7] = ""  # a blank is no answer, not an invalid one
    outcome = ingest.ingest_file(con, sipas_long(tmp_path, answers), "sipas.csv")
    assert outcome.status == "loaded", outcome.message
    assert outcome.warnings == ["2 câu trả lời ngoài khoảng 1–5 đã bị loại khỏi n (dòng 7, 22)"]
    assert [(p.row, p.value) for p in outcome.problems if p.kind == "invalid_answer"] == [
        (7, "0"), (22, "6")]
    assert count(con, "raw_sipas_answers") == 40  # loaded as they are; staging excludes them


def test_sipas_invalid_answers_over_5_percent_rejected(con, tmp_path):
    answers = ["5"] * 40
    answers[1], answers[2], answers[3] = "0", "x", "7"  # 3 of 40 = 7.5 %
    outcome = ingest.ingest_file(con, sipas_long(tmp_path, answers), "sipas.csv")
    assert outcome.status == "rejected"
    assert count(con, "raw_sipas_answers") == 0
    assert outcome.message.startswith("Không đạt kiểm tra: Không quá 5% câu trả lời ngoài khoảng"
                                      " 1–5. Ví dụ: dòng 3, cột answer: giá trị '0' — cần một"
                                      " mức từ 1 đến 5, hoặc để trống")


def test_sipas_wide_warning_lists_each_row_once(con, tmp_path):
    rows = ["year,unit_code,respondent_id,1.1,1.2,1.3,1.4,1.5"]
    rows += [f"2024,STTTT,P{i:02d},4,5,4,5,4" for i in range(9)]
    rows.append("2024,STTTT,P99,0,9,4,5,4")  # two invalid answers on row 11: 2 of 50 = 4 %
    outcome = ingest.ingest_file(con, write(tmp_path, "w.csv", "\n".join(rows) + "\n"), "w.csv")
    assert outcome.status == "loaded", outcome.message
    assert outcome.warnings == ["2 câu trả lời ngoài khoảng 1–5 đã bị loại khỏi n (dòng 11)"]


def test_rejected_file_leaves_earlier_loaded_rows_untouched(con, tmp_path):
    first = ingest.ingest_file(con, write(tmp_path, "a.csv", PAR_GOOD), "a.csv")
    assert first.status == "loaded"
    before = con.execute("select * from raw_par_scores order by source_row").fetchall()
    bad = PAR_GOOD.replace("Kế hoạch CCHC,1,1,1", "Kế hoạch CCHC,1,1,abc")
    second = ingest.ingest_file(con, write(tmp_path, "b.csv", bad), "b.csv")
    assert second.status == "rejected"
    [problem] = second.problems
    assert (problem.row, problem.column, problem.kind) == (3, "appraised_score", "not_a_number")
    assert con.execute("select * from raw_par_scores order by source_row").fetchall() == before
    # the connection is still usable: a later good file loads
    third = ingest.ingest_file(con, write(tmp_path, "c.csv", PAR_GOOD.replace("2023", "2024")),
                               "c.csv")
    assert third.status == "loaded"
    assert count(con, "raw_par_scores") == 6


def test_sipas_xlsx_warning_names_the_sheet(con, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Phiếu 2024"
    ws.append(["Năm", "Mã đơn vị", "Mã phiếu"] + [f"1.{q}" for q in range(1, 6)])
    for i in range(12):
        ws.append([2024, "STTTT", f"P{i:02d}", 4, 5, 4, 5, 7 if i == 4 else 4])
    path = tmp_path / "sipas.xlsx"
    wb.save(path)
    outcome = ingest.ingest_file(con, path, "sipas.xlsx")  # 1 of 60 invalid
    assert outcome.status == "loaded", outcome.message
    assert outcome.warnings == [
        "1 câu trả lời ngoài khoảng 1–5 đã bị loại khỏi n (trang tính Phiếu 2024, dòng 6)"]
    assert count(con, "raw_sipas_answers") == 60


def test_many_invalid_answers_listed_with_ellipsis(con, tmp_path):
    answers = ["4"] * 300
    for i in range(0, 300, 25):  # 12 of 300 = 4 %
        answers[i] = "9"
    outcome = ingest.ingest_file(con, sipas_long(tmp_path, answers), "sipas.csv")
    assert outcome.status == "loaded", outcome.message
    assert outcome.warnings == [
        "12 câu trả lời ngoài khoảng 1–5 đã bị loại khỏi n (dòng 2, 27, 52, 77, 102, 127, 152,"
        " 177, 202, 227…)"]


# --- bulk paths (README, Performance): same outcomes as the row-by-row checks they replace --

def test_duplicate_answers_rejected_naming_each_row(con, tmp_path):
    lines = ["year;unit_code;respondent_id;question_code;answer"]
    lines += [f"2023;STTTT;P{i:04d};1.{q};4" for i in range(500) for q in (1, 2)]
    lines.insert(700, "2023;STTTT;P0007;1.2;5")  # row 701: P0007 answered 1.2 twice
    path = write(tmp_path, "sipas.csv", "\n".join(lines) + "\n")
    outcome = ingest.ingest_file(con, path, "sipas.csv")
    assert outcome.status == "rejected"
    duplicates = [p for p in outcome.problems if p.kind == "duplicate_key"]
    assert sorted(p.row for p in duplicates) == [17, 701]
    assert {(p.column, p.value) for p in duplicates} == {("question_code", "1.2")}
    assert "dòng 17" in outcome.message and count(con, "raw_sipas_answers") == 0


def test_par_codes_equal_once_normalised_are_duplicates(con, tmp_path):
    path = write(tmp_path, "par.csv", f"{PAR_HEADER}\n"
                 "STTTT,2023,I,Công tác chỉ đạo,3,,\n"
                 "STTTT,2023,1.1,Kế hoạch,1,1,1\n"
                 "STTTT,2023,1.,Công tác chỉ đạo,3,,\n"  # row 4: the same criterion as row 2
                 "STTTT,2024,1,Công tác chỉ đạo,3,,\n")
    outcome = ingest.ingest_file(con, path, "par.csv")
    assert outcome.status == "rejected"
    assert [(p.row, p.kind, p.value) for p in outcome.problems] == [
        (2, "duplicate_key", "I"), (4, "duplicate_key", "1."),
    ]
    assert "lặp lại 2 lần" in outcome.problems[0].expected


def test_rows_are_numbered_as_a_person_sees_them_across_read_blocks(con, tmp_path):
    # Enough rows for DuckDB to read the file in several parallel chunks.
    lines = ["year;unit_code;respondent_id;question_code;answer"]
    lines += [f"2023;STTTT;P{i:06d};1.1;{'9' if i == 150_000 else '4'}" for i in range(200_000)]
    path = write(tmp_path, "sipas.csv", "\n".join(lines) + "\n")
    outcome = ingest.ingest_file(con, path, "sipas.csv")
    assert outcome.status == "loaded", outcome.message
    assert [p.row for p in outcome.problems] == [150_002]
    assert con.execute(
        "select count(*) from raw_sipas_answers"
        " where source_row <> 2 + cast(substr(respondent_id, 2) as integer)"
    ).fetchall() == [(0,)]


@pytest.mark.parametrize(("blank", "answer"), [
    ("\t", "5"), ("\u00a0", "5"),
    # other Unicode spaces stay, as they always have (DuckDB's own trim() would take them)
    ("\u3000", "\u30005"), ("\u2007", "\u20075"),
])
def test_cells_are_trimmed_the_same_whatever_blanks_a_file_holds(con, tmp_path, blank, answer):
    # The reader trims cells the cheap way in a file without odd blanks: the scan that finds
    # them reads 1 MiB blocks, and a blank of 2 or 3 bytes may straddle two.
    head = "year;unit_code;respondent_id;question_code;answer\n"
    rows = "".join(f"2023;STTTT;R{i:07d};1.1;4\n" for i in range(40_000))
    start = "2023;STTTT;P0002;1.1;"
    # spaces, then the blank's first byte as the 1,048,576th byte of the file
    padding = (1 << 20) - 1 - len((head + rows + start).encode())
    text = head + rows + start + " " * padding + blank + "5\n" + "2023;STTTT;P0001;1.1;4\n"
    path = write(tmp_path, "sipas.csv", text)
    assert path.read_bytes()[(1 << 20) - 1 :].startswith(blank.encode())
    outcome = ingest.ingest_file(con, path, "sipas.csv")
    assert outcome.status == "loaded", outcome.message
    assert con.execute(
        "select answer from raw_sipas_answers where respondent_id = 'P0002'"
    ).fetchall() == [(answer,)]
