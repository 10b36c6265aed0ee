"""Change detection as a stage of its own: the change records a new version or a run's teaser records bring.

The store calls it from its writer thread once a batch is saved and hands over what it read (the version before,
the stored teaser documents, the articles' headlines); the detector returns change records with natural `_id`s,
and the store numbers (`seq`), writes and alerts them (`crawler.store.change_recorder`). No database here.

The feed holds edits over time and nothing else (docs/changes.md): a first observation is never a change, a
teaser headline that differs from its article's is a fact on the teaser document, a version read by a new
extractor version is a re-baseline, and presence flips are held until the run's end to tell parser drift from
edits (`DriftDetector`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from crawler.changes.classify import EditClass
from crawler.changes.compare import FieldChange, compare_text, compare_versions
from crawler.changes.drift import DriftDetector
from crawler.config import option

logger = logging.getLogger(__name__)

TEASER_FIELDS = ("headline", "kicker")
HOMEPAGE_PATHS = ("", "/")


@dataclass(frozen=True)
class VersionPair:
    """A new version of a stored article (`number` > 1) beside the version before it, as the store read them."""

    key: str
    """The comparison's natural key (the store names the two versions): every change's `_id` starts with it, so a
    replayed batch writes nothing twice."""
    old: Mapping[str, Any]
    new: Mapping[str, Any]
    """The new version as the store saves it: content fields plus `article_id`, `site`, `url`, `run_id`."""
    number: int
    teaser: Mapping[str, Any] | None = None
    """The article's stored teaser document, for its prominence at that moment."""


@dataclass(frozen=True)
class RunEnd:
    """What the detector decides at the run's end: held presence flips released as changes, drift alerts."""

    changes: list[dict[str, Any]]
    alerts: list[dict[str, Any]]


