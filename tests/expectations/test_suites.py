"""Each Great Expectations suite in expectations/ on a known-good and a known-bad frame, taken
from DuckDB the way a run takes them (the profile of an incoming extract; criterion_gaps).

flows.checks keeps one GX context per process, so importing GX (~3 s) happens once here."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from flows import plan as plan_mod
from flows.checks import gx, targets
from flows.intake.kinds import TABLE_COLUMNS
from flows.warehouse import db, models, run_records

ROOT = Path(__file__).resolve().parents[2]
SUITES = sorted(p.stem for p in (ROOT / "expectations").glob("*.json"))


def label(o: gx.Outcome) -> str:
    """An expectation as a short stable name: its column(s), and its row condition if any."""
    cond = o.kwargs.get("row_condition")
    if isinstance(cond, dict):  # GX 1.x hands a pandas condition back as a pass-through filter
        cond = cond.get("pass_through_filter", cond)
    return f"{o.column}" + (f" [{cond}]" if cond else "")


def failing(outcomes: list[gx.Outcome]) -> set[str]:
    assert not [o.error for o in outcomes if o.error], "an expectation raised"
    return {label(o) for o in outcomes if not o.success}


def test_every_suite_file_is_tested():
    # input extracts are checked in SQL alone (sql/checks/input_rules.csv); GX validates what
    # is published
    assert set(SUITES) == {"target_criterion_gaps", "target_gaps_profile", "target_marts_profile"}
    for name in SUITES:
        spec = json.loads((ROOT / "expectations" / f"{name}.json").read_text(encoding="utf-8"))
        assert spec["name"] == name


# --- input rules: the one-row profile of an incoming extract, judged in SQL -----------------

def failing_rules(table: str, rows: list[dict]) -> set[str]:
    """The input rules an extract made of rows fails, as flows.ingest judges them (SQL)."""
    from flows.intake import ingest

    con = duckdb.connect(":memory:")
    db.install_macros(con)
    db.create_raw_tables(con)
    columns = TABLE_COLUMNS[table]
    con.execute(f"create temp table incoming as select * from raw_{table} limit 0")
    for i, row in enumerate(rows, start=2):
        values = [None if row.get(c) is None else str(row[c]) for c in columns]
        con.execute(f"insert into incoming values ({', '.join('?' * (len(columns) + 4))})",
                    [*values, "extract.csv", None, "0" * 64, i])
    outcomes = ingest.judge_incoming(con, table)
    con.close()
    assert outcomes and all(o.suite == f"input_{table}" and o.meta["vi"] for o in outcomes)
    return {o.column for o in outcomes if not o.success}


def test_every_kind_has_input_rules():
    assert {t for t in TABLE_COLUMNS if failing_rules(t, [])} == set(TABLE_COLUMNS)


def par(code, **cells):
    return {"unit_code": "U1", "year": "2023", "criterion_code": code,
            "criterion_name": "Tiêu chí", "max_points": "1", "self_score": "1",
            "appraised_score": "0,5", **cells}


def answer(respondent, a, **cells):
    return {"year": "2023", "unit_code": "U1", "respondent_id": respondent,
            "question_code": "Q1", "answer": a, **cells}


def rate(code, r, **cells):
    return {"year": "2023", "unit_code": "U1", "criterion_code": code, "rate_pct": r,
            "n": "400", **cells}


def crit(code, element, **cells):
    return {"question_code": code, "element": element, "criterion_name": "Tiêu chí", **cells}


def papi(code, s, **cells):
    return {"year": "2023", "province": "Bắc Kạn", "code": code, "score": s, **cells}


GOOD = {
    "par_scores": [par("I", max_points="10"), par("1.1."), par("1.2", self_score="KAD")],
    "sipas_answers": [answer(f"R{i}", str(i % 5 + 1)) for i in range(20)] + [answer("R99", "")],
    "sipas_criteria": [crit("Q1", "1"), crit("Q2", "5")],
    "sipas_rates": [rate("Q1", "75,03"), rate("Q2", "100"), rate("Q3", "0")],
    "papi_scores": [papi("D1", "5,448"), papi("6.2", "1,4148"), papi("D2", "")],
}


@pytest.mark.parametrize("table", sorted(GOOD))
def test_input_rules_pass_a_clean_extract(table):
    assert failing_rules(table, GOOD[table]) == set()


@pytest.mark.parametrize("table", sorted(GOOD))
def test_input_rules_fail_an_empty_extract(table):
    assert failing_rules(table, []) == {"n_rows"}


def test_input_rules_bound_a_sub_dimension_by_its_dimensions_count():
    """10/k: D1's four sub-dimensions score up to 2,5, D3's three up to 3,333333; a dimension
    the reference lists without sub-dimensions (D5) is bounded by the count in the file."""
    ok = [papi("1.1", "2,5"), papi("3.1", "3,333333"), papi("3.2", "3,3333"),
          papi("5.1", "4,9"), papi("5.2", "1")]
    assert failing_rules("papi_scores", ok) == set()
    assert failing_rules("papi_scores", ok + [papi("5.1", "5,01", year="2022"),
                                              papi("5.2", "1", year="2022")]) == {"n_out_of_range"}


BAD = [
    ("par_scores", [par("1.1"), par("1.2", max_points=None)], {"n_missing_required"}),
    ("par_scores", [par("1.1"), par("1.2", self_score="x")], {"n_not_a_number"}),
    ("par_scores", [par("1.1"), par("A.2")], {"n_bad_code"}),
    ("par_scores", [par("1.1"), par("1.2", appraised_score="1,25")], {"n_out_of_range"}),
    ("par_scores", [par("1.1"), par("1.1.")], {"n_duplicate_key"}),
    ("sipas_answers", [answer("R1", "5"), answer(None, "4")], {"n_missing_required"}),
    ("sipas_answers", [answer("R1", "5"), answer("R2", "4", year="x")], {"n_not_a_number"}),
    ("sipas_answers", [answer("R1", "5"), answer("R1", "4")], {"n_duplicate_key"}),
    ("sipas_criteria", [crit("Q1", "1"), crit("Q2", None)], {"n_missing_required"}),
    ("sipas_criteria", [crit("Q1", "1"), crit("Q2", "0")], {"n_out_of_range"}),
    ("sipas_criteria", [crit("Q1", "1"), crit("Q1", "2")], {"n_duplicate_key"}),
    ("sipas_rates", [rate("Q1", "75"), rate("Q2", None)], {"n_missing_required"}),
    ("sipas_rates", [rate("Q1", "75"), rate("Q2", "7x")], {"n_not_a_number"}),
    ("sipas_rates", [rate("Q1", "75"), rate("Q2", "100,01")], {"n_out_of_range"}),
    ("sipas_rates", [rate("Q1", "75"), rate("Q1", "76")], {"n_duplicate_key"}),
    ("papi_scores", [papi("D1", "5"), papi("D2", "5", province=None)], {"n_missing_required"}),
    ("papi_scores", [papi("D1", "5"), papi("D2", "năm")], {"n_not_a_number"}),
    ("papi_scores", [papi("D1", "5"), papi("D9x", "5")], {"n_bad_code"}),
    ("papi_scores", [papi("D1", "5"), papi("6.1", "3,5")], {"n_out_of_range"}),
    # D1 has four sub-dimensions (data/reference/papi_codes.csv): at most 10/4
    ("papi_scores", [papi("D1", "5"), papi("1.1", "2,6")], {"n_out_of_range"}),
    ("papi_scores", [papi("D1", "5"), papi("d1", "5", province="BAC KAN")], {"n_duplicate_key"}),
]


@pytest.mark.parametrize(("table", "rows", "expected"), BAD,
                         ids=[f"{t}-{sorted(e)[0]}" for t, _, e in BAD])
def test_input_rules_fail_exactly_the_broken_rule(table, rows, expected):
    assert failing_rules(table, rows) == expected


@pytest.mark.parametrize(("n_invalid", "n_valid", "fails"), [
    (1, 19, False),  # exactly 5%: accepted (the invalid answer is excluded and reported)
    (1, 18, True),   # 5,26%
    (2, 18, True),   # 10%
    (0, 1, False),
])
def test_input_sipas_answers_rejects_more_than_5_pct_invalid(n_invalid, n_valid, fails):
    rows = ([answer(f"V{i}", "4") for i in range(n_valid)]
            + [answer(f"X{i}", "7") for i in range(n_invalid)])
    assert failing_rules("sipas_answers", rows) == ({"invalid_answer_pct"} if fails else set())


# --- the target suite on criterion_gaps -----------------------------------------------------

PAR_ROWS = [  # (code, max, 2023 appraised, 2024 self, 2024 appraised) for unit STTTT
    ("1.1", "1", "1", "1", None),          # Phụ lục 1, met
    ("1.2", "1", "1", "0,5", None),        # Phụ lục 1, self-assessed below max: at_risk
    ("1.3", "1", "0,5", "0,75", "0,5"),    # Phụ lục 2, appraised equal to baseline: missed
    ("1.4", "1", "0", "0,25", None),       # Phụ lục 2 from zero, met
    ("1.5", "1", "1", "KAD", None),        # not applicable in 2024
    ("1.6", "1", None, "0,5", None),       # new in 2024: no appendix, no_data
    ("1.7", "1", "0,5", None, None),       # no 2024 score: no_data
    ("7.1", "2", "2", "2", "1,5"),         # Phụ lục 1, appraised below max: missed (CNTT)
]
FLAGGED = {("PAR", "1.2"), ("PAR", "1.3"), ("PAR", "7.1"), ("SIPAS", "Q2"), ("PAPI", "D8")}


@pytest.fixture(scope="module")
def gaps(tmp_path_factory) -> pd.DataFrame:
    """criterion_gaps built by the models from a mix of statuses, with the bundled plan
    (unit STTTT, province Bắc Kạn, SIPAS low below 80, PAPI low below the mean or 6.2)."""
    con = duckdb.connect(":memory:")
    db.install_macros(con)
    db.create_raw_tables(con)
    db.load_reference(con)
    plan_mod.write_plan_tables(con, plan_mod.load_plan(ROOT / "data" / "plan.yaml"))

    def insert(table, row):
        cols = TABLE_COLUMNS[table]
        con.execute(f"insert into raw_{table} values ({', '.join('?' * (len(cols) + 4))})",
                    [row.get(c) for c in cols] + ["t.csv", None, "0" * 64, 2])

    for code, mx, base, self_, appr in PAR_ROWS:
        if base is not None:
            insert("par_scores", {"unit_code": "STTTT", "year": "2023", "criterion_code": code,
                                  "criterion_name": code, "max_points": mx,
                                  "appraised_score": base})
        if self_ is not None:
            insert("par_scores", {"unit_code": "STTTT", "year": "2024", "criterion_code": code,
                                  "criterion_name": code, "max_points": mx, "self_score": self_,
                                  "appraised_score": appr})
    for code, r23, r24 in (("Q1", "75", "85"), ("Q2", "70", "79,9"), ("Q3", "60", None),
                           ("Q4", "90", "50")):
        insert("sipas_rates", {"year": "2023", "unit_code": "STTTT", "criterion_code": code,
                               "rate_pct": r23, "n": "400"})
        if r24:
            insert("sipas_rates", {"year": "2024", "unit_code": "STTTT", "criterion_code": code,
                                   "rate_pct": r24, "n": "400"})
    for year, province, code, s in (
        ("2023", "Bắc Kạn", "6.2", "1,4148"), ("2024", "Bắc Kạn", "6.2", "1,5148"),
        ("2023", "Bắc Kạn", "D8", "3,259"), ("2024", "Bắc Kạn", "D8", "3,3"),
        ("2023", "Thái Nguyên", "D8", "4"), ("2023", "Thái Nguyên", "6.2", "1,4"),
    ):
        insert("papi_scores", {"year": year, "province": province, "code": code, "score": s})
    models.run_models(con)
    frame = con.sql("select * from criterion_gaps").df()
    con.close()
    return frame


def keys(frame: pd.DataFrame, rows) -> set[tuple[str, str]]:
    return {(frame.loc[i, "index_name"], frame.loc[i, "criterion_code"]) for i in rows}


def test_the_fixture_has_every_status(gaps):
    assert {k: v for k, v in gaps.groupby(["index_name", "criterion_code"])["status"]
            .first().items()} == {
        ("PAR", "1.1"): "met", ("PAR", "1.2"): "at_risk", ("PAR", "1.3"): "missed",
        ("PAR", "1.4"): "met", ("PAR", "1.5"): "not_applicable", ("PAR", "1.6"): "no_data",
        ("PAR", "1.7"): "no_data", ("PAR", "7.1"): "missed",
        ("SIPAS", "Q1"): "met", ("SIPAS", "Q2"): "missed", ("SIPAS", "Q3"): "no_data",
        ("PAPI", "6.2"): "met", ("PAPI", "D8"): "missed",
    }


def test_flagged_rows_are_exactly_the_missed_and_at_risk_rows(gaps):
    outcomes = gx.validate(gaps, "target_criterion_gaps")
    flagged = gx.flagged_rows(outcomes)
    sql_says = gaps.index[gaps["status"].isin(["missed", "at_risk"])].tolist()
    assert sorted(flagged) == sorted(sql_says)
    assert keys(gaps, flagged) == FLAGGED
    # only the two target expectations fail on a table with misses
    assert failing(outcomes) == {
        "current_value, target_value [target_op == \">=\"]",
        "current_value, target_value [target_op == \">\"]",
    }


def test_flagged_rows_follow_the_frame_index_when_reordered(gaps):
    shuffled = gaps.sample(frac=1, random_state=7).reset_index(drop=True)
    flagged = gx.flagged_rows(gx.validate(shuffled, "target_criterion_gaps"))
    assert keys(shuffled, flagged) == FLAGGED


def test_target_suite_passes_when_no_target_is_missed(gaps):
    good = gaps[~gaps["status"].isin(["missed", "at_risk"])].reset_index(drop=True)
    outcomes = gx.validate(good, "target_criterion_gaps")
    assert failing(outcomes) == set()
    assert gx.flagged_rows(outcomes) == []


def met_rows(gaps: pd.DataFrame) -> pd.DataFrame:
    return gaps[gaps["status"].isin(["met", "no_data", "not_applicable"])].reset_index(drop=True)


def at(frame: pd.DataFrame, code: str) -> int:
    return int(frame.index[frame["criterion_code"] == code][0])


def gaps_profile(frame: pd.DataFrame) -> pd.DataFrame:
    """The per-unit profile of a criterion_gaps frame, as flows.gap_checks computes it."""
    con = duckdb.connect(":memory:")
    con.register("frame", frame)
    con.execute("create table criterion_gaps as select * from frame")
    models.run_model(con, "checks/chk_criterion_gaps__profile", "gap_profile", temp=True)
    profile = con.sql("select * exclude (check_row) from gap_profile order by check_row").df()
    con.close()
    return profile


def profile_failing(frame: pd.DataFrame) -> set[str]:
    return failing(gx.validate(gaps_profile(frame), "target_gaps_profile"))


def test_the_profile_suite_passes_on_the_fixture(gaps):
    profile = gaps_profile(gaps)  # one row per index, appendix and unit
    assert [(i, None if pd.isna(a) else a, u, n) for i, a, u, n in profile[
        ["index_name", "appendix", "unit_code", "n_criteria"]].itertuples(index=False)] == [
        ("PAPI", 4, "Bắc Kạn", 2), ("PAR", 1, "STTTT", 4), ("PAR", 2, "STTTT", 3),
        ("PAR", None, "STTTT", 1), ("SIPAS", 3, "STTTT", 3)]
    assert profile_failing(gaps) == set()


@pytest.mark.parametrize(("column", "code", "value", "expected"), [
    ("status", "1.1", "done", "n_bad_status"),
    ("status", "1.1", None, "n_bad_status"),
    ("index_name", "1.1", "PCI", "index_name"),
    ("appendix", "1.1", 5, "appendix"),
    ("target_op", "1.1", "<", "n_bad_target_op"),
    ("owner_unit", "Q1", None, "n_without_owner"),
    ("target_value", "Q3", 100.5, "n_target_above_max"),
    ("status", "1.1", "retired", "n_retired_with_target"),  # a retired criterion has no target
])
def test_target_suite_shape_expectations(gaps, column, code, value, expected):
    bad = met_rows(gaps)
    if column in ("appendix", "status"):
        bad[column] = bad[column].astype("object")
    bad.loc[at(bad, code), column] = value
    assert profile_failing(bad) == {expected}


def test_target_suite_one_row_per_criterion_and_appendix(gaps):
    good = met_rows(gaps)
    bad = pd.concat([good, good.iloc[[at(good, "Q1")]]], ignore_index=True)
    assert profile_failing(bad) == {"n_criteria, n_distinct_criteria"}


# --- flows.gap_checks: both suites on a criterion_gaps table, failing keys by DuckDB ---------

def checked(frame: pd.DataFrame) -> list[tuple]:
    """Run flows.gap_checks on criterion_gaps made of `frame`; check_results' rows."""
    con = duckdb.connect(":memory:")
    run_records.create_tables(con)
    con.register("frame", frame)
    con.execute("create table criterion_gaps as select * from frame")
    con.unregister("frame")
    empty_marts(con)
    run = run_records.new_run("inbox", "plan.yaml", "chiso.duckdb")
    outcomes = targets.run(con, run)
    assert [o.failing_index for o in outcomes] == [[]] * len(outcomes)  # keys are in the table
    rows = con.execute(
        "select suite, expectation, column_name, success, n_failing, failing::varchar, observed"
        " from check_results order by rowid").fetchall()
    con.close()
    return rows


