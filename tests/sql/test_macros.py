"""sql/macros: each macro on the inputs that extracts really contain."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

import pytest


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("0,5", Decimal("0.5")),
        (" 1.25 ", Decimal("1.25")),
        ("10", Decimal("10")),
        ("0", Decimal("0")),
        ("1,2345678", Decimal("1.2345678")),  # published PAPI scores carry 7 places
        ("x", None),
        ("", None),
        ("1.234,5", None),  # thousands separators are not numbers here
        (None, None),
    ],
)
def test_parse_decimal(wh, cell, expected):
    got = wh.value("select parse_decimal(?)", [cell])
    assert got == expected
    if expected is not None:
        assert isinstance(got, Decimal)  # a DECIMAL, never a binary float
        kind = wh.value("select typeof(parse_decimal(?))", [cell])
        assert kind.startswith("DECIMAL(") and int(kind[:-1].split(",")[1]) >= 7, kind


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2023", 2023), (" 2024 ", 2024), ("412", 412), ("-1", -1),
        ("12.5", None), ("2023.6", None), ("1e3", None),  # never rounded into a whole number
        ("năm 2024", None), ("", None), (None, None),
    ],
)
def test_parse_integer(wh, cell, expected):
    assert wh.value("select parse_integer(?)", [cell]) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("1.1.", "1.1"),
        ("1.1.2", "1.1.2"),
        (" 3 ", "3"),
        ("VII", "7"),
        ("vii.", "7"),
        ("II.3", "2.3"),
        ("IV.2.1", "4.2.1"),
        ("X", "10"),
    ],
)
def test_norm_par_code(wh, code, expected):
    assert wh.value("select norm_par_code(?)", [code]) == expected


NFD_KHONG_AP_DUNG = unicodedata.normalize("NFD", "Không áp dụng")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Không áp dụng", True),
        ("KHÔNG ÁP DỤNG", True),
        (NFD_KHONG_AP_DUNG, True),
        ("khong ap dung", True),
        ("KAD", True),
        (" kad ", True),
        ("N/A", True),
        ("n/a", True),
        ("0", False),
        ("", False),
        ("Không", False),
        (None, False),
    ],
)
def test_is_not_applicable(wh, cell, expected):
    assert NFD_KHONG_AP_DUNG != "Không áp dụng"  # the case really is decomposed
    assert wh.value("select is_not_applicable(?)", [cell]) is expected


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [
        ("3", 4, "0.750000"),
        ("200", 3, "66.666667"),  # 66.6666666... rounds up
        ("100", 3, "33.333333"),  # 33.3333333... rounds down
        ("10", 3, "3.333333"),
        ("10", 4, "2.500000"),
        ("1", 8, "0.125000"),
        ("5", 2000000, "0.000003"),  # 0.0000025: exactly half, rounds up
        ("7.1279", 1, "7.127900"),
    ],
)
def test_exact_div_rounds_half_up_in_decimal(wh, num, den, expected):
    got = wh.value(f"select exact_div(cast('{num}' as decimal(18, 6)), {den})")
    assert got == Decimal(expected)
    assert str(got) == expected  # six places, not a float's digits


def test_exact_div_never_goes_through_a_float(wh):
    # 0.1 + 0.2 over 1 is exactly 0.3 in DECIMAL; 1/3 * 3 stays below 1 only by the rounding
    assert wh.value("select exact_div(cast(0.1 as decimal(18,6)) + 0.2, 1)") == Decimal("0.3")
    assert wh.value("select typeof(exact_div(1, 3))").startswith("DECIMAL")


@pytest.mark.parametrize(
    ("x", "places", "expected"),
    [
        ("1", 4, "1,0"),
        ("10", 4, "10,0"),
        ("0", 4, "0,0"),
        ("0.25", 4, "0,25"),
        ("1.5148", 4, "1,5148"),
        ("1.41485", 4, "1,4149"),
        ("85.123456", 2, "85,12"),
        ("75.005", 2, "75,01"),
        ("100", 2, "100,0"),
        ("0.1", 4, "0,1"),
    ],
)
def test_vi_num(wh, x, places, expected):
    assert wh.value(f"select vi_num(cast('{x}' as decimal(18, 6)), {places})") == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Đắk Lắk", "dak lak"),
        (unicodedata.normalize("NFD", "Đắk Lắk"), "dak lak"),
        ("  Bắc   Kạn ", "bac kan"),
        ("BẮC KẠN", "bac kan"),
        ("Bac Kan", "bac kan"),
        ("Thừa Thiên Huế", "thua thien hue"),
    ],
)
def test_fold_key(wh, name, expected):
    assert wh.value("select fold_key(?)", [name]) == expected
