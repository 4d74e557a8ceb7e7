"""One run at a time per database: an flock on <db>.lock.

`chiso run` takes it before Prefect starts (a refused run costs nothing); the nightly flow
takes it too, so a scheduled run and a manual one never interleave. Within one process the
lock is re-entrant. The kernel drops it when the holding process dies, so a killed run never
leaves it stuck.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

_held: dict[Path, int] = {}  # lock path -> depth, for this process
_guard = threading.Lock()


class Busy(Exception):
    """Another run holds the lock."""


class RunLock:
    def __init__(self, db: Path):
        self.path = db.with_name(db.name + ".lock").resolve()
        self.fd: int | None = None

    def __enter__(self) -> RunLock:
        with _guard:
            if self.path in _held:
                _held[self.path] += 1
                return self
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
                os.close(fd)
                raise Busy(f"{self.path} is held by another run (pid {holder or '?'})") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            self.fd = fd
            _held[self.path] = 1
            return self

    def __exit__(self, *exc: object) -> None:
        with _guard:
            _held[self.path] -= 1
            if _held[self.path]:
                return
            del _held[self.path]
            if self.fd is not None:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
                os.close(self.fd)
                self.fd = None
