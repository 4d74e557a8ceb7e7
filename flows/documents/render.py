"""Words live in templates (flows/documents/templates/): the run summary, the Office digest, the
owner emails, the report and the appendices are Jinja2 templates, each the one place its
Vietnamese text is written. The data comes from the presentation marts (sql/reports/rpt_*),
already selected, counted, ordered and formatted in SQL; Python only hands it over.

The labels every document shares (a status, a stage, an appendix, an index) are macros of
`_labels.j2`; HTML is escaped by the engine (autoescape), text is not.
"""

from __future__ import annotations

import datetime as dt
import functools
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

from flows import vietnamese as vi

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _vi_number(value: Any, decimals: int | None = None) -> str:
    return vi.number(value, decimals)


def _vi_date(value: dt.date | dt.datetime | None) -> str:
    return "–" if value is None else vi.date(value)


def _vi_datetime(value: dt.datetime | None) -> str:
    return "–" if value is None else vi.datetime(value)


def _clip(text: str | None, width: int) -> str:
    """At most `width` characters, cut between words with an ellipsis (console tables)."""
    text = text or ""
    if len(text) <= width:
        return text
    return textwrap.shorten(text, width=width, placeholder="…") or text[: width - 1] + "…"


def columns(rows: list[list[Any]], headers: list[str]) -> str:
    """A fixed-width text table: a header line, a rule, the rows, each column as wide as its
    widest cell (the console summary)."""
    cells = [[("" if c is None else str(c)) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in cells]
    return "\n".join(lines)


def _codes(values: list[str] | None, limit: int = 8) -> str:
    values = list(values or [])
    return ", ".join(values[:limit]) + ("…" if len(values) > limit else "")


@functools.cache
def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=autoescape, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=False,
    )
    env.filters.update(vi_number=_vi_number, vi_date=_vi_date, vi_datetime=_vi_datetime,
                       clip=_clip, codes=_codes, columns=columns)
    env.globals.update(Decimal=Decimal)
    return env


def render(name: str, **context: Any) -> str:
    """A template by name: an .html one escapes every value it prints, a .txt one does not."""
    return _environment(name.endswith(".html.j2")).get_template(name).render(**context)


def labels():
    """The shared labels (`_labels.j2`) as Python calls them, for documents laid out in Python
    (the XLSX sheets, the DOCX tables): labels().status('met') == 'Đạt'."""
    return _environment(False).get_template("_labels.j2").module
