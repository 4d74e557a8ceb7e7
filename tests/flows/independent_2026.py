"""An independent computation of criterion_gaps for the second bundled sample (Sở KH&CN Thái
Nguyên, two chained plans), in plain Python with Decimal: it reads the sample files with
csv/openpyxl, the plans with yaml and the registers and crosswalk with csv, and applies the
rules as data/README.md writes them (a unit formed by a merger, a province that absorbed
another, criteria editions), sharing no code with the pipeline. test_sample_2026 compares.

Result: {(plan_id, index_name, appendix, unit_code, criterion_code):
         (baseline_value, target_value, current_value, status)}."""

from __future__ import annotations

import csv
import fnmatch
import re
import unicodedata
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import yaml

Q6 = Decimal("0.000001")
Q14 = Decimal("0.00000000000001")
NA = {"không áp dụng", "kad", "n/a"}
PAPI_CODE = re.compile(r"^(D[1-8]|[1-8]\.[1-9])$")


def _r6(x: Decimal) -> Decimal:
    return x.quantize(Q6, ROUND_HALF_UP)


def _r14(x: Decimal) -> Decimal:
    return x.quantize(Q14, ROUND_HALF_UP)


def _dec(text) -> Decimal | None:
    text = "" if text is None else str(text).strip()
    return None if not text or text.lower() in NA else Decimal(text.replace(",", "."))


def _is_na(text) -> bool:
    return (text or "").strip().lower() in NA


def _fold(name: str) -> str:
    """A province name as the docs match it: case, diacritics, a Tỉnh / Thành phố / TP.
    prefix, spaces and hyphens ignored."""
    s = unicodedata.normalize("NFD", name.strip().lower()).replace("đ", "d")
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = re.sub(r"^(tinh|thanh pho|tp\.)\s*", "", s)
    return re.sub(r"[\s\-]", "", s)


def _status(appendix, op, target, current, stage, not_applicable):
    if not_applicable:
        return "not_applicable"
    if appendix is None or target is None or current is None:
        return "no_data"
    ok = current >= target if op == ">=" else current > target
    if ok:
        return "met"
    return "at_risk" if stage in ("self_assessed", "interim") else "missed"


class Registers:
    """data/reference: provinces.csv (per map), units.csv, unit_changes.csv."""

    def __init__(self, root: Path):
        ref = root / "data" / "reference"
        self.provinces = {}  # (map, folded name) -> code
        with (ref / "provinces.csv").open(encoding="utf-8-sig") as f:
            for r in csv.DictReader(f):
                names = [r["name"], *[a for a in (r["aliases"] or "").split(";") if a.strip()]]
                for n in names:
                    self.provinces[(int(r["map"]), _fold(n))] = r["code"]
        with (ref / "units.csv").open(encoding="utf-8-sig") as f:
            self.units = {r["code"]: r for r in csv.DictReader(f)}
        with (ref / "unit_changes.csv").open(encoding="utf-8-sig") as f:
            self.changes = {r["code"]: r for r in csv.DictReader(f)}

    def province(self, name: str, map_: int | None = None) -> str:
        maps = [map_] if map_ else [63, 34]
        for m in maps:
            if (m, _fold(name)) in self.provinces:
                return self.provinces[(m, _fold(name))]
        raise KeyError(name)

    def _exists_end_of(self, code: str, year: int) -> bool:
        u = self.units[code]
        end = f"{year}-12-31"
        return u["valid_from"] <= end and (not u["valid_to"] or u["valid_to"] >= end)

    def unit(self, code: str, year: int, file_province: str) -> str:
        """'Which unit an extract's code means': a register code is itself; a bare code is
        the register's <prefix>.<code> of the file's province; a unit gone by 31 December of
        the year follows its changes."""
        code = code.strip()
        if code not in self.units:
            cands = [
                c
                for c, u in self.units.items()
                if c.endswith("." + code) and u["province_code"] == file_province
            ]
            if len(cands) != 1:
                return code  # unknown to the register: loads as it is
            code = cands[0]
        while not self._exists_end_of(code, year):
            code = self.changes[code]["successor"]
        return code


