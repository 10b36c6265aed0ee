"""Scrapy add-on of incremental crawling: the revalidating HTTP cache for listing pages.

Registered by every newsmon spider (`NewsSpider.update_settings`), so `scrapy crawl`, `newsmon crawl` and
scheduled runs behave alike. The revisit policy itself is the spider's planner (`crawler.discover.revisit.planner`).
Settings are set at add-on priority: `HTTPCACHE_*` in a project's settings or on the command line still win.
"""

from __future__ import annotations

from scrapy.settings import BaseSettings

from crawler.config import data_dir, option

PRIORITY = "addon"


class IncrementalAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        if not option(settings, "NEWSMON_CONDITIONAL"):
            return
        cache = {
            "HTTPCACHE_ENABLED": True,
            "HTTPCACHE_POLICY": "crawler.discover.revisit.http_cache.RevalidatePolicy",
            "HTTPCACHE_STORAGE": "crawler.discover.revisit.http_cache.AtomicFilesystemCacheStorage",
            "HTTPCACHE_DIR": str(data_dir(settings) / "httpcache"),
            "HTTPCACHE_EXPIRATION_SECS": 0,
            "HTTPCACHE_GZIP": True,
        }
        for name, value in cache.items():
            settings.set(name, value, priority=PRIORITY)
