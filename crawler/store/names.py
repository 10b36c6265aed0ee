"""Collection names, apart from their indexes (`schema`) and validators (`validators`), which both need them."""

from __future__ import annotations

ARTICLES = "articles"
ARTICLE_VERSIONS = "article_versions"
TEASERS = "teasers"
CHANGES = "changes"
CRAWL_RUNS = "crawl_runs"
REJECTS = "rejects"
COUNTERS = "counters"

COLLECTIONS = (ARTICLES, ARTICLE_VERSIONS, TEASERS, CHANGES, CRAWL_RUNS, REJECTS)
