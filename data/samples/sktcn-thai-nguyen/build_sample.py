"""Build the second bundled sample: Sở Khoa học và Công nghệ Thái Nguyên, two chained plans
(2024 -> 2025 on its four predecessors' results, 2025 -> 2026 on its own). Run from anywhere:

    .venv/bin/python data/samples/sktcn-thai-nguyen/build_sample.py

Reproducible: standard library + openpyxl only, one random.Random(2025) stream per file,
fixed timestamps inside the XLSX file; reruns are byte-identical. Reads
data/sample/par_index_stttt.csv (the criteria tree and STTTT's 2024 rows), data/sample/
sipas_criteria.csv (service criteria names), data/reference/provinces.csv and
data/reference/papi_codes.csv; copies data/sample/papi_dimensions.csv (real) and
papi_subdimensions.csv unchanged. Writes inbox/* beside this file (the plans and the
crosswalk are written by hand). data/README.md, "Sample: Sở KH&CN Thái Nguyên (two chained
plans)", says which values are real and which are made up.
"""

from __future__ import annotations

import csv
import io
import random
import re
import shutil
import zipfile
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1]
SAMPLE = DATA / "sample"
REFERENCE = DATA / "reference"
INBOX = HERE / "inbox"

PAR_HEADER = ["Mã đơn vị", "Năm", "Mã tiêu chí", "Tên tiêu chí", "Điểm tối đa",
              "Điểm tự đánh giá", "Điểm thẩm định", "Tài liệu kiểm chứng"]
NA_TEXT = "Không áp dụng"
STEP = Decimal("0.05")
ZERO = Decimal(0)


