"""Parser or layout drift is not an edit: a field that goes empty (or appears) on most articles of a site in one
run is the extractor or the page template changing, not the newsroom. Those changes are suppressed and one
health alert per (site, field, direction) is raised instead.

Decided at the end of the run, holding only what can be drift. The detector needs every article of the run to
know the share, so nothing about presence can be decided early; but drift only ever concerns *presence flips*
(a field going from something to nothing or back). So:

- Changes that are not presence flips are released at once (`screen` returns them): text edited within a
  field that stays present is never drift.
- Presence flips are held until `finish()`, which releases the ones of (site, field, direction) pairs that did
  not drift and suppresses the rest. In a normal run few flips happen (a kicker added here and there), so the
  buffer stays small; under drift it holds one change per article for the drifting fields, at most
  `max_held` in all (default 10,000). Past that, a flip is decided on the counts seen so far: suppressed if its
  pair already reads as drift, else released.

Edit stamps: a `modified` date that appears (or goes) on an article whose text the newsroom edited in the same
comparison is that edit's own stamp, not the template: it is neither counted nor held. Without this, a run that
fetches mostly edited articles (the revisit policy re-fetches only what changed; a day of heavy updates) read
"modified appeared on 15 of 15 articles" as drift and suppressed every one of those `modified` changes.

Counts: a pair (site, field) drifts `went_empty` when, among the articles that had the field in their previous
version, at least `min_articles` (default 5) were compared and a share >= `threshold` (default 0.5) lost it;
`appeared` mirrors this over the articles that did not have it.

Pipeline use, per article compared with its previous version:

    released = detector.screen(site, article_id, old_doc, new_doc, changes, context=...)
    # write/alert `released` now; at close_spider:
    outcome = detector.finish()
    # write/alert outcome.released (with their contexts), record outcome.alerts with the run, drop suppressed
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from crawler.changes.compare import FieldChange, field_presence
from crawler.config import default

DEFAULT_MIN_ARTICLES = default("NEWSMON_DRIFT_MIN_ARTICLES")
DEFAULT_THRESHOLD = default("NEWSMON_DRIFT_THRESHOLD")
DEFAULT_MAX_HELD = 10_000
EXAMPLES = 5
"""Article ids named in a health alert."""
EDIT_STAMPS = frozenset({"modified"})
"""Fields a CMS sets because the article was edited: no drift evidence on an article with an editorial edit."""


@dataclass
class Held:
    """A change kept until the run's end, with whatever the pipeline needs to write it then."""

    site: str
    article_id: str
    change: FieldChange
    context: Any = None


@dataclass
class DriftOutcome:
    alerts: list[dict[str, Any]]
    """One health alert per drifting (site, field, direction)."""
    released: list[Held]
    """Held changes that turned out to be edits: write and alert them now."""
    suppressed: list[Held]
    """Held changes that were drift: not edits (kept here for counts and logs only)."""


@dataclass
class _Counts:
    base: dict[str, int] = field(default_factory=lambda: {"went_empty": 0, "appeared": 0})
    flipped: dict[str, list[str]] = field(default_factory=lambda: {"went_empty": [], "appeared": []})


