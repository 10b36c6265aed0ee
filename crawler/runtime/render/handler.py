"""The http(s) download handler: plain requests on Scrapy's HTTP/1.1 path, rendered ones in Chromium.

scrapy-playwright's handler starts a Playwright driver (a ~150 MB Node process) when the engine starts, one per
scheme. This subclass starts nothing until the first request with `meta["playwright"]` arrives, and then only
one driver and one browser for the crawl, whichever scheme asked; a crawl that renders nothing never starts
either. Every page is closed when its request ends (successfully, with an error, or cancelled), and the browser
context is replaced every `NEWSMON_RENDER_CONTEXT_PAGES` pages, so caches and renderer memory do not pile up.

Limits come from scrapy-playwright's settings, which :class:`crawler.runtime.render.addon.RenderAddon` fills from
newsmon's: `PLAYWRIGHT_MAX_CONTEXTS`, `PLAYWRIGHT_MAX_PAGES_PER_CONTEXT`, `PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT`,
and aborted requests (:mod:`crawler.runtime.render.blocking`); and Scrapy's own download limits, size and time
(:mod:`crawler.runtime.render.limits`).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from contextlib import suppress
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from crawler.config import option
from crawler.runtime.render.blocking import RequestBlocker
from crawler.runtime.render.browser import BrowserNotFound, find_browser
from crawler.runtime.render.limits import PageBudget

logger = logging.getLogger(__name__)

CONTEXT_PREFIX = "newsmon-"
CONTEXT_KWARGS: dict[str, Any] = {"service_workers": "block", "accept_downloads": False}
"""Browser context options: no service workers (they fetch behind the page's back), no file downloads."""

_RENDERERS: weakref.WeakKeyDictionary[Crawler, RenderingDownloadHandler] = weakref.WeakKeyDictionary()
"""The one handler per crawl that owns the driver and browser (Scrapy builds one handler per scheme)."""


class RenderingDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """`DOWNLOAD_HANDLERS` for http and https; renders requests whose meta has `playwright: True`."""

    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._renderer = _RENDERERS.setdefault(crawler, self)
        self._started = False
        self._start_lock = asyncio.Lock()
        self._start_error: BrowserNotFound | None = None
        self._remote = bool(self.config.cdp_url or self.config.connect_url)
        self._recycle_after = option(crawler.settings, "NEWSMON_RENDER_CONTEXT_PAGES")
        self._generation = 0
        self._context_pages = 0
        self._in_flight: dict[str, int] = {}
        if not crawler.settings.get("PLAYWRIGHT_ABORT_REQUEST"):
            self.abort_request = RequestBlocker.from_settings(crawler.settings)

    @property
    def started(self) -> bool:
        """Has this crawl started a Playwright driver?"""
        return self._renderer._started

    async def _maybe_launch_in_thread(self) -> None:
        """At engine start scrapy-playwright starts its driver; newsmon waits for the first rendered request."""

    async def close(self) -> None:
        if self._started:
            await super().close()  # contexts, browser, driver
        else:
            await HTTP11DownloadHandler.close(self)

    async def download_request(self, request: Request) -> Response:
        if not request.meta.get("playwright"):
            return await HTTP11DownloadHandler.download_request(self, request)
        return await self._renderer._render(request)

    async def _start(self) -> None:
        async with self._start_lock:
            if self._started:
                return
            if self._start_error is None and not self._remote:
                try:
                    find_browser(self._crawler.settings)
                except BrowserNotFound as exc:
                    logger.error("Cannot render pages: %s", exc)
                    self._start_error = exc
            if self._start_error is not None:
                raise self._start_error
            await self._launch()
            self._started = True

    def _context_name(self) -> str:
        """The context for the next page: a fresh one every NEWSMON_RENDER_CONTEXT_PAGES pages, once the one
        retired before has closed (so at most two exist: PLAYWRIGHT_MAX_CONTEXTS = 2)."""
        current = f"{CONTEXT_PREFIX}{self._generation}"
        draining = any(name != current for name in self._in_flight)
        if self._recycle_after and self._context_pages >= self._recycle_after and not draining:
            self._generation += 1
            self._context_pages = 0
            current = f"{CONTEXT_PREFIX}{self._generation}"
        self._context_pages += 1
        self._in_flight[current] = self._in_flight.get(current, 0) + 1
        return current

    async def _release_context(self, name: str) -> None:
        self._in_flight[name] -= 1
        if self._in_flight[name] or name == f"{CONTEXT_PREFIX}{self._generation}":
            return
        del self._in_flight[name]
        wrapper = self.context_wrappers.get(name)
        if wrapper is not None:
            with suppress(PlaywrightError):
                await wrapper.context.close()
            self.stats.inc_value("newsmon/render/contexts_recycled")

    async def _render(self, request: Request) -> Response:
        await self._start()
        opened: list[Page] = []
        own_context = str(request.meta.get("playwright_context", CONTEXT_PREFIX)).startswith(CONTEXT_PREFIX)
        if own_context:  # a request may name its own context; newsmon's are recycled
            request.meta["playwright_context"] = context = self._context_name()

        budget = PageBudget(request, self._crawler.settings)

        async def remember_page(page: Page, _request: Request) -> None:
            opened.append(page)
            if budget.exceeded:  # scrapy-playwright retries a closed page: not one stopped over the cap
                await page.close()
            else:
                await budget.watch(page)

        request.meta["playwright_page_init_callback"] = remember_page
        request.meta.setdefault("playwright_context_kwargs", CONTEXT_KWARGS)
        try:
            try:
                response = await asyncio.wait_for(self._download_request(request), budget.timeout or None)
            except TimeoutError as exc:
                raise budget.timed_out() from exc
            except Exception:
                budget.check()  # a page stopped over the cap fails in Playwright: say why
                raise
            budget.check(len(response.body))
            return response
        finally:
            del request.meta["playwright_page_init_callback"]  # no page reference outlives the download
            # scrapy-playwright closes the page on success and on errors; not when the request is cancelled
            if not request.meta.get("playwright_include_page"):
                for page in opened:
                    if not page.is_closed():
                        with suppress(PlaywrightError):
                            await page.close()
                        self.stats.inc_value("playwright/page_count/closed")
            if own_context:
                await self._release_context(context)
