"""sql/checks: the problems model of each extract kind on a tiny `incoming` table, and the
one-row profile that the Great Expectations input suites read."""

from __future__ import annotations

from decimal import Decimal

from flows.intake import ingest
from flows.intake.kinds import TABLE_COLUMNS


def check(wh, table: str, rows: list[dict]) -> tuple[list[tuple], dict]:
    """Load rows as the temp table `incoming` (row 2, 3, ... as a person sees them), run the
    kind's problems model and the profile; return (problems, profile)."""
    columns = TABLE_COLUMNS[table]
    wh.con.execute(f"create or replace temp table incoming as select * from raw_{table} limit 0")
    for i, row in enumerate(rows, start=2):
        assert set(row) <= set(columns), set(row) - set(columns)
        values = [None if row.get(c) is None else str(row[c]) for c in columns]
        wh.con.execute(
            f"insert into incoming values ({', '.join('?' * (len(columns) + 4))})",
            [*values, "extract.csv", None, "0" * 64, i],
        )
    ingest.judge_incoming(wh.con, table)
    problems = [
        (r["source_row"], r["column_name"], r["problem"], r["value"])
        for r in wh.rows("select * from incoming_problems order by source_row, column_name")
    ]
    assert all(r["source_file"] == "extract.csv" and r["expected"]
               for r in wh.rows("select * from incoming_problems"))
    (profile,) = wh.rows("select * from incoming_profile")
    return problems, profile


def counts(**nonzero: int) -> dict:
    out = {f"n_{k}": 0 for k in ("missing_required", "not_a_number", "bad_code",
                                 "out_of_range", "duplicate_key", "invalid_answer",
                                 "children_sum", "bad_unit")}
    out.update({f"n_{k}": v for k, v in nonzero.items()})
    return out


def profile_counts(profile: dict) -> dict:
    return {k: v for k, v in profile.items() if k.startswith("n_") and k != "n_rows"}


# --- PAR INDEX ------------------------------------------------------------------------------

def par(code="1.1", **cells) -> dict:
    row = dict(unit_code="U1", year="2023", criterion_code=code, criterion_name="Tiêu chí",
               max_points="1", self_score="1", appraised_score="0,5")
    row.update(cells)
    return row


def test_par_clean_extract_has_no_problems(wh):
    problems, profile = check(wh, "par_scores", [
        par("I", max_points="10", self_score=None, appraised_score=None),
        par("1.1."),
        par("1.1.1", self_score="KAD", appraised_score="Không áp dụng"),
        par("1.2", self_score="0", appraised_score=None),
    ])
    assert problems == []
    assert profile["n_rows"] == 4
    assert profile_counts(profile) == counts()


def test_par_a_score_that_differs_from_its_childrens_sum_is_a_warning(wh):
    problems, profile = check(wh, "par_scores", [
        par("2.2", max_points="3", self_score="2,2", appraised_score=None),
        par("2.2.1", max_points="1,5", self_score="1,5", appraised_score=None),
        par("2.2.2", max_points="1,5", self_score="1,4", appraised_score=None),
        # an area total that matches its TC's sum is fine; the appraised score is not compared
        # where a child has none
        par("3", max_points="2", self_score="1", appraised_score="0,5"),
        par("3.1", max_points="2", self_score="1", appraised_score=None),
    ])
    assert problems == [(2, "self_score", "children_sum", "2,2")]
    assert profile_counts(profile) == counts(children_sum=1)
    (expected,) = [r["expected"] for r in wh.rows("select * from incoming_problems")]
    assert expected == ("bằng tổng điểm các tiêu chí con: 2,9 (đơn vị U1, năm 2023,"
                        " tiêu chí 2.2)")


