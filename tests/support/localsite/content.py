"""The local site's articles: real German news text from the fixtures, placed on a merkur.de-like site.

One article is the seed article (`seed/merkur_article_text_2022_01.txt`); the others come from the `expected`
ground truth of the fundus fixtures. For bigger sites the sources are recycled with distinct ids, slugs,
headlines and dates. Everything is derived from the seed number, so the same seed gives the same site.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.support.localsite.fixtures import FUNDUS_DIR, SEED_TEXT, read_text

BERLIN = ZoneInfo("Europe/Berlin")
"""The publisher's wall clock: pages show Berlin time; specs keep UTC."""

SECTIONS: dict[str, str] = {
    "politik": "Politik",
    "welt": "Welt",
    "bayern": "Bayern",
    "wirtschaft": "Wirtschaft",
    "sport": "Sport",
    "lokales": "Lokales",
}
"""Section slug -> name shown in breadcrumbs and navigation (merkur.de's own sections)."""

SEED_ARTICLE_ID = 91245736
"""The seed article keeps this id whatever the seed number, so demos and tests can name it."""
SEED_SECTION = "politik"

DEFAULT_NOW = datetime(2024, 5, 3, 6, 0, tzinfo=UTC)
"""The site's frozen clock: the newest article is published shortly before it (08:00 in Berlin)."""

FOOTNOTE = "*Merkur.de ist ein Angebot von IPPEN.MEDIA."
AGENCY_BYLINES = {"dpa": "dpa", "afp": "AFP", "afp deutschland": "AFP", "reuters": "Reuters"}
NOT_PERSONS = {"der spiegel", "ndr.de", "t-online", "nairobi"}
"""Fundus author entries that are outlets or places, not people (dropped from the byline)."""

RECYCLE_PREFIXES = (
    "Neue Details",
    "Hintergrund",
    "Analyse",
    "Überblick",
    "Reaktionen",
    "Nachgefragt",
    "Kommentar",
    "Faktencheck",
)
"""Headline prefixes that make recycled copies distinct articles (as follow-up stories are)."""

FUNDUS: dict[str, tuple[str, str | None]] = {
    "AFPFaktencheck_2026_05_24": ("welt", "Faktencheck"),
    "BSZ_2024_05_16": ("sport", "Boxen"),
    "BSZ_2025_09_09": ("politik", "Energie"),
    "BSZ_2025_11_06": ("politik", "Drogenpolitik"),
    "BerlinerZeitung_2023_04_28": ("welt", "Niederlande"),
    "BerlinerZeitung_2026_05_18": ("lokales", "Kinderlosigkeit"),
    "BoersenZeitung_2024_10_23": ("wirtschaft", "Dax"),
    "BoersenZeitung_2024_12_16": ("wirtschaft", "Bezahldienst Wero"),
    "BoersenZeitung_2025_11_06": ("wirtschaft", "Deutsche Bank"),
    "Correctiv_2026_05_24": ("politik", "Spionage"),
    "DerFreitag_2025_10_20": ("welt", "Frankfurter Buchmesse"),
    "DieZeit_2023_04_28": ("sport", "Basketball"),
    "FAZ_2023_04_28": ("lokales", "Deutschlandticket"),
    "FAZ_2024_04_17": ("welt", "Spionage"),
    "FAZ_2025_04_15": ("wirtschaft", "Stiftung Warentest"),
    "FrankfurterRundschau_2024_04_26": ("lokales", None),
    "FreiePresse_2024_04_30": ("lokales", "Veranstaltungen"),
    "FreiePresse_2024_11_29": ("politik", "Ampel-Aus"),
    "Golem_2024_04_28": ("wirtschaft", "Patentstreit"),
    "Golem_2025_09_09": ("wirtschaft", "Elektromobilität"),
    "Heise_2024_04_19": ("wirtschaft", "Cybercrime"),
    "JungeWelt_2024_04_26": ("politik", "Bundeswehr"),
    "JungeWelt_2026_05_18": ("welt", "Kenia"),
    "KlasseGegenKlasse_2026_01_07": ("welt", "Venezuela"),
    "LTO_2025_10_20": ("politik", "Rüstungsexporte"),
    "Merkur_2023_04_28": ("welt", None),
    "MitteldeutscheZeitung_2024_04_30": ("welt", "Iran"),
    "NDR_2023_04_28": ("lokales", "Meteorit"),
    "NDR_2025_06_18": ("bayern", "Bildung"),
    "NetzpolitikOrg_2024_04_28": ("politik", "Kolumne"),
    "RBB24_2024_04_25": ("bayern", "Theater"),
    "RuhrNachrichten_2024_05_03": ("bayern", "Wetter"),
    "SpiegelOnline_2023_04_28": ("wirtschaft", "Bankenpleite"),
    "Stern_2023_04_28": ("wirtschaft", "Zahlungsverkehr"),
    "Stern_2024_11_05": ("politik", "US-Wahl"),
    "TOnline_2026_01_07": ("welt", "Schattenflotte"),
    "TOnline_2026_04_15": ("welt", "Donald Trump"),
    "Tagesspiegel_2024_04_29": ("welt", "Klimawandel"),
    "VogueDE_2024_04_30": ("lokales", "Mode"),
    "WDR_2024_04_22": ("bayern", "Feuerwehr"),
    "ZDF_2024_04_22": ("wirtschaft", "Sanktionen"),
    "ZDF_2025_11_07": ("politik", "Ukraine-Krieg"),
}
"""Fundus fixture -> (section on the local site, kicker). The two IPPEN pages keep their real (no) kicker."""
FIRST_SOURCES = ("Merkur_2023_04_28", "FrankfurterRundschau_2024_04_26")
"""Always right after the seed article, so every site of 3+ articles has the real IPPEN pages' text."""
MERKUR_TOPICS = ("König Charles III.", "Prinz Harry")
"""Tags of the real Merkur page (its k5aMeta), which fundus does not record."""


