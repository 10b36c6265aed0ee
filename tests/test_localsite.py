"""The local publisher site: real IPPEN markup with the site's articles in it, feeds, controls, faults."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from lxml import etree, html

from tests.support.localsite import SEED_ARTICLE_ID, FixturesNotFound, LocalSite
from tests.support.localsite.__main__ import main as cli

BERLIN = ZoneInfo("Europe/Berlin")
NS = {"rss": "http://purl.org/rss/1.0/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}
SM = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9", "news": "http://www.google.com/schemas/sitemap-news/0.9"}


def fetch(base_url: str, path: str, method: str = "GET", headers: dict[str, str] | None = None):
    """(status, headers, body) without following redirects; the connection is closed afterwards."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def cls(name: str, tag: str = "*") -> str:
    return f"//{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"


def text(el) -> str:
    return " ".join("".join(el.itertext()).split())


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[LocalSite, str]]:
    """One read-only site for the whole module (tests that change a site make their own)."""
    site = LocalSite(n_articles=40, seed=1)
    with site.serve(port=0) as base_url:
        yield site, base_url


@pytest.fixture
def fresh() -> Iterator[tuple[LocalSite, str]]:
    site = LocalSite(n_articles=12, seed=5)
    with site.serve(port=0) as base_url:
        yield site, base_url


def page(base_url: str, path: str):
    status, headers, body = fetch(base_url, path)
    assert status == 200, (path, status)
    return html.fromstring(body.decode("utf-8")), headers, body


# -- content -------------------------------------------------------------------------------------------------------
def test_missing_fixtures_name_the_path(tmp_path):
    with pytest.raises(FixturesNotFound, match=re.escape(str(tmp_path / "nowhere"))):
        LocalSite(fixtures_dir=tmp_path / "nowhere")


def test_seed_article_is_parsed_from_the_reader_copy(served):
    site, _ = served
    seed = site.article(site.seed_article_id)
    assert site.seed_article_id == SEED_ARTICLE_ID and site.articles[0].id == SEED_ARTICLE_ID
    assert seed.kicker == "Droht die Eskalation?"
    assert seed.headline == "Russland-Ukraine-Konflikt: US-Außenminister trifft Baerbock - Notfallplan im Gepäck"
    assert seed.lead.startswith("Russland droht der Ukraine immer offener")
    assert (seed.dateline, seed.agency, seed.section) == ("Washington", "dpa", "politik")
    assert [b.kind for b in seed.body].count("crosshead") == 2
    assert seed.body[-1].text.endswith("Dies lehnt das Westbündnis ab.")
    assert not any("IPPEN.MEDIA" in b.text or "Newsletter" in b.text for b in seed.body)
    assert seed.path == f"/politik/{seed.slug}-{SEED_ARTICLE_ID}.html"
    assert seed.image and seed.image.caption.startswith("US-Außenminister Antony Blinken trifft")


def test_same_seed_same_site_and_bigger_sites_extend_smaller_ones():
    a, b, other = LocalSite(15, seed=2), LocalSite(15, seed=2), LocalSite(15, seed=3)
    paths = ["/", "/welt/", "/news.xml", "/welt/rssfeed.rdf", a.articles[4].path]
    assert [a.respond(p).body for p in paths] == [b.respond(p).body for p in paths]
    assert [x.path for x in a.articles] != [x.path for x in other.articles]
    big = LocalSite(1200, seed=2)
    assert [x.id for x in big.articles[:15]] == [x.id for x in a.articles]
    assert len({x.id for x in big.articles}) == len({x.path for x in big.articles}) == 1200
    assert len({x.headline for x in big.articles}) == 1200
    assert all(re.fullmatch(r"/[a-z]+/[a-z0-9-]+-\d{8}\.html", x.path) for x in big.articles)


