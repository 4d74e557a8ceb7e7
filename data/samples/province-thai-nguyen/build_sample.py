"""Writes the province sample (data/README.md, "Sample: a province, five plans"): Thái Nguyên's
monitoring office follows three department plans and two commune plans, 2025 -> 2026. Every
score is SYNTHETIC: the departments' and communes' PAR and SIPAS rows are Sở KH&CN Thái
Nguyên's (the second sample, itself synthetic) with scores lowered at random, seeded; PAPI is
the second sample's synthetic 34-province file. Run: .venv/bin/python <this file>; the output is
byte-identical from run to run."""

from __future__ import annotations

import csv
import random
import shutil
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "sktcn-thai-nguyen" / "inbox"
INBOX, PLANS = HERE / "inbox", HERE / "plans"

# plan id -> (unit code, unit name, kind, seed); the first is the second sample's own unit
UNITS = {
    "so-khcn": ("TNG.SKHCN", "Sở Khoa học và Công nghệ", "department", 0),
    "so-noi-vu": ("TNG.SNV", "Sở Nội vụ", "department", 11),
    "so-tai-chinh": ("TNG.STC", "Sở Tài chính", "department", 12),
    "xa-phuc-thuan": ("XA.PHUCTHUAN", "UBND xã Phúc Thuận", "commune", 21),
    "xa-dai-tu": ("XA.DAITU", "UBND xã Đại Từ", "commune", 22),
}

PROVINCE_YAML = """\
# The province's shared settings (flows/province/settings.py): every plan in plans/ takes them
# unless it says otherwise. SYNTHETIC sample: data/README.md, "Sample: a province, five plans".
province: Thái Nguyên
monitoring_office:
  name: Sở Nội vụ tỉnh Thái Nguyên
  email: theodoi.snv@example.gov.vn
interim_extracts: ["*tam_thoi*", "*tam-thoi*", "*interim*"]
key_dates:
  - {label: "Kỳ điều tra xã hội học (phát và thu phiếu)", date: "01/08/2026", end: "30/09/2026", index: PAR}
  - {label: "Hạn nộp báo cáo tự đánh giá Chỉ số CCHC năm 2026", date: "15/12/2026", index: PAR}
  - {label: "Thẩm định kết quả tự đánh giá", date: "31/01/2027", index: PAR}
  - {label: "Công bố kết quả SIPAS năm 2026", date: "15/03/2027", index: SIPAS}
"""

PLAN_YAML = """\
# {name} {province_note}: 2025 results -> 2026 targets. SYNTHETIC sample plan
# (data/README.md, "Sample: a province, five plans"); shared settings: ../province.yaml.
title: "Kế hoạch nâng cao Chỉ số CCHC, SIPAS, PAPI năm 2026 — {name}"
baseline_year: 2025
target_year: 2026
units: [{unit}]
criteria_crosswalk:
  PAR: par_2025_2026_synthetic.csv   # data/reference/criteria/ (synthetic 2026 edition)
rules:
  par_keep_max: {{}}
  par_beat_baseline: {{}}
  sipas_raise_low: {{increase: 10, mode: percentage_points, low: {{below: 80}}, small_sample_n: 30}}
  papi_raise_low: {{increase: 0.1, low: {{below_mean: true}}}}
issuer:
  governing_body: UBND tỉnh Thái Nguyên
  name: "{name}"
  place: Thái Nguyên
  document_number: "…/KH"
participation:
  target_pct: 100
office: VP
owner_units:
  VP: {{name: Văn phòng, email: vanphong.{slug}@example.gov.vn}}
  CM: {{name: Bộ phận chuyên môn, email: chuyenmon.{slug}@example.gov.vn}}
owners:
  - {{match: "PAR:*", owner: VP}}
  - {{match: "SIPAS:*", owner: VP}}
  - {{match: "PAPI:*", owner: VP}}
  - {{match: "PAR:7", owner: CM}}
alerts:
  owner_emails: false
"""


