"""The inbox, precisely (issue 4 §1, §3): every file archived by content hash and any past run
rebuilt from the archive; a file that changes while it is read left for the next run; a newer
file replacing an older one for the same kind, unit and year; a rejected file set aside with
its error report and reported once, again only when it changes."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import json
import os
import shutil
import stat
from email import policy
from pathlib import Path

import duckdb
import pytest
import yaml

from flows import cli
from flows.intake import inbox as intake
from flows.notify import alerts
from flows.warehouse.run_records import TZ
from tests.conftest import PLAN, SAMPLE
from tests.helpers import build_db, set_par_self_score

GAP_COLUMNS = (
    "index_name, appendix, unit_code, criterion_code, baseline_value, target_op,"
    " target_value, current_value, status, owner_unit"
)


@pytest.fixture
def inbox(tmp_path) -> Path:
    path = tmp_path / "inbox"
    shutil.copytree(SAMPLE, path)
    return path


@pytest.fixture(autouse=True)
def no_smtp(monkeypatch):
    for var in ("CHISO_SMTP_HOST", "CHISO_SMTP_BLOCK"):
        monkeypatch.delenv(var, raising=False)


def _gaps(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"select {GAP_COLUMNS} from criterion_gaps order by all").fetchall()


def _one(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _touch(path: Path, seconds: int) -> None:
    os.utime(path, (seconds, seconds))


# --- the archive ------------------------------------------------------------------------------


def test_every_file_is_archived_unchanged_by_its_hash(tmp_path, inbox):
    db = tmp_path / "var" / "chiso.duckdb"
    _, _, run = build_db(db, inbox, PLAN)
    archive = intake.archive_dir(db)
    manifest = json.loads(intake.manifest_path(archive, run.run_id).read_text(encoding="utf-8"))
    names = sorted(p.name for p in inbox.iterdir())
    assert [e["name"] for e in manifest["extracts"]] == names
    for e in manifest["extracts"]:
        data = (inbox / e["name"]).read_bytes()
        assert e["sha256"] == hashlib.sha256(data).hexdigest() and e["size"] == len(data)
        copy = intake.archived_path(archive, e["sha256"], Path(e["name"]).suffix)
        assert copy.read_bytes() == data
        assert not copy.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    plan_copy = intake.archived_path(archive, manifest["plan"]["sha256"], ".yaml")
    assert plan_copy.read_bytes() == PLAN.read_bytes()
    # what the database says it loaded is what the archive holds
    loaded = _one(db, "select distinct file, sha256 from extracts order by 1")
    assert loaded == sorted((e["name"], e["sha256"]) for e in manifest["extracts"])


def test_the_same_bytes_are_archived_once(tmp_path, inbox):
    db = tmp_path / "var" / "chiso.duckdb"
    build_db(db, inbox, PLAN)
    shutil.copy(inbox / "sipas_criteria.csv", inbox / "sipas_criteria_copy.csv")
    build_db(db, inbox, PLAN)
    archived = list((intake.archive_dir(db) / "sha256").rglob("*.csv"))
    n_csv = len(list(SAMPLE.glob("*.csv")))  # distinct contents, the copy adds none
    assert len(archived) == len({p.stem for p in archived}) == n_csv


def test_files_hashed_side_by_side_are_listed_in_name_order(tmp_path):
    """Intake hashes and copies files in threads (HASH_THREADS): the arrivals still come in
    name order, and two new files with the same bytes, stored at once, give one archived copy
    and no partial copy left behind."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    big = b"unit_code,year\n" + b"P01,2024\n" * 400_000  # finishes after the small ones
    (inbox / "a_big.csv").write_bytes(big)
    for i in range(6):
        (inbox / f"b_{i}.csv").write_bytes(f"unit_code,year\nP0{i},2024\n".encode())
    (inbox / "c_same_1.csv").write_bytes(big)
    (inbox / "c_same_2.csv").write_bytes(big)
    archive = tmp_path / "archive"
    taken = intake.take(inbox, archive)
    names = [a.name for a in taken.arrivals]
    assert names == sorted(p.name for p in inbox.iterdir()) and not taken.deferred
    for a in taken.arrivals:
        assert a.sha256 == hashlib.sha256((inbox / a.name).read_bytes()).hexdigest()
        assert a.archived.read_bytes() == (inbox / a.name).read_bytes()
    assert len({a.archived for a in taken.arrivals}) == 7
    assert not list(archive.rglob("*.part"))


