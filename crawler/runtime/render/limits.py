"""Scrapy's download limits for rendered pages: size (`DOWNLOAD_MAXSIZE`, decoded bytes, as Scrapy's decompression
guard counts them), warning size (`DOWNLOAD_WARNSIZE`) and time (`DOWNLOAD_TIMEOUT`), with their request meta keys
(`download_maxsize`, `download_warnsize`, `download_timeout`).

A rendered page is fetched by Chromium, not by Scrapy's HTTP handler, so none of Scrapy's limits applied: a page
serving a gzip bomb (256 KB packed, 256 MiB unpacked) was decompressed and parsed by the browser, serialized by
`page.content()` and handed to the spider whole, and the crawl reached 3.0 GB. Playwright reports a response's
size only once it is complete, so two DevTools (CDP) hooks of the page's own session do the counting:

- documents (the page and its frames) are paused when their headers arrive (`Fetch`, response stage) and their
  body, decoded, is read by this handler as a stream (`Fetch.takeResponseBodyAsStream`, `IO.read`): past the cap
  the request is failed before the browser has parsed a byte of it, else the body is handed to the browser
  (`Fetch.fulfillRequest`). Reading pulls the body, so the browser never holds more than what was read;
- every other resource (scripts, XHR) is counted as it arrives (`Network.dataReceived`, decoded bytes) and the
  page is closed once the page's total passes the cap; an announced `Content-Length` above the cap stops it as
  soon as the headers arrive.

Either way the request fails with Scrapy's own `DownloadCancelledError` and message, as a plain page over the cap
does. The whole rendered download (navigation, scripts, serializing) is bounded by the request's download timeout
(`DownloadTimeoutError`). Playwright's own routing (scrapy-playwright's `page.route`) works on another session at
the request stage and is not disturbed.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from contextlib import suppress
from typing import Any

from playwright.async_api import CDPSession, Page
from playwright.async_api import Error as PlaywrightError
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
        self._closing: set[asyncio.Future[Any]] = set()
        """Tasks started from DevTools events (kept referenced until done)."""

    async def watch(self, page: Page) -> None:
        """Count what the page receives (before it navigates: scrapy-playwright's page init callback)."""
        if not self.maxsize and not self.warnsize:
            return
        try:
            session = await page.context.new_cdp_session(page)
            session.on("Network.responseReceived", lambda event: self._announced(page, event))
            session.on("Network.dataReceived", lambda event: self._arrived(page, event))
            await session.send("Network.enable")
            if self.maxsize:
                session.on("Fetch.requestPaused", lambda event: self._spawn(self._read_document(session, event)))
                await session.send(
                    "Fetch.enable", {"patterns": [{"resourceType": "Document", "requestStage": "Response"}]}
                )
        except PlaywrightError as exc:  # not Chromium, or the page is gone already
            logger.debug("Cannot count the bytes of %s: %s", self.request.url, exc)

    async def _read_document(self, session: CDPSession, event: dict[str, Any]) -> None:
        """A document's body read up to the cap: failed past it, else handed to the browser decoded."""
        request_id = event["requestId"]
        status = int(event.get("responseStatusCode") or 0)
        try:
            if event.get("responseErrorReason") or not status or 300 <= status < 400:
                await session.send("Fetch.continueRequest", {"requestId": request_id})  # errors, redirects
                return
            announced = _content_length({h["name"]: h["value"] for h in event.get("responseHeaders") or []})
            if announced is not None and announced > self.maxsize:
                self.exceeded = self.exceeded or get_maxsize_msg(announced, self.maxsize, self.request, expected=True)
                logger.warning("Cancelling rendered page: %s", self.exceeded)
                await session.send("Fetch.failRequest", {"requestId": request_id, "errorReason": "BlockedByClient"})
                return
            stream = (await session.send("Fetch.takeResponseBodyAsStream", {"requestId": request_id}))["stream"]
            chunks: list[bytes] = []
            size = 0
            try:
                while True:
                    read = await session.send("IO.read", {"handle": stream, "size": 2**20})
                    data = str(read.get("data") or "")
                    chunk = base64.b64decode(data) if read.get("base64Encoded") else data.encode()
                    size += len(chunk)
                    chunks.append(chunk)
                    if size > self.maxsize:
                        self.exceeded = self.exceeded or get_maxsize_msg(
                            size, self.maxsize, self.request, expected=False
                        )
                        logger.warning("Cancelling rendered page: %s", self.exceeded)
                        await session.send(
                            "Fetch.failRequest", {"requestId": request_id, "errorReason": "BlockedByClient"}
                        )
                        return
                    if read.get("eof"):
                        break
            finally:
                with suppress(PlaywrightError):
                    await session.send("IO.close", {"handle": stream})
            dropped = ("content-encoding", "content-length")  # the body handed on is decoded
            headers = [h for h in event.get("responseHeaders") or [] if h["name"].lower() not in dropped]
            body = base64.b64encode(b"".join(chunks)).decode()
            fulfill = {"requestId": request_id, "responseCode": status, "responseHeaders": headers, "body": body}
            await session.send("Fetch.fulfillRequest", fulfill)
        except PlaywrightError as exc:  # the page closed meanwhile
            logger.debug("Reading %s stopped: %s", event.get("request", {}).get("url"), exc)

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _announced(self, page: Page, event: dict[str, Any]) -> None:
        size = _content_length(event.get("response", {}).get("headers") or {})
        if self.maxsize and size is not None and size > self.maxsize:
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
        self._spawn(self._close(page))

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


def _content_length(headers: dict[str, Any]) -> int | None:
    """The announced body size, if the headers give a readable one."""
    value = next((str(v) for k, v in headers.items() if k.lower() == "content-length"), "")
    try:
        return int(value.split(",")[0])
    except ValueError:
        return None
