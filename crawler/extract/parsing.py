"""Reading a page into one lxml tree, and the one error a page that cannot be read raises.

Anything a page can break (bytes in an unknown encoding, markup lxml refuses, an empty document) becomes an
`ExtractionError` whose message is the reject reason; every extractor parses once through `parse_html`.
"""

from __future__ import annotations

import re

import lxml.etree
import lxml.html
from lxml.html import HtmlElement


class ExtractionError(ValueError):
    """The page is not a readable article; the message is the reject reason."""


PAGE_FAULTS = (RecursionError, MemoryError, ValueError, TypeError, AttributeError, KeyError, IndexError)
"""What a hostile page can make lxml or an extractor's rules raise; each becomes `unreadable(exc)`."""


def unreadable(exc: BaseException) -> ExtractionError:
    """The reject reason of a page that made the rules fail: `unreadable page (TypeError: ...)`."""
    return ExtractionError(f"unreadable page ({type(exc).__name__}: {exc})")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.I)


def decode(raw: bytes) -> str:
    """Bytes to text: BOM, then the page's declared charset, then UTF-8. Unknown encodings are an ExtractionError."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if raw.startswith(bom):
            return raw[len(bom) :].decode(enc, "replace")
    match = _CHARSET.search(raw[:4096])
    encoding = match.group(1).decode("ascii") if match else "utf-8"
    try:
        return raw.decode(encoding)
    except LookupError as exc:
        raise ExtractionError(f"unknown encoding {encoding!r}") from exc
    except UnicodeDecodeError:
        if match:
            return raw.decode(encoding, "replace")
        return raw.decode("cp1252", "replace")


def parse_html(html: str | bytes) -> HtmlElement:
    """Parse a page once; broken or empty markup becomes an ExtractionError with a reason."""
    if isinstance(html, bytes | bytearray):
        html = decode(bytes(html))
    if not isinstance(html, str):
        raise ExtractionError(f"not a page: {type(html).__name__}")
    if "\ufffd" in html[:2000] and html[:2000].count("\ufffd") > 50:
        raise ExtractionError("undecodable page (replacement characters)")
    if not html.strip():
        raise ExtractionError("empty page")
    try:
        root = lxml.html.document_fromstring(html)
    except ValueError:  # a str with an XML encoding declaration
        try:
            parser = lxml.html.HTMLParser(encoding="utf-8")
            root = lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=parser)
        except (lxml.etree.ParserError, ValueError) as exc:
            raise ExtractionError(f"broken markup: {exc}") from exc
    except lxml.etree.ParserError as exc:
        raise ExtractionError(f"broken markup: {exc}") from exc
    if root is None or not isinstance(root, HtmlElement):
        raise ExtractionError("broken markup: no document")
    return root


def strip_furniture_tags(root: HtmlElement) -> None:
    """Remove what is never article text (scripts, styles, embeds, forms) and make `<br>` a space."""
    lxml.etree.strip_elements(
        root,
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "iframe",
        "object",
        "embed",
        "canvas",
        "form",
        "button",
        "select",
        "textarea",
        "input",
        "video",
        "audio",
        lxml.etree.Comment,
        lxml.etree.ProcessingInstruction,
        with_tail=False,
    )
    for br in root.iter("br"):
        try:
            br.tail = " " + (br.tail or "")
        except ValueError:  # control characters lxml will not set back
            br.tail = " " + _CONTROL.sub("", br.tail or "")
