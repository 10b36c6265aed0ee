"""Names of one site's keys in Redis, in one place.

Every key of a site carries the site in a hash tag (`newsmon:{merkur.de}:requests`), so the Lua scripts that
touch several of them stay valid on a Redis Cluster too. The queue is per site, not per spider name: the `news`
and `ippen` spiders crawl many sites, and a request must be parsed by a spider configured for its site.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crawler.config import default

DEFAULT_PREFIX = default("NEWSMON_REDIS_PREFIX")
STAT = "newsmon/distributed/"
"""Prefix of distributed mode's crawl stats (scheduler, worker loop, start middleware)."""


@dataclass(frozen=True)
class Keys:
    prefix: str
    site: str

    @classmethod
    def for_spider(cls, spider: Any, prefix: str | None = None) -> Keys:
        """A newsmon spider's site (the key of its `site_config`), else the spider's name."""
        return cls(prefix or DEFAULT_PREFIX, str(getattr(spider, "site", None) or spider.name))

    def _key(self, name: str) -> str:
        return f"{self.prefix}:{{{self.site}}}:{name}"

    @property
    def requests(self) -> str:
        """Sorted set: the shared queue (scrapy-redis' PriorityQueue layout, score = -priority)."""
        return self._key("requests")

    @property
    def seen(self) -> str:
        """Set: request fingerprints of the current run (scrapy-redis' duplicate filter)."""
        return self._key("seen")

    @property
    def run(self) -> str:
        """String (JSON): the run in progress: id, start time, who started it."""
        return self._key("run")

    @property
    def lock(self) -> str:
        """Lock held while a run is started, joined, seeded or left."""
        return self._key("lock")

    @property
    def workers(self) -> str:
        """Set: ids of the processes registered in the run (alive or not yet found dead)."""
        return self._key("workers")

    def alive(self, worker: str) -> str:
        """String with a TTL, refreshed by the worker's heartbeat: its absence means the worker is dead."""
        return self._key(f"alive:{worker}")

    def inflight(self, worker: str) -> str:
        """Sorted set: requests the worker took and has not finished (same layout as the queue)."""
        return self._key(f"inflight:{worker}")
