"""AutoThrottle that counts a `304 Not Modified` as the answer it is.

Scrapy's AutoThrottle never lowers its delay on a response other than `200` (error pages and redirects are small
and fast and would drive the delay down). A `304` is neither: it is the server's real answer to a conditional
request, as fast as the server is. An unchanged re-crawl is nearly all `304`s, so with the stock extension it kept
`AUTOTHROTTLE_START_DELAY` between requests for the whole run and took longer than the first crawl (issue 16,
`bench/recrawl.py --autothrottle`). The delay still rises on slow `304`s as on slow `200`s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.extensions.throttle import AutoThrottle as ScrapyAutoThrottle

if TYPE_CHECKING:
    from scrapy.core.downloader import Slot
    from scrapy.http import Response


class AutoThrottle(ScrapyAutoThrottle):
    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        if response.status == 304:
            response = response.replace(status=200)  # a 304 has no body: the copy is a few attributes
        super()._adjust_delay(slot, latency, response)
