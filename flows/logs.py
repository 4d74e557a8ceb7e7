"""Logs go to a file; the console is for people.

A command's log (chiso's, Prefect's, Great Expectations', warnings) is written in English to
`logs/chiso-<date>.log` beside the database; the console shows only what a person reads and
acts on, in Vietnamese (flows/console.py). `--verbose` adds the log to the console too.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d]: %(message)s"
# Libraries whose INFO lines are noise to a person: quieted before they are imported (GX logs
# ~200 lines while importing, from great_expectations._docs_decorators).
QUIET = ("great_expectations", "httpx", "httpcore", "urllib3", "asyncio", "aiosqlite",
         "docket", "fakeredis", "alembic", "apprise", "websockets", "uvicorn", "fastapi")

_file_handler: logging.Handler | None = None
_verbose = False


def log_path(folder: Path, today: dt.date | None = None) -> Path:
    return folder / f"chiso-{(today or dt.date.today()):%Y-%m-%d}.log"


def configure(folder: Path | None, verbose: bool = False) -> Path | None:
    """Send every log record to a file in `folder` (None: nowhere but, with `verbose`, the
    console), and nothing to the console unless `verbose`. Returns the file's path."""
    global _file_handler, _verbose
    _verbose = verbose
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.INFO)
    path = None
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = log_path(folder)
            _file_handler = logging.FileHandler(path, encoding="utf-8", delay=True)
            _file_handler.setFormatter(logging.Formatter(FORMAT))
            root.addHandler(_file_handler)
        except OSError:
            path = None  # an unwritable folder: the command still answers
    if verbose:
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(console)
    if not root.handlers:
        root.addHandler(logging.NullHandler())
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    logging.captureWarnings(True)
    return path


def tame_third_party() -> None:
    """After Prefect is imported: its loggers that write to the console (its own console
    handler, the debug handler of prefect._internal, uvicorn's) write to the log file instead,
    unless `--verbose`. Call once Prefect has set up its logging."""
    for name in ("", *logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        if not isinstance(logger, logging.Logger):
            continue
        for handler in list(logger.handlers):
            stream = getattr(handler, "stream", None)
            if stream in (sys.stderr, sys.stdout) or type(handler).__name__ in (
                "PrefectConsoleHandler", "_SafeStreamHandler"
            ):
                if name == "" and _verbose:
                    continue
                logger.removeHandler(handler)
                if not logger.propagate and _file_handler is not None:
                    logger.addHandler(_file_handler)