class Plan:
    def __init__(self, path: Path):
        self.raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.path = path
        self.id = self.raw.get("id") or path.stem
        self.base, self.target = int(self.raw["baseline_year"]), int(self.raw["target_year"])
        units = self.raw["units"]
        self.units = [units] if isinstance(units, str) else list(units)
        prov = self.raw["provinces"]
        self.provinces = [prov] if isinstance(prov, str) else list(prov)
        self.rules = self.raw.get("rules") or {}

    def file_province(self, regs: Registers, file_name: str) -> str:
        for entry in self.raw.get("unit_provinces") or []:
            if fnmatch.fnmatch(file_name.lower(), entry["files"].lower()):
                return regs.province(entry["province"])
        return regs.province(self.provinces[0])

    def interim(self, file_name: str) -> bool:
        return any(
            fnmatch.fnmatch(file_name.lower(), p.lower())
            for p in self.raw.get("interim_extracts") or []
        )

    def baseline_from(self, unit: str, index: str) -> dict:
        got = ((self.raw.get("baseline_from") or {}).get(unit) or {}).get(index)
        return {u: Decimal(str(w)) for u, w in got.items()} if got else {unit: Decimal(1)}


def chain(plan_path: Path) -> list[Plan]:
    """The plan and the ones it continues (a plan file in the same folder named <id>.yaml or
    whose id is that), oldest first."""
    plans = [Plan(plan_path)]
    while plans[0].raw.get("continues"):
        want = plans[0].raw["continues"]
        want = want if isinstance(want, str) else want[0]
        found = plan_path.parent / f"{want}.yaml"
        if not found.exists():
            found = next(p for p in plan_path.parent.glob("*.yaml") if Plan(p).id == want)
        plans.insert(0, Plan(found))
    return plans


# ---------------------------------------------------------------- PAR


def read_par(inbox: Path, plan: Plan, regs: Registers) -> dict:
    """(unit, year, code) -> (max, value, stage, not_applicable); TC/TCTP only."""
    rows = {}
    for path in sorted(inbox.glob("par_index*.csv")):
        fprov = plan.file_province(regs, path.name)
        with path.open(encoding="utf-8-sig") as f:
            for r in csv.DictReader(f):
                code = r["Mã tiêu chí"].strip().rstrip(".")
                if "." not in code:
                    continue  # areas are not targets
                year = int(r["Năm"])
                unit = regs.unit(r["Mã đơn vị"], year, fprov)
                na = _is_na(r["Điểm tự đánh giá"]) or _is_na(r["Điểm thẩm định"])
                appraised, self_ = _dec(r["Điểm thẩm định"]), _dec(r["Điểm tự đánh giá"])
                value = None if na else (appraised if appraised is not None else self_)
                stage = (
                    None
                    if value is None
                    else ("appraised" if appraised is not None else "self_assessed")
                )
                rows[(unit, year, code)] = (Decimal(r["Điểm tối đa"]), value, stage, na)
    return rows


def read_crosswalk(plan: Plan, root: Path) -> list[dict]:
    name = ((plan.raw.get("criteria_crosswalk") or {}).get("PAR")) or None
    if not name:
        return []
    path = plan.path.parent / name
    if not path.exists():
        path = root / "data" / "reference" / "criteria" / name
    with path.open(encoding="utf-8-sig") as f:
        return [
            {
                **r,
                "old_max": _dec(r["old_max"]),
                "new_max": _dec(r["new_max"]),
                "rule": (r["rule"] or "").strip(),
            }
            for r in csv.DictReader(f)
        ]


