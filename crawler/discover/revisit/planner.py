"""Incremental re-crawling in a run: which discovered articles are fetched, with which validators, and when next.

One planner per crawl, built by the spider (`NewsSpider.from_crawler`). At the start it reads the site's stored
articles through the store (`Store.known_articles`, in a thread). An unknown article is always
fetched. A known one, by the run's refresh mode (`-a refresh=...`, default `NEWSMON_REFRESH`):

- `due` (the revisit policy, what scheduled runs use): fetched when due by age
  (`crawler.discover.revisit.policy.RevisitPolicy`),
  or sooner when a signal says it changed (teaser headline differs from the stored one, a sitemap/feed date past
  the stored one), within `NEWSMON_REVISIT_BUDGET` re-fetches per run; otherwise not requested at all. The budget
  goes to signalled articles as they are found and to the most overdue ones, linked or not: a due article that a
  page links is fetched at once only if it is among the `budget` most overdue at the run's start (otherwise young
  articles on the homepage, due every 15 minutes, would take the budget every run, and an article that no page
  links any more would never get its turn);
- `linked`: every known article a listing, feed or sitemap of this run links is fetched again;
- `all`: every known article of the site, linked or not, regardless of policy and budget.

Re-fetches carry the stored ETag / Last-Modified as If-None-Match / If-Modified-Since (`NEWSMON_CONDITIONAL`); a
`304` is recorded as a check (`revisit` writes: last_fetched, next_visit) without parsing or storing content.
When discovery is done, known articles that are due but that no page of this run linked are fetched from the
stored list, most overdue first, within the budget (`all`: every known article not fetched yet).

Without the store (`crawler.store.facade.enabled`) there is nothing to compare against: every article counts as
unknown.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pymongo.errors import PyMongoError
from scrapy.utils.defer import deferred_to_future

from crawler.config import default, option
from crawler.discover.revisit.policy import Hint, Known, RevisitPolicy, last_change, parse_intervals, utc
from crawler.extract.urls import publisher_id
from crawler.model.canonical import canonical_url
from crawler.model.identity import article_id
from crawler.store import facade

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from crawler.model.items import ArticleItem

logger = logging.getLogger(__name__)

META = "newsmon_revisit"
"""Request meta of an article request: the article id, if known, and why it is fetched."""
REFRESH_MODES = ("due", "linked", "all")
DEFAULT_REFRESH = default("NEWSMON_REFRESH")
STAT = "newsmon/revisit/"


@dataclass(frozen=True)
class Admission:
    """An article request the planner let through: what to send and what to remember with the response."""

    known: Known | None
    reason: str
    """`new`, `due`, `teaser_headline`, `modified` (policy), `linked`, `refresh` (all), `requested` (`-a url=`)."""
    hint: Hint | None = None

    def meta(self) -> dict[str, Any]:
        return {
            "article_id": self.known.article_id if self.known else None,
            "reason": self.reason,
            "hinted_modified": self.hint.modified if self.hint else None,
        }


class RevisitPlanner:
    def __init__(
        self,
        crawler: Crawler | None,
        site: str,
        *,
        policy: RevisitPolicy | None = None,
        refresh: str | None = None,
        budget: int = 500,
        conditional: bool = True,
        store: bool = True,
    ) -> None:
        self.crawler = crawler
        self.site = site
        self.policy = policy or RevisitPolicy()
        self.mode = refresh_mode(refresh)
        self.budget = budget
        self.conditional = conditional
        self.store = store
        self.known: dict[str, Known] = {}
        self.by_url: dict[str, str] = {}
        self.requested: set[str] = set()
        self.refetches = 0
        """Re-fetches the policy chose this run (the budget counts these)."""
        self._most_overdue: set[str] | None = None
        self.loaded = False
        self.now = datetime.now(UTC)
        """The run's clock for due times: its start, so one run decides alike for every article."""

    @classmethod
    def from_crawler(cls, crawler: Crawler, site: str, refresh: str | None = None) -> RevisitPlanner:
        settings = crawler.settings
        return cls(
            crawler,
            site,
            policy=RevisitPolicy(parse_intervals(settings.get("NEWSMON_REVISIT_INTERVALS"))),
            refresh=refresh or settings.get("NEWSMON_REFRESH"),
            budget=option(settings, "NEWSMON_REVISIT_BUDGET"),
            conditional=option(settings, "NEWSMON_CONDITIONAL"),
            store=facade.enabled(crawler),
        )

    # -- start -----------------------------------------------------------------------------------------------------
    async def open(self) -> None:
        """Read the site's stored articles (in a thread). A database that does not answer costs re-fetches, not
        the run: every article then counts as unknown and is fetched."""
        if self.loaded or not self.store or self.crawler is None:
            return
        store = facade.Store.of(self.crawler)
        self.now = datetime.now(UTC)
        try:
            self.known, self.by_url = await deferred_to_future(store.known_articles(self.site))
        except PyMongoError as exc:
            message = store.redact(str(exc).split(", Timeout:")[0])[:300]
            logger.warning("Could not read the stored articles of %s (%s): fetching every article", self.site, message)
        self.loaded = True
        due = sum(1 for k in self.known.values() if self.policy.is_due(k, self.now))
        self._stat("known", len(self.known))
        self._stat("due_at_start", due)
        logger.info(
            "Revisit %s: %d stored articles, %d due; refresh=%s, budget %s, conditional requests %s",
            self.site,
            len(self.known),
            due,
            self.mode,
            "unlimited" if self.budget < 0 else self.budget,
            "on" if self.conditional else "off",
        )

    # -- discovery -------------------------------------------------------------------------------------------------
    def lookup(self, url: str) -> Known | None:
        found = self.known.get(linked_article_id(self.site, url))
        if found is None:
            found = self.known.get(self.by_url.get(canonical_url(url), ""))
        return found

    def admit(self, url: str, hint: Hint | None = None, *, requested: bool = False) -> Admission | None:
        """Whether to request the article at `url` now (None: not now). `requested`: asked for by name."""
        known = self.lookup(url)
        if known is None:
            self._stat("fetch/new")
            return Admission(None, "new", hint)
        if known.article_id in self.requested:
            return None
        if requested:
            reason = "requested"
        elif self.mode == "all":
            reason = "refresh"
        elif self.mode == "linked":
            reason = "linked"
        else:
            signal = self.policy.signal(known, hint)
            if signal is None and not self.policy.is_due(known, self.now):
                self._stat("skip/not_due")
                return None
            reason = signal or "due"
            if self.budget >= 0 and (
                self.refetches >= self.budget or (signal is None and known.article_id not in self.most_overdue())
            ):
                self._stat("skip/over_budget")
                return None
            self.refetches += 1
        self.requested.add(known.article_id)
        self._stat(f"fetch/{reason}")
        return Admission(known, reason, hint)

    def most_overdue(self) -> set[str]:
        """The ids of the `budget` most overdue articles at the run's start (due by age, signals aside)."""
        if self._most_overdue is None:
            due = self._by_due_time(k for k in self.known.values() if self.policy.is_due(k, self.now))
            self._most_overdue = {k.article_id for k in due[: max(self.budget, 0)]}
        return self._most_overdue

    def _by_due_time(self, articles: Iterable[Known]) -> list[Known]:
        """Those with a URL, most overdue (earliest due) first; never fetched counts as due since ever."""
        epoch = datetime.min.replace(tzinfo=UTC)
        return sorted((k for k in articles if k.url), key=lambda k: (self.policy.due_at(k) or epoch, k.article_id))

    def leftovers(self) -> list[Admission]:
        """Known articles not requested yet that are due (with refresh=all: every one), most overdue first,
        within the budget: those that no listing, feed or sitemap of this run linked."""
        refresh_all = self.mode == "all"
        waiting = [k for k in self.known.values() if k.article_id not in self.requested]
        if not refresh_all:
            waiting = [k for k in waiting if self.policy.is_due(k, self.now)]
        waiting = self._by_due_time(waiting)
        if not refresh_all and self.budget >= 0:
            room = max(0, self.budget - self.refetches)
            if len(waiting) > room:
                self._stat("skip/over_budget", len(waiting) - room)
            waiting = waiting[:room]
        admitted = []
        for known in waiting:
            self.refetches += 0 if refresh_all else 1
            self.requested.add(known.article_id)
            reason = "refresh" if refresh_all else "due"
            self._stat(f"fetch/{reason}_unlinked")
            admitted.append(Admission(known, reason))
        return admitted

    def headers(self, admission: Admission) -> dict[str, str]:
        """Conditional request headers for a re-fetch: the validators of the last full fetch."""
        known = admission.known
        if not self.conditional or known is None:
            return {}
        headers = {}
        if known.etag:
            headers["If-None-Match"] = known.etag
        if known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        return headers

    # -- responses -------------------------------------------------------------------------------------------------
    def annotate(self, item: ArticleItem, response: Response) -> None:
        """Put the validators, the signal acted on and the next visit on a freshly read article."""
        item.etag = _header(response, "ETag")
        item.last_modified = _header(response, "Last-Modified")
        meta = response.meta.get(META) or {}
        item.hinted_modified = meta.get("hinted_modified")
        fetched_at = utc(item.fetched_at) or datetime.now(UTC)
        known = self.known.get(meta.get("article_id") or "")
        base = Known(
            article_id="",
            url=item.url,
            published=item.published,
            modified=item.modified,
            last_changed=known.last_changed if known else None,
            version=known.version if known else 0,
        )
        item.next_visit = self.policy.next_visit(fetched_at, last_change(base))
        item.next_visit_changed = self.policy.next_visit(fetched_at, fetched_at)

    def not_modified(self, response: Response) -> None:
        """A 304 for a re-fetch: remember the check, nothing else (no parse, no content written)."""
        self._stat("not_modified")
        meta = response.meta.get(META) or {}
        known = self.known.get(meta.get("article_id") or "")
        if known is None or not self.store or self.crawler is None:
            return
        now = datetime.now(UTC)
        check = facade.NotModified(
            article_id=known.article_id,
            url=known.url,
            site=self.site,
            checked_at=now,
            next_visit=self.policy.next_visit(now, last_change(known) or utc(known.last_fetched)),
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            hinted_modified=meta.get("hinted_modified"),
        )
        facade.Store.of(self.crawler).record_not_modified(check)

    def _stat(self, name: str, n: int = 1) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(STAT + name, n)


def linked_article_id(site: str, url: str) -> str:
    """The id of an article known only by a link to it (`crawler.model.identity.article_id` of the canonical URL and
    the publisher id in it): what discovery dedupes and looks up stored articles by, before the page is read."""
    canonical = canonical_url(url)
    return article_id(site, publisher_id(canonical), canonical)


def refresh_mode(value: str | None) -> str:
    """The `refresh` argument or `NEWSMON_REFRESH`, checked."""
    mode = (value or DEFAULT_REFRESH).strip().lower()
    if mode not in REFRESH_MODES:
        raise ValueError(f"refresh={value!r}: use one of {', '.join(REFRESH_MODES)}")
    return mode


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
