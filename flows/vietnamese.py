"""How people read things here: Vietnamese text folding, numbers, percentages, dates, sorting."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

# Vietnamese alphabet order; Đ comes right after D (Python's default puts it after Z). The
# letters Vietnamese does not use (f, j, w, z) keep their Latin places, for foreign names.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_ORDER = {ch: i for i, ch in enumerate(_ALPHABET)}
# Tones, in dictionary order: none, huyền, sắc, hỏi, ngã, nặng.
_TONES = {"\u0300": 1, "\u0301": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}

def fold(text: str) -> str:
    """Lower-case ASCII form: diacritics removed, đ/Đ folded to d (NFD leaves them alone)."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return stripped.replace("đ", "d").replace("Đ", "D").lower()


def snake(text: str) -> str:
    """A header as a snake_case key: 'Điểm tối đa' -> 'diem_toi_da'."""
    return re.sub(r"[^a-z0-9]+", "_", fold(text)).strip("_")


def _base_letter(ch: str) -> str:
    """The letter of the Vietnamese alphabet a character belongs to, tone marks removed."""
    decomposed = unicodedata.normalize("NFD", ch.lower())
    base = decomposed[0]
    marks = decomposed[1:]
    # Breve, circumflex and horn make letters of their own; tone marks do not.
    if base == "a" and "\u0306" in marks:
        return "ă"
    if base in "aeo" and "\u0302" in marks:
        return {"a": "â", "e": "ê", "o": "ô"}[base]
    if base in "ou" and "\u031b" in marks:
        return {"o": "ơ", "u": "ư"}[base]
    return base


def sort_key(text: str) -> tuple:
    """Sort key that puts Vietnamese names in dictionary order (Đ after D, Ă/Â after A).

    Letters decide first, over the whole text; only names that differ by tone marks alone
    are then told apart by tone (none, huyền, sắc, hỏi, ngã, nặng), then by case. A space
    comes before any letter ("An Giang" before "Anh"), digits before letters.
    """
    letters, tones = [], []
    for ch in unicodedata.normalize("NFC", text):
        base = _base_letter(ch)
        if base in _ORDER:
            letters.append((3, _ORDER[base]))
        elif ch.isspace():
            letters.append((0, 0))
        elif ch.isdigit():
            letters.append((2, ord(ch)))
        elif not ch.isalpha():
            letters.append((1, ord(ch)))
        else:
            letters.append((4, ord(base)))
        marks = unicodedata.normalize("NFD", ch)[1:]
        tones.append(max((_TONES.get(m, 0) for m in marks), default=0))
    return tuple(letters), tuple(tones), unicodedata.normalize("NFC", text).swapcase()

def number(value: Decimal | float | int | None, decimals: int | None = None) -> str:
    """1234.5 -> '1.234,5'. With decimals=None, trailing zeros are dropped (at most 4 kept)."""
    if value is None:
        return "–"
    d = Decimal(str(value))
    if decimals is None:
        d = d.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP).normalize()
        text = f"{d:f}"
    else:
        text = f"{d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP):f}"
    sign = "-" if text.startswith("-") and text.strip("-0.") else ""  # no "-0" after rounding
    whole, _, frac = text.lstrip("-").partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"{sign}{grouped},{frac}" if frac else f"{sign}{grouped}"


def points(value: Decimal | float | int | None) -> str:
    """A score in points, at least one decimal: 1 -> '1,0 điểm', 1.4148 -> '1,4148 điểm'."""
    if value is None:
        return "–"
    text = number(value)
    if "," not in text:
        text += ",0"
    return f"{text} điểm"


def percent(value: Decimal | float | int | None, decimals: int = 2) -> str:
    """75.03 -> '75,03%'."""
    if value is None:
        return "–"
    return f"{number(value, decimals)}%"


def signed(value: Decimal | float | int | None, decimals: int | None = None) -> str:
    """A gap with its sign: +0,5 or -1,25; a zero gap is plain 0."""
    if value is None:
        return "–"
    text = number(value, decimals)
    if text.startswith("-") or not text.strip("0,"):
        return text
    return f"+{text}"


def date(value: dt.date | dt.datetime) -> str:
    """dd/mm/yyyy."""
    return value.strftime("%d/%m/%Y")


def datetime(value: dt.datetime) -> str:
    """dd/mm/yyyy HH:MM."""
    return value.strftime("%d/%m/%Y %H:%M")
