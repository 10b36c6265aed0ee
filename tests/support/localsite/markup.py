"""lxml helpers shared by the page builders, and the serializer that keeps IPPEN's minified style.

lxml's own HTML serializer quotes every attribute; the real IPPEN pages leave quotes off wherever HTML allows,
which extractors have to cope with, so article pages are written back in that style.
"""

from __future__ import annotations

import copy
import functools
import re

from lxml import etree

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})
RAW_TEXT = frozenset({"script", "style"})
_UNQUOTED_OK = re.compile(r"^[^\s\"'=<>`]+$")
STATIC_ATTR = "data-newsmon-static"
"""Marks a subtree whose serialization is computed once per template (the big navigation) and reused."""


Element = etree._Element
"""Plain lxml elements: lxml.html's element classes cost a Python-level lookup per node visited."""


def parse(text: str) -> Element:
    return etree.fromstring(text, etree.HTMLParser())


def text_of(el: Element) -> str:
    return "".join(el.itertext())


@functools.cache
def _class_xpath(cls: str, tag: str) -> etree.XPath:
    return etree.XPath(f".//{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')]")


def by_class(root: Element, cls: str, tag: str = "*") -> list[Element]:
    """Elements carrying the class `cls` (whole-word match), in document order."""
    return _class_xpath(cls, tag)(root)


def one(root: Element, cls: str, tag: str = "*") -> Element:
    found = by_class(root, cls, tag)
    if not found:
        raise LookupError(f"template has no <{tag} class={cls}>: the fixture changed?")
    return found[0]


def clone(el: Element) -> Element:
    """A detached deep copy without the tail text."""
    new = copy.deepcopy(el)
    new.tail = None
    return new


def set_text(el: Element, text: str | None) -> Element:
    """Replace the element's content by plain text (children dropped)."""
    for child in list(el):
        el.remove(child)
    el.text = text
    return el


def drop(el: Element) -> None:
    """Remove an element; its tail text stays in place (as lxml.html's drop_tree does)."""
    parent = el.getparent()
    if el.tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _attr(name: str, value: str) -> str:
    if value == "":
        return " " + name
    value = value.replace("&", "&amp;")
    if _UNQUOTED_OK.match(value):
        return f" {name}={value}"
    if '"' in value and "'" not in value:
        return f" {name}='{value}'"
    return ' {}="{}"'.format(name, value.replace('"', "&quot;"))


def _text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\xa0", "&nbsp;")


def _write(el: Element, out: list[str], statics: dict[str, str]) -> None:
    tag = el.tag
    if tag is etree.Comment:
        out.append(f"<!--{el.text or ''}-->")
    elif isinstance(tag, str):
        key = el.get(STATIC_ATTR)
        if key is not None and key in statics:
            out.append(statics[key])
        else:
            attrs = "".join(_attr(k, v) for k, v in el.attrib.items() if k != STATIC_ATTR)
            out.append(f"<{tag}{attrs}>")
            if tag not in VOID:
                if el.text:
                    out.append(el.text if tag in RAW_TEXT else _text(el.text))
                for child in el:
                    _write(child, out, statics)
                out.append(f"</{tag}>")
    if el.tail:
        out.append(_text(el.tail))


def minified(el: Element, statics: dict[str, str] | None = None, doctype: bool = True) -> str:
    """Serialize like the IPPEN CMS: no line breaks added, attributes unquoted where HTML allows."""
    out = ["<!DOCTYPE html>"] if doctype else []
    _write(el, out, statics or {})
    return "".join(out)


def fragment(el: Element) -> str:
    """One element (and its subtree) in the minified style, without its tail; for static caches."""
    tail, el.tail = el.tail, None
    try:
        return minified(el, doctype=False)
    finally:
        el.tail = tail
