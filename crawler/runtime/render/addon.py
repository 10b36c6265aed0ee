"""Scrapy add-on: the rendering download handler, and scrapy-playwright's settings from newsmon's.

With `NEWSMON_RENDER=never` it registers nothing: the crawl uses Scrapy's own handlers and cannot start a
browser. Otherwise http and https go through :class:`crawler.runtime.render.handler.RenderingDownloadHandler`, which
starts the driver and browser only for the first rendered request. Settings are set at add-on priority, so
`PLAYWRIGHT_*` settings in a project's settings module, the spider or on the command line still win.

| newsmon setting | scrapy-playwright setting |
|---|---|
| `NEWSMON_BROWSER_PATH`, `NEWSMON_BROWSER_ARGS` | `PLAYWRIGHT_LAUNCH_OPTIONS` (`executable_path`, `args`, headless) |
| `NEWSMON_RENDER_MAX_PAGES` | `PLAYWRIGHT_MAX_PAGES_PER_CONTEXT` (`PLAYWRIGHT_MAX_CONTEXTS` = 2: one retiring) |
| `NEWSMON_RENDER_TIMEOUT_MS` | `PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT` |
| `NEWSMON_RENDER_BLOCK_TYPES`, `..._ALLOW_THIRD_PARTY` | `abort_request` (if no `PLAYWRIGHT_ABORT_REQUEST`) |
"""

from __future__ import annotations

from scrapy.settings import BaseSettings

from crawler.config import option
from crawler.model.sites import RENDER_MODES
from crawler.runtime.render.browser import launch_options

HANDLER = "crawler.runtime.render.handler.RenderingDownloadHandler"
PRIORITY = "addon"


class RenderAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        mode = str(option(settings, "NEWSMON_RENDER")).strip().lower()
        if mode not in RENDER_MODES:
            raise ValueError(f"NEWSMON_RENDER={mode!r}: use one of {', '.join(RENDER_MODES)}")
        if mode == "never":
            return
        handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
        for scheme in ("http", "https"):
            handlers.setdefault(scheme, HANDLER)
        settings.set("DOWNLOAD_HANDLERS", handlers, priority=PRIORITY)
        mapped = {
            "PLAYWRIGHT_BROWSER_TYPE": "chromium",
            "PLAYWRIGHT_LAUNCH_OPTIONS": launch_options(settings),
            # one context in use, and the one being retired (NEWSMON_RENDER_CONTEXT_PAGES) while its pages finish
            "PLAYWRIGHT_MAX_CONTEXTS": 2,
            "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": option(settings, "NEWSMON_RENDER_MAX_PAGES"),
            "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": option(settings, "NEWSMON_RENDER_TIMEOUT_MS"),
        }
        for name, value in mapped.items():
            settings.set(name, value, priority=PRIORITY)