def _mapped_shares(scores: dict, unit: str, year: int, xwalk: list[dict]):
    """One predecessor's baseline-year scores on the target edition's codes:
    new code -> share of the maximum (None: not scored), with a not-applicable flag;
    and the retired old codes -> (share, old max, not applicable)."""
    own = {c: v for (u, y, c), v in scores.items() if u == unit and y == year}
    named = {r["old_code"] for r in xwalk if r["old_code"]}
    out = {}  # new code -> (share or None, na)

    def share(code):
        mx, value, _, na = own[code]
        return (None if value is None else _r14(value / mx)), na

    for code in own:
        if code not in named:
            out[code] = share(code)
    by_new = defaultdict(list)
    retired = {}
    for r in xwalk:
        kind = r["kind"]
        if kind == "retired":
            if r["old_code"] in own:
                s, na = share(r["old_code"])
                retired[r["old_code"]] = (s, own[r["old_code"]][0], na)
        elif kind in ("same", "renumbered", "max_changed", "split"):
            if r["old_code"] in own:
                out[r["new_code"]] = share(r["old_code"])
        elif kind == "merged":
            by_new[r["new_code"]].append(r)
    for new, parts in by_new.items():
        rule = next((p["rule"] for p in parts if p["rule"]), "pooled")
        scored = [own[p["old_code"]] for p in parts if p["old_code"] in own]
        scored_v = [(mx, v) for mx, v, _, _ in scored if v is not None]
        na = bool(scored) and not scored_v and any(n for *_, n in scored)
        if not scored_v:
            out[new] = (None, na)
        elif rule == "mean":
            out[new] = (_r14(sum(v / mx for mx, v in scored_v) / len(scored_v)), False)
        else:  # pooled
            out[new] = (_r14(sum(v for _, v in scored_v) / sum(mx for mx, _ in scored_v)), False)
    return out, retired


def _combine(weights: dict, shares_na: dict, max_value: Decimal):
    """The weighted mean of the shares of the predecessors that scored the criterion, times the
    plan unit's maximum, rounded half up to 6 places; (None, not applicable) when none did."""
    scored = [(weights[p], s) for p, (s, _) in shares_na.items() if s is not None]
    if not scored:
        return None, any(na for _, na in shares_na.values())
    mean = sum(w * s for w, s in scored) / sum(w for w, _ in scored)
    return _r6(mean * max_value), False


def par_rows(plan: Plan, scores: dict, xwalk: list[dict]) -> dict:
    changed = plan.rules.get("par_beat_baseline") or {}
    assert changed.get("changed_max", "share") == "share", "only the share rule is computed here"
    new_max = {r["new_code"]: r["new_max"] for r in xwalk if r["new_code"]}
    new_codes = {r["new_code"] for r in xwalk if r["kind"] == "new"}
    out = {}
    for unit in plan.units:
        weights = plan.baseline_from(unit, "PAR")
        mapped = {p: _mapped_shares(scores, p, plan.base, xwalk) for p in weights}
        cur = {c: v for (u, y, c), v in scores.items() if u == unit and y == plan.target}
        pred_max = {}  # a predecessor's max for a code kept as it is
        for (u, y, c), v in scores.items():
            if u in weights and y == plan.base:
                pred_max.setdefault(c, v[0])
        codes = set(cur) | {c for m, _ in mapped.values() for c in m}

        for code in sorted(codes):
            c = cur.get(code)
            max_value = c[0] if c else new_max.get(code) or pred_max.get(code)
            shares = {p: m[code] for p, (m, _) in mapped.items() if code in m}
            baseline, base_na = (None, False)
            if code not in new_codes:
                baseline, base_na = _combine(weights, shares, max_value)
            appendix = None
            if baseline is not None:
                appendix = 1 if baseline == max_value else 2
            cur_na = bool(c and c[3])
            current, stage = (c[1], c[2]) if c else (None, None)
            if cur_na:
                op = target = None
            else:
                op = {1: ">=", 2: ">"}.get(appendix)
                target = {1: max_value, 2: baseline}.get(appendix)
            not_app = cur_na or (base_na and c is None)
            out[(plan.id, "PAR", appendix, unit, code)] = (
                baseline,
                target,
                current,
                _status(appendix, op, target, current, stage, not_app),
            )
        # retired criteria: no target, status retired; the appendix is the one its baseline
        # had (at its old maximum: Phụ lục 1)
        retired_codes = {c for _, r in mapped.values() for c in r}
        for code in sorted(retired_codes):
            shares = {p: r[code][::2] for p, (_, r) in mapped.items() if code in r}
            old_max = next(r[code][1] for _, r in mapped.values() if code in r)
            baseline, _ = _combine(weights, shares, old_max)
            appendix = None if baseline is None else (1 if baseline == old_max else 2)
            out[(plan.id, "PAR", appendix, unit, code)] = (baseline, None, None, "retired")
    return out


