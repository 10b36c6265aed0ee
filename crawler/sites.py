"""Sites are data: a domain, its sections and feeds. Adding an IPPEN.MEDIA site is a few lines here."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Site:
    key: str
    """The site's name in the database (`site` field), e.g. `merkur.de`."""
    base_url: str
    sections: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    """Paths of RSS/RDF feeds."""
    sitemaps: tuple[str, ...] = ("/news.xml", "/sitemap-index.xml")
    language: str = "de"
    profile: str = "ippen"
    extra: dict[str, str] = field(default_factory=dict)


IPPEN_SITES: dict[str, Site] = {
    site.key: site
    for site in (
        Site(
            "merkur.de",
            "https://www.merkur.de",
            sections=("politik", "welt", "bayern", "wirtschaft", "sport", "lokales"),
            feeds=("/welt/rssfeed.rdf", "/politik/rssfeed.rdf"),
        ),
        Site("tz.de", "https://www.tz.de", sections=("muenchen", "welt", "politik", "sport")),
        Site("fr.de", "https://www.fr.de", sections=("politik", "frankfurt", "wirtschaft", "sport")),
        Site("fnp.de", "https://www.fnp.de", sections=("frankfurt", "politik", "wirtschaft")),
        Site("hna.de", "https://www.hna.de", sections=("kassel", "politik", "sport")),
    )
}