def empty_marts(con: duckdb.DuckDBPyConnection) -> None:
    """The other published marts, empty (their profile is checked beside criterion_gaps)."""
    con.execute("""create table gap_history (index_name varchar, appendix integer,
        unit_code varchar, criterion_code varchar, valid_from date, valid_to date,
        status varchar)""")
    con.execute("""create table participation_targets (year integer, index_name varchar,
        unit_code varchar, status varchar, response_rate_pct decimal(18, 6),
        forms_answered integer, forms_assigned integer)""")
    con.execute("""create table rank_targets (index_name varchar, member varchar,
        scope varchar, status varchar, baseline_rank bigint, baseline_n_ranked bigint,
        current_rank bigint, current_n_ranked bigint)""")
    con.execute("""create table deadline_watch (pos integer, label varchar, starts date,
        ends date, phase varchar)""")
    for mart in ("gap_history", "participation_targets", "rank_targets", "deadline_watch"):
        con.execute(f"alter table {mart} add column plan_id varchar default 'p'")


def test_gap_checks_record_the_failing_criteria_by_key(gaps):
    rows = checked(gaps)
    # the two target expectations, the profile's, the other marts' profile's, the agreement
    assert len(rows) == 2 + 8 + 4 + 1
    flagged = set()
    for suite, _, column, success, n, keys, _ in rows[:2]:
        assert suite == "target_criterion_gaps" and column == "current_value, target_value"
        assert not success and n == len(json.loads(keys))
        flagged |= {(k[0], k[3]) for k in json.loads(keys)}
    assert flagged == FLAGGED
    assert all(success for _, _, _, success, *_ in rows[2:])
    assert rows[-1][1:] == ("flagged_rows_match_sql_status", None, True, 0, "[]",
                            "5 flagged, 5 in SQL")


