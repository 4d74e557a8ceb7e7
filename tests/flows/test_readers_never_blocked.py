"""Analysts are never blocked: readers in other processes connect read-only every 50 ms to the
published results and to the published alert log through 10 full runs and 10 runs with
nothing new, emails sent by a real SMTP server on loopback. Zero errors, and every reader
sees one whole published state: the latest run's counts are criterion_gaps' counts.

The readers connect as README's "Query the DuckDB file" says: through `published.read_only`,
which opens again when a run swapped the file while DuckDB opened it (DuckDB opens a file
three times to connect; a bare connect torn by a swap failed CI once in 20 runs x 3 readers:
"Could not read enough bytes from file")."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter

import pytest
from aiosmtpd.controller import Controller

from flows.notify import alerts
from tests.alerts.conftest import Inbox, free_port
from tests.conftest import PLAN, ROOT, SAMPLE
from tests.helpers import set_par_self_score

pytestmark = pytest.mark.real_process  # starts chiso or Prefect processes (make test-fast skips)

READER = r"""
import json, sys, time
from pathlib import Path
from flows.documents.published import read_only
db, log, stop, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
with open(out, "w") as f:
    while not stop.exists():
        seen = {"t": time.time()}
        try:
            with read_only(db) as con:
                seen["runs"] = con.execute("select count(*) from runs").fetchall()[0][0]
                seen["gaps"] = dict(con.execute(
                    "select status, count(*) from criterion_gaps group by all").fetchall())
                seen["latest"] = con.execute(
                    "select n_missed, n_at_risk, n_met, n_no_data from runs"
                    " order by started_at desc limit 1").fetchall()[0]
            if log.exists():
                with read_only(log) as con:
                    seen["log"] = con.execute("select count(*) from alert_log").fetchall()[0][0]
        except Exception as exc:
            seen["error"] = f"{type(exc).__name__}: {exc}"
        f.write(json.dumps(seen) + "\n")
        f.flush()
        time.sleep(0.05)
"""


def test_readers_are_never_blocked_and_see_whole_states(warm_server, tmp_path):
    var, env = warm_server
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE, inbox)
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN.read_text(encoding="utf-8").replace("owner_emails: false",
                                                             "owner_emails: true"),
                    encoding="utf-8")
    db = tmp_path / "var" / "chiso.duckdb"
    db.parent.mkdir()
    smtp = Inbox()
    port = free_port()
    controller = Controller(smtp, hostname="127.0.0.1", port=port)
    controller.start()
    run_env = {**env, "CHISO_SMTP_HOST": "127.0.0.1", "CHISO_SMTP_PORT": str(port),
               "CHISO_SMTP_SECURITY": "none", "CHISO_SMTP_SENDER": "chiso@example.gov.vn"}

    def run() -> None:
        done = subprocess.run(
            [sys.executable, "-m", "flows.cli", "run", "--inbox", str(inbox), "--plan",
             str(plan), "--db", str(db)], cwd=ROOT, env=run_env, capture_output=True,
            text=True, timeout=300)
        assert done.returncode == 0, done.stderr

    stop = tmp_path / "stop"
    readers = []
    try:
        run()  # the first state is published before the readers start
        for i in range(3):
            readers.append(subprocess.Popen(
                [sys.executable, "-c", READER, str(db), str(alerts.published_log_path(db)),
                 str(stop), str(tmp_path / f"reader{i}.jsonl")], cwd=ROOT, env=os.environ))
        for night in range(10):
            # a full run: an extract changed (a score moves), so criteria and emails change
            set_par_self_score(inbox, "STTTT", 2024, "7.1.2", ("0.5", "0.25")[night % 2])
            run()
            run()  # nothing new
        time.sleep(0.3)
    finally:
        stop.write_text("")
        for reader in readers:
            reader.wait(timeout=60)
        controller.stop()
    seen = [json.loads(line) for i in range(3)
            for line in (tmp_path / f"reader{i}.jsonl").read_text().splitlines()]
    errors = [s["error"] for s in seen if "error" in s]
    assert errors == []
    assert len(seen) > 3 * 100  # the readers kept reading through the runs
    for s in seen:
        gaps = Counter(s["gaps"])
        assert s["latest"] == [gaps["missed"], gaps["at_risk"], gaps["met"], gaps["no_data"]], s
    assert {s["runs"] for s in seen} >= {5, 10, 21}  # they saw states published along the way
    # and the alert log grow: each full run moved a score back or forth, which is news to
    # its owner and to the Office (a digest and an owner email a full run, after the first)
    assert max(s.get("log", 0) for s in seen) == len(smtp.messages) == 3 + 2 * 10
