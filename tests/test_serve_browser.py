"""`newsmon serve` end to end in headless Chromium, on the data of a real crawl with an edit between two crawls.

The server runs as `python -m crawler.apps.cli serve --port 0` in a subprocess; the browser is Debian's Chromium
driven by Playwright's sync API (no Scrapy reactor in this process), launched with newsmon's own options.
"""

from __future__ import annotations

import os
import re
import select
import struct
import subprocess
import sys
import zlib
from collections import Counter
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, sync_playwright

from crawler.config import load_settings
from crawler.runtime.render.browser import find_browser, launch_options
from tests.test_consumers_data import HOSTILE_HEADLINE, NEW_KICKER, crawled_database


@pytest.fixture(scope="module")
def crawled(mongo_uri, tmp_path_factory):
    with crawled_database(mongo_uri, tmp_path_factory.mktemp("serve")) as data:
        yield data


@pytest.fixture(scope="module")
def server(crawled, tmp_path_factory) -> Iterator[str]:
    env = {
        **os.environ,
        "MONGO_URI": crawled.uri,
        "NEWSMON_MONGO_DB": crawled.db.name,
        "NEWSMON_DATA_DIR": str(tmp_path_factory.mktemp("serve-data")),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.apps.cli", "serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        line = proc.stdout.readline() if ready else ""
        assert line.startswith("newsmon serve: http://127.0.0.1:"), line + proc.stderr.read()
        yield line.split()[2]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


@pytest.fixture(scope="module")
def page(server) -> Iterator[Page]:
    settings = load_settings()
    find_browser(settings)  # a missing browser fails with what to install
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options(settings))
        try:
            context = browser.new_context(viewport={"width": 1100, "height": 800})
            tab = context.new_page()
            tab.set_default_timeout(5000)
            yield tab
            context.close()
        finally:
            browser.close()


def test_recent_changes_show_a_side_by_side_diff_with_the_headline_as_text(server, page, crawled):
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(server)
    assert page.title() == "newsmon · changes"
    cards = page.locator("article.change")
    assert cards.count() == crawled.db.changes.count_documents({})
    card = cards.filter(has=page.locator("b").filter(has_text=re.compile(r"^headline$"))).filter(has_text="Eskalation")
    assert card.count() == 1
    assert HOSTILE_HEADLINE in card.locator(".diff .new").inner_text()
    assert "Eskalation" in card.locator("ins").first.inner_text()
    assert card.locator(".diff .old del").count() >= 1 and crawled.old_headline.split()[0] in card.inner_text()
    assert page.locator("script").count() == 0 and page.locator("main img").count() == 0
    assert page.evaluate("window.pwned") is None
    assert problems == []


def test_filters_narrow_the_list(server, page):
    page.goto(server)
    page.fill("input[name=field]", "kicker")
    page.select_option("select[name=class]", "headline_change")
    page.click("button[type=submit]")
    page.wait_for_url("**/?*field=kicker*")
    fields = page.locator("article.change b").all_inner_texts()
    assert fields and set(fields) == {"kicker"}
    assert NEW_KICKER in page.locator("article.change .diff .new").first.inner_text()
    page.select_option("select[name=site]", "merkur.de")
    page.fill("input[name=since]", "2999-01-01")
    page.click("button[type=submit]")
    assert page.locator("p.empty").inner_text() == "No changes match."


def test_the_article_page_has_the_version_history_and_teaser_variants(server, page, crawled):
    page.goto(server + "?field=headline")
    page.locator("article.change > div > a", has_text="Eskalation").first.click()
    page.wait_for_url("**/article?id=*")
    assert page.locator("h1").inner_text() == HOSTILE_HEADLINE
    history = page.locator("table").first.locator("tr")
    assert history.count() == 3  # header + v1 + v2
    assert history.nth(2).inner_text().startswith("v2") and NEW_KICKER in history.nth(2).inner_text()
    variants = page.locator("table").nth(1).inner_text()
    assert HOSTILE_HEADLINE in variants and crawled.old_headline[:30] in variants.replace("\t", " ")
    assert page.locator("script").count() == 0 and page.evaluate("window.pwned") is None

    shot = page.screenshot(full_page=False)
    width, height, pixels = png_pixels(shot)
    colors = Counter(pixels)
    dominant_share = colors.most_common(1)[0][1] / len(pixels)
    assert (width, height) == (1100, 800)
    assert len(colors) >= 30, f"only {len(colors)} colors: is the page blank?"
    assert dominant_share < 0.95, f"{dominant_share:.1%} of the screenshot is one color"


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB(A), non-interlaced PNG (what Chromium writes) with the standard library."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, bytearray()
    width = height = depth = color = interlace = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
    assert depth == 8 and color in (2, 6) and interlace == 0, (depth, color, interlace)
    bpp = 3 if color == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(bytes(idat))
    prev = bytearray(stride)
    pixels: list[bytes] = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(kind, line, prev, bpp)
        pixels.extend(bytes(line[x : x + 3]) for x in range(0, stride, bpp))
        prev = line
    return width, height, pixels


def _unfilter(kind: int, line: bytearray, prev: bytearray, bpp: int) -> None:
    if kind == 0:
        return
    if kind == 2:
        line[:] = bytes((a + b) & 0xFF for a, b in zip(line, prev, strict=True))
        return
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = prev[i]
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            corner = prev[i - bpp] if i >= bpp else 0
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        else:
            raise ValueError(f"PNG filter {kind}")
