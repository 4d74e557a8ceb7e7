"""Intake from the inbox: which files a run takes, the archive that keeps every one of them
unchanged, and the folder where a rejected file is set aside with its error report.

A file is taken when it is complete: hidden and temporary names are skipped, and a file whose
size or modification time changes while it is read is left for the next run. A taken file is
copied into the archive under its sha256 (`<db dir>/archive/sha256/ab/abcd….csv`, read-only)
and the run reads that copy, so what was loaded is exactly what was hashed. Each published run
leaves a manifest (`archive/runs/<run_id>.json`: the plan and every file, by hash), from which
`chiso rebuild` rebuilds that run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flows.errors import Problem
from flows.intake.ingest import describe_problem
from flows.intake.readers import READABLE_SUFFIXES, skipped
from flows.warehouse.run_records import TZ, RunInfo

CHUNK = 1 << 20
# Files hashed and copied at once: hashlib and the copy release the GIL (national, 2 cores:
# 0.69-0.74 s -> 0.57-0.62 s; the disk is shared, see README "Performance").
HASH_THREADS = min(4, os.cpu_count() or 1)


@dataclass(frozen=True)
class Arrival:
    """A complete file taken from the inbox, and its copy in the archive."""

    name: str  # as people see it: the path relative to the inbox
    source: Path
    archived: Path
    sha256: str
    size: int
    modified: dt.datetime  # the file's modification time, Asia/Ho_Chi_Minh


@dataclass(frozen=True)
class Deferred:
    """A file left in the inbox for the next run, and why (Vietnamese)."""

    name: str
    reason: str


@dataclass
class Intake:
    arrivals: list[Arrival]
    deferred: list[Deferred]


def archive_dir(db: Path) -> Path:
    return db.parent / "archive"


def rejected_dir(db: Path) -> Path:
    return db.parent / "rejected"


def candidates(inbox: Path) -> list[Path]:
    """The regular files directly in the inbox that may be extracts, in name order: no links
    (nothing outside the inbox is read), no hidden, lock, temporary or partial files."""
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox {inbox} is not a folder")
    return sorted(
        p for p in inbox.iterdir()
        if not p.is_symlink() and p.is_file()
        and p.suffix.lower() in READABLE_SUFFIXES
        and not skipped(p.name)
    )


def _chunks(f: BinaryIO) -> Iterator[bytes]:
    yield from iter(lambda: f.read(CHUNK), b"")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in _chunks(f):
            digest.update(block)
    return digest.hexdigest()


def _state(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def archived_path(archive: Path, sha256: str, suffix: str) -> Path:
    return archive / "sha256" / sha256[:2] / f"{sha256}{suffix.lower()}"


def store(path: Path, archive: Path, known: str | None = None) -> tuple[str, Path] | None:
    """Hash `path` and make sure the archive holds a copy of exactly those bytes; None when the
    file changed while it was read (it is still being written). `known`: the file's sha256
    from an earlier run, its identity unchanged since (HashCache); it is not read again when
    the archive holds that copy."""
    if known is not None:
        target = archived_path(archive, known, path.suffix)
        if target.exists():
            return known, target
    before = _state(path)
    sha256 = _sha256(path)
    if _state(path) != before:
        return None
    target = archived_path(archive, sha256, path.suffix)
    if target.exists():
        return sha256, target
    target.parent.mkdir(parents=True, exist_ok=True)
    # (two inbox files with the same bytes may be stored at once: one partial copy each)
    partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        shutil.copyfile(path, partial)
        if _sha256(partial) != sha256 or _state(path) != before:
            return None
        partial.chmod(0o444)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return sha256, target


class HashCache:
    """The sha256 of each inbox file archived before, with the file's identity then (device,
    inode, size, modification and change times), as git's index keeps them: a file whose
    identity is the same has the same bytes and is not read again. Changing a file's content
    changes its ctime, which no one can set back, even when its size and mtime are restored.
    Kept in `archive/hash-cache.json`, rewritten by each intake with the files it took."""

    def __init__(self, archive: Path):
        self.path = archive / "hash-cache.json"
        try:
            self.before = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            self.before = {}
        self.now: dict[str, list] = {}

    @staticmethod
    def identity(path: Path) -> list[int]:
        st = path.stat()
        return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]

    def known(self, path: Path, identity: list[int]) -> str | None:
        entry = self.before.get(str(path.resolve()))
        return entry[1] if entry and entry[0] == identity else None

    def remember(self, path: Path, identity: list[int], sha256: str) -> None:
        self.now[str(path.resolve())] = [identity, sha256]

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.part")
        partial.write_text(json.dumps(self.now, indent=0), encoding="utf-8")
        os.replace(partial, self.path)


def take(inbox: Path, archive: Path) -> Intake:
    """Archive every complete extract in the inbox; list those left for the next run. Files
    are hashed and copied side by side (HASH_THREADS); they are listed in name order."""
    intake = Intake([], [])
    hashes = HashCache(archive)

    def archive_one(path: Path) -> tuple[list[int], dt.datetime, tuple[str, Path] | None] | None:
        try:
            identity = hashes.identity(path)
            modified = dt.datetime.fromtimestamp(path.stat().st_mtime, TZ)
            return identity, modified, store(path, archive, known=hashes.known(path, identity))
        except FileNotFoundError:  # taken away while the run looked at it
            return None

    paths = candidates(inbox)
    with ThreadPoolExecutor(max_workers=HASH_THREADS, thread_name_prefix="intake") as pool:
        results = list(pool.map(archive_one, paths))
    for path, result in zip(paths, results, strict=True):
        if result is None:
            continue
        name = str(path.relative_to(inbox))
        identity, modified, stored = result
        if stored is None:
            intake.deferred.append(Deferred(
                name, "tệp thay đổi trong lúc đọc (có thể đang được chép vào): để lại cho"
                " lượt chạy sau"))
            continue
        sha256, archived = stored
        hashes.remember(path, identity, sha256)
        intake.arrivals.append(
            Arrival(name, path, archived, sha256, identity[2], modified)
        )
    hashes.save()
    return intake


# --- the run's manifest: what a rebuild needs -----------------------------------------------


def manifest_path(archive: Path, run_id: str) -> Path:
    return archive / "runs" / f"{run_id}.json"


def write_manifest(
    archive: Path, run: RunInfo, plan_path: Path, arrivals: list[Arrival], status: dict[str, str]
) -> Path:
    """Record the run's plan and files (by hash) beside the archive; the plan is archived too."""
    plan_stored = store(plan_path, archive)
    if plan_stored is None:
        raise RuntimeError(f"the plan {plan_path} changed while the run read it")
    manifest = {
        "run_id": run.run_id,
        "started_at": run.started_at.isoformat(),
        "inbox": run.inbox,
        "db": run.db,
        "plan": {"file": plan_path.name, "sha256": plan_stored[0]},
        "extracts": [
            {"name": a.name, "sha256": a.sha256, "size": a.size,
             "modified": a.modified.isoformat(), "status": status.get(a.name)}
            for a in arrivals
        ],
    }
    path = manifest_path(archive, run.run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(partial, path)
    return path


def restore(archive: Path, run_id: str, out: Path) -> tuple[Path, Path, str]:
    """Put a past run's files back as its inbox was (names, bytes, modification times) under
    `out`; return (inbox, plan, the run's start time in ISO 8601)."""
    path = manifest_path(archive, run_id)
    if not path.exists():
        known = sorted(p.stem for p in (archive / "runs").glob("*.json"))
        raise FileNotFoundError(
            f"no manifest for run {run_id} in {archive / 'runs'}"
            f" (known runs: {', '.join(known[-5:]) or 'none'})"
        )
    manifest = json.loads(path.read_text(encoding="utf-8"))
    inbox = out / "inbox"
    inbox.mkdir(parents=True, exist_ok=False)
    for e in manifest["extracts"]:
        copy = inbox / e["name"]
        shutil.copyfile(archived_path(archive, e["sha256"], Path(e["name"]).suffix), copy)
        copy.chmod(0o644)
        stamp = dt.datetime.fromisoformat(e["modified"]).timestamp()
        os.utime(copy, (stamp, stamp))
    plan = out / manifest["plan"]["file"]
    shutil.copyfile(archived_path(archive, manifest["plan"]["sha256"], plan.suffix), plan)
    plan.chmod(0o644)
    return inbox, plan, manifest["started_at"]


# --- rejected files, set aside once ---------------------------------------------------------


def set_aside(rejected: Path, arrival: Arrival, message: str, problems: list[Problem]) -> Path:
    """Copy a rejected file into the rejected folder with its error report beside it (for the
    person who made the file: Vietnamese, one line per problem). Idempotent."""
    rejected.mkdir(parents=True, exist_ok=True)
    base = rejected / f"{arrival.sha256[:12]}-{Path(arrival.name).name}"
    if not base.exists():
        shutil.copyfile(arrival.archived, base)
        base.chmod(0o644)
    lines = [
        f"Tệp: {arrival.name}",
        f"Nhận lúc: {arrival.modified:%d/%m/%Y %H:%M} (thời điểm sửa tệp)",
        f"sha256: {arrival.sha256}",
        "",
        "Tệp không được nạp. Lý do:",
        message,
        "",
        "Các vấn đề (trang tính, dòng, cột, giá trị, cần gì):",
    ]
    lines += [f"- {describe_problem(p)}" for p in problems]
    lines += ["", "Sửa tệp rồi đặt lại vào hộp thư (thư mục nhận dữ liệu); lượt chạy sau sẽ"
              " đọc lại tệp đã sửa."]
    report = base.with_name(base.name + ".errors.txt")
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return base