def _rows(name: str) -> tuple[list[str], list[list[str]]]:
    with (SOURCE / name).open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def _lowered(rows: list[list[str]], unit: str, rng: random.Random) -> list[list[str]]:
    """PAR rows for another unit: some leaf scores lowered, parents summed again."""
    out = [[unit, *r[1:]] for r in rows]
    codes = [r[2] for r in out]
    leaves = {c for c in codes if not any(o.startswith(c + ".") for o in codes)}
    for r in out:
        if r[2] in leaves and r[2].count(".") >= 1 and rng.random() < 0.35:
            for col in (5, 6):
                if r[col] not in ("", "Không áp dụng"):
                    value = Decimal(r[col]) * Decimal(rng.choice(("0.5", "0.75", "0")))
                    r[col] = str(value.quantize(Decimal("0.01")).normalize())
    by_code = {r[2]: r for r in out}
    for code in sorted((c for c in codes if c not in leaves), key=lambda c: -c.count(".")):
        children = [by_code[c] for c in codes if c.rsplit(".", 1)[0] == code and c != code]
        for col in (5, 6):
            cells = [c[col] for c in children]
            if all(x not in ("", "Không áp dụng") for x in cells) and by_code[code][col] != "":
                total = sum(Decimal(x) for x in cells)
                by_code[code][col] = str(total.normalize())
    return out


def _write(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=delimiter, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def _sipas(unit: str, rng: random.Random, year: int, n: int) -> list[list[str]]:
    header, rows = _rows("sipas_answers_2026_tam_thoi.csv")
    questions = sorted({r[0].split(";")[3] for r in rows})
    out = []
    for i in range(1, n + 1):
        for q in questions:
            answer = rng.choices(["5", "4", "3", "2"], weights=[45, 33, 15, 7])[0]
            out.append([str(year), unit, f"{unit}-{year}-{i:03d}", q, answer])
    return out


def main() -> None:
    for folder in (INBOX, PLANS):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    (HERE / "province.yaml").write_text(PROVINCE_YAML, encoding="utf-8")
    header_25, rows_25 = _rows("par_index_skhcn_2025.csv")
    header_26, rows_26 = _rows("par_index_skhcn_2026_giua_nam.csv")
    departments, communes = [], []
    sipas_25, sipas_26 = [], []
    for plan_id, (unit, name, kind, seed) in UNITS.items():
        rng = random.Random(seed)
        note = "(sở, ngành)" if kind == "department" else "(xã)"
        (PLANS / f"{plan_id}.yaml").write_text(PLAN_YAML.format(
            name=name, province_note=note, unit=unit, slug=plan_id.replace("-", "")),
            encoding="utf-8")
        target = departments if kind == "department" else communes
        if seed == 0:
            target += [[unit, *r[1:]] for r in rows_25] + [[unit, *r[1:]] for r in rows_26]
        else:
            target += _lowered(rows_25, unit, rng) + _lowered(rows_26, unit, rng)
        sipas_25 += _sipas(unit, rng, 2025, 60)
        sipas_26 += _sipas(unit, rng, 2026, 40)
        # kinds with no assessed unit go to the plan's own folder
        (INBOX / plan_id).mkdir(parents=True)
        shutil.copy(SOURCE / "sipas_criteria.csv", INBOX / plan_id / "sipas_criteria.csv")
    _write(INBOX / "par_index_so_nganh_2025_2026.csv", header_25, departments)
    _write(INBOX / "par_index_cap_xa_2025_2026.csv", header_25, communes)
    sipas_header = ["year", "unit_code", "respondent_id", "question_code", "answer"]
    _write(INBOX / "sipas_answers_2025_toan_tinh.csv", sipas_header, sipas_25, ";")
    _write(INBOX / "sipas_answers_2026_toan_tinh_tam_thoi.csv", sipas_header, sipas_26, ";")
    for name in ("papi_2025_34_tinh.csv", "papi_2026_34_tinh.csv"):
        shutil.copy(SOURCE / name, INBOX / name)
    shutil.copy(SOURCE / "survey_participation.csv", INBOX / "so-khcn" / "survey_participation.csv")
    shutil.copy(SOURCE / "evidence_register.csv", INBOX / "so-khcn" / "evidence_register.csv")


if __name__ == "__main__":
    main()
