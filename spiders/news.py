"""Any news site from a short TOML config: `scrapy crawl news -a config=sites/example.toml`."""

from __future__ import annotations

from typing import Any

from scrapy.http import Response

from crawler.discover.spider import NewsSpider
from crawler.extract.ippen_listing import extract_teasers
from crawler.extract.link_listing import extract_link_teasers
from crawler.extract.profiles import read_article
from crawler.model.items import ArticleItem, TeaserItem
from crawler.model.sites import load_site


class GenericNewsSpider(NewsSpider):
    """Start pages, feeds and sitemaps from the config; articles read by JSON-LD, meta and main text."""

    name = "news"

    def __init__(self, config: str | None = None, **kwargs: Any) -> None:
        if not config:
            raise ValueError("the news spider needs -a config=FILE (a site's TOML config, see docs/sites.md)")
        self.site_config = load_site(config)
        super().__init__(**kwargs)
        self.run_args["config"] = config

    def read_listing(self, response: Response) -> list[TeaserItem]:
        if self.site_config.profile == "ippen":
            return extract_teasers(response.text, response.url, self.site)
        return extract_link_teasers(response.text, response.url, self.site, self._article_regex)

    def read_article(self, response: Response) -> ArticleItem:
        return read_article(self.site_config.profile, response.text, response.url, self.site)
