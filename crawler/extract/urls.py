"""Links of a page: resolved against the page's URL, and the publisher's article id in an article URL."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

_IPPEN_ID = re.compile(r"-(\d{5,})\.html?$")


def join_url(base: str, href: str | None) -> str | None:
    """`href` resolved against `base`, or None for a URL no browser would follow.

    `urljoin` raises ValueError on a hostile link (`http://[CDATA[<script>...]/`: a bracketed host that is no
    IP address); such a link is skipped like a missing one, never a crash of the whole page.
    """
    href = (href or "").strip()
    if not href:
        return None
    try:
        return urljoin(base, href)
    except ValueError:
        return None


def publisher_id(url: str) -> str | None:
    """IPPEN.MEDIA article ids: the digits before `.html` (`...-91234567.html`)."""
    match = _IPPEN_ID.search(url.split("?", 1)[0].split("#", 1)[0])
    return match.group(1) if match else None


def site_of(url: str) -> str:
    """The site a URL belongs to when none is given: its host without `www.`."""
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else host
