"""Synthetic extracts at scale, for the benchmark and for trying chiso on a country's worth of
data: `chiso gen --scale small|province|national --out DIR [--seed N]`.

Every row is made by DuckDB itself (generate_series / range, COPY ... TO csv); a value is a
function of the seed and the row's key through DuckDB's hash(), so the same seed gives the same
bytes (with the same DuckDB version). Only the tiny dimensions (the PAR criteria tree, the
provinces) are listed in Python.

What is written into DIR, in the documented formats (data/README.md):
  par_index.csv           PAR INDEX, every unit x year x criterion (area, TC, TCTP), Vietnamese
                          headers; parents carry the sums of their children's max and scores;
                          2023 self-assessed and appraised, 2024 self-assessed only; about one
                          leaf in 300 is "Không áp dụng" (counted as 0 in its parents).
  sipas_answers_<y>.csv   SIPAS raw answers, long, one file per year, English headers; ~2 %
                          blank, ~1 in 20 000 invalid (0 or 6).
  sipas_criteria.csv      the SIPAS criteria sheet (the bundled sample's 21 criteria).
  papi_scores.csv         PAPI, long, all 34 provinces; dimensions are the sums of their
                          sub-dimensions (D5 has none in the reference and is drawn directly).
  plan.yaml               a plan covering every unit and province in the files.
  .generated.json         what was generated (scale, seed, rows per file); hidden, so the
                          nightly flow does not take it for an extract.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from flows.warehouse import sqlquote

ROOT = Path(__file__).resolve().parent.parent
SIPAS_CRITERIA = ROOT / "data" / "sample" / "sipas_criteria.csv"
PAPI_CODES = ROOT / "data" / "reference" / "papi_codes.csv"
MANIFEST = ".generated.json"


def generator_version() -> str:
    """The hash of this file: extracts written by another version are not reused."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
BASELINE_YEAR, TARGET_YEAR = 2023, 2024


@dataclass(frozen=True)
class Scale:
    name: str
    provinces: int  # provinces whose units are assessed (PAPI always covers all 34)
    units: int  # assessed units per province
    respondents: int  # SIPAS respondents per unit and year (21 questions each)


SCALES = {
    # a few thousand rows: the test suite's benchmark smoke test
    "small": Scale("small", provinces=2, units=3, respondents=10),
    # one province: ~130 units
    "province": Scale("province", provinces=1, units=130, respondents=54),
    # 34 provinces x 130 units x ~130 criteria x 2 years of PAR (~1.1M rows), ~10M SIPAS answers
    "national": Scale("national", provinces=34, units=130, respondents=54),
    # one province as its monitoring office sees it: 15 department and 100 commune plans, one
    # plan per unit, in a province folder (`chiso run --province`): generate_province
    "province-plans": Scale("province-plans", provinces=1, units=115, respondents=54),
}
DEPARTMENTS = 15  # of province-plans' units, the first are departments, the rest communes

# The 34 provinces and centrally-run cities (after the 2025 merger); unit P07-U012 is the
# 12th assessed unit of the 7th of them.
PROVINCES = (
    "Hà Nội", "Huế", "Lai Châu", "Điện Biên", "Sơn La", "Lạng Sơn", "Quảng Ninh", "Thanh Hóa",
    "Nghệ An", "Hà Tĩnh", "Cao Bằng", "Tuyên Quang", "Lào Cai", "Thái Nguyên", "Phú Thọ",
    "Bắc Ninh", "Hưng Yên", "Hải Phòng", "Ninh Bình", "Quảng Trị", "Đà Nẵng", "Quảng Ngãi",
    "Gia Lai", "Khánh Hòa", "Lâm Đồng", "Đắk Lắk", "Hồ Chí Minh", "Đồng Nai", "Tây Ninh",
    "Cần Thơ", "Vĩnh Long", "Đồng Tháp", "Cà Mau", "An Giang",
)

