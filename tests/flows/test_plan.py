"""The plan: data/plan.yaml loads; every error names the YAML key; plan_* tables hold it."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from flows.errors import PlanError
from flows.plan import code_path, load_plan, write_plan_tables

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "data" / "plan.yaml"
BASE = yaml.safe_load(PLAN.read_text(encoding="utf-8"))


def plan_file(tmp_path: Path, change=None, text: str | None = None) -> Path:
    raw = copy.deepcopy(BASE)
    if change:
        change(raw)
    path = tmp_path / "plan.yaml"
    if text is None:
        text = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, change=None, text: str | None = None) -> str:
    path = plan_file(tmp_path, change, text)
    with pytest.raises(PlanError) as info:
        load_plan(path)
    message = str(info.value)
    assert message.startswith(f"kế hoạch {path}: ")
    return message[len(f"kế hoạch {path}: "):]


def test_bundled_plan_loads():
    plan = load_plan(PLAN)
    assert (plan.baseline_year, plan.target_year, plan.office) == (2023, 2024, "VP")
    assert plan.title.startswith("Kế hoạch khắc phục")
    assert [(r.index_name, r.pattern, r.path, r.depth, r.owner) for r in plan.owner_rules] == [
        ("PAR", "PAR:*", "", 0, "VP"),
        ("SIPAS", "SIPAS:*", "", 0, "VP"),
        ("PAPI", "PAPI:*", "", 0, "VP"),
        ("PAR", "PAR:7", "7", 1, "CNTT"),
        ("PAPI", "PAPI:D8", "8", 1, "CNTT"),
    ]


# --- schema errors name the key ------------------------------------------------------------

def _set(path: list, value):
    def change(raw):
        node = raw
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def _delete(path: list):
    def change(raw):
        node = raw
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return change


@pytest.mark.parametrize(
    "change, expected",
    [
        (_set(["targets"], 3),
         "targets: khoá không có trong kế hoạch; các khoá được phép ở đây: alerts,"
         " baseline_from, baseline_year,"),
        (_delete(["baseline_year"]), "baseline_year: thiếu khoá bắt buộc."),
        (_set(["rules", "sipas_raise_low", "increase"], -5),
         "rules.sipas_raise_low.increase: cần một số lớn hơn 0; nhận được -5."),
        (_set(["rules", "sipas_raise_low", "increase"], 0),
         "rules.sipas_raise_low.increase: cần một số lớn hơn 0; nhận được 0."),
        (_set(["rules", "par_keep_maximum"], {}),
         "rules.par_keep_maximum: khoá không có trong kế hoạch; các khoá được phép ở đây:"
         " papi_raise_low, par_beat_baseline, par_keep_max, sipas_raise_low. Có phải ý là"
         " `par_keep_max`?"),
        (_set(["rules", "sipas_raise_low", "mode"], "percent"),
         "rules.sipas_raise_low.mode: cần một trong: percentage_points, relative; nhận được"
         " 'percent'."),
        (_set(["owner_units", "CNTT", "email"], "cntt.example.gov.vn"),
         "owner_units.CNTT.email: 'cntt.example.gov.vn' không đúng dạng. Cần: một địa chỉ thư"),
        (_delete(["owner_units", "VP", "email"]),
         "owner_units.VP.email: thiếu khoá bắt buộc"),
        (_set(["rules", "papi_raise_low", "low", "above"], 3),
         "rules.papi_raise_low.low.above: khoá không có trong kế hoạch; các khoá được phép ở"
         " đây: below, below_mean, codes."),
        (_set(["rules", "papi_raise_low", "increase"], "0,1"),
         "rules.papi_raise_low.increase: cần một số, nhận được '0,1'."),
        (_set(["baseline_year"], "2023"), "baseline_year: cần một số nguyên, nhận được '2023'."),
        (_set(["owners", 3, "match"], "PARINDEX:7"),
         "owners.3.match: 'PARINDEX:7' không đúng dạng. Cần: chỉ số và mẫu mã tiêu chí"),
        (_set(["units"], []), "units: không được để trống."),
    ],
    ids=["unknown-top-level-key", "missing-baseline-year", "negative-sipas-increase",
         "zero-sipas-increase", "unknown-rule", "mode-not-in-enum", "bad-email",
         "missing-email", "unknown-low-key", "increase-not-a-number", "year-as-text",
         "unknown-index", "empty-units"],
)
def test_schema_error_names_the_key(tmp_path, change, expected):
    assert error_of(tmp_path, change).startswith(expected)


def test_target_year_must_be_after_baseline_year(tmp_path):
    for target in (2023, 2022):
        assert error_of(tmp_path, _set(["target_year"], target)) == (
            f"target_year: năm mục tiêu {target} phải sau năm cơ sở baseline_year 2023")


def test_owner_pointing_to_undefined_owner_unit(tmp_path):
    message = error_of(tmp_path, _set(["owners", 4, "owner"], "PCNTT"))
    assert message == "owners.4.owner: 'PCNTT' không có trong owner_units (có: VP, CNTT)"


def test_office_must_be_an_owner_unit(tmp_path):
    assert error_of(tmp_path, _set(["office"], "VPS")) == (
        "office: 'VPS' không có trong owner_units (có: VP, CNTT)")


@pytest.mark.parametrize(
    "first, second",
    [("PAR:7", "PAR:VII"), ("PAR:7", "PAR:7"), ("PAR:7", "PAR:7."), ("PAPI:D8", "PAPI:8"),
     ("PAPI:D8", "PAPI:d8"), ("SIPAS:*", "SIPAS:*")],
)
def test_tie_is_an_error(tmp_path, first, second):
    def change(raw):
        raw["owners"] = [{"match": first, "owner": "VP"}, {"match": second, "owner": "CNTT"}]

    assert error_of(tmp_path, change) == (
        f"owners.1.match: {second!r} trùng với owners.0 ({first!r}): cùng các tiêu chí sẽ có"
        " hai đơn vị phụ trách")


def test_different_depths_are_not_a_tie(tmp_path):
    def change(raw):
        raw["owners"] = [{"match": "PAR:7", "owner": "VP"}, {"match": "PAR:7.1", "owner": "CNTT"},
                         {"match": "SIPAS:7", "owner": "CNTT"}]

    assert [r.depth for r in load_plan(plan_file(tmp_path, change)).owner_rules] == [1, 2, 1]


@pytest.mark.parametrize("pattern", ["PAR:abc", "PAR:7.x", "PAR:.", "PAR:7..1", "PAPI:D"])
def test_bad_pattern(tmp_path, pattern):
    message = error_of(tmp_path, _set(["owners", 3, "match"], pattern))
    assert message.startswith(f"owners.3.match: {pattern!r} không phải mẫu mã tiêu chí")


@pytest.mark.parametrize(
    "index_name, code, expected",
    [
        ("PAR", "*", ("", 0)),
        ("PAR", "7", ("7", 1)),
        ("PAR", "7.", ("7", 1)),
        ("PAR", " VII ", ("7", 1)),
        ("PAR", "vii.", ("7", 1)),
        ("PAR", "IV.2", ("4.2", 2)),
        ("PAR", "1.1.2", ("1.1.2", 3)),
        ("PAR", "1.1.2.", ("1.1.2", 3)),
        ("PAPI", "D8", ("8", 1)),
        ("PAPI", "d6", ("6", 1)),
        ("PAPI", "6.2", ("6.2", 2)),
        ("PAPI", "D6.2", ("6.2", 2)),
        ("SIPAS", "3.4", ("3.4", 2)),
        ("SIPAS", "Q3.4", ("Q3.4", 2)),
    ],
)
def test_code_path(index_name, code, expected):
    assert code_path(index_name, code) == expected


def test_code_path_rejects_non_codes():
    for code in ("abc", "7.x", "", "."):
        with pytest.raises(ValueError):
            code_path("PAR", code)


def test_file_errors(tmp_path):
    assert error_of(tmp_path, text="baseline_year: [2023\n").startswith(
        "không phải YAML hợp lệ (dòng 2, cột 1)")
    assert error_of(tmp_path, text="- 2023\n").startswith(
        "cần các khoá của kế hoạch ở cấp ngoài cùng")
    with pytest.raises(PlanError, match="không tìm thấy tệp"):
        load_plan(tmp_path / "missing.yaml")


def test_a_plans_id_is_its_key_else_its_file_name(tmp_path):
    assert load_plan(PLAN).id == "bkn-stttt-2023-2024"
    path = plan_file(tmp_path, lambda raw: raw.pop("id"))
    named = path.rename(tmp_path / "sktcn-tng-2025-2026.yaml")
    assert load_plan(named).id == "sktcn-tng-2025-2026"


def test_a_file_name_that_is_no_id_asks_for_the_key(tmp_path):
    path = plan_file(tmp_path, lambda raw: raw.pop("id"))
    named = path.rename(tmp_path / "kế hoạch 2025.yaml")
    with pytest.raises(PlanError, match="không dùng được làm mã kế hoạch; đặt khoá id"):
        load_plan(named)
    assert error_of(tmp_path, lambda raw: raw.update(id="Sở KH&CN")).startswith("id:")


# --- write_plan_tables ---------------------------------------------------------------------

def tables(plan_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    write_plan_tables(con, load_plan(plan_path))
    return con


def test_write_plan_tables_from_bundled_plan():
    con = tables(PLAN)
    settings = con.execute(
        "select baseline_year, target_year, all_units, all_provinces, par_keep_max,"
        " par_beat_baseline, sipas_enabled, sipas_increase, sipas_mode, sipas_small_sample_n,"
        " papi_enabled, papi_increase, office from plan_settings"
    ).fetchall()
    assert settings == [(2023, 2024, False, False, True, True, True, Decimal("10"),
                         "percentage_points", 30, True, Decimal("0.1"), "VP")]
    assert con.execute("select * from plan_units").fetchall() == [("STTTT",)]
    assert con.execute("select * from plan_provinces").fetchall() == [("Bắc Kạn",)]
    assert sorted(con.execute("select * from plan_low_rules").fetchall(),
                  key=lambda r: (r[0], r[1])) == [
        ("PAPI", "below_mean", None, None),
        ("PAPI", "code", "6.2", None),
        ("SIPAS", "below", None, Decimal("80")),
    ]
    assert con.execute(
        "select index_name, pattern, code_path, depth, owner_unit from plan_owner_rules"
        " order by index_name, depth"
    ).fetchall() == [
        ("PAPI", "PAPI:*", "", 0, "VP"), ("PAPI", "PAPI:D8", "8", 1, "CNTT"),
        ("PAR", "PAR:*", "", 0, "VP"), ("PAR", "PAR:7", "7", 1, "CNTT"),
        ("SIPAS", "SIPAS:*", "", 0, "VP"),
    ]
    assert con.execute("select * from plan_owner_units order by owner_unit").fetchall() == [
        ("CNTT", "Phòng Công nghệ thông tin – Bưu chính, Viễn thông", "cntt.stttt@example.gov.vn"),
        ("VP", "Văn phòng Sở", "vanphong.stttt@example.gov.vn"),
    ]


def test_write_plan_tables_all_units_codes_and_relative_mode(tmp_path):
    def change(raw):
        raw["units"] = "all"
        raw["provinces"] = "Bắc Kạn"
        raw["rules"] = {
            "par_keep_max": {"enabled": False},
            "sipas_raise_low": {"increase": 10, "mode": "relative",
                                "low": {"codes": ["1.3", 3.4, " 5.2 "]}},
            "papi_raise_low": {"increase": 0.1, "low": {"codes": ["D6", "6.2"], "below": 5}},
        }

    con = tables(plan_file(tmp_path, change))
    assert con.execute(
        "select all_units, all_provinces, par_keep_max, par_beat_baseline, sipas_mode,"
        " sipas_increase, papi_increase from plan_settings"
    ).fetchall() == [(True, False, False, False, "relative", Decimal("10"), Decimal("0.1"))]
    assert con.execute("select count(*) from plan_units").fetchall() == [(0,)]
    assert con.execute("select * from plan_provinces").fetchall() == [("Bắc Kạn",)]
    assert sorted(con.execute("select * from plan_low_rules").fetchall(),
                  key=lambda r: (r[0], r[1], r[2] or "")) == [
        ("PAPI", "below", None, Decimal("5")),
        ("PAPI", "code", "6.2", None),
        ("PAPI", "code", "D6", None),
        ("SIPAS", "code", "1.3", None),
        ("SIPAS", "code", "3.4", None),
        ("SIPAS", "code", "5.2", None),
    ]


def test_write_plan_tables_is_repeatable(tmp_path):
    con = duckdb.connect()
    plan = load_plan(PLAN)
    write_plan_tables(con, plan)
    write_plan_tables(con, plan)
    assert con.execute("select count(*) from plan_owner_rules").fetchall() == [(5,)]
    assert con.execute("select count(*) from plan_settings").fetchall() == [(1,)]


# --- PAPI provinces on the target year's map -----------------------------------------------

def _merged_province(plan: dict) -> None:
    plan.update(baseline_year=2024, target_year=2025, provinces=["Thái Nguyên"])
    plan["rules"]["papi_raise_low"]["baseline_from"] = {"Thái Nguyên": {"Bắc Kạn": 1}}


def test_a_merged_province_with_its_predecessor_loads(tmp_path):
    plan = load_plan(plan_file(tmp_path, _merged_province))
    con = duckdb.connect()
    write_plan_tables(con, plan)
    assert con.execute("select * from plan_papi_baseline").fetchall() == [
        ("Thái Nguyên", "Bắc Kạn", Decimal("1"))]


def test_a_province_the_target_years_map_has_not_is_an_error(tmp_path):
    def change(plan):
        _merged_province(plan)
        plan["provinces"] = ["Bắc Kạn"]
        plan["rules"]["papi_raise_low"].pop("baseline_from")
    assert error_of(tmp_path, change).endswith(
        "provinces: 'Bắc Kạn' không phải một tỉnh của bản đồ 34 tỉnh năm 2025 (Bắc Kạn thuộc"
        " bản đồ 63 tỉnh; từ 1/7/2025 là một phần của Thái Nguyên); danh mục:"
        " data/reference/provinces.csv")


def test_a_misspelt_predecessor_names_the_nearest(tmp_path):
    def change(plan):
        _merged_province(plan)
        plan["rules"]["papi_raise_low"]["baseline_from"] = {"Thái Nguyên": {"Bắc Cạn": 1}}
    message = error_of(tmp_path, change)
    assert "rules.papi_raise_low.baseline_from.Thái Nguyên.Bắc Cạn: 'Bắc Cạn' không phải một" \
        " tỉnh của bản đồ 63 tỉnh năm 2024 (gần giống: Bắc Kạn)" in message


def test_a_baseline_rule_for_an_untracked_province_is_an_error(tmp_path):
    def change(plan):
        _merged_province(plan)
        plan["rules"]["papi_raise_low"]["baseline_from"]["Cao Bằng"] = {"Cao Bằng": 1}
    assert "baseline_from.Cao Bằng: 'Cao Bằng' không có trong provinces (Thái Nguyên)" in \
        error_of(tmp_path, change)


# --- a unit's baseline from its predecessors (data/reference/units.csv) ---------------------

def _merged_unit(plan: dict) -> None:
    plan.update(baseline_year=2024, target_year=2025, units=["TNG.SKHCN"],
                provinces=["Thái Nguyên"])
    plan["baseline_from"] = {"TNG.SKHCN": {"PAR": {"STTTT": 1, "TNG.SKHCN": 1},
                                           "SIPAS": {"STTTT": 1}}}


def test_a_merged_unit_with_its_predecessors_loads(tmp_path):
    plan = load_plan(plan_file(tmp_path, _merged_unit))
    con = duckdb.connect()
    write_plan_tables(con, plan)
    assert con.execute("select * from plan_unit_baseline order by all").fetchall() == [
        ("TNG.SKHCN", "PAR", "STTTT", Decimal("1")),
        ("TNG.SKHCN", "PAR", "TNG.SKHCN", Decimal("1")),
        ("TNG.SKHCN", "SIPAS", "STTTT", Decimal("1")),
    ]


def test_a_baseline_unit_that_is_not_a_predecessor_is_an_error(tmp_path):
    def change(plan):
        _merged_unit(plan)
        plan["units"] = ["STTTT"]
        plan["baseline_from"] = {"STTTT": {"PAR": {"BKN.SKHCN": 1}}}
    assert error_of(tmp_path, change) == (
        "baseline_from.STTTT.PAR.BKN.SKHCN: 'BKN.SKHCN' không phải đơn vị tiền thân của 'STTTT'"
        " (data/reference/units.csv, unit_changes.csv)")


def test_a_baseline_unit_not_in_the_register_is_an_error(tmp_path):
    def change(plan):
        _merged_unit(plan)
        plan["baseline_from"]["TNG.SKHCN"]["SIPAS"] = {"SO_XYZ": 1}
    assert "'SO_XYZ' không có trong danh mục đơn vị" in error_of(tmp_path, change)


def test_a_baseline_for_a_unit_the_plan_does_not_track_is_an_error(tmp_path):
    def change(plan):
        _merged_unit(plan)
        plan["units"] = ["STTTT"]
    assert error_of(tmp_path, change).startswith(
        "baseline_from.TNG.SKHCN: 'TNG.SKHCN' không có trong units (STTTT)")
