"""data/reference/provinces.csv against two sources kept by others: the statistics-office
lists in the PyPI package vietnam-provinces (0.6.0: the 63 provinces; 2025.10.1: the 34 from
1 Jul 2025, with ward codes), and the list of Resolution 202/2025/QH15 (written here by hand
from ../shared/reference/reorganisation_2025.md). The old -> new crosswalk is derived from the
package's ward codes: a ward keeps its code through the reorganisation, so each new province's
wards name the old provinces it is made of."""

from __future__ import annotations

import csv
import hashlib
import json
import sys
import unicodedata
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from tests.conftest import ROOT

WHEELS = Path(sys.prefix) / "reference-wheels"  # the venv running the suite (Makefile)
RELEASES = {  # file -> sha256 of the wheel on PyPI
    "vietnam_provinces-0.6.0-py3-none-any.whl":
        "4b5772870efdcb7c58a64fbdc0e0c9ce497e67017a0c189dff99582ddadb7815",
    "vietnam_provinces-2025.10.1-py3-none-any.whl":
        "1693dece496b1e04e2b637a3dd79a87a22666e13c91c51cf06dc27e482987f57",
}
OLD, NEW = RELEASES

# Resolution 202/2025/QH15: new province <- the provinces it absorbed (the 11 unchanged absorb
# none). Names as data/reference/provinces.csv spells them.
RESOLUTION_202 = {
    "Tuyên Quang": ["Hà Giang"], "Lào Cai": ["Yên Bái"], "Thái Nguyên": ["Bắc Kạn"],
    "Phú Thọ": ["Vĩnh Phúc", "Hòa Bình"], "Bắc Ninh": ["Bắc Giang"], "Hưng Yên": ["Thái Bình"],
    "Hải Phòng": ["Hải Dương"], "Ninh Bình": ["Hà Nam", "Nam Định"], "Quảng Trị": ["Quảng Bình"],
    "Đà Nẵng": ["Quảng Nam"], "Quảng Ngãi": ["Kon Tum"], "Gia Lai": ["Bình Định"],
    "Khánh Hòa": ["Ninh Thuận"], "Lâm Đồng": ["Đắk Nông", "Bình Thuận"], "Đắk Lắk": ["Phú Yên"],
    "Hồ Chí Minh": ["Bình Dương", "Bà Rịa - Vũng Tàu"], "Đồng Nai": ["Bình Phước"],
    "Tây Ninh": ["Long An"], "Cần Thơ": ["Sóc Trăng", "Hậu Giang"],
    "Vĩnh Long": ["Bến Tre", "Trà Vinh"], "Đồng Tháp": ["Tiền Giang"], "Cà Mau": ["Bạc Liêu"],
    "An Giang": ["Kiên Giang"],
}
UNCHANGED = {"Hà Nội", "Huế", "Lai Châu", "Điện Biên", "Sơn La", "Lạng Sơn", "Quảng Ninh",
             "Thanh Hóa", "Nghệ An", "Hà Tĩnh", "Cao Bằng"}


def key(name: str) -> str:
    """As the SQL macro province_name_key: no diacritics, no Tỉnh/Thành phố prefix, letters only."""
    s = unicodedata.normalize("NFD", name.strip().lower()).replace("đ", "d")
    s = "".join(c for c in s if unicodedata.category(c) != "Mn")
    for prefix in ("tinh ", "thanh pho "):
        s = s.removeprefix(prefix)
    return "".join(c for c in s if c.isalnum())


def package(wheel: str) -> list[dict]:
    path = WHEELS / wheel
    if not path.exists():
        pytest.fail(f"{path} is missing: `make .venv/.dev` downloads it")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == RELEASES[wheel], wheel
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("vietnam_provinces/data/nested-divisions.json"))


@pytest.fixture(scope="module")
def ours() -> dict[str, list[dict]]:
    with (ROOT / "data" / "reference" / "provinces.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_map = defaultdict(list)
    for row in rows:
        by_map[row["map"]].append(row)
    return by_map


def names(row: dict) -> set[str]:
    return {key(row["name"])} | {key(a) for a in row["aliases"].split(";") if a.strip()}


def test_the_maps_have_63_and_34_provinces_with_unique_codes(ours):
    assert {m: len(rows) for m, rows in ours.items()} == {"63": 63, "34": 34}
    for rows in ours.values():
        assert len({r["code"] for r in rows}) == len(rows)
        assert len({k for r in rows for k in names(r)}) == sum(len(names(r)) for r in rows)


def test_the_63_provinces_are_the_statistics_offices(ours):
    theirs = {f"{p['code']:02d}": key(p["name"]) for p in package(OLD)}
    assert {r["code"] for r in ours["63"]} == set(theirs)
    differ = {r["code"]: r["name"] for r in ours["63"] if key(r["name"]) != theirs[r["code"]]}
    # The one difference, on purpose: the package's data (4 Jan 2025) names code 46 by the city
    # it became on 1 Jan 2025; PAPI 2011-2024 call it Thừa Thiên Huế. Huế is its alias here.
    assert differ == {"46": "Thừa Thiên Huế"}
    assert theirs["46"] in names(next(r for r in ours["63"] if r["code"] == "46"))


def test_the_34_provinces_are_the_statistics_offices(ours):
    theirs = {f"{p['code']:02d}": key(p["name"]) for p in package(NEW)}
    assert {r["code"]: key(r["name"]) for r in ours["34"]} == theirs


def test_each_old_province_goes_where_its_wards_went(ours):
    old_province_of_ward = {
        w["code"]: f"{p['code']:02d}"
        for p in package(OLD) for d in p["districts"] for w in d["wards"]
    }
    went_to: dict[str, Counter] = defaultdict(Counter)
    for p in package(NEW):
        for w in p["wards"]:
            if w["code"] in old_province_of_ward:
                went_to[old_province_of_ward[w["code"]]][f"{p['code']:02d}"] += 1
    # every old province's surviving wards are in one new province: the crosswalk is a function
    assert {old: list(new) for old, new in went_to.items() if len(new) != 1} == {}
    assert {r["code"]: r["successor_code"] for r in ours["63"]} == {
        old: next(iter(new)) for old, new in went_to.items()}


def test_the_crosswalk_is_resolution_202(ours):
    new_name = {r["code"]: r["name"] for r in ours["34"]}
    absorbed = defaultdict(set)
    for r in ours["63"]:
        successor = new_name[r["successor_code"]]
        if key(r["name"]) not in names(next(x for x in ours["34"] if x["name"] == successor)):
            absorbed[successor].add(r["name"])
    assert dict(absorbed) == {k: set(v) for k, v in RESOLUTION_202.items()}
    assert set(new_name.values()) == set(RESOLUTION_202) | UNCHANGED


def test_the_maps_meet_on_the_day_the_new_provinces_began(ours):
    assert {(r["valid_from"], r["valid_to"]) for r in ours["63"]} == {("2008-08-01", "2025-06-30")}
    assert {(r["valid_from"], r["valid_to"]) for r in ours["34"]} == {("2025-07-01", "")}


def test_the_papi_file_names_only_63_map_provinces(ours):
    with (ROOT / "data" / "sample" / "papi_dimensions.csv").open(encoding="utf-8") as f:
        in_file = {key(r["province_vi"]) for r in csv.DictReader(f)}
    assert len(in_file) == 63
    assert in_file <= {k for r in ours["63"] for k in names(r)}
