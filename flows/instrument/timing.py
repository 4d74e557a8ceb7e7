"""Where a run's time goes. The nightly tasks report how long their bodies took; `chiso bench`
runs the flow in a child process and reads `report()` at the end, or, for the runs of a
served deployment, the report each run writes (`write_run_report`, with CHISO_TIMING_DIR).

A phase is one of three kinds:
  data       reading, transforming, checking, writing: what a run is for;
  framework  a fixed cost of a framework (Great Expectations' import and context);
  span       a frame around other phases (the flow body), used to tell Prefect's bookkeeping
             apart: the time in a span that no phase inside it accounts for.
A framework phase nested in a data phase is taken out of that data phase, and a data phase
nested in another (GX validation inside an ingest) is a breakdown of it, not added twice.

Cheap enough to leave on: one perf_counter pair per task.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from flows.serving import warm_start

KINDS = ("data", "framework", "span")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class _Frame:
    name: str
    kind: str
    detail: str | None
    framework_inside: float = 0.0  # framework time spent in phases nested in this one
    counted_inside: float = 0.0  # data and framework time of the outermost phases inside


@dataclass
class Record:
    name: str
    kind: str
    seconds: float  # wall time of the phase, framework time nested in it excluded
    outermost: bool  # no data or framework phase around it (spans do not count)
    detail: str | None = None
    unaccounted: float = 0.0  # spans: time not covered by the phases inside
    peak_rss_mb: float = 0.0  # the process's peak resident memory so far, when it ended


@dataclass
class _Registry:
    records: list[Record] = field(default_factory=list)
    stack: list[_Frame] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


_registry = _Registry()


@contextmanager
def phase(name: str, kind: str = "data", detail: str | None = None) -> Iterator[None]:
    """Time the block as a phase `name` (`detail`, e.g. a file name, is kept beside it)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    frame = _Frame(name, kind, detail)
    stack = _registry.stack
    stack.append(frame)
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        stack.pop()
        with _registry.lock:
            enclosing = [f for f in stack if f.kind != "span"]
            if kind == "framework":
                for f in stack:
                    f.framework_inside += elapsed
            if kind != "span" and not enclosing:
                for f in stack:
                    f.counted_inside += elapsed
            _registry.records.append(Record(
                name=name,
                kind=kind,
                seconds=elapsed - (frame.framework_inside if kind == "data" else 0.0),
                outermost=not enclosing,
                detail=detail,
                unaccounted=elapsed - frame.counted_inside if kind == "span" else 0.0,
                peak_rss_mb=peak_rss_mb(),
            ))


def measured(
    name: str, kind: str = "data", detail: Callable[..., str] | None = None
) -> Callable[[F], F]:
    """Decorator: time every call of the function as a phase (put it under @task); `detail`
    turns the call's arguments into a label kept beside the time (e.g. the file name)."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with phase(name, kind, detail(*args, **kwargs) if detail else None):
                return fn(*args, **kwargs)

        # Prefect derives a task's key from its source function: point it past this wrapper.
        wrapper.__prefect_task_source__ = fn  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (Linux VmHWM), in MB; 0 if unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def process_started_at() -> float:
    """When this process started (epoch seconds, to the kernel's clock tick); 0 if unknown."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            # field 22, in clock ticks since boot (the name, field 2, may hold spaces)
            ticks = int(stat.read().rpartition(")")[2].split()[19])
    except (OSError, IndexError, ValueError):
        return 0.0
    # (the boot time in /proc/stat is in whole seconds: taken from the clocks instead)
    booted = time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)
    return booted + ticks / os.sysconf("SC_CLK_TCK")


def write_run_report(folder: Path, name: str, **facts: Any) -> Path:
    """`report()` with this process's facts, as `<folder>/<name>.json` (`chiso bench` reads
    the reports of served runs there: CHISO_TIMING_DIR)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    data = {
        **facts,
        "pid": os.getpid(),
        "started_warm": warm_start.started_warm(),
        "process_started_at": process_started_at(),
        "written_at": time.time(),
        "peak_rss_mb": peak_rss_mb(),
        "timing": report(),
    }
    partial = path.with_name(f".{path.name}.part")
    partial.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    partial.replace(path)
    return path


def reset() -> None:
    _registry.records.clear()
    _registry.stack.clear()


def report() -> dict[str, Any]:
    """Totals per phase and per kind, in seconds."""
    phases: dict[str, dict[str, Any]] = {}
    for r in _registry.records:
        p = phases.setdefault(r.name, {"kind": r.kind, "seconds": 0.0, "calls": 0,
                                       "outermost": r.outermost})
        p["seconds"] += r.seconds
        p["calls"] += 1
        p["peak_rss_mb_after"] = max(p.get("peak_rss_mb_after", 0.0), r.peak_rss_mb)
        if r.kind == "span":
            p["unaccounted"] = p.get("unaccounted", 0.0) + r.unaccounted
        if r.detail is not None:
            p.setdefault("detail", {})[r.detail] = p.get("detail", {}).get(r.detail, 0) + r.seconds
    outer = [r for r in _registry.records if r.outermost]
    return {
        "data_s": sum(r.seconds for r in outer if r.kind == "data"),
        "framework_s": sum(r.seconds for r in _registry.records if r.kind == "framework"),
        "phases": phases,
    }
