"""MongoDB `$jsonSchema` validators of newsmon's collections: the shape consumers may rely on.

One source for three things: the validators the database holds, the field tables of docs/schema.md (written by
`python -m crawler.store.validators --write docs/schema.md`, kept current by a test) and the conformance test
that checks every document a real crawl wrote. A writer that adds or changes a field adds it here, in words a
consumer understands, and rewrites the tables.

Documents may carry fields the schema does not name (no `additionalProperties: false`), so adding a field never
breaks a write; the test still fails until the field is documented here.

`apply_validators(db)` runs from `schema.ensure_indexes`: a missing collection is created with its validator, an
existing one gets it by `collMod`. Level `moderate`: documents stored before a validator existed are not
re-checked when updated. Action `warn` by default: a document that does not match is logged by MongoDB and
stored, because a refused write would turn a crawled article into a reject while several people change the
writers at once; an operator may set `error` (`collMod`), and `apply_validators` keeps the action it finds.
The embedded server (mongoeco 4.11) enforces validators given at `create` (inserts, upserts, updates; code
121) but has no `collMod`: there, a collection created before this module keeps no validator.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from pymongo.database import Database
from pymongo.errors import CollectionInvalid, OperationFailure

from crawler.changes.classify import EditClass
from crawler.store import names

logger = logging.getLogger(__name__)

VALIDATION_LEVEL = "moderate"
DEFAULT_ACTION = "warn"
NAMESPACE_EXISTS = 48

INT = ("int", "long")
"""pymongo stores a Python int as int32 when it fits, else int64: a count may be either."""


def value(types: str | Sequence[str], description: str, **extra: Any) -> dict[str, Any]:
    """A property of one or more BSON types, e.g. `value(("string", "null"), "...")`."""
    names = [types] if isinstance(types, str) else list(types)
    return {"bsonType": names[0] if len(names) == 1 else names, "description": description, **extra}


def nullable(types: str | Sequence[str]) -> list[str]:
    return [*([types] if isinstance(types, str) else types), "null"]


def record(
    description: str,
    properties: Mapping[str, dict[str, Any]],
    required: Sequence[str] = (),
    *,
    null: bool = False,
) -> dict[str, Any]:
    """An embedded document with named fields."""
    out: dict[str, Any] = value(nullable("object") if null else "object", description, properties=dict(properties))
    if required:
        out["required"] = list(required)
    return out


def array(description: str, items: dict[str, Any]) -> dict[str, Any]:
    return value("array", description, items=items)


def mapping(description: str, values: dict[str, Any]) -> dict[str, Any]:
    """An embedded document used as a map: keys are data (a hash, a source), every value has one shape.

    `patternProperties` with an empty pattern (every key), not `additionalProperties` with a schema: the
    embedded server accepts only a bool there (it ignores `patternProperties`; MongoDB enforces it).
    """
    return value("object", description, patternProperties={"": values})


def collection(properties: Mapping[str, dict[str, Any]], required: Sequence[str]) -> dict[str, Any]:
    return {"bsonType": "object", "required": list(required), "properties": dict(properties)}


STRINGS = {"bsonType": "string"}

CONTENT = {
    "kicker": value(nullable("string"), "Kicker (Dachzeile) above the headline."),
    "headline": value("string", "Headline as printed on the page (h1 first)."),
    "headline_variants": mapping(
        "Headline per source on the page: `h1`, `og_title`, `jsonld`, `title`, `share`; only those present.",
        value("string", "The headline this source gives."),
    ),
    "lead": value(nullable("string"), "Lead paragraph (teaser text of the page)."),
    "body": array(
        "Body in page order, furniture removed.",
        record(
            "One block.",
            {
                "kind": value("string", "`paragraph`, `crosshead`, `list` (items joined by newlines) or `quote`."),
                "text": value("string", "Text as printed (NFC, whitespace collapsed)."),
            },
            ("kind", "text"),
        ),
    ),
    "authors": array("People in the byline, in order.", STRINGS),
    "agency": value(
        nullable("string"),
        "Agencies and organisations credited (dpa, AFP, the publisher's own desk, ...), split off the byline, never "
        "in `authors`; several are joined by `, ` in byline order (`dpa, AFP`).",
    ),
    "dateline": value(nullable("string"), "Place line of the article, when printed."),
    "published": value(nullable("date"), "First publication (UTC), as the page declares it."),
    "modified": value(nullable("date"), "Last modification the page declares (UTC)."),
    "section": value(nullable("string"), "Section, e.g. `Politik`."),
    "breadcrumb": array("Breadcrumb trail, in order.", STRINGS),
    "tags": array("Topic tags, de-duplicated.", STRINGS),
    "images": array(
        "Images in page order.",
        record(
            "One image.",
            {
                "url": value("string", "Image URL."),
                "caption": value(nullable("string"), "Caption, credit split off."),
                "credit": value(nullable("string"), "Photographer or agency."),
                "alt": value(nullable("string"), "Alternative text."),
            },
            ("url",),
        ),
    ),
    "paywall": value("bool", "True when the article is behind the paywall (then the body is the free part)."),
}
"""The content fields (`crawler.model.fingerprint.CONTENT_FIELDS`): what an edit can change, in articles, versions."""

FETCH = {
    "html_hash": value(nullable("string"), "SHA-256 of the raw HTML fetched (fetch fact: not part of the content)."),
    "extractor": value(
        nullable("string"),
        "Extractor that read the page: a publisher profile's markup generation (`ippen/2023`, `ippen/2020`) or "
        "`generic/2`.",
    ),
}

ARTICLES = collection(
    {
        "_id": value(
            "string", "Article id: `<site>:<publisher id>` (`merkur.de:91245736`), else `<site>:u:<url hash>`."
        ),
        "site": value("string", "Site key, e.g. `merkur.de`."),
        "publisher_id": value(nullable("string"), "The publisher's own article id (IPPEN: digits before `.html`)."),
        "url": value("string", "Canonical URL it was last fetched under."),
        "urls": array("Every canonical URL the article was seen under (slug changes, moves).", STRINGS),
        "language": value(nullable("string"), "Language code, e.g. `de`."),
        **CONTENT,
        "word_count": value(nullable(INT), "Words in the body (after cleaning)."),
        "version": value(INT, "Number of the current version (1, 2, ...): `article_versions` holds each."),
        "content_hash": value("string", "SHA-256 over the content fields in comparison form (typography ignored)."),
        **FETCH,
        "first_seen": value("date", "When newsmon first stored the article."),
        "last_fetched": value("date", "Latest fetch, changed or not."),
        "last_changed": value("date", "Fetch that stored the latest edit (a re-baseline does not move it)."),
        "etag": value("string", "HTTP `ETag` of the last full fetch, sent back as If-None-Match on the next."),
        "last_modified": value("string", "HTTP `Last-Modified` header of the last full fetch, verbatim."),
        "next_visit": value("date", "When the revisit scheduler fetches the article again."),
        "hinted_modified": value("date", "Latest sitemap/feed date seen for the article (a later one makes it due)."),
    },
    ("_id", "site", "url", "urls", "headline", "version", "content_hash", "first_seen", "last_fetched", "last_changed"),
)

ARTICLE_VERSIONS = collection(
    {
        "_id": value("string", "`<article id>:v<version, 6 digits>`, e.g. `merkur.de:91245736:v000002`."),
        "article_id": value("string", "The article (`articles._id`)."),
        "version": value(INT, "1 for the first content seen, then one more per distinct content."),
        "content_hash": value("string", "Fingerprint of this content; a reverted edit repeats an earlier one."),
        "url": value("string", "Canonical URL this content was fetched under."),
        "fetched_at": value("date", "Fetch that found this content."),
        **CONTENT,
        **FETCH,
        "run_id": value(nullable("string"), "Crawl run that found it (`crawl_runs._id`)."),
        "rebaseline": record(
            "Set when this version differs only in being read by another extractor version (an upgrade of "
            "newsmon, not an edit): no changes were recorded for it.",
            {
                "from_extractor": value("string", "Extractor of the version before, e.g. `ippen/1`."),
                "to_extractor": value("string", "Extractor of this version, e.g. `ippen/2`."),
            },
            null=True,
        ),
    },
    ("_id", "article_id", "version", "content_hash", "url", "fetched_at", "headline"),
)

TEASERS = collection(
    {
        "_id": value("string", "The article id (same as `articles._id`): one teaser document per article."),
        "article_id": value("string", "The article id again, for queries and joins."),
        "site": value("string", "Site key."),
        "url": value("string", "Article URL the latest teaser linked to (canonical)."),
        "urls": array("Every canonical article URL teasers linked to.", STRINGS),
        "headline": value(nullable("string"), "Teaser headline as last seen."),
        "kicker": value(nullable("string"), "Teaser kicker as last seen."),
        "text": value(nullable("string"), "Teaser text as last seen."),
        "image": value(nullable("string"), "Teaser image URL as last seen."),
        "first_seen": value("date", "First sighting on any listing page."),
        "last_seen": value("date", "Latest sighting."),
        "runs": value(INT, "Crawl runs that saw a teaser of the article."),
        "observations": value(INT, "Pages that showed it, summed over runs (each page once per run)."),
        "placements": mapping(
            "Where it stood, keyed by a hash of (page, block, position).",
            record(
                "One place on one listing page.",
                {
                    "page": value("string", "Listing page URL (homepage or section)."),
                    "block": value(nullable("string"), "Block headline (`News – Archiv`) or, without one, its layout."),
                    "block_index": value(nullable(INT), "1-based number of the block on the page."),
                    "layout": value(nullable("string"), "Teaser layout: `prio` (lead), `block`, `list`, `swiper`..."),
                    "position": value(INT, "1-based position on the page, in reading order."),
                    "first_seen": value("date", "First sighting there."),
                    "last_seen": value("date", "Latest sighting there."),
                    "count": value(INT, "Runs that saw it there."),
                },
                ("page", "position", "first_seen", "last_seen"),
            ),
        ),
        "variants": mapping(
            "Every wording seen, keyed by a hash of (field, text in comparison form): A/B tests stay visible.",
            record(
                "One wording of one teaser field.",
                {
                    "field": value("string", "`headline`, `kicker` or `text`.", enum=["headline", "kicker", "text"]),
                    "value": value("string", "The wording as printed."),
                    "first_seen": value("date", "First sighting of this wording."),
                    "last_seen": value("date", "Latest sighting."),
                    "count": value(INT, "Observations that showed this wording."),
                },
                ("field", "value", "first_seen", "last_seen"),
            ),
        ),
        "headline_vs_article": record(
            "Set while the teaser's headline reads otherwise than its article page's headline (a fact about the "
            "teaser, not an edit: no `changes` document); null when they read alike.",
            {
                "teaser": value("string", "The teaser's headline."),
                "article": value("string", "The article page's headline."),
                "since": value("date", "First teaser sighting with these two wordings."),
            },
            null=True,
        ),
        "ab_tests": mapping(
            "A/B tests of the teaser, keyed by field (`headline`, `kicker`): its wording returned to one seen "
            "within `NEWSMON_AB_WINDOW_DAYS`, or two wordings were seen in one run.",
            record(
                "One field's test.",
                {
                    "wordings": array(
                        "Every wording of the field, oldest first.",
                        record(
                            "One wording.",
                            {
                                "value": value("string", "The wording as printed."),
                                "count": value(INT, "Observations that showed it."),
                                "first_seen": value("date", "First sighting."),
                                "last_seen": value("date", "Latest sighting."),
                            },
                            ("value", "count", "first_seen", "last_seen"),
                        ),
                    ),
                    "first_detected": value("date", "Sighting that first showed the test."),
                    "last_detected": value("date", "Latest sighting that showed a flip or both wordings."),
                },
                ("wordings", "first_detected", "last_detected"),
            ),
        ),
        "flushes": array("Last 20 teaser writes applied (`<run id>:<n>`): a replayed write is skipped.", STRINGS),
    },
    ("_id", "article_id", "site", "url", "first_seen", "last_seen", "placements", "variants"),
)

CHANGE_VALUE = ("string", "date", "bool", "array", "null")

CHANGES = collection(
    {
        "_id": value(
            "string",
            "Natural key: `<article>:v<from>><to>:<field>:<n>` for page edits, "
            "`<article>:teaser:<flush>:<field>:<n>` for teasers.",
        ),
        "seq": value(INT, "Feed position: strictly increasing, gaps possible. Read up to the `counters` mark."),
        "article_id": value("string", "The article (`articles._id`)."),
        "site": value("string", "Site key."),
        "url": value("string", "Article URL when detected."),
        "headline": value(nullable("string"), "The article's headline at detection (the page's, for teasers)."),
        "field": value(
            "string",
            "What changed: `kicker`, `headline`, `headline_variants.<source>`, `lead`, `body`, `authors`, `agency`, "
            "`dateline`, `section`, `breadcrumb`, `tags`, `images`, `paywall`, `published`, `modified`; "
            "`teaser.headline`, `teaser.kicker` (the teaser's own wording changed).",
        ),
        "old": value(CHANGE_VALUE, "Value before: text, date, flag or list (body: the changed blocks' text)."),
        "new": value(CHANGE_VALUE, "Value after, same types; null when the field (or passage) went away."),
        "diff": array(
            "Word-level ops (item-level for lists); the `old` parts joined give the old text, `new` parts the new.",
            record(
                "One op.",
                {
                    "op": value(
                        "string",
                        "`equal`, `insert`, `delete` or `replace`.",
                        enum=["equal", "insert", "delete", "replace"],
                    ),
                    "old": value("string", "Old words (empty for `insert`)."),
                    "new": value("string", "New words (empty for `delete`)."),
                },
                ("op", "old", "new"),
            ),
        ),
        "edit_class": value(
            "string", "Class of the edit (docs/changes.md#edit-classes).", enum=[c.value for c in EditClass]
        ),
        "significance": value(INT, "Words changed (0 for a date moving)."),
        "editorial": value("bool", "False for `metadata` changes (dates, tags, section, images, paywall)."),
        "flip": value(
            nullable("string"),
            "`appeared` / `went_empty` when the whole field did.",
            enum=["appeared", "went_empty", None],
        ),
        "also": array("Headline variants that changed identically, folded into this change.", STRINGS),
        "location": record(
            "Body changes only: which blocks (indexes into the versions' `body`).",
            {
                "old_blocks": array("Indexes of the old blocks.", {"bsonType": list(INT)}),
                "new_blocks": array("Indexes of the new blocks.", {"bsonType": list(INT)}),
                "old_kinds": array("Their kinds.", STRINGS),
                "new_kinds": array("Their kinds.", STRINGS),
            },
            null=True,
        ),
        "version_from": value(nullable(INT), "Version compared from (null for teaser changes)."),
        "version_to": value(nullable(INT), "Version compared to (null for teaser changes)."),
        "run_id": value(nullable("string"), "Crawl run that detected it."),
        "prominence": record(
            "The teaser's best place then: homepage before sections, then the lowest position.",
            {
                "page": value(nullable("string"), "Listing page URL."),
                "block": value(nullable("string"), "Block on that page."),
                "position": value(nullable(INT), "Position on that page."),
                "homepage": value("bool", "True when that page is the homepage."),
                "seen_at": value(nullable("date"), "When the teaser was seen there."),
            },
            null=True,
        ),
        "detected_at": value("date", "When the change was stored."),
    },
    ("_id", "seq", "article_id", "site", "field", "diff", "edit_class", "detected_at"),
)

HEALTH_ALERT = record(
    "A field going empty (or appearing) on most articles of a site: drift, its changes suppressed.",
    {
        "type": value("string", "`health`."),
        "kind": value("string", "`field_drift`."),
        "site": value("string", "Site key."),
        "field": value("string", "The drifting field."),
        "direction": value("string", "`went_empty` or `appeared`."),
        "articles": value(INT, "Articles that could flip that way."),
        "flipped": value(INT, "Articles that did."),
        "share": value("double", "flipped / articles."),
        "suppressed_changes": value(INT, "Changes not written for it."),
        "examples": array("Some article ids.", STRINGS),
        "message": value("string", "The alert in words."),
    },
)

DOUBLE = ("double", "int")
"""A share or rate: a float, stored as a double (an int only if a writer ever passes one)."""

RUN_HEALTH = record(
    "The run's health (crawler/runtime/health, docs/reliability.md): its figures, the site's usual figures, the "
    "spidermon monitors and the alerts raised. Absent when the run was killed before its end.",
    {
        "status": value("string", "`ok`, or `alert` when any alert was raised."),
        "site": value(nullable("string"), "Site key of the run."),
        "checked_at": value("date", "When the health was checked (the run's end)."),
        "metrics": record(
            "What the run read.",
            {
                "articles": value(INT, "Articles read (stored or unchanged; rejects not counted)."),
                "coverage": mapping(
                    "Share of those articles that have each field: `kicker`, `headline`, `lead`, `authors`, "
                    "`date`, `body`, `images` (empty when no article was read).",
                    value(DOUBLE, "Share, 0 to 1."),
                ),
                "extractors": array(
                    "Which extractor read the articles, most first (`ippen/2023`, `generic/2`, ...): a markup change "
                    "shows as a publisher profile's share falling and the generic extractor's rising.",
                    record(
                        "One extractor.",
                        {
                            "extractor": value("string", "Extractor name and version."),
                            "count": value(INT, "Articles it read."),
                            "share": value(DOUBLE, "Share of the run's articles, 0 to 1."),
                        },
                    ),
                ),
                "not_modified": value(INT, "Article re-fetches answered 304: pages that answered fine, unchanged."),
                "pages_read": value(INT, "articles + not_modified + rejects."),
                "rejects": value(INT, "Pages and items rejected."),
                "reject_rate": value(DOUBLE, "rejects / pages_read."),
                "rejects_by_reason": array(
                    "The most frequent reject reasons.",
                    record("One reason.", {"reason": value("string", "Reason."), "count": value(INT, "Rejects.")}),
                ),
                "http": record(
                    "Requests and their failures.",
                    {
                        "requests": value(INT, "Requests sent."),
                        "responses": value(INT, "Responses received."),
                        "errors": value(INT, "Answers 5xx, 403, 408, 429 plus download exceptions."),
                        "exceptions": value(
                            INT, "Download exceptions (timeouts, resets, size cap, ...); not requests never sent."
                        ),
                        "error_rate": value(DOUBLE, "errors / requests, at most 1."),
                        "robots_forbidden": value(INT, "Requests robots.txt forbade (not sent, not errors)."),
                        "statuses": mapping('Responses per HTTP status (`"200"`, ...).', value(INT, "Responses.")),
                    },
                ),
                "pages_per_minute": value(DOUBLE, "Responses per minute of the run."),
                "minutes": value(DOUBLE, "Length of the run."),
                "new_articles": value(INT, "Articles stored for the first time."),
                "new_versions": value(INT, "Versions stored."),
                "listing_links_cut": value(
                    INT,
                    "Teasers dropped from listing pages over NEWSMON_LISTING_MAX_LINKS (discover/listing_cap.py).",
                ),
                "listings_cut": value(INT, "Listing pages cut at NEWSMON_LISTING_MAX_LINKS."),
            },
        ),
        "baseline": record(
            "Medians of the site's recent runs (`NEWSMON_HEALTH_HISTORY_RUNS`); null where none measured it.",
            {
                "runs": value(INT, "Recent runs compared with."),
                "coverage": mapping("Usual share per field.", value(nullable(DOUBLE), "Share.")),
                "error_rate": value(nullable(DOUBLE), "Usual HTTP error rate."),
                "reject_rate": value(nullable(DOUBLE), "Usual reject rate."),
                "pages_per_minute": value(nullable(DOUBLE), "Usual pages per minute."),
            },
        ),
        "monitors": array(
            "One entry per spidermon monitor test run at the end.",
            record(
                "A monitor test.",
                {
                    "monitor": value("string", "`<monitor>/<test>`, e.g. `Site history/No field went missing`."),
                    "status": value("string", "spidermon's status: `OK`, `FAIL`, `ERROR`, `SKIPPED`."),
                    "message": value(nullable("string"), "Why it failed."),
                },
            ),
        ),
        "sent": value(INT, "Health alerts sent: conditions that started in this run, and those that ended."),
        "discovery": record(
            "Findings of discovery.",
            {
                "missing": array(
                    "Configured section pages, feeds and sitemaps that answered 404/410 (not rejects, not alerts).",
                    record(
                        "One configured page.",
                        {
                            "url": value("string", "The URL, keyed to the real site."),
                            "status": value(INT, "404 or 410."),
                            "since": value("date", "First run of the unbroken series of runs that found it missing."),
                        },
                    ),
                )
            },
        ),
        "alerts": array(
            "The run's health conditions; those that started in this run (not `ongoing`) were sent through the "
            "alert sinks.",
            record(
                "A health alert.",
                {
                    "type": value("string", "`health`."),
                    "kind": value(
                        "string", "`field_gone`, `errors_up`, `rejects_up`, `nothing_new`, `listing_cut` or `monitor`."
                    ),
                    "site": value(nullable("string"), "Site key."),
                    "message": value("string", "The alert in words."),
                    "field": value("string", "field_gone: the field."),
                    "share": value(DOUBLE, "field_gone: its share in this run."),
                    "baseline": value(nullable(DOUBLE), "The usual share or rate."),
                    "rate": value(DOUBLE, "errors_up, rejects_up: the rate in this run."),
                    "last_new": value(nullable("date"), "nothing_new: end of the last run with something new."),
                    "hours": value(DOUBLE, "nothing_new: hours since."),
                    "monitor": value("string", "monitor: the failed monitor test."),
                    "ongoing": value("bool", "The run before had this condition too: not sent again."),
                    "links_cut": value(INT, "listing_cut: teasers dropped."),
                    "pages": value(INT, "listing_cut: listing pages cut."),
                },
            ),
        ),
    },
)

COUNT_NAMES = {
    "requests": "Requests sent.",
    "responses": "Responses received.",
    "bytes": "Response bytes.",
    "items": "Items scraped (articles, teasers, rejects).",
    "articles": "Articles handed to the store.",
    "teasers": "Teasers handed to the store.",
    "rejects": "Rejects handed to the store.",
    "errors": "ERROR log lines.",
    "retries": "Retried requests.",
    "robots_forbidden": "Requests robots.txt forbade.",
    "listings_cut": "Listing pages with more teasers than NEWSMON_LISTING_MAX_LINKS (the rest dropped).",
    "listing_links_cut": "Teasers (article links) dropped from those pages.",
    "new_articles": "Articles stored for the first time.",
    "new_versions": "Versions stored (first ones included).",
    "unchanged": "Articles fetched again with the same content.",
    "changes": "Changes written.",
    "suppressed_changes": "Changes suppressed as drift.",
    "store_rejected": "Documents the database refused (kept as rejects).",
    "spooled": "Documents kept on disk while the database was unreachable.",
}

CRAWL_RUNS = collection(
    {
        "_id": value("string", "Run id: `<UTC start, compact ISO>-<random>`, e.g. `20250503T101500Z-1a2b3c4d`."),
        "spider": value("string", "Spider name, e.g. `merkur`."),
        "site": value(nullable("string"), "Site key of the spider."),
        "args": mapping("The run's spider arguments (`-a`).", value("string", "Argument value.")),
        "started_at": value("date", "Start."),
        "finished_at": value("date", "End; for a killed run, when a later crawl or the scheduler found it dead."),
        "status": value(
            "string",
            "`running`, `finished`, `interrupted` (shutdown, cancelled), `stopped` (other), `failed` (process died).",
        ),
        "stop_reason": value("string", "Scrapy's close reason, e.g. `finished`, `closespider_itemcount`."),
        "host": value("string", "Host name of the crawling machine."),
        "pid": value(INT, "Process id."),
        "counts": record(
            "What the run did.",
            {
                **{name: value(INT, text) for name, text in COUNT_NAMES.items()},
                "stored": mapping("Documents written per kind (`article`, `teaser`, ...).", value(INT, "Documents.")),
            },
        ),
        "http_status": mapping('Responses per HTTP status code (`"200"`, ...).', value(INT, "Responses.")),
        "store_errors": array("Last 10 store errors (credentials redacted).", STRINGS),
        "health_alerts": array("Drift alerts of the run.", HEALTH_ALERT),
        "health": RUN_HEALTH,
    },
    ("_id", "status"),
)

REJECTS = collection(
    {
        "_id": value("string", "`<run id>:<hash of URL and reason>`: a replayed reject is stored once."),
        "url": value("string", "Page or item URL."),
        "reason": value("string", "Why: `http 500`, `extraction: empty body`, `invalid article: no headline`..."),
        "site": value(nullable("string"), "Site key."),
        "run_id": value(nullable("string"), "Crawl run."),
        "item": value("object", "The item as extracted (an article's fields), empty when the page gave none."),
        "detail": value(nullable("string"), "Error detail (exception text), when there is one."),
        "seen_at": value(nullable("date"), "When it was rejected (null when the item carried no time)."),
    },
    ("_id", "url", "reason"),
)

COUNTERS = collection(
    {
        "_id": value("string", "Counter name; `changes` is the feed's."),
        "seq": value(INT, "Highest `seq` handed out (reserved, maybe not yet written)."),
        "committed": value(INT, "Every change with `seq <= committed` is stored: followers read up to here."),
        "lease_until": value(nullable("date"), "While a writer publishes: its lease's end."),
        "lease_owner": value(nullable("string"), "That writer's token."),
    },
    ("_id",),
)

SCHEMAS: dict[str, dict[str, Any]] = {
    names.ARTICLES: ARTICLES,
    names.ARTICLE_VERSIONS: ARTICLE_VERSIONS,
    names.TEASERS: TEASERS,
    names.CHANGES: CHANGES,
    names.CRAWL_RUNS: CRAWL_RUNS,
    names.REJECTS: REJECTS,
    names.COUNTERS: COUNTERS,
}


def validator(name: str) -> dict[str, Any]:
    return {"$jsonSchema": SCHEMAS[name]}


def apply_validators(db: Database, action: str | None = None) -> dict[str, str]:
    """Give every collection its validator; returns what was done per collection (for logs and tests).

    `action` None keeps the action an existing validator has (`warn` for a new one). A refusal (no `collMod`,
    no privilege) is logged, never raised: validators document and guard, they must not stop a crawl.
    Connection errors propagate, so the store's writer retries as for any write.
    """
    existing = {c["name"]: c.get("options") or {} for c in db.list_collections()}
    done: dict[str, str] = {}
    for name in SCHEMAS:
        options = existing.get(name)
        if options is None:
            options = _create(db, name, action or DEFAULT_ACTION)
            if options is None:
                done[name] = "created"
                continue
        wanted = action or options.get("validationAction") or DEFAULT_ACTION
        if (options.get("validator"), options.get("validationLevel"), options.get("validationAction")) == (
            validator(name),
            VALIDATION_LEVEL,
            wanted,
        ):
            done[name] = "unchanged"
            continue
        try:
            db.command(
                "collMod", name, validator=validator(name), validationLevel=VALIDATION_LEVEL, validationAction=wanted
            )
            done[name] = "modified"
        except OperationFailure as exc:
            done[name] = f"not applied: {_reason(exc)}"
    refused = {name: how for name, how in done.items() if how.startswith("not applied")}
    if refused:
        logger.info(
            "validators kept as they were on %s (server refused: %s)", ", ".join(refused), next(iter(refused.values()))
        )
    return done


def _create(db: Database, name: str, action: str) -> dict[str, Any] | None:
    """Create the collection with its validator; None when done, else the options of the one that exists."""
    try:
        db.create_collection(name, validator=validator(name), validationLevel=VALIDATION_LEVEL, validationAction=action)
        return None
    except (CollectionInvalid, OperationFailure) as exc:
        if isinstance(exc, OperationFailure) and exc.code != NAMESPACE_EXISTS:
            logger.info("collection %s not created with its validator: %s", name, _reason(exc))
            return {}
    # Another process created it a moment ago.
    found = list(db.list_collections(filter={"name": name}))
    return (found[0].get("options") or {}) if found else {}


def _reason(exc: OperationFailure) -> str:
    return str((exc.details or {}).get("errmsg") or exc).split(", full error")[0]


# -- docs/schema.md ---------------------------------------------------------------------------------------------


def _type_name(spec: Mapping[str, Any]) -> str:
    types = spec.get("bsonType", "any")
    names = [types] if isinstance(types, str) else list(types)
    if "int" in names and "long" in names:
        names = [n for n in names if n != "long"]
    if names[:1] == ["array"] and "items" in spec:
        item = spec["items"]
        inner = _type_name(item) if "properties" not in item else "object"
        names[0] = f"array of {inner}"
    if names[:1] == ["object"] and "patternProperties" in spec:
        names[0] = "map"
    return " \\| ".join(names)


def fields(spec: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str, bool, str]]:
    """(path, type, required, meaning) for every field, nested ones as `a.b`, `a[].b` and `a.<key>.b`."""
    required = set(spec.get("required", ()))
    for name, sub in spec.get("properties", {}).items():
        path = f"{prefix}{name}"
        yield path, _type_name(sub), name in required, sub.get("description", "")
        yield from _nested(sub, path)


def _nested(sub: Mapping[str, Any], path: str) -> Iterator[tuple[str, str, bool, str]]:
    if "properties" in sub:
        yield from fields(sub, f"{path}.")
    items = sub.get("items")
    if isinstance(items, Mapping) and "properties" in items:
        yield from fields(items, f"{path}[].")
    values = sub.get("patternProperties", {}).get("")
    if isinstance(values, Mapping):
        key = f"{path}.<key>"
        if "properties" in values:
            yield from fields(values, f"{key}.")
        else:
            yield key, _type_name(values), False, values.get("description", "")


def field_table(name: str) -> str:
    """The Markdown table of a collection's fields, as docs/schema.md holds it."""
    rows = ["| field | type | required | meaning |", "|---|---|---|---|"]
    for path, type_name, required, meaning in fields(SCHEMAS[name]):
        rows.append(f"| `{path}` | {type_name} | {'yes' if required else ''} | {meaning} |")
    return "\n".join(rows)


def tables() -> str:
    return "".join(f"<!-- fields:{n} -->\n{field_table(n)}\n<!-- /fields:{n} -->\n\n" for n in SCHEMAS)


def rewrite(path: Path) -> None:
    """Replace the field tables in a Markdown file (between its `<!-- fields:NAME -->` markers)."""
    text = path.read_text(encoding="utf-8")
    for name in SCHEMAS:
        marker = re.compile(rf"<!-- fields:{name} -->\n.*?\n<!-- /fields:{name} -->", re.S)
        if not marker.search(text):
            raise SystemExit(f"{path}: no <!-- fields:{name} --> ... <!-- /fields:{name} --> markers")
        table = f"<!-- fields:{name} -->\n{field_table(name)}\n<!-- /fields:{name} -->"
        text = marker.sub(lambda _, table=table: table, text)
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Print the field tables, or with `--write docs/schema.md` put them in place."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--write"] and len(args) == 2:
        rewrite(Path(args[1]))
    elif args:
        raise SystemExit("usage: python -m crawler.store.validators [--write docs/schema.md]")
    else:
        sys.stdout.write(tables())
    return 0


if __name__ == "__main__":
    sys.exit(main())