# The PAR tree: 8 areas, TCs per area, TCTPs per TC (cycled), ~130 criteria per unit.
AREAS = (
    "Công tác chỉ đạo, điều hành cải cách hành chính",
    "Cải cách thể chế",
    "Cải cách thủ tục hành chính",
    "Cải cách tổ chức bộ máy hành chính",
    "Cải cách chế độ công vụ",
    "Cải cách tài chính công",
    "Xây dựng và phát triển chính quyền điện tử, chính quyền số",
    "Tác động của cải cách hành chính",
)
TCS_PER_AREA = (5, 5, 4, 6, 4, 5, 5, 5)
TCTPS_PER_TC = (2, 3, 0, 2, 4, 2, 1, 3, 2, 3)


def par_criteria() -> list[tuple]:
    """(code, area, tc, level, is_leaf, max in half points, name, order) for one unit-year."""
    rows: list[tuple] = []
    k = 0
    for a, (area_name, n_tc) in enumerate(zip(AREAS, TCS_PER_AREA, strict=True), start=1):
        rows.append((str(a), str(a), None, "area", False, 0, area_name, len(rows)))
        for t in range(1, n_tc + 1):
            n_sub = TCTPS_PER_TC[k % len(TCTPS_PER_TC)]
            k += 1
            tc = f"{a}.{t}"
            rows.append((tc, str(a), tc, "TC", n_sub == 0, 1 + (a * 3 + t) % 4,
                         f"Tiêu chí {tc}", len(rows)))
            for s in range(1, n_sub + 1):
                code = f"{tc}.{s}"
                rows.append((code, str(a), tc, "TCTP", True, 1 + (a + t * 2 + s) % 4,
                             f"Tiêu chí thành phần {code}", len(rows)))
    return rows


def _u(con_seed: int, *parts: str) -> str:
    """SQL for a pseudo-random number in [0, 1) from the seed and the given SQL expressions."""
    return f"(hash({con_seed}, {', '.join(parts)}) % 1000000) / 1000000.0"


def _copy(con: duckdb.DuckDBPyConnection, select: str, path: Path) -> int:
    """Write the rows of `select` as CSV with a header; return how many were written."""
    return con.execute(
        f"copy ({select}) to {sqlquote.literal(str(path))} (format csv, header true)"
    ).fetchone()[0]


def _setup(con: duckdb.DuckDBPyConnection, scale: Scale, seed: int) -> None:
    con.execute("create temp table provinces (p integer, province varchar)")
    con.executemany("insert into provinces values (?, ?)",
                    [[i, name] for i, name in enumerate(PROVINCES, start=1)])
    con.execute(
        "create temp table criteria (code varchar, area varchar, tc varchar, level varchar,"
        " is_leaf boolean, max_half integer, name varchar, ord integer)"
    )
    con.executemany("insert into criteria values (?, ?, ?, ?, ?, ?, ?, ?)", par_criteria())
    quality = _u(seed, "'quality'", "p", "u")
    con.execute(
        f"""create temp table units as
        select p, u, printf('P%02d-U%03d', p, u) as unit_code,
            {quality} as quality,
        from range(1, {scale.provinces + 1}) as a(p), range(1, {scale.units + 1}) as b(u)"""
    )
    con.execute(
        "create temp table questions as select \"Mã câu hỏi\" as code, row_number() over () as q"
        f" from read_csv({sqlquote.literal(str(SIPAS_CRITERIA))}, header = true,"
        " all_varchar = true)"
    )