def test_gap_checks_name_the_criteria_where_gx_and_sql_differ(gaps):
    bad = gaps.copy()
    bad.loc[at(bad, "1.3"), "status"] = "met"  # SQL says met, the values say missed
    bad.loc[at(bad, "1.1"), "owner_unit"] = None  # and one criterion has no owner
    rows = {r[2] or r[1]: r for r in checked(bad)}
    agree = rows["flagged_rows_match_sql_status"]
    assert agree[3:] == (False, 1, '[["PAR",2,"STTTT","1.3"]]', "5 flagged, 4 in SQL")
    owner = rows["n_without_owner"]
    assert owner[3:6] == (False, 1, '[["PAR",1,"STTTT"]]')


def test_the_marts_profile_names_the_mart_that_breaks_its_shape(gaps):
    con = duckdb.connect(":memory:")
    run_records.create_tables(con)
    con.register("frame", gaps)
    con.execute("create table criterion_gaps as select * from frame")
    con.unregister("frame")
    empty_marts(con)
    con.execute("insert into rank_targets values ('PAPI', 'Bắc Kạn', 'TOTAL', 'met', 22, 61,"
                " 62, 61, 'p')")  # a rank beyond the number ranked
    con.execute("insert into deadline_watch values (0, 'Hạn', date '2024-10-15',"
                " date '2024-10-15', 'soon', 'p')")  # a phase that does not exist
    outcomes = targets.run(con, run_records.new_run("inbox", "plan.yaml", "chiso.duckdb"))
    failed = {o.column for o in outcomes if o.suite == "target_marts_profile" and not o.success}
    assert failed == {"n_bad_values", "n_bad_status"}
    keys = dict(con.execute(
        "select column_name, failing::varchar from check_results where target = 'marts'"
        " and not success").fetchall())
    con.close()
    assert keys == {"n_bad_values": '[["rank_targets"]]', "n_bad_status": '[["deadline_watch"]]'}
