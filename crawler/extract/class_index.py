"""Class selectors answered from one walk over the page, for extractors that ask many of them.

lxml's `CSSSelector(".a, .b")` compiles to one XPath `descendant-or-self` walk per alternative, each testing
`contains(concat(' ', normalize-space(@class), ' '), ' a ')` on every element. On an IPPEN article that is about
0.3 ms per selector and 2.6 ms per page for the nine the extractor asks (measured with bench/distributed.py's
profile: more than lxml's parse of the whole page). `ClassIndex` walks the tree once, keeps class token ->
elements in document order, and answers each selector with dict lookups.

Only the CSS the extractors use is understood, and anything else is refused when the selector is built:
alternatives separated by commas, each `tag.class` or `.class` or `tag`, optionally followed by descendant tag
names (`ol.id-DonaldBreadcrumb li a`). `select` equals `CSSSelector`'s results, in document order (tested on the
real pages of ../shared/fixtures). `select_preferred` answers the same elements in order of preference: the
first alternative's matches first. A group like `.headline-text, .headline` names what it wants most first, but
in document order the outer `.headline` (which may hold a kicker beside the text) comes before the inner one.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass

from lxml import etree
from lxml.html import HtmlElement

_STEP = re.compile(r"^(?P<tag>[a-z][a-z0-9]*)?(?:\.(?P<cls>[A-Za-z_][\w-]*))?$")
_TAG = re.compile(r"[a-z][a-z0-9]*")


@dataclass(frozen=True)
class _Alternative:
    tag: str | None
    cls: str | None
    descendants: tuple[str, ...]


class ClassSelector:
    """A selector in the subset above; call `index.select(selector, within)`."""

    def __init__(self, css: str) -> None:
        self.css = css
        self.alternatives: list[_Alternative] = []
        for alternative in css.split(","):
            first, *rest = alternative.split() or [""]
            match = _STEP.match(first)
            tags_only = all(_TAG.fullmatch(tag) for tag in rest)
            if not match or not (match["tag"] or match["cls"]) or not tags_only:
                raise ValueError(f"not in the supported subset of CSS: {alternative.strip()!r} (of {css!r})")
            self.alternatives.append(_Alternative(match["tag"], match["cls"], tuple(rest)))

    def __repr__(self) -> str:
        return f"ClassSelector({self.css!r})"


class ClassIndex:
    """Elements of one parsed page by class token, in document order. Build it after the page's last change."""

    def __init__(self, root: HtmlElement) -> None:
        # One pass in C for the elements (comments and processing instructions left out), then one over their
        # class attributes; elements by tag are looked up when first asked (`_tagged`). Built for every page read.
        self._elements: list[HtmlElement] = list(root.iter(etree.Element))
        self.position: dict[HtmlElement, int] = dict(zip(self._elements, range(len(self._elements)), strict=True))
        self.by_class: dict[str, list[HtmlElement]] = defaultdict(list)
        self._ends: dict[HtmlElement, int] = {}
        self._class_positions: dict[str, list[int]] = defaultdict(list)
        self._tags: dict[str, tuple[list[HtmlElement], list[int]]] = {}
        for position, el in enumerate(self._elements):
            classes = el.get("class")
            if classes:
                tokens = classes.split()
                for token in tokens if len(tokens) == 1 else dict.fromkeys(tokens):
                    self.by_class[token].append(el)
                    self._class_positions[token].append(position)

    def _tagged(self, tag: str) -> tuple[list[HtmlElement], list[int]]:
        """The elements named `tag`, in document order, and their positions."""
        found = self._tags.get(tag)
        if found is None:
            elements = list(self._elements[0].iter(tag)) if self._elements else []
            found = self._tags[tag] = (elements, [self.position[el] for el in elements])
        return found

    def select(self, selector: ClassSelector, within: HtmlElement) -> list[HtmlElement]:
        """What `CSSSelector(selector.css)(within)` returns: matches in `within`'s subtree (itself included)."""
        found: dict[HtmlElement, int] = {}
        for alt in selector.alternatives:
            found.update(self._matches(alt, within))
        return sorted(found, key=found.__getitem__)

    def select_preferred(self, selector: ClassSelector, within: HtmlElement) -> list[HtmlElement]:
        """The elements of `select`, ordered by alternative (as written), each alternative's in document order:
        `[0]` is the most preferred match, not the first in the page."""
        found: dict[HtmlElement, None] = {}
        for alt in selector.alternatives:
            matches = self._matches(alt, within)
            found.update(dict.fromkeys(sorted(matches, key=matches.__getitem__)))
        return list(found)

    def _matches(self, alt: _Alternative, within: HtmlElement) -> dict[HtmlElement, int]:
        """One alternative's matches in `within`'s subtree, with their positions.

        A subtree is a contiguous run of positions, and each class's (or tag's) elements are kept in document
        order, so the candidates inside it are one slice found by bisection: O(log n + k) per lookup, not a scan of
        every element of the class in the page (a listing asks once per teaser: that scan made it quadratic).
        """
        start = self.position[within]
        end = self._end(within)
        found: dict[HtmlElement, int] = {}
        key = alt.cls or alt.tag or ""
        if alt.cls:
            elements, positions = self.by_class.get(key, []), self._class_positions.get(key, [])
        else:
            elements, positions = self._tagged(key)
        low, high = bisect_left(positions, start), bisect_right(positions, end)
        for el, position in zip(elements[low:high], positions[low:high], strict=True):
            if alt.tag and el.tag != alt.tag:
                continue
            if not alt.descendants:
                found[el] = position
                continue
            for match in _descendants(el, alt.descendants):
                found[match] = self.position[match]
        return found

    def first(self, selector: ClassSelector, within: HtmlElement) -> HtmlElement | None:
        """The most preferred match (see `select_preferred`), or None."""
        preferred = self.select_preferred(selector, within)
        return preferred[0] if preferred else None

    def _end(self, el: HtmlElement) -> int:
        """Position of the last element of `el`'s subtree (the walk is in document order)."""
        end = self._ends.get(el)
        if end is None:
            # Just before the first element after the subtree: the next sibling element of `el` or of its nearest
            # ancestor below the indexed root that has one (a walk up the tree, not over the subtree).
            end = len(self._elements) - 1
            node: HtmlElement | None = el
            while node is not None and node is not self._elements[0]:
                following = next(node.itersiblings(etree.Element), None)
                if following is not None:
                    end = self.position[following] - 1
                    break
                node = node.getparent()
            self._ends[el] = end
        return end


def _descendants(el: HtmlElement, tags: tuple[str, ...]) -> list[HtmlElement]:
    """`el tag1 tag2 ...`: elements named tags[-1] below a tags[-2] below ... below `el`."""
    level = [el]
    for tag in tags:
        level = list(dict.fromkeys(d for parent in level for d in parent.iterdescendants(tag)))
    return level
