"""The plan: a YAML file validated against plan.schema.json, then written into DuckDB
tables (plan_*) that the SQL rules read. Business rules live in SQL; this only loads."""

from __future__ import annotations

import codecs
import copy
import csv
import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import jsonschema
import yaml

from flows import yamlfile
from flows.errors import PlanError
from flows.plan.messages import explain
from flows.province import settings as province_settings
from flows.warehouse.db import insert_many

SCHEMA = json.loads((Path(__file__).parent / "schema.json").read_text(encoding="utf-8"))
_ROMAN = {
    "I": 1,
    "II": 2,
    "III": 3,
    "IV": 4,
    "V": 5,
    "VI": 6,
    "VII": 7,
    "VIII": 8,
    "IX": 9,
    "X": 10,
}


@dataclass(frozen=True)
class OwnerRule:
    index_name: str
    pattern: str  # as written in the plan
    path: str  # normalised code path; '' matches everything
    depth: int  # how specific: 0 for '*', else the number of code segments
    owner: str


@dataclass(frozen=True)
class Plan:
    path: Path
    raw: dict[str, Any]
    owner_rules: tuple[OwnerRule, ...]
    # the criteria crosswalks the plan names: (index, old_code, new_code, old_max, new_max,
    # kind, rule, file, row) as written in the files (read_crosswalk), and the baseline unit
    # the file is for (None: every unit without a file of its own)
    crosswalk: tuple[tuple, ...] = ()
    # the plans it continues, oldest first (continued_plans; filled in by the run's read_plan)
    continued: tuple[Plan, ...] = ()

    @property
    def id(self) -> str:
        """The plan's `id`, else its file's stem (load_plan checks either is a valid id)."""
        return self.raw.get("id") or self.path.stem

    @property
    def baseline_year(self) -> int:
        return self.raw["baseline_year"]

    @property
    def target_year(self) -> int:
        return self.raw["target_year"]

    @property
    def title(self) -> str:
        return self.raw.get("title", "")

    @property
    def office(self) -> str:
        return self.raw["office"]

    @property
    def key_dates(self) -> list[dict[str, Any]]:
        """The plan's deadlines: label, starts (date), ends (date), index (or None)."""
        return [
            {"label": d["label"], "starts": parse_date(d["date"]),
             "ends": parse_date(d.get("end", d["date"])), "index": d.get("index")}
            for d in self.raw["key_dates"]
        ]

    @property
    def participation_target_pct(self) -> Decimal:
        return Decimal(str(self.raw["participation"]["target_pct"]))

    @property
    def alerts(self) -> dict[str, Any]:
        """The plan's `alerts` settings, defaults filled in (schema.json)."""
        return self.raw["alerts"]

    @property
    def office_name(self) -> str:
        return self.raw["owner_units"][self.office]["name"]

    @property
    def signature(self) -> str:
        """What signs every email: the plan's alerts.signature, else the office's name."""
        return self.alerts.get("signature") or f"{self.office_name} (chiso, thư tự động)"

    @property
    def encodings(self) -> list[tuple[str, str]]:
        """(file-name pattern, Python codec) pairs, in plan order; a single name is '*'."""
        return encodings_of(self.raw)


def encodings_of(raw: dict[str, Any]) -> list[tuple[str, str]]:
    value = raw.get("encoding")
    if value is None:
        return []
    pairs = [("*", value)] if isinstance(value, str) else list(value.items())
    return [(pattern, codecs.lookup(name).name) for pattern, name in pairs]


def parse_date(text: str) -> dt.date:
    """'15/10/2024' or '2024-10-15' -> a date; ValueError when no such day exists."""
    if "/" in text:
        day, month, year = (int(x) for x in text.split("/"))
        return dt.date(year, month, day)
    return dt.date.fromisoformat(text)


def code_path(index_name: str, code: str) -> tuple[str, int]:
    """A pattern's code as a dotted path and its depth: PAR 'VII.' -> ('7', 1); PAPI 'D8' ->
    ('8', 1); PAPI '6.2' -> ('6.2', 2); '*' -> ('', 0)."""
    code = code.strip().rstrip(".")
    if code == "*":
        return "", 0
    head, _, rest = code.partition(".")
    if head.upper() in _ROMAN:
        head = str(_ROMAN[head.upper()])
    if index_name == "PAPI" and re.fullmatch(r"[Dd]\d+", head):
        head = head[1:]
    path = head + ("." + rest if rest else "")
    if not re.fullmatch(r"[A-Za-z]{0,3}\d+(\.\d+)*", path):
        raise ValueError(code)
    return path, path.count(".") + 1


