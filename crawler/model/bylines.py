"""Who wrote the article and from where: byline names split and told apart (persons, agencies and
organisations, neither), and the dateline opening the first paragraph. Rules and their patterns:
docs/extraction.md ("Authors and agencies")."""

from __future__ import annotations

import re
from collections.abc import Iterable

from crawler.model.text import clean

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
