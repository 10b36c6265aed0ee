"""Which pages are fetched rendered: per run, per site and page kind, per request, and by themselves.

- `NEWSMON_RENDER` (run): `auto` (default) follows each site's `render`; `never` renders nothing (the
  rendering handler is not even registered); `always` renders every listing and article page.
- `Site.render` (site data): `never`, `auto` (default) or `always`, or one per page kind, e.g.
  `{"listing": "always", "article": "auto"}`.
- `meta={"newsmon_render": True}` (or False) on a request decides for that request.
- `auto`: a listing page whose plain HTML has no teasers, or an article page whose plain HTML has no body (or no
  headline), is fetched again rendered; when that gives teasers or a body, the site is remembered as needing
  rendering for that kind of page: for the rest of the run, and for `NEWSMON_RENDER_MEMORY_DAYS` days in
  `<data dir>/render.json` (0: the run only). After that it is tried plain again.
- `auto`, listing pages that HAVE teasers: scripts may add more (a container filled after load). On a site's
  first run, and again when its last sample is older than `NEWSMON_RENDER_SAMPLE_DAYS`, up to
  `NEWSMON_RENDER_SAMPLE_PAGES` listing pages are also fetched rendered and their teaser sets compared; when
  rendering adds teasers, the site is remembered as needing rendering for listing pages, as above. The last
  sample's time is kept under `_sampled` in `render.json`. Without a browser, sampling is skipped (one log line).
- A page whose rendered fallback gave nothing either is not rendered again while its plain HTML stays the same
  (same bytes: a listing revalidated with a `304` is the cached page), for at most `FRUITLESS_MAX_AGE`: an empty
  section page would otherwise start a browser on every scheduled run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from crawler.config import data_dir, default, option
from crawler.model.sites import PAGE_KINDS, RENDER_MODES, Site
from crawler.runtime.render.browser import BrowserNotFound, find_browser

logger = logging.getLogger(__name__)

LISTING, ARTICLE = PAGE_KINDS
NEVER, AUTO, ALWAYS = RENDER_MODES
SAMPLE_EVERY = timedelta(days=default("NEWSMON_RENDER_SAMPLE_DAYS"))
RENDER_META = "newsmon_render"
"""Request meta: True/False renders or does not render this request, whatever the site says."""
FALLBACK_META = "newsmon_render_fallback"
"""Request meta of a page fetched again rendered: why (what the plain HTML lacked)."""
PLAIN_META = "newsmon_render_plain"
"""Request meta of a rendered fallback: the plain page it replaces (`url`, `sha1` of its body)."""
MEMORY_FILE = "render.json"
FRUITLESS = "_fruitless"
"""Key of `render.json` under which pages that rendering did not help are kept: {url: {sha1, at}}."""
SAMPLED = "_sampled"
"""Key of `render.json` under which the time each site's listing pages were last sampled rendered is kept."""
SAMPLE_META = "newsmon_render_sample"
"""Request meta of a listing page fetched rendered as a sample: the plain page's teasers (`teasers`)."""
FRUITLESS_MAX_AGE = timedelta(days=1)
"""A fruitless render is tried again after this long even if the plain page did not change (its scripts may
fill it now), or sooner with a shorter memory."""


def render_mode(setting: str | Mapping[str, str] | None, kind: str) -> str:
    """A site's mode for a page kind, from `Site.render` (a mode, or a mode per kind; missing kinds: auto)."""
    if setting is None:
        return AUTO
    mode = setting if isinstance(setting, str) else setting.get(kind, AUTO)
    if mode not in RENDER_MODES:
        raise ValueError(f"render mode {mode!r} for {kind} pages: use one of {', '.join(RENDER_MODES)}")
    return mode


