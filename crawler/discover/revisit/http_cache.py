"""Conditional requests for listing pages, feeds and sitemaps: Scrapy's HTTP cache, always revalidated.

Scrapy's `HttpCacheMiddleware` keeps the last answer per page and, with these two classes, asks the server on every
run whether it changed (`If-None-Match` / `If-Modified-Since`). A `304` costs a header, and the cached page is
handed to the spider as if fetched: a listing is read again (its teasers are seen in this run too, which
placements and last-seen times need), but its bytes do not cross the network.

- :class:`RevalidatePolicy`: RFC 2616, except that a cached page is never used without asking (a heuristic
  freshness from `Last-Modified` would keep a homepage stale for days) and that article pages and rendered
  pages are not cached at all: articles carry their own validators in the store
  (`crawler.discover.revisit.planner`), so a
  `304` for an article is not turned back into a page that would be parsed again; a browser cannot be fed a
  cached page.
- :class:`AtomicFilesystemCacheStorage`: Scrapy's filesystem storage, but a crash (SIGKILL) while an entry is
  written leaves no half entry: the entry's `pickled_meta`, which makes it visible, is removed first and written
  last, atomically.

Enabled with `NEWSMON_CONDITIONAL` (default on) by `crawler.discover.revisit.addon.IncrementalAddon`; the cache lives in
`<data dir>/httpcache/<spider>/`.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from time import time
from typing import TYPE_CHECKING

from scrapy.extensions.httpcache import FilesystemCacheStorage, RFC2616Policy
from scrapy.utils.python import to_bytes
from w3lib.http import headers_dict_to_raw

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.http import Response

NO_CACHE_META = ("playwright", "newsmon_revisit")
"""Rendered requests and article requests (which carry `newsmon_revisit`) bypass the cache."""


class RevalidatePolicy(RFC2616Policy):
    def should_cache_request(self, request: Request) -> bool:
        if any(request.meta.get(key) for key in NO_CACHE_META):
            return False
        return super().should_cache_request(request)

    def is_cached_response_fresh(self, cachedresponse: Response, request: Request) -> bool:
        """Never fresh: always ask the server, with the cached answer's validators."""
        self._set_conditional_validators(request, cachedresponse)
        return False


class AtomicFilesystemCacheStorage(FilesystemCacheStorage):
    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        rpath = Path(self._get_request_path(spider, request))
        rpath.mkdir(parents=True, exist_ok=True)
        (rpath / "pickled_meta").unlink(missing_ok=True)  # invisible while it is rewritten
        metadata = {
            "url": request.url,
            "method": request.method,
            "status": response.status,
            "response_url": response.url,
            "timestamp": time(),
        }
        data = {k: v for k, v in response.to_dict().items() if k not in {"url", "status", "headers", "body"}}
        files = {
            "meta": to_bytes(repr(metadata)),
            "response_headers": headers_dict_to_raw(response.headers) or b"",
            "response_body": response.body,
            "response_data": pickle.dumps(data, protocol=4),
            "request_headers": headers_dict_to_raw(request.headers) or b"",
            "request_body": request.body,
        }
        for name, content in files.items():
            self._write(rpath, name, content)
        self._write(rpath, "pickled_meta", pickle.dumps(metadata, protocol=4))

    def _write(self, directory: Path, name: str, content: bytes) -> None:
        """Write to a temporary file beside the target, then rename over it (atomic on POSIX)."""
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
        os.close(fd)
        try:
            with self._open(tmp, "wb") as f:
                f.write(content)
            os.replace(tmp, directory / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
