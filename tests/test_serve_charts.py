"""The charts page of `newsmon serve`: its figures from the store, its SVG, and the page in headless Chromium on
the data of a crawl of the local site (the same crawl and server as tests/test_serve_browser.py)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.consumers.web import App
from crawler.consumers.web.stats import FIRST_HEADLINE_BUCKETS, collect, field_family
from crawler.consumers.web.svg import Series, axis_top, lines, stacked_bars
from tests.test_serve_app import EVIL, EVIL_ESCAPED, HOST, call
from tests.test_serve_browser import crawled, page, png_pixels, server  # noqa: F401 - fixtures used here too

NOW = datetime(2025, 5, 10, 12, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def changed(seq: int, days_ago: float, klass: str, field: str = "headline", site: str = "merkur.de", **more) -> dict:
    return {
        "_id": f"c{seq}",
        "seq": seq,
        "article_id": more.pop("article_id", f"{site}:{seq}"),
        "site": site,
        "field": field,
        "edit_class": klass,
        "version_to": more.pop("version_to", 2),
        "detected_at": NOW - timedelta(days=days_ago),
        "diff": [],
        **more,
    }


@pytest.fixture
def stocked(db):
    db.articles.insert_many(
        [
            {"_id": "merkur.de:1", "site": "merkur.de", "version": 3, "published": NOW - timedelta(days=2, hours=2)},
            {"_id": "merkur.de:2", "site": "merkur.de", "version": 1, "published": NOW - timedelta(days=1)},
            {"_id": "merkur.de:3", "site": "merkur.de", "version": 2},  # no publication date
            {"_id": "tz.de:1", "site": "tz.de", "version": 2, "published": NOW - timedelta(days=9)},
            {"_id": f"{EVIL}:1", "site": EVIL, "version": 1},
        ]
    )
    db.changes.insert_many(
        [
            # merkur.de:1: headline changed 30 min and 1 day after publication: the first one counts
            changed(1, 2, "headline_change", article_id="merkur.de:1"),
            changed(2, 1.06, "headline_change", article_id="merkur.de:1"),
            changed(3, 2, "typo_fix", "body"),
            changed(4, 0, "ab_flip", "teaser.headline", version_to=None),
            changed(5, 0, "ab_flip", "teaser.headline", version_to=None),
            changed(6, 0, "headline_change", "headline_variants.og"),
            changed(7, 0, "headline_change", article_id="merkur.de:3"),  # no `published`: not measured
            changed(8, 8.9, "headline_change", site="tz.de", article_id="tz.de:1"),  # 2.4 h after publication
            changed(9, 40, "rewording", "lead"),  # outside a 30-day window
        ]
    )
    db.changes.update_one({"_id": "c1"}, {"$set": {"detected_at": NOW - timedelta(days=2, hours=1, minutes=30)}})
    db.crawl_runs.insert_many(
        [
            {"_id": f"r{i}", "site": "merkur.de", "status": "finished", "started_at": NOW - timedelta(hours=10 - i),
             "health": {"metrics": {"articles": 10 + i, "coverage": {"kicker": 0.5 + i / 10, "headline": 1},
                                    "reject_rate": 0.1 * i, "http": {"error_rate": 0.0}}}}
            for i in range(3)
        ]
        + [{"_id": "old", "site": "merkur.de", "status": "failed", "started_at": NOW - timedelta(days=3)}]
    )  # fmt: skip
    return db


def test_the_figures_of_one_site_and_of_all(stocked):
    merkur = collect(stocked, "merkur.de", days=30, runs=3, now=NOW)
    assert len(merkur.days) == 30 and merkur.days[-1] == NOW.date()
    assert sum(merkur.by_class["headline_change"]) == 4 and merkur.by_class["headline_change"][-1] == 2
    assert sum(merkur.by_class["typo_fix"]) == 1 and "rewording" not in merkur.by_class  # day 40 is outside
    assert merkur.ab_flips[-1] == 2 and sum(merkur.ab_flips) == 2
    assert {k: sum(v) for k, v in merkur.by_field.items()} == {
        "headline": 3,
        "teaser.headline": 2,
        "headline_variants": 1,
        "body": 1,
    }
    assert merkur.edited == [("merkur.de", 2, 3)]
    assert merkur.first_headline_articles == 1  # merkur.de:3 has no publication date
    assert merkur.first_headline[0] == 1, "30 minutes after publication: the first bucket"
    assert [r.run_id for r in merkur.runs] == ["r0", "r1", "r2"] and merkur.runs[2].articles == 12
    assert merkur.runs[1].coverage == {"kicker": 0.6, "headline": 1.0} and merkur.runs[2].reject_rate == pytest.approx(
        0.2
    )

    everything = collect(stocked, None, days=30, runs=10, now=NOW)
    assert sum(everything.by_class["headline_change"]) == 5 and len(everything.runs) == 4
    assert everything.runs[0].run_id == "old" and everything.runs[0].articles is None
    assert [e[0] for e in everything.edited] == sorted(["merkur.de", "tz.de", EVIL])
    hours = [name for name, _ in FIRST_HEADLINE_BUCKETS]
    assert everything.first_headline[hours.index("1-3 h")] == 1 and everything.first_headline_articles == 2
    assert sum(collect(stocked, "merkur.de", days=1, runs=1, now=NOW).by_class["headline_change"]) == 2
    assert (
        field_family("headline_variants.og") == "headline_variants" and field_family("teaser.kicker") == "teaser.kicker"
    )


def test_the_page_is_escaped_svg_with_bounded_parameters(stocked):
    app = App(stocked, allowed_hosts={"127.0.0.1:8700"})
    status, _, body = call(app, "/charts", {"days": "30"}, **HOST)
    assert status == "200 OK" and "<script" not in body and EVIL_ESCAPED in body
    charts = re.findall(r"<svg .*?</svg>", body, flags=re.S)
    assert len(charts) == 8
    for chart in charts:
        ET.fromstring(chart)  # well formed, so the browser draws it
    status, _, body = call(app, "/charts", {"site": EVIL}, **HOST)
    assert status == "200 OK" and f"Charts · {EVIL_ESCAPED}" in body
    for bad in ({"days": "0"}, {"days": "366"}, {"runs": "101"}, {"days": "$gt"}):
        assert call(app, "/charts", bad, **HOST)[0] == "400 Bad Request", bad


def test_bars_and_lines_draw_what_they_are_given():
    svg = ET.fromstring(
        stacked_bars("t", ["a", "b", "c"], [Series("x", "#111", [1, 0, 2]), Series(EVIL, "#222", [3, 0, 0])])
    )
    bars = svg.findall(f".//{SVG}rect[@class='bar']")
    assert [b.find(f"{SVG}title").text for b in bars] == ["a: x 1", f"a: {EVIL} 3", "c: x 2"]
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] == pytest.approx(3 * heights[0]) and heights[2] == pytest.approx(2 * heights[0])
    line = ET.fromstring(lines("t", ["a", "b", "c", "d"], [Series("s", "#111", [0.5, None, 0.25, 1.0])], percent=True))
    assert len(line.findall(f".//{SVG}polyline")) == 1, "a gap breaks the line: only c-d is drawn as a line"
    assert len(line.findall(f".//{SVG}circle")) == 3
    assert "no data" in stacked_bars("t", ["a"], [Series("x", "#111", [0])])
    assert axis_top(7) == (8, 2) and axis_top(0.4, whole=False) == (0.4, 0.1) and axis_top(1) == (1, 1)


# --- in a browser, on a crawl of the local site --------------------------------------------------------------


def test_the_charts_page_shows_the_crawl_in_chromium(server, page, crawled, tmp_path: Path):  # noqa: F811
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(server)
    page.click("header a[href='/charts']")
    page.wait_for_url("**/charts")
    assert page.title() == "newsmon · charts · all sites"
    charts = page.locator("svg.chart")
    assert charts.count() == 8
    changes = crawled.db.changes.count_documents({})
    day_bars = charts.nth(0).locator("rect.bar")
    assert day_bars.count() >= 1
    drawn = sum(int(t.rsplit(" ", 1)[1]) for t in day_bars.locator("title").all_text_contents())
    assert drawn == changes, "every change of the crawl is in the edits-per-day bars"
    assert charts.nth(2).locator("rect.bar").count() == 1 and "merkur.de" in charts.nth(2).text_content()
    runs = crawled.db.crawl_runs.count_documents({})
    assert charts.nth(5).locator("rect.bar").count() == runs == 2
    assert charts.nth(6).locator("circle.point").count() >= 2 * runs, "coverage of several fields per run"
    box = charts.nth(0).bounding_box()
    assert box and box["width"] > 800 and box["height"] > 150, box
    page.click("a:text-is('merkur.de')")
    page.wait_for_url("**/charts?site=merkur.de*")
    assert page.locator("h1").inner_text() == "Charts · merkur.de" and page.locator("svg.chart").count() == 8
    assert page.locator("script").count() == 0 and page.evaluate("window.pwned") is None
    assert problems == []

    shot = page.screenshot(full_page=False)
    (tmp_path / "charts.png").write_bytes(shot)
    width, height, pixels = png_pixels(shot)
    colors = Counter(pixels)
    assert (width, height) == (1100, 800)
    assert len(colors) >= 30, f"only {len(colors)} colors: is the page blank?"
    assert colors.most_common(1)[0][1] / len(pixels) < 0.95
    fills = {
        bytes.fromhex(f.lstrip("#")) for f in day_bars.evaluate_all("bars => bars.map(b => b.getAttribute('fill'))")
    }
    assert fills & set(colors), "the bars' colors are on the screen"
