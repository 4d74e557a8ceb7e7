"""Every model knows itself: a YAML beside each SQL file says how it is kept, documents every
column it outputs (no more, no fewer), and lists data tests that hold on the bundled sample;
the run order comes from what each model reads."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from flows.intake import ingest
from flows.intake.kinds import TABLE_COLUMNS
from flows.notify import alerts
from flows.warehouse import db, models
from tests.conftest import PLAN, SAMPLE
from tests.helpers import build_db

RUN_MODELS = [m.name for m in models.run_order()]
CHECK_MODELS = sorted(m.name for m in models.catalogue().values() if m.layer == "checks")
QUERY_MODELS = sorted(m.name for m in models.catalogue().values() if m.layer == "queries")


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("contracts") / "chiso.duckdb"
    build_db(path, SAMPLE, PLAN)
    return path


@pytest.fixture(scope="module")
def con(sample_db):
    with duckdb.connect(str(sample_db), read_only=True) as c:
        yield c


def test_every_sql_file_is_a_model_with_its_yaml():
    sql_files = {p.stem for layer in models.LAYERS for p in (db.SQL_DIR / layer).glob("*.sql")}
    assert set(models.catalogue()) == sql_files
    for m in models.catalogue().values():
        assert m.spec.get("description"), m.name
        assert m.materialized == ("temp" if m.layer == "checks" else m.materialized)


def test_the_run_order_puts_each_model_after_what_it_reads():
    seen: set[str] = set()
    names = set(RUN_MODELS)
    for m in models.run_order():
        assert (m.reads & names) - {m.name} <= seen, m.name
        seen.add(m.name)
    assert seen == {m.name for m in models.catalogue().values() if m.layer in models.RUN_LAYERS}


def test_what_a_model_reads_is_parsed_once_and_remembered(tmp_path, monkeypatch):
    monkeypatch.setenv("CHISO_VAR", str(tmp_path))
    sqls = [m.sql for m in models.catalogue().values()]
    parsed = [models.tables_read(sql) for sql in sqls]
    assert models._all_reads(sqls) == parsed  # parsed, and written to var/cache
    assert models._reads_cache().exists()
    calls = []
    monkeypatch.setattr(models, "tables_read", lambda sql, con=None: calls.append(sql))
    assert models._all_reads(sqls) == parsed and calls == []  # read back, not parsed
    # a cache that cannot be read is parsed again, and written again
    monkeypatch.undo()
    monkeypatch.setenv("CHISO_VAR", str(tmp_path))
    models._reads_cache().write_text("{not json", encoding="utf-8")
    assert models._all_reads(sqls) == parsed
    assert len(json.loads(models._reads_cache().read_text(encoding="utf-8"))) == len(set(sqls))
    # a changed SQL is a new entry: it is parsed, whatever the cache says of the old one
    changed = sqls[0] + "\n-- changed"
    assert models._all_reads([changed]) == [parsed[0]]


def test_a_circle_of_models_is_refused(monkeypatch):
    fake = {n: models.Model(n, "marts", Path(n), "", {"materialized": "table"},
                            frozenset({other}))
            for n, other in (("a", "b"), ("b", "a"))}
    monkeypatch.setattr(models, "catalogue", lambda: fake)
    models.run_order.cache_clear()
    try:
        with pytest.raises(ValueError, match="in a circle: a, b"):
            models.run_order()
    finally:
        models.run_order.cache_clear()


@pytest.mark.parametrize("name", RUN_MODELS)
def test_a_run_models_yaml_documents_exactly_its_columns(con, name):
    actual = [r[0] for r in con.execute(f"describe {name}").fetchall()]
    assert list(models.model(name).columns) == actual
    kind = con.execute(
        "select 'view' from duckdb_views() where view_name = ? union all"
        " select 'table' from duckdb_tables() where table_name = ?", [name, name]).fetchall()
    assert kind == [(models.model(name).materialized,)]


@pytest.mark.parametrize("name", RUN_MODELS)
def test_a_run_models_data_tests_hold_on_the_sample(con, name):
    for test, sql in models.data_tests(models.model(name)):
        assert con.execute(sql).fetchall() == [], f"{name}: {test}"


def test_a_broken_row_fails_its_data_test(sample_db):
    m = models.model("criterion_gaps")
    scratch = duckdb.connect()
    scratch.execute("attach ? as published (read_only)", [str(sample_db)])
    scratch.execute("create table criterion_gaps as from published.criterion_gaps")
    scratch.execute("update criterion_gaps set status = 'maybe' where criterion_code = '1.1'")
    failed = [t for t, sql in models.data_tests(m) if scratch.execute(sql).fetchall()]
    assert failed == ["accepted_values(status)"]


def _check_inputs(con: duckdb.DuckDBPyConnection, sample_db: Path, table: str) -> None:
    """An in-memory DuckDB with what a check model reads: an empty incoming extract of
    `table`, its problems, profile and rules; the sample's published marts."""
    db.install_macros(con)
    db.create_raw_tables(con)
    con.execute(f"create temp table incoming as select * from raw_{table} limit 0")
    ingest.judge_incoming(con, table)
    con.execute("attach ? as published (read_only)", [str(sample_db)])
    for mart in ("criterion_gaps", "gap_history", "participation_targets", "rank_targets",
                 "deadline_watch"):
        con.execute(f"create table {mart} as from published.{mart}")


@pytest.mark.parametrize("name", CHECK_MODELS)
def test_a_check_models_yaml_documents_exactly_its_columns(sample_db, name):
    con = duckdb.connect()
    table = name.removeprefix("chk_").split("__")[0]
    _check_inputs(con, sample_db, table if table in TABLE_COLUMNS else "par_scores")
    con.execute(f"create temp table out as {models.model(name).sql}")
    actual = [r[0] for r in con.execute("describe out").fetchall()]
    assert list(models.model(name).columns) == actual


@pytest.mark.parametrize("name", QUERY_MODELS)
def test_a_query_models_yaml_documents_exactly_its_columns(sample_db, name):
    """A query runs on the published file with the alert state beside it (its temp tables,
    empty here: nothing told yet)."""
    con = duckdb.connect(str(sample_db), read_only=True)
    con.execute(alerts.TOLD_TABLE)
    actual = [r[0] for r in con.execute(f"describe {models.model(name).sql}").fetchall()]
    con.close()
    assert list(models.model(name).columns) == actual

