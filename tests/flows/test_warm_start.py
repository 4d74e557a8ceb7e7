"""Served runs start warm (flows/serving/warm_start.py): a child forked from the warm forkserver
has its imports done; Prefect's request for a "spawn" context gets the forkserver's while the
code is the code the forkserver imported, and a new interpreter once it has changed. The
whole path, through `chiso serve` and Prefect's runner, is tested in tests/schedule."""

from __future__ import annotations

import inspect
import json
import logging
import multiprocessing
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.instrument import timing
from flows.serving import warm_start
from tests.conftest import ROOT


def _facts(out: str) -> None:
    """A child's facts, written where the test reads them (a picklable target)."""
    started = time.time()
    # (the test module imports flows.serving.warm_start and flows.instrument.timing, not this one)
    loaded = "flows.vietnamese" in sys.modules
    from flows.instrument import timing
    from flows.serving import warm_start

    Path(out).write_text(
        f"{loaded} {warm_start.started_warm()} {timing.process_started_at() - started:.3f}",
        encoding="utf-8",
    )


def _run_child(context: multiprocessing.context.BaseContext, out: Path) -> list[str]:
    child = context.Process(target=_facts, args=(str(out),))
    child.start()
    child.join(timeout=120)
    assert child.exitcode == 0
    return out.read_text(encoding="utf-8").split()


@pytest.fixture(scope="module")
def warm(tmp_path_factory) -> warm_start.WarmStarts:
    """WarmStarts watching a copy of chiso's code, with a forkserver that imported the module."""
    code = tmp_path_factory.mktemp("code")
    for path in warm_start.CODE_DIR.glob("*.py"):
        shutil.copy(path, code / path.name)
    starts = warm_start.WarmStarts(code_dir=code,
                                   preload=("flows.serving.warm_start", "flows.vietnamese"))
    starts.warm_up()
    return starts


def test_a_child_forked_warm_has_its_imports_done(warm, tmp_path):
    loaded, started_warm, _ = _run_child(warm.get_context("spawn"), tmp_path / "warm")
    assert (loaded, started_warm) == ("True", "True")


def test_a_spawned_child_starts_cold(tmp_path):
    loaded, started_warm, started = _run_child(multiprocessing.get_context("spawn"),
                                               tmp_path / "cold")
    assert (loaded, started_warm) == ("False", "False")
    # its process started before it ran a line, to the kernel's clock tick
    assert -1.0 < float(started) <= 0.02


def test_changed_code_makes_runs_start_cold_and_says_so_once(tmp_path, caplog):
    code = tmp_path / "code"
    code.mkdir()
    (code / "a.py").write_text("x = 1\n", encoding="utf-8")
    starts = warm_start.WarmStarts(code_dir=code, preload=("flows.serving.warm_start",))
    assert starts.get_context("spawn") is starts.context
    assert starts.get_context("spawn").get_start_method() == "forkserver"

    (code / "a.py").write_text("x = 2\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="flows.serving.warm_start"):
        assert starts.get_context("spawn").get_start_method() == "spawn"
        assert starts.get_context("spawn").get_start_method() == "spawn"
    said = [r.getMessage() for r in caplog.records if "runs start cold" in r.getMessage()]
    assert len(said) == 1 and str(code) in said[0]


def test_every_other_name_is_multiprocessing_s():
    starts = warm_start.WarmStarts(code_dir=ROOT / "flows", preload=("flows.serving.warm_start",))
    assert starts.get_context("fork").get_start_method() == "fork"
    assert starts.get_context().get_start_method() == multiprocessing.get_start_method()
    assert starts.Process is multiprocessing.Process


def test_prefect_still_asks_for_a_spawn_context_where_enable_answers():
    """A tripwire for Prefect upgrades: enable() answers prefect.flow_engine's
    `multiprocessing.get_context("spawn")` in run_flow_in_subprocess."""
    from prefect import flow_engine

    source = inspect.getsource(flow_engine.run_flow_in_subprocess)
    assert 'multiprocessing.get_context("spawn")' in source
    assert flow_engine.multiprocessing is multiprocessing  # not enabled in the test process


@pytest.mark.real_process
def test_enable_hands_prefect_the_warm_context_once():
    script = (
        "from prefect import flow_engine\n"
        "from flows.serving import warm_start\n"
        "warm = warm_start.enable()\n"
        "assert flow_engine.multiprocessing is warm and warm_start.enable() is warm\n"
        "print(flow_engine.multiprocessing.get_context('spawn').get_start_method())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["forkserver"]


def test_a_run_report_says_how_the_process_started(tmp_path):
    path = timing.write_run_report(tmp_path / "runs", "run-1", state="Completed")
    assert path == tmp_path / "runs" / "run-1.json"
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["state"] == "Completed" and report["started_warm"] is False
    assert 0 < report["process_started_at"] <= report["written_at"] <= time.time()
    assert set(report["timing"]) == {"data_s", "framework_s", "phases"}
    assert not list((tmp_path / "runs").glob(".*"))  # no partial file left
