"""Served runs start warm: `chiso serve` forks each flow run from a process that has already
imported chiso, Great Expectations and pandas.

Prefect's runner starts every flow run of a served deployment in a new interpreter
(multiprocessing's "spawn", in `prefect.flow_engine.run_flow_in_subprocess`), so every night
pays the imports again: 6.5-7.4 s here, most of it Great Expectations. `enable()` starts
multiprocessing's forkserver once, when `chiso serve` starts, with those modules imported
(PRELOAD), and answers that function's request for a "spawn" context with the forkserver's:
a run then starts in ~0.05 s. A forkserver is single-threaded when it forks, which is what
makes forking safe (the serving process itself runs threads and an event loop).

A forked run runs the code the forkserver imported. Should chiso's Python files change under
a running `chiso serve` (an upgrade), runs start cold again, in a new interpreter that reads
the new code, until `chiso serve` is restarted; the log says so once. CHISO_WARM_STARTS=0
leaves Prefect's own start in place (every run cold).
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import multiprocessing.context
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# What a run imports that costs time: the flow (Prefect, DuckDB, chiso), then GX and pandas,
# which the checks import on first use.
PRELOAD = ("flows.serving.warm_start", "flows.nightly", "great_expectations", "pandas")
CODE_DIR = Path(__file__).resolve().parent.parent  # chiso's code: a change means start cold
SWITCH = "CHISO_WARM_STARTS"  # "0": `chiso serve` does not enable warm starts

# The process that imported this module: in a run forked from the forkserver it is the
# forkserver, not the run's own process.
IMPORTED_IN = os.getpid()


def started_warm() -> bool:
    """True in a process forked from the warm forkserver (its imports were done before)."""
    return IMPORTED_IN != os.getpid()


def code_fingerprint(code_dir: Path = CODE_DIR) -> str:
    """The names and bytes of the Python files in `code_dir`."""
    digest = hashlib.sha256()
    for path in sorted(code_dir.rglob("*.py")):
        digest.update(str(path.relative_to(code_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class WarmStarts:
    """What `prefect.flow_engine` sees as its `multiprocessing` module once enabled: every name
    is multiprocessing's, except that get_context("spawn") gives the warm forkserver's
    context while chiso's code is the code the forkserver imported."""

    def __init__(self, code_dir: Path = CODE_DIR, preload: tuple[str, ...] = PRELOAD):
        self.code_dir = code_dir
        self.fingerprint = code_fingerprint(code_dir)
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(list(preload))
        self.cold_said = False

    def warm_up(self) -> None:
        """Start the forkserver and wait until it has imported PRELOAD (a first, empty child
        is forked only after that)."""
        child = self.context.Process(target=os.getpid, name="chiso-warm-up")
        child.start()
        child.join()

    def current(self) -> bool:
        """Is the code on disk still the code the forkserver imported?"""
        if code_fingerprint(self.code_dir) == self.fingerprint:
            return True
        if not self.cold_said:
            log.warning(
                "chiso's code in %s changed since `chiso serve` started: runs start cold (new"
                " interpreter, new code) until it is restarted", self.code_dir,
            )
            self.cold_said = True
        return False

    def get_context(self, method: str | None = None) -> multiprocessing.context.BaseContext:
        if method == "spawn" and self.current():
            return self.context
        return multiprocessing.get_context(method)

    def __getattr__(self, name: str) -> Any:
        return getattr(multiprocessing, name)


def enable() -> WarmStarts:
    """Make this process's served runs start warm (call before `flow.serve`)."""
    from prefect import flow_engine

    if isinstance(flow_engine.multiprocessing, WarmStarts):
        return flow_engine.multiprocessing
    warm = WarmStarts()
    warm.warm_up()
    flow_engine.multiprocessing = warm  # type: ignore[assignment]
    log.info("served runs start warm: forked from a process that imported %s",
             ", ".join(PRELOAD[1:]))
    return warm
