"""A headline element's own text, without the kicker element it may hold.

IPPEN teasers (and many other sites) put the kicker inside the headline element:
`<h3 class=...-headline><span class=...-kicker-text>Ukraine-Krieg</span><span class=...-headline-text>...`.
`text_content()` of the h3 glues both; the headline is the h3's text without its kicker's subtree. Written by
hand because lxml has no "text without these descendants" and removing the kicker would change the parsed
page other selectors still read.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml.html import HtmlElement

from crawler.extract.common import clean


def text_without(el: HtmlElement, excluded: Iterable[HtmlElement]) -> str | None:
    """`el`'s text (cleaned) with the text of `excluded` descendants left out (their tails kept)."""
    skip = set(excluded) - {el}
    parts: list[str] = []

    def walk(node: HtmlElement) -> None:
        parts.append(node.text or "")
        for child in node:
            if isinstance(child.tag, str) and child not in skip:
                walk(child)
            parts.append(child.tail or "")

    walk(el)
    return clean("".join(parts))


def within(el: HtmlElement, ancestor: HtmlElement) -> bool:
    """Whether `el` is `ancestor` or below it."""
    return el is ancestor or any(node is ancestor for node in el.iterancestors())
