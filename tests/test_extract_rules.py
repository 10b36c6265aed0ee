"""The author and headline rules, each on the general pattern it handles (not on a publisher's page), the IPPEN
markup generations, the generic fallback, and a property over every real page: a stored headline holds neither
its kicker nor the site's name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.extract import generic, ippen
from crawler.extract.headlines import clean_headline, headline_apart, strip_site_suffix
from crawler.extract.metadata import read_metadata
from crawler.extract.parsing import ExtractionError, parse_html
from crawler.extract.profiles import extract_article, read_with_fallback
from crawler.model.bylines import join_agencies, name_kind, person_name, persons_and_organisations, split_agencies
from tests.support.localsite import LocalSite


# -- names ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Anna Muster 05.01.2025", "Anna Muster"),  # a date glued to the name
        ("Anna Muster, 05.01.2025, 14:07 Uhr", "Anna Muster"),
        ("Anna Muster 2025-01-05", "Anna Muster"),
        ("Elena Oberholzer (obe)", "Elena Oberholzer"),  # the author's shorthand in brackets
        ("Elena Oberholzer (obe", "Elena Oberholzer"),  # ... cut off by a split
        ("Jan Beispiel [jb]", "Jan Beispiel"),
        ("Jean-Luc Picard-Müller", "Jean-Luc Picard-Müller"),  # hyphens are part of names
        ("Ursula von der Leyen", "Ursula von der Leyen"),
    ],
)
def test_person_name_drops_what_is_glued_to_it(raw: str, name: str) -> None:
    assert person_name(raw) == name


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Anna Muster", "person"),
        ("Ursula von der Leyen", "person"),
        ("dpa", "organisation"),  # a known agency
        ("Reuters", "organisation"),
        ("APA", "organisation"),  # capitals only: an agency or a credit
        ("KEYSTONE", "organisation"),
        ("ANNA MUSTER", "person"),  # a full name in capitals is still a name (credits are kept out by place)
        ("Agenturen", "organisation"),  # collective bylines
        ("Redaktion", "organisation"),
        ("Unternehmen", "organisation"),
        ("Beispiel Zeitung", "organisation"),
        ("example.de", "organisation"),  # a domain
        ("x-online", "organisation"),  # a lower-case brand
        ("obe", "none"),  # a shorthand, not a full name
        ("hosb", "none"),
        ("Sendung: hr-INFO", "none"),  # a programme
        ("Foto: Anna Muster", "none"),  # a credit
        ("Redakteurin", "none"),  # a role split off a name (`Anna Muster, Redakteurin`)
        ("Korrespondent", "none"),
        ("Wirtschaftsredakteur", "none"),
        ("Autor Anna Muster", "person"),  # a role word alone, not one before a name
        ("123", "none"),
        ("Quellenberg Hans", "person"),  # a name that begins like a source label
    ],
)
def test_name_kind_tells_persons_from_organisations(name: str, kind: str) -> None:
    assert name_kind(name) == kind


def test_the_pages_own_name_is_an_organisation() -> None:
    assert name_kind("Beispielblatt", ["Beispielblatt", "beispielblatt.de"]) == "organisation"
    assert name_kind("Beispielblatt") == "person"  # without the page's names it could be a surname


def test_persons_and_organisations_split_a_byline() -> None:
    persons, orgs = persons_and_organisations(
        [
            "Anna Muster",
            "Weitere Quellen • AP",
            "dpa",
            "Agenturen",
            "Quelle: Beispiel-Institut",
            "obe",
            "Anna Muster",
            "Quellenberg Hans",
        ]
    )
    assert persons == ["Anna Muster", "Quellenberg Hans"]
    assert orgs == ["AP", "dpa", "Agenturen", "Beispiel-Institut"]
    assert join_agencies(orgs) == "AP, dpa, Agenturen, Beispiel-Institut"
    assert split_agencies(join_agencies(orgs)) == orgs
    assert join_agencies([]) is None and split_agencies(None) == []


# -- headlines ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("title", "names", "want"),
    [
        ("Ein Titel | Beispielblatt", ["Beispielblatt"], "Ein Titel"),
        ("Ein Titel - BEISPIELBLATT", ["Beispielblatt"], "Ein Titel"),
        ("Ein Titel – beispielblatt.de", ["www.beispielblatt.de"], "Ein Titel"),
        ("Ein Titel | Beispielblatt.de", ["beispielblatt.de"], "Ein Titel"),
        ("Ein Titel - Politik - Beispielblatt", ["Beispielblatt"], "Ein Titel - Politik"),  # sections stay
        ("Krieg - und Frieden", ["Beispielblatt"], "Krieg - und Frieden"),  # no site name: untouched
        ("Beispielblatt", ["Beispielblatt"], "Beispielblatt"),
    ],
)
def test_strip_site_suffix(title: str, names: list[str], want: str) -> None:
    assert strip_site_suffix(title, names) == want


@pytest.mark.parametrize(
    ("headline", "kicker", "want"),
    [
        ("Ukraine-Krieg: Die Lage am Morgen", "Ukraine-Krieg", "Die Lage am Morgen"),
        ("Ukraine-Krieg - Die Lage am Morgen", "Ukraine-Krieg:", "Die Lage am Morgen"),
        ("Ukraine-Krieg | Die Lage am Morgen", "Ukraine-Krieg", "Die Lage am Morgen"),
        ("Die Lage am Morgen", "Ukraine-Krieg", "Die Lage am Morgen"),
        ("Ukraine-Krieg", "Ukraine-Krieg", "Ukraine-Krieg"),  # nothing would be left
        # no separator: the headline opens with the kicker's words and is kept whole
        ("Ukraine-Krieg Die Lage am Morgen", "Ukraine-Krieg:", "Ukraine-Krieg Die Lage am Morgen"),
        ("Deutsche Bank nominiert Aufsichtsratschef", "Deutsche Bank", "Deutsche Bank nominiert Aufsichtsratschef"),
        ("Deutsche Bank-Chef: Sewing bleibt", "Deutsche Bank", "Deutsche Bank-Chef: Sewing bleibt"),
        # a kicker glued inside a word is never cut, separator or not
        ("Feuerwehrleute sollen später in Pension", "Feuer", "Feuerwehrleute sollen später in Pension"),
        ("Feuerwehr: Einsatz am Morgen", "Feuer", "Feuerwehr: Einsatz am Morgen"),
    ],
)
def test_headline_apart(headline: str, kicker: str, want: str) -> None:
    assert headline_apart(headline, kicker) == want


def _page(body: str, head: str = "") -> str:
    return f"<!doctype html><html lang=de><head><title>T | Blatt</title>{head}</head><body>{body}</body></html>"


PARAGRAPHS = "".join(
    f"<p class=id-StoryElement-paragraph>Absatz {i} mit genug Text, damit er als Absatz zählt.</p>" for i in range(3)
)


def test_ippen_kicker_inside_the_headline_element_is_kept_apart() -> None:
    html = _page(
        "<h1>Seitenkopf</h1><article class=idjs-Story><h1 class=id-StoryElement-headline>"
        "<span class=id-StoryElement-kicker>Droht die Eskalation?</span>"
        "<span class=id-StoryElement-headline-text>Minister reist nach Kiew</span></h1>" + PARAGRAPHS + "</article>"
    )
    a = ippen.extract_article(html, "https://www.merkur.de/a-91234567.html", "merkur.de")
    assert (a.kicker, a.headline) == ("Droht die Eskalation?", "Minister reist nach Kiew")
    assert a.extractor == "ippen/2023"


@pytest.mark.parametrize(
    ("kicker", "headline"),
    [
        ("Deutsche Bank", "Deutsche Bank nominiert Aufsichtsratschef für zweite Amtszeit"),  # the kicker's words
        ("Feuer", "Feuerwehrleute sollen später in Pension"),  # the kicker glued inside a word
        ("Wahl", "Wahl: Die Stimmen sind gezählt"),  # no kicker element inside the headline: all of it is the headline
    ],
)
def test_a_headline_element_without_a_kicker_inside_is_kept_whole(kicker: str, headline: str) -> None:
    """The kicker above the headline element never cuts the headline's text, in IPPEN and in generic markup;
    JSON-LD glues the kicker with a separator and is not what is read while the visible headline is there."""
    head = f'<script type="application/ld+json">{{"@type":"NewsArticle","headline":"{kicker}: {headline}"}}</script>'
    html = _page(
        f"<article class=idjs-Story><p class=id-StoryElement-kicker>{kicker}</p>"
        f"<h1 class=id-StoryElement-headline>{headline}</h1>" + PARAGRAPHS + "</article>",
        head,
    )
    a = ippen.extract_article(html, "https://www.merkur.de/a-91234567.html", "merkur.de")
    assert (a.kicker, a.headline) == (kicker, headline)
    html = _page(
        f"<article><p class=kicker>{kicker}</p><h1>{headline}</h1>"
        + "".join(f"<p>Absatz {i} des Artikels mit genug Text für einen Absatz im Text.</p>" for i in range(4))
        + "</article>",
        head,
    )
    a = generic.extract_article(html, "https://www.beispielblatt.de/a")
    assert (a.kicker, a.headline) == (kicker, headline)


def test_a_kicker_element_inside_the_headline_is_parted_by_markup_not_by_its_text() -> None:
    """The kicker's text differs from how the headline's text opens (`Feuer` before `Feuerwehrleute`): the
    kicker element is left out, the headline's words are not cut."""
    html = _page(
        "<article class=idjs-Story><h1 class=id-StoryElement-headline><span class=id-StoryElement-kicker>Feuer</span>"
        "Feuerwehrleute sollen später in Pension</h1>" + PARAGRAPHS + "</article>"
    )
    a = ippen.extract_article(html, "https://www.merkur.de/a-91234567.html", "merkur.de")
    assert (a.kicker, a.headline) == ("Feuer", "Feuerwehrleute sollen später in Pension")
    html = _page(
        "<article><h1><span class=kicker>Deutsche Bank</span> Deutsche Bank nominiert Aufsichtsratschef</h1>"
        + "".join(f"<p>Absatz {i} des Artikels mit genug Text für einen Absatz im Text.</p>" for i in range(4))
        + "</article>"
    )
    a = generic.extract_article(html, "https://www.beispielblatt.de/a")
    assert (a.kicker, a.headline) == ("Deutsche Bank", "Deutsche Bank nominiert Aufsichtsratschef")