def test_par_each_problem_kind(wh):
    problems, profile = check(wh, "par_scores", [
        par("1.1"),                                   # row 2: fine
        par("1.2", criterion_name=None),              # row 3
        par("1.3", max_points="một"),                 # row 4
        par("1.4", self_score="x", year="20x3"),      # row 5
        par("1..5"),                                  # row 6
        par("1.6", self_score="1,5"),                 # row 7: above max 1
        par("1.7", appraised_score="-0,5"),           # row 8
        par("1.8", max_points="0", self_score=None, appraised_score=None),  # row 9
        par("2.1"),                                   # row 10
        par("2.1."),                                  # row 11: same key as row 10
        par("2.2", unit_code=None),                   # row 12
    ])
    assert problems == [
        (3, "criterion_name", "missing_required", None),
        (4, "max_points", "not_a_number", "một"),
        (5, "self_score", "not_a_number", "x"),
        (5, "year", "not_a_number", "20x3"),
        (6, "criterion_code", "bad_code", "1..5"),
        (7, "self_score", "out_of_range", "1,5"),
        (8, "appraised_score", "out_of_range", "-0,5"),
        (9, "max_points", "out_of_range", "0"),
        (10, "criterion_code", "duplicate_key", "2.1"),
        (11, "criterion_code", "duplicate_key", "2.1."),
        (12, "unit_code", "missing_required", None),
    ]
    assert profile["n_rows"] == 11
    assert profile_counts(profile) == counts(
        missing_required=2, not_a_number=3, bad_code=1, out_of_range=3, duplicate_key=2)


def test_par_same_code_in_two_years_or_units_is_not_a_duplicate(wh):
    problems, _ = check(wh, "par_scores", [
        par("1.1"), par("1.1", year="2024"), par("1.1", unit_code="U2")])
    assert problems == []


# --- SIPAS answers --------------------------------------------------------------------------

def answer(respondent: str, a, question="Q1", **cells) -> dict:
    row = dict(year="2023", unit_code="U1", respondent_id=respondent, question_code=question,
               answer=a)
    row.update(cells)
    return row


def test_sipas_answers_each_problem_kind_and_invalid_pct(wh):
    problems, profile = check(wh, "sipas_answers", [
        answer("R1", "5"),                     # row 2
        answer("R2", ""),                      # row 3: blank is fine
        answer("R3", "6"),                     # row 4
        answer("R4", "3.5"),                   # row 5: not a level
        answer("R5", "4", year="2023a"),       # row 6
        answer("R6", "4"),                     # row 7
        answer("R6", "5"),                     # row 8: R6 answered Q1 twice
        answer(None, "4"),                     # row 9
    ])
    assert problems == [
        (4, "answer", "invalid_answer", "6"),
        (5, "answer", "invalid_answer", "3.5"),
        (6, "year", "not_a_number", "2023a"),
        (7, "question_code", "duplicate_key", "Q1"),
        (8, "question_code", "duplicate_key", "Q1"),
        (9, "respondent_id", "missing_required", None),
    ]
    assert profile_counts(profile) == counts(
        missing_required=1, not_a_number=1, duplicate_key=2, invalid_answer=2)
    assert profile["n_rows"] == 8
    assert profile["invalid_answer_pct"] == Decimal("25")  # 2 of 8 rows


def test_sipas_invalid_answer_pct_is_exact(wh):
    _, profile = check(wh, "sipas_answers", [
        answer("R1", "0"), answer("R2", "1"), answer("R3", "2")])
    assert profile["invalid_answer_pct"] == Decimal("33.333333")


def test_profile_of_an_empty_extract(wh):
    problems, profile = check(wh, "sipas_answers", [])
    assert problems == []
    assert (profile["n_rows"], profile["invalid_answer_pct"]) == (0, 0)


# --- SIPAS criteria and rates ---------------------------------------------------------------

def test_sipas_criteria_each_problem_kind(wh):
    problems, profile = check(wh, "sipas_criteria", [
        dict(question_code="Q1", element="1", criterion_name="Tiếp cận"),   # row 2
        dict(question_code="Q2", element="6", criterion_name="Khác"),       # row 3
        dict(question_code="Q3", element="x", criterion_name="Khác"),       # row 4
        dict(question_code="Q4", element="2", criterion_name=None),         # row 5
        dict(question_code="Q1", element="1", criterion_name="Lặp lại"),    # row 6
    ])
    assert problems == [
        (2, "question_code", "duplicate_key", "Q1"),
        (3, "element", "out_of_range", "6"),
        (4, "element", "out_of_range", "x"),
        (5, "criterion_name", "missing_required", None),
        (6, "question_code", "duplicate_key", "Q1"),
    ]
    assert profile_counts(profile) == counts(missing_required=1, out_of_range=2, duplicate_key=2)


def rate(code: str, r, n="400", **cells) -> dict:
    row = dict(year="2023", unit_code="U1", criterion_code=code, rate_pct=r, n=n)
    row.update(cells)
    return row