# -- article pages -------------------------------------------------------------------------------------------------
def test_article_fields_sit_in_the_real_ippen_elements(served):
    site, base_url = served
    seed = site.article(site.seed_article_id)
    doc, headers, body = page(base_url, seed.path)
    assert headers["Content-Type"] == "text/html; charset=UTF-8"
    assert int(headers["Content-Length"]) == len(body)
    raw = body.decode()
    assert raw.startswith("<!DOCTYPE html><html lang=de><head><title>")
    assert "<h1 class=id-StoryElement-headline>" in raw  # minified, unquoted attributes as on merkur.de
    canonical = base_url + seed.path
    assert doc.xpath("//link[@rel='canonical']/@href") == [canonical]
    assert doc.xpath("//meta[@property='og:url']/@content") == [canonical]
    assert doc.xpath("//meta[@property='og:title']/@content") == [seed.headline]
    assert doc.findtext(".//title") == seed.seo_title
    assert [text(h) for h in doc.xpath(cls("id-StoryElement-headline", "h1"))] == [seed.headline]
    assert [text(k) for k in doc.xpath(cls("id-StoryElement-kicker", "p"))] == [seed.kicker]
    assert [text(p) for p in doc.xpath(cls("id-StoryElement-leadText", "p"))] == [seed.lead]
    crossheads = [text(h) for h in doc.xpath("//article" + cls("id-StoryElement-crosshead", "h2"))]
    assert crossheads == [b.text for b in seed.body if b.kind == "crosshead"]
    paragraphs = [text(p) for p in doc.xpath(cls("id-StoryElement-paragraph", "p"))]
    assert paragraphs[:-1] == [b.text for b in seed.body if b.kind == "paragraph"]
    assert paragraphs[-1] == "dpa *Merkur.de ist ein Angebot von IPPEN.MEDIA."  # agency and footnote
    crumbs = doc.xpath(cls("id-DonaldBreadcrumb", "ol") + "//a")
    assert [(text(a), a.get("href")) for a in crumbs] == [
        ("Startseite", base_url + "/"),
        ("Politik", base_url + "/politik/"),
    ]
    local = seed.published.astimezone(BERLIN)
    assert doc.xpath("//article//time/@datetime")[0] == f"{local:%Y-%m-%d %H:%M}"  # no offset, as on the page
    figure = doc.xpath(cls("id-StoryElement-image", "figure"))[0]
    assert figure.xpath(".//img/@alt") == [seed.image.alt]
    assert text(figure.find("figcaption")) == seed.image.caption
    # JSON-LD: a NewsArticle in WebPage.mainEntity with +0200-style offsets
    ld = json.loads(doc.xpath("//script[@type='application/ld+json']")[0].text)
    assert ld["@type"] == "WebPage" and ld["mainEntity"]["@type"] == "NewsArticle"
    assert ld["mainEntity"]["headline"] == seed.seo_title and ld["mainEntity"]["mainEntityOfPage"] == canonical
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", ld["mainEntity"]["datePublished"])
    assert datetime.strptime(ld["mainEntity"]["datePublished"], "%Y-%m-%dT%H:%M:%S%z") == seed.published
    # the real page's furniture stays, retargeted to this article
    assert doc.xpath(cls("id-Recommendation")) and doc.xpath("//*[@id='id-Comments']")
    assert f"trf_ad_desktop_page_{seed.id}_billboard" in raw and "92243692" not in raw
    assert '"title":"' + seed.seo_title + '"' in raw  # share bar
    assert "Unsere News per Mail" in raw and "Die mit Stern (*) markierten Felder sind Pflichtfelder." in raw
    related = doc.xpath(cls("id-Container") + "[.//*[contains(., 'Das könnte Sie auch interessieren')]]")
    assert len(related[0].xpath(".//" + cls("id-Teaser-el")[2:])) == 4


def test_real_merkur_page_keeps_its_headline_variants_and_byline(served):
    site, base_url = served
    merkur = site.article(92243692)
    doc, _, _ = page(base_url, merkur.path)
    h1 = text(doc.xpath(cls("id-StoryElement-headline", "h1"))[0])
    ld = json.loads(doc.xpath("//script[@type='application/ld+json']")[0].text)["mainEntity"]
    assert h1.startswith("Nostradamus-Vorhersage lässt Zweifel aufkommen")
    assert ld["headline"].startswith("Nostradamus-Vorhersage sät Zweifel") and ld["headline"] != h1
    assert [text(a) for a in doc.xpath(cls("id-StoryElement-authors-link", "a"))] == ["Nadja Zinsmeister"]
    assert ld["author"]["name"] == "Nadja Zinsmeister"
    assert "dateModified" in ld and doc.xpath(cls("id-StoryElement-timestamp-updated"))


# -- listings ------------------------------------------------------------------------------------------------------
def teasers(doc) -> list:
    return doc.xpath(cls("id-Teaser-el") + "[.//" + cls("id-Teaser-el-content-headline-text")[2:] + "]")