def test_a_text_only_headline_loses_only_a_kicker_followed_by_a_separator() -> None:
    """Without a visible headline element, JSON-LD's `Kicker: Headline` is parted; `Kicker Headline...` is not."""
    for ld, want in [
        ("Deutsche Bank: Sewing bleibt", "Sewing bleibt"),
        ("Deutsche Bank nominiert Aufsichtsratschef", "Deutsche Bank nominiert Aufsichtsratschef"),
    ]:
        head = f'<script type="application/ld+json">{{"@type":"NewsArticle","headline":"{ld}"}}</script>'
        html = _page(
            "<article class=idjs-Story><p class=id-StoryElement-kicker>Deutsche Bank</p>" + PARAGRAPHS + "</article>",
            head,
        )
        a = ippen.extract_article(html, "https://www.merkur.de/a-91234567.html", "merkur.de")
        assert (a.kicker, a.headline) == ("Deutsche Bank", want)


def test_ippen_selectors_are_tried_in_order_of_preference_not_document_order() -> None:
    html = _page(
        "<h1>Seitenkopf der Website</h1><article class=idjs-Story><p class=id-Story-kicker>Allgemein</p>"
        "<p class=id-StoryElement-kicker>Droht die Eskalation?</p>"
        "<h1 class=id-StoryElement-headline>Minister reist nach Kiew</h1>" + PARAGRAPHS + "</article>"
    )
    a = ippen.extract_article(html, "https://www.merkur.de/a-91234567.html", "merkur.de")
    assert (a.kicker, a.headline) == ("Droht die Eskalation?", "Minister reist nach Kiew")