class ChangeDetector:
    """One per store writer (one per crawl): it remembers the run's presence flips and counts."""

    def __init__(self, drift: DriftDetector | None = None, ab_window: timedelta = timedelta(days=7)) -> None:
        self.drift = drift or DriftDetector()
        self.ab_window = ab_window
        """A teaser wording returning to one seen within this window is an A/B test flip (`ab_flip`)."""
        self.rebaselines = 0
        self.suppressed = 0

    @classmethod
    def from_settings(cls, settings: Any) -> ChangeDetector:
        """Settings: `NEWSMON_DRIFT_MIN_ARTICLES`, `NEWSMON_DRIFT_THRESHOLD`, `NEWSMON_AB_WINDOW_DAYS`."""
        return cls(
            DriftDetector(
                min_articles=option(settings, "NEWSMON_DRIFT_MIN_ARTICLES"),
                threshold=option(settings, "NEWSMON_DRIFT_THRESHOLD"),
            ),
            ab_window=timedelta(days=option(settings, "NEWSMON_AB_WINDOW_DAYS")),
        )

    @property
    def held(self) -> int:
        """Presence flips waiting for the run's end."""
        return self.drift.held

    # -- articles ------------------------------------------------------------------------------------------------
    def unchanged(self, docs: Iterable[Mapping[str, Any]]) -> None:
        """Articles fetched again with the same content: they count in the drift shares as 'no flip'."""
        for doc in docs:
            self.drift.observe_versions(doc["site"], doc["article_id"], doc, doc)

    def to_compare(self, versions: Iterable[tuple[dict[str, Any], int]]) -> list[tuple[dict[str, Any], int]]:
        """The new versions worth comparing: not a first version, not a re-baseline (a version read by another
        extractor version, `crawler.store.savers.rebaseline`: an upgrade of newsmon is not an edit)."""
        versions = list(versions)
        upgraded = [doc for doc, number in versions if number > 1 and doc.get("rebaseline")]
        if upgraded:
            self.rebaselines += len(upgraded)
            logger.info("%d article(s) re-read by a new extractor version: stored as re-baselines", len(upgraded))
        return [(doc, number) for doc, number in versions if number > 1 and not doc.get("rebaseline")]

    def versions(self, pairs: Iterable[VersionPair]) -> list[dict[str, Any]]:
        """The change records of each new version against the one before it (presence flips are held)."""
        out = []
        for pair in pairs:
            doc, aid = pair.new, pair.new["article_id"]
            context = {
                "article_id": aid,
                "site": doc["site"],
                "url": doc["url"],
                "headline": doc.get("headline"),
                "version_from": pair.number - 1,
                "version_to": pair.number,
                "run_id": doc.get("run_id"),
                "prominence": prominence(pair.teaser),
                "key": pair.key,
            }
            changes = compare_versions(pair.old, doc)
            numbered = {id(c): k for k, c in enumerate(changes)}
            for change in self.drift.screen(doc["site"], aid, pair.old, doc, changes, context=(context, numbered)):
                out.append(change_record(change, context, numbered[id(change)]))
        return out

    # -- teasers -------------------------------------------------------------------------------------------------
    def teaser_records(
        self,
        records: list[dict[str, Any]],
        stored: Mapping[str, Mapping[str, Any]],
        article_headlines: Mapping[str, str | None],
        flips: Mapping[str, frozenset[str]],
    ) -> list[dict[str, Any]]:
        """The change records a run's teaser records bring, read against the stored teaser documents.

        Only a teaser's own headline or kicker changing is a change (`teaser.headline`, `teaser.kicker`); a
        first sighting never is. A change that is a flip of an A/B test (`flips`: the fields per article,
        `crawler.model.teasers.teaser_facts`) is classed `ab_flip`. A record already merged (its flush id is on
        the stored document) brings nothing: its changes were written then.
        """
        out = []
        for record in records:
            aid = record["article_id"]
            before = stored.get(aid) or {}
            if record["flush_id"] in (before.get("flushes") or []):
                continue
            context = {
                "article_id": aid,
                "site": record["site"],
                "url": record["url"],
                "headline": article_headlines.get(aid),
                "version_from": None,
                "version_to": None,
                "run_id": record.get("run_id"),
                "prominence": prominence(record),
                "key": f"{aid}:teaser:{record['flush_id']}",
            }
            changes: list[FieldChange] = []
            for name in TEASER_FIELDS:
                if before.get(name) and record.get(name):
                    change = compare_text(f"teaser.{name}", before[name], record[name])
                    if change and name in flips.get(aid, ()):
                        change = replace(change, edit_class=EditClass.AB_FLIP)
                    changes += [change] if change else []
            out += [change_record(c, context, k) for k, c in enumerate(changes)]
        return out

    # -- end of run ----------------------------------------------------------------------------------------------
    def finish(self) -> RunEnd:
        """Decide the held presence flips: the edits among them as change records, a health alert per drifting
        field (logged here; the store alerts them)."""
        outcome = self.drift.finish()
        released = []
        for held in outcome.released:
            context, numbered = held.context
            released.append(change_record(held.change, context, numbered[id(held.change)]))
        self.suppressed += len(outcome.suppressed)
        for alert in outcome.alerts:
            logger.warning("health: %s", alert["message"])
        return RunEnd(released, outcome.alerts)


def change_record(change: FieldChange, context: Mapping[str, Any], index: int) -> dict[str, Any]:
    """A change as stored and alerted: `_id` from the comparison's key, the field and its place in the comparison."""
    return {
        "_id": f"{context['key']}:{change.field}:{index}",
        **{k: v for k, v in context.items() if k != "key"},
        **change.to_doc(),
        "detected_at": datetime.now(UTC),
    }


def prominence(teaser: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The teaser's best place in its latest sighting: the homepage before sections, then the lowest position."""
    if not teaser:
        return None
    places = list((teaser.get("placements") or {}).values())
    latest = max((p.get("last_seen") for p in places if p.get("last_seen")), default=None)
    current = [p for p in places if p.get("last_seen") == latest] or places
    if not current:
        return None

    def rank(place: Mapping[str, Any]) -> tuple[int, int]:
        path = "/" + str(place.get("page", "")).split("://", 1)[-1].partition("/")[2]
        return (0 if path.rstrip("/") in HOMEPAGE_PATHS else 1, int(place.get("position") or 10**6))

    best = min(current, key=rank)
    return {
        "page": best.get("page"),
        "block": best.get("block"),
        "position": best.get("position"),
        "homepage": rank(best)[0] == 0,
        "seen_at": best.get("last_seen"),
    }
