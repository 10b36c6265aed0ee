"""What the browser does not load: images, fonts and media, and requests to other sites (ads, trackers, embeds).

Settings: `NEWSMON_RENDER_BLOCK_TYPES` (Playwright resource types, space-separated; default
`image font media`) and `NEWSMON_RENDER_ALLOW_THIRD_PARTY` (default off: requests to hosts outside the page's
site are aborted). A project that sets scrapy-playwright's own `PLAYWRIGHT_ABORT_REQUEST` replaces this.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from playwright.async_api import Request as PlaywrightRequest
from scrapy.settings import BaseSettings

from crawler.config import option


def _site_of(host: str) -> str:
    """The part of a host name that says whose site it is: an IP address whole, else its last two labels."""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        return ".".join(host.split(".")[-2:])


def is_third_party(url: str, page_url: str) -> bool:
    """Is `url` on another site than `page_url`? URLs without a host (data:, blob:, about:) never are."""
    host, page_host = urlsplit(url).hostname, urlsplit(page_url).hostname
    if not host or not page_host:
        return False
    return host != page_host and _site_of(host) != _site_of(page_host)


class RequestBlocker:
    """PLAYWRIGHT_ABORT_REQUEST predicate: True aborts the browser's request."""

    def __init__(self, resource_types: Iterable[str], block_third_party: bool = True) -> None:
        self.resource_types = frozenset(t.strip().lower() for t in resource_types if t.strip())
        self.block_third_party = block_third_party

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RequestBlocker:
        return cls(
            str(option(settings, "NEWSMON_RENDER_BLOCK_TYPES")).replace(",", " ").split(),
            not option(settings, "NEWSMON_RENDER_ALLOW_THIRD_PARTY"),
        )

    def __call__(self, request: PlaywrightRequest) -> bool:
        if request.resource_type in self.resource_types:
            return True
        if not self.block_third_party:
            return False
        try:
            frame = request.frame
        except Exception:  # a service worker's request has no frame: nothing to compare with
            return False
        if frame.parent_frame is None and request.is_navigation_request():
            return False  # the page itself (and its redirects)
        return is_third_party(request.url, frame.page.main_frame.url)
