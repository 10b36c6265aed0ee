"""The IPPEN spider's routing, offline: responses built by hand, no network."""

from __future__ import annotations

import asyncio

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.discover.spider import START_META
from crawler.model.items import ArticleItem, RejectItem, TeaserItem
from spiders.ippen import IppenSpider, MerkurSpider

BASE = "http://127.0.0.1:8800"


def html(url: str, body: str) -> HtmlResponse:
    return HtmlResponse(url=url, body=body.encode("utf-8"), encoding="utf-8", request=Request(url))


async def _collect(spider: IppenSpider) -> list[Request]:
    return [r async for r in spider.start()]


def start_urls(spider: IppenSpider) -> list[str]:
    return [r.url for r in asyncio.run(_collect(spider))]


def test_start_covers_homepage_sections_feeds_and_sitemaps():
    urls = start_urls(MerkurSpider(base_url=BASE))
    assert f"{BASE}/" in urls
    assert f"{BASE}/politik/" in urls
    assert f"{BASE}/welt/rssfeed.rdf" in urls
    assert f"{BASE}/news.xml" in urls and f"{BASE}/sitemap-index.xml" in urls


def test_section_argument_narrows_and_url_argument_fetches_one_article():
    urls = start_urls(MerkurSpider(base_url=BASE, section="bayern"))
    assert urls == [f"{BASE}/bayern/", f"{BASE}/bayern/rssfeed.rdf"]
    one = f"{BASE}/welt/some-article-91234567.html"
    assert start_urls(MerkurSpider(base_url=BASE, url=one)) == [one]


def test_unknown_site_is_a_clear_error():
    with pytest.raises(ValueError, match=r"unknown IPPEN site 'example\.org'"):
        IppenSpider(site="example.org")


def test_listing_yields_teasers_and_each_article_once_without_tracking(fixtures_dir):
    body = (fixtures_dir / "listings/deichstube_news_2017_12_18.html").read_text(encoding="utf-8")
    # The fixture links to deichstube.de: crawl it as if it were the local site's host.
    spider = MerkurSpider(base_url="https://www.deichstube.de")
    out = list(spider.parse_listing(html("https://www.deichstube.de/news", body)))
    teasers = [o for o in out if isinstance(o, TeaserItem)]
    requests = [o for o in out if isinstance(o, Request)]
    assert len(teasers) >= 9
    assert len({r.url for r in requests}) == len(requests) == len({t.publisher_id for t in teasers})
    assert all("?" not in r.url and r.url.endswith(".html") for r in requests)


def test_max_articles_caps_scheduling():
    spider = MerkurSpider(base_url=BASE, max_articles="2")
    urls = [f"{BASE}/welt/a-{91000000 + i}.html?itm_source=feed" for i in range(5)]
    assert len(list(spider._article_requests(urls + urls))) == 2


def test_offsite_and_non_article_links_are_ignored():
    spider = MerkurSpider(base_url=BASE)
    urls = ["https://elsewhere.example/a-91234567.html", f"{BASE}/welt/", f"{BASE}/impressum.html"]
    assert list(spider._article_requests(urls)) == []


def test_sitemap_since_filters_old_entries():
    sitemap = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{BASE}/welt/alt-91000001.html</loc><lastmod>2025-01-01T10:00:00+01:00</lastmod></url>