# ---------------------------------------------------------------- SIPAS


def read_sipas(inbox: Path, plan: Plan, regs: Registers):
    """(year, unit, code) -> [valid answers, satisfied (4-5)], and the (year, unit) pairs
    whose answers come from an interim extract."""
    counts = defaultdict(lambda: [0, 0])
    interim = set()

    def add(year, unit, code, answer, fname):
        a = "" if answer is None else str(answer).strip()
        if plan.interim(fname):
            interim.add((year, unit))
        if a in {"1", "2", "3", "4", "5"}:
            cnt = counts[(year, unit, code.strip())]
            cnt[0] += 1
            cnt[1] += a in {"4", "5"}

    for path in sorted(inbox.glob("sipas_answers*.csv")):
        fprov = plan.file_province(regs, path.name)
        with path.open(encoding="utf-8-sig") as f:
            for r in csv.DictReader(f, delimiter=";"):
                year = int(r["year"])
                unit = regs.unit(r["unit_code"], year, fprov)
                add(year, unit, r["question_code"], r["answer"], path.name)
    for path in sorted(inbox.glob("sipas_answers*.xlsx")):
        fprov = plan.file_province(regs, path.name)
        wb = openpyxl.load_workbook(path, read_only=True)
        for ws in wb.worksheets:
            if ws.sheet_state != "visible":
                continue
            rows = list(ws.iter_rows(values_only=True))
            header = [str(h).strip() if h is not None else "" for h in rows[0]]
            assert header[:3] == ["Năm", "Mã đơn vị", "Mã phiếu"], header
            for r in rows[1:]:
                if r[0] is None:
                    continue
                year = int(r[0])
                unit = regs.unit(str(r[1]), year, fprov)
                for code, answer in zip(header[3:], r[3:], strict=False):
                    if isinstance(answer, float) and answer.is_integer():
                        answer = int(answer)
                    add(year, unit, code, answer, path.name)
    return counts, interim


def sipas_rows(plan: Plan, counts: dict, interim: set) -> dict:
    rule = plan.rules["sipas_raise_low"]
    assert rule.get("mode", "percentage_points") == "percentage_points"
    low = rule.get("low") or {}
    assert not low.get("below_mean"), "SIPAS below_mean is not computed here"
    inc = Decimal(str(rule.get("increase", 10)))
    out = {}
    for unit in plan.units:
        preds = plan.baseline_from(unit, "SIPAS")
        pooled = defaultdict(lambda: [0, 0])
        for (year, u, code), (n, sat) in counts.items():
            if year == plan.base and u in preds:
                pooled[code][0] += n
                pooled[code][1] += sat
        for code, (n, sat) in sorted(pooled.items()):
            if not n:
                continue
            rate = _r6(Decimal(100 * sat) / Decimal(n))
            is_low = code in (low.get("codes") or []) or (
                "below" in low and rate < Decimal(str(low["below"]))
            )
            if not is_low:
                continue
            target = min(rate + inc, Decimal(100))
            cn = counts.get((plan.target, unit, code))
            current = _r6(Decimal(100 * cn[1]) / Decimal(cn[0])) if cn and cn[0] else None
            stage = "interim" if (plan.target, unit) in interim else "final"
            out[(plan.id, "SIPAS", 3, unit, code)] = (
                rate,
                target,
                current,
                _status(3, ">=", target, current, stage, False),
            )
    return out


# ---------------------------------------------------------------- PAPI


