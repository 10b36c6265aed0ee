"""The IPPEN.MEDIA profile on its real pages: every field exact against the ground truth, no furniture in the
body, unreadable pages rejected with a reason, never another exception; the section-page teasers."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extract import generic
from crawler.extract.ippen import ExtractionError, extract_article
from crawler.extract.ippen_listing import extract_teasers
from crawler.extract.scoring import extract as score_extract

PAGES = {
    "Merkur_2023_04_28": ("https://www.merkur.de/welt/england-koenig-92243692.html?itm_source=x", "merkur.de"),
    "FrankfurterRundschau_2024_04_26": ("https://www.fr.de/ratgeber/wohnen/x-93036630.html", "fr.de"),
}


def read(fixtures_dir: Path, name: str) -> str:
    return (fixtures_dir / name).read_text(encoding="utf-8")


def truth_of(fixtures_dir: Path, stem: str) -> dict:
    return json.loads(read(fixtures_dir, f"articles/fundus/de/{stem}.json"))["expected"]


@pytest.mark.parametrize("stem", sorted(PAGES))
def test_ippen_page_matches_ground_truth_in_every_field(fixtures_dir: Path, stem: str) -> None:
    url, site = PAGES[stem]
    truth = truth_of(fixtures_dir, stem)
    a = extract_article(read(fixtures_dir, f"articles/fundus/de/{stem}.html"), url, site)

    assert a.headline == truth["title"]
    assert a.authors == truth["authors"]
    assert a.published == datetime.fromisoformat(truth["publishing_date"]).astimezone(UTC)
    assert a.published.tzinfo is UTC
    assert [a.lead] == truth["body"]["summary"]
    sections: list[dict] = [{"headline": [], "paragraphs": []}]
    for block in a.body:
        if block.kind == "crosshead":
            sections.append({"headline": [block.text], "paragraphs": []})
        else:
            assert block.kind == "paragraph"
            sections[-1]["paragraphs"].append(block.text)
    assert sections == truth["body"]["sections"]
    assert len(a.images) == len(truth["images"])
    for image, expected in zip(a.images, truth["images"], strict=True):
        assert image.url in [v["url"] for v in expected["versions"]]
        assert image.caption == expected["caption"]
        assert image.credit == (expected["authors"][0] if expected["authors"] else None)
        assert image.alt == expected["description"]
    assert a.site == site and a.fetched_url == url and a.extractor == "ippen/2023"
    assert a.language == "de" and a.html_hash and a.word_count > 200 and a.paywall is False


def test_merkur_fields(fixtures_dir: Path) -> None:
    url, site = PAGES["Merkur_2023_04_28"]
    a = extract_article(read(fixtures_dir, "articles/fundus/de/Merkur_2023_04_28.html"), url, site)
    assert a.url == (
        "https://www.merkur.de/welt/england-koenig-king-charles-iii-kroenung-zeremonie-nostradamus-vorhersage-"
        "prophezeiung-thronfolger-92243692.html"
    )
    assert a.publisher_id == "92243692"
    # the headline variants differ on this page, and are kept apart
    assert a.headline_variants["h1"].startswith("Nostradamus-Vorhersage lässt Zweifel aufkommen")
    assert a.headline_variants["og_title"] == a.headline_variants["h1"]
    assert a.headline_variants["jsonld"].startswith("Nostradamus-Vorhersage sät Zweifel")
    assert a.headline_variants["share"] == a.headline_variants["jsonld"]
    assert a.published_raw == "2023-04-28T18:16:04+0200"
    assert a.modified is None  # the page declares no modification date
    assert a.dateline == "München/London"
    assert a.breadcrumb == ["Startseite", "Welt"] and a.section == "Welt"
    assert a.images[0].credit == "IMAGO / Cinema Publishers Collection /Pool / i-Images"
    assert a.kicker is None and a.agency is None  # "(nz)" is the author's initials, not an agency


FURNITURE_PAGE = """<!doctype html><html lang=de><head><title>T</title>
<script type="application/ld+json">{"@type":"WebPage","mainEntity":{"@type":"NewsArticle","headline":"SEO",
"datePublished":"2022-01-18T15:04:00+0100","author":[{"@type":"Person","name":"Jane Doe"}]}}</script></head>
<body><article class="id-Page-mainContent idjs-Story">
<p class=id-StoryElement-kicker>Droht die Eskalation?</p>
<h1 class=id-StoryElement-headline>US-Außenminister trifft Baerbock</h1>
<p class=id-StoryElement-leadText>Russland droht der Ukraine immer offener mit einem Krieg.</p>
<p class=id-StoryElement-paragraph>Washington - US-Außenminister Antony Blinken reist nach Kiew und Berlin.</p>
<h2 class=id-StoryElement-crosshead>Konflikt mit Ukraine: Plant Russland einen Einmarsch?</h2>
<p class=id-StoryElement-paragraph>Dies lehnt das Westbündnis ab. dpa *Merkur.de ist ein Angebot von IPPEN.MEDIA.</p>
<div class=id-Recommendation><h3>Das könnte Sie auch interessieren</h3>
<p class=id-StoryElement-paragraph>Hunderte Beamte europaweit im Einsatz gegen Schleuserbanden</p></div>
<div class=id-Newsletter><p class=id-StoryElement-paragraph>Unsere News per Mail</p></div>
<div id=id-Comments class=id-Comments><p class=id-StoryElement-paragraph>Ein Leserkommentar.</p></div>
<p class=id-StoryElement-paragraph>Das könnte Sie auch interessieren</p>
</article></body></html>"""


def test_furniture_never_reaches_the_body() -> None:
    a = extract_article(FURNITURE_PAGE, "https://www.merkur.de/politik/x-91234567.html", "merkur.de")
    text = " ".join(b.text for b in a.body)
    for furniture in ("IPPEN.MEDIA", "Das könnte Sie auch interessieren", "Schleuserbanden", "News per Mail", "Leser"):
        assert furniture not in text
    assert a.body[-1].text == "Dies lehnt das Westbündnis ab. dpa"
    assert a.kicker == "Droht die Eskalation?"
    assert a.agency == "dpa" and a.dateline == "Washington"
    assert a.authors == ["Jane Doe"]  # no byline on the page: JSON-LD
    assert a.published == datetime(2022, 1, 18, 14, 4, tzinfo=UTC)
    assert a.headline_variants == {"h1": "US-Außenminister trifft Baerbock", "jsonld": "SEO", "title": "T"}


def test_generic_profile_keeps_furniture_out_too(fixtures_dir: Path) -> None:
    a = generic.extract_article(FURNITURE_PAGE, "https://www.example.org/a", "example.org")
    text = " ".join(b.text for b in a.body)
    assert "IPPEN.MEDIA" not in text and "Schleuserbanden" not in text and "News per Mail" not in text


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<html><body><p>nothing here</p></body></html>", "no headline"),
        ("<html><body><h1 class=id-StoryElement-headline>Titel</h1></body></html>", "empty body"),
        ("<<<>>>\x00garbage", "no headline"),
        ("", "empty page"),
        ("   \n ", "empty page"),
        (b'<meta charset="x-unknown-42"><h1>T</h1>', "unknown encoding"),
        (None, "not a page"),
    ],
)
@pytest.mark.parametrize("extractor", [extract_article, generic.extract_article])
def test_unreadable_pages_raise_with_a_reason(extractor, html, reason) -> None:
    with pytest.raises(ExtractionError, match=reason):
        extractor(html, "https://www.merkur.de/a-12345678.html", "merkur.de")


def test_scoring_adapter_returns_the_four_fields(fixtures_dir: Path) -> None:
    got = score_extract(read(fixtures_dir, "articles/fundus/de/Merkur_2023_04_28.html"), "https://www.merkur.de/x")
    assert set(got) == {"title", "authors", "date", "body"}
    assert got["date"].utcoffset().total_seconds() == 7200  # the page's own offset, same instant
    assert got["body"].startswith("In England findet bald")
    assert score_extract("<p>x</p>", "https://example.org/") == {"title": None, "authors": [], "date": None, "body": ""}


# -- never anything but ExtractionError ------------------------------------------------------------------------
def _mutations(base: str) -> st.SearchStrategy[str]:
    @st.composite
    def mutate(draw: st.DrawFn) -> str:
        text = base
        for _ in range(draw(st.integers(1, 6))):
            i = draw(st.integers(0, len(text)))
            j = draw(st.integers(i, min(len(text), i + 400)))
            text = text[:i] + draw(st.text(max_size=40)) + text[j:]
        return text

    return mutate()


HTML_BITS = st.sampled_from(
    [
        "<",
        ">",
        "</",
        "<p>",
        "</p>",
        "<h1>",
        "<article>",
        "<br>",
        "&amp;",
        "&#0;",
        "\x00",
        "<script>",
        '"',
        "<?xml ",
        "<meta charset=foo>",
        "<time datetime='9999-99-99'>",
        '<script type="application/ld+json">{',
        "\ufffd",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.lists(st.one_of(HTML_BITS, st.text(max_size=20)), max_size=60).map("".join)))
def test_random_html_raises_only_extraction_error(html: str) -> None:
    for extractor in (extract_article, generic.extract_article):
        try:
            article = extractor(html, "https://www.merkur.de/a-12345678.html", "merkur.de")
        except ExtractionError as exc:
            assert str(exc)
        else:
            assert article.headline and article.body
    with contextlib.suppress(ExtractionError):
        extract_teasers(html, "https://www.merkur.de/", "merkur.de")


@pytest.fixture(scope="module")
def merkur_html() -> str:
    from tests.conftest import FIXTURES

    return (FIXTURES / "articles/fundus/de/Merkur_2023_04_28.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("seed", range(3))
def test_mutated_real_pages_raise_only_extraction_error(merkur_html: str, seed: int) -> None:
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
    @given(_mutations(merkur_html))
    def check(html: str) -> None:
        for extractor in (extract_article, generic.extract_article):
            with contextlib.suppress(ExtractionError):
                extractor(html, "https://www.merkur.de/a-92243692.html", "merkur.de")

    check()


# -- listing ------------------------------------------------------------------------------------------------------
def test_section_page_teasers_match_ground_truth(fixtures_dir: Path) -> None:
    truth = json.loads(read(fixtures_dir, "listings/deichstube_news_2017_12_18.json"))["expected"]["teasers"]
    seen = datetime(2017, 12, 18, 12, tzinfo=UTC)
    teasers = extract_teasers(
        read(fixtures_dir, "listings/deichstube_news_2017_12_18.html"),
        "https://www.deichstube.de/news",
        "deichstube.de",
        seen_at=seen,
    )
    prio = [t for t in teasers if t.layout == "prio"]
    assert [(t.position, t.headline, t.url, t.text, t.image) for t in prio] == [
        (e["position"], e["title"], e["link"], e["description"], e["imageUrl"]) for e in truth
    ]
    # one teaser per teaser element, although each names its headline three times (alt/title, h3, overlay link)
    assert len({t.url for t in teasers}) == len(teasers) == 9
    assert [t.position for t in teasers] == list(range(1, len(teasers) + 1))
    assert [t.block_index for t in teasers] == [1, 1, 2, 2, 2, 3, 3, 3, 3]
    assert all(t.block == "prio" and t.site == "deichstube.de" and t.seen_at == seen for t in teasers)
    assert all(t.publisher_id and t.url.endswith(f"-{t.publisher_id}.html") for t in teasers)
    assert teasers[0].published == datetime(2017, 12, 18, 6, 0, tzinfo=UTC)  # 07:00 Berlin


def test_listing_reads_kicker_author_and_named_blocks() -> None:
    html = """<html><body><div class="id-Container"><h2 class=id-Container-headline>Politik</h2>
    <div class="id-Container-content"><div class="id-Teaser-el id-Teaser-el--list">
    <div class=id-Teaser-el-image><img src=/b.jpg alt="Kopf" title="Kopf"></div>
    <span class=id-Teaser-el-content-kicker-text>Ukraine-Krieg</span>
    <h3 class=id-Teaser-el-content-headline><span class=id-Teaser-el-content-headline-text>Kopf</span></h3>
    <span class=id-Teaser-el-content-author>Von Jane Doe</span>
    <a class=id-LinkOverlay-link href="/politik/kopf-91234567.html">Kopf</a></div>
    <div class="id-Teaser-el"><a class=id-LinkOverlay-link href="/politik/">Politik</a></div></div></div>
    </body></html>"""
    (teaser,) = extract_teasers(html, "https://www.fr.de/", "fr.de")
    assert teaser.url == "https://www.fr.de/politik/kopf-91234567.html"
    assert (teaser.kicker, teaser.headline, teaser.author, teaser.block) == (
        "Ukraine-Krieg",
        "Kopf",
        "Von Jane Doe",
        "Politik",
    )
    assert teaser.image == "https://www.fr.de/b.jpg" and teaser.layout == "list" and teaser.block_index == 1
