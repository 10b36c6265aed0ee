"""Scrapy settings of the newsmon project: polite defaults, newsmon's components, nothing read from env here.

Environment variables are mapped onto settings by :class:`crawler.config.EnvSettingsAddon` when a crawler
starts; user-facing settings and their defaults are listed in :mod:`crawler.config`.
"""

from crawler.config import OPTIONS

BOT_NAME = "newsmon"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
# `scrapy crawl` that refuses a bad setting or spider argument in one line and exits 1 when nothing could be done.
COMMANDS_MODULE = "crawler.apps.scrapy_commands"

# Defaults of the user-facing options (crawler/config.py is the one table of them).
globals().update({opt.setting: opt.default for opt in OPTIONS})

# Env first, then rendering (which reads the NEWSMON_RENDER* settings env may have set), then distributed mode
# (scrapy-redis scheduler; only when REDIS_URL is set, see crawler/runtime/distributed).
ADDONS = {
    "crawler.config.EnvSettingsAddon": 0,
    "crawler.runtime.render.addon.RenderAddon": 10,
    "crawler.runtime.distributed.addon.DistributedAddon": 30,
}

# Politeness: obey robots.txt, adapt to the server, a few requests per site at a time.
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_TIMES = 2
# Scrapy starts this many tasks per response to process its output (items and requests) in parallel; newsmon's
# pipelines are synchronous (the store queues and returns), so 100 (the default) only cost ~100 tasks per page.
CONCURRENT_ITEMS = 8

# Scrapy 2.19 starts a code-executing remote-control server and the telnet console: newsmon needs neither.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

# A page that redirects back into its own chain, or whose header lies about a UTF-8 body (crawler/runtime/middlewares);
# and Scrapy's robots.txt middleware replaced by one that checks every request waiting for robots.txt, not only
# the first (crawler/runtime/middlewares/robotstxt.py).
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.runtime.middlewares.robotstxt.RobotsTxtMiddleware": 100,
    "crawler.runtime.middlewares.redirect_loop.RedirectLoopMiddleware": 610,
    "crawler.runtime.middlewares.charset.Utf8BodyMiddleware": 620,
}

ITEM_PIPELINES = {
    "crawler.pipelines.teasers.TeaserPipeline": 200,
    "crawler.pipelines.normalize.NormalizePipeline": 300,
    "crawler.pipelines.validate.ValidatePipeline": 400,
    "crawler.pipelines.store.StorePipeline": 900,
}
EXTENSIONS = {
    "crawler.runtime.extensions.safe_log.SafeLog": 50,
    # AutoThrottle that lowers its delay on 304s too (an unchanged re-crawl is all 304s):
    # crawler/runtime/extensions/throttle.py
    "scrapy.extensions.throttle.AutoThrottle": None,
    "crawler.runtime.extensions.throttle.AutoThrottle": 0,
    "crawler.runtime.extensions.crawl_runs.CrawlRunRecorder": 100,
    "crawler.runtime.health.extension.CrawlHealth": 110,
    # Progress lines in the log and live on a terminal (off: NEWSMON_PROGRESS_INTERVAL=0, NEWSMON_PROGRESS_LIVE=off).
    "crawler.runtime.extensions.progress.Progress": 500,
}
# spidermon's monitors in newsmon's close-of-run health suite (crawler/runtime/health/monitors.py): a run without a
# single item fails, and so does one where more than 10 % of requests were refused or failed on the server.
SPIDERMON_MIN_ITEMS = 1
SPIDERMON_UNWANTED_HTTP_CODES = {code: {"max_percentage": 0.1} for code in (403, 429, 500, 502, 503, 504)}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
# JSON feeds (`-O items.jsonl`) name each item's type: article, teaser or reject (crawler/runtime/feed_exporters.py).
FEED_EXPORTERS = {
    "json": "crawler.runtime.feed_exporters.TypedJsonItemExporter",
    "jsonlines": "crawler.runtime.feed_exporters.TypedJsonLinesItemExporter",
    "jsonl": "crawler.runtime.feed_exporters.TypedJsonLinesItemExporter",
    "jl": "crawler.runtime.feed_exporters.TypedJsonLinesItemExporter",
}
LOG_LEVEL = "INFO"
