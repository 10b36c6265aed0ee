"""Pure extractors: (html, url) -> Article | list[Teaser]; no Scrapy, no database."""
