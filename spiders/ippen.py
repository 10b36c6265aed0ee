"""Spiders of the IPPEN.MEDIA network: one CMS, so one spider class; a site is a line in crawler/model/sites.py."""

from __future__ import annotations

from typing import Any

from scrapy.http import Response

from crawler.discover.spider import NewsSpider
from crawler.extract.ippen_listing import extract_teasers
from crawler.extract.profiles import read_article
from crawler.model.items import ArticleItem, TeaserItem
from crawler.model.sites import IPPEN_SITES


class IppenSpider(NewsSpider):
    """Any IPPEN.MEDIA site: `scrapy crawl ippen -a site=tz.de` (default merkur.de)."""

    name = "ippen"
    site_key = "merkur.de"

    def __init__(self, site: str | None = None, **kwargs: Any) -> None:
        key = site or self.site_key
        if key not in IPPEN_SITES:
            raise ValueError(f"unknown IPPEN site {key!r}; known: {', '.join(sorted(IPPEN_SITES))}")
        self.site_config = IPPEN_SITES[key]
        super().__init__(**kwargs)
        if site:
            self.run_args["site"] = site

    def read_listing(self, response: Response) -> list[TeaserItem]:
        return extract_teasers(response.text, response.url, self.site)

    def read_article(self, response: Response) -> ArticleItem:
        return read_article("ippen", response.text, response.url, self.site)  # generic when no generation reads it


class MerkurSpider(IppenSpider):
    """merkur.de: homepage, sections, RSS, Google News sitemap and sitemap index."""

    name = "merkur"
    site_key = "merkur.de"
