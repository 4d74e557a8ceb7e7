"""A run on extracts the previous run took in reads none of them again, and ends with the
database a run from scratch would build: same raw rows, models, records and checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from flows.warehouse import fingerprint, models
from flows.warehouse.db import has_table
from tests.conftest import PLAN, SAMPLE
from tests.helpers import build_db

COMPARED = {
    "criterion_gaps": "*",
    "rpt_criteria": "*",  # views: kept when unchanged, made again when what they read changed
    "rpt_appendix_rows": "*",
    "int_sipas__rates": "*",
    "raw_par_scores": "*",
    "raw_sipas_answers": "*",
    "raw_papi_scores": "*",
    "extracts": "* exclude (run_id)",
    "extract_problems": "* exclude (run_id)",
    "check_results": "* exclude (run_id)",
}


def snapshot(db: Path) -> dict[str, list]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"select {cols} from {t} order by all").fetchall()
                for t, cols in COMPARED.items()}


@pytest.fixture
def inbox(tmp_path) -> Path:
    path = tmp_path / "inbox"
    shutil.copytree(SAMPLE, path)
    return path


def from_scratch(tmp_path: Path, inbox: Path) -> dict[str, list]:
    db = tmp_path / "scratch" / "chiso.duckdb"
    build_db(db, inbox, PLAN)
    return snapshot(db)


def test_an_unchanged_inbox_is_not_read_again(tmp_path, inbox, monkeypatch):
    db = tmp_path / "chiso.duckdb"
    build_db(db, inbox, PLAN)
    first = snapshot(db)
    read = []
    from flows.intake import ingest

    real = ingest.ingest_file
    monkeypatch.setattr(ingest, "ingest_file", lambda con, path, name, *a, **k: (
        read.append(name), real(con, path, name, *a, **k))[1])
    with duckdb.connect(str(db), read_only=True) as con:
        history = con.execute("select * from gap_history order by all").fetchall()
        views = {m.name: con.execute(f"select count(*) from {m.name}").fetchall()
                 for m in models.run_order() if m.materialized == "view"}
    built, queried = [], []
    real_model = models.run_model
    monkeypatch.setattr(models, "run_model", lambda con, model, *a, **k: (
        built.append(model), real_model(con, model, *a, **k))[1])
    from flows.intake import supersede

    real_fetch = supersede.fetch_all
    monkeypatch.setattr(supersede, "fetch_all", lambda con, sql, *a: (
        queried.append(sql), real_fetch(con, sql, *a))[1])
    summary, _, _ = build_db(db, inbox, PLAN)
    assert read == []
    assert [e.status for e in summary.extracts] == ["loaded"] * len(summary.extracts)
    assert snapshot(db) == first
    # no model rebuilt, views included (deadline_watch, which reads the run date, is kept: same
    # day); the history is kept as it was (and the published marts' profile, a few counts the
    # target checks compare with the last, is computed)
    assert built == ["chk_marts__profile"]
    assert queried == []  # no raw table scanned for files replacing others: none did before
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select * from gap_history order by all").fetchall() == history
        assert not has_table(con, "prev_gap_history")
        # the kept views read this build's tables, and keep their documentation
        for m in models.run_order():
            if m.materialized == "view":
                assert con.execute(f"select count(*) from {m.name}").fetchall() == \
                    views[m.name], m.name
                assert con.execute("select comment from duckdb_views() where view_name = ?",
                                   [m.name]).fetchall() == [(m.spec["description"],)]


def test_a_changed_and_a_removed_extract_give_what_a_fresh_run_gives(tmp_path, inbox):
    db = tmp_path / "chiso.duckdb"
    build_db(db, inbox, PLAN)
    par = inbox / "par_index_stttt.csv"
    par.write_text(par.read_text(encoding="utf-8").replace(",0.4,0.4,", ",0.5,0.5,", 1),
                   encoding="utf-8")
    (inbox / "papi_subdimensions.csv").unlink()
    summary, _, _ = build_db(db, inbox, PLAN)
    assert snapshot(db) == from_scratch(tmp_path, inbox)
    with duckdb.connect(str(db), read_only=True) as con:
        files = {r[0] for r in con.execute("select distinct source_file from raw_papi_scores")
                 .fetchall()}
    assert files == {"papi_dimensions.csv"}


def test_new_reading_code_reads_everything_again(tmp_path, inbox, monkeypatch):
    db = tmp_path / "chiso.duckdb"
    build_db(db, inbox, PLAN)
    first = snapshot(db)
    monkeypatch.setattr(fingerprint, "INGEST_SOURCES", (*fingerprint.INGEST_SOURCES, "README.md"))
    read = []
    from flows.intake import ingest

    real = ingest.ingest_file
    monkeypatch.setattr(ingest, "ingest_file", lambda con, path, name, *a, **k: (
        read.append(name), real(con, path, name, *a, **k))[1])
    build_db(db, inbox, PLAN)
    assert sorted(read) == sorted(p.name for p in inbox.iterdir())
    assert snapshot(db) == first
