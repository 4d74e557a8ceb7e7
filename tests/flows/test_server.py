"""`chiso server start | status | stop` for real: a Prefect server on loopback and the warm
process; `chiso run` runs in the warm process, streams its progress and summary, and answers
with the run's exit code; without the server it runs on its own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, SAMPLE

pytestmark = pytest.mark.real_process  # starts chiso or Prefect processes (make test-fast skips)


def chiso(*args: str, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def server(warm_server):
    return warm_server


def test_status_says_both_parts_answer(server):
    var, env = server
    done = chiso("server", "status", env=env)
    assert done.returncode == 0, done.stdout
    assert "Prefect: đang chạy tại http://127.0.0.1:" in done.stdout
    assert "Tiến trình sẵn sàng: đang chạy" in done.stdout
    state = json.loads((var / "server" / "server.json").read_text(encoding="utf-8"))
    assert state["api_url"].startswith("http://127.0.0.1:")


def test_a_run_executes_in_the_warm_process_and_streams_its_output(server, tmp_path):
    var, env = server
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE, inbox)
    db = tmp_path / "chiso.duckdb"
    first = chiso("run", "--inbox", str(inbox), "--db", str(db),
                  env={**env, "CHISO_PROGRESS": "1"})
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("chiso — kết quả lượt chạy ")
    assert "Nạp par_index_stttt.csv" in first.stderr  # progress, streamed from the warm child
    assert "Khởi động Prefect tạm thời" not in first.stderr
    state = json.loads((var / "server" / "server.json").read_text(encoding="utf-8"))
    log = next((tmp_path / "logs").glob("chiso-*.log")).read_text(encoding="utf-8")
    assert f"forked from the warm process {state['warm_pid']}" in log
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from runs").fetchall() == [(1,)]
    # nothing new: the same answer, the run recorded
    second = chiso("run", "--inbox", str(inbox), "--db", str(db), env=env)
    assert second.returncode == 0 and second.stderr == ""
    assert "(không đổi từ lượt trước)" not in second.stdout  # progress is for terminals only
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from runs").fetchall() == [(2,)]


def test_a_refused_run_answers_its_exit_code_through_the_server(server, tmp_path):
    _, env = server
    plan = tmp_path / "plan.yaml"
    plan.write_text("baseline_year: 2023\n", encoding="utf-8")
    done = chiso("run", "--plan", str(plan), "--db", str(tmp_path / "chiso.duckdb"), env=env)
    assert done.returncode == 2 and "thiếu khoá bắt buộc" in done.stderr


def test_stop_ends_both_processes_and_status_says_so(tmp_path_factory):
    var = tmp_path_factory.mktemp("server-stop")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update({"CHISO_VAR": str(var), "PREFECT_HOME": str(var / "prefect")})
    assert chiso("server", "start", "--port", "0", env=env, timeout=240).returncode == 0
    state = json.loads((var / "server" / "server.json").read_text(encoding="utf-8"))
    stopped = chiso("server", "stop", env=env, timeout=60)
    assert stopped.returncode == 0 and "Đã dừng" in stopped.stdout
    status = chiso("server", "status", env=env)
    assert status.returncode == 3 and "không chạy" in status.stdout
    assert not Path(var / "server" / "chiso.sock").exists()
    assert not (var / "server" / "server.json").exists()
    for pid in (state["prefect_pid"], state["warm_pid"]):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_server_holding_older_code_is_not_used(server, tmp_path, monkeypatch):
    """chiso upgraded under a running server: `chiso run` says so and runs on its own."""
    from flows.serving import server as server_mod

    var, env = server
    monkeypatch.setenv("CHISO_VAR", str(var))
    monkeypatch.setattr(server_mod, "code_fingerprint", lambda: "newer code")
    assert server_mod.run_remote(["run", "--db", str(tmp_path / "chiso.duckdb")]) is None
