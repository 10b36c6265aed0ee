"""One URL per page: tracking parameters, fragments, AMP and mobile variants, trailing slashes, default ports.

w3lib's `canonicalize_url` does the general part (sorted query, percent-encoding, fragment); what it
cannot know is which parameters and hosts are news-site noise, which is listed here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

TRACKING_PREFIXES = ("utm_", "itm_", "wt_", "pk_", "mtm_", "ns_", "at_", "mc_", "oly_", "vero_")
"""utm_* (Google), itm_* (IPPEN internal), wt_* (Webtrekk), pk_*/mtm_* (Matomo), ns_* (comScore), at_* (AT Internet)."""
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "twclid",
        "ocid",
        "xtor",
        "ito",
        "cmp",
        "_ga",
        "_gl",
        "ref",
        "referrer",
        "source",
        "share",
        "amp",
        "outputtype",
        "dicbo",
        "originalreferrer",
    }
)
MOBILE_HOSTS = re.compile(r"^(?:m|mobil|mobile|amp)\.")
AMP_PATH = re.compile(r"(?:/amp(?=/|$)|\.amp(?=\.html?$))")
DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _drop_tracking(query: str) -> str:
    """Remove tracking parameters from an already encoded query, leaving the rest byte for byte."""
    kept = [part for part in query.split("&") if part and not is_tracking(unquote_plus(part.split("=", 1)[0]))]
    return "&".join(kept)


@lru_cache(maxsize=8192)
def canonical_url(url: str) -> str:
    """The canonical form of `url`; idempotent: canonical_url(canonical_url(u)) == canonical_url(u).

    w3lib first (percent-encoding, dot segments, sorted query, no fragment), then the news-site rules on its
    result, which only remove parts, so a second pass finds nothing left to change. Pure, so cached: a crawl
    canonicalizes each article URL at discovery, at scheduling and again when it stores the article.
    """
    parts = urlsplit(canonicalize_url(url.strip()))
    scheme = (parts.scheme or "https").lower()
    host = (parts.hostname or "").lower().rstrip(".")
    host = MOBILE_HOSTS.sub("www.", host) if host.count(".") >= 2 else MOBILE_HOSTS.sub("", host)
    port = parts.port
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", AMP_PATH.sub("", parts.path))
    if len(path) > 1:
        path = path.rstrip("/")
    return urlunsplit((scheme, netloc, path or "/", _drop_tracking(parts.query), ""))


def origin(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower case, default port left out (as `canonical_url` writes it)."""
    parts = urlsplit(url.strip())
    scheme = (parts.scheme or "https").lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS.get(scheme)) else f"{scheme}://{host}:{port}"


def rebase(url: str | None, source: str, target: str) -> str | None:
    """`url` moved from origin `source` to origin `target` when it is on `source` (else unchanged).

    What keeps a mirror crawl keyed to the real site (`crawler.discover.spider`): every URL the crawl stores is
    rebased from the mirror's origin to the site's, and stored URLs to fetch again go the other way.
    """
    if not url:
        return url
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc or origin(url) != source:
        return url
    return target + urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
