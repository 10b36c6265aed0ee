"""A local merkur.de-like publisher built from the real IPPEN.MEDIA pages in ../shared/fixtures.

Used by tests, benchmarks and `make demo`:

    site = LocalSite(n_articles=40, seed=1)
    with site.serve(port=0) as base_url:
        ...  # crawl base_url; site.edit_article(...), site.set_fault(...), site.requests

Command line: `python -m tests.support.localsite serve --port 8800` and control subcommands (`--help`).
"""

from tests.support.localsite.content import SECTIONS, SEED_ARTICLE_ID, ArticleSpec, Block, ImageSpec
from tests.support.localsite.faults import Fault
from tests.support.localsite.fixtures import FixturesNotFound
from tests.support.localsite.publisher import Publisher, RequestRecord, Response
from tests.support.localsite.site import LocalSite

__all__ = [
    "SECTIONS",
    "SEED_ARTICLE_ID",
    "ArticleSpec",
    "Block",
    "Fault",
    "FixturesNotFound",
    "ImageSpec",
    "LocalSite",
    "Publisher",
    "RequestRecord",
    "Response",
]
