"""The teaser saver against the real (embedded or MONGO_URI) server: merges across runs, idempotent, A/B kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crawler.changes.detector import ChangeDetector
from crawler.model.teasers import TeaserBook
from crawler.store.change_recorder import ChangeRecorder
from crawler.store.documents import teaser_doc
from crawler.store.savers import TeaserSaver

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
AID = "merkur.de:91245736"
URL = "https://www.merkur.de/politik/ukraine-91245736.html"


def run(headlines_by_page: dict[str, str], at: datetime, run_id: str) -> list[dict]:
    """One run's teaser documents as the pipeline hands them to the store."""
    book = TeaserBook()
    for position, (page, headline) in enumerate(headlines_by_page.items(), start=1):
        book.observe(
            AID,
            {
                "url": URL,
                "site": "merkur.de",
                "page_url": page,
                "position": position,
                "block": "prio",
                "headline": headline,
                "kicker": "Ukraine-Krise",
                "seen_at": at,
            },
        )
    return [teaser_doc(r, f"{run_id}:1", run_id) for r in book.take()]


def test_runs_merge_into_one_document_with_placements_and_variants(db):
    saver = TeaserSaver()
    pages = {
        "https://www.merkur.de/": "Droht die Eskalation?",
        "https://www.merkur.de/politik": "Droht die Eskalation?",
    }
    assert saver.save(db, run(pages, T0, "r1")).written == 1
    assert saver.save(db, run(pages, T0 + timedelta(hours=1), "r2")).written == 1
    # An A/B test on the homepage flips the headline, then flips it back.
    flipped = {**pages, "https://www.merkur.de/": "Baerbock in Kiew: Droht die Eskalation?"}
    saver.save(db, run(flipped, T0 + timedelta(hours=2), "r3"))
    saver.save(db, run(pages, T0 + timedelta(hours=3), "r4"))

    (doc,) = list(db.teasers.find())
    assert doc["_id"] == AID and doc["runs"] == 4 and doc["observations"] == 8
    assert (doc["first_seen"], doc["last_seen"]) == (T0, T0 + timedelta(hours=3))
    assert doc["headline"] == "Droht die Eskalation?"
    headlines = {v["value"]: v for v in doc["variants"].values() if v["field"] == "headline"}
    assert {k: v["count"] for k, v in headlines.items()} == {
        "Droht die Eskalation?": 7,
        "Baerbock in Kiew: Droht die Eskalation?": 1,
    }
    ab = headlines["Baerbock in Kiew: Droht die Eskalation?"]
    assert ab["first_seen"] == ab["last_seen"] == T0 + timedelta(hours=2)
    kickers = [v for v in doc["variants"].values() if v["field"] == "kicker"]
    assert [(k["value"], k["count"]) for k in kickers] == [("Ukraine-Krise", 8)]
    places = sorted((p["page"], p["position"], p["count"]) for p in doc["placements"].values())
    assert places == [("https://www.merkur.de/", 1, 4), ("https://www.merkur.de/politik", 2, 4)]
    assert all(p["first_seen"] == T0 and p["last_seen"] == T0 + timedelta(hours=3) for p in doc["placements"].values())


def test_a_replayed_write_changes_nothing(db):
    saver = TeaserSaver()
    docs = run({"https://www.merkur.de/": "Droht die Eskalation?"}, T0, "r1")
    saver.save(db, [dict(d) for d in docs])
    before = db.teasers.find_one({"_id": AID})
    again = saver.save(db, [dict(d) for d in docs])  # a retry after a lost acknowledgement, or a spool replay
    assert again.written == 0 and not again.retry and not again.rejected
    assert again.counts == {"teasers_already_applied": 1}
    assert db.teasers.find_one({"_id": AID}) == before


