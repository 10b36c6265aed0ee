"""The spider every newsmon spider is: discovery and routing for one site, extraction delegated.

A site (crawler.model.sites.Site) says where to start, which feeds and sitemaps to read and what an article URL
looks like; subclasses only say how a listing page and an article page are read. Ad-hoc arguments
(`-a name=value`), the same on every spider:

- `base_url`: crawl a mirror or the local test site instead of the live site; what is stored stays keyed to the
  real site (every URL rebased from the mirror's origin to the site's `base_url`), so two mirrors store alike;
- `section`: only this section's page (and its feed);
- `url`: fetch this one article;
- `max_articles`: stop scheduling articles after this many;
- `since`: skip sitemap/feed entries published before this ISO date or age (`24h`, `7d`, as `newsmon export`);
- `refresh`: which stored articles are fetched again (crawler.discover.revisit.planner): `due` (the revisit policy:
  only when due or signalled), `linked` (every one discovery links) or `all` (every one of the site); default
  `NEWSMON_REFRESH`. Re-fetches are conditional (ETag / Last-Modified) either way.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.config import apply_env, check_settings
from crawler.discover.listing_cap import cap_listing
from crawler.discover.revisit.planner import META as REVISIT_META
from crawler.discover.revisit.planner import Admission, RevisitPlanner, linked_article_id, refresh_mode
from crawler.discover.revisit.policy import Hint, utc
from crawler.extract.dates import parse_datetime
from crawler.extract.parsing import ExtractionError
from crawler.model.canonical import origin, rebase
from crawler.model.items import ArticleItem, RejectItem, TeaserItem
from crawler.model.sites import Site
from crawler.model.times import parse_instant
from crawler.runtime.render.policy import ARTICLE, FALLBACK_META, LISTING, SAMPLE_META, RenderPolicy, is_rendered

INCREMENTAL_ADDON = "crawler.discover.revisit.addon.IncrementalAddon"
MISSING_STATUSES = frozenset({404, 410})
"""Answers of a configured discovery page that mean it is not there (a finding, not a failed page)."""
NEEDS_SCRIPTS = ("empty body", "no headline")
"""Extraction errors of an article page whose plain HTML may lack what scripts put in (see crawler.runtime.render)."""
START_META = "newsmon_start"
"""Request meta of a start request (listing, feed, sitemap, the one `-a url=`): whether any answered is recorded."""
FAILED_STAT = "newsmon/crawl_failed"
ROBOTS_FORBIDDEN = "Forbidden by robots.txt"
"""The message of the IgnoreRequest Scrapy's RobotsTxtMiddleware (and ours, its subclass) raises."""
"""Stat set when the crawl could not do what it was asked (every start request failed); the exit code is 1."""


class SpiderArgumentError(ValueError):
    """A spider argument (`-a name=value`) the spider cannot use; the message is one line saying what to give."""


def _http_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SpiderArgumentError(f"-a {name}={value!r}: give an http(s) URL, e.g. http://127.0.0.1:8000")
    return value