def test_sipas_rates_each_problem_kind(wh):
    problems, profile = check(wh, "sipas_rates", [
        rate("Q1", "75,03"),          # row 2
        rate("Q2", "100,5"),          # row 3
        rate("Q3", "-1"),             # row 4
        rate("Q4", "abc"),            # row 5
        rate("Q5", "80", n="0"),      # row 6
        rate("Q6", "80", n="12.5"),   # row 7: a count is whole
        rate("Q7", None),             # row 8
        rate("Q8", "100"),            # row 9
        rate("Q8", "0"),              # row 10
    ])
    assert problems == [
        (3, "rate_pct", "out_of_range", "100,5"),
        (4, "rate_pct", "out_of_range", "-1"),
        (5, "rate_pct", "not_a_number", "abc"),
        (6, "n", "out_of_range", "0"),
        (7, "n", "not_a_number", "12.5"),
        (8, "rate_pct", "missing_required", None),
        (9, "criterion_code", "duplicate_key", "Q8"),
        (10, "criterion_code", "duplicate_key", "Q8"),
    ]
    assert profile_counts(profile) == counts(
        missing_required=1, not_a_number=2, out_of_range=3, duplicate_key=2)


# --- PAPI -----------------------------------------------------------------------------------

def score(province: str, code: str, s, **cells) -> dict:
    row = dict(year="2023", province=province, code=code, score=s)
    row.update(cells)
    return row


def test_papi_each_problem_kind(wh):
    problems, profile = check(wh, "papi_scores", [
        score("Bắc Kạn", "D1", "5,448"),     # row 2
        score("Bắc Kạn", "6.2", "1,4148"),   # row 3
        score("Bắc Kạn", "D2", ""),          # row 4: an empty cell is no value, not a problem
        score("Bắc Kạn", "D3", "0,5"),       # row 5: a dimension scores 1-10
        score("Bắc Kạn", "D4", "10,5"),      # row 6
        score("Bắc Kạn", "6.3", "3,4"),      # row 7: a sub-dimension at most 10/3
        score("Bắc Kạn", "X1", "5"),         # row 8
        score("Bắc Kạn", "D5", "n/a"),       # row 9
        score(None, "D6", "5"),              # row 10
        score("Thái Nguyên", "d7", "4"),     # row 11
        score("THAI NGUYEN", "D7", "4"),     # row 12: same province, year and code
    ])
    assert problems == [
        (5, "score", "out_of_range", "0,5"),
        (6, "score", "out_of_range", "10,5"),
        (7, "score", "out_of_range", "3,4"),
        (8, "code", "bad_code", "X1"),
        (9, "score", "not_a_number", "n/a"),
        (10, "province", "missing_required", None),
        (11, "code", "duplicate_key", "d7"),
        (12, "code", "duplicate_key", "D7"),
    ]
    assert profile_counts(profile) == counts(
        missing_required=1, not_a_number=1, bad_code=1, out_of_range=3, duplicate_key=2)
    assert profile["n_rows"] == 11


def test_papi_a_province_is_resolved_within_its_years_map(wh):
    problems, _ = check(wh, "papi_scores", [
        score("Bắc Kạn", "D1", "5", year="2024"),             # row 2: 2024 is on the 63 map
        score("Bắc Kạn", "D1", "5", year="2025"),             # row 3: not on the 34 map
        score("Thái Nguyên", "D1", "5", year="2025"),         # row 4: the new province
        score("Bắc Kạn", "D2", "5", year="2025", province_map="63"),   # row 5: said so
        score("TP. Hồ Chí Minh", "D1", "5", year="2025"),     # row 6: prefix and case
        score("Thừa Thiên Huế", "D1", "5", year="2024"),      # row 7: 63-map name
        score("Huế", "D2", "5", year="2024"),                 # row 8: its alias
        score("Hà Tây", "D1", "5", year="2024"),              # row 9: on no map
        score("Thái Nguyên", "D2", "5", year="2025", province_map="35"),  # row 10
    ])
    assert problems == [
        (3, "province", "bad_code", "Bắc Kạn"),
        (9, "province", "bad_code", "Hà Tây"),
        (10, "province_map", "bad_code", "35"),
    ]
    expected = dict(wh.con.execute(
        "select source_row, expected from incoming_problems").fetchall())
    assert expected[3] == ("một tỉnh của bản đồ 34 tỉnh (năm 2025): Bắc Kạn chỉ có trên bản đồ"
                           " 63 tỉnh; ghi cột province_map = 63 nếu điểm này tính theo tỉnh cũ,"
                           " hoặc ghi tên tỉnh mới")
    assert "bản đồ 63 tỉnh (năm 2024)" in expected[9]
