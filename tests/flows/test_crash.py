"""Crash tests: real `chiso run` processes killed with SIGKILL (the whole process group,
Prefect's temporary server included) at several points. The published database is exactly
as before or exactly as the run meant it, never in between; the alert state stays consistent
with what was sent; the next run completes."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from flows.notify import alerts
from tests.alerts.conftest import Inbox, free_port
from tests.conftest import PLAN, ROOT, SAMPLE
from tests.helpers import build_db, set_par_self_score

pytestmark = pytest.mark.real_process  # starts chiso or Prefect processes (make test-fast skips)

BEFORE_PUBLISH = ["ingest", "transform", "checks", "publish", "swap"]


def _snapshot(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select * from criterion_gaps order by all").fetchall()




def _start(db: Path, inbox: Path, plan: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "run", "--inbox", str(inbox), "--plan", str(plan),
         "--db", str(db)],
        cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def _wait_for(marker: Path, proc: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"run ended before {marker.name}: {proc.stdout.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"run never reached {marker.name}")
        time.sleep(0.2)


def _kill_group(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    # nothing of the group may survive (Prefect's server subprocess included)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    raise AssertionError("processes of the killed run are still alive")


@pytest.fixture
def setup(tmp_path, prefect_server):
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE, inbox)
    db = tmp_path / "var" / "chiso.duckdb"
    build_db(db, inbox, PLAN)  # what was published before
    before = _snapshot(db)
    set_par_self_score(inbox, "STTTT", 2024, "7.1.2", "0.5")
    # what the run means to publish: the same inputs built elsewhere
    ref = tmp_path / "ref" / "chiso.duckdb"
    build_db(ref, inbox, PLAN)
    after = _snapshot(ref)
    assert before != after
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"),
           "CHISO_FAULT_DIR": str(tmp_path), "CHISO_FAULT_SECONDS": "300"}
    # the runs report to the session's Prefect server (a killed run cannot take it down; a
    # temporary server per run would cost 7-10 s each)
    from prefect.settings import PREFECT_API_URL

    env["PREFECT_API_URL"] = PREFECT_API_URL.value()
    return db, inbox, before, after, env


@pytest.mark.parametrize("point", BEFORE_PUBLISH)
def test_killed_before_the_swap_leaves_the_old_state(setup, point, tmp_path):
    db, inbox, before, after, env = setup
    proc = _start(db, inbox, PLAN, {**env, "CHISO_FAULT_PAUSE": point})
    _wait_for(tmp_path / f"{point}.reached", proc)
    _kill_group(proc)
    assert _snapshot(db) == before
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "--inbox", str(inbox), "--plan", str(PLAN),
         "--db", str(db)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr  # the lock is free, leftovers are cleaned
    assert _snapshot(db) == after
    assert [p.name for p in db.parent.iterdir() if ".build-" in p.name] == []


@pytest.mark.parametrize("point", ["alert-send", "alert-sent"])
def test_killed_while_sending_leaves_the_new_state_and_an_unknown_message(setup, tmp_path, point):
    """Killed just before the SMTP handover, or just after it (the server has the message)
    and before the alert log records it: either way the message is `unknown` to the next
    run, which does not send it again but tells the Office."""
    db, inbox, before, after, env = setup
    handler = Inbox()
    port = free_port()
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    smtp = {"CHISO_SMTP_HOST": "127.0.0.1", "CHISO_SMTP_PORT": str(port),
            "CHISO_SMTP_SECURITY": "none", "CHISO_SMTP_SENDER": "chiso@example.gov.vn"}
    try:
        proc = _start(db, inbox, PLAN, {**env, **smtp, "CHISO_FAULT_PAUSE": point})
        _wait_for(tmp_path / f"{point}.reached", proc)
        _kill_group(proc)
        assert _snapshot(db) == after  # published before any email is sent
        with sqlite3.connect(alerts.state_path(db)) as s:
            states = [r[0] for r in s.execute("select state from alert_log")]
        assert states == ["sending"]
        handed_over = len(handler.messages)
        assert handed_over == (1 if point == "alert-sent" else 0)
        done = subprocess.run(
            [sys.executable, "-m", "flows.cli", "run", "--inbox", str(inbox), "--plan",
             str(PLAN), "--db", str(db)],
            cwd=ROOT, env={**env, **smtp}, capture_output=True, text=True, timeout=300,
        )
        assert done.returncode == 0, done.stderr
    finally:
        controller.stop()
    with sqlite3.connect(alerts.state_path(db)) as s:
        states = dict(s.execute("select kind || ':' || message_id, state from alert_log"))
    # the interrupted message is unknown, not resent; the Office hears about it
    assert sorted(states.values()) == ["sent", "unknown"]
    assert len(handler.messages) == handed_over + 1
    assert "không rõ đã gửi hay chưa" in handler.messages[-1].get_body(("plain",)).get_content()
