"""At most `NEWSMON_LISTING_MAX_LINKS` teasers (and so article links) taken from one listing page.

A hostile or broken listing page can link any number of articles: one 7.8 MB page with 100,000 article links
gave 100,000 teaser documents, 100,000 queued requests and ten minutes of store writes. Real homepages link a
few hundred articles, so the first `NEWSMON_LISTING_MAX_LINKS` teasers in page order (the most prominent ones)
are kept and the rest dropped, with a warning per page and the stats `newsmon/listing/pages_cut` and
`newsmon/listing/links_cut`, which the run's record (`crawl_runs.counts`) and its health (an alert of kind
`listing_cut`) report. The cut is applied where the spider takes a listing's teasers, after extraction, so the
extractors stay pure and the article requests, which come from the teasers, are bounded too.
"""

from __future__ import annotations

import logging
from typing import Any

from crawler.config import option
from crawler.runtime.health.metrics import LINKS_CUT, PAGES_CUT

logger = logging.getLogger(__name__)

SETTING = "NEWSMON_LISTING_MAX_LINKS"
"""The default of the setting (crawler/config.py), for a spider without a crawler."""


def cap_listing[T](spider: Any, teasers: list[T], url: str) -> list[T]:
    """The first `NEWSMON_LISTING_MAX_LINKS` of a listing page's teasers (0 or less: no limit); `spider`'s
    crawler, when it has one, gives the setting and counts the cut."""
    crawler = getattr(spider, "crawler", None)
    settings = getattr(crawler, "settings", None)
    limit = option(settings, SETTING)
    if limit <= 0 or len(teasers) <= limit:
        return teasers
    dropped = len(teasers) - limit
    logger.warning("Listing %s links %d articles: took the first %d (%s)", url, len(teasers), limit, SETTING)
    stats = getattr(crawler, "stats", None)
    if stats is not None:
        stats.inc_value(PAGES_CUT)
        stats.inc_value(LINKS_CUT, dropped)
    return teasers[:limit]