def test_an_early_flush_in_a_run_counts_the_run_once(db):
    saver = TeaserSaver()
    first = run({"https://www.merkur.de/": "A"}, T0, "r1")
    second = [{**d, "flush_id": "r1:2", "new_run": False} for d in run({"https://www.merkur.de/welt": "A"}, T0, "r1")]
    saver.save(db, first)
    saver.save(db, second)
    doc = db.teasers.find_one({"_id": AID})
    assert doc["runs"] == 1 and doc["observations"] == 2 and len(doc["placements"]) == 2


def one_page(headline: str, at: datetime, run_id: str, page: str = "https://www.merkur.de/") -> list[dict]:
    return run({page: headline}, at, run_id)


def test_a_wording_that_returns_within_the_window_is_an_ab_flip_and_the_teaser_says_so(db):
    saver = TeaserSaver(ChangeRecorder(ChangeDetector(ab_window=timedelta(days=7))))
    a, b = "Droht die Eskalation?", "Baerbock in Kiew: Droht die Eskalation?"
    saver.save(db, one_page(a, T0, "r1"))
    assert db.changes.count_documents({}) == 0, "a first sighting is no change"
    saver.save(db, one_page(b, T0 + timedelta(hours=1), "r2"))
    saver.save(db, one_page(a, T0 + timedelta(hours=2), "r3"))
    saver.save(db, one_page(b, T0 + timedelta(days=9), "r4"))  # B last seen 9 days ago: outside the window
    changes = [(c["old"], c["new"], c["edit_class"]) for c in db.changes.find().sort("seq", 1)]
    assert changes == [(a, b, "headline_change"), (b, a, "ab_flip"), (a, b, "headline_change")]
    test = db.teasers.find_one({"_id": AID})["ab_tests"]["headline"]
    assert [(w["value"], w["count"]) for w in test["wordings"]] == [(a, 2), (b, 1)]
    assert (test["first_detected"], test["last_detected"]) == (T0 + timedelta(hours=2),) * 2
    assert test["wordings"][0]["last_seen"] == T0 + timedelta(hours=2)


def test_two_wordings_in_one_run_are_an_ab_test(db):
    saver = TeaserSaver(ChangeRecorder())
    a, b = "Droht die Eskalation?", "Baerbock in Kiew: Droht die Eskalation?"
    saver.save(db, one_page(a, T0, "r1"))
    saver.save(
        db, run({"https://www.merkur.de/": a, "https://www.merkur.de/politik": b}, T0 + timedelta(hours=1), "r2")
    )
    (change,) = list(db.changes.find())
    assert (change["field"], change["edit_class"]) == ("teaser.headline", "ab_flip")
    wordings = db.teasers.find_one({"_id": AID})["ab_tests"]["headline"]["wordings"]
    assert sorted(w["value"] for w in wordings) == sorted([a, b])


def test_a_teaser_headline_unlike_its_articles_is_kept_on_the_teaser_not_in_the_feed(db):
    saver = TeaserSaver(ChangeRecorder())
    db.articles.insert_one({"_id": AID, "headline": "US-Außenminister trifft Baerbock"})
    saver.save(db, one_page("Droht die Eskalation?", T0, "r1"))
    saver.save(db, one_page("Droht die Eskalation?", T0 + timedelta(hours=1), "r2"))
    facts = db.teasers.find_one({"_id": AID})["headline_vs_article"]
    assert facts == {"teaser": "Droht die Eskalation?", "article": "US-Außenminister trifft Baerbock", "since": T0}
    db.articles.update_one({"_id": AID}, {"$set": {"headline": "Blinken trifft Baerbock"}})
    saver.save(db, one_page("Droht die Eskalation?", T0 + timedelta(hours=2), "r3"))
    assert db.teasers.find_one({"_id": AID})["headline_vs_article"]["since"] == T0 + timedelta(hours=2)
    db.articles.update_one({"_id": AID}, {"$set": {"headline": "Droht die Eskalation?"}})
    saver.save(db, one_page("Droht die\u00a0Eskalation?", T0 + timedelta(hours=3), "r4"))  # typography only
    assert db.teasers.find_one({"_id": AID})["headline_vs_article"] is None
    assert db.changes.count_documents({}) == 0
