"""Which registered unit an extract's unit code means (sql/checks/_units.sql.j2): a code the
register has, a bare code qualified by the file's province, an old code followed to the unit
that existed on 31 Dec of the year; what the input checks refuse and what they only say.
The register is the shipped one (data/reference/units.csv, unit_changes.csv)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from flows.intake import ingest
from flows.warehouse import db

PAR_HEADER = "Mã đơn vị,Năm,Mã tiêu chí,Tên tiêu chí,Điểm tối đa,Điểm tự đánh giá,Điểm thẩm định"


def staged(wh) -> dict[tuple[str, int, str], str]:
    wh.run()
    return {(r["source_file"], r["year"], r["criterion_code"]): r["unit_code"]
            for r in wh.rows("select source_file, year, criterion_code, unit_code"
                             " from stg_par__scores")}


def test_a_bare_code_takes_the_plans_province_and_an_old_code_its_successor(wh):
    # the plan is Bắc Kạn's (BASE_PLAN): SKHCN is BKN.SKHCN, which existed on 31/12/2024;
    # in 2025 it had become part of TNG.SKHCN (1/7/2025). STTTT (to 28/2/2025) became
    # BKN.SKHCN, then TNG.SKHCN: a 2025 row of STTTT belongs to TNG.SKHCN.
    wh.insert("par_scores", [
        {"unit_code": "SKHCN", "year": 2024, "criterion_code": "1.1", "max_points": "1"},
        {"unit_code": " SKHCN", "year": 2025, "criterion_code": "1.2", "max_points": "1"},
        {"unit_code": "STTTT", "year": 2024, "criterion_code": "1.3", "max_points": "1"},
        {"unit_code": "STTTT", "year": 2025, "criterion_code": "1.4", "max_points": "1"},
        {"unit_code": "U1", "year": 2025, "criterion_code": "1.5", "max_points": "1"},
    ], source_file="par.csv")
    assert staged(wh) == {
        ("par.csv", 2024, "1.1"): "BKN.SKHCN", ("par.csv", 2025, "1.2"): "TNG.SKHCN",
        ("par.csv", 2024, "1.3"): "STTTT", ("par.csv", 2025, "1.4"): "TNG.SKHCN",
        ("par.csv", 2025, "1.5"): "U1",  # not in the register: as it is
    }


def test_a_file_name_pattern_decides_the_province(wh):
    wh.plan({"unit_provinces": [{"files": "*thai_nguyen*", "province": "Thái Nguyên"}]})
    for file in ("par_thai_nguyen_2024.csv", "par_bac_kan_2024.csv"):
        wh.insert("par_scores", [{"unit_code": "SKHCN", "year": 2024, "criterion_code": "1.1",
                                  "max_points": "1"}], source_file=file)
    assert staged(wh) == {("par_thai_nguyen_2024.csv", 2024, "1.1"): "TNG.SKHCN",
                          ("par_bac_kan_2024.csv", 2024, "1.1"): "BKN.SKHCN"}


def test_an_unknown_province_in_unit_provinces_is_a_plan_error(wh):
    from flows.errors import PlanError

    with pytest.raises(PlanError, match=r"unit_provinces\[0\]\.province: 'Bắc Cạn Mới'"):
        wh.plan({"unit_provinces": [{"files": "*", "province": "Bắc Cạn Mới"}]})


# --- the input checks ----------------------------------------------------------------------

@pytest.fixture
def con():
    con = duckdb.connect()
    db.install_macros(con)
    db.create_raw_tables(con)
    db.load_reference(con)
    con.execute("create table plan_provinces (province varchar)")
    con.execute("create table plan_unit_provinces (pos integer, pattern varchar,"
                " province varchar)")
    yield con
    con.close()


def par_file(tmp_path: Path, name: str, unit: str, year: int) -> Path:
    path = tmp_path / name
    path.write_text(f"{PAR_HEADER}\n{unit},{year},1.1,Kế hoạch CCHC,1,1,1\n"
                    f"{unit},{year},1.2,Báo cáo,1,1,1\n", encoding="utf-8")
    return path


def test_a_code_the_register_does_not_decide_is_refused_naming_it(con, tmp_path):
    # no province: SKHCN could be Bắc Kạn's or Thái Nguyên's
    outcome = ingest.ingest_file(con, par_file(tmp_path, "par.csv", "SKHCN", 2024), "par.csv")
    assert outcome.status == "rejected"
    assert "data/reference/units.csv" in outcome.message
    assert '"SKHCN" khớp BKN.SKHCN, TNG.SKHCN' in outcome.message
    (problem,) = [p for p in outcome.problems if p.kind == "bad_unit"]
    assert (problem.row, problem.column, problem.value) == (2, "unit_code", "SKHCN")
    assert con.execute("select count(*) from raw_par_scores").fetchall() == [(0,)]
    # the plan's province decides it
    con.execute("insert into plan_provinces values ('Thái Nguyên')")
    assert ingest.ingest_file(con, par_file(tmp_path, "par.csv", "SKHCN", 2024),
                              "par.csv").status == "loaded"


def test_an_old_code_loads_under_its_successor_and_the_run_says_so(con, tmp_path):
    outcome = ingest.ingest_file(con, par_file(tmp_path, "p.csv", "TNG.STTTT", 2025), "p.csv")
    assert outcome.status == "loaded"
    assert outcome.warnings == [
        "1 mã đơn vị cũ được nạp cho đơn vị kế thừa: TNG.STTTT (từ dòng 2): số liệu năm 2025"
        " nạp cho TNG.SKHCN (đơn vị kế thừa theo data/reference/units.csv)"]


def test_a_unit_not_formed_by_the_year_is_refused(con, tmp_path):
    outcome = ingest.ingest_file(con, par_file(tmp_path, "p.csv", "TNG.SKHCN", 2007), "p.csv")
    assert outcome.status == "rejected"
    assert ("một đơn vị còn tồn tại ngày 31/12/2007 theo data/reference/units.csv (TNG.SKHCN"
            " chưa thành lập, không có đơn vị kế thừa)") in outcome.message


def test_units_outside_the_register_load_as_before(con, tmp_path):
    outcome = ingest.ingest_file(con, par_file(tmp_path, "p.csv", "X9", 2024), "p.csv")
    assert (outcome.status, outcome.warnings) == ("loaded", [])
