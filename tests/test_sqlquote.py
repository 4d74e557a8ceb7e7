"""The one quoting function for places where DuckDB takes no bound parameter."""

from __future__ import annotations

import duckdb
import pytest

from flows.warehouse import sqlquote

HOSTILE = [
    'a"b', "it's", "x'; drop table t; --", 'Điểm "tối đa"; --', "Bắc Kạn\n'); select 1; --",
    "naïve ☃ 漢字",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_identifiers_and_literals_round_trip(text):
    con = duckdb.connect()
    con.execute("create table t (x integer)")
    con.execute(f"create table {sqlquote.identifier(text)} ({sqlquote.identifier(text)} integer)")
    con.execute(f"comment on table {sqlquote.identifier(text)} is {sqlquote.literal(text)}")
    con.execute(f"create view v as select {sqlquote.literal(text)} as s")
    assert con.execute("select s from v").fetchall() == [(text,)]
    assert con.execute(
        "select comment from duckdb_tables() where table_name = ?", [text]).fetchall() == [(text,)]
    assert con.execute(
        "select column_name from duckdb_columns() where table_name = ?", [text]
    ).fetchall() == [(text,)]
    # nothing was executed from inside the text
    assert con.execute("select count(*) from duckdb_tables() where table_name = 't'").fetchall() \
        == [(1,)]


def test_nul_is_refused():
    with pytest.raises(ValueError):
        sqlquote.identifier("a\x00b")
    with pytest.raises(ValueError):
        sqlquote.literal("a\x00b")


def test_attach_over_a_path_with_a_quote(tmp_path):
    path = tmp_path / "it's; --.duckdb"
    duckdb.connect(str(path)).close()
    con = duckdb.connect()
    con.execute(f"attach {sqlquote.literal(str(path))} as other (read_only)")
    assert con.execute(
        "select count(*) from duckdb_databases() where database_name = 'other'").fetchall() \
        == [(1,)]