def test_homepage_teasers_use_the_real_listing_markup_and_repeat(served):
    site, base_url = served
    doc, headers, _ = page(base_url, "/")
    assert headers["Content-Type"] == "text/html; charset=UTF-8"
    found = teasers(doc)
    first = found[0]
    assert "id-Teaser-el--prio" in first.get("class")
    seed = site.article(SEED_ARTICLE_ID)
    title = seed.teaser_headline
    names = [
        first.xpath(".//img/@alt")[0],
        first.xpath(".//img/@title")[0],
        text(first.xpath(".//" + cls("id-Teaser-el-content-headline-text")[2:])[0]),
        first.xpath(".//" + cls("id-LinkOverlay-link", "a")[2:] + "/@title")[0],
        text(first.xpath(".//" + cls("id-LinkOverlay-link", "a")[2:])[0]),
    ]
    assert names == [title] * 5  # the headline three times: image, h3, overlay link
    assert text(first.xpath(".//" + cls("id-Teaser-el-content-kicker-text")[2:])[0]) == seed.kicker
    assert text(first.xpath(".//" + cls("id-Teaser-el-content-text-text")[2:])[0]) == seed.lead
    links = [t.xpath(".//" + cls("id-LinkOverlay-link", "a")[2:] + "/@href")[0] for t in found]
    assert sum(urlsplit(link).path == seed.path for link in links) >= 3
    assert any("itm_source=" in link for link in links)
    newest = {urlsplit(link).path for link in links[:6]}
    assert newest == {a.path for a in site.articles[:6]}
    differing = [a for a in site.articles if a.teaser_headline != a.headline]
    assert differing, "some teasers must read differently from the article h1"
    assert site.intern_path in doc.xpath("//a/@href")
    section_links = doc.xpath(cls("id-MainNav", "ul") + "//a/@href")
    assert section_links == ["/politik/", "/welt/", "/bayern/", "/wirtschaft/", "/sport/", "/lokales/"]


def test_section_pages_list_their_articles_and_page_on(served):
    site, base_url = served
    doc, _, _ = page(base_url, "/politik/")
    links = [urlsplit(h).path for h in doc.xpath(cls("id-LinkOverlay-link", "a") + "/@href")]
    assert links == [a.path for a in site.articles if a.section == "politik"]
    assert doc.xpath("//link[@rel='alternate']/@href") == ["/politik/rssfeed.rdf"]
    assert text(doc.xpath("//h1")[0]) == "Politik"
    big = LocalSite(300, seed=1)
    with big.serve() as url:
        doc, _, _ = page(url, "/welt/")
        seen = [urlsplit(h).path for h in doc.xpath(cls("id-LinkOverlay-link", "a") + "/@href")]
        more = doc.xpath(cls("id-Swiper-loadMore", "a") + "/@href")
        while more:
            doc, _, _ = page(url, urlsplit(more[0]).path)
            seen += [urlsplit(h).path for h in doc.xpath(cls("id-LinkOverlay-link", "a") + "/@href")]
            more = doc.xpath(cls("id-Swiper-loadMore", "a") + "/@href")
        assert seen == [a.path for a in big.articles if a.section == "welt"]
        assert fetch(url, "/welt/index-vc-416908-99.html")[0] == 404


# -- feeds, sitemaps, robots ---------------------------------------------------------------------------------------
def test_rdf_feeds_list_the_newest_articles(served):
    site, base_url = served
    for section in ("welt", "politik"):
        status, headers, body = fetch(base_url, f"/{section}/rssfeed.rdf")
        assert status == 200 and headers["Content-Type"] == "application/rss+xml; charset=UTF-8"
        root = etree.fromstring(body)
        assert root.tag == f"{{{NS['rdf']}}}RDF"
        links = root.xpath("//rss:item/rss:link/text()", namespaces=NS)
        assert links == [base_url + a.path for a in site.articles if a.section == section][:30]
        titles = root.xpath("//rss:item/rss:title/text()", namespaces=NS)
        assert titles[0] == next(a for a in site.articles if a.section == section).teaser_headline
    everything = etree.fromstring(fetch(base_url, "/rssfeed.rdf")[2])
    assert len(everything.xpath("//rss:item", namespaces=NS)) == 30