@dataclass(frozen=True)
class Block:
    """One body element in reading order, as the extractors report them."""

    kind: str
    """`paragraph`, `crosshead` or `list`."""
    text: str
    items: tuple[str, ...] = ()
    """The entries of a `list` block (its `text` is them joined by newlines)."""


@dataclass(frozen=True)
class ImageSpec:
    path: str
    """Path of the image on the local site (`/bilder/...`), served as a tiny placeholder."""
    alt: str
    caption: str | None = None
    credit: str | None = None


@dataclass(frozen=True)
class ArticleSpec:
    """What the site publishes for one article: the ground truth a crawl is checked against."""

    id: int
    """The publisher's 8-digit online id, the last part of the URL."""
    section: str
    slug: str
    kicker: str | None
    headline: str
    """The h1 and og:title."""
    seo_title: str
    """`<title>`, JSON-LD headline and share title; may differ from the h1, as on the real Merkur page."""
    teaser_headline: str
    """The headline on homepage and section teasers; may differ from the h1."""
    lead: str
    body: tuple[Block, ...]
    authors: tuple[str, ...]
    agency: str | None
    dateline: str | None
    published: datetime
    """UTC, aware; the page shows it in Europe/Berlin time."""
    modified: datetime
    topics: tuple[str, ...] = ()
    image: ImageSpec | None = None
    source: str = ""
    """The fixture the text comes from (`seed` or a fundus stem)."""
    version: int = 1
    """1 when built; every edit adds one."""
    old_paths: tuple[str, ...] = ()
    """Earlier paths of a moved article; they answer 301 to `path`."""
    teaser_kicker: str | None = None
    """The kicker on teasers when it differs from the page's (None: teasers show `kicker`)."""

    @property
    def path(self) -> str:
        return f"/{self.section}/{self.slug}-{self.id}.html"

    @property
    def section_title(self) -> str:
        return SECTIONS.get(self.section, self.section.capitalize())

    def url(self, base_url: str) -> str:
        return base_url.rstrip("/") + self.path

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the control API and `list`."""
        data = asdict(self)
        data.update(path=self.path, published=self.published.isoformat(), modified=self.modified.isoformat())
        return data


@dataclass(frozen=True)
class Source:
    """Article text before it gets an id, a slug and dates on the site."""

    name: str
    section: str
    kicker: str | None
    headline: str
    lead: str
    body: tuple[Block, ...]
    authors: tuple[str, ...] = ()
    agency: str | None = None
    dateline: str | None = None
    topics: tuple[str, ...] = ()
    seo_title: str | None = None
    image_alt: str | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    fixed_id: int | None = None
    fixed_slug: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


# -- text helpers --------------------------------------------------------------------------------------------------
_DATELINE = re.compile(r"^([A-ZÄÖÜ][\w./]*(?: [A-ZÄÖÜ][\w./]*)?) [-–] ")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


def slugify(text: str, max_len: int = 90) -> str:
    """IPPEN-style URL slug: lower case, umlauts spelled out, words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_UMLAUTS)).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        if slug and len(slug) + 1 + len(word) > max_len:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug or "artikel"


