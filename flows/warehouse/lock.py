"""One run at a time per database: an flock on <db>.lock.

`chiso run` takes it before Prefect starts (a refused run costs nothing); the nightly flow
takes it too, so a scheduled run and a manual one never interleave. Within one process the
lock is re-entrant. The kernel drops it when the holding process dies, so a killed run never
leaves it stuck. The holder writes who it is into the file (pid, command, since when), so a
refused run can say which run holds it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sys
import threading
from pathlib import Path

_held: dict[Path, int] = {}  # lock path -> depth, for this process
_guard = threading.Lock()


class Busy(Exception):
    """Another run holds the lock; `holder` is what it wrote (pid, command, started_at)."""

    def __init__(self, path: Path, holder: dict):
        self.path = path
        self.holder = holder
        super().__init__(f"{path} is held by pid {holder.get('pid', '?')}")

    def message_vi(self, db: Path) -> str:
        """What a person reads: which run holds it, since when, and what to do."""
        h = self.holder
        since = ""
        if h.get("started_at"):
            try:
                started = dt.datetime.fromisoformat(h["started_at"])
                since = f", bắt đầu lúc {started:%H:%M:%S ngày %d/%m/%Y}"
            except ValueError:
                pass
        pid = h.get("pid", "?")
        return (
            f"một lượt chạy khác đang dùng cơ sở dữ liệu {db} ({h.get('command', 'chiso')},"
            f" tiến trình {pid}{since}).\n"
            f"Chờ lượt đó xong rồi chạy lại. Khoá tự mở khi tiến trình {pid} kết thúc; nếu nó"
            f" bị treo, dừng nó (kill {pid}), không cần xoá tệp {self.path.name}."
        )


def describe_command() -> str:
    return "chiso " + " ".join(sys.argv[1:2]) if sys.argv and sys.argv[0] else "chiso"


class RunLock:
    def __init__(self, db: Path, command: str | None = None):
        self.path = db.with_name(db.name + ".lock").resolve()
        self.command = command
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
                raw = os.pread(fd, 4096, 0).decode(errors="replace").strip()
                os.close(fd)
                try:
                    holder = json.loads(raw) if raw.startswith("{") else {"pid": raw or "?"}
                except ValueError:
                    holder = {}
                raise Busy(self.path, holder) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps({
                "pid": os.getpid(),
                "command": self.command or describe_command(),
                "started_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            }).encode(), 0)
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
