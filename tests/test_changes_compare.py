"""compare_versions on the real seed article (rendered by the local site, read by the IPPEN extractor, normalized):
the seed cases, noise, typography, body passages, metadata; and hypothesis properties on random documents."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.changes.classify import EditClass
from crawler.changes.compare import FieldChange, compare_text, compare_versions, field_presence
from crawler.extract.profiles import extract_article
from crawler.model.normalize import normalize_article
from tests.support.localsite import LocalSite

Doc = dict[str, Any]
CROSSHEAD = "US-Außenminister Blinken will in Ukraine-Krise vermitteln: Treffen mit Barbock am Donnerstag"


@pytest.fixture
def site(fixtures_dir: Path) -> LocalSite:
    return LocalSite(n_articles=1, fixtures_dir=fixtures_dir)


def fetch(site: LocalSite) -> Doc:
    """The seed article as the crawler would store it: page → IPPEN extractor → normalized document."""
    spec = site.article(site.seed_article_id)
    html = site.respond(spec.path).body.decode("utf-8")
    return normalize_article(extract_article(html, f"https://www.merkur.de{spec.path}").to_dict())


def edit(site: LocalSite, **changes: Any) -> Doc:
    site.edit_article(site.seed_article_id, **changes)
    return fetch(site)


def body_of(site: LocalSite, change: Callable[[str], str] = lambda text: text) -> list[tuple[str, str]]:
    return [(b.kind, change(b.text)) for b in site.article(site.seed_article_id).body]


def editorial(changes: list[FieldChange]) -> list[FieldChange]:
    return [c for c in changes if c.editorial]


# -- the seed cases ------------------------------------------------------------------------------------------------
def test_the_seed_article_reads_as_expected(site: LocalSite) -> None:
    doc = fetch(site)
    assert doc["kicker"] == "Droht die Eskalation?"
    assert any(b["text"] == CROSSHEAD for b in doc["body"])


def test_a_recrawl_of_the_unchanged_article_flags_nothing(site: LocalSite) -> None:
    assert compare_versions(fetch(site), fetch(site)) == []


def test_barbock_corrected_to_baerbock_is_a_typo_fix(site: LocalSite) -> None:
    old = fetch(site)
    new = edit(site, body=body_of(site, lambda t: t.replace("Barbock", "Baerbock")))
    [change] = editorial(compare_versions(old, new))
    assert change.field == "body"
    assert change.edit_class is EditClass.TYPO_FIX
    assert change.old == CROSSHEAD and change.new == CROSSHEAD.replace("Barbock", "Baerbock")
    assert "[-Barbock-]{+Baerbock+}" in change.compact
    assert change.significance == 1
    assert change.location == {
        "old_blocks": [1],
        "new_blocks": [1],
        "old_kinds": ["crosshead"],
        "new_kinds": ["crosshead"],
    }


def test_a_kicker_turned_into_droht_die_eskalation_is_a_headline_change(site: LocalSite) -> None:
    before = edit(site, kicker="Ukraine-Konflikt")
    after = edit(site, kicker="Droht die Eskalation?")
    [change] = editorial(compare_versions(before, after))
    assert (change.field, change.edit_class) == ("kicker", EditClass.HEADLINE_CHANGE)
    assert (change.old, change.new) == ("Ukraine-Konflikt", "Droht die Eskalation?")
    assert change.compact == "[-Ukraine-Konflikt-]{+Droht die Eskalation?+}"


def test_a_kicker_appearing_is_a_headline_change_and_a_flip(site: LocalSite) -> None:
    before = edit(site, kicker=None)
    after = edit(site, kicker="Droht die Eskalation?")
    [change] = editorial(compare_versions(before, after))
    assert (change.field, change.edit_class, change.flip) == ("kicker", EditClass.HEADLINE_CHANGE, "appeared")


def test_a_headline_turned_into_droht_die_eskalation_is_one_change_with_its_variants_folded(site: LocalSite) -> None:
    old = fetch(site)
    new = edit(site, headline="Droht die Eskalation?")
    [change] = editorial(compare_versions(old, new))
    assert (change.field, change.edit_class) == ("headline", EditClass.HEADLINE_CHANGE)
    assert change.new == "Droht die Eskalation?"
    assert set(change.also) == {f"headline_variants.{k}" for k in new["headline_variants"]}


def test_a_variant_that_changes_differently_is_its_own_change(site: LocalSite) -> None:
    old = fetch(site)
    new = edit(site, seo_title="Blinken trifft Baerbock: Droht die Eskalation?")
    [change] = editorial(compare_versions(old, new))
    assert change.field.startswith("headline_variants.") and change.edit_class is EditClass.HEADLINE_CHANGE
    assert change.new == "Blinken trifft Baerbock: Droht die Eskalation?"
    assert "headline_variants.h1" not in change.also and "headline_variants.og_title" not in change.also
    assert len(change.also) == 2  # the page's <title>, JSON-LD and share title are the SEO title: one change


def test_an_appended_correction_notice_and_a_typo_fix_are_two_changes(site: LocalSite) -> None:
    old = fetch(site)
    notice = "Korrektur: In einer früheren Version dieses Artikels hieß es, Blinken reise nach Paris."
    body = body_of(site, lambda t: t.replace("Barbock", "Baerbock"))
    new = edit(site, body=[*body[:-1], ("paragraph", notice), body[-1]])
    changes = editorial(compare_versions(old, new))
    assert [(c.field, c.edit_class) for c in changes] == [
        ("body", EditClass.TYPO_FIX),
        ("body", EditClass.CORRECTION_NOTICE),
    ]
    assert changes[1].old is None and changes[1].new == notice


def test_a_new_paragraph_and_an_updated_number(site: LocalSite) -> None:
    old = fetch(site)
    body = body_of(site)
    body[2] = (
        "paragraph",
        body[2][1].replace("Am Donnerstag will Blinken", "Am Donnerstag will Blinken mit 12 Beratern"),
    )
    body.insert(3, ("paragraph", "Die Bundesregierung bestätigte das Treffen am Abend."))
    body[4] = ("paragraph", body[4][1].replace("in der vergangenen Woche", "in den vergangenen 2 Wochen"))
    changes = editorial(compare_versions(old, edit(site, body=body)))
    assert [c.edit_class for c in changes] == [EditClass.ADDITION, EditClass.ADDITION, EditClass.UPDATE]
    assert changes[1].new == "Die Bundesregierung bestätigte das Treffen am Abend."
    assert changes[1].location is not None and changes[1].location["old_blocks"] == []


def test_a_removed_paragraph_is_a_removal(site: LocalSite) -> None:
    old = fetch(site)
    body = body_of(site)
    new = edit(site, body=body[:3] + body[4:])
    [change] = editorial(compare_versions(old, new))
    assert (change.field, change.edit_class, change.new) == ("body", EditClass.REMOVAL, None)


def test_modified_alone_is_metadata_with_no_words(site: LocalSite) -> None:
    old = fetch(site)
    new = dict(old, modified=datetime(2025, 3, 12, 9, 15, tzinfo=UTC))
    [change] = compare_versions(old, new)
    assert (change.field, change.edit_class, change.editorial, change.significance) == (
        "modified",
        EditClass.METADATA,
        False,
        0,
    )
    same_instant = dict(new, modified=new["modified"].astimezone(timezone(timedelta(hours=1))))
    assert compare_versions(new, same_instant) == []
    as_stored = dict(new, modified=new["modified"].replace(tzinfo=None))  # pymongo without tz_aware: naive UTC
    assert compare_versions(as_stored, dict(new, modified=new["modified"].replace(microsecond=123))) == []


def test_typography_only_edit_of_the_page_flags_nothing(site: LocalSite) -> None:
    old = fetch(site)
    body = body_of(
        site, lambda t: t.replace(" - ", " – ").replace("„", '"').replace("“", '"').replace(" ", "\u00a0", 3)
    )
    new = edit(site, body=body, lead=site.article(site.seed_article_id).lead.replace("Krieg", "Kr\u00adieg"))
    assert editorial(compare_versions(old, new)) == []


def test_noise_added_to_the_page_flags_nothing(site: LocalSite) -> None:
    old = fetch(site)
    body = body_of(site)
    lead = site.article(site.seed_article_id).lead
    new = edit(site, body=[("paragraph", "Aktualisiert: 12.03.2025, 10:15 Uhr"), *body], lead=f"{lead} (vor 5 Minuten)")
    assert editorial(compare_versions(old, new)) == []


def test_set_fields_ignore_order_and_images_ignore_tracking_parameters() -> None:
    image = {"url": "https://www.merkur.de/bild.jpg", "caption": "Blinken", "credit": "dpa", "alt": None}
    old = {"tags": ["Ukraine", "Nato"], "authors": ["A B", "C D"], "images": [image]}
    new = {
        "tags": ["Nato", "Ukraine"],
        "authors": ["C D", "A B"],
        "images": [dict(image, url="https://www.merkur.de/bild.jpg?utm_source=x")],
    }
    assert compare_versions(old, new) == []
    [change] = compare_versions(old, dict(new, images=[dict(image, caption="Antony Blinken")]))
    assert (change.field, change.edit_class, change.diff[0]["op"]) == ("images", EditClass.METADATA, "replace")


def test_teaser_headlines_compare_like_headlines() -> None:
    change = compare_text("teaser.headline", "Blinken trifft Baerbock", "Droht die Eskalation?")
    assert change is not None and change.edit_class is EditClass.HEADLINE_CHANGE
    assert compare_text("teaser.kicker", "„Krieg“", '"Krieg"') is None


def test_to_doc_has_plain_values_and_fixed_keys(site: LocalSite) -> None:
    old = fetch(site)
    new = edit(site, body=body_of(site, lambda t: t.replace("Barbock", "Baerbock")))
    docs = [c.to_doc() for c in compare_versions(old, new)]
    keys = {"field", "old", "new", "diff", "edit_class", "significance", "editorial", "flip", "also", "location"}
    assert all(set(d) == keys for d in docs)
    assert all(type(d["edit_class"]) is str for d in docs)
    assert docs[0]["diff"][1] == {"op": "replace", "old": "Barbock", "new": "Baerbock"}


def test_field_presence(site: LocalSite) -> None:
    presence = field_presence(fetch(site))
    assert presence["kicker"] and presence["body"] and presence["headline_variants.og_title"]
    assert not presence["authors"] and not presence["tags"]
    assert field_presence({"body": [{"kind": "paragraph", "text": "vor 5 Minuten"}]})["body"] is False


# -- properties ----------------------------------------------------------------------------------------------------
WORDS = [
    "Droht",
    "die",
    "Eskalation?",
    "Baerbock",
    "Blinken,",
    "trifft",
    "5",
    '"Krieg"',
    "Nato-Rat",
    "'Plan'",
    "...",
    "ab.",
]
text = st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join)
maybe_text = st.none() | text
block = st.fixed_dictionaries({"kind": st.sampled_from(["paragraph", "crosshead", "quote", "list"]), "text": text})
image = st.fixed_dictionaries(
    {"url": st.sampled_from(["https://x.de/a.jpg", "https://x.de/b.jpg"]), "caption": maybe_text, "credit": maybe_text}
)
moment = st.none() | st.datetimes(
    timezones=st.just(UTC), min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1)
)
documents = st.fixed_dictionaries(
    {
        "kicker": maybe_text,
        "headline": maybe_text,
        "headline_variants": st.dictionaries(st.sampled_from(["h1", "og_title", "jsonld", "title", "share"]), text),
        "lead": maybe_text,
        "body": st.lists(block, max_size=6),
        "authors": st.lists(text, max_size=3),
        "agency": maybe_text,
        "dateline": maybe_text,
        "modified": moment,
        "section": maybe_text,
        "breadcrumb": st.lists(text, max_size=3),
        "tags": st.lists(text, max_size=3),
        "images": st.lists(image, max_size=2),
        "paywall": st.booleans(),
    }
)
TYPOGRAPHY = {'"': ["„", "“", "”", "«", "»"], "'": ["‚", "‘", "’"], "-": ["–", "—", "\u2212"], "...": ["…"]}


def typographic_variant(value: Any, rnd: random.Random) -> Any:
    """The same content as a publisher's CMS might print it: other quotes and dashes, other spaces, soft
    hyphens, decomposed umlauts, a shifted time zone, list order of tags and authors."""
    if isinstance(value, str):
        for plain, fancy in TYPOGRAPHY.items():
            value = value.replace(plain, rnd.choice(fancy))
        value = value.replace(" ", rnd.choice([" ", "  ", "\u00a0", "\u202f", " \u00ad"]))
        return unicodedata.normalize(rnd.choice(["NFC", "NFD"]), value)
    if isinstance(value, datetime):
        return value.astimezone(timezone(timedelta(hours=rnd.randint(-12, 12))))
    if isinstance(value, dict):
        return {k: typographic_variant(v, rnd) for k, v in value.items()}
    if isinstance(value, list):
        return [typographic_variant(v, rnd) for v in value]
    return value


@settings(max_examples=300, deadline=None)
@given(documents)
def test_a_document_compared_with_itself_has_no_changes(doc: Doc) -> None:
    assert compare_versions(doc, doc) == []


@settings(max_examples=300, deadline=None)
@given(st.randoms(use_true_random=False), documents)
def test_a_document_compared_with_its_typographic_variant_has_no_changes(rnd: random.Random, doc: Doc) -> None:
    variant = typographic_variant(doc, rnd)
    if rnd.random() < 0.5:
        variant["tags"], variant["authors"] = variant["tags"][::-1], variant["authors"][::-1]
    assert compare_versions(doc, variant) == []
    assert compare_versions(variant, doc) == []


@settings(max_examples=200, deadline=None)
@given(documents, documents)
def test_every_change_is_a_real_difference_with_a_class(old: Doc, new: Doc) -> None:
    changes = compare_versions(old, new)
    for change in changes:
        assert isinstance(change.edit_class, EditClass)
        assert any(op["op"] != "equal" for op in change.diff)
        assert change.flip in (None, "appeared", "went_empty")
        change.to_doc()
    reverse = compare_versions(new, old)
    assert [c.field for c in changes if c.field != "body"] == [c.field for c in reverse if c.field != "body"]


@settings(max_examples=100, deadline=None)
@given(documents, st.sampled_from(["kicker", "headline", "lead", "dateline"]), st.sampled_from(WORDS))
def test_a_word_added_to_a_text_field_is_one_change_of_that_field(doc: Doc, name: str, word: str) -> None:
    new = dict(doc, **{name: f"{doc[name] or ''} Neu{word}"})
    [change] = compare_versions(doc, new)
    assert change.field == name and change.significance == 1
