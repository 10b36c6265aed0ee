"""Identity, normalization, validation and teaser folding, offline (no Scrapy engine, no database)."""

from __future__ import annotations

import dataclasses
import re
import sys
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawler.extract.ippen_listing import extract_teasers
from crawler.model.canonical import canonical_url, origin, rebase
from crawler.model.fingerprint import content_hash
from crawler.model.identity import article_id
from crawler.model.items import ArticleItem, Block, Image, RejectItem, TeaserItem
from crawler.model.normalize import (
    _CASE_EXCEPTIONS,
    _TYPOGRAPHY,
    FURNITURE,
    clean_text,
    comparable,
    is_furniture,
    normalize_article,
)
from crawler.model.teasers import TeaserBook
from crawler.model.terminal import strip_controls
from crawler.pipelines.normalize import NormalizePipeline
from crawler.pipelines.validate import ValidatePipeline

ARTICLE = "https://www.merkur.de/politik/ukraine-krise-baerbock-kiew-91245736.html"


@pytest.mark.parametrize(
    "variant",
    [
        ARTICLE + "?utm_source=twitter&utm_medium=social",
        ARTICLE + "?itm_source=story_detail&itm_medium=interaction_bar#comments",
        "HTTPS://WWW.MERKUR.DE:443/politik/ukraine-krise-baerbock-kiew-91245736.html",
        "https://m.merkur.de/politik/ukraine-krise-baerbock-kiew-91245736.html",
        "https://www.merkur.de/politik/ukraine-krise-baerbock-kiew-91245736.amp.html",
        "https://www.merkur.de/amp/politik/ukraine-krise-baerbock-kiew-91245736.html",
        "https://www.merkur.de/politik//ukraine-krise-baerbock-kiew-91245736.html/",
        ARTICLE + "?fbclid=IwAR0x&gclid=abc",
    ],
)
def test_url_variants_share_one_canonical_form(variant):
    assert canonical_url(variant) == ARTICLE


def test_canonical_url_keeps_what_selects_content():
    assert canonical_url("https://example.org/search?q=ukraine&page=2") == "https://example.org/search?page=2&q=ukraine"
    assert canonical_url("http://127.0.0.1:8123/welt/") == "http://127.0.0.1:8123/welt"
    assert canonical_url("https://example.org:8443/a") == "https://example.org:8443/a"


URLS = st.builds(
    lambda scheme, host, port, segments, query, fragment: (
        f"{scheme}://{host}{port}/{'/'.join(segments)}{query}{fragment}"
    ),
    st.sampled_from(["http", "https", "HTTP"]),
    st.sampled_from(["www.merkur.de", "m.fr.de", "tz.de", "amp.hna.de", "127.0.0.1", "Example.ORG."]),
    st.sampled_from(["", ":80", ":443", ":8080"]),
    st.lists(st.text("abcxyzäöü-_.%20~/ ", min_size=0, max_size=12), max_size=4),
    st.sampled_from(["", "?a=1", "?utm_source=x&b=2", "?b=2&a=1&itm_medium=y", "?q=%C3%A4&q=2", "?amp"]),
    st.sampled_from(["", "#top", "#"]),
)


@given(URLS)
def test_canonicalization_is_idempotent(url):
    once = canonical_url(url)
    assert canonical_url(once) == once


@given(URLS, st.sampled_from(["utm_campaign=z", "itm_source=a&fbclid=1", "wt_mc=x.y"]), st.booleans())
def test_canonicalization_is_stable_under_tracking_noise(url, noise, fragment):
    base = url.split("#")[0].strip()
    noisy = base + ("&" if "?" in base else "?") + noise + ("#frag" if fragment else "")
    assert canonical_url(noisy) == canonical_url(base)


def article(**fields) -> ArticleItem:
    values = {
        "url": ARTICLE + "?utm_source=feed",
        "site": "merkur.de",
        "headline": "Droht die Eskalation?",
        "publisher_id": "91245736",
        "body": [Block("paragraph", "Kiew – Die Lage ist „ernst“.")],
        "published": datetime(2022, 1, 17, 16, 3, tzinfo=timezone(timedelta(hours=1))),
        "fetched_at": datetime(2022, 1, 17, 18, 0, tzinfo=UTC),
    }
    values.update(fields)
    return ArticleItem(**values)


