"""The commands analysts and admins expect, as real processes: `chiso sql` (argument, standard
input, an interactive prompt on a terminal, CSV and JSON, the alert log attached), `chiso
runs`, and documents written beside the database wherever the command runs from."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.notify import alerts
from flows.plan import load_plan
from tests.conftest import PLAN, ROOT, SAMPLE
from tests.helpers import build_db

pytestmark = pytest.mark.real_process  # starts chiso or Prefect processes (make test-fast skips)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The sample published twice (two runs), its digest written to the outbox."""
    import shutil

    base = tmp_path_factory.mktemp("analyst")
    inbox = base / "inbox"
    shutil.copytree(SAMPLE, inbox)
    db = base / "var" / "chiso.duckdb"
    with pytest.MonkeyPatch.context() as env:
        for var in ("CHISO_SMTP_HOST", "CHISO_SMTP_BLOCK"):
            env.delenv(var, raising=False)
        _, _, first = build_db(db, inbox, PLAN)
        alerts.run_alerts(db, load_plan(PLAN), first.run_id)
        _, _, second = build_db(db, inbox, PLAN)
    return db, first.run_id, second.run_id


def chiso(*args: str, cwd: Path = ROOT, stdin: str | None = None, env: dict | None = None):
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, input=stdin,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def test_sql_answers_a_query_as_a_table(published):
    db, _, _ = published
    done = chiso("sql", "select status, count(*) as n from criterion_gaps group by all"
                 " order by status", "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert "│" in done.stdout and "at_risk" in done.stdout and "missed" in done.stdout


def test_sql_reads_standard_input_and_writes_csv_with_the_alert_log_attached(published):
    db, first, _ = published
    done = chiso("sql", "--db", str(db), "--csv",
                 stdin="select kind, state, run_id from alert_log;\nselect 1 as one;\n")
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[:2] == [["kind", "state", "run_id"], ["digest", "written", first]]
    assert rows[2:] == [["one"], ["1"]]


def test_sql_writes_json_lines_with_exact_decimals(published):
    db, _, _ = published
    done = chiso("sql", "select target_value from criterion_gaps where index_name = 'PAPI'"
                 " and criterion_code = '6.2'", "--db", str(db), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"target_value": "1.51480000"}


def test_sql_is_read_only_and_says_why_in_vietnamese(published):
    db, _, _ = published
    done = chiso("sql", "drop table criterion_gaps", "--db", str(db))
    assert done.returncode == 2 and "câu truy vấn lỗi" in done.stderr
    assert "Traceback" not in done.stderr
    assert chiso("sql", "select count(*) from criterion_gaps", "--db", str(db),
                 "--csv").stdout.splitlines()[1] == "113"
    missing = chiso("sql", "select 1", "--db", str(db.parent / "khong-co.duckdb"))
    assert missing.returncode == 2 and "chạy `chiso run` trước" in missing.stderr


def _read_until(fd: int, marker: bytes, timeout: float = 30) -> bytes:
    out = b""
    deadline = time.monotonic() + timeout
    while marker not in out:
        if time.monotonic() > deadline:
            raise AssertionError(f"no {marker!r} in {out!r}")
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out


def test_sql_prompts_on_a_terminal(published):
    db, _, _ = published
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "sql", "--db", str(db)],
                            cwd=ROOT, stdin=follower, stdout=follower, stderr=follower,
                            close_fds=True)
    os.close(follower)
    try:
        assert b"chiso sql" in _read_until(leader, b"chiso> ")
        os.write(leader, b"select count(*) as n\n")
        os.write(leader, b"from runs;\n")
        answer = _read_until(leader, b"chiso> ")
        assert b"2" in answer and b"\xe2\x94\x82" in answer  # a box-drawn table
        os.write(leader, b".quit\n")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)


def test_runs_lists_the_history_in_vietnamese_and_rebuild_takes_its_ids(published, tmp_path):
    db, first, second = published
    done = chiso("runs", "--db", str(db))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Mã lượt chạy") and "Tệp nạp" in lines[0]
    assert lines[2].startswith(second) and lines[3].startswith(first)  # newest first
    assert "1/0" in lines[3]  # the first run's digest, written to the outbox
    rebuilt = chiso("rebuild", first, "--db", str(db), "--out", str(tmp_path / "rebuilt"),
                    env={"CHISO_VAR": str(tmp_path / "var")})
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert (tmp_path / "rebuilt" / "chiso.duckdb").exists()


def test_documents_go_beside_the_database_wherever_the_command_runs(published, tmp_path):
    db, _, _ = published
    elsewhere = tmp_path / "somewhere"
    elsewhere.mkdir()
    env = {"DISPLAY": "", "WAYLAND_DISPLAY": ""}
    report = chiso("report", "--db", str(db), "--open", cwd=elsewhere, env=env)
    assert report.returncode == 0, report.stderr
    html, xlsx = (Path(p) for p in report.stdout.splitlines())
    assert html.is_absolute() and html == db.parent / "report" / "chiso-bao-cao.html"
    assert html.exists() and xlsx.exists()
    assert "Không có màn hình (desktop) để mở tệp" in report.stderr
    appendices = chiso("appendices", "--db", str(db), cwd=elsewhere)
    assert appendices.returncode == 0, appendices.stderr
    docx, _ = (Path(p) for p in appendices.stdout.splitlines())
    assert docx.is_absolute() and docx.parent == db.parent / "report" and docx.exists()
    assert list(elsewhere.iterdir()) == []
    out = chiso("report", "--db", str(db), "--out", "ra", cwd=elsewhere)
    assert Path(out.stdout.splitlines()[0]) == elsewhere / "ra" / "chiso-bao-cao.html"