def dateline_of(paragraph: str) -> str | None:
    match = _DATELINE.match(paragraph)
    return match.group(1) if match else None


def as_block(value: Block | str | tuple[str, str] | list[str] | dict[str, Any]) -> Block:
    """Accept the loose forms callers use: a paragraph string, (kind, text), a dict or a Block."""
    if isinstance(value, Block):
        return value
    if isinstance(value, str):
        return Block("paragraph", value)
    if isinstance(value, (tuple, list)):
        kind, text = value
        return Block(kind, text)
    items = tuple(value.get("items") or ())
    return Block(value.get("kind", "paragraph"), value.get("text") or "\n".join(items), items)


# -- sources -------------------------------------------------------------------------------------------------------
def parse_seed(text: str) -> Source:
    """The seed text as a reader copied it: kicker, headline, image alt/"+"/caption, lead, body, boilerplate.

    The boilerplate from "Das könnte Sie auch interessieren" on (newsletter box, related teasers) is furniture
    the site template adds itself; the agency and the IPPEN footnote at the end of the body are split off.
    """
    parts = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    kicker, headline, image_block, lead = parts[:4]
    image_lines = [line.strip() for line in image_block.splitlines() if line.strip() not in ("", "+")]
    body_parts: list[str] = []
    for part in parts[4:]:
        if part.startswith("Das könnte Sie auch interessieren"):
            break
        body_parts.append(" ".join(part.split()))
    last = body_parts[-1].replace(FOOTNOTE, "").rstrip()
    agency = None
    match = re.search(r"\s(dpa|AFP|Reuters|epd|KNA)$", last)
    if match:
        agency, last = match.group(1), last[: match.start()].rstrip()
    body_parts[-1] = last
    blocks = tuple(Block("crosshead" if len(p) < 160 and not p.endswith(".") else "paragraph", p) for p in body_parts)
    return Source(
        name="seed",
        section=SEED_SECTION,
        kicker=kicker,
        headline=headline,
        lead=lead,
        body=blocks,
        agency=agency,
        dateline=dateline_of(blocks[0].text),
        topics=("Ukraine-Konflikt", "Annalena Baerbock", "Antony Blinken"),
        image_alt=image_lines[0] if image_lines else None,
        image_caption=image_lines[1] if len(image_lines) > 1 else None,
        fixed_id=SEED_ARTICLE_ID,
    )


def _clean(text: str) -> str:
    return " ".join(text.split())


def _describes(text: str | None) -> bool:
    """An image description worth an alt text (not empty, not a file name)."""
    return bool(text and text.strip() and not re.fullmatch(r"[\w.-]+\.(jpe?g|png|webp|gif)", text.strip()))


