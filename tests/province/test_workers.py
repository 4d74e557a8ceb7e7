"""A province run spread over Prefect workers, for real: a Prefect server on loopback, two
process workers of the work pool chiso-plans, `chiso run --province --workers 2`. The plans run
as deployment runs on both workers; one plan's process is killed mid-run (kill -9 at the
transform step): the others publish, the province run reports it and exits 3."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bench.run import _stop_group
from tests.conftest import ROOT
from tests.province.conftest import PLAN_IDS, rows

pytestmark = pytest.mark.real_process
PREFECT = str(Path(sys.executable).parent / "prefect")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _until(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


@pytest.fixture
def prefect_env(tmp_path):
    """A Prefect server of its own on loopback; the environment its clients and workers use."""
    url = f"http://127.0.0.1:{_free_port()}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHISO_FAULT")}
    env.update({"PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_API_URL": url,
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
                "PREFECT_WORKER_QUERY_SECONDS": "1", "CHISO_VAR": str(tmp_path / "var")})
    port = url.split(":")[2].split("/")[0]
    server = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", port],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _until(lambda: _healthy(url), 90, "the Prefect server")
        yield env
    finally:
        _stop_group(server, grace_s=30)


def test_plans_run_on_two_workers_and_a_killed_plan_is_reported(province, prefect_env,
                                                                   tmp_path):
    faults = tmp_path / "faults"
    faults.mkdir()
    workers, logs = [], {}
    for name, extra in (("w1", {}), ("w2", {"CHISO_FAULT_PAUSE": "transform",
                                            "CHISO_FAULT_ONCE": "1",
                                            "CHISO_FAULT_DIR": str(faults)})):
        logs[name] = tmp_path / f"{name}.log"
        with logs[name].open("w") as out:
            workers.append(subprocess.Popen(
                [PREFECT, "worker", "start", "--pool", "chiso-plans", "--type", "process",
                 "--name", name], env={**prefect_env, **extra}, cwd=ROOT, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True))
    try:
        run = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "run", "--province", str(province),
             "--workers", "2"], env=prefect_env, cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        marker = faults / "transform.reached"
        _until(lambda: marker.exists() and marker.read_text().strip(), 240,
               "a plan to reach the transform step on w2")
        os.kill(int(marker.read_text()), signal.SIGKILL)  # the plan's process, mid-run
        output, _ = run.communicate(timeout=600)
    finally:
        for w in workers:
            _stop_group(w, grace_s=30)
    assert run.returncode == 3, output
    assert "Tỉnh Thái Nguyên: 5 kế hoạch; 4 đã công bố, 1 không công bố được." in output
    assert "trên worker kết thúc ở trạng thái CRASHED của Prefect" in output
    # both workers took plans
    for name, log in logs.items():
        assert "submitting flow run" in log.read_text(), name
    db = province / "var" / "province.duckdb"
    published = [r[0] for r in rows(db, "select plan_id from province_plans"
                                        " where status = 'published' order by 1")]
    assert len(published) == 4 and set(published) < set(PLAN_IDS)
    assert rows(db, "select count(distinct plan_id) from criterion_gaps") == [(4,)]
