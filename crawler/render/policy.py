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
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from crawler.config import data_dir
from crawler.sites import PAGE_KINDS, RENDER_MODES, Site

logger = logging.getLogger(__name__)

LISTING, ARTICLE = PAGE_KINDS
NEVER, AUTO, ALWAYS = RENDER_MODES
RENDER_META = "newsmon_render"
"""Request meta: True/False renders or does not render this request, whatever the site says."""
FALLBACK_META = "newsmon_render_fallback"
"""Request meta of a page fetched again rendered: why (what the plain HTML lacked)."""
MEMORY_FILE = "render.json"


def render_mode(setting: str | Mapping[str, str] | None, kind: str) -> str:
    """A site's mode for a page kind, from `Site.render` (a mode, or a mode per kind; missing kinds: auto)."""
    if setting is None:
        return AUTO
    mode = setting if isinstance(setting, str) else setting.get(kind, AUTO)
    if mode not in RENDER_MODES:
        raise ValueError(f"render mode {mode!r} for {kind} pages: use one of {', '.join(RENDER_MODES)}")
    return mode


class RenderMemory:
    """Sites found to need rendering, per page kind, with when that was found.

    Kept for the run; with a `path`, also read from and merged into that JSON file (written atomically, so two
    crawls at once lose nothing but one's latest timestamps), entries older than `max_age` being forgotten.
    """

    def __init__(self, path: Path | None = None, max_age: timedelta | None = None) -> None:
        self.path = path
        self.max_age = max_age
        self._found: dict[str, dict[str, str]] = {}
        self._dirty = False
        if path is not None:
            self._found = self._fresh(self._read(path))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RenderMemory:
        days = crawler.settings.getfloat("NEWSMON_RENDER_MEMORY_DAYS", 7.0)
        if days <= 0:
            return cls()
        return cls(data_dir(crawler.settings) / MEMORY_FILE, timedelta(days=days))

    @staticmethod
    def _read(path: Path) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            logger.warning("Ignoring unreadable %s: %s", path, exc)
            return {}
        if not isinstance(data, dict):
            return {}
        return {
            site: {k: v for k, v in kinds.items() if k in PAGE_KINDS and isinstance(v, str)}
            for site, kinds in data.items()
            if isinstance(kinds, dict)
        }

    def _fresh(self, found: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        if self.max_age is None:
            return found
        oldest = datetime.now(UTC) - self.max_age
        kept: dict[str, dict[str, str]] = {}
        for site, kinds in found.items():
            for kind, when in kinds.items():
                try:
                    stamp = datetime.fromisoformat(when)
                except ValueError:
                    continue
                if stamp.tzinfo is not None and stamp >= oldest:
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

    def save(self) -> None:
        """Merge what this run found into the file (no-op without a path or without news)."""
        if self.path is None or not self._dirty:
            return
        merged = self._fresh(self._read(self.path))
        for site, kinds in self._found.items():
            merged.setdefault(site, {}).update(kinds)
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

    Settings: `NEWSMON_RENDER`, `NEWSMON_RENDER_MEMORY_DAYS`; the site's `render`.
    """

    def __init__(
        self,
        site: Site,
        mode: str = AUTO,
        memory: RenderMemory | None = None,
        stats: StatsCollector | None = None,
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

    @classmethod
    def from_crawler(cls, crawler: Crawler, site: Site) -> RenderPolicy:
        mode = str(crawler.settings.get("NEWSMON_RENDER") or AUTO).strip().lower()
        policy = cls(site, mode, RenderMemory.from_crawler(crawler))
        policy._crawler = crawler  # its stats exist once the crawl starts
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
        self._inc(f"newsmon/render/fallback/{kind}")
        level = logging.DEBUG if kind in self._told else logging.INFO
        self._told.add(kind)
        logger.log(level, "Rendering %s: its plain HTML has %s", response.url, lacking)
        return {FALLBACK_META: lacking}

    def rendered_page_read(self, kind: str, response: Response) -> None:
        """A rendered fallback gave what the plain page lacked: remember the site as needing rendering."""
        if not response.meta.get(FALLBACK_META):
            return
        self._inc(f"newsmon/render/fallback_succeeded/{kind}")
        if self.memory.remember(self.site.key, kind):
            kept = f"for {self.memory.max_age.days} days" if self.memory.path and self.memory.max_age else "this run"
            logger.info("%s needs rendering for %s pages: remembered (%s)", self.site.key, kind, kept)

    def rendered_page_failed(self, kind: str, response: Response) -> None:
        """A rendered fallback lacked it too: the page is what it is, nothing to remember."""
        if response.meta.get(FALLBACK_META):
            self._inc(f"newsmon/render/fallback_failed/{kind}")

    def close(self) -> None:
        self.memory.save()

    def _inc(self, key: str) -> None:
        stats = self._stats or (self._crawler.stats if self._crawler is not None else None)
        if stats is not None:
            stats.inc_value(key)


def is_rendered(response: Response) -> bool:
    return "playwright" in response.flags or bool(response.meta.get("playwright"))