def _par(con: duckdb.DuckDBPyConnection, seed: int, out: Path) -> int:
    # A leaf's score in quarters of its max: appraised 2023 (q23), self-assessed 2023 (s23,
    # at or above q23) and self-assessed 2024 (q24, mostly at or above q23).
    u = lambda *p: _u(seed, "'par'", "unit_code", "c.code", *p)  # noqa: E731
    con.execute(
        f"""create temp table par_leaves as
        with drawn as (
            select unit_code, quality, c.code, c.tc, c.area, c.max_half,
                {u("'na'")} < 1 / 300 as not_applicable,
                {u("'max'")} < 0.35 + 0.45 * quality as at_max,
                floor({u("'q'")} * 4)::integer as below_max,
                floor({u("'step'")} * 3)::integer as step,
                {u("'self'")} < 0.3 as self_higher,
                {u("'ev'")} < 0.9 as with_evidence,  -- a tenth still without evidence
            from units, criteria as c
            where c.is_leaf
        ),
        quarters as (
            select *,
                case when at_max then 4 else below_max end as q23,
            from drawn
        )
        select *,
            least(4, q23 + case when self_higher then 1 else 0 end) as s23,
            case when q23 = 4 then case when step = 0 then 3 else 4 end
                else least(4, q23 + step) end as q24,
        from quarters"""
    )
    # Each leaf counts in itself, its TC and its area: parents are the sums of their leaves.
    points = "cast({q} * max_half * 125 as decimal(12, 0)) * 0.001::decimal(4, 3)"
    select = f"""
        with ancestors as (
            select code as leaf, code as node from criteria where is_leaf
            union all select code, tc from criteria where is_leaf and level = 'TCTP'
            union all select code, area from criteria where is_leaf
        ),
        per_year as (
            select l.*, y.year,
                case when y.year = {BASELINE_YEAR} then s23 else q24 end as self_q,
                case when y.year = {BASELINE_YEAR} then q23 end as appraised_q,
            from par_leaves as l, (values ({BASELINE_YEAR}), ({TARGET_YEAR})) as y(year)
        ),
        summed as (
            select p.unit_code, p.year, a.node as code,
                bool_or(a.node = p.code and p.not_applicable) as not_applicable,
                sum(p.max_half) * 0.5 as max_points,
                sum({points.format(q='if(p.not_applicable, 0, p.self_q)')}) as self_score,
                sum({points.format(q='if(p.not_applicable, 0, p.appraised_q)')})
                    as appraised_score,
                bool_or(a.node = p.code and p.with_evidence) as with_evidence,
            from per_year as p
            join ancestors as a on a.leaf = p.code
            group by p.unit_code, p.year, a.node
        )
        select
            s.unit_code as "Mã đơn vị",
            s.year as "Năm",
            s.code as "Mã tiêu chí",
            c.name as "Tên tiêu chí",
            s.max_points as "Điểm tối đa",
            if(s.not_applicable, 'Không áp dụng', s.self_score::varchar) as "Điểm tự đánh giá",
            case when s.year = {BASELINE_YEAR}
                then if(s.not_applicable, 'Không áp dụng', s.appraised_score::varchar)
            end as "Điểm thẩm định",
            case when s.with_evidence then 'BC ' || (hash({seed}, s.unit_code, s.code) % 300 + 1)
                || '/BC-' || s.unit_code || ' ngày 15/12/' || s.year end
                as "Tài liệu kiểm chứng",
        from summed as s
        join criteria as c using (code)
        order by s.unit_code, s.year, c.ord"""
    return _copy(con, select, out / "par_index.csv")


def _sipas(con: duckdb.DuckDBPyConnection, scale: Scale, seed: int, year: int, out: Path) -> int:
    # A unit's satisfaction per question: its quality, a per-question tilt, and in the target
    # year an improvement of 0-15 points.
    tilt = _u(seed, "'tilt'", "unit_code", "q.code")
    lift = "0" if year == BASELINE_YEAR else "0.15 * " + _u(seed, "'lift'", "unit_code", "q.code")
    select = f"""
        with cells as (
            select {year} as year, unit_code, r, q.q, q.code as question_code,
                least(0.98, 0.5 + 0.4 * quality
                    + 0.2 * ({tilt} - 0.5) + {lift}) as p,
                hash({seed}, 'answer', {year}, unit_code, r, q.code) as h,
            from units, questions as q, range(1, {scale.respondents + 1}) as t(r)
        )
        select year, unit_code, printf('R%03d', r) as respondent_id, question_code,
            case
                when h % 100 < 2 then null
                when h % 20000 = 7 then if(h % 2 = 0, '0', '6')
                when (h // 100 % 1000000) / 1000000.0 < p then (4 + h // 7 % 2)::varchar
                else (1 + h // 11 % 3)::varchar
            end as answer,
        from cells
        order by unit_code, r, q"""
    return _copy(con, select, out / f"sipas_answers_{year}.csv")