def test_normalization_keeps_the_text_and_compares_without_typography():
    doc = normalize_article(
        article(
            headline="  Droht\u00a0die  Eskalation? ",
            body=[
                Block("paragraph", "Kiew \u2013 Die Lage ist \u201eernst\u201c."),
                Block("paragraph", "   "),
                Block("paragraph", "*Merkur.de ist ein Angebot von IPPEN.MEDIA"),
            ],
            authors=["Von: Nadja Zinsmeister und dpa"],
            published=datetime(2022, 1, 17, 16, 3, tzinfo=timezone(timedelta(hours=1))),
        ).to_dict()
    )
    assert doc["url"] == ARTICLE
    assert doc["headline"] == "Droht die Eskalation?"
    assert doc["body"] == [{"kind": "paragraph", "text": "Kiew \u2013 Die Lage ist \u201eernst\u201c."}]
    assert comparable(doc["body"][0]["text"]) == 'Kiew - Die Lage ist "ernst".'
    assert doc["authors"] == ["Nadja Zinsmeister"] and doc["agency"] == "dpa"
    assert doc["published"] == datetime(2022, 1, 17, 15, 3, tzinfo=UTC)
    assert doc["word_count"] == 6


def test_content_hash_ignores_typography_whitespace_and_fetch_facts():
    plain = normalize_article(article(body=[Block("paragraph", 'Kiew - Die Lage ist "ernst".')]).to_dict())
    fancy = normalize_article(
        article(
            url=ARTICLE + "?itm_source=x",
            body=[Block("paragraph", "Kiew\u00a0\u2013 Die Lage ist\n\u201eernst\u201c.")],
            fetched_at=datetime(2023, 1, 1, tzinfo=UTC),
            html_hash="other",
        ).to_dict()
    )
    assert content_hash(plain) == content_hash(fancy)
    edited = normalize_article(article(body=[Block("paragraph", 'Kiew - Die Lage ist "sehr ernst".')]).to_dict())
    assert content_hash(edited) != content_hash(plain)


def test_a_naive_date_is_not_stored_as_a_time():
    doc = normalize_article(article(published=datetime(2022, 1, 17, 16, 3)).to_dict())
    assert doc["published"] is None


@pytest.mark.parametrize(
    "text",
    [
        "Merkur.de ist ein Angebot von IPPEN.MEDIA.",
        "DAS KÖNNTE SIE AUCH INTERESSIEREN",
        "Unsere News per Mail: jetzt",
        "Nach der Registrierung erhalten Sie eine E-Mail",
        "Jetzt Newsletter abonnieren!",
        "Mehr zum Thema:",
        "Mehr zum Thema",
        "Der Bericht. Mehr zum Thema: Ukraine",
        "Lesen Sie auch: Kiew",
        "Text. Lesen Sie auch: Kiew",
        "auch interessant: X",
        "Weitere Artikel: Y",
        "Unſere News per Mail",  # long s: re.IGNORECASE matches it to "s", str.lower() does not
        "Newsletter abonnıeren",  # dotless i
        "İst ein Angebot von IPPEN.MEDIA",
        "Kiew – Die Lage ist „ernst“.",
        "Ein ganz gewöhnlicher Absatz über das Wetter in München.",
    ],
)
def test_furniture_test_answers_as_the_regex(text: str) -> None:
    assert is_furniture(text) == bool(FURNITURE.search(text))


@given(st.text(alphabet=st.sampled_from("aeinrstımſİ \n\u212aANSTIMEGHUzumthe:-.öÖkK"), max_size=60))
@example("Das KÖNNTE Sie auch interessieren")
@example("Mehr zum Thema:\n")
@example("Mehr zum Thema: mehr")
@example("lesen SIE auch: x")
@example("x Lesen Sie auch:")
def test_furniture_test_answers_as_the_regex_on_any_text(text: str) -> None:
    assert is_furniture(text) == bool(FURNITURE.search(text))


def test_the_characters_ignorecase_folds_to_ascii_letters_are_the_furniture_exceptions():
    """Every character beyond ASCII the regex takes for an ASCII letter is one `str.lower()` turns into it, or one
    that sends the text to the regex."""
    letter = re.compile("[a-z]", re.IGNORECASE)
    folded = [chr(c) for c in range(128, sys.maxunicode + 1) if letter.fullmatch(chr(c))]
    assert folded and all(c in _CASE_EXCEPTIONS or c.lower().isascii() for c in folded)


