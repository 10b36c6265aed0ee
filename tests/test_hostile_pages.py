"""Hostile pages are bounded: a listing's links (NEWSMON_LISTING_MAX_LINKS, crawler/discover/listing_cap.py), and a
page's size and decompressed size, plain or rendered (DOWNLOAD_MAXSIZE; crawler/runtime/render/limits.py)."""

from __future__ import annotations

import re

import pytest
from scrapy.http import HtmlResponse, Request

from crawler.discover.listing_cap import LINKS_CUT, PAGES_CUT
from crawler.model.items import TeaserItem
from spiders.ippen import MerkurSpider
from tests.support.crawling import crawl
from tests.support.localsite import LocalSite
from tests.support.localsite.server import FLOOD_ID
from tests.test_robots_crawl import needs_browser

FLOOD = re.compile(rf"-{str(FLOOD_ID)[:2]}\d{{6}}\.html$")


def test_a_20000_link_listing_gives_at_most_the_configured_teasers(mongo_uri, db, tmp_path):
    site = LocalSite(n_articles=8, seed=21)
    site.set_fault(r"^/$", "link_flood", links=20_000)
    with site.serve(port=0) as base_url:
        crawl(base_url, mongo_uri, db, tmp_path, "-s", "NEWSMON_LISTING_MAX_LINKS=300", "-s", "NEWSMON_RENDER=never")
    flood_teasers = [t for t in db.teasers.find({}, {"url": 1}) if FLOOD.search(t["url"])]
    assert 0 < len(flood_teasers) <= 300
    flood_fetches = [r for r in site.requests if FLOOD.search(r.path)]
    assert 0 < len(flood_fetches) <= 300, "article requests come from the kept teasers only"
    run = db.crawl_runs.find_one()
    assert run["status"] == "finished"
    assert run["counts"]["listings_cut"] == 1
    home_teasers = run["counts"]["listing_links_cut"] + 300
    assert home_teasers >= 20_000
    cut = [a for a in run["health"]["alerts"] if a["kind"] == "listing_cut"]
    assert cut and cut[0]["links_cut"] == run["counts"]["listing_links_cut"]
    assert run["health"]["metrics"]["listing_links_cut"] == run["counts"]["listing_links_cut"]


def test_the_cut_keeps_the_first_teasers_and_is_off_at_zero():
    from scrapy.utils.test import get_crawler

    site = LocalSite(n_articles=8, seed=22)
    site.set_fault(r"^/$", "link_flood", links=50)
    with site.serve(port=0) as base_url:
        import urllib.request

        body = urllib.request.urlopen(f"{base_url}/").read()
    url = "https://www.merkur.de/"
    response = HtmlResponse(url, body=body, request=Request(url))
    for limit, expected in ((10, 10), (0, None)):
        crawler = get_crawler(MerkurSpider, {"NEWSMON_LISTING_MAX_LINKS": limit, "NEWSMON_RENDER_SAMPLE_PAGES": 0})
        crawler.stats.open_spider()
        spider = MerkurSpider.from_crawler(crawler)
        everything = spider.read_listing(response)
        teasers = [i for i in spider.parse_listing(response) if isinstance(i, TeaserItem)]
        if expected is None:
            assert len(teasers) == len(everything) > 50
            assert crawler.stats.get_value(PAGES_CUT) is None
        else:
            assert [t.url for t in teasers] == [t.url for t in everything[:expected]]
            assert crawler.stats.get_value(LINKS_CUT) == len(everything) - expected


def crawl_one_page(site: LocalSite, path: str, mongo_uri, db, tmp_path, *args: str) -> tuple[dict, str]:
    """`-a url=` one article of `site`, which is rejected: the crawl could not do what it was asked (exit 1);
    returns its reject and the crawl's log."""
    with site.serve(port=0) as base_url:
        args = ("-a", f"url={base_url}{path}", "-s", "RETRY_TIMES=0", *args)
        crawl(base_url, mongo_uri, db, tmp_path, *args, exit_code=1)
    rejects = list(db.rejects.find())
    assert len(rejects) == 1, rejects
    return rejects[0], (tmp_path / "crawl-0.log").read_text(encoding="utf-8")


@pytest.mark.parametrize("render", ["never", "always"])
def test_a_gzip_bomb_is_cut_at_the_size_cap_plain_or_rendered(render, mongo_uri, db, tmp_path):
    if render == "always":
        needs_browser()
    site = LocalSite(n_articles=4, seed=23)
    path = site.article(site.seed_article_id).path
    site.set_fault(rf"^{re.escape(path)}$", "gzip_bomb", size=64 * 2**20)
    reject, log = crawl_one_page(site, path, mongo_uri, db, tmp_path, "-s", f"NEWSMON_RENDER={render}")
    # plain: Scrapy's decompression guard; rendered: the handler's byte count (crawler/runtime/render/limits.py)
    expected = "fetch: IgnoreRequest" if render == "never" else "fetch: DownloadCancelledError"
    assert reject["reason"] == expected
    assert "larger than download max size" in log or "exceeded DOWNLOAD_MAXSIZE" in log
    assert db.articles.count_documents({}) == 0


def test_a_rendered_page_announcing_more_than_the_cap_is_cut(mongo_uri, db, tmp_path):
    needs_browser()
    site = LocalSite(n_articles=4, seed=24)
    path = site.article(site.seed_article_id).path
    site.set_fault(rf"^{re.escape(path)}$", "huge", size=3 * 2**20)
    args = ("-s", "NEWSMON_RENDER=always", "-s", f"DOWNLOAD_MAXSIZE={2**20}")
    reject, _ = crawl_one_page(site, path, mongo_uri, db, tmp_path, *args)
    assert reject["reason"] == "fetch: DownloadCancelledError"
    assert "Expected to receive" in reject["detail"]


def test_a_rendered_page_slower_than_the_download_timeout_is_given_up(mongo_uri, db, tmp_path):
    needs_browser()
    site = LocalSite(n_articles=4, seed=25)
    path = site.article(site.seed_article_id).path
    site.set_fault(rf"^{re.escape(path)}$", "drip", chunk=512, interval=0.5)  # ~2 minutes for the page
    args = ("-s", "NEWSMON_RENDER=always", "-s", "DOWNLOAD_TIMEOUT=3", "-s", "NEWSMON_RENDER_TIMEOUT_MS=60000")
    reject, _ = crawl_one_page(site, path, mongo_uri, db, tmp_path, *args)
    assert reject["reason"] == "fetch: DownloadTimeoutError"
