"""The first-cut IPPEN extractors on real pages from ../shared/fixtures."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from crawler.extract.ippen import ExtractionError, extract_article
from crawler.extract.ippen_listing import extract_teasers


def read(fixtures_dir, name: str) -> str:
    return (fixtures_dir / name).read_text(encoding="utf-8")


def test_merkur_article(fixtures_dir):
    url = "https://www.merkur.de/welt/england-koenig-92243692.html?itm_source=x"
    a = extract_article(read(fixtures_dir, "articles/fundus/de/Merkur_2023_04_28.html"), url, "merkur.de")
    assert a.headline.startswith("Nostradamus-Vorhersage lässt Zweifel aufkommen")
    assert a.headline_variants["jsonld"].startswith("Nostradamus-Vorhersage sät Zweifel")
    assert a.publisher_id == "92243692"
    assert a.url.startswith("https://www.merkur.de/welt/england-koenig-king-charles")
    assert a.fetched_url == url
    assert a.published == datetime(2023, 4, 28, 16, 16, 4, tzinfo=UTC)  # JSON-LD +0200, stored in UTC
    assert a.authors == ["Nadja Zinsmeister"]
    assert a.section == "Welt"
    assert a.lead.startswith("In England findet bald die Krönungszeremonie")
    assert [b.kind for b in a.body].count("crosshead") == 2
    assert not any("Angebot von IPPEN" in b.text for b in a.body)
    assert a.word_count > 200


def test_frankfurter_rundschau_article_matches_ground_truth(fixtures_dir):
    truth = json.loads(read(fixtures_dir, "articles/fundus/de/FrankfurterRundschau_2024_04_26.json"))["expected"]
    a = extract_article(
        read(fixtures_dir, "articles/fundus/de/FrankfurterRundschau_2024_04_26.html"), "https://www.fr.de/x", "fr.de"
    )
    assert a.headline == truth["title"]
    assert a.authors == truth["authors"]
    assert a.published == datetime.fromisoformat(truth["publishing_date"]).astimezone(UTC)
    paragraphs = [p for s in truth["body"]["sections"] for p in s["paragraphs"]]
    assert [b.text for b in a.body if b.kind == "paragraph"] == paragraphs


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<html><body><p>nothing here</p></body></html>", "no headline"),
        ("<html><body><h1 class=id-StoryElement-headline>Titel</h1></body></html>", "empty body"),
        ("<<<>>>\x00garbage", "no headline"),
    ],
)
def test_unreadable_pages_raise_with_a_reason(html, reason):
    with pytest.raises(ExtractionError, match=reason):
        extract_article(html, "https://www.merkur.de/a-12345678.html", "merkur.de")


def test_section_page_teasers_match_ground_truth(fixtures_dir):
    truth = json.loads(read(fixtures_dir, "listings/deichstube_news_2017_12_18.json"))["expected"]["teasers"]
    teasers = extract_teasers(
        read(fixtures_dir, "listings/deichstube_news_2017_12_18.html"),
        "https://www.deichstube.de/news",
        "deichstube.de",
    )
    prio = [t for t in teasers if t.block == "prio"]
    assert [(t.headline, t.url, t.text, t.image) for t in prio] == [
        (e["title"], e["link"], e["description"], e["imageUrl"]) for e in truth
    ]
    assert [t.position for t in teasers] == list(range(1, len(teasers) + 1))
