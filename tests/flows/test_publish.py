"""Analysts can always open the published file: a run never fails because a reader holds it,
and a reader sees either the old state or the new one, never a half-built one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import duckdb
import pytest

from flows.documents import published, query
from flows.documents.published import read_only
from tests.conftest import PLAN, SAMPLE
from tests.helpers import build_db


@pytest.fixture
def inbox(tmp_path):
    path = tmp_path / "inbox"
    shutil.copytree(SAMPLE, path)
    return path


def _count(con) -> int:
    return con.execute("select count(*) from criterion_gaps").fetchall()[0][0]


@pytest.mark.real_process
def test_a_run_succeeds_while_another_process_reads_the_file(tmp_path, inbox):
    db = tmp_path / "chiso.duckdb"
    build_db(db, inbox, PLAN)
    # an analyst in another process keeps the published file open read-only
    reader = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys
            con = duckdb.connect({str(db)!r}, read_only=True)
            n = con.execute("select count(*) from criterion_gaps").fetchall()[0][0]
            print(n, flush=True)
            sys.stdin.readline()   # hold the file open until told
            print(con.execute("select count(*) from criterion_gaps").fetchall()[0][0], flush=True)
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        before = int(reader.stdout.readline())
        (inbox / "sipas_answers_2024.xlsx").unlink()  # the next run has fewer current values
        summary, _, _ = build_db(db, inbox, PLAN)
        reader.stdin.write("\n")
        reader.stdin.flush()
        seen_by_old_reader = int(reader.stdout.readline())
    finally:
        reader.kill()
        reader.wait()
    assert seen_by_old_reader == before  # the old state, whole
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(
            "select count(*) from criterion_gaps where index_name = 'SIPAS'"
            " and current_value is not null").fetchall()[0][0] == 0  # the new state, whole
        assert con.execute("select count(*) from runs").fetchall()[0][0] == 2


def test_a_failed_build_leaves_the_published_file_as_it_was(tmp_path, inbox, monkeypatch):
    db = tmp_path / "chiso.duckdb"
    build_db(db, inbox, PLAN)
    before = db.read_bytes()
    from flows import nightly

    def broken(build, *_):
        raise RuntimeError("transform failed")

    monkeypatch.setattr(nightly.transform, "fn", broken)
    with pytest.raises(RuntimeError):
        build_db(db, inbox, PLAN)
    assert db.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".chiso")] == []


def test_columns_carry_comments(tmp_path, inbox):
    db = tmp_path / "chiso.duckdb"
    build_db(db, inbox, PLAN)
    with duckdb.connect(str(db), read_only=True) as con:
        missing = con.execute(
            "select table_name, column_name from duckdb_columns()"
            " where table_name in ('criterion_gaps', 'gap_history') and comment is null"
        ).fetchall()
    assert missing == []



def _state_file(path, value: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create table state as select ? as v", [value])


@pytest.fixture
def swap(tmp_path, monkeypatch):
    """A published file (state 1) and a build (state 2) that the first connect swaps in place,
    as a run does while DuckDB opens the file; with `torn`, that connect fails as DuckDB's does
    when its three opens see two files."""
    swap = SimpleNamespace(published=tmp_path / "chiso.duckdb", calls=[], torn=False)
    build = tmp_path / ".chiso.duckdb.build"
    _state_file(swap.published, 1)
    _state_file(build, 2)
    real = duckdb.connect

    def connect(path, *args, **kwargs):
        swap.calls.append(path)
        if len(swap.calls) == 1:
            os.replace(build, swap.published)
            if swap.torn:
                raise duckdb.IOException(f'Could not read enough bytes from file "{path}"')
        return real(path, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", connect)
    return swap


@pytest.mark.parametrize("torn", [False, True], ids=["whole", "torn"])
def test_a_connect_during_a_swap_is_made_again_on_the_new_file(swap, torn):
    swap.torn = torn
    with read_only(swap.published) as con:
        assert con.execute("select v from state").fetchall() == [(2,)]
    assert len(swap.calls) == 2  # the first connection was closed (or failed) and made again


def test_a_failure_without_a_swap_is_the_readers_to_see(tmp_path):
    broken = tmp_path / "chiso.duckdb"
    broken.write_bytes(b"not a database" * 1000)
    with pytest.raises(duckdb.Error):
        read_only(broken)


def test_chiso_sql_attaches_again_after_a_swap(tmp_path, monkeypatch):
    db = tmp_path / "chiso.duckdb"
    _state_file(db, 1)
    real, seen = published._identity, []

    def identity(path):  # the file at the path changes once, during the first attach
        seen.append(path)
        return ("swapped",) if len(seen) == 2 else real(path)

    monkeypatch.setattr(published, "_identity", identity)
    con = query.connect(db)
    assert len(seen) == 4  # before and after each of two attaches
    assert con.execute("select v from state").fetchall() == [(1,)]
    assert con.execute("select database_name from duckdb_databases() where not internal"
                       " order by 1").fetchall() == [("chiso",), ("memory",)]