def _positive(name: str, value: str | int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise SpiderArgumentError(f"-a {name}={value!r}: give a positive whole number")
    return number


def strip_query(url: str) -> str:
    """An article URL without query and fragment: tracking parameters carry no content on news sites."""
    scheme, netloc, path, _, _ = urlsplit(url)
    return urlunsplit((scheme, netloc, path, "", ""))


class NewsSpider(Spider):
    """Base class: subclasses set `site_config` (a Site) in __init__ and implement the two readers.

    Listing and article pages are fetched plain or rendered as `self.render` (crawler.runtime.render.RenderPolicy)
    decides; a plain page without teasers or body is fetched again rendered when the site's mode is `auto`.
    """

    site_config: Site
    """The site crawled: its key, base URL, sections, feeds, sitemaps, article URL pattern, extraction profile."""
    _render: RenderPolicy | None = None
    _revisit: RevisitPlanner | None = None

    def __init__(
        self,
        base_url: str | None = None,
        section: str | None = None,
        url: str | None = None,
        max_articles: str | int | None = None,
        since: str | None = None,
        refresh: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._refuse_unknown(kwargs)
        super().__init__(**kwargs)
        self.site: str = self.site_config.key
        self.base_url = (_http_url("base_url", base_url) if base_url else self.site_config.base_url).rstrip("/")
        base_host = urlsplit(self.base_url).hostname or ""
        # A base_url override moves the whole crawl to that host (a mirror or the local site).
        self.allowed_domains = [base_host] if base_url else list(self.site_config.allowed_domains or (base_host,))
        # ... while what it stores stays keyed to the real site (URLs rebased from the mirror's origin).
        mirror, real = origin(self.base_url), origin(self.site_config.base_url)
        self.mirror: tuple[str, str] | None = (mirror, real) if base_url and mirror != real else None
        self.sections = (section,) if section else self.site_config.sections
        if section is not None and not section.strip("/ "):
            raise SpiderArgumentError("-a section=: give a section path, e.g. politik")
        self.single_url = _http_url("url", url) if url else None
        self.max_articles = _positive("max_articles", max_articles) if max_articles not in (None, "") else None
        try:
            self.since = parse_instant(str(since).strip(), "-a since") if since else None
            self.refresh = refresh_mode(refresh) if refresh else None
        except ValueError as exc:
            raise SpiderArgumentError(str(exc).replace("refresh=", "-a refresh=")) from None
        given = dict(base_url=base_url, section=section, url=url, max_articles=max_articles, since=since)
        given["refresh"] = refresh
        self.run_args = {k: str(v) for k, v in given.items() if v not in (None, "")}
        self._articles_scheduled: set[str] = set()
        """Ids of the articles requested in this run (`linked_article_id`): each once; `max_articles` counts them."""
        self._article_regex = self.site_config.article_regex
        self._leftovers_done = False
        self.discovery_missing: dict[str, int] = {}
        """Configured section pages, feeds and sitemaps that answered 404/410 in this run: URL -> status."""
        self._starts = {"answered": 0, "failed": 0}
        self._start_errors: list[str] = []

    @classmethod
    def _refuse_unknown(cls, extra: dict[str, Any]) -> None:
        """Unknown `-a` names are refused (a typo would silently crawl everything); Scrapy's and scrapyd's own
        (`name`, `_job`, `_version`, any `_...`) pass."""
        unknown = sorted(k for k in extra if not k.startswith("_") and k not in ("name", "start_urls"))
        if unknown:
            named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
            owners = [c for c in cls.__mro__ if issubclass(c, NewsSpider) and "__init__" in vars(c)]
            params = [p for c in owners for p in inspect.signature(c.__init__).parameters.values()]
            names = sorted({p.name for p in params if p.kind in named and p.name != "self"})
            raise SpiderArgumentError(
                f"unknown spider argument(s) {', '.join(unknown)}: {cls.name or cls.__name__} takes {', '.join(names)}"
            )

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Env onto settings and every setting checked, here because Scrapy calls this before it builds the spider
        (add-ons come after, too late for what the spider's components read); then the incremental add-on (HTTP
        cache of listings) every newsmon spider brings."""
        super().update_settings(settings)
        apply_env(settings)
        check_settings(settings)
        addons = dict(settings.getdict("ADDONS"))
        addons.setdefault(INCREMENTAL_ADDON, 20)
        # At spider priority: `scrapy crawl` re-applies the project's settings (priority 20) after this.
        settings.set("ADDONS", addons, priority=max(settings.getpriority("ADDONS") or 0, SETTINGS_PRIORITIES["spider"]))

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._render = RenderPolicy.from_crawler(crawler, spider.site_config)
        spider._revisit = RevisitPlanner.from_crawler(crawler, spider.site, spider.refresh)
        crawler.signals.connect(spider._close_render, signal=signals.spider_closed)
        crawler.signals.connect(spider._fetch_leftovers, signal=signals.spider_idle)
        crawler.signals.connect(spider._judge_starts, signal=signals.spider_closed)
        return spider

    def _judge_starts(self, spider: Spider, reason: str) -> None:
        """A crawl none of whose start requests was answered (the one `-a url=` or `-a section=` a 404, a site
        down) did not do what it was asked: a failure (exit code 1), not an empty success. Some default sections
        missing is a discovery finding, not this."""
        if spider is not self or reason != "finished" or self._starts["answered"] or not self._starts["failed"]:
            return
        message = f"every start request failed ({self._starts['failed']}): {'; '.join(self._start_errors[:3])}"
        self.logger.error("Crawl failed: %s", message)
        assert self.crawler.stats is not None
        self.crawler.stats.set_value(FAILED_STAT, message)

    def _start_answered(self, response: Response) -> None:
        if response.meta.get(START_META):
            self._starts["answered"] += 1

    @property
    def render(self) -> RenderPolicy:
        """How pages are fetched (plain or rendered); without a crawler: the site's own modes, for this object."""
        if self._render is None:
            self._render = RenderPolicy(self.site_config)
        return self._render

    @property
    def revisit(self) -> RevisitPlanner:
        """Which known articles are fetched again (discover/revisit/planner.py); without a crawler: none is known."""
        if self._revisit is None:
            self._revisit = RevisitPlanner(None, self.site, refresh=self.refresh, store=False)
        return self._revisit

    def _close_render(self, spider: Spider) -> None:
        if spider is self:
            self.render.close()

    def _fetch_leftovers(self, spider: Spider) -> None:
        """Once discovery is done: known articles due (or all, with refresh=all) that no page linked."""
        if spider is not self or self._leftovers_done or self.single_url or self.single_section:
            return
        self._leftovers_done = True
        requests = []
        for admission in self.revisit.leftovers():
            known = admission.known
            assert known is not None
            if self.since is not None and known.published is not None and utc(known.published) < self.since:
                continue
            if self.max_articles is not None and len(self._articles_scheduled) >= self.max_articles:
                break
            self._articles_scheduled.add(known.article_id)
            requests.append(self.article_request(self.to_mirror(known.url), admission=admission))
        if requests:
            assert self.crawler.engine is not None
            for request in requests:
                self.crawler.engine.crawl(request)
            raise DontCloseSpider

    # -- mirrors ---------------------------------------------------------------------------------------------------
    def to_site(self, url: str) -> str:
        """A URL of the crawl as the real site's (unchanged unless crawling a mirror)."""
        return rebase(url, *self.mirror) or url if self.mirror else url

    def to_mirror(self, url: str) -> str:
        """A stored (real site) URL as the crawl fetches it."""
        return rebase(url, self.mirror[1], self.mirror[0]) or url if self.mirror else url

    def keyed(self, item: Any) -> Any:
        """An item with every URL it carries keyed to the real site: what a mirror crawl stores changes nothing."""
        if self.mirror is None:
            return item
        item.url = self.to_site(item.url)
        if isinstance(item, ArticleItem):
            item.fetched_url = item.fetched_url and self.to_site(item.fetched_url)
            for image in item.images:
                image.url = self.to_site(image.url)
        elif isinstance(item, TeaserItem):
            item.page_url = self.to_site(item.page_url)
            item.image = item.image and self.to_site(item.image)
        return item

    # -- what subclasses provide ------------------------------------------------------------------
    def read_listing(self, response: Response) -> list[TeaserItem]:
        raise NotImplementedError

    def read_article(self, response: Response) -> ArticleItem:
        raise NotImplementedError

    # -- discovery -------------------------------------------------------------------------------
    def _absolute(self, path: str) -> str:
        return path if urlsplit(path).scheme else f"{self.base_url}/{path.lstrip('/')}"

    def listing_pages(self) -> list[str]:
        pages = [] if self.single_section else [self._absolute(p) for p in self.site_config.start_pages]
        pages += [self._absolute(f"/{s.strip('/')}/") for s in self.sections]
        return list(dict.fromkeys(pages))

    def feed_urls(self) -> list[str]:
        feeds = [] if self.single_section else list(self.site_config.feeds)
        if self.site_config.section_feeds:
            feeds += [f"/{s.strip('/')}/rssfeed.rdf" for s in self.sections]
        return [self._absolute(f) for f in dict.fromkeys(feeds)]

    @property
    def single_section(self) -> bool:
        return "section" in self.run_args

    async def start(self) -> AsyncIterator[Request]:
        await self.revisit.open()
        if self.single_url:
            requests = list(self._article_requests([self.single_url], requested=True))
            if not requests:  # off the site, or not what the site's article URLs look like: nothing to fetch
                self._starts["failed"] += 1
                self._start_errors.append(f"{self.single_url}: not an article URL of {self.site} on this host")
            for request in requests:
                yield request.replace(meta={**request.meta, START_META: True})
            return
        for page in self.listing_pages():
            yield self.listing_request(page, **{START_META: True})
        for feed in self.feed_urls():
            yield Request(feed, callback=self.parse_feed, errback=self.on_error, priority=5, meta={START_META: True})
        if not self.single_section:
            for sitemap in self.site_config.sitemaps:
                yield Request(
                    self._absolute(sitemap), callback=self.parse_sitemap, errback=self.on_error, meta={START_META: True}
                )

    def listing_request(self, url: str, render: bool | None = None, **meta: Any) -> Request:
        return Request(
            url,
            callback=self.parse_listing,
            errback=self.on_error,
            priority=10,
            meta={**self.render.meta(LISTING, render), **meta},
            dont_filter=render is not None,
        )

    def article_request(
        self, url: str, render: bool | None = None, admission: Admission | None = None, **meta: Any
    ) -> Request:
        """An article page. A re-fetch of a stored article (`admission.known`) carries its validators, and a
        `304` reaches `parse_article` (rendered pages are never conditional: a browser cannot show a 304)."""
        meta = {**self.render.meta(ARTICLE, render), **meta}
        meta[REVISIT_META] = admission.meta() if admission else {"reason": "new"}
        headers = {} if admission is None or meta.get("playwright") else self.revisit.headers(admission)
        if headers:
            meta["handle_httpstatus_list"] = [304]
        return Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            headers=headers or None,
            meta=meta,
            dont_filter=render is not None,
        )

    def parse_listing(self, response: Response) -> Iterator[Any]:
        self._start_answered(response)
        try:
            teasers = cap_listing(self, self.read_listing(response), response.url)
        except ExtractionError as exc:
            if response.meta.get(SAMPLE_META):  # the rendered sample is unreadable; the plain page was not
                yield from (self.keyed(t) for t in response.meta[SAMPLE_META]["teasers"])
                return
            yield RejectItem(url=self.to_site(response.url), reason=f"listing: {exc}", site=self.site)
            return
        if response.meta.get(SAMPLE_META):
            teasers = self.render.sample_read(response, teasers, key=lambda t: t.url)
        elif not teasers:
            retry = self.render.retry_rendered(LISTING, response, "no teasers")
            if retry is not None:
                yield self.listing_request(response.url, True, **retry)
                return
            if is_rendered(response):
                self.render.rendered_page_failed(LISTING, response)
        elif is_rendered(response):
            self.render.rendered_page_read(LISTING, response)
        else:
            sample = self.render.sample_listing(response, teasers)
            if sample is not None:  # its teasers are stored from the rendered sample (or, if that fails, these)
                yield self.listing_request(response.url, True, **sample)
                yield from self._article_requests([t.url for t in teasers], _hints(teasers))
                return
        urls, hints = [t.url for t in teasers], _hints(teasers)  # as fetched: keyed() rewrites them to the site
        yield from (self.keyed(t) for t in teasers)
        yield from self._article_requests(urls, hints)

    def parse_feed(self, response: Response) -> Iterator[Request]:
        """RSS 2.0, RDF (RSS 1.0) and Atom: item links, filtered by `since` where the feed dates them."""
        self._start_answered(response)
        entries = response.xpath("//*[local-name()='item' or local-name()='entry']")
        urls: list[str] = []
        hints: dict[str, Hint] = {}
        for entry in entries:
            link = (
                entry.xpath("./*[local-name()='link']/text()").get()
                or entry.xpath("./*[local-name()='link']/@href").get()
            )
            when = entry.xpath(
                "./*[local-name()='pubDate' or local-name()='date' or local-name()='published'"
                " or local-name()='updated']/text()"
            ).get()
            if link and self._recent(when):
                urls.append(urljoin(response.url, link.strip()))
                hints[urls[-1]] = Hint(modified=_date(when))
        yield from self._article_requests(urls, hints)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        """Sitemap indexes (followed by `lastmod`) and url sets, news sitemaps' publication dates included."""
        self._start_answered(response)
        if response.xpath("/*[local-name()='sitemapindex']"):
            for entry in response.xpath("//*[local-name()='sitemap']"):
                loc = entry.xpath("./*[local-name()='loc']/text()").get()
                if loc and self._recent(entry.xpath("./*[local-name()='lastmod']/text()").get()):
                    url = urljoin(response.url, loc.strip())
                    yield Request(url, callback=self.parse_sitemap, errback=self.on_error)
            return
        urls: list[str] = []
        hints: dict[str, Hint] = {}
        for entry in response.xpath("//*[local-name()='url']"):
            loc = entry.xpath("./*[local-name()='loc']/text()").get()
            lastmod = entry.xpath("./*[local-name()='lastmod']/text()").get()
            when = entry.xpath(".//*[local-name()='publication_date']/text()").get() or lastmod
            if loc and self._recent(when):
                urls.append(urljoin(response.url, loc.strip()))
                hints[urls[-1]] = Hint(modified=_date(lastmod or when))
        yield from self._article_requests(urls, hints)

    def _article_requests(
        self, urls: Iterable[str], hints: dict[str, Hint] | None = None, requested: bool = False
    ) -> Iterator[Request]:
        """Article requests for discovered URLs: on the site, each article once, and a stored article only
        when the revisit planner says so (a later signal in the same run may still let it through)."""
        for raw in urls:
            url = strip_query(raw)
            if not self._article_regex.search(urlsplit(url).path):
                continue
            if urlsplit(url).hostname not in self.allowed_domains:
                continue
            key = linked_article_id(self.site, self.to_site(url))
            if key in self._articles_scheduled:
                continue
            if self.max_articles is not None and len(self._articles_scheduled) >= self.max_articles:
                return
            admission = self.revisit.admit(self.to_site(url), (hints or {}).get(raw), requested=requested)
            if admission is None:
                continue
            self._articles_scheduled.add(key)
            yield self.article_request(url, admission=admission)

    def _configured_missing(self, url: str, status: int) -> bool:
        """Record a configured discovery page (section, feed, sitemap) answering 404/410; False for any other.

        Only the site configuration's defaults count: a section the user asked for (`-a section=`) that is not
        there is no finding about the site but a start that failed, as an unknown `-a url=` is."""
        if self.single_section:
            return False
        configured = {*self.listing_pages(), *self.feed_urls(), *(self._absolute(s) for s in self.site_config.sitemaps)}
        if status not in MISSING_STATUSES or url not in configured:
            return False
        self.discovery_missing[self.to_site(url)] = status
        self.logger.info(
            "Configured discovery page not there on the site (a finding, not a failure): %s: http %d", url, status
        )
        crawler = getattr(self, "crawler", None)  # none when the spider is built without one (tests, seeding)
        if crawler is not None and crawler.stats is not None:
            crawler.stats.inc_value("newsmon/discovery/missing")
        return True

    def _recent(self, value: str | None) -> bool:
        if self.since is None or not value:
            return True
        when = parse_datetime(value.strip())
        if when is None:
            try:
                when = _parse_since(value.strip()[:10])
            except ValueError:
                return True  # an unreadable date does not hide an article
        return when is None or when >= self.since

    # -- reading ---------------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[Any]:
        self._start_answered(response)
        if response.status == 304:
            self.revisit.not_modified(response)  # checked and unchanged: no parse, no content written
            return
        try:
            article = self.read_article(response)
        except ExtractionError as exc:
            reason = str(exc)
            if reason in NEEDS_SCRIPTS:
                retry = self.render.retry_rendered(ARTICLE, response, f"no {reason.removeprefix('empty ')}")
                if retry is not None:
                    yield self.article_request(response.url, True, **retry)
                    return
                if is_rendered(response):
                    self.render.rendered_page_failed(ARTICLE, response)
            yield RejectItem(url=self.to_site(response.url), reason=f"extraction: {exc}", site=self.site)
            return
        except (AttributeError, UnicodeDecodeError, LookupError) as exc:  # not text, or an unknown charset
            url = self.to_site(response.url)
            yield RejectItem(url=url, reason="undecodable page", site=self.site, detail=str(exc)[:500])
            return
        if is_rendered(response):
            self.render.rendered_page_read(ARTICLE, response)
        self.keyed(article)
        self.revisit.annotate(article, response)
        yield article

    def on_error(self, failure: Failure) -> Iterator[RejectItem | TeaserItem]:
        """A page that failed after retries is kept as a reject with its reason, not lost in the log.

        A default section page, feed or sitemap of the site's configuration that answers 404/410 is no page that
        failed: the configuration names a page that is not there. It is a discovery finding (`discovery_missing`,
        reported on the run by `crawler.runtime.health`), not a reject. A page robots.txt forbids is the site's policy
        obeyed: no reject either. Both still count as failed start requests (a run none of whose starts was
        answered failed, see `_judge_starts`).
        """
        request = failure.request  # type: ignore[attr-defined]
        if request.meta.get(SAMPLE_META):  # the page was read plain: a failed sample loses nothing
            reason = failure.getErrorMessage()[:200]
            self.logger.warning("Could not render %s as a sample (%s): its plain teasers are kept", request.url, reason)
            yield from (self.keyed(t) for t in request.meta[SAMPLE_META]["teasers"])
            return
        forbidden = bool(failure.check(IgnoreRequest)) and str(failure.value) == ROBOTS_FORBIDDEN
        if failure.check(HttpError):
            reason = f"http {failure.value.response.status}"
        elif forbidden:
            reason = "forbidden by robots.txt"
        else:
            reason = f"fetch: {failure.type.__name__ if failure.type else 'error'}"
        if request.meta.get(FALLBACK_META):
            reason = f"{reason} (rendered; the plain page had {request.meta[FALLBACK_META]})"
        if request.meta.get(START_META):  # counted first: a run whose every start is missing still failed
            self._starts["failed"] += 1
            self._start_errors.append(f"{request.url}: {reason}")
        if failure.check(HttpError) and self._configured_missing(request.url, failure.value.response.status):
            return
        if forbidden:  # the site's policy obeyed, not a page that failed: no reject
            return  # counted by Scrapy (robotstxt/forbidden), reported once by crawler.runtime.health
        self.logger.warning("Giving up on %s: %s", request.url, reason)
        yield RejectItem(url=self.to_site(request.url), reason=reason, site=self.site, detail=str(failure.value)[:500])


def _hints(teasers: list[TeaserItem]) -> dict[str, Hint]:
    """Revisit hints from a listing's teasers: the headline of the first teaser of each article."""
    return {t.url: Hint(headline=t.headline) for t in reversed(teasers)}


def _date(value: str | None) -> datetime | None:
    """A sitemap/feed date (W3C, RFC 822, ISO), or None when there is none or it is unreadable."""
    if not value:
        return None
    when = parse_datetime(value.strip())
    if when is None:
        try:
            when = parsedate_to_datetime(value.strip())  # RSS 2.0 pubDate (RFC 822)
        except (TypeError, ValueError, IndexError):
            return None
    return utc(when) if when.tzinfo else None


def _parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
