"""Headless Chromium for the report tests: find the browser, take a screenshot, dump the DOM,
and tell a blank screenshot from a rendered page (PNG decoded with zlib + numpy)."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import numpy as np

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", "--hide-scrollbars"]


def find_chromium() -> str | None:
    """The browser to use: $CHISO_CHROMIUM, else the first of CANDIDATES on PATH."""
    explicit = os.environ.get("CHISO_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else shutil.which(explicit)
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def _run(browser: str, args: list[str], timeout: int = 120) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="chiso-chromium-") as profile:
        return subprocess.run(
            [browser, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=timeout, check=False,
        )


def screenshot(browser: str, page: Path, png: Path, size: str = "1280,2000") -> None:
    done = _run(browser, [f"--screenshot={png}", f"--window-size={size}", page.as_uri()])
    if done.returncode != 0 or not png.exists():
        raise RuntimeError(f"chromium screenshot failed ({done.returncode}): {done.stderr[-2000:]}")


def print_to_pdf(browser: str, page: Path, pdf: Path) -> None:
    """Print the page as a person would (the page's own @page size), no header or footer."""
    done = _run(browser, [f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri()])
    if done.returncode != 0 or not pdf.exists():
        raise RuntimeError(f"chromium print failed ({done.returncode}): {done.stderr[-2000:]}")


def pdf_pages(pdf: Path) -> list[tuple[float, float]]:
    """Each page's size in points (width, height), from the PDF's /MediaBox entries."""
    data = pdf.read_bytes().decode("latin-1")
    boxes = re.findall(r"/Type\s*/Page\b(?!s).*?/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+"
                       r"([\d.]+)\s+([\d.]+)\s*\]", data, re.S)
    return [(float(x1) - float(x0), float(y1) - float(y0)) for x0, y0, x1, y1 in boxes]


def dump_dom(browser: str, page: Path) -> str:
    done = _run(browser, ["--dump-dom", page.as_uri()])
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"chromium --dump-dom failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def decode_png(data: bytes) -> np.ndarray:
    """8-bit, non-interlaced RGB/RGBA PNG (what Chromium writes) as an (h, w, channels) array."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unsupported PNG {header}"
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=start + 1).copy()
        if kind == 1:  # Sub: a running sum per channel
            line = (np.cumsum(line.reshape(width, bpp).astype(np.uint32), axis=0) % 256) \
                .astype(np.uint8).reshape(stride)
        elif kind == 2:  # Up
            line = line + prev
        elif kind in (3, 4):  # Average, Paeth: sequential, done in plain Python
            cur, up = bytearray(line.tobytes()), prev.tobytes()
            for i in range(stride):
                left = cur[i - bpp] if i >= bpp else 0
                if kind == 3:
                    cur[i] = (cur[i] + ((left + up[i]) >> 1)) & 0xFF
                else:
                    upleft = up[i - bpp] if i >= bpp else 0
                    cur[i] = (cur[i] + _paeth(left, up[i], upleft)) & 0xFF
            line = np.frombuffer(bytes(cur), dtype=np.uint8)
        out[y] = line
        prev = line
    return out.reshape(height, width, bpp)


def colour_stats(png: Path) -> tuple[int, float]:
    """Distinct colours in the image, and the share of pixels that are not near-white."""
    pixels = decode_png(png.read_bytes())[:, :, :3]
    flat = pixels.reshape(-1, 3).astype(np.uint32)
    packed = (flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]
    non_white = float((pixels.min(axis=2) < 240).mean())
    return len(np.unique(packed)), non_white
