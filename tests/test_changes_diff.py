"""Word diffs: typography is never a change, the ops rebuild both texts, the compact form reads like git's."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from crawler.changes.diff import changed_words, compact, list_diff, tokenize, value_diff, word_diff


def texts(ops: list[dict[str, str]]) -> tuple[str, str]:
    old = " ".join(op["old"] for op in ops if op["old"])
    new = " ".join(op["new"] for op in ops if op["new"])
    return old, new


def test_one_word_replaced_in_the_seed_crosshead() -> None:
    ops = word_diff(
        "US-Außenminister Blinken will in Ukraine-Krise vermitteln: Treffen mit Barbock am Donnerstag",
        "US-Außenminister Blinken will in Ukraine-Krise vermitteln: Treffen mit Baerbock am Donnerstag",
    )
    assert [op["op"] for op in ops] == ["equal", "replace", "equal"]
    assert ops[1] == {"op": "replace", "old": "Barbock", "new": "Baerbock"}
    assert compact(ops) == (
        "US-Außenminister Blinken will in Ukraine-Krise vermitteln: Treffen mit [-Barbock-]{+Baerbock+} am Donnerstag"
    )
    assert changed_words(ops) == 1


def test_typography_is_matched_away_but_originals_are_kept() -> None:
    ops = word_diff("Putin „Sicherheitsgarantien“ – darunter", 'Putin "Sicherheitsgarantien" - darunter')
    assert [op["op"] for op in ops] == ["equal"]
    assert ops[0]["old"] == "Putin „Sicherheitsgarantien“ – darunter"
    assert ops[0]["new"] == 'Putin "Sicherheitsgarantien" - darunter'


def test_punctuation_stays_with_its_word() -> None:
    ops = word_diff("Dies lehnt das Westbündnis ab.", "Dies lehnt das Westbündnis ab, sagte er.")
    assert compact(ops) == "Dies lehnt das Westbündnis [-ab.-]{+ab, sagte er.+}"


def test_single_equal_words_between_changes_are_folded() -> None:
    ops = word_diff("Der Kanzler sagte am Montag in Berlin", "Die Ministerin erklärte am Dienstag in Berlin")
    assert ops[0] == {
        "op": "replace",
        "old": "Der Kanzler sagte am Montag",
        "new": "Die Ministerin erklärte am Dienstag",
    }
    assert ops[1]["op"] == "equal"


def test_insert_delete_and_empty_sides() -> None:
    assert word_diff(None, "Droht die Eskalation?") == [{"op": "insert", "old": "", "new": "Droht die Eskalation?"}]
    assert word_diff("Droht die Eskalation?", "") == [{"op": "delete", "old": "Droht die Eskalation?", "new": ""}]
    assert word_diff("", None) == []
    assert compact(word_diff("a b", "a b c")) == "a b {+c+}"


def test_compact_context_elides_long_unchanged_runs() -> None:
    old = " ".join(f"w{i}" for i in range(30))
    new = old.replace("w15", "X")
    assert compact(word_diff(old, new), context=2) == "… w13 w14 [-w15-]{+X+} w16 w17 …"


def test_soft_hyphen_only_words_are_dropped() -> None:
    assert tokenize("a \u00ad b\u00ad") == [("a", "a"), ("b\u00ad", "b")]


def test_list_and_value_diffs() -> None:
    ops = list_diff(["Ukraine", "Russland"], ["Ukraine", "Nato"])
    assert ops == [
        {"op": "equal", "old": "Ukraine", "new": "Ukraine"},
        {"op": "replace", "old": "Russland", "new": "Nato"},
    ]
    assert value_diff(None, True) == [{"op": "replace", "old": "", "new": "True"}]


words = st.lists(st.sampled_from(["die", "der", "Baerbock", "Barbock", "Blinken,", "trifft", "5", "7", "„Krieg“"]))


@given(words, words)
def test_ops_rebuild_both_texts(old: list[str], new: list[str]) -> None:
    ops = word_diff(" ".join(old), " ".join(new))
    assert texts(ops) == (" ".join(old), " ".join(new))
    assert all(op["op"] in ("equal", "insert", "delete", "replace") for op in ops)
    assert (changed_words(ops) == 0) == (old == new)


def test_changed_words_ignore_moved_punctuation_and_folded_words() -> None:
    assert changed_words(word_diff("Treffen mit Barbock am Donnerstag", "Treffen mit Baerbock am Freitag")) == 2
    assert changed_words(word_diff("Dies lehnt es ab.", "Dies lehnt es ab, sagte er.")) == 2
    assert changed_words(word_diff("in Berlin", "in Berlin,")) == 1
