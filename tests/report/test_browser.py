"""The report in a real browser: Debian's headless Chromium renders it offline; the screenshot
is not blank and the key numbers are in the rendered DOM. Skipped, visibly, without Chromium
(CI installs it in .ci/run: apt-get install chromium fonts-dejavu)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.documents.report import write_report
from tests.conftest import PLAN, SAMPLE
from tests.helpers import build_db
from tests.report.browser import (
    CANDIDATES,
    colour_stats,
    dump_dom,
    find_chromium,
    pdf_pages,
    print_to_pdf,
    screenshot,
)

KEY_NUMBERS = ("2,0 điểm", "1,2 điểm", "-0,8 điểm", "78,63%", "≥ 88,63%", "79,66%",
               "-8,97 điểm %", "1,4148 điểm", "-0,0496 điểm", "15/03/2026", "-40,0%")

pytestmark = pytest.mark.real_process  # starts Chromium (make test-fast skips)


@pytest.fixture(scope="module")
def chromium() -> str:
    browser = find_chromium()
    if browser is None:
        pytest.skip(f"chromium not installed (looked for {', '.join(CANDIDATES)}): apt-get "
                    "install -y chromium fonts-dejavu, or set CHISO_CHROMIUM; .ci/run installs it")
    return browser


def test_report_renders_in_chromium(chromium: str, db: Path, tmp_path: Path) -> None:
    html, _ = write_report(db, tmp_path / "report")
    png = tmp_path / "report.png"
    screenshot(chromium, html, png)
    colours, ink = colour_stats(png)
    assert colours > 200, f"screenshot looks blank: {colours} colours"
    assert ink > 0.05, f"screenshot looks blank: {ink:.1%} of pixels not white"

    dom = dump_dom(chromium, html)
    for text in KEY_NUMBERS:
        assert text in dom, text
    assert "Văn phòng Sở" in dom and "Đội kiểm tra" in dom  # Vietnamese survives the round trip
    # The hostile criterion name stayed text: no script element made it into the DOM.
    assert "<script" not in dom.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom


def test_the_sample_report_prints_on_a4_landscape_in_at_most_8_pages(chromium, tmp_path):
    """The bundled sample's report, printed as the Office prints it: A4 landscape (842 x 595
    points), at most 8 pages, every section there."""
    db = tmp_path / "chiso.duckdb"
    build_db(db, SAMPLE, PLAN)
    html, _ = write_report(db, tmp_path / "report")
    pdf = tmp_path / "report.pdf"
    print_to_pdf(chromium, html, pdf)
    pages = pdf_pages(pdf)
    assert 1 <= len(pages) <= 8, f"{len(pages)} pages"
    assert all(abs(w - 842) < 2 and abs(h - 595) < 2 for w, h in pages), pages
    dom = dump_dom(chromium, html)
    for section in ("tong-quan", "can-khac-phuc", "tien-do", "theo-don-vi", "du-lieu"):
        assert f'id="{section}"' in dom, section

