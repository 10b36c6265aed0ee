"""A redirect back to a URL already in the request's own chain is a loop: give up with a reason at once.

Scrapy's RedirectMiddleware copies `dont_filter` onto the redirected request, so a page that redirects to itself
(or A -> B -> A) is dropped by the duplicate filter without an error: the page is neither stored nor rejected.
Raising here sends the request to its errback, which keeps it as a reject (`fetch: RedirectLoop`).
Chains of new URLs (`?loop=1`, `?loop=2`, ...) still end at Scrapy's `REDIRECT_MAX_TIMES`.
"""

from __future__ import annotations

from urllib.parse import urljoin

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from w3lib.url import safe_url_string

REDIRECT_STATUSES = (301, 302, 303, 307, 308)


class RedirectLoop(IgnoreRequest):
    """The response redirects to a URL the request already went through."""


class RedirectLoopMiddleware:
    """Runs before RedirectMiddleware sees the response (a higher order number than its 600)."""

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if response.status not in REDIRECT_STATUSES or b"Location" not in response.headers:
            return response
        location = safe_url_string(response.headers[b"Location"].decode("latin-1"))
        target = urljoin(request.url, location).split("#")[0]
        seen = {request.url, *request.meta.get("redirect_urls", ())}
        if target in seen:
            raise RedirectLoop(f"redirect loop: {request.url} -> {target}")
        return response
