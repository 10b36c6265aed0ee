"""What every extractor shares: parsing, text cleanup, JSON-LD, meta tags, dates, authors, publisher ids.

All of it is pure and works on an lxml tree parsed once per page. Anything a page can break (markup, encoding,
JSON) is caught here and turned into `ExtractionError` or a missing value, never another exception.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

_IPPEN_ID = re.compile(r"-(\d{5,})\.html?$")

DEFAULT_TZ = ZoneInfo("Europe/Berlin")
"""Wall-clock times without an offset are read in this zone (German publishers); the result is still aware."""

ARTICLE_TYPES = frozenset(
    {
        "NewsArticle",
        "Article",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "AskPublicNewsArticle",
        "SatiricalArticle",
        "ScholarlyArticle",
        "TechArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "Report",
        "ClaimReview",
    }
)
"""schema.org types that describe the page's article (ClaimReview: fact-check pages)."""

AGENCIES = {
    "dpa": "dpa",
    "afp": "AFP",
    "ap": "AP",
    "reuters": "Reuters",
    "epd": "epd",
    "kna": "KNA",
    "dts": "dts",
    "sid": "SID",
    "apa": "APA",
    "sda": "SDA",
    "dpa-afx": "dpa-AFX",
    "afp deutschland": "AFP",
}
"""News agencies by their lower-case byline spelling."""


class ExtractionError(ValueError):
    """The page is not a readable article; the message is the reject reason."""


# -- text -----------------------------------------------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str | None) -> str | None:
    """NFC, whitespace collapsed (non-breaking and zero-width spaces included); None for empty."""
    if text is None:
        return None
    text = " ".join(unicodedata.normalize("NFC", text.replace("\u200b", "").replace("\xad", "")).split())
    return text or None


def text_of(el: Any) -> str | None:
    """The element's text as a reader sees it: inline markup joined without extra spaces.

    Accepts an lxml element or a parsel Selector.
    """
    if el is None:
        return None
    if hasattr(el, "xpath") and not isinstance(el, HtmlElement):  # parsel Selector
        return clean(el.xpath("string()").get())
    return clean(el.text_content())