def parse_fundus(stem: str, data: dict[str, Any], html_title: str | None = None) -> Source:
    """A fundus ground-truth record as article text: title, summary (lead), sections, authors, first image."""
    section, kicker = FUNDUS.get(stem, ("welt", None))
    expected = data["expected"]
    body: list[Block] = []
    for part in expected["body"]["sections"]:
        body += [Block("crosshead", _clean(h)) for h in part["headline"]]
        body += [Block("paragraph", _clean(p)) for p in part["paragraphs"]]
    summary = [_clean(s) for s in expected["body"]["summary"]]
    if not summary:
        first = next(i for i, b in enumerate(body) if b.kind == "paragraph")
        summary = [body.pop(first).text]
    authors: list[str] = []
    agency = None
    for name in expected.get("authors") or []:
        key = name.strip().lower()
        if key in AGENCY_BYLINES:
            agency = agency or AGENCY_BYLINES[key]
        elif key not in NOT_PERSONS:
            authors.append(name.strip())
    image = next((i for i in expected.get("images") or [] if _describes(i.get("description"))), None)
    fixed = re.search(r"/([a-z0-9-]+)-(\d{8})\.html$", data.get("url", "")) if stem in FIRST_SOURCES else None
    topics = tuple(expected.get("topics") or (MERKUR_TOPICS if stem.startswith("Merkur") else ()))
    title = _clean(expected["title"])
    return Source(
        name=stem,
        section=section,
        kicker=kicker,
        headline=title,
        seo_title=_clean(html_title) if html_title else None,
        lead=" ".join(summary),
        body=tuple(body),
        authors=tuple(authors),
        agency=agency,
        dateline=dateline_of(body[0].text) if body else None,
        topics=topics[:5],
        image_alt=_clean(image.get("description") or image["caption"]) if image else None,
        image_caption=_clean(image.get("caption") or image["description"]) if image else None,
        image_credit=", ".join(image.get("authors") or []) or None if image else None,
        fixed_id=int(fixed.group(2)) if fixed else None,
        fixed_slug=fixed.group(1) if fixed else None,
    )


