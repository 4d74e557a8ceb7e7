"""What a person sees while a command works: one Vietnamese line per step and per extract, on a
terminal only (a run started by cron or a served deployment prints nothing but its summary).

The flow's steps call `step(...)`; nothing here decides anything. CHISO_PROGRESS=1 forces the
lines on where stderr is not a terminal (tests), CHISO_PROGRESS=0 turns them off.
"""

from __future__ import annotations

import os
import sys
import time

_started = time.monotonic()


def enabled() -> bool:
    forced = os.environ.get("CHISO_PROGRESS")
    if forced in ("0", "1"):
        return forced == "1"
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def restart() -> None:
    """Count the seconds shown from now (a command's start)."""
    global _started
    _started = time.monotonic()


def step(text: str) -> None:
    """One progress line: elapsed seconds, then what is happening, in Vietnamese."""
    if not enabled():
        return
    elapsed = f"{time.monotonic() - _started:5.1f}".replace(".", ",")
    try:
        print(f"[{elapsed} giây] {text}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass  # the terminal went away: the run goes on


def say(text: str) -> None:
    """A message a person acts on (Vietnamese), on stderr whatever it is attached to."""
    print(text, file=sys.stderr, flush=True)