def write_csv(path: Path, rows, *, delimiter=",", bom=False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        csv.writer(f, delimiter=delimiter, lineterminator="\n").writerows(rows)


def save_workbook(wb: Workbook, path: Path) -> None:
    """Save, then normalise the zip (fixed timestamps) so reruns are byte-identical."""
    import datetime as _dt

    wb.properties.creator = "chiso data/samples/sktcn-thai-nguyen/build_sample.py"
    wb.properties.created = _dt.datetime(2025, 1, 1)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>2025-01-01T00:00:00Z\g<2>", data)
            zi = zipfile.ZipInfo(item.filename, date_time=(2025, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = item.external_attr
            zout.writestr(zi, data)
    path.write_bytes(out.getvalue())


def fmt(x: Decimal | None) -> str:
    """A score as the seed sample writes it: 1, 1.5, 0.25 (no trailing zeros)."""
    if x is None:
        return ""
    s = f"{x.normalize():f}"
    return s


def q(x: Decimal) -> Decimal:
    """To the 0.05 grid."""
    return (x / STEP).quantize(Decimal(1), rounding=ROUND_HALF_UP) * STEP


# =============================================================================================
# PAR INDEX
# =============================================================================================

def read_seed_par() -> tuple[list[dict], list[list[str]]]:
    """The 2024 criteria tree (code, name, max) and STTTT's 2024 rows as the seed sample has
    them."""
    with (SAMPLE / "par_index_stttt.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    body = [r for r in rows[1:] if r[1] == "2024"]
    tree = [{"code": r[2], "name": r[3], "max": Decimal(r[4])} for r in body]
    return tree, body


def children_of(tree: list[dict]) -> dict[str, list[str]]:
    kids: dict[str, list[str]] = defaultdict(list)
    for node in tree:
        code = node["code"]
        if "." in code:
            kids[code.rsplit(".", 1)[0]].append(code)
    return kids


def leaves_of(tree: list[dict]) -> list[str]:
    kids = children_of(tree)
    return [n["code"] for n in tree if "." in n["code"] and not kids.get(n["code"])]


def roll_up(tree: list[dict], leaf: dict[str, Decimal | str | None]) -> dict:
    """Every node's score: a leaf's own, a parent's the sum of its children's (N/A counts 0);
    None when a child has no score yet (a mid-year sheet)."""
    kids = children_of(tree)
    out: dict[str, Decimal | str | None] = {}

    def value(code: str):
        if code in out:
            return out[code]
        if not kids.get(code):
            out[code] = leaf.get(code)
            return out[code]
        vals = [value(c) for c in kids[code]]
        if any(v is None for v in vals):
            out[code] = None
        else:
            out[code] = sum((ZERO if v == NA_TEXT else v) for v in vals)
        return out[code]

    for n in tree:
        value(n["code"])
    return out


# Criteria every predecessor had at their maximum in 2024 (STTTT's seed rows are at max there
# too): with all four at max the combined baseline is the maximum, Phụ lục 1.
ALL_AT_MAX = {"1.1.1", "1.3.1", "1.3.2", "2.2.1", "2.2.3", "3.2.1", "3.2.2", "3.3.2", "4.1.1",
              "4.1.2", "4.2.1", "4.3", "4.4", "5.1.2", "5.3", "5.4.1", "6.2.1", "7.1.1",
              "7.2.1", "7.2.2", "7.3.3", "8.1.3"}
# 2024 appraisal of STTTT's self-assessment (seed sample: self-assessed only): points cut
STTTT_APPRAISAL_CUTS = {"1.1.2": "0.5", "2.1.2": "0.3", "3.3.1": "1", "5.4.2": "0.9",
                        "6.1.2": "0.6", "8.1.1": "0.6", "8.3": "3.5"}
# Predecessors in 2024: (unit code as written in its file, file's province, strength, evidence
# suffix); strength = probability a criterion is at its maximum
UNITS_2024 = {
    "BKN.SKHCN": ("BKN.SKHCN", "bac_kan", 0.50, "SKHCN"),
    "TNG.STTTT": ("TNG.STTTT", "thai_nguyen", 0.62, "STTTT"),
    "TNG.SKHCN": ("SKHCN", "thai_nguyen", 0.66, "SKHCN"),
}
DOC_KINDS = [("QĐ", "QĐ-{u}"), ("KH", "KH-{u}"), ("BC", "BC-{u}"), ("CV", "{u}-VP"),
             ("TB", "TB-{u}")]


def evidence_text(r: random.Random, year: int, unit_suffix: str) -> str:
    kind, pattern = r.choice(DOC_KINDS)
    day, month = r.randint(1, 28), r.randint(1, 12)
    number = f"{r.randint(10, 480)}/{pattern.format(u=unit_suffix)}"
    return f"{kind} {number} ngày {day:02d}/{month:02d}/{year}"


def partial_score(r: random.Random, mx: Decimal, lo: float = 0.3, hi: float = 0.9) -> Decimal:
    v = q(mx * Decimal(str(round(r.uniform(lo, hi), 3))))
    return min(max(v, STEP), mx - STEP)


def synth_unit_2024(r: random.Random, tree, strength: float, code: str) -> dict[str, dict]:
    """Self-assessed and appraised leaf scores of a synthetic predecessor."""
    maxes = {n["code"]: n["max"] for n in tree}
    out = {}
    for leaf in leaves_of(tree):
        mx = maxes[leaf]
        if leaf == "5.2.2":
            self_ = NA_TEXT if code == "BKN.SKHCN" else (mx if code == "TNG.STTTT" else q(mx / 2))
        elif leaf in ALL_AT_MAX:
            self_ = mx
        else:
            x = r.random()
            if x < strength:
                self_ = mx
            elif x < strength + 0.06:
                self_ = ZERO
            else:
                self_ = partial_score(r, mx)
        appr = self_
        if self_ not in (NA_TEXT, ZERO) and leaf not in ALL_AT_MAX and r.random() < 0.18:
            appr = max(ZERO, q(self_ - mx * Decimal("0.25")))
        out[leaf] = {"self": self_, "appraised": appr}
    return out


def par_rows(unit_written: str, year: int, tree, self_leaf, appr_leaf, r, evidence_suffix,
             evidence_p=0.9, evidence_year=None) -> list[list[str]]:
    kids = children_of(tree)
    selfs = roll_up(tree, self_leaf)
    apprs = roll_up(tree, appr_leaf) if appr_leaf is not None else {}
    rows = []
    for n in tree:
        code = n["code"]
        s, a = selfs.get(code), apprs.get(code)
        ev = ""
        if "." in code and not kids.get(code) and s not in (None, NA_TEXT, ZERO) \
                and r.random() < evidence_p:
            ev = evidence_text(r, evidence_year or year, evidence_suffix)
        rows.append([unit_written, str(year), code, n["name"], fmt(n["max"]),
                     s if s == NA_TEXT else fmt(s),
                     (a if a == NA_TEXT else fmt(a)) if appr_leaf is not None else "", ev])
    return rows


def stttt_2024(tree, body) -> list[list[str]]:
    """STTTT's 2024 rows of the seed sample, unchanged but for the appraised column (the seed
    has self-assessment only): the same score except the cuts above; parents re-summed."""
    leaf_self, leaf_appr = {}, {}
    for r in body:
        leaf_self[r[2]] = NA_TEXT if r[5] == NA_TEXT else Decimal(r[5])
    for code in leaves_of(tree):
        leaf_appr[code] = Decimal(STTTT_APPRAISAL_CUTS[code]) if code in STTTT_APPRAISAL_CUTS \
            else leaf_self[code]
    apprs = roll_up(tree, leaf_appr)
    out = []
    for r in body:
        a = apprs[r[2]]
        out.append([*r[:6], a if a == NA_TEXT else fmt(a), r[7]])
    return out


# The 2026 edition (synthetic): par_2025_2026_synthetic.csv says how it comes from 2025's
EDITION_2026 = {
    "split": {"2.4": [("2.4", "Thực hiện công tác phổ biến, giáo dục pháp luật", "1"),
                      ("2.5", "Hỗ trợ pháp lý cho doanh nghiệp trong lĩnh vực quản lý", "0.5")]},
    "merged": {("5.5", "5.6"): ("5.5", "Chấp hành kỷ luật, kỷ cương hành chính và văn hóa"
                                       " công vụ", "2")},
    "retired": {"7.3.4"},
    "max_changed": {"7.3": "4.5", "7.5": "2"},
    "renumbered": {"8.4": "8.5"},
    "new": [("8.4", "Mức độ hài lòng của người dân, tổ chức đối với chính sách thuộc lĩnh vực"
                    " quản lý", "1")],
}


def tree_2026(tree) -> list[dict]:
    ed = EDITION_2026
    out = []
    for n in tree:
        code = n["code"]
        if code in ed["split"]:
            out += [{"code": c, "name": nm, "max": Decimal(m)} for c, nm, m in ed["split"][code]]
        elif code in ("5.5", "5.6"):
            if code == "5.5":
                c, nm, m = ed["merged"][("5.5", "5.6")]
                out.append({"code": c, "name": nm, "max": Decimal(m)})
        elif code in ed["retired"]:
            continue
        elif code in ed["renumbered"]:
            c, nm, m = ed["new"][0]
            out.append({"code": c, "name": nm, "max": Decimal(m)})
            out.append({**n, "code": ed["renumbered"][code]})
        elif code in ed["max_changed"]:
            out.append({**n, "max": Decimal(ed["max_changed"][code])})
        else:
            out.append(dict(n))
    # areas: the sum of their TCs' maxima
    maxes = {n["code"]: n["max"] for n in out}
    kids = children_of(out)
    for n in out:
        if "." not in n["code"]:
            n["max"] = sum(maxes[c] for c in kids[n["code"]])
    assert sum(n["max"] for n in out if "." not in n["code"]) == 100, "2026 edition: 100 points"
    maxes = {n["code"]: n["max"] for n in out}
    for n in out:   # every parent's max is its children's sum
        if kids.get(n["code"]):
            assert n["max"] == sum(maxes[c] for c in kids[n["code"]]), n
    return out


# 2025 (the merged Sở KH&CN, appraised): where it moved from TNG.SKHCN's own 2024 appraisal.
# Kept at max except two Phụ lục 1 criteria that slip; Phụ lục 2 criteria mostly rise.
SLIPS_2025 = {"3.3.2": "2.5", "7.2.2": "1"}
# 2026 mid-year: areas 6 and 8 (budget disbursement, impact) and a few others not yet assessed
NOT_YET_2026 = {"1.5", "1.6", "2.2.2", "5.4.2", "6.1.1", "6.1.2", "7.1.2", "8.1.1", "8.1.2",
                "8.1.3", "8.1.4", "8.2.1", "8.2.2", "8.2.3", "8.3", "8.4"}
SLIPS_2026 = {"4.2.2": "1", "7.3.1": "1.5"}
NO_EVIDENCE_2026 = {"1.3.3", "2.5", "3.4.2", "7.5"}


def build_par(tree, body):
    r = random.Random(2025)
    maxes = {n["code"]: n["max"] for n in tree}
    units = {code: synth_unit_2024(r, tree, spec[2], code) for code, spec in UNITS_2024.items()}

    # 2024, Bắc Kạn file: STTTT (the seed's rows) and Sở KH&CN Bắc Kạn under its full code (a
    # bare SKHCN here and in the Thái Nguyên file would be one slice to supersede: the newer
    # file would replace the other's rows, see data/README.md)
    bac_kan = stttt_2024(tree, body)
    bk = units["BKN.SKHCN"]
    bac_kan += par_rows(UNITS_2024["BKN.SKHCN"][0], 2024, tree,
                        {c: v["self"] for c, v in bk.items()},
                        {c: v["appraised"] for c, v in bk.items()}, r, "SKHCN")
    # 2024, Thái Nguyên file: Sở TT&TT Thái Nguyên (full code: a bare STTTT is Bắc Kạn's) and
    # Sở KH&CN Thái Nguyên under its bare code
    thai_nguyen = []
    for code in ("TNG.STTTT", "TNG.SKHCN"):
        u = units[code]
        thai_nguyen += par_rows(UNITS_2024[code][0], 2024, tree,
                                {c: v["self"] for c, v in u.items()},
                                {c: v["appraised"] for c, v in u.items()}, r,
                                UNITS_2024[code][3])

    # 2025: the merged department, self-assessed and appraised
    own24 = {c: v["appraised"] for c, v in units["TNG.SKHCN"].items()}
    s25, a25 = {}, {}
    for leaf in leaves_of(tree):
        mx, prev = maxes[leaf], own24[leaf]
        if leaf == "5.2.2":
            s25[leaf] = a25[leaf] = NA_TEXT
            continue
        if leaf in SLIPS_2025:
            a = Decimal(SLIPS_2025[leaf])
        elif prev == mx:
            a = mx if r.random() < 0.9 else q(mx * Decimal("0.75"))
        else:
            base = prev if prev != NA_TEXT else ZERO
            x = r.random()
            if x < 0.30:
                a = mx
            elif x < 0.75:
                a = min(mx, q(base + mx * Decimal(str(round(r.uniform(0.1, 0.4), 2)))))
            elif x < 0.9:
                a = base
            else:
                a = max(ZERO, q(base - mx * Decimal("0.2")))
        s = a if r.random() < 0.8 else min(mx, q(a + mx * Decimal("0.25")))
        s25[leaf], a25[leaf] = s, a
    y2025 = par_rows("TNG.SKHCN", 2025, tree, s25, a25, r, "SKHCN")

    # 2026 (edition 2026): self-assessment only, mid-year
    t26 = tree_2026(tree)
    m26 = {n["code"]: n["max"] for n in t26}
    s26 = {}
    for leaf in leaves_of(t26):
        mx = m26[leaf]
        if leaf in NOT_YET_2026:
            s26[leaf] = None
            continue
        if leaf == "5.2.2":
            s26[leaf] = NA_TEXT
            continue
        if leaf in SLIPS_2026:
            s26[leaf] = Decimal(SLIPS_2026[leaf])
            continue
        if leaf in ("2.4", "2.5"):
            prev = q(a25["2.4"] / maxes["2.4"] * mx)
        elif leaf == "5.5":
            prev = q((a25["5.5"] + a25["5.6"]) / 3 * mx)
        elif leaf == "8.5":
            prev = a25["8.4"]
        elif leaf == "7.5":
            prev = q(a25["7.5"] / maxes["7.5"] * mx)
        else:
            prev = a25[leaf]
        x = r.random()
        if prev == mx:
            s26[leaf] = mx if x < 0.92 else q(mx * Decimal("0.8"))
        elif x < 0.35:
            s26[leaf] = mx
        elif x < 0.7:
            s26[leaf] = min(mx, q(prev + mx * Decimal(str(round(r.uniform(0.1, 0.35), 2)))))
        elif x < 0.9:
            s26[leaf] = prev
        else:
            s26[leaf] = max(ZERO, q(prev - mx * Decimal("0.15")))
    y2026 = []
    kids26 = children_of(t26)
    selfs26 = roll_up(t26, s26)
    for n in t26:
        code = n["code"]
        s = selfs26.get(code)
        ev = ""
        if "." in code and not kids26.get(code) and s not in (None, NA_TEXT, ZERO) \
                and code not in NO_EVIDENCE_2026 and r.random() < 0.85:
            ev = evidence_text(r, 2026, "SKHCN")
        y2026.append(["TNG.SKHCN", "2026", code, n["name"], fmt(n["max"]),
                      s if s == NA_TEXT else fmt(s), "", ev])
    return bac_kan, thai_nguyen, y2025, y2026


# =============================================================================================
# SIPAS
# =============================================================================================

POLICY = [  # SIPAS from 2024 has a policy component; wording made up (not the questionnaire)
    ("CS1.1", 1, "Thông tin về chính sách được công khai đầy đủ, kịp thời"),
    ("CS1.2", 1, "Dễ dàng tìm hiểu, tiếp cận nội dung chính sách"),
    ("CS3.1", 3, "Cán bộ, công chức hướng dẫn, giải thích chính sách rõ ràng, dễ hiểu"),
    ("CS4.1", 4, "Chính sách phù hợp với nhu cầu của người dân, tổ chức"),
    ("CS4.2", 4, "Chính sách mang lại lợi ích thiết thực cho người dân, tổ chức"),
    ("CS5.1", 5, "Người dân, tổ chức được lấy ý kiến trong quá trình xây dựng chính sách"),
]
# pooled 2024 rates the predecessors are drawn around; the low ones (< 80 %) get targets
BASE_2024 = {"1.3": 74, "1.4": 71, "2.3": 78, "3.4": 76, "5.2": 73, "5.4": 70, "CS1.2": 75,
             "CS5.1": 68}
SIPAS_2024 = {  # unit as written, respondents, offset, file
    "STTTT": ("STTTT", 90, -4, "bac_kan"),
    "BKN.SKHCN": ("SKHCN", 60, -2, "bac_kan"),
    "TNG.STTTT": ("TNG.STTTT", 110, 2, "thai_nguyen"),
    "TNG.SKHCN": ("SKHCN", 100, 3, "thai_nguyen"),
}
RATES_2025 = {"1.3": 87, "1.4": 79, "2.3": 89, "3.4": 82, "5.2": 86, "5.4": 76, "CS1.2": 87,
              "CS5.1": 72, "4.3": 78}
RATES_2026 = {"1.4": 91, "5.4": 83, "CS5.1": 84, "4.3": 85}


def sipas_criteria() -> list[tuple[str, int, str, str]]:
    with (SAMPLE / "sipas_criteria.csv").open(encoding="utf-8", newline="") as f:
        service = [(c, int(e), n, "Cung ứng dịch vụ công") for c, e, n in list(csv.reader(f))[1:]]
    return service + [(c, e, n, "Chính sách") for c, e, n in POLICY]


def answers(r: random.Random, codes, n_resp: int, rates: dict[str, float], blank_p=0.02):
    """{respondent: {code: '1'..'5' or ''}} with the satisfied count exact to the rate."""
    table = {i: {} for i in range(1, n_resp + 1)}
    for code in codes:
        ids = list(range(1, n_resp + 1))
        blanks = {i for i in ids if r.random() < blank_p}
        valid = [i for i in ids if i not in blanks]
        k = round(rates[code] / 100 * len(valid))
        r.shuffle(valid)
        sat = set(valid[:k])
        for i in ids:
            if i in blanks:
                v = ""
            elif i in sat:
                v = "5" if r.random() < 0.35 else "4"
            else:
                v = r.choices(["1", "2", "3"], weights=[1, 3, 8])[0]
            table[i][code] = v
    return table


def build_sipas(codes):
    r = random.Random(2026)
    files = {"bac_kan": [], "thai_nguyen": []}
    for unit, (written, n, offset, file) in SIPAS_2024.items():
        rates = {c: min(96.0, max(55.0, BASE_2024.get(c, r.uniform(82, 91)) + offset
                                  + r.uniform(-3, 3))) for c in codes}
        t = answers(r, codes, n, rates)
        prefix = unit.replace(".", "-")   # respondent ids unique across files
        for i in range(1, n + 1):
            for c in codes:
                files[file].append([2024, written, f"{prefix}-2024-{i:03d}", c, t[i][c]])
    # two invalid answers in the Bắc Kạn file, one in Thái Nguyên's (left out of the rates)
    for file, bad in (("bac_kan", "0"), ("bac_kan", "6"), ("thai_nguyen", "9")):
        idx = [j for j, row in enumerate(files[file]) if row[4] != ""]
        files[file][r.choice(idx)][4] = bad
    rates25 = {c: RATES_2025.get(c, r.uniform(81, 93)) for c in codes}
    wide25 = answers(r, codes, 300, rates25)
    rates26 = {c: RATES_2026.get(c, min(95.0, rates25[c] + r.uniform(-3, 4))) for c in codes}
    long26 = answers(r, codes, 160, rates26, blank_p=0.04)
    return files, wide25, long26


# =============================================================================================
# PAPI
# =============================================================================================

def read_csv_dicts(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def papi_subcodes() -> dict[str, list[str]]:
    subs: dict[str, list[str]] = defaultdict(list)
    for row in read_csv_dicts(REFERENCE / "papi_codes.csv"):
        if row["code"] != row["dimension"]:
            subs[row["dimension"]].append(row["code"])
    return subs


def split_dimension(r: random.Random, score: Decimal, k: int) -> list[Decimal]:
    """k sub-dimension scores (4 places) summing exactly to `score`, each within 1/k..10/k."""
    lo, hi = Decimal(1) / k, Decimal(10) / k
    while True:
        w = [1 + r.uniform(-0.18, 0.18) for _ in range(k)]
        parts = [(score * Decimal(str(x / sum(w)))).quantize(Decimal("0.0001")) for x in w]
        parts[-1] = score - sum(parts[:-1])
        if all(lo <= p <= hi for p in parts):
            return parts


D4 = Decimal("0.0001")

# Thái Nguyên 2024 sub-dimensions (synthetic, adding up to the real 2024 D3, D6, D8)
TNG_SUB_2024_SHARES = {"D3": [0.31, 0.34, 0.35], "D6": [0.265, 0.235, 0.255, 0.245],
                       "D8": [0.27, 0.41, 0.32]}
# Thái Nguyên (34) in 2025 and 2026: some sub-dimensions pinned so the plans have both met and
# missed PAPI targets (the rest drawn like every province's)
TNG_2025_PINNED = {"6.2": "1.6012", "3.1": "1.3408", "8.3": "1.0385", "2.3": "1.2051"}
TNG_2026_DELTA = {"6.2": "0.1325", "3.1": "0.0412", "8.3": "0.1710", "2.3": "-0.0230",
                  "D3": "0.0907"}


def build_papi():
    r = random.Random(2027)
    subs = papi_subcodes()
    real = [row for row in read_csv_dicts(SAMPLE / "papi_dimensions.csv")
            if row["year"] == "2024"]
    real_by_name = {row["province_vi"]: row for row in real}
    dims = [f"D{i}" for i in range(1, 9)]

    # Thái Nguyên 2024 sub-dimensions, 63-province map
    tng = real_by_name["Thái Nguyên"]
    tng24 = [["Năm", "Tỉnh", "Mã", "Điểm"]]
    for dim, shares in TNG_SUB_2024_SHARES.items():
        total = Decimal(tng[dim]).quantize(D4)
        parts = [(total * Decimal(str(s))).quantize(D4) for s in shares]
        parts[-1] = total - sum(parts[:-1])
        for code, p in zip(subs[dim], parts, strict=True):
            tng24.append(["2024", "Thái Nguyên", code, f"{p}"])

    # 2025 on the 34-province map: each new province from its members' real 2024 scores
    provinces = read_csv_dicts(REFERENCE / "provinces.csv")
    names63 = {p["code"]: p["name"] for p in provinces if p["map"] == "63"}
    members = defaultdict(list)
    for p in provinces:
        if p["map"] == "63":
            members[p["successor_code"]].append(names63[p["code"]])
    new = [p for p in provinces if p["map"] == "34"]
    header = ["Năm", "Tỉnh", "Bản đồ tỉnh (63 hoặc 34)", *dims,
              *[c for d in dims for c in subs.get(d, [])]]
    out = {2025: [header], 2026: [header]}
    for p in new:
        scored = [real_by_name[m] for m in members[p["code"]]
                  if m in real_by_name and real_by_name[m]["D1"]]
        base = {d: sum(Decimal(x[d]) for x in scored) / len(scored) for d in dims}
        years = {}
        for year in (2025, 2026):
            row_dims, row_subs = {}, {}
            for d in dims:
                if year == 2025:
                    v = base[d] + Decimal(str(round(r.uniform(-0.25, 0.3), 4)))
                else:
                    v = years[2025][0][d] + Decimal(str(round(r.uniform(-0.15, 0.25), 4)))
                v = min(Decimal("9.8"), max(Decimal("1.5"), v)).quantize(D4)
                k = len(subs.get(d, []))
                if k:
                    parts = dict(zip(subs[d], split_dimension(r, v, k), strict=True))
                    if p["name"] == "Thái Nguyên":
                        parts = pin(parts, year, years, d, subs[d])
                    row_subs.update(parts)
                    v = sum(parts.values())
                row_dims[d] = v
            years[year] = (row_dims, row_subs)
            out[year].append([str(year), p["name"], "34", *[f"{row_dims[d]}" for d in dims],
                              *[f"{row_subs[c]}" for d in dims for c in subs.get(d, [])]])
    return tng24, out


def pin(parts: dict[str, Decimal], year: int, years: dict, dim: str, codes: list[str]):
    """Thái Nguyên's pinned sub-dimensions: 2025 fixed values, 2026 the 2025 value plus a
    fixed change; the other sub-dimensions of the dimension keep the draw."""
    if year == 2025:
        fixed = {c: Decimal(v) for c, v in TNG_2025_PINNED.items() if c in codes}
    else:
        prev = years[2025][1]
        fixed = {c: prev[c] + Decimal(v) for c, v in TNG_2026_DELTA.items() if c in codes}
        if dim in TNG_2026_DELTA:   # the dimension's change spread over its sub-dimensions
            step = (Decimal(TNG_2026_DELTA[dim]) / len(codes)).quantize(D4)
            fixed = {c: prev[c] + step for c in codes}
    return {c: fixed.get(c, v) for c, v in parts.items()}


# =============================================================================================
# Small extracts
# =============================================================================================

EVIDENCE_HEADER = ["Năm", "Mã đơn vị", "Mã tiêu chí", "Số, ký hiệu văn bản", "Ngày ban hành",
                   "Đường dẫn", "Ghi chú"]
PARTICIPATION_HEADER = ["Năm", "Chỉ số", "Mã đơn vị", "Số phiếu được giao",
                        "Số phiếu đã trả lời"]
PARTICIPATION_ROWS = [
    ["2025", "PAR INDEX", "VP", "6", "6"],
    ["2025", "PAR INDEX", "KHTC", "4", "4"],
    ["2025", "PAR INDEX", "CDS", "5", "5"],
    ["2025", "PAR INDEX", "QLKH", "4", "3"],
    ["2025", "PAR INDEX", "BCVT", "3", "3"],
    ["2026", "PAR INDEX", "VP", "6", "6"],
    ["2026", "PAR INDEX", "KHTC", "4", "4"],
    ["2026", "PAR INDEX", "CDS", "5", "3"],
    ["2026", "PAR INDEX", "QLKH", "4", "4"],
    ["2026", "PAR INDEX", "BCVT", "3", "1"],
]
RESULTS_HEADER = ["Năm", "Chỉ số", "Tên", "Điểm", "Mã đơn vị"]
DEPARTMENTS_2024 = [
    "Sở Nội vụ", "Sở Tư pháp", "Sở Kế hoạch và Đầu tư", "Sở Tài chính", "Sở Công Thương",
    "Sở Nông nghiệp và Phát triển nông thôn", "Sở Giao thông vận tải", "Sở Xây dựng",
    "Sở Tài nguyên và Môi trường", "Sở Thông tin và Truyền thông",
    "Sở Lao động - Thương binh và Xã hội", "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Khoa học và Công nghệ", "Sở Giáo dục và Đào tạo", "Sở Y tế", "Sở Ngoại vụ",
    "Thanh tra tỉnh", "Văn phòng UBND tỉnh", "Ban Dân tộc",
]
DEPARTMENTS_2025 = [  # after Decree 45/2025/NĐ-CP and the merger with Bắc Kạn
    "Sở Nội vụ", "Sở Tư pháp", "Sở Tài chính", "Sở Công Thương", "Sở Nông nghiệp và Môi trường",
    "Sở Xây dựng", "Sở Văn hóa, Thể thao và Du lịch", "Sở Khoa học và Công nghệ",
    "Sở Giáo dục và Đào tạo", "Sở Y tế", "Sở Dân tộc và Tôn giáo", "Thanh tra tỉnh",
    "Văn phòng UBND tỉnh",
]
def area_total(rows: list[list[str]]) -> Decimal:
    """A unit's PAR total: the sum of its areas' appraised (else self-assessed) scores."""
    return sum(Decimal(r[6] or r[5]) for r in rows if "." not in r[2])


def build_results(own_scores: dict[int, Decimal]) -> list[list[str]]:
    """PAR INDEX of Thái Nguyên's departments (made up but for Sở KH&CN, whose score is the
    total of its PAR rows in this inbox): 2024 before the reorganisation, 2025 after it."""
    r = random.Random(2028)
    rows = []
    for year, names in ((2024, DEPARTMENTS_2024), (2025, DEPARTMENTS_2025)):
        for name in names:
            own = name == "Sở Khoa học và Công nghệ"
            score = own_scores[year] if own else Decimal(str(round(r.uniform(80, 93), 2)))
            rows.append([str(year), "PAR INDEX", name, f"{score:.2f}",
                         "TNG.SKHCN" if own else ""])
    return rows


def build_evidence(y2025, y2026) -> list[list[str]]:
    """Register entries for scored criteria whose PAR row names no document: some with a
    document, two explanations only; the rest stay without evidence."""
    rows = []
    kids = children_of([{"code": r[2]} for r in y2025])
    missing25 = [r for r in y2025 if r[7] == "" and "." in r[2] and not kids.get(r[2])
                 and r[5] not in ("", "0", NA_TEXT)]
    for i, r in enumerate(missing25[:3]):
        rows.append(["2025", "TNG.SKHCN", r[2], f"{120 + i * 17}/BC-SKHCN", f"{10 + i}/11/2025",
                     "", ""])
    if len(missing25) > 3:
        rows.append(["2025", "TNG.SKHCN", missing25[3][2], "", "", "",
                     "Hồ sơ lưu tại Sở Thông tin và Truyền thông trước hợp nhất, đang chuyển giao"])
    rows += [
        ["2026", "SKHCN", "1.3.3", "Kế hoạch 45/KH-SKHCN", "12/03/2026", "", ""],
        ["2026", "SKHCN", "2.5", "", "", "tai_lieu/2.5_ho_tro_phap_ly_doanh_nghiep_2026.pdf", ""],
        ["2026", "SKHCN", "3.4.2", "", "", "",
         "Hệ thống tiếp nhận phản ánh, kiến nghị đang hợp nhất dữ liệu hai tỉnh; sẽ bổ sung"],
        ["2026", "SKHCN", "7.5", "", "", "",
         "Hồ sơ đề xuất cấp độ an toàn thông tin đang trình phê duyệt"],
    ]
    return rows


# =============================================================================================

def main() -> None:
    INBOX.mkdir(parents=True, exist_ok=True)
    tree, body = read_seed_par()
    bac_kan, thai_nguyen, y2025, y2026 = build_par(tree, body)
    write_csv(INBOX / "par_index_2024_bac_kan.csv", [PAR_HEADER, *bac_kan])
    write_csv(INBOX / "par_index_2024_thai_nguyen.csv", [PAR_HEADER, *thai_nguyen])
    write_csv(INBOX / "par_index_skhcn_2025.csv", [PAR_HEADER, *y2025])
    write_csv(INBOX / "par_index_skhcn_2026_giua_nam.csv", [PAR_HEADER, *y2026])

    crit = sipas_criteria()
    codes = [c for c, _, _, _ in crit]
    write_csv(INBOX / "sipas_criteria.csv",
              [["Mã câu hỏi", "Yếu tố", "Tên tiêu chí", "Thành phần"],
               *[[c, str(e), n, k] for c, e, n, k in crit]])
    files24, wide25, long26 = build_sipas(codes)
    for file, rows in files24.items():
        write_csv(INBOX / f"sipas_answers_2024_{file}.csv",
                  [["year", "unit_code", "respondent_id", "question_code", "answer"], *rows],
                  delimiter=";", bom=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "Phieu2025"
    ws.append(["Năm", "Mã đơn vị", "Mã phiếu", *codes])
    for i, a in wide25.items():
        ws.append([2025, "SKHCN", f"TNG-SKHCN-2025-{i:03d}",
                   *[int(a[c]) if a[c] else None for c in codes]])
    note = wb.create_sheet("Ghi chu")
    note["A1"] = ("Ghi chú nội bộ: phiếu khảo sát SIPAS 2025 của Sở KH&CN Thái Nguyên (dữ liệu"
                  " mẫu, giả lập). Trang này bị ẩn; chương trình đọc phải bỏ qua.")
    note.sheet_state = "hidden"
    save_workbook(wb, INBOX / "sipas_answers_2025.xlsx")
    rows26 = [[2026, "TNG.SKHCN", f"TNG-SKHCN-2026-{i:03d}", c, a[c]]
              for i, a in long26.items() for c in codes]
    write_csv(INBOX / "sipas_answers_2026_tam_thoi.csv",
              [["year", "unit_code", "respondent_id", "question_code", "answer"], *rows26],
              delimiter=";", bom=True)

    shutil.copyfile(SAMPLE / "papi_dimensions.csv", INBOX / "papi_dimensions.csv")
    shutil.copyfile(SAMPLE / "papi_subdimensions.csv", INBOX / "papi_subdimensions.csv")
    tng24, by_year = build_papi()
    write_csv(INBOX / "papi_subdimensions_thai_nguyen_2024.csv", tng24)
    for year, rows in by_year.items():
        write_csv(INBOX / f"papi_{year}_34_tinh.csv", rows)

    write_csv(INBOX / "evidence_register.csv", [EVIDENCE_HEADER, *build_evidence(y2025, y2026)])
    write_csv(INBOX / "survey_participation.csv", [PARTICIPATION_HEADER, *PARTICIPATION_ROWS])
    write_csv(INBOX / "index_results_par_so_nganh_thai_nguyen.csv",
              [RESULTS_HEADER, *build_results({
                  2024: area_total([r for r in thai_nguyen if r[0] == "SKHCN"]),
                  2025: area_total(y2025)})])
    print("sample written under", INBOX)


if __name__ == "__main__":
    main()