class RenderMemory:
    """Sites found to need rendering, per page kind, with when that was found; and pages that rendering did not
    help (by URL, with the sha1 of the plain body it was tried on), see `FRUITLESS`.

    Kept for the run; with a `path`, also read from and merged into that JSON file (written atomically, so two
    crawls at once lose nothing but one's latest timestamps), entries older than `max_age` (fruitless pages:
    `FRUITLESS_MAX_AGE` at most) being forgotten.
    """

    def __init__(self, path: Path | None = None, max_age: timedelta | None = None) -> None:
        self.path = path
        self.max_age = max_age
        self._found: dict[str, dict[str, str]] = {}
        self._fruitless: dict[str, dict[str, str]] = {}
        self._helped: set[str] = set()
        """Fruitless pages that rendering helped in this run: dropped from the file too when it is merged."""
        self._sampled: dict[str, str] = {}
        self._dirty = False
        if path is not None:
            found, fruitless = self._read(path)
            self._found, self._fruitless = self._fresh(found), self._fresh_fruitless(fruitless)
            self._sampled = self._read_sampled(path)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RenderMemory:
        days = option(crawler.settings, "NEWSMON_RENDER_MEMORY_DAYS")
        if days <= 0:
            return cls()
        return cls(data_dir(crawler.settings) / MEMORY_FILE, timedelta(days=days))

    @staticmethod
    def _read(path: Path) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
        """(sites by kind, fruitless pages) from the file; anything malformed is left out."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}, {}
        except (OSError, ValueError) as exc:
            logger.warning("Ignoring unreadable %s: %s", path, exc)
            return {}, {}
        if not isinstance(data, dict):
            return {}, {}
        pages = data.pop(FRUITLESS, None)
        data.pop(SAMPLED, None)
        found = {
            site: {k: v for k, v in kinds.items() if k in PAGE_KINDS and isinstance(v, str)}
            for site, kinds in data.items()
            if isinstance(kinds, dict)
        }
        fruitless = {
            url: {"sha1": str(entry["sha1"]), "at": str(entry["at"])}
            for url, entry in (pages if isinstance(pages, dict) else {}).items()
            if isinstance(entry, dict) and {"sha1", "at"} <= set(entry)
        }
        return found, fruitless

    @staticmethod
    def _read_sampled(path: Path) -> dict[str, str]:
        """{site: ISO time of its last rendered sample} from the file (`_sampled`)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        sampled = data.get(SAMPLED) if isinstance(data, dict) else None
        return {k: v for k, v in sampled.items() if isinstance(v, str)} if isinstance(sampled, dict) else {}

    def sampled_since(self, site: str, oldest: datetime) -> bool:
        """Whether `site`'s listing pages were sampled rendered at or after `oldest`."""
        when = self._sampled.get(site)
        return when is not None and _since(when, oldest)

    def note_sampled(self, site: str) -> None:
        self._sampled[site] = datetime.now(UTC).isoformat(timespec="seconds")
        self._dirty = True

    def _fresh_fruitless(self, pages: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        oldest = datetime.now(UTC) - min(self.max_age or FRUITLESS_MAX_AGE, FRUITLESS_MAX_AGE)
        return {url: entry for url, entry in pages.items() if _since(entry["at"], oldest)}

    def _fresh(self, found: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        if self.max_age is None:
            return found
        oldest = datetime.now(UTC) - self.max_age
        kept: dict[str, dict[str, str]] = {}
        for site, kinds in found.items():
            for kind, when in kinds.items():
                if _since(when, oldest):
                    kept.setdefault(site, {})[kind] = when
        return kept

    def needs(self, site: str, kind: str) -> bool:
        return kind in self._found.get(site, {})

    def remember(self, site: str, kind: str) -> bool:
        """Note that `site` needs rendering for `kind` pages; True when that is news."""
        if self.needs(site, kind):
            return False
        self._found.setdefault(site, {})[kind] = datetime.now(UTC).isoformat(timespec="seconds")
        self._dirty = True
        return True

    def fruitless(self, url: str, sha1: str) -> bool:
        """Whether rendering `url` gave nothing when its plain page was this same page (`sha1` of the body)."""
        entry = self._fruitless.get(url)
        return entry is not None and entry["sha1"] == sha1

    def remember_fruitless(self, url: str, sha1: str) -> None:
        self._fruitless[url] = {"sha1": sha1, "at": datetime.now(UTC).isoformat(timespec="seconds")}
        self._helped.discard(url)
        self._dirty = True

    def forget_fruitless(self, url: str) -> None:
        """Rendering `url` helped after all: it is rendered again whenever its plain page lacks something."""
        self._fruitless.pop(url, None)
        self._helped.add(url)
        self._dirty = True

    def save(self) -> None:
        """Merge what this run found into the file (no-op without a path or without news)."""
        if self.path is None or not self._dirty:
            return
        found, fruitless = self._read(self.path)
        merged: dict[str, Any] = self._fresh(found)
        for site, kinds in self._found.items():
            merged.setdefault(site, {}).update(kinds)
        pages = {url: e for url, e in self._fresh_fruitless(fruitless).items() if url not in self._helped}
        pages.update(self._fruitless)
        if pages:
            merged[FRUITLESS] = pages
        sampled = {**self._read_sampled(self.path), **self._sampled}
        if sampled:
            merged[SAMPLED] = sampled
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".render-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(merged, out, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError as exc:
            logger.warning("Could not write %s: %s", self.path, exc)
            return
        self._dirty = False

    def as_dict(self) -> dict[str, dict[str, str]]:
        return {site: dict(kinds) for site, kinds in self._found.items()}


class RenderPolicy:
    """Decides for one site's requests whether they are rendered, and when a plain page is fetched again rendered.

    Settings: `NEWSMON_RENDER`, `NEWSMON_RENDER_MEMORY_DAYS`, `NEWSMON_RENDER_SAMPLE_PAGES`,
    `NEWSMON_RENDER_SAMPLE_DAYS`; the site's `render`.
    """

    def __init__(
        self,
        site: Site,
        mode: str = AUTO,
        memory: RenderMemory | None = None,
        stats: StatsCollector | None = None,
        sample_pages: int | None = 0,
        sample_every: timedelta = SAMPLE_EVERY,
        browser: Callable[[], object] | None = None,
    ) -> None:
        if mode not in RENDER_MODES:
            raise ValueError(f"NEWSMON_RENDER={mode!r}: use one of {', '.join(RENDER_MODES)}")
        for kind in PAGE_KINDS:
            render_mode(site.render, kind)  # a bad site setting fails before the crawl starts
        self.site = site
        self.run_mode = mode
        self.memory = memory if memory is not None else RenderMemory()
        self._stats = stats
        self._crawler: Crawler | None = None
        self._told: set[str] = set()
        self.sample_pages = sample_pages
        """Listing pages (with teasers) also fetched rendered in a sampling run: the budget per site and run (None:
        from the crawler's settings, read when first needed)."""
        self.sample_every = sample_every
        """A site is sampled again when its last sample is older than this."""
        self._browser = browser
        """Raises BrowserNotFound when there is no browser to sample with (default: `find_browser`)."""
        self._samples = 0
        self._sampling: bool | None = None
        """None: not decided yet in this run; then whether this run samples the site's listing pages."""

    @classmethod
    def from_crawler(cls, crawler: Crawler, site: Site) -> RenderPolicy:
        mode = str(option(crawler.settings, "NEWSMON_RENDER")).strip().lower()
        browser = partial(find_browser, crawler.settings)
        policy = cls(site, mode, RenderMemory.from_crawler(crawler), sample_pages=None, browser=browser)
        policy._crawler = crawler  # its stats exist once the crawl starts, and add-ons' settings (env) are applied
        return policy

    def mode(self, kind: str) -> str:
        """The mode for this site's `kind` pages: the run's when it is never/always, else the site's."""
        return self.run_mode if self.run_mode != AUTO else render_mode(self.site.render, kind)

    def should_render(self, kind: str) -> bool:
        mode = self.mode(kind)
        return mode == ALWAYS or (mode == AUTO and self.memory.needs(self.site.key, kind))

    def meta(self, kind: str, render: bool | None = None) -> dict[str, Any]:
        """Request meta for a `kind` page: rendered or not (default: as decided for the site)."""
        if render is None:
            render = self.should_render(kind)
        if self.run_mode == NEVER:
            render = False
        if not render:
            return {}
        self._inc(f"newsmon/render/requests/{kind}")
        return {"playwright": True, RENDER_META: True}

    def retry_rendered(self, kind: str, response: Response, lacking: str) -> dict[str, Any] | None:
        """Extra meta for fetching this plain `kind` page again rendered, or None when it must not be.

        Only in `auto` mode, only for a plain response, never for a request that said `newsmon_render: False`.
        """
        if self.mode(kind) != AUTO or is_rendered(response) or response.meta.get(RENDER_META) is False:
            return None
        sha1 = hashlib.sha1(response.body).hexdigest()
        if self.memory.fruitless(response.url, sha1):
            self._inc(f"newsmon/render/fallback_skipped/{kind}")
            logger.debug("Not rendering %s: unchanged since rendering it gave nothing either", response.url)
            return None
        self._inc(f"newsmon/render/fallback/{kind}")
        level = logging.DEBUG if kind in self._told else logging.INFO
        self._told.add(kind)
        logger.log(level, "Rendering %s: its plain HTML has %s", response.url, lacking)
        return {FALLBACK_META: lacking, PLAIN_META: {"url": response.url, "sha1": sha1}}

    def rendered_page_read(self, kind: str, response: Response) -> None:
        """A rendered fallback gave what the plain page lacked: remember the site as needing rendering."""
        if not response.meta.get(FALLBACK_META):
            return
        self._inc(f"newsmon/render/fallback_succeeded/{kind}")
        plain = response.meta.get(PLAIN_META)
        if plain:
            self.memory.forget_fruitless(plain["url"])
        if self.memory.remember(self.site.key, kind):
            kept = f"for {self.memory.max_age.days} days" if self.memory.path and self.memory.max_age else "this run"
            logger.info("%s needs rendering for %s pages: remembered (%s)", self.site.key, kind, kept)

    def rendered_page_failed(self, kind: str, response: Response) -> None:
        """A rendered fallback lacked it too: the page is what it is; the site is not remembered as needing
        rendering, but the page is, as not worth rendering while its plain HTML stays the same."""
        if response.meta.get(FALLBACK_META):
            self._inc(f"newsmon/render/fallback_failed/{kind}")
            plain = response.meta.get(PLAIN_META)
            if plain:
                self.memory.remember_fruitless(plain["url"], plain["sha1"])

    # -- sampling: do scripts add teasers to listing pages that have some? -------------------------------------------
    def sample_listing(self, response: Response, teasers: list[Any]) -> dict[str, Any] | None:
        """Extra meta for fetching this plain listing page (which has `teasers`) again rendered as a sample, or
        None: only in `auto` mode for a site not already rendering its listing pages, within the run's budget,
        when the site was never sampled or its last sample is older than `sample_every`, and with a browser."""
        if (
            not teasers
            or self.mode(LISTING) != AUTO
            or is_rendered(response)
            or response.meta.get(RENDER_META) is False
            or self.memory.needs(self.site.key, LISTING)
            or not self._sampling_run()
            or self._samples >= (self.sample_pages or 0)
        ):
            return None
        self._samples += 1
        self._inc("newsmon/render/sample/listing")
        logger.debug("Rendering %s too: do scripts add teasers to its %d?", response.url, len(teasers))
        return {SAMPLE_META: {"teasers": teasers}}

    def _sampling_run(self) -> bool:
        """Decided once per run: is sampling due for this site, and is there a browser to sample with?"""
        if self.sample_pages is None:
            settings = self._crawler.settings if self._crawler is not None else None
            self.sample_pages = 0  # offline (no crawler): no sampling
            if settings is not None:
                self.sample_pages = option(settings, "NEWSMON_RENDER_SAMPLE_PAGES")
                self.sample_every = timedelta(days=option(settings, "NEWSMON_RENDER_SAMPLE_DAYS"))
        if self._sampling is None and self.sample_pages <= 0:
            self._sampling = False
        if self._sampling is None:
            oldest = datetime.now(UTC) - self.sample_every
            self._sampling = False
            if not self.memory.sampled_since(self.site.key, oldest):
                try:
                    (self._browser or find_browser)()
                except BrowserNotFound as exc:
                    logger.info("Not sampling %s's listing pages rendered: %s", self.site.key, exc)
                else:
                    self._sampling = True
                    self.memory.note_sampled(self.site.key)
                    logger.info(
                        "Sampling %s: rendering up to %d listing pages to see whether scripts add teasers",
                        self.site.key,
                        self.sample_pages,
                    )
        return self._sampling

    def sample_read(self, response: Response, rendered: list[Any], key: Callable[[Any], str]) -> list[Any]:
        """A rendered sample's teasers compared with its plain page's (by `key`, e.g. the article URL): when
        rendering added some, the site is remembered as needing rendering for listing pages. Returns the page's
        teasers: the rendered ones when they hold every plain one, else the plain ones and the added ones."""
        plain: list[Any] = response.meta[SAMPLE_META]["teasers"]
        have = {key(t) for t in plain}
        added = [t for t in rendered if key(t) not in have]
        if not added:
            self._inc("newsmon/render/sample_same/listing")
            return plain
        self._inc("newsmon/render/sample_added/listing")
        found = f"rendering adds {len(added)} teasers to {response.url} ({len(plain)} without scripts)"
        if self.memory.remember(self.site.key, LISTING):
            kept = f"for {self.memory.max_age.days} days" if self.memory.path and self.memory.max_age else "this run"
            logger.info(
                "%s: %s; its listing pages are rendered from now on (remembered %s)", self.site.key, found, kept
            )
        else:
            logger.info("%s: %s", self.site.key, found)
        if have <= {key(t) for t in rendered}:
            return rendered
        for position, teaser in enumerate(added, len(plain) + 1):
            teaser.position = position  # after the plain ones: rendering lost some, positions are the plain page's
        return [*plain, *added]

    def close(self) -> None:
        self.memory.save()

    def _inc(self, key: str) -> None:
        stats = self._stats or (self._crawler.stats if self._crawler is not None else None)
        if stats is not None:
            stats.inc_value(key)


def _since(when: str, oldest: datetime) -> bool:
    """Whether the ISO time `when` (timezone-aware, else not valid) is at or after `oldest`."""
    try:
        stamp = datetime.fromisoformat(when)
    except ValueError:
        return False
    return stamp.tzinfo is not None and stamp >= oldest


def is_rendered(response: Response) -> bool:
    return "playwright" in response.flags or bool(response.meta.get("playwright"))