def _resolved(schema: dict) -> dict:
    ref = schema.get("$ref")
    if ref and ref.startswith("#/$defs/"):
        return SCHEMA["$defs"][ref.removeprefix("#/$defs/")]
    return schema


def with_defaults(value: Any, schema: dict = SCHEMA) -> Any:
    """The plan with every default its schema declares filled in: a key the plan leaves out
    takes its `default` (inside the objects the plan has, or that default to `{}`). The
    schema is the one place a default is written (and documented)."""
    schema = _resolved(schema)
    if isinstance(value, dict) and schema.get("type") == "object":
        out = dict(value)
        properties = schema.get("properties", {})
        for key, sub in properties.items():
            sub = _resolved(sub)
            if key not in out and "default" in sub:
                out[key] = copy.deepcopy(sub["default"])
            if key in out:
                out[key] = with_defaults(out[key], sub)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in set(out) - set(properties):
                out[key] = with_defaults(out[key], extra)
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [with_defaults(v, schema["items"]) for v in value]
    return value


def load_plan(path: Path) -> Plan:
    """Read and validate a plan file; raise PlanError naming the key that is wrong, what is
    allowed there and, for a misspelt key, the nearest valid one (Vietnamese)."""
    where = f"kế hoạch {path}"
    try:
        raw = yamlfile.load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(f"{where}: không tìm thấy tệp") from None
    except IsADirectoryError:
        raise PlanError(f"{where}: là một thư mục, cần một tệp YAML") from None
    except UnicodeDecodeError:
        raise PlanError(f"{where}: không đọc được, cần một tệp văn bản UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (dòng {mark.line + 1}, cột {mark.column + 1})" if mark else ""
        raise PlanError(f"{where}: không phải YAML hợp lệ{at}: {getattr(exc, 'problem', exc)}"
                        ) from None
    if not isinstance(raw, dict):
        raise PlanError(f"{where}: cần các khoá của kế hoạch ở cấp ngoài cùng (baseline_year,"
                        " target_year, units, rules, …)")
    # a plan in a province folder takes the province's shared settings unless it says otherwise
    raw = {**province_settings.plan_defaults(path), **raw}
    validator = jsonschema.Draft202012Validator(SCHEMA)
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        # the deepest error says most (oneOf's own error sits above its branches')
        err = jsonschema.exceptions.best_match(errors)
        raise PlanError(f"{where}: {explain(err, SCHEMA)}")
    raw = with_defaults(raw)
    if "id" not in raw and not re.fullmatch(SCHEMA["properties"]["id"]["pattern"], path.stem):
        raise PlanError(
            f"{where}: id: tên tệp {path.stem!r} không dùng được làm mã kế hoạch; đặt khoá id"
            f" ({SCHEMA['properties']['id']['x-vi']})"
        )
    if raw["target_year"] <= raw["baseline_year"]:
        raise PlanError(
            f"{where}: target_year: năm mục tiêu {raw['target_year']} phải sau năm cơ sở"
            f" baseline_year {raw['baseline_year']}"
        )
    encoding = raw.get("encoding")
    for key, name in ([("encoding", encoding)] if isinstance(encoding, str) else
                      [(f"encoding.{k}", v) for k, v in (encoding or {}).items()]):
        try:
            if not codecs.lookup(name)._is_text_encoding:
                raise LookupError(name)
        except LookupError:
            raise PlanError(
                f"{where}: {key}: {name!r} không phải bảng mã văn bản Python biết"
                " (ví dụ 'windows-1258', 'cp1252', 'utf-16')"
            ) from None
    for i, item in enumerate(raw.get("key_dates", [])):
        for key in ("date", "end"):
            try:
                if key in item:
                    parse_date(item[key])
            except ValueError:
                raise PlanError(
                    f"{where}: key_dates.{i}.{key}: {item[key]!r} không phải một ngày có thật"
                ) from None
        if "end" in item and parse_date(item["end"]) < parse_date(item["date"]):
            raise PlanError(f"{where}: key_dates.{i}.end: {item['end']!r} trước ngày bắt đầu"
                            f" {item['date']!r}")
    units = raw["owner_units"]
    if raw["office"] not in units:
        raise PlanError(
            f"{where}: office: {raw['office']!r} không có trong owner_units"
            f" (có: {', '.join(units)})"
        )
    with _References() as refs:
        _check_provinces(raw, where, refs)
        _check_unit_baseline(raw, where, refs)
        _check_unit_provinces(raw, where, refs)
    rules, seen = [], {}
    for i, item in enumerate(raw["owners"]):
        index_name, _, code = item["match"].partition(":")
        try:
            p, depth = code_path(index_name, code)
        except ValueError:
            raise PlanError(
                f"{where}: owners.{i}.match: {item['match']!r} không phải mẫu mã tiêu chí"
                " (ví dụ 'PAR:7', 'PAR:1.2', 'PAPI:D8', 'SIPAS:*')"
            ) from None
        if item["owner"] not in units:
            raise PlanError(
                f"{where}: owners.{i}.owner: {item['owner']!r} không có trong owner_units"
                f" (có: {', '.join(units)})"
            )
        if (index_name, p) in seen:
            j = seen[(index_name, p)]
            raise PlanError(
                f"{where}: owners.{i}.match: {item['match']!r} trùng với owners.{j}"
                f" ({raw['owners'][j]['match']!r}): cùng các tiêu chí sẽ có hai đơn vị phụ trách"
            )
        seen[(index_name, p)] = i
        rules.append(OwnerRule(index_name, item["match"], p, depth, item["owner"]))
    crosswalk = tuple(
        (*row, None if unit == "*" else unit)
        for index_name, named in raw.get("criteria_crosswalk", {}).items()
        for unit, name in ({"*": named} if isinstance(named, str) else named).items()
        for row in read_crosswalk(index_name, crosswalk_path(path, name), where)
    )
    return Plan(path, raw, tuple(rules), crosswalk)


def continued_plans(plan: Plan) -> list[Plan]:
    """The plans `plan` continues (key `continues`), and the ones they continue, oldest first:
    the chain a run evaluates before `plan`. Each is a plan file in `plan`'s folder, named
    <id>.yaml (or .yml) or with that id; a missing one, a loop, or one that ends after the
    plan's baseline year is a PlanError naming the plan and the key."""
    chain: list[Plan] = []

    def follow(current: Plan, trail: list[str]) -> None:
        for wanted in _as_list(current.raw.get("continues")) or []:
            where = f"kế hoạch {current.path}: continues: {wanted!r}"
            if wanted in trail:
                raise PlanError(f"{where}: chuỗi kế hoạch quay vòng ("
                                + " → ".join([*trail, wanted]) + ")")
            earlier = _find_plan(current.path.parent, wanted, where)
            if earlier.target_year > current.baseline_year:
                raise PlanError(
                    f"{where}: kế hoạch {earlier.path.name} có năm mục tiêu"
                    f" {earlier.target_year}, sau năm cơ sở {current.baseline_year} của kế"
                    " hoạch tiếp nối nó"
                )
            follow(earlier, [*trail, wanted])
            if earlier.id not in [p.id for p in chain]:
                chain.append(earlier)

    follow(plan, [plan.id])
    return chain


def _find_plan(folder: Path, plan_id: str, where: str) -> Plan:
    """The plan file with id `plan_id` in `folder`: <id>.yaml or .yml first, else the file
    whose `id` key says so."""
    for suffix in (".yaml", ".yml"):
        named = folder / f"{plan_id}{suffix}"
        if named.is_file():
            found = load_plan(named)
            if found.id == plan_id:
                return found
    for candidate in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        try:
            raw = yamlfile.load(candidate.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(raw, dict) and raw.get("id") == plan_id:
            return load_plan(candidate)
    raise PlanError(f"{where}: không có tệp kế hoạch nào trong {folder} mang mã này"
                    f" ({plan_id}.yaml hoặc khoá id: {plan_id})")


CROSSWALK_DIR = Path(__file__).resolve().parents[2] / "data" / "reference" / "criteria"
CROSSWALK_COLUMNS = ("old_code", "new_code", "old_max", "new_max", "kind", "rule")
# kind -> the rules it may declare (the first is the default) and which codes it needs
CROSSWALK_KINDS = {
    "same": ("",), "renumbered": ("",), "max_changed": ("",), "split": ("share",),
    "merged": ("pooled", "mean"), "retired": ("",), "new": ("",),
}


def crosswalk_path(plan_path: Path, name: str) -> Path:
    """A crosswalk file the plan names: relative to the plan's folder, else in
    data/reference/criteria/."""
    here = plan_path.parent / name
    return here if here.exists() else CROSSWALK_DIR / name


def read_crosswalk(index_name: str, path: Path, where: str) -> list[tuple]:
    """The rows of a criteria crosswalk, checked: every problem names the file, the row and
    the column (a small reference file a person writes; the SQL reads it from plan_crosswalk)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        raise PlanError(f"{where}: criteria_crosswalk.{index_name}: không tìm thấy tệp {path}"
                        f" (đường dẫn so với thư mục của kế hoạch, hoặc tên tệp trong"
                        f" {CROSSWALK_DIR})") from None
    except UnicodeDecodeError:
        raise PlanError(f"{where}: criteria_crosswalk.{index_name}: {path} không phải tệp"
                        " CSV UTF-8") from None
    header = [h.strip() for h in rows[0]] if rows else []
    missing = [c for c in CROSSWALK_COLUMNS if c not in header]
    if missing:
        raise PlanError(f"{path}, dòng 1: thiếu cột {', '.join(missing)} (cần các cột"
                        f" {', '.join(CROSSWALK_COLUMNS)})")
    out, olds, news = [], {}, {}
    for n, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        row = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
        at = f"{path}, dòng {n}"
        kind, rule = row["kind"], row["rule"]
        if kind not in CROSSWALK_KINDS:
            raise PlanError(f"{at}, cột kind: {kind!r} không hợp lệ (cần một trong"
                            f" {', '.join(CROSSWALK_KINDS)})")
        if rule not in CROSSWALK_KINDS[kind] and not (rule == "" and CROSSWALK_KINDS[kind]):
            allowed = " hoặc ".join(r for r in CROSSWALK_KINDS[kind] if r) or "để trống"
            raise PlanError(f"{at}, cột rule: {rule!r} không dùng được với kind {kind}"
                            f" (cần {allowed})")
        need_old, need_new = kind != "new", kind != "retired"
        for column, needed in (("old_code", need_old), ("new_code", need_new)):
            if needed and not row[column]:
                raise PlanError(f"{at}, cột {column}: cần một mã tiêu chí với kind {kind}")
            if not needed and row[column]:
                raise PlanError(f"{at}, cột {column}: để trống với kind {kind}")
        for column, needed in (("old_max", need_old), ("new_max", need_new)):
            try:
                value = Decimal(row[column].replace(",", ".")) if row[column] else None
            except ArithmeticError:
                value = -1
            if (value is None and needed) or (value is not None and value <= 0):
                raise PlanError(f"{at}, cột {column}: cần điểm tối đa là một số dương"
                                f" (có: {row[column]!r})")
        if kind == "same" and (row["old_code"] != row["new_code"]
                               or row["old_max"] != row["new_max"]):
            raise PlanError(f"{at}: kind same cần cùng mã và cùng điểm tối đa; dùng renumbered"
                            " hoặc max_changed")
        if kind == "renumbered" and row["old_max"] != row["new_max"]:
            raise PlanError(f"{at}: kind renumbered cần cùng điểm tối đa; dùng max_changed")
        # one old code has several rows only when it is split, one new code when merged
        for column, seen, shared in (("old_code", olds, "split"), ("new_code", news, "merged")):
            code = row[column]
            if code and code in seen and not (kind == shared and seen[code][1] == shared):
                raise PlanError(f"{at}, cột {column}: {code} đã có ở dòng {seen[code][0]}"
                                f" (một mã chỉ lặp lại giữa các dòng {shared})")
            if code:
                seen.setdefault(code, (n, kind))
        out.append((index_name, row["old_code"] or None, row["new_code"] or None,
                    row["old_max"] or None, row["new_max"] or None, kind,
                    rule or CROSSWALK_KINDS[kind][0] or None, str(path), n))
    return out


class _References:
    """A scratch DuckDB holding the reference tables and province names as the warehouse has
    them, made on first use (most plans need it for their provinces; none needs it twice)."""

    def __init__(self) -> None:
        self._con: duckdb.DuckDBPyConnection | None = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            from flows.warehouse import db, models

            self._con = duckdb.connect()
            db.install_macros(self._con)
            db.load_reference(self._con)
            # the names as the warehouse resolves them (the model's SQL, on this connection)
            self._con.execute("create table stg_ref__provinces as"
                              f" {models.model('stg_ref__provinces').sql}")
        return self._con

    def __enter__(self) -> _References:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._con is not None:
            self._con.close()


def _check_unit_provinces(raw: dict[str, Any], where: str, refs: _References) -> None:
    """Each unit_provinces entry names a province of either map (stg_ref__provinces)."""
    names = [str(entry["province"]) for entry in raw["unit_provinces"]]
    if not names:
        return
    from flows.warehouse import db

    unknown = db.fetch_all(refs.con, """
            select a.i from (values {}) as a(i, name)
            where not exists (select 1 from stg_ref__provinces as p
                              where p.name_key = province_name_key(a.name))
            order by a.i""".format(", ".join("(?, ?)" for _ in names)),
            [v for i, name in enumerate(names) for v in (i, name)])
    if unknown:
        i = unknown[0][0]
        raise PlanError(f"{where}: unit_provinces[{i}].province: {names[i]!r} không phải một tỉnh"
                        " trong danh mục data/reference/provinces.csv")


def _check_provinces(raw: dict[str, Any], where: str, refs: _References) -> None:
    """The plan's PAPI provinces are provinces of the target year's map, the predecessors it
    names are on the baseline year's map (the maps and names as the SQL resolves them:
    year_province_map, stg_ref__provinces)."""
    provinces = _as_list(raw["provinces"]) or []
    declared = raw["rules"].get("papi_raise_low", {}).get("baseline_from") or {}
    asked = [("provinces", name, raw["target_year"]) for name in provinces]
    asked += [(f"rules.papi_raise_low.baseline_from.{name}", name, raw["target_year"])
              for name in declared]
    asked += [(f"rules.papi_raise_low.baseline_from.{name}.{predecessor}", predecessor,
               raw["baseline_year"])
              for name, weights in declared.items() for predecessor in weights]
    if not asked:
        return
    from flows.warehouse import db

    off_map = db.fetch_all(refs.con, """
            with asked as (
                select * from (values {}) as a(i, name, year)
            )
            select a.i, year_province_map(a.year) as on_map,
                (select arg_max(p.province_name,
                        jaro_winkler_similarity(p.name_key, province_name_key(a.name)))
                 from stg_ref__provinces as p
                 where p.province_map = year_province_map(a.year)
                    and jaro_winkler_similarity(p.name_key, province_name_key(a.name)) > 0.8
                ) as near,
                (select any_value(p.province_map || '|' || p.province_name || '|'
                        || coalesce(s.name, ''))
                 from stg_ref__provinces as p
                 join ref_provinces as r
                    on cast(r.map as integer) = p.province_map and r.code = p.province_code
                 left join ref_provinces as s
                    on cast(s.map as integer) = 34 and s.code = r.successor_code
                 where p.province_map <> year_province_map(a.year)
                    and p.name_key = province_name_key(a.name)
                ) as elsewhere,
            from asked as a
            where not exists (
                select 1 from stg_ref__provinces as p
                where p.province_map = year_province_map(a.year)
                    and p.name_key = province_name_key(a.name)
            )
            order by a.i""".format(", ".join("(?, ?, ?)" for _ in asked)),
            [v for i, (_, name, year) in enumerate(asked) for v in (i, str(name), year)])
    if off_map:
        i, on_map, near, elsewhere = off_map[0]
        key, name, year = asked[i]
        also = f" (gần giống: {near})" if near else ""
        if elsewhere:  # a province of the other map: say which, and what it became
            other_map, other, successor = elsewhere.split("|")
            also = f" ({other} thuộc bản đồ {other_map} tỉnh" + (
                f"; từ 1/7/2025 là một phần của {successor})" if successor else ")")
        raise PlanError(
            f"{where}: {key}: {name!r} không phải một tỉnh của bản đồ {on_map} tỉnh năm {year}"
            f"{also}; danh mục: data/reference/provinces.csv"
        )
    unknown = [name for name in declared if name not in provinces]
    if unknown:
        raise PlanError(
            f"{where}: rules.papi_raise_low.baseline_from.{unknown[0]}: {unknown[0]!r} không có"
            f" trong provinces ({', '.join(provinces) or 'mọi tỉnh'})"
        )


def _check_unit_baseline(raw: dict[str, Any], where: str, refs: _References) -> None:
    """A unit's declared baseline units are its predecessors in the register
    (data/reference/units.csv, unit_changes.csv: followed from each one through its
    successors), or the unit itself; and the unit is one of the plan's units."""
    declared = raw.get("baseline_from") or {}
    if not declared:
        return
    units = _as_list(raw["units"])
    for unit in declared:
        if units is not None and unit not in units:
            raise PlanError(f"{where}: baseline_from.{unit}: {unit!r} không có trong units"
                            f" ({', '.join(units)})")
    asked = [(unit, index_name, predecessor) for unit, per_index in declared.items()
             for index_name, weights in per_index.items() for predecessor in weights]
    from flows.warehouse import db

    not_before = db.fetch_all(refs.con, """
            with recursive asked as (
                select * from (values {}) as a(i, unit, predecessor)
            ),
            reach(i, unit, reached) as (
                select i, unit, predecessor from asked
                union
                select r.i, r.unit, c.successor
                from reach as r join ref_unit_changes as c on c.code = r.reached
            )
            select a.i, exists (select 1 from ref_units where code = a.predecessor) as known,
            from asked as a
            where not exists (select 1 from reach as r where r.i = a.i and r.reached = a.unit)
            order by a.i""".format(", ".join("(?, ?, ?)" for _ in asked)),
            [v for i, (unit, _, predecessor) in enumerate(asked) for v in (i, unit, predecessor)])
    if not_before:
        i, known = not_before[0]
        unit, index_name, predecessor = asked[i]
        why = ("không phải đơn vị tiền thân của " + repr(unit) if known else
               "không có trong danh mục đơn vị")
        raise PlanError(
            f"{where}: baseline_from.{unit}.{index_name}.{predecessor}: {predecessor!r} {why}"
            " (data/reference/units.csv, unit_changes.csv)"
        )


def _as_list(value: Any) -> list[str] | None:
    """None means 'all in the data'."""
    if value is None or value == "all":
        return None
    return [value] if isinstance(value, str) else list(value)


def write_plan_tables(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Materialise the plan as small tables (plan_*) for the SQL rules, with bound values."""
    raw = plan.raw
    rules = raw["rules"]
    sipas = rules.get("sipas_raise_low", {})
    papi = rules.get("papi_raise_low", {})
    con.execute(
        """create or replace table plan_settings (
            title varchar, baseline_year integer, target_year integer,
            all_units boolean, all_provinces boolean,
            par_keep_max boolean, par_beat_baseline boolean,
            sipas_enabled boolean, sipas_increase decimal(18, 6), sipas_mode varchar,
            sipas_small_sample_n integer,
            papi_enabled boolean, papi_increase decimal(18, 6), office varchar,
            participation_target_pct decimal(18, 6), summary_rows integer, report_rows integer,
            owner_rows integer, digest_rows integer, deadline_soon_days integer,
            par_changed_max varchar, plan_id varchar)"""
    )
    units, provinces = _as_list(raw["units"]), _as_list(raw["provinces"])
    con.execute(
        "insert into plan_settings values"
        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            plan.title,
            plan.baseline_year,
            plan.target_year,
            units is None,
            provinces is None,
            rules.get("par_keep_max", {}).get("enabled", "par_keep_max" in rules),
            rules.get("par_beat_baseline", {}).get("enabled", "par_beat_baseline" in rules),
            sipas.get("enabled", bool(sipas)),
            Decimal(str(sipas.get("increase", 0))),
            sipas.get("mode"),
            sipas.get("small_sample_n"),
            papi.get("enabled", bool(papi)),
            Decimal(str(papi.get("increase", 0))),
            plan.office,
            plan.participation_target_pct,
            raw["documents"]["summary_rows"],
            raw["documents"]["report_rows"],
            raw["documents"]["owner_rows"],
            raw["alerts"]["digest_rows"],
            raw["alerts"]["deadline_soon_days"],
            rules.get("par_beat_baseline", {}).get("changed_max", "share"),
            plan.id,
        ],
    )
    con.execute("create or replace table plan_units (unit_code varchar)")
    insert_many(con, "insert into plan_units values (?)", [[u] for u in units or []])
    con.execute("create or replace table plan_provinces (province varchar)")
    insert_many(con, "insert into plan_provinces values (?)", [[p] for p in provinces or []])

    con.execute(
        """create or replace table plan_unit_baseline (
            unit_code varchar, index_name varchar, predecessor varchar, weight decimal(18, 6))"""
    )
    insert_many(con, "insert into plan_unit_baseline values (?, ?, ?, ?)", [
        [unit, index_name, predecessor, Decimal(str(weight))]
        for unit, per_index in (raw.get("baseline_from") or {}).items()
        for index_name, weights in per_index.items()
        for predecessor, weight in weights.items()
    ])

    con.execute(
        """create or replace table plan_papi_baseline (
            province varchar, predecessor varchar, weight decimal(18, 6))"""
    )
    insert_many(con, "insert into plan_papi_baseline values (?, ?, ?)", [
        [province, predecessor, Decimal(str(weight))]
        for province, weights in (papi.get("baseline_from") or {}).items()
        for predecessor, weight in weights.items()
    ])

    con.execute(
        """create or replace table plan_low_rules (
            index_name varchar, rule varchar, code varchar, threshold decimal(18, 6))"""
    )
    low_rows = []
    for index_name, rule in (("SIPAS", sipas), ("PAPI", papi)):
        low = rule.get("low", {})
        for code in low.get("codes", []):
            low_rows.append([index_name, "code", str(code).strip(), None])
        if "below" in low:
            low_rows.append([index_name, "below", None, Decimal(str(low["below"]))])
        if low.get("below_mean"):
            low_rows.append([index_name, "below_mean", None, None])
    insert_many(con, "insert into plan_low_rules values (?, ?, ?, ?)", low_rows)

    con.execute(
        """create or replace table plan_owner_rules (
            index_name varchar, pattern varchar, code_path varchar, depth integer,
            owner_unit varchar)"""
    )
    insert_many(
        con,
        "insert into plan_owner_rules values (?, ?, ?, ?, ?)",
        [[r.index_name, r.pattern, r.path, r.depth, r.owner] for r in plan.owner_rules],
    )
    con.execute(
        "create or replace table plan_encodings (pos integer, pattern varchar, encoding varchar)"
    )
    insert_many(
        con,
        "insert into plan_encodings values (?, ?, ?)",
        [[i, pattern, codec] for i, (pattern, codec) in enumerate(plan.encodings)],
    )
    con.execute(
        """create or replace table plan_key_dates (
            pos integer, label varchar, starts date, ends date, index_name varchar)"""
    )
    insert_many(
        con, "insert into plan_key_dates values (?, ?, ?, ?, ?)",
        [[i, d["label"], d["starts"], d["ends"], d["index"]]
         for i, d in enumerate(plan.key_dates)],
    )
    con.execute("create or replace table plan_unit_provinces (pos integer, pattern varchar,"
                " province varchar)")
    insert_many(con, "insert into plan_unit_provinces values (?, ?, ?)",
                [[i, e["files"], e["province"]] for i, e in enumerate(raw["unit_provinces"])])
    con.execute(
        "create or replace table plan_crosswalk (index_name varchar, old_code varchar,"
        " new_code varchar, old_max varchar, new_max varchar, kind varchar, rule varchar,"
        " source_file varchar, source_row integer, unit_code varchar)"
    )
    insert_many(con, "insert into plan_crosswalk values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [list(r) for r in plan.crosswalk])
    con.execute("create or replace table plan_interim_extracts (pattern varchar)")
    insert_many(con, "insert into plan_interim_extracts values (?)",
                [[x] for x in raw["interim_extracts"]])
    # who "we" are in a results extract: the provinces, the units, the issuer, other names
    names = [*(provinces or []), *(units or []), *raw["rank_names"]]
    if raw.get("issuer", {}).get("name"):
        names.append(raw["issuer"]["name"])
    con.execute("create or replace table plan_rank_names (name varchar)")
    insert_many(con, "insert into plan_rank_names values (?)", [[n] for n in names])
    con.execute(
        "create or replace table plan_owner_units (owner_unit varchar, name varchar, email varchar)"
    )
    insert_many(
        con,
        "insert into plan_owner_units values (?, ?, ?)",
        [[k, v["name"], v["email"]] for k, v in raw["owner_units"].items()],
    )
