"""Fault injection for crash tests: a named point where a run can be made to stop.

With CHISO_FAULT_PAUSE=<point> in the environment, a run reaching that point writes
<CHISO_FAULT_DIR>/<point>.reached and sleeps, so a test can kill -9 it exactly there; with
CHISO_FAULT_ONCE=1 too, only the first run to reach it does (a worker running several plans).
Without the variable (always, outside tests) `point()` does nothing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

POINTS = ("ingest", "transform", "checks", "publish", "swap", "alert-send", "alert-sent")


def point(name: str) -> None:
    """Pause here if a crash test asked for it."""
    if os.environ.get("CHISO_FAULT_PAUSE") != name:
        return
    marker = Path(os.environ.get("CHISO_FAULT_DIR", ".")) / f"{name}.reached"
    if os.environ.get("CHISO_FAULT_ONCE") == "1":
        try:
            with marker.open("x", encoding="utf-8") as f:  # the first run only
                f.write(str(os.getpid()))
        except FileExistsError:
            return
    else:
        marker.write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(float(os.environ.get("CHISO_FAULT_SECONDS", "120")))
