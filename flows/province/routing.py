"""Which plans each extract of the province inbox goes to.

- A file in `inbox/<plan_id>/` goes to that plan (kinds that name no assessed unit: SIPAS
  criteria, survey participation by owner code, evidence registers; or anything meant for one
  plan only).
- A file at the top of `inbox/` goes to every plan whose units it covers, read from the file:
  PAR scores and SIPAS answers or rates by their unit codes (a plan's unit matches a code
  written in full or bare: TNG.SKHCN matches SKHCN; a plan with `units: all` takes every such
  file); PAPI scores and index results (province-wide by nature) to every plan.
- Anything else is reported, never dropped: a file no plan covers, a kind that needs a plan's
  folder, a file that cannot be read (with the reader's message), a folder no plan has.

The file is read once here to find its units (the same reader as a run's); each plan's run reads
and checks it again."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from flows.errors import ChisoError
from flows.intake import readers
from flows.plan import Plan
from flows.warehouse import db

BY_UNIT = ("par_scores", "sipas_answers", "sipas_rates")  # routed by their unit codes
EVERY_PLAN = ("papi_scores", "index_results")  # province-wide by nature


@dataclass
class Routes:
    files: dict[str, list[Path]] = field(default_factory=dict)  # plan id -> its files
    unrouted: list[tuple[str, str]] = field(default_factory=list)  # (file, why: Vietnamese)
    units: dict[str, list[str]] = field(default_factory=dict)  # file -> unit codes read


def _covers(plan: Plan, codes: set[str]) -> bool:
    units = plan.raw["units"]
    if units == "all" or units is None:
        return bool(codes)
    wanted = {units} if isinstance(units, str) else set(units)
    bare = {u.rsplit(".", 1)[-1] for u in wanted}
    return bool(codes & wanted) or any("." not in c and c in bare for c in codes)


def _encoding(encodings: list[tuple[str, str]], name: str) -> str | None:
    """The province's encoding for a file (province.yaml `encoding`): the most specific of the
    patterns that match its name, as a plan's encodings are chosen."""
    for pattern, codec in sorted(encodings, key=lambda e: -len(e[0].strip("*?"))):
        if fnmatch.fnmatch(name.lower(), pattern.lower()):
            return codec
    return None


def _read_units(path: Path, name: str, encoding: str | None = None) -> tuple[str, set[str]]:
    """The file's kind (raw table) and the unit codes written in it."""
    con = duckdb.connect()
    try:
        db.create_raw_tables(con)
        table, codes = "", set()
        for part in readers.inspect(path, name, encoding):
            readers.load(con, part, readers.sha256_of(path))
            table = part.table
            if table in BY_UNIT:
                codes |= {r[0] for r in con.execute(
                    "select distinct trim(unit_code) from incoming where unit_code is not null"
                ).fetchall()}
        return table, codes
    finally:
        con.close()


def route(inbox: Path, plans: list[Plan], encodings: list[tuple[str, str]] = (),
          refused: set[str] = frozenset()) -> Routes:
    """Each plan's files, and what goes to none (`refused`: the ids of plans that cannot run
    tonight, whose own folders wait for them)."""
    routes = Routes(files={p.id: [] for p in plans})
    by_id = {p.id: p for p in plans}
    if not inbox.is_dir():
        return routes
    for entry in sorted(inbox.iterdir()):
        if readers.skipped(entry.name):
            continue
        if entry.is_dir():
            if entry.name in by_id:
                routes.files[entry.name] += sorted(
                    f for f in entry.rglob("*") if f.is_file() and not readers.skipped(f.name))
            elif entry.name in refused:
                routes.unrouted.append((entry.name + "/", f"kế hoạch {entry.name} không chạy"
                                        " được lượt này (xem trạng thái của nó): các tệp chờ"))
            else:
                routes.unrouted.append((entry.name + "/", "thư mục không mang mã kế hoạch nào"
                                        " (cần inbox/<mã kế hoạch>/)"))
            continue
        try:
            table, codes = _read_units(entry, entry.name, _encoding(list(encodings), entry.name))
        except ChisoError as exc:
            routes.unrouted.append((entry.name, f"không đọc được: {exc}"))
            continue
        routes.units[entry.name] = sorted(codes)
        if table in EVERY_PLAN:
            takers = list(by_id)
        elif table in BY_UNIT:
            takers = [p.id for p in plans if _covers(p, codes)]
        else:
            routes.unrouted.append((entry.name, "loại tệp này không ghi đơn vị được đánh giá:"
                                    " đặt vào inbox/<mã kế hoạch>/ của kế hoạch dùng nó"))
            continue
        if not takers:
            routes.unrouted.append((entry.name, "không kế hoạch nào theo dõi đơn vị trong tệp ("
                                    + ", ".join(sorted(codes)[:5]) + ")"))
        for plan_id in takers:
            routes.files[plan_id].append(entry)
    return routes
