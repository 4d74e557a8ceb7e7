"""Where chiso keeps things by default. Imports nothing heavy: the command line reads these
to build its help without starting Prefect."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INBOX = ROOT / "data" / "sample"
DEFAULT_PLAN = ROOT / "data" / "plan.yaml"
DEFAULT_DB = ROOT / "var" / "chiso.duckdb"


def var_dir() -> Path:
    """chiso's own working folder (the Prefect server and the warm process of `chiso server`,
    their logs): CHISO_VAR, else var/ in the project."""
    return Path(os.environ.get("CHISO_VAR") or ROOT / "var")


def log_dir(db: Path) -> Path:
    """Where a run's log goes: logs/ beside the database."""
    return db.parent / "logs"
