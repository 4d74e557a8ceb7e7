"""Shared test set-up: Prefect and GX stay local and quiet; one Prefect server per session."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

_prefect_home = tempfile.mkdtemp(prefix="chiso-prefect-")
atexit.register(shutil.rmtree, _prefect_home, ignore_errors=True)  # each session's own
os.environ["PREFECT_HOME"] = _prefect_home
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
PLAN = ROOT / "data" / "plan.yaml"


# A test that starts a Prefect server, `chiso server` or another process is real_process
# (`make test-fast` leaves it out): those that use these fixtures are marked here, the others
# where they are written.
PROCESS_FIXTURES = {"prefect_server", "warm_server"}


def pytest_collection_modifyitems(items):
    for item in items:
        if PROCESS_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.real_process)


@pytest.fixture(scope="session")
def prefect_server():
    """One Prefect test server for the whole session (starting one costs 7-12 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="session")
def warm_server(tmp_path_factory):
    """`chiso server start` for real, under its own var folder (a Prefect server on loopback
    and the warm process); yields (var folder, the environment a `chiso` process needs to use
    it). Stopped at the end of the session."""
    import subprocess
    import sys

    var = tmp_path_factory.mktemp("chiso-var")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update({"CHISO_VAR": str(var), "PREFECT_HOME": str(var / "prefect")})

    def chiso(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=240)

    started = chiso("server", "start", "--port", "0")
    assert started.returncode == 0, started.stderr + started.stdout
    try:
        yield var, env
    finally:
        chiso("server", "stop")
