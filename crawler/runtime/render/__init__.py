"""Rendering JavaScript pages in Chromium through scrapy-playwright, only when a page needs it.

- :mod:`crawler.runtime.render.policy`: which pages are fetched rendered (per run, per site and page kind, per request),
  the automatic fallback for pages whose plain HTML has no teasers or no body, and the memory of such sites.
- :mod:`crawler.runtime.render.handler`: the http(s) download handler; plain requests take Scrapy's HTTP/1.1 path, and
  the Playwright driver and browser start with the first rendered request.
- :mod:`crawler.runtime.render.browser`: the browser binary and launch options from settings, and a clear error when
  there is no browser.
- :mod:`crawler.runtime.render.blocking`: images, fonts, media and third-party requests aborted in the browser.
- :mod:`crawler.runtime.render.addon`: registers the handler and maps newsmon's settings onto scrapy-playwright's.

See docs/rendering.md.
"""

from crawler.runtime.render.browser import BrowserNotFound, find_browser
from crawler.runtime.render.policy import ARTICLE, LISTING, RENDER_MODES, RenderMemory, RenderPolicy

__all__ = [
    "ARTICLE",
    "LISTING",
    "RENDER_MODES",
    "BrowserNotFound",
    "RenderMemory",
    "RenderPolicy",
    "find_browser",
]