class DriftDetector:
    """Per-run presence statistics per (site, field); one instance per run (per spider)."""

    def __init__(
        self,
        min_articles: int = DEFAULT_MIN_ARTICLES,
        threshold: float = DEFAULT_THRESHOLD,
        max_held: int = DEFAULT_MAX_HELD,
    ) -> None:
        self.min_articles = min_articles
        self.threshold = threshold
        self.max_held = max_held
        self._counts: dict[tuple[str, str], _Counts] = defaultdict(_Counts)
        self._flips: dict[tuple[str, str], dict[str, str]] = {}
        """(site, article_id) -> {field: direction} for the article last observed."""
        self._held: list[Held] = []
        self._early_suppressed: list[Held] = []

    # -- observing ---------------------------------------------------------------------------------------------
    def observe(self, site: str, article_id: str, name: str, was_present: bool, is_present: bool) -> None:
        """One field of one article compared with its previous version."""
        direction = "went_empty" if was_present else "appeared"
        counts = self._counts[(site, name)]
        counts.base[direction] += 1
        if was_present != is_present:
            counts.flipped[direction].append(article_id)
            self._flips.setdefault((site, article_id), {})[name] = direction

    def observe_versions(
        self, site: str, article_id: str, old: Mapping[str, Any], new: Mapping[str, Any], edited: bool = False
    ) -> None:
        """Every field of an article: `observe` for each field either version has (but the `EDIT_STAMPS` of an
        article with an editorial edit, `edited`)."""
        before, after = field_presence(old), field_presence(new)
        for name in sorted(before.keys() | after.keys()):
            if not (edited and name in EDIT_STAMPS):
                self.observe(site, article_id, name, before.get(name, False), after.get(name, False))

    # -- holding -----------------------------------------------------------------------------------------------
    def screen(
        self,
        site: str,
        article_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        changes: Iterable[FieldChange],
        context: Any = None,
    ) -> list[FieldChange]:
        """Observe the article, hold its presence flips, return the changes to emit now."""
        changes = list(changes)
        edited = any(change.editorial for change in changes)
        self.observe_versions(site, article_id, old, new, edited=edited)
        return self.hold(site, article_id, changes, context)

    def hold(
        self, site: str, article_id: str, changes: Iterable[FieldChange], context: Any = None
    ) -> list[FieldChange]:
        """Hold the changes of fields this article was observed to flip; return the others."""
        flips = self._flips.pop((site, article_id), {})
        now = []
        for change in changes:
            if change.field not in flips:
                now.append(change)
            elif len(self._held) < self.max_held:
                self._held.append(Held(site, article_id, change, context))
            elif self._drifts(site, change.field, flips[change.field]):
                self._early_suppressed.append(Held(site, article_id, change, context))
            else:
                now.append(change)
        return now

    @property
    def held(self) -> int:
        """Changes waiting for the run's end."""
        return len(self._held)

    # -- deciding ----------------------------------------------------------------------------------------------
    def drifting(self) -> set[tuple[str, str, str]]:
        """(site, field, direction) that drift on the counts so far."""
        return {
            (site, name, direction)
            for (site, name), counts in self._counts.items()
            for direction in counts.base
            if self._drifts(site, name, direction)
        }

    def finish(self) -> DriftOutcome:
        """Decide: alerts for the drifting pairs, held changes released or suppressed. Resets the held buffer."""
        drifting = self.drifting()
        released, suppressed = [], list(self._early_suppressed)
        for held in self._held:
            direction = held.change.flip or ("went_empty" if not held.change.new else "appeared")
            key = (held.site, held.change.field, direction)
            (suppressed if key in drifting else released).append(held)
        alerts = []
        for site, name, direction in sorted(drifting):
            counts = self._counts[(site, name)]
            flipped = counts.flipped[direction]
            alerts.append(
                {
                    "type": "health",
                    "kind": "field_drift",
                    "site": site,
                    "field": name,
                    "direction": direction,
                    "articles": counts.base[direction],
                    "flipped": len(flipped),
                    "share": round(len(flipped) / counts.base[direction], 3),
                    "suppressed_changes": sum(
                        1 for h in suppressed if (h.site, h.change.field) == (site, name) and h.change.flip == direction
                    ),
                    "examples": flipped[:EXAMPLES],
                    "message": f"{site}: field {name} {direction.replace('_', ' ')} on {len(flipped)} of "
                    f"{counts.base[direction]} articles compared; its changes were suppressed as drift",
                }
            )
        self._held, self._early_suppressed = [], []
        return DriftOutcome(alerts, released, suppressed)

    def _drifts(self, site: str, name: str, direction: str) -> bool:
        counts = self._counts.get((site, name))
        if counts is None:
            return False
        base = counts.base[direction]
        return base >= self.min_articles and len(counts.flipped[direction]) >= self.threshold * base
