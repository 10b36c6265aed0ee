"""robots.txt obeyed for every request, not only the first one that waited for the file.

Scrapy 2.19's `RobotsTxtMiddleware.robot_parser()` keeps one Deferred per host while robots.txt downloads, and
every request arriving meanwhile awaits that same Deferred (`maybe_deferred_to_future`). Turning a Deferred
into a future adds a callback that returns None, so the first waiter gets the parser and every later one gets
None, which the middleware reads as "no robots.txt: allowed". On a site whose robots.txt disallows everything,
13 of newsmon's 15 start requests went out. This came with the `async def` rewrite of the middleware (scrapy PR
6802); bare Scrapy behaves the same. The subclass below gives each waiter its own Deferred, fired with the
parser that the shared one carries, and otherwise keeps Scrapy's middleware as it is: `ROBOTSTXT_OBEY`,
`ROBOTSTXT_USER_AGENT`, `ROBOTSTXT_PARSER`, the `robotstxt/*` stats, the `robots_parsed` signal, and how a
robots.txt that fails to load is read (an answer of any status is parsed as it is, so a 404 or 500 page
without rules allows everything; a download error allows everything and counts
`robotstxt/exception_count/...`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from scrapy.http import Request
    from scrapy.robotstxt import RobotParser


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Replaces Scrapy's (`DOWNLOADER_MIDDLEWARES`, same order 100): every request waiting for a host's
    robots.txt is checked against it."""

    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):
            # robots.txt not asked for yet (this request fetches it), or known: Scrapy's own path
            return await super().robot_parser(request)
        mine: Deferred[RobotParser | None] = Deferred()

        def hand_on(parser: Any) -> Any:
            mine.callback(parser)
            return parser  # the shared Deferred keeps the parser for the next waiter

        pending.addCallback(hand_on)
        return await maybe_deferred_to_future(mine)