def test_sitemaps_list_every_article_once(served):
    site, base_url = served
    news = etree.fromstring(fetch(base_url, "/news.xml")[2])
    dates = news.xpath("//news:publication_date/text()", namespaces=SM)
    assert dates and all(datetime.fromisoformat(d) >= site.now - timedelta(days=2) for d in dates)
    assert news.xpath("//sm:loc/text()", namespaces=SM)[0] == base_url + site.articles[0].path
    index = etree.fromstring(fetch(base_url, "/sitemap-index.xml")[2])
    months = index.xpath("//sm:sitemap/sm:loc/text()", namespaces=SM)
    assert months and all(index.xpath("//sm:sitemap/sm:lastmod/text()", namespaces=SM))
    listed = []
    for loc in months:
        status, headers, body = fetch(base_url, urlsplit(loc).path)
        assert status == 200 and headers["Content-Type"] == "application/xml; charset=UTF-8"
        listed += etree.fromstring(body).xpath("//sm:loc/text()", namespaces=SM)
    assert sorted(listed) == sorted(base_url + a.path for a in site.articles)


def test_robots_txt_names_the_sitemaps_and_disallows_a_linked_path(served):
    site, base_url = served
    status, headers, body = fetch(base_url, "/robots.txt")
    lines = body.decode().splitlines()
    assert status == 200 and headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert "Disallow: /intern/" in lines
    assert f"Sitemap: {base_url}/sitemap-index.xml" in lines and f"Sitemap: {base_url}/news.xml" in lines
    assert site.intern_path.startswith("/intern/") and re.search(r"-\d{8}\.html$", site.intern_path)
    assert fetch(base_url, site.intern_path)[0] == 200  # it exists: only robots.txt keeps a crawler out