def load_sources(root: Path) -> list[Source]:
    """Seed first, then the two IPPEN pages, then the other fundus articles in file-name order."""
    sources = [parse_seed(read_text(root, SEED_TEXT))]
    fundus: dict[str, Source] = {}
    for path in sorted((root / FUNDUS_DIR).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        html_title = None
        if path.stem.startswith("Merkur"):
            html = path.with_suffix(".html").read_text(encoding="utf-8")
            match = re.search(r"<title>(.*?)</title>", html, re.S)
            html_title = match.group(1) if match else None
        fundus[path.stem] = parse_fundus(path.stem, data, html_title)
    sources += [fundus.pop(name) for name in FIRST_SOURCES if name in fundus]
    return sources + list(fundus.values())


# -- the site's articles -------------------------------------------------------------------------------------------
class ArticleFactory:
    """Turns sources into articles with ids, slugs and dates; deterministic for a seed.

    Article i draws from its own `Random(f"{seed}:{i}")`, so a bigger site starts with the same articles as a
    smaller one with the same seed, and `add_article` continues the sequence.
    """

    def __init__(self, sources: list[Source], seed: int, now: datetime) -> None:
        self.sources = sources
        self.seed = seed
        self.now = now
        order = random.Random(f"newsmon-order:{seed}")
        head = sources[: 1 + len(FIRST_SOURCES)]
        rest = sources[len(head) :]
        order.shuffle(rest)
        self._cycle = head[1:] + rest
        self._used_ids: set[int] = set()
        self._count = 0
        self._headlines: set[str] = set()

    def build(self, n_articles: int) -> list[ArticleSpec]:
        """The first n articles, newest first, published at random gaps back from `now`."""
        articles = []
        when = self.now
        for _ in range(n_articles):
            rng = self._rng("time", self._count)
            when -= timedelta(minutes=rng.randint(12, 150), seconds=rng.randint(0, 59))
            articles.append(self.next(when))
        return articles

    def next(self, published: datetime, **overrides: Any) -> ArticleSpec:
        """The next article of the sequence, published at `published`; keyword arguments replace fields."""
        index = self._count
        self._count += 1
        rng = self._rng("article", index)
        source = self.sources[0] if index == 0 else self._cycle[(index - 1) % len(self._cycle)]
        round_ = 0 if index == 0 else (index - 1) // len(self._cycle)
        headline = source.headline
        seo_title = source.seo_title or headline
        if round_:
            prefix = RECYCLE_PREFIXES[(round_ - 1) % len(RECYCLE_PREFIXES)]
            part = (round_ - 1) // len(RECYCLE_PREFIXES)
            suffix = f" ({part + 1}. Teil)" if part else ""
            headline = seo_title = f"{prefix}: {headline}{suffix}"
        while headline in self._headlines:
            headline = seo_title = f"{headline} (Update)"
        self._headlines.add(headline)
        teaser = headline
        if source.seo_title and not round_:
            teaser = source.seo_title
        elif ": " in headline and rng.random() < 0.4:
            teaser = headline.split(": ", 1)[1]
        article_id = self._new_id(rng, source.fixed_id if not round_ else None, overrides.get("id"))
        slug = source.fixed_slug if source.fixed_slug and not round_ else slugify(headline)
        modified = published
        if index and rng.random() < 0.35:
            modified = min(published + timedelta(minutes=rng.randint(8, 300)), max(self.now, published))
        spec = ArticleSpec(
            id=article_id,
            section=source.section,
            slug=slug,
            kicker=source.kicker,
            headline=headline,
            seo_title=seo_title,
            teaser_headline=teaser,
            lead=source.lead,
            body=source.body,
            authors=source.authors,
            agency=source.agency,
            dateline=source.dateline,
            published=published,
            modified=modified,
            topics=source.topics,
            image=None,
            source=source.name,
        )
        if overrides:
            spec = with_changes(spec, **overrides)
        image = None
        if source.image_alt:
            day = spec.published.astimezone(UTC)
            name = f"{rng.randint(30_000_000, 39_999_999)}-{slugify(source.image_alt, 60)}.jpg"
            image = ImageSpec(
                path=f"/bilder/{day:%Y/%m/%d}/{spec.id}/{name}",
                alt=source.image_alt,
                caption=source.image_caption,
                credit=source.image_credit,
            )
        return replace(spec, image=overrides.get("image", image))

    def reserve(self, specs: list[ArticleSpec]) -> None:
        """Take these articles' ids and headlines, so a second factory's articles differ from another's."""
        for spec in specs:
            self._used_ids.add(spec.id)
            self._headlines.add(spec.headline)

    def _rng(self, purpose: str, index: int) -> random.Random:
        return random.Random(f"newsmon-{purpose}:{self.seed}:{index}")

    def _new_id(self, rng: random.Random, *preferred: int | None) -> int:
        for wanted in preferred:
            if wanted is not None and wanted not in self._used_ids:
                self._used_ids.add(int(wanted))
                return int(wanted)
        candidate = rng.randrange(90_000_000, 94_000_000)
        while candidate in self._used_ids or candidate == SEED_ARTICLE_ID:
            candidate += 1
        self._used_ids.add(candidate)
        return candidate


EDITABLE = frozenset(
    {"kicker", "headline", "seo_title", "teaser_headline", "teaser_kicker", "lead", "body", "authors", "agency"}
    | {"dateline"}
    | {"topics", "image", "section", "slug", "published", "modified"}
)


def with_changes(spec: ArticleSpec, **changes: Any) -> ArticleSpec:
    """A copy with fields replaced; headline variants that mirrored the headline follow it."""
    unknown = set(changes) - EDITABLE - {"id"}
    if unknown:
        raise TypeError(f"not an editable article field: {', '.join(sorted(unknown))}")
    changes.pop("id", None)
    if "body" in changes:
        changes["body"] = tuple(as_block(b) for b in changes["body"])
    for name in ("authors", "topics"):
        if name in changes:
            changes[name] = tuple(changes[name])
    if "section" in changes and changes["section"] not in SECTIONS:
        raise ValueError(f"unknown section {changes['section']!r}; sections: {', '.join(SECTIONS)}")
    if "headline" in changes:
        for variant in ("seo_title", "teaser_headline"):
            if variant not in changes and getattr(spec, variant) == spec.headline:
                changes[variant] = changes["headline"]
    return replace(spec, **changes)
