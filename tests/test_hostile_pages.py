"""Hostile pages are bounded: a listing's links (NEWSMON_LISTING_MAX_LINKS, crawler/listing_cap.py), and a
page's size and decompressed size, plain or rendered (DOWNLOAD_MAXSIZE; crawler/render/limits.py)."""

from __future__ import annotations

import re

from scrapy.http import HtmlResponse, Request

from crawler.items import TeaserItem
from crawler.listing_cap import LINKS_CUT, PAGES_CUT
from crawler.localsite import LocalSite
from crawler.localsite.server import FLOOD_ID
from spiders.ippen import MerkurSpider
from tests.crawling import crawl

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
        crawler = get_crawler(MerkurSpider, {"NEWSMON_LISTING_MAX_LINKS": limit})
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
