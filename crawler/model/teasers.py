"""Teaser observations of one run, folded into one record per teased article.

A listing page shows the same teaser several times (image link, title link, text), and a crawl reads many
pages that tease the same article, run after run. What a consumer wants is one document per teased article
with every place it stood (page, block, position) and every wording it had (headline, kicker and text
variants, so an A/B test stays visible), each with first/last seen and a count. This module does the folding
in memory for one run; the store merges a record into the stored document (`crawler.store.documents.teaser_doc`,
`crawler.store.savers.TeaserSaver`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crawler.model.fingerprint import short_hash
from crawler.model.normalize import clean_text, comparable

VARIANT_FIELDS = ("headline", "kicker", "text")
"""Teaser fields whose every distinct wording is kept."""
AB_FIELDS = ("headline", "kicker")
"""Teaser fields whose wordings can be an A/B test (`ab_tests.<field>` on the teaser document)."""


def placement_key(page: str, block: str | None, position: int) -> str:
    return short_hash(page, block or "", str(position), length=16)


def variant_key(name: str, value: str) -> str:
    """Typography-insensitive: „x“ and "x" are one variant, as they are one wording to a reader."""
    return short_hash(name, comparable(value), length=16)


@dataclass
class TeaserRecord:
    """One article's teasers in one run: the unit written to the store (one write per article per run)."""

    article_id: str
    site: str
    url: str
    first_seen: datetime
    last_seen: datetime
    latest: dict[str, Any] = field(default_factory=dict)
    """The latest observation's url, headline, kicker, text, image."""
    urls: set[str] = field(default_factory=set)
    observations: int = 0
    """Pages of this run that showed the teaser (each page once)."""
    placements: dict[str, dict[str, Any]] = field(default_factory=dict)
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, teaser: dict[str, Any], seen: datetime) -> None:
        self.observations += 1
        self.first_seen, self.last_seen = min(self.first_seen, seen), max(self.last_seen, seen)
        self.urls.add(teaser["url"])
        self.latest = {k: teaser.get(k) for k in ("url", "headline", "kicker", "text", "image")}
        key = placement_key(teaser["page_url"], teaser.get("block"), teaser["position"])
        place = self.placements.setdefault(
            key,
            {
                "page": teaser["page_url"],
                "block": teaser.get("block"),
                "block_index": teaser.get("block_index"),
                "layout": teaser.get("layout"),
                "position": teaser["position"],
                "first_seen": seen,
                "last_seen": seen,
            },
        )
        place["first_seen"], place["last_seen"] = min(place["first_seen"], seen), max(place["last_seen"], seen)
        for name in VARIANT_FIELDS:
            value = teaser.get(name)
            if not value:
                continue
            variant = self.variants.setdefault(
                variant_key(name, value),
                {"field": name, "value": value, "first_seen": seen, "last_seen": seen, "count": 0},
            )
            variant["count"] += 1
            variant["first_seen"], variant["last_seen"] = (
                min(variant["first_seen"], seen),
                max(variant["last_seen"], seen),
            )


class TeaserBook:
    """Folds a run's teasers per article; says which observations repeat a teaser already seen on its page."""

    def __init__(self) -> None:
        self.records: dict[str, TeaserRecord] = {}
        self._on_page: set[str] = set()

    def __len__(self) -> int:
        return len(self.records)

    def observe(self, article_id: str, teaser: dict[str, Any]) -> bool:
        """Add a teaser (normalized dict with url, site, page_url, position, ...); False for a repeat on a page."""
        page_key = short_hash(teaser["page_url"], article_id)
        if page_key in self._on_page:
            return False
        self._on_page.add(page_key)
        seen = teaser.get("seen_at") or datetime.now(UTC)
        record = self.records.get(article_id)
        if record is None:
            record = self.records[article_id] = TeaserRecord(
                article_id=article_id, site=teaser["site"], url=teaser["url"], first_seen=seen, last_seen=seen
            )
        record.add(teaser, seen)
        return True

    def take(self) -> list[TeaserRecord]:
        """Hand over the records gathered so far and start empty (the on-page memory is kept for the run)."""
        records, self.records = list(self.records.values()), {}
        return records