def test_an_unchanged_file_is_not_read_again(tmp_path, inbox, monkeypatch):
    archive = tmp_path / "archive"
    first = intake.take(inbox, archive)
    read = []
    real = intake._sha256
    monkeypatch.setattr(intake, "_sha256", lambda path: read.append(path.name) or real(path))

    again = intake.take(inbox, archive)
    assert read == []  # same identity (inode, size, mtime, ctime): the known hash stands
    assert [(a.name, a.sha256, a.archived) for a in again.arrivals] == [
        (a.name, a.sha256, a.archived) for a in first.arrivals]

    # rewritten in place with other bytes of the same size, its mtime set back: ctime moved
    par = inbox / "par_index_stttt.csv"
    st = par.stat()
    data = par.read_bytes()
    par.write_bytes(data.replace(b",6.4,6.3,", b",6.4,6.2,", 1))
    os.utime(par, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert par.stat().st_size == st.st_size and par.stat().st_mtime_ns == st.st_mtime_ns
    # and one file's archived copy is gone: it is hashed and archived again
    dropped = next(a for a in first.arrivals if a.name == "papi_subdimensions.csv")
    dropped.archived.chmod(0o644)
    dropped.archived.unlink()

    third = intake.take(inbox, archive)
    assert sorted(n for n in read if not n.startswith(".")) == [  # (and the copies made)
        "papi_subdimensions.csv", "par_index_stttt.csv"]
    by_name = {a.name: a for a in third.arrivals}
    assert by_name["par_index_stttt.csv"].sha256 == hashlib.sha256(par.read_bytes()).hexdigest()
    assert by_name["par_index_stttt.csv"].sha256 != next(
        a.sha256 for a in first.arrivals if a.name == "par_index_stttt.csv")
    assert dropped.archived.read_bytes() == (inbox / "papi_subdimensions.csv").read_bytes()
    cache = json.loads((archive / "hash-cache.json").read_text(encoding="utf-8"))
    assert sorted(Path(k).name for k in cache) == sorted(a.name for a in third.arrivals)


def test_a_past_run_is_rebuilt_from_the_archive(tmp_path, inbox, prefect_server):
    db = tmp_path / "var" / "chiso.duckdb"
    _, _, first = build_db(db, inbox, PLAN, when=dt.datetime(2024, 10, 5, 7, 30, tzinfo=TZ))
    first_gaps = _gaps(db)
    dated = "select * from deadline_watch order by all"
    first_deadlines = _one(db, dated)
    assert first_deadlines and {r[0] for r in _one(db, "select as_of_date from runs")} == {
        dt.date(2024, 10, 5)}
    # the inbox moves on: a score changes, a file goes away
    set_par_self_score(inbox, "STTTT", 2024, "1.1", "0")
    (inbox / "papi_subdimensions.csv").unlink()
    build_db(db, inbox, PLAN)
    assert _gaps(db) != first_gaps
    shutil.rmtree(inbox)  # nothing of the old inbox is needed

    out = tmp_path / "rebuilt"
    assert cli.main(["rebuild", first.run_id, "--db", str(db), "--out", str(out)]) == 0
    assert _gaps(out / "chiso.duckdb") == first_gaps
    # as of the date the run had: the same days left before each deadline, the same history
    assert _one(out / "chiso.duckdb", "select as_of_date from runs") == [(dt.date(2024, 10, 5),)]
    assert _one(out / "chiso.duckdb", dated) == first_deadlines
    assert _one(out / "chiso.duckdb", "select distinct valid_from from gap_history") == [
        (dt.date(2024, 10, 5),)]
    restored = sorted(p.name for p in (out / "inbox").iterdir())
    assert restored == sorted(p.name for p in SAMPLE.iterdir())
    assert not alerts.outbox_path(out / "chiso.duckdb").exists()  # a rebuild tells no one
    # and a run the archive does not know is refused clearly
    assert cli.main(["rebuild", "20990101T000000-000000", "--db", str(db),
                     "--out", str(tmp_path / "nothing")]) == 2


# --- a file still being written ---------------------------------------------------------------


def test_a_file_that_grows_while_read_is_left_for_the_next_run(tmp_path, inbox, monkeypatch):
    growing = inbox / "par_index_stttt.csv"
    original = growing.read_bytes()
    real_chunks = intake._chunks

    def writer_appends(f):  # another program is still writing the file as the run reads it
        for i, block in enumerate(real_chunks(f)):
            if i == 0 and Path(f.name) == growing and growing.stat().st_size == len(original):
                with growing.open("ab") as w:
                    w.write(b"STTTT,2024,9.9,Still being written,1,1,,\n")
            yield block

    monkeypatch.setattr(intake, "CHUNK", 4096)
    monkeypatch.setattr(intake, "_chunks", writer_appends)
    db = tmp_path / "var" / "chiso.duckdb"
    summary, _, _ = build_db(db, inbox, PLAN)
    assert [d.name for d in summary.deferred] == ["par_index_stttt.csv"]
    assert "par_index_stttt.csv" not in {e.file for e in summary.extracts}
    assert _one(db, "select count(*) from raw_par_scores") == [(0,)]
    from flows.documents.summary import render
    assert "par_index_stttt.csv: tệp thay đổi trong lúc đọc" in render(summary, str(db))
    archived = list((intake.archive_dir(db) / "sha256").rglob("*.csv"))
    assert hashlib.sha256(original).hexdigest() not in {p.stem for p in archived}

    monkeypatch.setattr(intake, "_chunks", real_chunks)  # the writer has finished
    growing.write_bytes(original)
    summary, _, _ = build_db(db, inbox, PLAN)
    assert summary.deferred == []
    assert _one(db, "select count(*) from raw_par_scores") == [(199,)]


# --- a newer file replaces an older one ---------------------------------------------------------


def _par_2024_only(inbox: Path, name: str, changes: dict[str, str]) -> Path:
    """A second PAR export: the unit's 2024 rows only, some scores changed."""
    lines = (inbox / "par_index_stttt.csv").read_text(encoding="utf-8").splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        if cells[1] == "2024":
            if cells[2] in changes:
                cells[5] = changes[cells[2]]
            out.append(",".join(cells))
    path = inbox / name
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def _self_score(db: Path, code: str, year: int = 2024) -> list[tuple]:
    return _one(db, "select source_file, self_score from raw_par_scores"
                    " where criterion_code = ? and year = ?", [code, str(year)])


def test_a_newer_file_replaces_the_older_for_the_same_unit_and_year(tmp_path, inbox):
    old = inbox / "par_index_stttt.csv"
    _touch(old, 1_700_000_000)
    new = _par_2024_only(inbox, "par_index_stttt_sua.csv", {"1.1": "0"})
    _touch(new, 1_700_086_400)  # a day later
    db = tmp_path / "var" / "chiso.duckdb"
    summary, _, _ = build_db(db, inbox, PLAN)
    n_2024 = len(new.read_text(encoding="utf-8").splitlines()) - 1
    assert [(r["raw_table"], r["unit"], r["year"], r["replaced_file"], r["by_file"], r["n_rows"])
            for r in summary.replacements] == [
        ("par_scores", "STTTT", "2024", old.name, new.name, n_2024)]
    assert _self_score(db, "1.1") == [(new.name, "0")]
    assert _one(db, "select count(*) from raw_par_scores where year = '2023'"
                    " and source_file = ?", [old.name])[0][0] > 0  # 2023 still from the old one
    assert _one(db, "select current_value from criterion_gaps where index_name = 'PAR'"
                    " and criterion_code = '1.1'") == [(0,)]
    from flows.documents.summary import render
    text = render(summary, str(db))
    assert f"↻ {new.name} thay thế {old.name} cho STTTT 2024 (bỏ {n_2024} dòng cũ)" in text

    # the next night, nothing changed: the same tables, the same replacement said again
    gaps = _gaps(db)
    summary, _, _ = build_db(db, inbox, PLAN)
    assert len(summary.replacements) == 1 and _gaps(db) == gaps
    # the correction is withdrawn: the older file's rows come back
    new.unlink()
    summary, _, _ = build_db(db, inbox, PLAN)
    assert summary.replacements == []
    assert _self_score(db, "1.1") == [(old.name, _self_score_in(old, "1.1"))]


def _self_score_in(path: Path, code: str) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = line.split(",")
        if cells[1:3] == ["2024", code]:
            return cells[5]
    raise AssertionError(code)


def test_the_newer_file_wins_by_modification_time_not_by_name(tmp_path, inbox):
    old = inbox / "par_index_stttt.csv"
    early = _par_2024_only(inbox, "a_par_earlier.csv", {"1.1": "0"})
    _touch(early, 1_600_000_000)
    _touch(old, 1_700_000_000)
    db = tmp_path / "var" / "chiso.duckdb"
    summary, _, _ = build_db(db, inbox, PLAN)
    assert [(r["replaced_file"], r["by_file"]) for r in summary.replacements] == [
        (early.name, old.name)]
    assert _self_score(db, "1.1") == [(old.name, _self_score_in(old, "1.1"))]


def test_a_bare_code_in_two_provinces_files_is_two_units_not_a_replacement(tmp_path, inbox):
    """SKHCN in a Bắc Kạn file and in a Thái Nguyên file: the register reads them as BKN.SKHCN
    and TNG.SKHCN (the plan's unit_provinces), so neither file replaces the other."""
    lines = (inbox / "par_index_stttt.csv").read_text(encoding="utf-8").splitlines()
    rows = [line.replace("STTTT,", "SKHCN,", 1) for line in lines[1:] if ",2024," in line]
    for name in ("par_2024_bac_kan.csv", "par_2024_thai_nguyen.csv"):
        _touch(_write(inbox / name, "\n".join([lines[0], *rows]) + "\n"),
               1_700_000_000 + len(name))
    raw = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    raw["unit_provinces"] = [{"files": "*bac_kan*", "province": "Bắc Kạn"},
                             {"files": "*thai_nguyen*", "province": "Thái Nguyên"}]
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    db = tmp_path / "var" / "chiso.duckdb"
    summary, _, _ = build_db(db, inbox, plan)
    assert summary.replacements == []
    assert _one(db, "select source_file, count(*) from raw_par_scores where unit_code = 'SKHCN'"
                    " group by all order by all") == [
        ("par_2024_bac_kan.csv", len(rows)), ("par_2024_thai_nguyen.csv", len(rows))]
    assert _one(db, "select distinct unit_code from stg_par__scores where year = 2024"
                    " and unit_code like '%SKHCN' order by all") == [
        ("BKN.SKHCN",), ("TNG.SKHCN",)]
    # the same file again, newer, for one of them: that one is replaced
    _touch(_write(inbox / "par_2024_thai_nguyen_sua.csv", "\n".join([lines[0], *rows]) + "\n"),
           1_800_000_000)
    summary, _, _ = build_db(db, inbox, plan)
    assert [(r["unit"], r["replaced_file"], r["by_file"]) for r in summary.replacements] == [
        ("TNG.SKHCN", "par_2024_thai_nguyen.csv", "par_2024_thai_nguyen_sua.csv")]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_files_that_complement_each_other_are_both_kept(tmp_path, inbox):
    # PAPI dimensions and sub-dimensions share province and year but no code; two batches
    # of survey answers share unit and year but no respondent
    answers = (inbox / "sipas_answers_2023.csv").read_text(encoding="utf-8").splitlines()
    header, rows = answers[0], answers[1:]
    respondents = sorted({r.split(";")[2] for r in rows})  # BOM, semicolons
    half = set(respondents[: len(respondents) // 2])
    first = [r for r in rows if r.split(";")[2] in half]
    (inbox / "sipas_answers_2023.csv").write_text("\n".join([header, *first]) + "\n",
                                                   encoding="utf-8")
    (inbox / "sipas_answers_2023_dot2.csv").write_text(
        "\n".join([header, *(r for r in rows if r not in first)]) + "\n", encoding="utf-8")
    db = tmp_path / "var" / "chiso.duckdb"
    summary, _, _ = build_db(db, inbox, PLAN)
    assert summary.replacements == []
    assert _one(db, "select count(*) from raw_sipas_answers where year = '2023'") == [(len(rows),)]
    assert _one(db, "select count(distinct source_file) from raw_papi_scores") == [(2,)]


# --- a rejected file: set aside, reported once ------------------------------------------------


def _digests(db: Path) -> list[str]:
    texts = []
    for eml in sorted(alerts.outbox_path(db).glob("*digest*.eml")):
        parsed = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        texts.append(parsed.get_body(("plain",)).get_content())
    return texts


def test_a_rejected_file_is_set_aside_and_reported_once(tmp_path, inbox):
    from flows.documents.summary import render
    from flows.plan import load_plan

    bad = inbox / "par_index_stttt.csv"
    set_par_self_score(inbox, "STTTT", 2024, "1.1", "99")
    db = tmp_path / "var" / "chiso.duckdb"
    plan = load_plan(PLAN)

    summary, _, run = build_db(db, inbox, PLAN)
    alerts.run_alerts(db, plan, run.run_id)
    assert [e.file for e in summary.newly_rejected] == [bad.name]
    assert f"✗ {bad.name}: KHÔNG NẠP" in render(summary, str(db))
    sha = hashlib.sha256(bad.read_bytes()).hexdigest()
    aside = intake.rejected_dir(db) / f"{sha[:12]}-{bad.name}"
    assert aside.read_bytes() == bad.read_bytes()
    report = aside.with_name(aside.name + ".errors.txt").read_text(encoding="utf-8")
    assert f"Tệp: {bad.name}" in report
    assert "cột self_score" in report and "giá trị '99'" in report and "dòng " in report
    digests = _digests(db)
    assert len(digests) == 1 and f"- {bad.name}: " in digests[0]

    # the next night the same bytes are still there: not reported again, no new digest
    summary, _, run = build_db(db, inbox, PLAN)
    alerts.run_alerts(db, plan, run.run_id)
    assert summary.newly_rejected == [] and summary.reported_before == {bad.name}
    text = render(summary, str(db))
    assert f"✗ {bad.name}: KHÔNG NẠP" not in text
    assert f"1 tệp đã báo lỗi ở lượt trước, chưa sửa (không nạp): {bad.name}" in text
    assert len(_digests(db)) == 1
    assert len(list(intake.rejected_dir(db).glob("*.errors.txt"))) == 1
    assert _one(db, "select reported_before from extracts where file = ?", [bad.name]) == [(True,)]

    # it changes, still wrong: reported again, set aside again
    set_par_self_score(inbox, "STTTT", 2024, "1.1", "-1")
    summary, _, run = build_db(db, inbox, PLAN)
    alerts.run_alerts(db, plan, run.run_id)
    assert [e.file for e in summary.newly_rejected] == [bad.name]
    digests = _digests(db)
    assert len(digests) == 2 and any("'-1'" in d for d in digests)
    assert len(list(intake.rejected_dir(db).glob("*.errors.txt"))) == 2
