"""scrapy-redis' priority queue, with a taken request kept in Redis until it is handled (`Frontier.pop`)."""

from __future__ import annotations

from collections.abc import Collection

from scrapy import Request, Spider
from scrapy_redis.queue import PriorityQueue

from crawler.runtime.distributed.frontier import Frontier


class ReliableQueue(PriorityQueue):
    """Same layout and serialization as `scrapy_redis.queue.PriorityQueue` (a sorted set of pickled requests,
    score = -priority), so its tools and ours read the same queue. What changes:

    - `pop` moves the request into this worker's in-flight set in one Lua script, instead of MULTI ZRANGE +
      ZREMRANGEBYRANK, which forgets the request the moment it leaves Redis;
    - the queue remembers which request object came from which queued bytes, so `completed` can tell the
      worker which to acknowledge once Scrapy is done with them;
    - `pop` never blocks (the `timeout` argument is ignored): a blocking pop would stop the reactor.
    """

    def __init__(self, server, spider: Spider, key: str, frontier: Frontier, serializer=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(server, spider, key, serializer)
        self.frontier = frontier
        self.taken: dict[Request, bytes] = {}

    def encode(self, request: Request) -> bytes:
        return self._encode_request(request)

    def pop(self, timeout: int = 0) -> Request | None:
        data = self.frontier.pop()
        if data is None:
            return None
        request = self._decode_request(data)
        self.taken[request] = data
        return request

    def completed(self, in_progress: Collection[Request]) -> dict[Request, bytes]:
        """Taken requests that Scrapy no longer holds: downloaded, parsed, their requests and items passed on."""
        return {r: data for r, data in self.taken.items() if r not in in_progress}

    def forget(self, requests: Collection[Request]) -> None:
        for request in requests:
            self.taken.pop(request, None)
