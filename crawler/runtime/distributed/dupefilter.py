"""scrapy-redis' duplicate filter, keyed per site and per run."""

from __future__ import annotations

from scrapy import Request
from scrapy_redis.dupefilter import RFPDupeFilter

from crawler.runtime.distributed.keys import Keys


class RunDupeFilter(RFPDupeFilter):
    """`RFPDupeFilter` (SHA-1 over method, canonical URL and body, in a Redis set) on the run's seen-set.

    Its `close()` deletes the set: right for one process, wrong for a fleet (the first worker to stop would make
    the others fetch everything again). The run's starter clears the set instead (`Frontier.new_run`).
    """

    @classmethod
    def for_keys(cls, server, keys: Keys, debug: bool = False) -> RunDupeFilter:  # type: ignore[no-untyped-def]
        return cls(server, key=keys.seen, debug=debug)

    def fingerprint(self, request: Request) -> str | None:
        """None for a request that must not be filtered (`dont_filter`: retries, rendered fallbacks)."""
        return None if request.dont_filter else self.request_fingerprint(request)

    def close(self, reason: str = "") -> None:
        """Keep the seen-set: other workers still use it."""