def read_papi(inbox: Path, regs: Registers) -> dict:
    """(year, map, province code, code) -> score; a row's map is its province_map column,
    else 63 up to 2024 and 34 from 2025."""
    scores = {}

    def put(year, province, map_cell, code, score):
        score = _dec(score)
        if score is None:
            return
        map_ = int(map_cell) if (map_cell or "").strip() else _map_of(year)
        scores[(year, map_, regs.province(province, map_), code)] = score

    for path in sorted(inbox.glob("papi*.csv")):
        with path.open(encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            fields = reader.fieldnames
            year_col = "Năm" if "Năm" in fields else "year"
            prov_col = next(c for c in ("Tỉnh", "province", "province_vi") if c in fields)
            map_col = next((c for c in fields if c.startswith("Bản đồ tỉnh")), None)
            long = "Mã" in fields
            for r in reader:
                year = int(r[year_col])
                map_cell = r[map_col] if map_col else ""
                if long:
                    put(year, r[prov_col], map_cell, r["Mã"].strip(), r["Điểm"])
                else:
                    for c in fields:
                        if PAPI_CODE.match(c.strip()):
                            put(year, r[prov_col], map_cell, c.strip(), r[c])
    return scores


def _n_subdims(root: Path) -> dict:
    with (root / "data" / "reference" / "papi_codes.csv").open(encoding="utf-8-sig") as f:
        rows = [r for r in csv.DictReader(f) if r["code"] != r["dimension"]]
    k = defaultdict(int)
    for r in rows:
        k[r["dimension"]] += 1
    return k


def _map_of(year: int) -> int:
    """A year's province map when a row does not say: 63 up to 2024, 34 from 2025."""
    return 63 if year <= 2024 else 34


def papi_rows(plan: Plan, scores: dict, regs: Registers, root: Path) -> dict:
    rule = plan.rules["papi_raise_low"]
    low = rule.get("low") or {}
    inc = Decimal(str(rule.get("increase", "0.1")))
    k = _n_subdims(root)
    tmap, bmap = _map_of(plan.target), _map_of(plan.base)
    out = {}
    for name in plan.provinces:
        pcode = regs.province(name, tmap)
        own = {
            c: s
            for (y, m, p, c), s in scores.items()
            if y == plan.base and m == tmap and p == pcode
        }
        if own:
            baseline, mean_map = own, tmap
        else:
            weights = (rule.get("baseline_from") or {}).get(name) or {}
            preds = {regs.province(n, bmap): Decimal(str(w)) for n, w in weights.items()}
            acc = defaultdict(list)
            for (y, m, p, c), s in scores.items():
                if y == plan.base and m == bmap and p in preds:
                    acc[c].append((preds[p], s))
            baseline = {
                c: _r6(sum(w * s for w, s in ws) / sum(w for w, _ in ws)) for c, ws in acc.items()
            }
            mean_map = bmap
        totals = defaultdict(lambda: [Decimal(0), 0])
        for (y, m, _, c), s in scores.items():
            if y == plan.base and m == mean_map:
                totals[c][0] += s
                totals[c][1] += 1
        for code, b in sorted(baseline.items()):
            total, n = totals[code]
            is_low = (
                code in [str(x) for x in low.get("codes") or []]
                or (low.get("below_mean") and b * n < total)
                or ("below" in low and b < Decimal(str(low["below"])))
            )
            if not is_low:
                continue
            if code.startswith("D"):
                scale = Decimal(10)
            else:
                scale = _r6(Decimal(10) / k["D" + code.split(".")[0]])
            target = min(b + inc, scale)
            current = scores.get((plan.target, tmap, pcode, code))
            out[(plan.id, "PAPI", 4, name, code)] = (
                b,
                target,
                current,
                _status(4, ">=", target, current, "final", False),
            )
    return out


# ---------------------------------------------------------------- all


def expected_gaps(root: Path, inbox: Path, plan_path: Path) -> dict:
    """Every plan of the chain the plan file continues, then the plan itself."""
    regs = Registers(root)
    out = {}
    for plan in chain(plan_path):
        xwalk = read_crosswalk(plan, root)
        par = read_par(inbox, plan, regs)
        counts, interim = read_sipas(inbox, plan, regs)
        papi = read_papi(inbox, regs)
        out.update(par_rows(plan, par, xwalk))
        out.update(sipas_rows(plan, counts, interim))
        out.update(papi_rows(plan, papi, regs, root))
    return out
