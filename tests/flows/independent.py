"""An independent computation of criterion_gaps for the bundled sample, in plain Python with
Decimal: it reads the sample files with csv/openpyxl and applies the plan's four rules as
written in the issue, sharing no code with the pipeline. The end-to-end test compares."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl

Q6 = Decimal("0.000001")
UNIT, PROVINCE, BASE, CUR = "STTTT", "Bắc Kạn", 2023, 2024
NA = {"không áp dụng", "kad", "n/a"}


def _dec(text: str) -> Decimal | None:
    text = (text or "").strip()
    return None if not text or text.lower() in NA else Decimal(text.replace(",", "."))


def _status(appendix, op, target, current, stage, not_applicable):
    if not_applicable:
        return "not_applicable"
    if appendix is None or target is None or current is None:
        return "no_data"
    ok = current >= target if op == ">=" else current > target
    if ok:
        return "met"
    return "at_risk" if stage == "self_assessed" else "missed"


def par_rows(sample: Path) -> dict:
    rows = {}
    with (sample / "par_index_stttt.csv").open(encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            code = r["Mã tiêu chí"].strip().rstrip(".")
            if r["Mã đơn vị"] != UNIT or code.count(".") == 0:
                continue  # areas are not targets
            na = any(
                (r[c] or "").strip().lower() in NA for c in ("Điểm tự đánh giá", "Điểm thẩm định")
            )
            appraised, self_ = _dec(r["Điểm thẩm định"]), _dec(r["Điểm tự đánh giá"])
            value = None if na else (appraised if appraised is not None else self_)
            stage = (
                None
                if na or value is None
                else ("appraised" if appraised is not None else "self_assessed")
            )
            rows[(int(r["Năm"]), code)] = (Decimal(r["Điểm tối đa"]), value, stage, na)
    out = {}
    for code in {c for _, c in rows}:
        base, cur = rows.get((BASE, code)), rows.get((CUR, code))
        appendix = None
        if base and base[1] is not None:
            appendix = 1 if base[1] >= base[0] else 2
        cur_na = bool(cur and cur[3])
        max_value = cur[0] if cur else base[0]
        op = None if cur_na else {1: ">=", 2: ">"}.get(appendix)
        target = None if cur_na else {1: max_value, 2: base[1] if base else None}.get(appendix)
        current, stage = (cur[1], cur[2]) if cur else (None, None)
        not_app = cur_na or (bool(base and base[3]) and cur is None)
        out[("PAR", appendix, UNIT, code)] = dict(
            baseline_value=base[1] if base else None,
            target_op=op,
            target_value=target,
            current_value=current,
            status=_status(appendix, op, target, current, stage, not_app),
            owner_unit="CNTT" if code.split(".")[0] == "7" else "VP",
        )
    return out


def _sipas_counts(sample: Path) -> dict:
    counts = defaultdict(lambda: [0, 0])  # (year, unit, code) -> [n valid, n 4/5]

    def add(year, unit, code, answer):
        a = str(answer).strip() if answer is not None else ""
        if a in {"1", "2", "3", "4", "5"}:
            c = counts[(int(year), unit, code)]
            c[0] += 1
            c[1] += a in {"4", "5"}

    with (sample / "sipas_answers_2023.csv").open(encoding="utf-8-sig") as f:
        for r in csv.DictReader(f, delimiter=";"):
            add(r["year"], r["unit_code"], r["question_code"], r["answer"])
    wb = openpyxl.load_workbook(sample / "sipas_answers_2024.xlsx", read_only=True)
    rows = list(wb["Phieu2024"].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    for r in rows[1:]:
        for code, answer in zip(header[3:], r[3:], strict=False):
            add(r[0], r[1], code, answer if answer is None else int(answer))
    return counts


def sipas_rows(sample: Path) -> dict:
    rates = {
        k: (Decimal(n_sat * 100) / Decimal(n)).quantize(Q6, ROUND_HALF_UP)
        for k, (n, n_sat) in _sipas_counts(sample).items()
    }
    out = {}
    for (year, unit, code), rate in rates.items():
        if year != BASE or unit != UNIT or not rate < 80:
            continue
        target = min(rate + 10, Decimal(100))
        current = rates.get((CUR, unit, code))
        out[("SIPAS", 3, unit, code)] = dict(
            baseline_value=rate,
            target_op=">=",
            target_value=target,
            current_value=current,
            status=_status(3, ">=", target, current, "final", False),
            owner_unit="VP",
        )
    return out


def papi_rows(sample: Path) -> dict:
    scores = {}  # (year, province, code) -> score
    with (sample / "papi_dimensions.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            for d in range(1, 9):
                if r[f"D{d}"].strip():
                    scores[(int(r["year"]), r["province_vi"], f"D{d}")] = Decimal(r[f"D{d}"])
    with (sample / "papi_subdimensions.csv").open(encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            scores[(int(r["Năm"]), r["Tỉnh"], r["Mã"])] = Decimal(r["Điểm"])
    sums = defaultdict(lambda: [Decimal(0), 0])
    subdims = defaultdict(set)
    for (year, _, code), s in scores.items():
        sums[(year, code)][0] += s
        sums[(year, code)][1] += 1
        if not code.startswith("D"):
            subdims[(year, code.split(".")[0])].add(code)
    out = {}
    for (year, prov, code), s in scores.items():
        if year != BASE or prov != PROVINCE:
            continue
        total, n = sums[(year, code)]
        if not (s * n < total or code == "6.2"):
            continue
        if code.startswith("D"):
            scale = Decimal(10)
        else:
            k = len(subdims[(CUR, code.split(".")[0])] or subdims[(BASE, code.split(".")[0])])
            scale = (Decimal(10) / k).quantize(Q6, ROUND_HALF_UP)
        target = min(s + Decimal("0.1"), scale)
        current = scores.get((CUR, prov, code))
        dim = code[1:] if code.startswith("D") else code.split(".")[0]
        out[("PAPI", 4, prov, code)] = dict(
            baseline_value=s,
            target_op=">=",
            target_value=target,
            current_value=current,
            status=_status(4, ">=", target, current, "final", False),
            owner_unit="CNTT" if dim == "8" else "VP",
        )
    return out


def expected_gaps(sample: Path) -> dict:
    return {**par_rows(sample), **sipas_rows(sample), **papi_rows(sample)}