def html_hash(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8", "replace")).hexdigest()


def word_count(texts: Iterable[str]) -> int:
    return sum(len(re.findall(r"\w+", t)) for t in texts)


# -- parsing --------------------------------------------------------------------------------------------------------
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


# -- meta tags ------------------------------------------------------------------------------------------------------
def meta_tags(root: HtmlElement) -> dict[str, list[str]]:
    """`<meta>` contents by lower-case `property`, `name` or `itemprop`, in page order."""
    found: dict[str, list[str]] = {}
    for el in root.iter("meta"):
        content = el.get("content")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop"):
            key = el.get(attr)
            if key:
                found.setdefault(key.strip().lower(), []).append(content)
    return found


def first_meta(meta: dict[str, list[str]], *names: str) -> str | None:
    for name in names:
        for value in meta.get(name, ()):
            value = clean(value)
            if value:
                return value
    return None


# -- JSON-LD --------------------------------------------------------------------------------------------------------
_TRAILING_COMMA = re.compile(r",\s*([}\]])")


def _load_json(raw: str) -> Any:
    raw = raw.strip()
    if raw.startswith("<!--"):
        raw = raw[4:]
    if raw.endswith("-->"):
        raw = raw[:-3]
    raw = raw.strip().rstrip(";")
    try:
        return json.loads(raw, strict=False)
    except ValueError:
        pass
    try:
        return json.loads(_TRAILING_COMMA.sub(r"\1", raw), strict=False)
    except ValueError:
        return None


def jsonld_blocks(root: HtmlElement) -> list[Any]:
    """The parsed content of every `<script type=application/ld+json>` (unreadable ones skipped).

    Not extruct's `JsonLdExtractor`: one malformed block makes it raise and lose the page's good blocks too,
    it misses `type="application/ld+json; charset=utf-8"`, and it would parse the page a second time; real
    pages have all three (checked with extruct 0.18; the fault suite's "JSON-LD broken" page relies on this).
    """
    out = []
    for script in root.iter("script"):
        kind = (script.get("type") or "").lower()
        if "ld+json" not in kind:
            continue
        data = _load_json(script.text or "")
        if data is not None:
            out.append(data)
    return out


def walk_jsonld(blocks: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object, breadth first: `@graph`, `mainEntity`, lists and any nested object."""
    queue: list[Any] = list(blocks)
    seen = 0
    while queue and seen < 5000:
        obj = queue.pop(0)
        seen += 1
        if isinstance(obj, list):
            queue.extend(obj)
        elif isinstance(obj, dict):
            yield obj
            queue.extend(v for v in obj.values() if isinstance(v, dict | list))


def jsonld_objects(root: Any) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object of the page (accepts an lxml root or a parsel Selector)."""
    if not isinstance(root, HtmlElement):
        root = root.root
    return walk_jsonld(jsonld_blocks(root))


def types_of(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def news_article(root: Any, blocks: list[Any] | None = None) -> dict[str, Any]:
    """The JSON-LD object describing the page's article: an Article type, the one with the most article fields."""
    if blocks is None:
        if not isinstance(root, HtmlElement):
            root = root.root
        blocks = jsonld_blocks(root)
    best: dict[str, Any] = {}
    best_score = 0
    for obj in walk_jsonld(blocks):
        kinds = types_of(obj)
        if not kinds & ARTICLE_TYPES:
            continue
        score = 1 + sum(1 for k in ("headline", "datePublished", "author", "articleBody") if obj.get(k))
        if score > best_score:
            best, best_score = obj, score
    return best


def ld_text(value: Any) -> str | None:
    """A JSON-LD value as text (strings, `{"@value": ...}`, first of a list)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name")
    return clean(value) if isinstance(value, str) else None


def ld_names(value: Any) -> list[str]:
    """Names of JSON-LD persons/organizations (`author`, `creator`), strings accepted."""
    out: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            name = item.get("name")
            if isinstance(name, list):
                name = " ".join(n for n in name if isinstance(n, str))
            if not isinstance(name, str):
                given, family = item.get("givenName"), item.get("familyName")
                name = " ".join(n for n in (given, family) if isinstance(n, str))
            if isinstance(name, str) and clean(name):
                out.append(clean(name) or "")
        elif isinstance(item, str) and clean(item):
            out.append(clean(item) or "")
    return out


def ld_breadcrumb(objects: Iterable[dict[str, Any]]) -> list[str]:
    for obj in objects:
        if "BreadcrumbList" not in types_of(obj):
            continue
        items = obj.get("itemListElement")
        if not isinstance(items, list):
            continue
        named = []
        for pos, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            name = ld_text(item.get("name")) or ld_text(item.get("item"))
            order = item.get("position")
            named.append((order if isinstance(order, int) else pos, name))
        names = [n for _, n in sorted(named, key=lambda x: x[0]) if n]
        if names:
            return names
    return []


# -- dates ----------------------------------------------------------------------------------------------------------
_TZ_NAMES: dict[str, tzinfo] = {
    "CEST": timezone(timedelta(hours=2)),
    "MESZ": timezone(timedelta(hours=2)),
    "CET": timezone(timedelta(hours=1)),
    "MEZ": timezone(timedelta(hours=1)),
    "UTC": UTC,
    "GMT": UTC,
    "Z": UTC,
    "BST": timezone(timedelta(hours=1)),
    "EST": timezone(timedelta(hours=-5)),
    "EDT": timezone(timedelta(hours=-4)),
}
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_GERMAN_DATE = re.compile(
    r"(?<!\d)(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4}|\d{2})(?!\d)(?:\D{1,12}?(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?"
)
_GERMAN_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (
            ("januar", "jan"),
            ("februar", "feb"),
            ("märz", "mär", "maerz"),
            ("april", "apr"),
            ("mai",),
            ("juni", "jun"),
            ("juli", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "okt"),
            ("november", "nov"),
            ("dezember", "dez"),
        )
    )
    for m in names
}
_GERMAN_LONG = re.compile(
    r"(\d{1,2})\.\s*([A-Za-zäÄ]{3,9})\.?\s+(\d{4})(?:\D{1,12}?(\d{1,2})[:.](\d{2}))?",
)


class When:
    """A date read off a page: the aware datetime in the page's own offset, and whether it had a time."""

    __slots__ = ("has_time", "raw", "value")

    def __init__(self, value: datetime, has_time: bool, raw: str) -> None:
        self.value = value
        self.has_time = has_time
        self.raw = raw

    @property
    def utc(self) -> datetime:
        return self.value.astimezone(UTC)


def read_date(value: Any, default_tz: tzinfo = DEFAULT_TZ) -> When | None:
    """Read a machine or German human date; wall-clock times are placed in `default_tz`. None when unreadable."""
    if not isinstance(value, str):
        return None
    raw = value
    value = value.strip()
    if not value or len(value) > 80:
        return None
    if _DATE_ONLY.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return None
        return When(datetime(day.year, day.month, day.day, tzinfo=default_tz), False, raw)
    iso = value.replace(" ", "T", 1) if re.match(r"^\d{4}-\d{2}-\d{2} \d", value) else value
    if iso.endswith("Z"):
        iso = iso[:-1] + "+00:00"
    iso = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", iso)
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        parsed = _read_human(value)
        if parsed is None:
            return None
        if isinstance(parsed, When):
            return parsed
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    if not 1990 <= parsed.year <= 2100:
        return None
    return When(parsed, True, raw)


def read_human_date(value: str, default_tz: tzinfo = DEFAULT_TZ) -> When | None:
    """A German date written for readers (`Do 25.04.24 | 14:07 Uhr`, `28. April 2023`), found inside a text."""
    parsed = _read_human(value, fuzzy=True)
    if parsed is None or isinstance(parsed, When):
        return parsed
    return When(parsed.replace(tzinfo=parsed.tzinfo or default_tz), True, value)


def _read_human(value: str, fuzzy: bool = False) -> datetime | When | None:
    """German dates (`28.04.2023, 18:16 Uhr`, `28. April 2023`) and RFC/`date`-style strings via dateutil."""
    match = _GERMAN_DATE.search(value)
    month: int | None
    if match:
        day, month, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
        year = year + 2000 if year < 100 else year
        hour, minute = match.group(4), match.group(5)
    else:
        match = _GERMAN_LONG.search(value)
        month = _GERMAN_MONTHS.get(match.group(2).lower()) if match else None
        if match and month:
            day, year = int(match.group(1)), int(match.group(3))
            hour, minute = match.group(4), match.group(5)
        else:
            match = None
    if match and month:
        try:
            if hour is None:
                return When(datetime(year, month, day, tzinfo=DEFAULT_TZ), False, value)
            return datetime(year, month, day, int(hour), int(minute))
        except ValueError:
            return None
    if fuzzy:
        return None
    try:
        from dateutil import parser as dateutil_parser

        return dateutil_parser.parse(value, tzinfos=_TZ_NAMES)
    except (ValueError, OverflowError, TypeError, LookupError):
        return None


def parse_datetime(value: str | None) -> datetime | None:
    """ISO-8601 with an offset (`+0200` or `+02:00`, `Z`) to UTC; naive or unreadable values give None."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value.strip().replace(" ", "T", 1)))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


def best_date(candidates: Iterable[Any], default_tz: tzinfo = DEFAULT_TZ) -> When | None:
    """The first candidate with a time; else the first date-only candidate."""
    day_only: When | None = None
    for raw in candidates:
        when = read_date(raw, default_tz)
        if when is None:
            continue
        if when.has_time:
            return when
        day_only = day_only or when
    return day_only


# -- authors --------------------------------------------------------------------------------------------------------
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|;|\||\bund\b|\band\b|&|\bsowie\b|/)\s*", re.I)
_AUTHOR_PREFIX = re.compile(
    r"^(?:von|by|text|texte?|autor(?:in)?|autoren|a\s+cura\s+di|ein\s+(?:gastbeitrag|kommentar)\s+von)\s*:?\s+",
    re.I,
)
_EMAIL_OR_URL = re.compile(r"@|https?://|www\.|\.(?:com|net|org)/")
_NOT_A_NAME = re.compile(
    r"^(?:mehr|redaktion|online|aktualisiert|veröffentlicht|stand|foto|fotos|bild|quelle|lesezeit|"
    r"kommentare?|teilen|folgen|\d)",
    re.I,
)


def split_authors(names: Iterable[str]) -> list[str]:
    """Bylines to a list of names: `Von A und B, dpa` -> [A, B, dpa]; duplicates, e-mails and URLs dropped."""
    out: list[str] = []
    for raw in names:
        text = clean(raw)
        if not text:
            continue
        text = _AUTHOR_PREFIX.sub("", text)
        for part in _AUTHOR_SPLIT.split(text):
            part = clean(_AUTHOR_PREFIX.sub("", part.strip(" .:·-–|()")))
            if not part or len(part) > 60 or _EMAIL_OR_URL.search(part) or _NOT_A_NAME.match(part):
                continue
            if len(part.split()) > 5:
                continue
            if part.casefold() not in {o.casefold() for o in out}:
                out.append(part)
    return out


def agency_of(names: Iterable[str]) -> str | None:
    """The news agency among byline names or credits (`dpa`, `AFP`, ...), by its usual spelling."""
    for name in names:
        key = (clean(name) or "").casefold().strip(" ()/.")
        if key in AGENCIES:
            return AGENCIES[key]
        for token in re.findall(r"[\w-]+", key):
            if token in AGENCIES and token not in ("ap", "sid", "apa", "sda"):
                return AGENCIES[token]
    return None


_TRAILING_DATE = re.compile(r"[\s,|·-]*(?:\d{1,2}\.\s?\d{1,2}\.(?:\d{2,4})?|\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2})\b.*$")
_TRAILING_SHORTHAND = re.compile(r"\s*[(\[]\s*[\w./-]{1,8}\s*[)\]]?\s*$")
"""`Elena Oberholzer (obe)`, `... (obe` (cut off), `... [ab]`: an author's shorthand in brackets."""
_SOURCE_LABEL = re.compile(
    r"^(?:weitere\s+)?(?:quellen?|mit\s+material\s+(?:von|der|des)|material)(?:\s*[:•·|]\s*|\s+)", re.I
)
"""`Quelle: dpa`, `Weitere Quellen • AP`: what follows is a source, an organisation."""
_NOT_PERSON_LABEL = re.compile(
    r"^(?:(?:sendung|foto|fotos|bild|bilder|grafik|video|kamera|illustration)\b|"
    r"(?:chef|gast|fach|wissenschafts|lokal|politik|wirtschafts|sport)?(?:redakteur|korrespondent|reporter|autor|"
    r"volontär|praktikant|moderator|kolumnist)(?:in|innen)?$|(?:leitung|mitarbeit)$)",
    re.I,
)
"""A programme or a credit (`Sendung: hr-INFO`, `Foto: ...`), or a role split off a name (`Anna Muster,
Redakteurin`): neither author nor agency."""
_ORGANISATION_WORD = re.compile(
    r"\b(?:agenturen?|nachrichtenagenturen?|redaktion|newsroom|unternehmen|verlag|gmbh|ag|e\.\s?v\.|team|"
    r"staff|desk|ressort|online|zeitung|magazin|nachrichten|news|medien|media|presse|press|sender|rundfunk)\b",
    re.I,
)
"""Words no person's name holds: collective bylines (`Agenturen`, `Redaktion`, `Unternehmen`) and organisations."""
_DOMAIN = re.compile(r"\w\.(?:de|at|ch|com|net|org|eu|info|online|media)\b", re.I)


def person_name(name: str) -> str | None:
    """A byline name cleaned of what publishers glue to it: a date or time (`Anna Muster 05.01.2025`) and a
    shorthand in brackets (`Elena Oberholzer (obe`), whole or cut off. None when nothing name-like is left."""
    text = clean(_TRAILING_DATE.sub("", name)) or ""
    if " " in text:
        text = clean(_TRAILING_SHORTHAND.sub("", text)) or ""
    return text.strip(" ,;:|·•-") or None


def name_kind(name: str, organisations: Iterable[str] = ()) -> str:
    """`person`, `organisation` or `none` (not a name: initials, a programme, a credit), by rules that hold
    across publishers: known agencies, the page's own organisation names (its publisher, site name, JSON-LD
    organisations), words no person's name holds, domains and brand spellings, text in capitals only."""
    text = clean(name) or ""
    key = text.casefold().strip(" ()/.")
    if not key or _NOT_PERSON_LABEL.match(text):
        return "none"
    if key in AGENCIES or key in {(clean(o) or "").casefold() for o in organisations}:
        return "organisation"
    if _ORGANISATION_WORD.search(text) or _DOMAIN.search(text):
        return "organisation"
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "none"
    if text.upper() == text and len(letters) >= 2 and " " not in text:
        return "organisation"  # `KEYSTONE`, `APA`: one word in capitals is an agency's or a credit's name
    if text.lower() == text:
        # `t-online` is a brand; `obe`, `srf/hosb` are shorthands of people (or desks), never full names
        return "organisation" if "-" in text and len(text) > 5 else "none"
    return "person"


def persons_and_organisations(names: Iterable[str], organisations: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """Byline names (already split) to (persons, organisations): sources and agencies apart from people, each
    person's name cleaned (`person_name`), organisations as the page spells them (`AFP Deutschland` stays);
    order kept, duplicates dropped."""
    known = list(organisations)
    persons: list[str] = []
    orgs: list[str] = []
    for raw in names:
        text = clean(raw) or ""
        source = _SOURCE_LABEL.match(text)
        if source and source.end() > 0:
            rest = clean(text[source.end() :])
            if rest:
                orgs.append(rest)
            continue
        name = person_name(text)
        kind = name_kind(name or "", known)
        if kind == "organisation" and name:
            orgs.append(name)
        elif kind == "person" and name and name.casefold() not in {p.casefold() for p in persons}:
            persons.append(name)
    return persons, list({o.casefold(): o for o in orgs}.values())


def join_agencies(names: Iterable[str]) -> str | None:
    """The `agency` field: one or several organisations credited, in byline order, joined by `, `."""
    unique = list({n.casefold(): n for n in names if n}.values())
    return ", ".join(unique) or None


def split_agencies(agency: str | None) -> list[str]:
    """`agency` back to its organisations (`"dpa, AFP"` -> `["dpa", "AFP"]`)."""
    return [a for a in (clean(x) for x in (agency or "").split(", ")) if a]


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
    (the kicker element inside it, `crawler.extract.headline_parts.text_without`), never by text.
    """
    if not headline or not kicker:
        return headline
    k = kicker.strip().rstrip(" :")
    match = re.match(re.escape(k) + _KICKER_SEPARATOR, headline) if k else None
    rest = clean(headline[match.end() :]) if match else None
    return rest if rest and len(rest) > 3 else headline


_DATELINE = re.compile(r"^([A-ZÄÖÜ][\w.'’()/ -]{1,50}?)\s(?:[–—-]|\(dpa\)\s?[–—-]?)\s")
_DATELINE_DOT = re.compile(r"^([A-ZÄÖÜ][\wäöüß/-]{2,30})\.\s(?=[A-ZÄÖÜ])")


def dateline_of(first: str | None) -> str | None:
    """The place the first paragraph opens with: `Washington - ...`, `München/London – ...`, `Riad. Die ...`."""
    if not first:
        return None
    match = _DATELINE.match(first)
    if match and len(match.group(1).split()) <= 4:
        return match.group(1).strip()
    match = _DATELINE_DOT.match(first)
    if match:
        return match.group(1)
    return None


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


# -- ids ------------------------------------------------------------------------------------------------------------
def publisher_id(url: str) -> str | None:
    """IPPEN.MEDIA article ids: the digits before `.html` (`...-91234567.html`)."""
    match = _IPPEN_ID.search(url.split("?", 1)[0].split("#", 1)[0])
    return match.group(1) if match else None