# -- HTTP behaviour ------------------------------------------------------------------------------------------------
def test_urls_redirect_like_ippen_and_unknown_ones_404(served):
    site, base_url = served
    seed = site.article(SEED_ARTICLE_ID)
    status, headers, _ = fetch(base_url, f"/welt/anderer-slug-{SEED_ARTICLE_ID}.html")
    assert (status, headers["Location"]) == (301, base_url + seed.path)
    assert fetch(base_url, "/politik")[1]["Location"] == base_url + "/politik/"
    assert fetch(base_url, "/politik/nichts-12345678.html")[0] == 404
    status, headers, body = fetch(base_url, seed.path, "HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 50_000
    status, _, body = fetch(base_url, seed.path + "?itm_source=homepage&itm_medium=teaser")
    assert status == 200 and base_url + seed.path in body.decode()


def test_request_log_keeps_what_tests_assert_on(fresh):
    site, base_url = fresh
    fetch(base_url, "/?itm_source=x", headers={"User-Agent": "newsmon-test", "If-None-Match": '"abc"'})
    (record,) = [r for r in site.requests if r.path == "/?itm_source=x"]
    assert (record.method, record.status, record.fault) == ("GET", 200, None)
    assert record.bytes_sent > 10_000
    assert record.headers["User-Agent"] == "newsmon-test" and record.headers["If-None-Match"] == '"abc"'
    site.clear_requests()
    assert site.requests == []


# -- controls ------------------------------------------------------------------------------------------------------
def test_edit_changes_page_etag_and_modified(fresh):
    site, base_url = fresh
    site.conditional = True
    seed = site.article(SEED_ARTICLE_ID)
    _, before, _ = fetch(base_url, seed.path)
    edited = site.edit_article(
        SEED_ARTICLE_ID, headline="Blinken reist nach Kiew", kicker="Diplomatie", body=["Neuer Text.", "Mehr."]
    )
    assert edited.version == 2 and edited.modified > seed.modified and edited.seo_title == "Blinken reist nach Kiew"
    doc, after, _ = page(base_url, seed.path)
    assert after["ETag"] != before["ETag"]
    assert parsedate_to_datetime(after["Last-Modified"]) == edited.modified
    assert text(doc.xpath(cls("id-StoryElement-headline", "h1"))[0]) == "Blinken reist nach Kiew"
    assert text(doc.xpath(cls("id-StoryElement-kicker", "p"))[0]) == "Diplomatie"
    assert [text(p) for p in doc.xpath(cls("id-StoryElement-paragraph", "p"))][:2] == ["Neuer Text.", "Mehr."]
    home, _, _ = page(base_url, "/")
    site.edit_article(SEED_ARTICLE_ID, teaser_headline="Kiew-Reise")
    assert "Kiew-Reise" in fetch(base_url, "/")[2].decode()
    assert "Kiew-Reise" not in html.tostring(home, encoding="unicode")
    with pytest.raises(TypeError):
        site.edit_article(SEED_ARTICLE_ID, colour="red")


def test_move_gives_301_and_remove_gives_410_or_404(fresh):
    site, base_url = fresh
    article, other = site.articles[1], site.articles[2]
    old = article.path
    moved = site.move_article(article.id, "ganz-neuer-slug")
    status, headers, _ = fetch(base_url, old)
    assert (status, headers["Location"]) == (301, base_url + moved.path)
    doc, _, _ = page(base_url, moved.path)
    assert doc.xpath("//link[@rel='canonical']/@href") == [base_url + moved.path]
    site.remove_article(article.id)
    assert fetch(base_url, moved.path)[0] == 410 and fetch(base_url, old)[0] == 410
    site.remove_article(other.id, gone=False)
    assert fetch(base_url, other.path)[0] == 404
    home = fetch(base_url, "/")[2].decode() + fetch(base_url, "/news.xml")[2].decode()
    assert moved.path not in home and other.path not in home
    assert article.id not in {a.id for a in site.articles}


def test_added_article_leads_homepage_and_feeds(fresh):
    site, base_url = fresh
    new_id = site.add_article(section="sport", headline="Bayern gewinnt das Derby", lead="Ein Spiel.", body=["Tor."])
    added = site.article(new_id)
    assert site.articles[0].id == new_id and added.path.startswith("/sport/bayern-gewinnt-das-derby-")
    doc, _, _ = page(base_url, "/")
    assert urlsplit(doc.xpath(cls("id-LinkOverlay-link", "a") + "/@href")[0]).path == added.path
    feed = etree.fromstring(fetch(base_url, "/sport/rssfeed.rdf")[2])
    assert feed.xpath("//rss:item/rss:link/text()", namespaces=NS)[0] == base_url + added.path
    doc, _, _ = page(base_url, added.path)
    assert text(doc.xpath(cls("id-StoryElement-headline", "h1"))[0]) == "Bayern gewinnt das Derby"


def test_conditional_requests_answer_304(fresh):
    site, base_url = fresh
    path = site.articles[3].path
    assert "ETag" not in fetch(base_url, path)[1]
    site.conditional = True
    _, headers, _ = fetch(base_url, path)
    etag, modified = headers["ETag"], headers["Last-Modified"]
    status, headers, body = fetch(base_url, path, headers={"If-None-Match": etag})
    assert (status, body, headers["ETag"]) == (304, b"", etag)
    assert fetch(base_url, path, headers={"If-Modified-Since": modified})[0] == 304
    assert fetch(base_url, path, headers={"If-None-Match": '"other"'})[0] == 200
    _, home, _ = fetch(base_url, "/")
    assert fetch(base_url, "/", headers={"If-None-Match": home["ETag"]})[0] == 304
    site.remove_article(site.articles[-1].id)  # listings change though no listed article did
    assert fetch(base_url, "/", headers={"If-Modified-Since": home["Last-Modified"]})[0] == 200


# -- faults --------------------------------------------------------------------------------------------------------
def test_status_faults_and_count(fresh):
    site, base_url = fresh
    path = site.articles[2].path
    site.set_fault(rf"{site.articles[2].id}\.html$", "500", count=2)
    assert [fetch(base_url, path)[0] for _ in range(3)] == [500, 500, 200]
    site.set_fault("^/welt/", "410")
    site.set_fault("^/politik/$", "404")
    assert fetch(base_url, "/welt/")[0] == 410 and fetch(base_url, "/politik/")[0] == 404
    assert [r.fault for r in site.requests][:2] == ["500", "500"]
    site.clear_faults()
    assert fetch(base_url, "/welt/")[0] == 200


def test_slow_fault_delays_the_answer(fresh):
    site, base_url = fresh
    site.set_fault("^/$", "slow", delay=0.3, count=1)
    started = time.monotonic()
    assert fetch(base_url, "/")[0] == 200
    assert time.monotonic() - started >= 0.3


def test_truncate_fault_sends_fewer_bytes_than_announced(fresh):
    site, base_url = fresh
    path = site.articles[0].path
    site.set_fault(re.escape(path), "truncate", fraction=0.25)
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        announced = int(response.getheader("Content-Length"))
        with pytest.raises(http.client.IncompleteRead) as info:
            response.read()
        assert len(info.value.partial) == announced // 4
    finally:
        conn.close()
    assert site.requests[-1].bytes_sent == announced // 4


def test_charset_faults_declare_the_wrong_encoding(fresh):
    site, base_url = fresh
    site.set_fault("^/$", "wrong_charset")
    status, headers, body = fetch(base_url, "/")
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=iso-8859-1")
    assert "Außenminister".encode() in body  # the bytes are UTF-8 all the same
    assert int(headers["Content-Length"]) == len(body)
    site.clear_faults()
    site.set_fault("^/$", "wrong_charset", declared="utf-8", actual="cp1252")
    body = fetch(base_url, "/")[2]
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    site.clear_faults()
    site.set_fault("news", "unknown_charset")
    _, headers, body = fetch(base_url, "/news.xml")
    assert headers["Content-Type"] == "application/xml; charset=x-newsmon-unknown"
    with pytest.raises(ValueError, match="unknown fault kind"):
        site.set_fault(".", "explode")


# -- control API and command line ----------------------------------------------------------------------------------
def test_cli_controls_a_running_site(fresh, capsys):
    site, base_url = fresh
    url = f"--base-url={base_url}"
    assert cli(["list", url]) == 0
    assert str(SEED_ARTICLE_ID) in capsys.readouterr().out
    assert cli(["edit", url, "--id", str(SEED_ARTICLE_ID), "--headline", "Neu", "--kicker", ""]) == 0
    assert (site.article(SEED_ARTICLE_ID).headline, site.article(SEED_ARTICLE_ID).kicker) == ("Neu", None)
    target = site.articles[2]
    assert cli(["move", url, "--id", str(target.id), "--slug", "verschoben"]) == 0
    assert fetch(base_url, target.path)[0] == 301
    assert cli(["remove", url, "--id", str(target.id), "--status", "404"]) == 0
    assert fetch(base_url, f"/{target.section}/verschoben-{target.id}.html")[0] == 404
    assert cli(["add", url, "--section", "bayern", "--headline", "Föhn", "--paragraph", "Warm."]) == 0
    assert site.articles[0].headline == "Föhn" and site.articles[0].section == "bayern"
    assert cli(["fault", url, "--path", "^/$", "--kind", "500", "--count", "1"]) == 0
    assert fetch(base_url, "/")[0] == 500 and fetch(base_url, "/")[0] == 200
    assert cli(["conditional", url, "on"]) == 0 and site.conditional
    assert cli(["clear-faults", url]) == 0 and site.faults == []
    capsys.readouterr()
    with pytest.raises(SystemExit, match="no such article"):
        cli(["edit", url, "--id", "12345678", "--lead", "x"])
    status, _, body = fetch(base_url, "/_newsmon/state")
    assert status == 200 and json.loads(body)["articles"] == len(site.articles)
    assert not [r for r in site.requests if r.path.startswith("/_newsmon/")]


def test_cli_serve_prints_the_base_url_and_stops_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.localsite", "serve", "--port", "0", "--articles", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url)
        assert fetch(base_url, "/robots.txt")[0] == 200
    finally:
        process.terminate()
        assert process.wait(10) == 0
        process.stdout.close()
        process.stderr.close()


def test_absent_sections_and_feeds_answer_404_for_good():
    site = LocalSite(n_articles=6, seed=2, absent=("bayern", "/sport/rssfeed.rdf"))
    with site.serve(port=0) as base_url:
        statuses = {
            path: fetch(base_url, path)[0] for path in ("/bayern/", "/bayern/rssfeed.rdf", "/sport/rssfeed.rdf")
        }
        assert set(statuses.values()) == {404}, statuses
        assert fetch(base_url, "/sport/")[0] == 200 and fetch(base_url, "/politik/rssfeed.rdf")[0] == 200
        site.set_absent(())
        assert fetch(base_url, "/bayern/")[0] == 200


def test_a_mirror_shows_the_same_site_through_its_own_base_url():
    site = LocalSite(n_articles=6, seed=2)
    seed = site.article(site.seed_article_id)
    with site.serve(port=0) as base_url, site.mirror() as mirror:
        assert mirror != base_url
        status, _, body = fetch(mirror, seed.path)
        page = body.decode()
        assert status == 200 and mirror + seed.path in page and base_url not in page
        assert fetch(mirror, "/politik")[1]["Location"] == mirror + "/politik/"
        assert fetch(base_url, seed.path)[2] == body.replace(mirror.encode(), base_url.encode())
