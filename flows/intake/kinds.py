"""The extract kinds chiso reads, declared once in sql/sources/ (one YAML per raw table: its
columns and their types, the header layouts a file may have, the key, what a newer file
replaces, its staging model, its checks and the rules that refuse a file), and how a header
row is recognised.

A header cell is folded to snake_case ("Điểm tối đa", "diem toi da", "DIEM_TOI_DA" all give
"diem_toi_da") and looked up in the aliases of sql/sources/_columns.yml. A file's layout is
the first, in recognition_order, whose signature columns are all present.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from flows import yamlfile
from flows.paths import ROOT
from flows.vietnamese import snake

SOURCES_DIR = ROOT / "sql" / "sources"
# The code columns of wide layouts: a PAPI code (D1..D8, or a sub-dimension like 6.2) or a
# SIPAS question code (1.1, Q1.1, C12).
PAPI_CODE = re.compile(r"^(?:[Dd][1-9]|[1-9]\.[1-9])$")
QUESTION_CODE = re.compile(r"^[A-Za-z]{0,3}\d+(?:\.\d+)*$")
WIDE_CODES = {"papi_code": PAPI_CODE, "question_code": QUESTION_CODE}


@dataclass(frozen=True)
class Rule:
    """Refuse a file unless a measure of its profile is within bounds."""

    measure: str
    min: float | None
    max: float | None
    problem: str | None
    vi: str


@dataclass(frozen=True)
class Source:
    """One raw table and everything about the extracts that fill it (sql/sources/<table>.yml)."""

    table: str
    label_vi: str
    columns: tuple[str, ...]
    types: dict[str, str]
    required: tuple[str, ...]  # cells that must not be empty
    key: tuple[str, ...]  # one row per key (a repeat refuses the file)
    slice: tuple[str, ...]  # what a newer file replaces: its unit and year ...
    overlap: str  # ... when the two files share at least one of these
    staging: str
    checks: str
    rules: tuple[Rule, ...]
    spec: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class Kind:
    """One file layout: what its header must hold and which table it loads into."""

    name: str
    table: str  # the raw_<table> it loads into
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    signature: frozenset[str] = field(default_factory=frozenset)
    wide_codes: re.Pattern | None = None  # wide layout: other columns are codes
    label_vi: str = ""
    template: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


def _load(name: str) -> dict[str, Any]:
    return yamlfile.load((SOURCES_DIR / name).read_text(encoding="utf-8"))


@functools.cache
def _declarations() -> tuple[dict[str, Source], tuple[Kind, ...], dict[str, dict]]:
    common = _load("_columns.yml")
    sources, kinds = {}, {}
    for path in sorted(SOURCES_DIR.glob("[!_]*.yml")):
        d = yamlfile.load(path.read_text(encoding="utf-8"))
        if d["table"] != path.stem:
            raise ValueError(f"{path}: table {d['table']!r} is not the file's name")
        columns = tuple(c["name"] for c in d["columns"])
        sources[d["table"]] = Source(
            table=d["table"], label_vi=d["label_vi"], columns=columns,
            types={c["name"]: c["type"] for c in d["columns"]},
            required=tuple(c["name"] for c in d["columns"] if c.get("required")),
            key=tuple(d["key"]), slice=tuple(d["replaces"]["slice"]),
            overlap=d["replaces"]["overlap"], staging=d["staging"], checks=d["checks"],
            rules=tuple(Rule(r["measure"], r.get("min"), r.get("max"), r.get("problem"), r["vi"])
                        for r in d["rules"]),
            spec=d,
        )
        for layout in d["layouts"]:
            kinds[layout["name"]] = Kind(
                name=layout["name"], table=d["table"], required=tuple(layout["required"]),
                optional=tuple(layout.get("optional", ())),
                signature=frozenset(layout["signature"]),
                wide_codes=WIDE_CODES[layout["wide_codes"]] if layout.get("wide_codes") else None,
                label_vi=layout["label_vi"], template=layout["template"],
            )
    order = common["recognition_order"]
    if sorted(order) != sorted(kinds):
        raise ValueError(f"{SOURCES_DIR / '_columns.yml'}: recognition_order must list every"
                         f" layout once: {sorted(kinds)}")
    return sources, tuple(kinds[n] for n in order), common["columns"]


SOURCES, KINDS, _COLUMNS = _declarations()
KINDS_BY_NAME = {k.name: k for k in KINDS}
# canonical columns of each raw table, in the order the readers write them
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {t: s.columns for t, s in SOURCES.items()}
# canonical column -> accepted header spellings (already folded to snake_case)
ALIASES: dict[str, tuple[str, ...]] = {c: tuple(v["aliases"]) for c, v in _COLUMNS.items()}
_CANONICAL = {alias: canon for canon, aliases in ALIASES.items() for alias in aliases}
# The Vietnamese header of each canonical column (as in data/templates), for messages.
COLUMN_LABELS_VI: dict[str, str] = {c: v["label_vi"] for c, v in _COLUMNS.items()}


def column_label(column: str) -> str:
    """'max_points' -> 'max_points (Điểm tối đa)'."""
    label = COLUMN_LABELS_VI.get(column)
    return f"{column} ({label})" if label else column


@dataclass(frozen=True)
class HeaderMap:
    """How one header row maps onto a kind: for each position, a column name or None."""

    kind: Kind
    names: tuple[str | None, ...]  # canonical column, wide code, or None (ignored)
    codes: tuple[str, ...]  # wide layouts: the code columns, in order
    ignored: tuple[str, ...]  # header cells that are neither

    def position(self, column: str) -> int | None:
        return self.names.index(column) if column in self.names else None


class HeaderError(ValueError):
    """A header row that looks like a documented layout but cannot be used as it is.

    The message is for people (Vietnamese) and says what the header should hold; `column`
    names the column concerned, when there is one.
    """

    def __init__(self, message: str, column: str | None = None):
        super().__init__(message)
        self.column = column


def canonical(cell: str) -> str | None:
    """The canonical column a header cell names, or None. A note in brackets is ignored
    when the whole cell is not itself a known spelling: "Điểm tối đa (điểm)" is max_points."""
    if not cell:
        return None
    found = _CANONICAL.get(snake(cell))
    if found is None and ("(" in cell or "[" in cell):
        found = _CANONICAL.get(snake(re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", cell)))
    return found


def recognise(cells: list[str]) -> HeaderMap | None:
    """The layout a header row belongs to, or None when it matches none of them.

    Raises HeaderError when it matches a layout but cannot be used as it is (a required
    column missing, a column given twice, a wide layout with no code columns).
    """
    cells = [("" if c is None else str(c)).strip() for c in cells]
    canon = [canonical(c) for c in cells]
    present = {c for c in canon if c}
    for kind in KINDS:
        if not kind.signature <= present:
            continue
        if kind.wide_codes is not None and "question_code" in present:
            continue
        if kind.wide_codes is not None and not any(
            kind.wide_codes.match(c) for c, k in zip(cells, canon, strict=True) if not k
        ):
            continue
        missing = [c for c in kind.required if c not in present]
        if missing:
            raise _missing_columns(kind, missing)
        names: list[str | None] = []
        codes: list[str] = []
        ignored: list[str] = []
        seen: set[str] = set()
        for cell, col in zip(cells, canon, strict=True):
            if col in kind.columns:
                if col in seen:
                    raise HeaderError(
                        f"mỗi cột chỉ xuất hiện một lần: cột {column_label(col)} có hai lần"
                        f" (ô tiêu đề {cell!r})",
                        column=col,
                    )
                seen.add(col)
                names.append(col)
            elif kind.wide_codes is not None and kind.wide_codes.match(cell):
                code = cell.upper() if cell[:1] in "dD" and kind.name.startswith("papi") else cell
                if code in codes:
                    raise HeaderError(
                        f"mỗi mã chỉ một cột: cột mã {cell!r} xuất hiện hai lần", column=code
                    )
                codes.append(code)
                names.append(code)
            else:
                names.append(None)
                if cell:
                    ignored.append(cell)
        return HeaderMap(kind, tuple(names), tuple(codes), tuple(ignored))
    return None


def _missing_columns(kind: Kind, missing: list[str]) -> HeaderError:
    return HeaderError(
        f"đủ các cột bắt buộc của loại tệp {kind.label_vi}: thiếu cột "
        + ", ".join(column_label(c) for c in missing)
        + " (các cột bắt buộc: " + ", ".join(column_label(c) for c in kind.required) + ")",
        column=missing[0],
    )


def near_miss(cells: list[str]) -> HeaderError | None:
    """Why a header row that `recognise` turned down is nonetheless close to a layout.

    A wide layout's id columns with no code column (and none of the long layout's own
    columns) are named as such. Otherwise a row holding at least two required columns of a
    kind, more than half of them, and at least one that not every index has (year, unit,
    province, name), is taken as that kind with columns missing. None when the row is close
    to no layout (a title, a note).
    """
    cells = [("" if c is None else str(c)).strip() for c in cells]
    present = {c for c in (canonical(x) for x in cells) if c}
    for kind in KINDS:
        if kind.wide_codes is None or not set(kind.required) <= present:
            continue
        long = next(k for k in KINDS if k.table == kind.table and k.wide_codes is None)
        long_only = set(long.required) - set(kind.required)
        if present & long_only:
            continue
        example = "D1, D8, 6.2" if kind.table == "papi_scores" else "1.1, Q1.1, C12"
        return HeaderError(
            f"ít nhất một cột mã (ví dụ {example}) cho loại tệp {kind.label_vi}; hoặc, với"
            f" loại tệp {long.label_vi}, các cột "
            + ", ".join(column_label(c) for c in long.required if c in long_only)
        )
    common = {"year", "unit_code", "province", "criterion_name"}
    best: tuple[int, Kind] | None = None
    for kind in KINDS:
        have = [c for c in kind.required if c in present]
        missing = [c for c in kind.required if c not in present]
        if (missing and len(have) >= 2 and 2 * len(have) > len(kind.required)
                and set(have) - common and (best is None or len(have) > best[0])):
            best = (len(have), kind)
    if best is None:
        return None
    kind = best[1]
    return _missing_columns(kind, [c for c in kind.required if c not in present])
