"""Scrapy's download limits for rendered pages: size (`DOWNLOAD_MAXSIZE`, decoded bytes, as Scrapy's decompression
guard counts them), warning size (`DOWNLOAD_WARNSIZE`) and time (`DOWNLOAD_TIMEOUT`), with their request meta keys
(`download_maxsize`, `download_warnsize`, `download_timeout`).

A rendered page is fetched by Chromium, not by Scrapy's HTTP handler, so none of Scrapy's limits applied: a page
serving a gzip bomb (256 KB packed, 256 MiB unpacked) was decompressed and parsed by the browser, serialized by
`page.content()` and handed to the spider whole, and the crawl reached 3.0 GB. Playwright reports a response's
size only once it is complete, so the page's bytes are counted as they arrive, from Chromium's DevTools
`Network.dataReceived` events (`dataLength`: bytes after content decoding), over every resource of the page;
an announced `Content-Length` above the cap stops the page as soon as its headers arrive. Past the cap the page
is closed at once, which stops its loading, and the request fails with Scrapy's own
`DownloadCancelledError` and message, as a plain page over the cap does. The whole rendered download (navigation,
scripts, serializing) is bounded by the request's download timeout (`DownloadTimeoutError`).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError
from scrapy.http import Request
from scrapy.settings import BaseSettings
from scrapy.utils._download_handlers import get_maxsize_msg, get_warnsize_msg

logger = logging.getLogger(__name__)


class PageBudget:
    """The bytes one rendered request may receive; `watch(page)` counts them and closes the page past the cap."""

    def __init__(self, request: Request, settings: BaseSettings) -> None:
        self.request = request
        self.maxsize = int(request.meta.get("download_maxsize", settings.getint("DOWNLOAD_MAXSIZE")))
        self.warnsize = int(request.meta.get("download_warnsize", settings.getint("DOWNLOAD_WARNSIZE")))
        self.timeout = float(request.meta.get("download_timeout", settings.getfloat("DOWNLOAD_TIMEOUT")))
        self.received = 0
        self.exceeded: str | None = None
        """Why the page was stopped (Scrapy's max-size message), or None."""
        self._warned = False
        self._closing: set[asyncio.Task[Any]] = set()

    async def watch(self, page: Page) -> None:
        """Count what the page receives (before it navigates: scrapy-playwright's page init callback)."""
        if not self.maxsize and not self.warnsize:
            return
        try:
            session = await page.context.new_cdp_session(page)
            session.on("Network.responseReceived", lambda event: self._announced(page, event))
            session.on("Network.dataReceived", lambda event: self._arrived(page, event))
            await session.send("Network.enable")
        except PlaywrightError as exc:  # not Chromium, or the page is gone already
            logger.debug("Cannot count the bytes of %s: %s", self.request.url, exc)

    def _announced(self, page: Page, event: dict[str, Any]) -> None:
        headers = {k.lower(): v for k, v in (event.get("response", {}).get("headers") or {}).items()}
        try:
            size = int(str(headers.get("content-length", "")).split(",")[0])
        except ValueError:
            return
        if self.maxsize and size > self.maxsize:
            self._stop(page, get_maxsize_msg(size, self.maxsize, self.request, expected=True))

    def _arrived(self, page: Page, event: dict[str, Any]) -> None:
        self.received += int(event.get("dataLength") or 0)
        if self.maxsize and self.received > self.maxsize:
            self._stop(page, get_maxsize_msg(self.received, self.maxsize, self.request, expected=False))
        elif self.warnsize and self.received > self.warnsize and not self._warned:
            self._warned = True
            logger.warning(get_warnsize_msg(self.received, self.warnsize, self.request, expected=False))

    def _stop(self, page: Page, message: str) -> None:
        if self.exceeded is not None:
            return
        self.exceeded = message
        logger.warning("Cancelling rendered page: %s", message)
        task = asyncio.ensure_future(self._close(page))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    @staticmethod
    async def _close(page: Page) -> None:
        with suppress(PlaywrightError):
            await page.close()

    def check(self, body_size: int | None = None) -> None:
        """Raise DownloadCancelledError when the page went over the cap, or its serialized body does."""
        if self.exceeded is None and body_size is not None and self.maxsize and body_size > self.maxsize:
            self.exceeded = get_maxsize_msg(body_size, self.maxsize, self.request, expected=False)
        if self.exceeded is not None:
            raise DownloadCancelledError(self.exceeded)

    def timed_out(self) -> DownloadTimeoutError:
        return DownloadTimeoutError(f"Getting {self.request.url} rendered took longer than {self.timeout} seconds.")