def test_every_whitespace_character_but_the_space_is_unprintable():
    """What the fast paths of `clean_text` and `comparable` rest on: printable text has no whitespace but " ", and
    the typography they replace in printable text becomes printable ASCII that is not whitespace."""
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    assert [c for c in spaces if c.isprintable()] == [" "]
    for char, plain in _TYPOGRAPHY:
        assert not char.isprintable() or (plain.isascii() and plain.isprintable() and " " not in plain)


def _clean_text_by_definition(text: str | None) -> str | None:
    if text is None:
        return None
    return " ".join(strip_controls(unicodedata.normalize("NFC", text)).replace("\u00a0", " ").split()) or None


def _comparable_by_definition(text: str | None) -> str:
    text = strip_controls(unicodedata.normalize("NFC", text or ""))
    for char, plain in _TYPOGRAPHY:
        text = text.replace(char, plain)
    return " ".join(text.split())


TRICKY = "aÄe\u0301 \u00a0\u2009\u202f\u200b\u00ad\u2060\u3000\u2028\t\n\r\x0b\x85\x1b[31m\u202e„“”«»‚‘’–—−‑…"


@given(
    st.text(alphabet=st.sampled_from(TRICKY), max_size=40)
    | st.text(alphabet=st.sampled_from(" aé„“–…"), max_size=12)  # printable: the fast paths
    | st.text(max_size=40)
)
@example(" a  b ")
@example("„a“ – b…")
def test_clean_and_comparable_forms_are_those_of_their_definition(text: str) -> None:
    cleaned = clean_text(text)
    assert cleaned == _clean_text_by_definition(text)
    assert comparable(text) == _comparable_by_definition(text)
    assert cleaned is None or len(cleaned.split()) == cleaned.count(" ") + 1  # the word count of normalize_article


def test_item_dicts_are_what_asdict_gives_with_their_own_lists():
    item = article(
        images=[Image(url="https://www.merkur.de/a.jpg", caption="c")], headline_variants={"og": "H"}, tags=["a"]
    )
    doc = item.to_dict()
    assert doc == dataclasses.asdict(item)
    assert doc["body"] is not item.body and doc["tags"] is not item.tags
    assert doc["headline_variants"] is not item.headline_variants
    doc["body"][0]["text"] = "changed"
    assert item.body[0].text != "changed"
    reject = RejectItem(url=ARTICLE, reason="r", item=doc)
    assert reject.to_dict() == dataclasses.asdict(reject)


def test_normalize_pipeline_returns_a_normalized_item_with_its_hash():
    pipeline = NormalizePipeline.from_crawler(get_crawler())
    item = pipeline.process_item(article(authors=["Von: A. Muster, B. Beispiel"]))
    assert isinstance(item, ArticleItem) and item.url == ARTICLE
    assert item.authors == ["A. Muster", "B. Beispiel"]
    assert item.content_hash == content_hash(item.to_dict())
    assert isinstance(item.body[0], Block)
    teaser = TeaserItem(url=ARTICLE, site="merkur.de", headline="h", page_url="https://www.merkur.de/", position=1)
    assert pipeline.process_item(teaser) is teaser


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"headline": None}, "no headline"),
        ({"body": [], "lead": None}, "empty body"),
        ({"published": None, "fetched_at": None}, "no date and no fetch time"),
        ({"url": "/relative/path-1.html"}, "no absolute http(s) URL"),
        ({"headline": "", "body": []}, "no headline; empty body"),
    ],
)
def test_invalid_articles_become_rejects_with_reason_and_item(fields, reason):
    crawler = get_crawler()
    crawler.stats.open_spider()
    result = ValidatePipeline.from_crawler(crawler).process_item(article(**fields))
    assert isinstance(result, RejectItem)
    assert result.reason.startswith("invalid article: " + reason)
    assert result.item["site"] == "merkur.de" and "headline" in result.item
    assert crawler.stats.get_value(f"newsmon/invalid/{reason.split(';')[0].split(' (')[0]}") == 1


def test_a_valid_article_passes_validation_unchanged():
    item = article(body=[], lead="Nur ein Vorspann.")
    assert ValidatePipeline.from_crawler(get_crawler()).process_item(item) is item