def _papi(con: duckdb.DuckDBPyConnection, seed: int, out: Path) -> int:
    u_sub = _u(seed, "'papi'", "p.p", "y.year", "s.code")
    u_dim = _u(seed, "'papi'", "p.p", "y.year", "d.code")
    select = f"""
        with codes as (
            select * from read_csv({sqlquote.literal(str(PAPI_CODES))}, header = true,
                all_varchar = true)
        ),
        subdims as (
            select c.code, c.dimension,
                count(*) over (partition by c.dimension) as k,
            from codes as c where c.code <> c.dimension
        ),
        sub_scores as (
            select y.year, p.p, p.province, s.code, s.dimension,
                cast(10 / s.k * (0.45 + 0.4 * {u_sub})
                    as decimal(10, 4)) as score,
            from provinces as p, subdims as s,
                (values ({BASELINE_YEAR}), ({TARGET_YEAR})) as y(year)
        ),
        dim_scores as (
            select y.year, p.p, p.province, d.code, d.code as dimension,
                coalesce(
                    (select sum(s.score) from sub_scores as s
                     where s.year = y.year and s.p = p.p and s.dimension = d.code),
                    cast(4.5 + 4 * {u_dim}
                        as decimal(10, 4))
                ) as score,
            from provinces as p, codes as d,
                (values ({BASELINE_YEAR}), ({TARGET_YEAR})) as y(year)
            where d.code = d.dimension
        )
        select year as "Năm", province as "Tỉnh", code as "Mã", score as "Điểm",
        from (select * from dim_scores union all select * from sub_scores)
        order by year, p, dimension, code <> dimension, code"""
    return _copy(con, select, out / "papi_scores.csv")


PLAN_TEMPLATE = """\
# A plan for synthetic data written by `chiso gen --scale {scale} --seed {seed}`.
# Every assessed unit and every province in the files is tracked. The plan schema has one set
# of owners for the whole plan (not one per assessed unit), so the Office (VP) owns every
# criterion of every unit and the IT division owns PAR area 7, as in data/plan.yaml.
title: "Kế hoạch nâng cao các chỉ số CCHC, SIPAS, PAPI (dữ liệu tổng hợp, {scale})"
baseline_year: {baseline}
target_year: {target}

units: all
provinces: all

rules:
  par_keep_max: {{}}
  par_beat_baseline: {{}}
  sipas_raise_low:
    increase: 10
    mode: percentage_points
    low:
      below: 80
    small_sample_n: 30
  papi_raise_low:
    increase: 0.1
    low:
      below_mean: true
      codes: ["6.2"]

office: VP
owner_units:
  VP:
    name: Văn phòng
    email: vanphong@example.gov.vn
  CNTT:
    name: Phòng Công nghệ thông tin
    email: cntt@example.gov.vn
owners:
  - {{match: "PAR:*", owner: VP}}
  - {{match: "SIPAS:*", owner: VP}}
  - {{match: "PAPI:*", owner: VP}}
  - {{match: "PAR:7", owner: CNTT}}

alerts:
  owner_emails: false     # one owner for thousands of units: the Office digest only
  reminder_days: 7
  digest_every_days: 7
"""


PROVINCE_TEMPLATE = """\
# A province written by `chiso gen --scale {scale} --seed {seed}`: {n} plans, one per unit
# ({departments} departments, then communes), sharing these settings (flows/province/settings.py).
province: {province}
monitoring_office:
  name: Sở Nội vụ (dữ liệu tổng hợp)
  email: theodoi@example.gov.vn
"""

UNIT_PLAN_TEMPLATE = """\
# One plan of the synthetic province (`chiso gen --scale {scale}`): {kind} {unit}.
title: "Kế hoạch nâng cao các chỉ số CCHC, SIPAS, PAPI — {kind} {unit} (dữ liệu tổng hợp)"
baseline_year: {baseline}
target_year: {target}
units: [{unit}]
rules:
  par_keep_max: {{}}
  par_beat_baseline: {{}}
  sipas_raise_low: {{increase: 10, mode: percentage_points, low: {{below: 80}}, small_sample_n: 30}}
  papi_raise_low: {{increase: 0.1, low: {{below_mean: true}}}}
office: VP
owner_units:
  VP: {{name: Văn phòng, email: vanphong.{slug}@example.gov.vn}}
  CNTT: {{name: Bộ phận công nghệ thông tin, email: cntt.{slug}@example.gov.vn}}
owners:
  - {{match: "PAR:*", owner: VP}}
  - {{match: "SIPAS:*", owner: VP}}
  - {{match: "PAPI:*", owner: VP}}
  - {{match: "PAR:7", owner: CNTT}}
alerts:
  owner_emails: false
"""


