"""The reader's headline apart from what pages glue to it: the kicker (by markup where an element holds it,
by an exact kicker and separator in a text-only headline), a leading separator, the site's name as a suffix.
Rules: docs/extraction.md ("Headlines").

IPPEN teasers (and many other sites) put the kicker inside the headline element:
`<h3 class=...-headline><span class=...-kicker-text>Ukraine-Krieg</span><span class=...-headline-text>...`.
`text_content()` of the h3 glues both; the headline is the h3's text without its kicker's subtree
(`text_without`). Written by hand because lxml has no "text without these descendants" and removing the kicker
would change the parsed page other selectors still read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml.html import HtmlElement

from crawler.model.text import clean

_SUFFIX_SEPARATOR = re.compile(r"\s+[|–—·:-]\s+|\s+[|–—·-]|[|–—·]\s+")


def strip_site_suffix(title: str | None, site_names: Iterable[str]) -> str | None:
    """`Headline | FR.de`, `Headline - DER SPIEGEL` -> `Headline`: the site name after the last separator goes,
    when it is one of the site's names (og:site_name, JSON-LD publisher, the host) or a host spelling of one."""
    if not title:
        return title
    names = {_site_key(n) for n in site_names if n}
    names.discard("")
    text = title
    for _ in range(2):  # `Headline | Section | Site`: the site, then nothing more (sections stay)
        parts = list(_SUFFIX_SEPARATOR.finditer(text))
        if not parts:
            break
        last = parts[-1]
        tail = _site_key(text[last.end() :])
        if tail and (tail in names or any(tail.startswith(n) or n.startswith(tail) for n in names if len(n) > 3)):
            text = text[: last.start()].rstrip()
            continue
        break
    return clean(text) or title


def _site_key(name: str) -> str:
    """`www.FR.de`, `FR.de`, `fr` -> `fr`; `DER SPIEGEL` -> `derspiegel`."""
    key = (clean(name) or "").casefold()
    key = re.sub(r"^(?:https?://)?(?:www\.)?", "", key)
    key = re.sub(r"\.(?:de|at|ch|com|net|org|eu|info)$", "", key)
    return re.sub(r"[^\w]", "", key)


_LEADING_SEPARATOR = re.compile(r"^[\s:|–—-]+(?=\S)")


def clean_headline(headline: str | None) -> str | None:
    """A headline never opens with a separator (`- «Die ...»`: what stood before it was a kicker or a label)."""
    if not headline:
        return headline
    return clean(_LEADING_SEPARATOR.sub("", headline)) or headline


_KICKER_SEPARATOR = r"(?::\s+|\s+[|–—-]\s+)"
"""What parts a kicker from its headline in a text-only source: `Kicker: Headline`, `Kicker - Headline`, `Kicker |
Headline` (en and em dash too)."""


def headline_apart(headline: str | None, kicker: str | None) -> str | None:
    """A text-only headline (JSON-LD, og:title) without the kicker glued before it: `Ukraine-Krieg: Die Lage`.

    Only an exact kicker followed by a separator is parted off. Honest headlines often open with the kicker's
    words (kicker `Deutsche Bank`, headline `Deutsche Bank nominiert ...`), and a kicker never ends inside a word
    (`Feuer` in `Feuerwehrleute`); both stay whole. A visible headline element is parted by its markup instead
    (the kicker element inside it, `text_without`), never by text.
    """
    if not headline or not kicker:
        return headline
    k = kicker.strip().rstrip(" :")
    match = re.match(re.escape(k) + _KICKER_SEPARATOR, headline) if k else None
    rest = clean(headline[match.end() :]) if match else None
    return rest if rest and len(rest) > 3 else headline


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