FR_2020 = _page(
    '<article class="id-Article"><p class="id-Article-kicker"><span class="id-Article-kicker-text">Corona-Pandemie'
    '</span></p><h2 class="id-Article-headline">Schulen öffnen wieder</h2><div class="id-Article-content">'
    '<p class="id-Article-content-item id-Article-content-item-summary">Nach Wochen lernen die Kinder wieder in der '
    "Schule.</p>"
    '<p class="id-Article-content-item">Frankfurt - Die Schulen in Hessen öffnen am Montag wieder für alle.</p>'
    '<p class="id-Article-content-item">Das Kultusministerium hat dafür einen Hygieneplan vorgelegt.</p>'
    "</div></article>",
    '<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2020-05-04T10:15:00+02:00",'
    '"author":{"@type":"Person","name":"Anna Muster"},"publisher":{"@type":"Organization","name":"fr.de"}}</script>',
)
"""fr.de's 2020 markup as described in issue 18 (kicker span in a kicker paragraph, h2 headline,
`p.id-Article-content-item` paragraphs, the lead as `...-item-summary`)."""


def test_ippen_2020_generation_reads_fr_de_2020_markup() -> None:
    a = ippen.extract_article(FR_2020, "https://www.fr.de/frankfurt/schulen-13700000.html", "fr.de")
    assert a.extractor == "ippen/2020"
    assert (a.kicker, a.headline) == ("Corona-Pandemie", "Schulen öffnen wieder")
    assert a.lead == "Nach Wochen lernen die Kinder wieder in der Schule."
    assert [b.text for b in a.body] == [
        "Frankfurt - Die Schulen in Hessen öffnen am Montag wieder für alle.",
        "Das Kultusministerium hat dafür einen Hygieneplan vorgelegt.",
    ]
    assert (
        a.authors == ["Anna Muster"]
        and a.dateline == "Frankfurt"
        and a.published.isoformat()[:16] == ("2020-05-04T08:15")
    )
    assert extract_article(FR_2020, "https://www.fr.de/frankfurt/schulen-13700000.html").extractor == "ippen/2020"