def test_article_identity_is_the_publisher_id_else_the_url():
    assert article_id("merkur.de", "91245736", ARTICLE) == "merkur.de:91245736"
    assert article_id("example.org", None, "https://example.org/a").startswith("example.org:u:")
    assert article_id("example.org", None, "https://example.org/a") != article_id(
        "example.org", None, "https://example.org/b"
    )


def test_teasers_of_the_real_section_page_fold_to_one_record_per_article(fixtures_dir: Path):
    html = (fixtures_dir / "listings" / "deichstube_news_2017_12_18.html").read_text(encoding="utf-8")
    page = "https://www.deichstube.de/news/"
    teasers = extract_teasers(html, page, "deichstube.de", seen_at=datetime(2017, 12, 18, tzinfo=UTC))
    articles = {t.publisher_id for t in teasers}
    assert len(articles) >= 9

    book = TeaserBook()
    kept = [t for t in teasers if book.observe(article_id(t.site, t.publisher_id, t.url), t.to_dict())]
    assert len(kept) == len(articles) == len(book)
    # The first (reading-order) teaser of each article is its observation on this page.
    firsts = {}
    for t in teasers:
        firsts.setdefault(t.publisher_id, t)
    assert kept == list(firsts.values())
    # A second read of the same page in the same run adds nothing.
    assert not any(book.observe(article_id(t.site, t.publisher_id, t.url), t.to_dict()) for t in teasers)
    records = book.take()
    assert all(r.observations == 1 and len(r.placements) == 1 for r in records)
    assert len(book) == 0


def test_teaser_variants_are_kept_apart_and_typography_is_not_a_variant():
    book = TeaserBook()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for n, (page, headline) in enumerate(
        [("https://x.de/", "A \u201eB\u201c"), ("https://x.de/welt", 'A "B"'), ("https://x.de/politik", "A C")]
    ):
        book.observe(
            "x.de:1",
            {
                "url": "https://x.de/a-1.html",
                "site": "x.de",
                "page_url": page,
                "position": n + 1,
                "headline": headline,
                "seen_at": t0 + timedelta(minutes=n),
            },
        )
    (record,) = book.take()
    assert record.observations == 3 and len(record.placements) == 3
    headlines = sorted((v["value"], v["count"]) for v in record.variants.values() if v["field"] == "headline")
    assert headlines == [("A C", 1), ("A \u201eB\u201c", 2)]
    assert (record.first_seen, record.last_seen) == (t0, t0 + timedelta(minutes=2))


def test_teaser_pipeline_drops_repeats_on_a_page_only():
    from crawler.pipelines.teasers import TeaserPipeline

    crawler = get_crawler()
    crawler.stats.open_spider()
    pipeline = TeaserPipeline.from_crawler(crawler)
    make = lambda page, pos: TeaserItem(  # noqa: E731 - a two-line factory reads better inline
        url=ARTICLE + "?itm_source=teaser",
        site="merkur.de",
        headline="h",
        page_url=page,
        position=pos,
        publisher_id="91245736",
    )
    assert pipeline.process_item(make("https://www.merkur.de/", 1)).url == ARTICLE
    with pytest.raises(DropItem):
        pipeline.process_item(make("https://www.merkur.de/", 7))
    assert pipeline.process_item(make("https://www.merkur.de/politik/", 3)).page_url == "https://www.merkur.de/politik"
    assert crawler.stats.get_value("newsmon/teasers/repeated_on_page") == 1
    assert len(pipeline.book) == 1


def test_rebase_moves_only_urls_of_the_source_origin():
    mirror, real = origin("http://127.0.0.1:8800/"), origin("https://www.merkur.de")
    assert rebase("http://127.0.0.1:8800/politik/a-91245736.html?x=1", mirror, real) == (
        "https://www.merkur.de/politik/a-91245736.html?x=1"
    )
    assert rebase("http://127.0.0.1:8800", mirror, real) == "https://www.merkur.de/"
    for other in ("http://127.0.0.1:8801/a", "https://cdn.merkur.de/bild.jpg", "/relative", "", None):
        assert rebase(other, mirror, real) == other
    assert rebase(rebase("http://127.0.0.1:8800/a", mirror, real), real, mirror) == "http://127.0.0.1:8800/a"