<url><loc>{BASE}/welt/neu-91000002.html</loc><lastmod>2026-11-20T10:00:00+01:00</lastmod></url>
</urlset>"""
    spider = MerkurSpider(base_url=BASE, since="2026-11-01")
    response = XmlResponse(url=f"{BASE}/news.xml", body=sitemap.encode(), request=Request(f"{BASE}/news.xml"))
    assert [r.url for r in spider.parse_sitemap(response)] == [f"{BASE}/welt/neu-91000002.html"]


def test_unreadable_article_becomes_a_reject():
    spider = MerkurSpider(base_url=BASE)
    url = f"{BASE}/welt/x-91000001.html"
    # auto rendering (crawler.runtime.render): a page without headline or body is fetched once more, rendered
    (again,) = list(spider.parse_article(html(url, "<html><body>Fehler</body></html>")))
    assert isinstance(again, Request) and again.meta["playwright"] and again.dont_filter
    rendered = HtmlResponse(url=url, body=b"<html><body>Fehler</body></html>", request=again, flags=["playwright"])
    out = list(spider.parse_article(rendered))
    assert len(out) == 1 and isinstance(out[0], RejectItem)
    assert out[0].reason == "extraction: no headline"
    assert not spider.render.should_render("article"), "a page that rendering did not help is not remembered"


def test_http_error_becomes_a_reject_with_its_status():
    spider = MerkurSpider(base_url=BASE)
    url = f"{BASE}/welt/x-91000001.html"
    response = Response(url=url, status=500, request=Request(url))
    failure = Failure(HttpError(response))
    failure.request = Request(url)  # set by Scrapy on errback failures
    (reject,) = list(spider.on_error(failure))
    # crawled through a mirror (base_url), kept keyed to the real site
    real = "https://www.merkur.de/welt/x-91000001.html"
    assert (reject.url, reject.reason, reject.site) == (real, "http 500", "merkur.de")


def test_a_configured_section_or_feed_answering_404_is_a_finding_not_a_reject():
    spider = MerkurSpider(base_url=BASE)
    for url in (f"{BASE}/bayern/", f"{BASE}/sport/rssfeed.rdf", f"{BASE}/welt/x-91000001.html"):
        response = Response(url=url, status=404, request=Request(url))
        failure = Failure(HttpError(response))
        failure.request = Request(url)
        rejects = list(spider.on_error(failure))
        assert len(rejects) == (1 if url.endswith(".html") else 0), url  # a missing article stays a reject
    assert spider.discovery_missing == {
        "https://www.merkur.de/bayern/": 404,
        "https://www.merkur.de/sport/rssfeed.rdf": 404,
    }


def test_a_section_the_user_asked_for_answering_404_is_a_failed_start_not_a_finding():
    """`-a section=nosuch`: the user's request, not the site's configuration, names the page: a reject and a
    failed start; the default sections' 404s are findings but still failed starts (a run none of whose starts
    answered failed)."""
    for spider, url in (
        (MerkurSpider(base_url=BASE, section="nosuch"), f"{BASE}/nosuch/"),
        (MerkurSpider(base_url=BASE), f"{BASE}/bayern/"),
    ):
        response = Response(url=url, status=404, request=Request(url))
        failure = Failure(HttpError(response))
        failure.request = Request(url, meta={START_META: True})
        rejects = list(spider.on_error(failure))
        asked = "section" in spider.run_args
        assert [r.reason for r in rejects] == (["http 404"] if asked else [])
        assert spider.discovery_missing == ({} if asked else {"https://www.merkur.de/bayern/": 404})
        assert spider._starts == {"answered": 0, "failed": 1}
        assert spider._start_errors == [f"{url}: http 404"]


def test_a_page_robots_txt_forbids_is_no_reject_but_a_failed_start():
    url = f"{BASE}/"
    spider = MerkurSpider(base_url=BASE)
    failure = Failure(IgnoreRequest("Forbidden by robots.txt"))
    failure.request = Request(url, meta={START_META: True})
    assert list(spider.on_error(failure)) == []
    assert spider._start_errors == [f"{url}: forbidden by robots.txt"]
    other = Failure(IgnoreRequest("Filtered offsite request to 'x'"))
    other.request = Request(url)
    assert [r.reason for r in spider.on_error(other)] == ["fetch: IgnoreRequest"]


def test_article_page_is_extracted(fixtures_dir):
    body = (fixtures_dir / "articles/fundus/de/Merkur_2023_04_28.html").read_text(encoding="utf-8")
    (item,) = list(MerkurSpider().parse_article(html("https://www.merkur.de/welt/x-92243692.html", body)))
    assert isinstance(item, ArticleItem)
    assert item.site == "merkur.de" and item.publisher_id == "92243692"
    assert item.extractor == "ippen/2023"


def test_an_article_in_a_layout_no_ippen_generation_knows_is_read_by_the_generic_extractor():
    paragraphs = "".join(
        f"<p>Absatz {i} eines Artikels in einem Layout, das noch kein Profil kennt.</p>" for i in range(4)
    )
    body = f"<html lang=de><body><div class=id-Article-headline-x></div><main><h1>Neues Layout</h1>{paragraphs}</main>"
    (item,) = list(MerkurSpider().parse_article(html("https://www.merkur.de/welt/x-92243693.html", body + "</body>")))
    assert isinstance(item, ArticleItem)
    assert (item.extractor, item.headline, item.site) == ("generic/2", "Neues Layout", "merkur.de")