def test_a_page_no_generation_reads_goes_to_the_generic_extractor() -> None:
    html = _page(
        "<div class=id-StoryElement-headline-wrapper></div><main><h1>Ein neues Layout</h1>"
        + "".join(f"<p>Absatz {i} eines Artikels in einem Layout, das kein Profil kennt.</p>" for i in range(4))
        + "</main>"
    )
    with pytest.raises(ExtractionError, match="empty body"):
        ippen.extract_article(html, "https://www.merkur.de/a-91234567.html", "merkur.de")
    a = extract_article(html, "https://www.merkur.de/a-91234567.html")
    assert a.extractor == generic.NAME and a.headline == "Ein neues Layout" and len(a.body) == 4


def test_generic_kicker_inside_h1_and_bylines_of_other_content() -> None:
    html = _page(
        "<article><h1><span class=article-kicker>Wahl</span> <span>Die Stimmen sind gezählt</span></h1>"
        "<p class=byline>Von Anna Muster und Jan Beispiel</p>"
        "<figure><img src=/a.jpg><figcaption><span class=author>CYRIL ZINGARO</span></figcaption></figure>"
        + "".join(f"<p>Absatz {i} des Artikels mit genug Text für einen Absatz im Text.</p>" for i in range(4))
        + "<div class=comments><div class=comment><span class=author>Leser Hans Meier</span><p>Ein Kommentar "
        "mit genug Text für einen Absatz.</p></div></div>"
        "<div class=related><a href=/b><span class=author>Von Eva Andere</span></a></div></article>"
    )
    a = generic.extract_article(html, "https://www.beispielblatt.de/a", "beispielblatt.de")
    assert (a.kicker, a.headline) == ("Wahl", "Die Stimmen sind gezählt")
    assert a.authors == ["Anna Muster", "Jan Beispiel"]


def test_json_ld_organisations_and_the_publisher_go_to_agency() -> None:
    head = (
        '<meta property="og:site_name" content="Beispielblatt"><script type="application/ld+json">'
        '{"@type":"NewsArticle","headline":"H","author":[{"@type":"Person","name":"Anna Muster 05.01.2025"},'
        '{"@type":"Person","name":"Beispielblatt"},{"@type":"Organization","name":"Agentur Nord"}]}</script>'
    )
    body = "<h1>H</h1>" + "".join(f"<p>Absatz {i} des Artikels mit genug Text für einen Absatz.</p>" for i in range(4))
    a = generic.extract_article(_page(body, head), "https://www.beispielblatt.de/a", "beispielblatt.de")
    assert a.authors == ["Anna Muster"]
    assert split_agencies(a.agency) == ["Beispielblatt", "Agentur Nord"]


