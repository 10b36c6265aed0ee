"""Spiders for the IPPEN.MEDIA network: discovery and routing only, extraction is in crawler.extract.

Ad-hoc arguments (`-a name=value`), the same on every newsmon spider:
- `base_url`: crawl a mirror or the local test site instead of the live site (data stays keyed to `site`);
- `section`: only this section's page (and its feed);
- `url`: fetch this one article;
- `max_articles`: stop scheduling articles after this many;
- `since`: skip sitemap/feed entries published before this ISO date.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from crawler.extract.common import parse_datetime, publisher_id
from crawler.extract.ippen import ExtractionError, extract_article
from crawler.extract.ippen_listing import extract_teasers
from crawler.items import RejectItem
from crawler.sites import IPPEN_SITES, Site

ARTICLE_URL = re.compile(r"-\d{5,}\.html$")


def article_url(url: str) -> str:
    """An IPPEN article URL without query and fragment (tracking parameters carry no content)."""
    scheme, netloc, path, _, _ = urlsplit(url)
    return urlunsplit((scheme, netloc, path, "", ""))


class IppenSpider(Spider):
    """Any IPPEN.MEDIA site: `scrapy crawl ippen -a site=tz.de`."""

    name = "ippen"
    site_key = "merkur.de"

    def __init__(
        self,
        site: str | None = None,
        base_url: str | None = None,
        section: str | None = None,
        url: str | None = None,
        max_articles: str | int | None = None,
        since: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        key = site or self.site_key
        if key not in IPPEN_SITES:
            raise ValueError(f"unknown IPPEN site {key!r}; known: {', '.join(sorted(IPPEN_SITES))}")
        self.profile: Site = IPPEN_SITES[key]
        self.site = key
        self.base_url = (base_url or self.profile.base_url).rstrip("/")
        self.allowed_domains = [urlsplit(self.base_url).hostname or ""]
        self.sections = (section,) if section else self.profile.sections
        self.single_url = url
        self.max_articles = int(max_articles) if max_articles not in (None, "") else None
        self.since = _parse_since(since)
        self.run_args = {
            k: v
            for k, v in dict(
                site=site, base_url=base_url, section=section, url=url, max_articles=max_articles, since=since
            ).items()
            if v not in (None, "")
        }
        self._articles_scheduled: set[str] = set()

    # -- discovery -------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Request]:
        if self.single_url:
            for request in self._article_requests([self.single_url]):
                yield request
            return
        pages = [f"{self.base_url}/"] if len(self.sections) != 1 else []
        pages += [f"{self.base_url}/{s}/" for s in self.sections]
        for page in pages:
            yield Request(page, callback=self.parse_listing, errback=self.on_error, priority=10)
        section_feeds = [f"/{s}/rssfeed.rdf" for s in self.sections]
        for feed in dict.fromkeys(self.profile.feeds + tuple(section_feeds)):
            yield Request(self.base_url + feed, callback=self.parse_feed, errback=self.on_error, priority=5)
        if len(self.sections) != 1:
            for sitemap in self.profile.sitemaps:
                yield Request(self.base_url + sitemap, callback=self.parse_sitemap, errback=self.on_error)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        teasers = extract_teasers(response.text, response.url, self.site)
        yield from teasers
        yield from self._article_requests([t.url for t in teasers])

    def parse_feed(self, response: Response) -> Iterator[Request]:
        links = response.xpath("//*[local-name()='item']/*[local-name()='link']/text()").getall()
        yield from self._article_requests([urljoin(response.url, link.strip()) for link in links])

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        sitemap = Sitemap(response.body)
        if sitemap.type == "sitemapindex":
            for entry in sitemap:
                if self._recent(entry.get("lastmod")):
                    yield Request(urljoin(response.url, entry["loc"]), callback=self.parse_sitemap)
            return
        urls = [
            urljoin(response.url, entry["loc"])
            for entry in sitemap
            if self._recent(entry.get("lastmod") or _news_date(entry))
        ]
        yield from self._article_requests(urls)

    def _article_requests(self, urls: list[str]) -> Iterator[Request]:
        for raw in urls:
            url = article_url(raw)
            if not ARTICLE_URL.search(url) or urlsplit(url).hostname not in self.allowed_domains:
                continue
            key = publisher_id(url) or url
            if key in self._articles_scheduled:
                continue
            if self.max_articles is not None and len(self._articles_scheduled) >= self.max_articles:
                return
            self._articles_scheduled.add(key)
            yield Request(url, callback=self.parse_article, errback=self.on_error)

    def _recent(self, value: str | None) -> bool:
        if self.since is None or not value:
            return True
        when = parse_datetime(value) or _parse_since(value[:10])
        return when is None or when >= self.since

    # -- reading ---------------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[Any]:
        try:
            text = response.text
        except (AttributeError, UnicodeDecodeError, LookupError) as exc:
            yield RejectItem(url=response.url, reason="undecodable page", site=self.site, detail=str(exc))
            return
        try:
            yield extract_article(text, response.url, self.site)
        except ExtractionError as exc:
            yield RejectItem(url=response.url, reason=f"extraction: {exc}", site=self.site)

    def on_error(self, failure: Failure) -> Iterator[RejectItem]:
        """A page that failed after retries is kept as a reject with its reason, not lost in the log."""
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(HttpError):
            status = failure.value.response.status
            reason = f"http {status}"
        else:
            reason = f"fetch: {failure.type.__name__ if failure.type else 'error'}"
        self.logger.warning("Giving up on %s: %s", request.url, reason)
        yield RejectItem(url=request.url, reason=reason, site=self.site, detail=str(failure.value)[:500])


class MerkurSpider(IppenSpider):
    """merkur.de: homepage, sections, RSS, Google News sitemap and sitemap index."""

    name = "merkur"
    site_key = "merkur.de"


def _parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _news_date(entry: dict[str, Any]) -> str | None:
    for key, value in entry.items():
        if key.endswith("publication_date") and isinstance(value, str):
            return value
    return None
