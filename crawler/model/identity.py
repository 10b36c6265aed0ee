"""An article's identity: the publisher's article id where the site has one, else the canonical URL.

With the publisher id a new slug, a redirect or a tracking parameter maps to the same article.
"""

from __future__ import annotations

from crawler.model.fingerprint import short_hash


def article_id(site: str, publisher_id: str | None, url: str) -> str:
    """`merkur.de:91234567`; without a publisher id, a hash of the canonical URL: `site:u:<hash>`."""
    return f"{site}:{publisher_id}" if publisher_id else f"{site}:u:{short_hash(url)}"
