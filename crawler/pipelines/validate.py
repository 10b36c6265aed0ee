"""Article validation: an article without what every consumer relies on becomes a reject with its reasons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crawler.model.items import ArticleItem, RejectItem

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


def problems(item: ArticleItem) -> list[str]:
    """What is missing or wrong, in words a reader of `rejects` understands; empty when the article is valid."""
    found = []
    parts = urlsplit(item.url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        found.append(f"no absolute http(s) URL ({item.url!r})")
    if not item.site:
        found.append("no site")
    if not (item.headline or "").strip():
        found.append("no headline")
    if not (item.published or item.modified or item.fetched_at):
        found.append("no date and no fetch time")
    if not item.lead and not any(block.text.strip() for block in item.body):
        found.append("empty body")
    return found


class ValidatePipeline:
    """Turns an invalid article into a `RejectItem` (reason + the item) that the store keeps; the crawl goes on.

    Required: an absolute URL, a site, a headline, a date (published, modified or at least the fetch time) and
    some body (a lead or a non-empty block). Counted in the stats as `newsmon/invalid/<reason>`.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        found = problems(item)
        if not found:
            return item
        assert self.crawler.stats is not None
        for reason in found:
            self.crawler.stats.inc_value(f"newsmon/invalid/{reason.split(' (')[0]}")
        return RejectItem(
            url=item.fetched_url or item.url,
            reason="invalid article: " + "; ".join(found),
            site=item.site,
            item=item.to_dict(),
            seen_at=item.fetched_at,
        )