def generate_province(out: Path, seed: int = 2024, plans: int | None = None) -> dict:
    """`province-plans`: a province folder (province.yaml, plans/, inbox/) with one plan per
    unit; the extracts are province-wide (routed to every plan whose unit they cover), the
    SIPAS criteria sheet in each plan's inbox/<plan_id>/. `plans` caps the number of units
    (the benchmark's quick run)."""
    import shutil
    from dataclasses import replace

    spec = SCALES["province-plans"]
    if plans is not None:
        spec = replace(spec, units=plans)
    for sub in ("plans", "inbox"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    inbox = out / "inbox"
    manifest = generate("province-plans", inbox, seed, spec=spec, with_plan=False)
    (inbox / "sipas_criteria.csv").unlink()  # a plan's own sheet: in inbox/<plan_id>/
    manifest["rows"].pop("sipas_criteria.csv")
    manifest["bytes"].pop("sipas_criteria.csv")
    (out / "plans").mkdir(parents=True)
    (out / "province.yaml").write_text(PROVINCE_TEMPLATE.format(
        scale="province-plans", seed=seed, n=spec.units, departments=min(DEPARTMENTS, spec.units),
        province=PROVINCES[0]), encoding="utf-8")
    for u in range(1, spec.units + 1):
        unit = f"P01-U{u:03d}"
        plan_id = unit.lower()
        kind = "Sở, ngành" if u <= DEPARTMENTS else "Xã"
        (out / "plans" / f"{plan_id}.yaml").write_text(UNIT_PLAN_TEMPLATE.format(
            scale="province-plans", kind=kind, unit=unit, slug=plan_id.replace("-", ""),
            baseline=BASELINE_YEAR, target=TARGET_YEAR), encoding="utf-8")
        (inbox / plan_id).mkdir()
        shutil.copy(SIPAS_CRITERIA, inbox / plan_id / "sipas_criteria.csv")
    manifest["plans"] = spec.units
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def generate(scale: str, out: Path, seed: int = 2024, spec: Scale | None = None,
             with_plan: bool = True) -> dict:
    """Write every extract and the plan for `scale` into `out`; return the manifest."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; one of {', '.join(SCALES)}")
    if scale == "province-plans" and with_plan:
        return generate_province(out, seed)
    spec = spec or SCALES[scale]
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.csv"):
        old.unlink()
    started = time.perf_counter()
    rows: dict[str, int] = {}
    with duckdb.connect() as con:
        _setup(con, spec, seed)
        rows["par_index.csv"] = _par(con, seed, out)
        for year in (BASELINE_YEAR, TARGET_YEAR):
            rows[f"sipas_answers_{year}.csv"] = _sipas(con, spec, seed, year, out)
        rows["sipas_criteria.csv"] = _copy(
            con,
            f"select * from read_csv({sqlquote.literal(str(SIPAS_CRITERIA))}, header = true,"
            " all_varchar = true)",
            out / "sipas_criteria.csv",
        )
        rows["papi_scores.csv"] = _papi(con, seed, out)
    if with_plan:
        (out / "plan.yaml").write_text(PLAN_TEMPLATE.format(
            scale=scale, seed=seed, baseline=BASELINE_YEAR, target=TARGET_YEAR),
            encoding="utf-8")
    manifest = {
        "scale": asdict(spec),
        "seed": seed,
        "generator": generator_version(),
        "criteria_per_unit": len(par_criteria()),
        "rows": rows,
        "bytes": {name: (out / name).stat().st_size for name in rows},
        "seconds": round(time.perf_counter() - started, 2),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
