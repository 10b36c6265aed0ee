"""`ClassIndex` answers exactly what lxml's CSSSelector answers, on every real page and the local site's pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml.cssselect import CSSSelector

from crawler.extract import ippen
from crawler.extract.class_index import ClassIndex, ClassSelector
from crawler.extract.parsing import parse_html, strip_furniture_tags
from tests.support.localsite import LocalSite

SELECTORS = {
    f"{generation.name}.{name}.{i}": selector
    for generation in ippen.GENERATIONS
    for name, value in vars(generation).items()
    for i, selector in enumerate(value if isinstance(value, tuple) else (value,))
    if isinstance(selector, ClassSelector)
}
"""Every selector of every IPPEN markup generation (a tuple of alternatives is tried in order of preference)."""


def pages(fixtures_dir: Path) -> list[str]:
    files = sorted((fixtures_dir / "articles").rglob("*.html")) + sorted((fixtures_dir / "listings").glob("*.html"))
    real = [path.read_text(encoding="utf-8", errors="replace") for path in files]
    site = LocalSite(n_articles=6, seed=3)
    local = [site.respond(path).body.decode("utf-8") for path in ["/", "/politik/", *(a.path for a in site.articles)]]
    return real + local


def test_every_ippen_selector_matches_lxml_on_every_page_and_subtree(fixtures_dir: Path) -> None:
    assert {"ippen/2023.story.0", "ippen/2020.body.0", "ippen/2023.kicker.0", "ippen/2023.breadcrumb.0"} <= set(
        SELECTORS
    )
    compared = 0
    for html in pages(fixtures_dir):
        root = parse_html(html)
        strip_furniture_tags(root)
        index = ClassIndex(root)
        story, figure = ippen.STORY_ELEMENT.story[0], ippen.STORY_ELEMENT.figure
        scopes = [root, *CSSSelector(story.css)(root), *CSSSelector(figure.css)(root)]
        for scope in scopes:
            for name, selector in SELECTORS.items():
                assert index.select(selector, scope) == CSSSelector(selector.css)(scope), (name, scope.tag)
                compared += 1
    assert compared > 500, "the real pages were read"


@pytest.mark.parametrize("css", ["a > b", ".a.b", "[href]", "div:first-child", "#main", ".a ~ p", "p.a .b"])
def test_css_outside_the_subset_is_refused_when_built(css: str) -> None:
    with pytest.raises(ValueError, match="supported subset"):
        ClassSelector(css)


def test_nested_matches_and_descendant_chains_in_document_order() -> None:
    root = parse_html(
        "<html><body><ol class='crumbs x'><li><a>1</a><span><a>2</a></span></li><li class='crumbs'><a>3</a></li></ol>"
        "<div class='x'><p class='x'>4</p></div><a>5</a></body></html>"
    )
    index = ClassIndex(root)
    assert [a.text for a in index.select(ClassSelector("ol.crumbs li a, .crumbs a"), root)] == ["1", "2", "3"]
    assert [e.tag for e in index.select(ClassSelector(".x"), root)] == ["ol", "div", "p"]
    div = root.find(".//div")
    assert [e.tag for e in index.select(ClassSelector(".x, a"), div)] == ["div", "p"], "the scope itself is included"


def test_listing_selectors_match_lxml_within_every_container_and_teaser(fixtures_dir: Path) -> None:
    """The per-teaser and per-container lookups of the listing extractor (a bisected slice of each class's
    positions): every scope that is a container, a teaser or one of their descendants, on every listing page."""
    from crawler.extract import ippen_listing

    selectors = [v for v in vars(ippen_listing).values() if isinstance(v, ClassSelector)]
    site = LocalSite(n_articles=6, seed=3)
    listings = [
        path.read_text(encoding="utf-8", errors="replace") for path in (fixtures_dir / "listings").glob("*.html")
    ]
    listings += [site.respond(path).body.decode("utf-8") for path in ["/", "/politik/"]]
    compared = 0
    for html in listings:
        root = parse_html(html)
        index = ClassIndex(root)
        blocks = CSSSelector(".id-Container, .id-Teaser-el")(root)
        scopes = [*blocks, *(d for block in blocks[:20] for d in block.iterdescendants() if isinstance(d.tag, str))]
        for scope in scopes:
            for selector in selectors:
                assert index.select(selector, scope) == CSSSelector(selector.css)(scope), (selector, scope.tag)
                compared += 1
    assert len(selectors) >= 8 and compared > 1000, "the listing pages were read"


def test_each_subtree_ends_where_its_last_descendant_stands(fixtures_dir: Path) -> None:
    """`_end` walks up to the next sibling instead of over the subtree: the same position as counting."""
    for html in pages(fixtures_dir)[:3] + pages(fixtures_dir)[-2:]:
        root = parse_html(html)
        index = ClassIndex(root)
        for el in root.iter():
            if isinstance(el.tag, str):
                descendants = sum(1 for d in el.iterdescendants() if isinstance(d.tag, str))
                assert index._end(el) == index.position[el] + descendants
