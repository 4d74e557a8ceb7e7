"""A small published database for the report tests, built with plain CREATE TABLE / INSERT:
criterion_gaps as the mart writes it, the plan's settings and owners, the run records and
(optionally) gap_history; then the presentation marts (sql/reports) built from them by the
real models, as a run builds them."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal as D
from pathlib import Path

import duckdb
import pytest

from tests.helpers import build_reports

HOSTILE = "<script>alert(1)</script>"
TITLE = "Kế hoạch nâng cao Chỉ số CCHC, SIPAS & PAPI năm 2024 — Sở Thử nghiệm"
LATEST_RUN, OLD_RUN = "20260315T010000-aaaaaa", "20260314T010000-bbbbbb"

GAP_COLUMNS = """index_name varchar, appendix integer, unit_code varchar, criterion_code varchar,
    criterion_name varchar, level varchar, owner_unit varchar, owner_name varchar,
    baseline_year integer, baseline_value decimal(20, 8), baseline_n bigint,
    max_value decimal(20, 8), target_op varchar, target_value decimal(21, 8),
    target_capped boolean, current_year integer, current_value decimal(20, 8), current_n bigint,
    current_stage varchar, gap decimal(22, 8), status varchar, small_sample boolean,
    rule_vi varchar"""
# The mart's columns the fixture rows leave at their usual value.
DEFAULTS = """null::decimal(20, 8) as baseline_children_value,
    null::decimal(20, 8) as children_value, false as children_sum_differs,
    null::varchar as evidence_status, false as evidence_missing, rule_vi as target_vi,
    null::varchar as baseline_from,
    list_position(['PAR', 'SIPAS', 'PAPI'], index_name) as index_order,
    try_cast(string_split(replace(criterion_code, 'D', ''), '.') as integer[])
        as code_order,
    gap / nullif(max_value, 0) as relative_gap"""
OWNERS = [("VP", "Văn phòng Sở", "vp@example.vn"), ("DOI", "Đội kiểm tra <b>nội bộ</b>", None),
          ("DV", "Dân vận", "dv@example.vn")]

# index, appendix, unit, code, name, level, owner_unit, owner_name, baseline, baseline_n, max,
# op, target, capped, current, current_n, stage, gap, status, small_sample, rule
GAPS = [
    ("PAR", 1, "STTTT", "1.6", HOSTILE, "TC", "VP",
     "Văn phòng Sở", D("2"), None, D("2"), ">=", D("2"), False, D("1.2"), None,
     "self_assessed", D("-0.8"), "at_risk", False, "Giữ điểm tối đa 2"),
    ("PAR", 1, "STTTT", "1.1", "Ban hành kế hoạch CCHC năm", "TC", "VP", "Văn phòng Sở",
     D("1"), None, D("1"), ">=", D("1"), False, D("1"), None, "appraised", D("0"), "met",
     False, "Giữ điểm tối đa 1"),
    ("PAR", 2, "STTTT", "2.2", "Tỷ lệ hoàn thành nhiệm vụ được UBND tỉnh giao", "TC", "DOI",
     "Đội kiểm tra <b>nội bộ</b>", D("1.2"), None, D("3"), ">", D("1.2"), False, D("1.5"),
     None, "appraised", D("0.3"), "met", False, "Đạt điểm cao hơn năm 2023 (1,2)"),
    ("PAR", None, "STTTT", "7.3.4", "Tỷ lệ TTHC có sử dụng dữ liệu dân cư", "TCTP", "VP",
     "Văn phòng Sở", None, None, D("0.5"), None, None, False, D("0.25"), None,
     "self_assessed", None, "no_data", False, "Tiêu chí mới năm 2024, chưa có mục tiêu"),
    ("SIPAS", 3, "STTTT", "3.5", "Công chức tuân thủ đúng quy định", "criterion", "DV",
     "Dân vận", D("78.630000"), 25, D("100"), ">=", D("88.630000"), False, D("79.660000"), 20,
     "final", D("-8.970000"), "missed", True,
     "Tỷ lệ hài lòng tối thiểu 88,63% (năm 2023: 78,63% + 10,00 điểm %)"),
    ("SIPAS", 3, "STTTT", "1.1", "Nơi ngồi chờ có đủ chỗ ngồi", "criterion", "DV", "Dân vận",
     D("95.500000"), 36525, D("100"), ">=", D("100"), True, D("100"), 36200, "final",
     D("0"), "met", False, "Tỷ lệ hài lòng tối thiểu 100,00% (năm 2023: 95,50% + 10,00 điểm %;"
     " giới hạn ở 100%)"),
    ("PAPI", 4, "Bắc Kạn", "6.2", "Giáo dục tiểu học công lập", "subdimension", "VP",
     "Văn phòng Sở", D("1.4148"), None, D("2.5"), ">=", D("1.5148"), False, D("1.4652"), None,
     "final", D("-0.0496"), "missed", False, "Điểm tối thiểu 1,5148 (năm 2023: 1,4148 + 0,1)"),
]
GUIDANCE = [  # index, appendix, unit, code, guidance, note
    ("PAR", 1, "STTTT", "1.6", "Cần thêm 0,8 điểm để đạt chỉ tiêu; còn 0,8 điểm có thể đạt;"
     f" thuộc nhóm ít tiêu chí nhất đủ để vượt {HOSTILE} (cần hơn 0,45 điểm, xếp hạng 2024)",
     None),
    # 79,66 % of 20: 16 satisfied; 88,63 % of 20 is 17,726: 18, 2 more
    ("SIPAS", 3, "STTTT", "3.5", "Cần thêm 2 phiếu hài lòng trên 20 để đạt 88,63%",
     "So với năm cơ sở: chưa phân biệt được với sai số chọn mẫu (p = 0,930)"),
]
PLAN_ID = "bkn-stttt-2023-2024"
HISTORY = [  # index, appendix, unit, code, valid_from, valid_to, current_value, stage, status
    ("PAR", 1, "STTTT", "1.6", dt.date(2026, 1, 10), dt.date(2026, 3, 1), D("1.0"),
     "self_assessed", "at_risk"),
    ("PAR", 1, "STTTT", "1.6", dt.date(2026, 3, 1), None, D("1.2"), "self_assessed", "at_risk"),
    ("PAPI", 4, "Bắc Kạn", "6.2", dt.date(2026, 2, 1), None, D("1.4652"), "final", "missed"),
]


def build_db(path: Path, with_history: bool = True) -> Path:
    con = duckdb.connect(str(path))
    con.execute(f"create table gaps_in ({GAP_COLUMNS})")
    con.executemany(
        "insert into gaps_in values (?, ?, ?, ?, ?, ?, ?, ?, 2023, ?, ?, ?, ?, ?, ?, 2024,"
        " ?, ?, ?, ?, ?, ?, ?)", [list(r) for r in GAPS],
    )
    con.execute(f"create table criterion_gaps as select *, {DEFAULTS} from gaps_in")
    con.execute("drop table gaps_in")
    con.execute("""create table plan_settings (title varchar, baseline_year integer,
        target_year integer, office varchar, summary_rows integer, report_rows integer,
        owner_rows integer, digest_rows integer, deadline_soon_days integer)""")
    con.execute("insert into plan_settings values (?, 2023, 2024, 'VP', 40, 100, 20, 15, 7)",
                [TITLE])
    # every mart row carries its plan's id; the plan the file was built for is plan_settings'
    for table in ("plan_settings", "criterion_gaps"):
        con.execute(f"alter table {table} add column plan_id varchar default '{PLAN_ID}'")
    con.execute("create table plan_owner_units (owner_unit varchar, name varchar,"
                " email varchar)")
    con.executemany("insert into plan_owner_units values (?, ?, ?)", OWNERS)
    con.execute("""create table runs (run_id varchar, as_of_date date, started_at timestamptz,
        finished_at timestamptz)""")
    con.execute("""insert into runs values
        (?, '2026-03-14', '2026-03-13 18:00:00+00', '2026-03-13 18:01:00+00'),
        (?, '2026-03-15', '2026-03-14 18:00:00+00', '2026-03-14 18:01:00+00')""",
                [OLD_RUN, LATEST_RUN])
    con.execute("""create table extracts (run_id varchar, file varchar, sheet varchar,
        sha256 varchar, kind varchar, n_rows bigint, status varchar, message varchar,
        warnings varchar)""")
    con.executemany("insert into extracts values (?, ?, ?, null, null, 0, ?, ?, null)", [
        [LATEST_RUN, "par_index_2024.csv", None, "loaded", None],
        [LATEST_RUN, "papi_<bad>.xlsx", "Trang <1>", "rejected",
         "Thiếu cột <Điểm> ở dòng 1; cần: Mã, Điểm"],
        [OLD_RUN, "old_rejected.csv", None, "rejected", "Tệp của lượt chạy trước"],
    ])
    con.execute("""create table check_results (run_id varchar, suite varchar, target varchar,
        expectation varchar, column_name varchar, success boolean, n_failing integer,
        failing json, observed varchar, description_vi varchar)""")
    con.executemany("insert into check_results values (?, ?, ?, ?, ?, ?, ?, null, ?, ?)", [
        [LATEST_RUN, "input_par_scores", "par_index_2024.csv",
         "expect_column_values_to_be_between", "n_not_a_number", False, 3, None,
         "Mọi ô số đọc được thành số"],
        [LATEST_RUN, "input_par_scores", "par_index_2024.csv",
         "expect_column_values_to_be_between", "n_rows", True, 0, None,
         "Tệp có ít nhất một dòng dữ liệu"],
        [LATEST_RUN, "target_criterion_gaps", "criterion_gaps",
         "expect_column_pair_values_a_to_be_greater_than_b", "current_value, target_value",
         False, 3, None, "Giá trị hiện tại đạt tối thiểu mục tiêu (≥)"],
        [OLD_RUN, "input_papi_scores", "old.csv", "expect_column_values_to_be_between",
         "n_bad_code", False, 9, None, "Kiểm tra của lượt chạy trước"],
    ])
    if with_history:
        con.execute("""create table gap_history (index_name varchar, appendix integer,
            unit_code varchar, criterion_code varchar, valid_from date, valid_to date,
            baseline_value decimal(20, 8), target_value decimal(21, 8),
            current_value decimal(20, 8), current_stage varchar, gap decimal(22, 8),
            status varchar)""")
        con.executemany(
            """insert into gap_history
               select ?, ?, ?, ?, ?, ?, g.baseline_value, g.target_value, ?, ?,
                   ? - g.target_value, ?
               from criterion_gaps as g
               where g.index_name = ? and g.appendix = ? and g.criterion_code = ?""",
            [[*h[:7], h[7], h[6], h[8], h[0], h[1], h[3]] for h in HISTORY],
        )
        con.execute(f"alter table gap_history add column plan_id varchar default '{PLAN_ID}'")
    # criterion_guidance as the mart writes it (from guidance_sipas, guidance_par: their
    # inputs are not in this database)
    con.execute("""create table criterion_guidance (index_name varchar, appendix integer,
        unit_code varchar, criterion_code varchar, guidance_vi varchar, note_vi varchar)""")
    con.executemany("insert into criterion_guidance values (?, ?, ?, ?, ?, ?)", GUIDANCE)
    con.execute(f"alter table criterion_guidance add column plan_id varchar default '{PLAN_ID}'")
    build_reports(con)
    con.close()
    return path


def add_trend(db: Path) -> None:
    """criterion_trend as the mart writes it: 1.6 across the years, once under another code and
    out of another maximum, once a predecessor's score; the presentation marts built again."""
    con = duckdb.connect(str(db))
    con.execute("""create table criterion_trend as
        select plan_id, index_name, unit_code, criterion_code, t.year, t.scored_unit,
            t.old_codes, t.value::decimal(20, 8) as value, t.max_value::decimal(20, 8) as max_value,
            round(100 * t.value / t.max_value, 2) as share_pct, t.stage,
            t.year = 2023 as is_baseline_year, t.year = 2024 as is_target_year,
        from criterion_gaps
        cross join (values (2021, 'BKN.X', '1.5', 0.5, 1, 'appraised'),
            (2022, 'STTTT', '1.5', 1.5, 2, 'appraised'), (2023, 'STTTT', null, 2, 2, 'appraised'),
            (2024, 'STTTT', null, 1.2, 2, 'self_assessed'))
            as t(year, scored_unit, old_codes, value, max_value, stage)
        where criterion_code = '1.6'""")
    build_reports(con)
    con.close()


@pytest.fixture(scope="module")
def _built(tmp_path_factory) -> dict[bool, Path]:
    """Each fixture database built once a module, with and without gap_history."""
    folder = tmp_path_factory.mktemp("report-db")
    return {history: build_db(folder / f"history-{history}.duckdb", with_history=history)
            for history in (True, False)}


@pytest.fixture
def db(tmp_path: Path, _built) -> Path:
    """The fixture database, this test's own copy."""
    return Path(shutil.copy(_built[True], tmp_path / "chiso.duckdb"))


@pytest.fixture
def db_without_history(tmp_path: Path, _built) -> Path:
    return Path(shutil.copy(_built[False], tmp_path / "old.duckdb"))