# -- a property over every real page --------------------------------------------------------------------------------
def test_no_stored_headline_holds_its_kicker_or_the_site_name(fixtures_dir: Path) -> None:
    """Over every real page and every article page of the local site (IPPEN templates, kicker above the h1)."""
    pages = []
    for path in sorted((fixtures_dir / "articles/fundus/de").glob("*.html")):
        url = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["url"]
        pages.append((path.stem, path.read_text(encoding="utf-8", errors="replace"), url))
    local = LocalSite(n_articles=12, seed=18)
    pages += [
        (a.path, local.respond(a.path).body.decode("utf-8"), f"https://www.merkur.de{a.path}") for a in local.articles
    ]
    assert len(pages) > 50
    for name, html, url in pages:
        a = extract_article(html, url)
        if a.kicker:
            assert not a.headline.casefold().startswith(a.kicker.casefold()), name
        site_names = read_metadata(parse_html(html), url).site_names
        assert strip_site_suffix(a.headline, site_names) == a.headline, name
        title = a.headline_variants.get("title")
        assert title is None or strip_site_suffix(title, site_names) == title, name


def _kicker_and_headline(html: str) -> tuple[str | None, str]:
    a = generic.extract_article(html, "https://www.beispielblatt.de/a")
    return a.kicker, a.headline


ARTICLE_TEXT = "".join(f"<p>Absatz {i} des Artikels mit genug Text für einen Absatz im Text.</p>" for i in range(4))


@pytest.mark.parametrize(
    "decoy",
    [
        "<nav class=breadcrumb><ul><li><h1>Kurzer Titel</h1></li></ul></nav>",  # a heading in the breadcrumb trail
        "<h1 class=breadcrumb__headline>Kurzer Titel</h1>",
        "<h1 data-breadcrumb-headline>Kurzer Titel</h1>",
        "<dialog class=modal><header><h1 class=modal__title>Artikel merken</h1></header></dialog>",  # a dialog
    ],
)
def test_the_headline_is_the_readers_not_a_breadcrumb_or_dialog_heading(decoy: str) -> None:
    head = '<script type="application/ld+json">{"@type":"NewsArticle","headline":"Die Überschrift"}</script>'
    html = _page(f"<div class=has-breadcrumb>{decoy}<article>{ARTICLE_TEXT}</article></div>", head)
    assert generic.extract_article(html, "https://www.beispielblatt.de/a").headline == "Die Überschrift"
    html = _page(
        f"{decoy}<article><h2 class=title><span class=title__kicker>Meinung</span> "
        f"<span class=title__headline>Die Überschrift, die man liest</span></h2>{ARTICLE_TEXT}</article>",
        head,
    )
    assert _kicker_and_headline(html) == ("Meinung", "Die Überschrift, die man liest")


def test_a_topic_label_inside_the_h1_is_the_kicker() -> None:
    html = _page(
        "<article><h1 class=intro__title><span class=intro__title__topic>Kultur</span><span class=sr-only>:</span>"
        f" Was lesen die Leute?</h1>{ARTICLE_TEXT}</article>"
    )
    assert _kicker_and_headline(html) == ("Kultur", "Was lesen die Leute?")


def test_an_ippen_article_with_an_empty_body_stays_a_reject_through_the_fallback() -> None:
    teasers = "".join(
        f"<div class=id-Teaser-el><h3>Ein anderer Artikel {i}</h3><p>Der Text eines anderen Artikels, der hier nur "
        f"angerissen wird und zu einer anderen Seite führt.</p></div>"
        for i in range(4)
    )
    html = _page(f"<article class=idjs-Story><h1 class=id-StoryElement-headline>Titel</h1></article>{teasers}")
    with pytest.raises(ExtractionError, match="empty body"):
        read_with_fallback("ippen", html, "https://www.merkur.de/a-91234567.html", "merkur.de")


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("- «Die Lage ist ernst»", "«Die Lage ist ernst»"),
        (": Die Lage", "Die Lage"),
        ("Die Lage - ernst", "Die Lage - ernst"),
        ("-", "-"),  # nothing else: kept
        ("", ""),
    ],
)
def test_clean_headline_drops_a_leading_separator(raw: str, want: str) -> None:
    assert clean_headline(raw) == want


def test_a_kicker_right_before_the_readers_heading_not_before_a_breadcrumb_heading() -> None:
    html = _page(
        "<nav><p class=kicker>Navigation</p><h1>Start</h1></nav><article><p class=kicker>Wahl</p>"
        f"<h1>Die Stimmen sind gezählt</h1>{ARTICLE_TEXT}</article>"
    )
    assert _kicker_and_headline(html) == ("Wahl", "Die Stimmen sind gezählt")