def normalize_teaser(doc: dict[str, Any]) -> dict[str, Any]:
    """Clean text (kept as printed, NFC and whitespace) for a teaser dict; URLs are canonicalized by the caller."""
    out = dict(doc)
    for name in ("headline", "kicker", "text", "block", "author"):
        out[name] = clean_text(doc.get(name))
    return out


@dataclass(frozen=True)
class TeaserFacts:
    """What a run's teaser record says about its teaser beyond the observations: not edits, so not `changes`.

    - `headline_vs_article`: the teaser's headline reads otherwise than its article page's headline (both
      wordings and since when; None when they read alike). A fact about the teaser, kept on its document.
    - `ab_tests`: per field, the wordings of an A/B test (each with its count, first and last seen) when the
      teaser's wording returned to one seen within the window, or two wordings were seen in the same run.
    - `flips`: the fields whose change in this record is such a flip (their `teaser.*` change is `ab_flip`).
    """

    headline_vs_article: dict[str, Any] | None
    ab_tests: dict[str, dict[str, Any]]
    flips: frozenset[str]


def teaser_facts(
    before: Mapping[str, Any] | None,
    record: Mapping[str, Any],
    article_headline: str | None,
    window: timedelta,
) -> TeaserFacts:
    """The facts of `record` (a `crawler.store.documents.teaser_doc`) read against the stored teaser `before`."""
    before = before or {}
    seen = record["last_seen"]
    return TeaserFacts(
        _headline_vs_article(before.get("headline_vs_article"), record.get("headline"), article_headline, seen),
        *_ab_tests(before, record, seen, window),
    )


def _headline_vs_article(
    known: Mapping[str, Any] | None, headline: str | None, article: str | None, seen: datetime
) -> dict[str, Any] | None:
    if not headline or not article:
        return dict(known) if known else None  # one side unknown: what was known stands
    if comparable(headline) == comparable(article):
        return None
    same = bool(known) and (comparable(known.get("teaser")), comparable(known.get("article"))) == (
        comparable(headline),
        comparable(article),
    )
    return {"teaser": headline, "article": article, "since": known["since"] if same and known else seen}


def _ab_tests(
    before: Mapping[str, Any], record: Mapping[str, Any], seen: datetime, window: timedelta
) -> tuple[dict[str, dict[str, Any]], frozenset[str]]:
    old_variants: Mapping[str, Any] = before.get("variants") or {}
    known_tests: Mapping[str, Any] = before.get("ab_tests") or {}
    tests: dict[str, dict[str, Any]] = {}
    flips = set()
    for name in AB_FIELDS:
        in_run = [v for v in record["variants"].values() if v["field"] == name]
        now, was = record.get(name), before.get(name)
        returned = False
        if now and was and comparable(now) != comparable(was):
            earlier = old_variants.get(variant_key(name, now))
            returned = bool(earlier) and _aware(earlier["last_seen"]) >= _aware(seen) - window
            if returned or len(in_run) > 1:
                flips.add(name)
        if not (returned or len(in_run) > 1):
            continue
        wordings: dict[str, dict[str, Any]] = {}
        for source in (old_variants, record["variants"]):
            for key, v in source.items():
                if v.get("field") != name:
                    continue
                w = wordings.setdefault(key, {"value": v["value"], "count": 0, "first_seen": v["first_seen"]})
                w["count"] += int(v.get("count") or 0)
                w["first_seen"] = min(_aware(w["first_seen"]), _aware(v["first_seen"]))
                w["last_seen"] = max(_aware(w.get("last_seen") or v["last_seen"]), _aware(v["last_seen"]))
        known = known_tests.get(name) or {}
        tests[name] = {
            "wordings": sorted(wordings.values(), key=lambda w: w["first_seen"]),
            "first_detected": known.get("first_detected") or seen,
            "last_detected": seen,
        }
    return tests, frozenset(flips)


def _aware(value: datetime) -> datetime:
    """pymongo without tz_aware gives naive UTC datetimes; a run's own are aware."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
