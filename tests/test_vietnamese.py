"""How people read things: folding, snake_case keys, numbers, dates and Vietnamese sorting."""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal

import pytest

from flows import vietnamese as vi


@pytest.mark.parametrize(
    "text, folded",
    [
        ("Điểm tối đa", "diem toi da"),
        ("ĐIỂM TỐI ĐA", "diem toi da"),
        ("đ", "d"),
        ("Đ", "d"),
        ("Đắk Lắk", "dak lak"),
        ("Bắc Kạn", "bac kan"),
        ("Thừa Thiên Huế", "thua thien hue"),
        ("Tỷ lệ hài lòng (%)", "ty le hai long (%)"),
        ("ƯỚC LƯỢNG ơ ư ă â ê ô", "uoc luong o u a a e o"),
        ("plain ascii 123", "plain ascii 123"),
    ],
)
def test_fold(text, folded):
    assert vi.fold(text) == folded


def test_fold_handles_decomposed_input():
    decomposed = unicodedata.normalize("NFD", "Điểm Đắk Lắk")
    assert vi.fold(decomposed) == "diem dak lak"


@pytest.mark.parametrize(
    "text, key",
    [
        ("Điểm tối đa", "diem_toi_da"),
        ("diem toi da", "diem_toi_da"),
        ("DIEM_TOI_DA", "diem_toi_da"),
        ("ĐIỂM TỐI ĐA", "diem_toi_da"),
        ("  Mã đơn vị  ", "ma_don_vi"),
        ("Tỷ lệ hài lòng (%)", "ty_le_hai_long"),
        ("Điểm-tự--đánh giá", "diem_tu_danh_gia"),
        ("unit_code", "unit_code"),
        ("", ""),
    ],
)
def test_snake(text, key):
    assert vi.snake(text) == key


@pytest.mark.parametrize(
    "value, decimals, text",
    [
        (36525, None, "36.525"),
        (1234567.891, None, "1.234.567,891"),
        (1.5, None, "1,5"),
        (Decimal("1.41480"), None, "1,4148"),
        (Decimal("1.41485"), None, "1,4149"),  # at most 4 decimals, half up
        (Decimal("2.00"), None, "2"),
        (100, None, "100"),
        (0, None, "0"),
        (-1.25, None, "-1,25"),
        (-1234.5, None, "-1.234,5"),
        (75.025, 2, "75,03"),
        (Decimal("0.5"), 0, "1"),
        (1.5, 2, "1,50"),
        (Decimal("-0.00001"), None, "0"),  # no "-0" after rounding
        (Decimal("-0.004"), 2, "0,00"),
        (None, None, "–"),
    ],
)
def test_number(value, decimals, text):
    assert vi.number(value, decimals) == text


@pytest.mark.parametrize(
    "value, text",
    [(1.5, "1,5 điểm"), (1, "1,0 điểm"), (Decimal("1.4148"), "1,4148 điểm"), (10, "10,0 điểm"),
     (0, "0,0 điểm"), (None, "–")],
)
def test_points(value, text):
    assert vi.points(value) == text


@pytest.mark.parametrize(
    "value, decimals, text",
    [(75.03, 2, "75,03%"), (Decimal("78.17"), 2, "78,17%"), (100, 2, "100,00%"),
     (Decimal("66.6666"), 1, "66,7%"), (None, 2, "–")],
)
def test_percent(value, decimals, text):
    assert vi.percent(value, decimals) == text


@pytest.mark.parametrize(
    "value, decimals, text",
    [(0.5, None, "+0,5"), (-1.25, None, "-1,25"), (Decimal("0.1000"), None, "+0,1"),
     (10, 2, "+10,00"), (-2000, None, "-2.000"), (Decimal("-0.00001"), None, "0"), (0, None, "0"),
     (None, None, "–")],
)
def test_signed(value, decimals, text):
    assert vi.signed(value, decimals) == text


def test_dates():
    assert vi.date(dt.date(2024, 1, 5)) == "05/01/2024"
    assert vi.date(dt.datetime(2024, 12, 31, 23, 59)) == "31/12/2024"
    assert vi.datetime(dt.datetime(2024, 6, 7, 8, 9)) == "07/06/2024 08:09"


# --- sorting --------------------------------------------------------------------------------

def vsorted(names):
    return sorted(names, key=vi.sort_key)


def test_d_stroke_sorts_after_d_and_before_e():
    assert vsorted(["E", "Đ", "D", "Z"]) == ["D", "Đ", "E", "Z"]
    assert vsorted(["đa", "dz", "ea"]) == ["dz", "đa", "ea"]


def test_breve_and_circumflex_after_a():
    assert vsorted(["Âu", "Ba", "Ăn", "Anh", "Az"]) == ["Anh", "Az", "Ăn", "Âu", "Ba"]
    assert vsorted(["ơ", "ô", "o", "p"]) == ["o", "ô", "ơ", "p"]
    assert vsorted(["ư", "u", "v"]) == ["u", "ư", "v"]
    assert vsorted(["ê", "e", "g"]) == ["e", "ê", "g"]


def test_provinces_in_dictionary_order():
    provinces = ["Gia Lai", "Đồng Tháp", "Dương", "Điện Biên", "Đắk Lắk", "Cà Mau", "Hà Nội",
                 "Đắk Nông", "Đà Nẵng", "Bắc Kạn", "Bà Rịa - Vũng Tàu", "An Giang", "Bạc Liêu"]
    assert vsorted(provinces) == [
        "An Giang", "Bà Rịa - Vũng Tàu", "Bạc Liêu", "Bắc Kạn", "Cà Mau", "Dương", "Đà Nẵng",
        "Đắk Lắk", "Đắk Nông", "Điện Biên", "Đồng Tháp", "Gia Lai", "Hà Nội",
    ]


def test_letters_decide_before_tone_marks():
    # Bug fixed: a tone mark on an early letter used to outweigh a later letter.
    assert vsorted(["Bà Rịa", "Ba Vì"]) == ["Bà Rịa", "Ba Vì"]
    assert vsorted(["Hà Tĩnh", "Hà Nam", "Hải Phòng", "Hà Giang", "Hậu Giang", "Hòa Bình"]) == [
        "Hà Giang", "Hà Nam", "Hà Tĩnh", "Hải Phòng", "Hậu Giang", "Hòa Bình"]


def test_tones_break_ties_in_dictionary_order():
    assert vsorted(["mạ", "mã", "mả", "má", "mà", "ma"]) == ["ma", "mà", "má", "mả", "mã", "mạ"]


def test_space_sorts_before_letters():
    # Bug fixed: a space used to sort after every letter, so "Anh" came before "An Giang".
    assert vsorted(["Anh", "An Giang", "An"]) == ["An", "An Giang", "Anh"]


def test_sort_key_ignores_normalisation_form():
    nfc = "Đắk Lắk"
    assert vi.sort_key(unicodedata.normalize("NFD", nfc)) == vi.sort_key(nfc)


def test_sort_is_total_and_stable_for_case():
    assert vsorted(["ba", "BA", "Ba"]) == vsorted(["Ba", "BA", "ba"])
    assert vi.sort_key("Ba") != vi.sort_key("ba")
