"""The mutation benchmark's edits with known ground truth and their scoring (bench/mutations.py, issue 5).

Edits of articles of the local publisher site (`tests.support.localsite`), each with what the change detector
should report (field family, edit class); noise that is no edit; `make_plans`, `apply_setup` and `apply_edits`
to apply them to a site; `score` to match detected changes against the truth. Shared by `bench/mutations.py`,
which crawls the edited site and reports the scores (docs/benchmarks.md), and `tests/test_bench_mutations.py`,
which checks the edits and the scoring in process.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from crawler.changes import compact
from tests.support.localsite import LocalSite
from tests.support.localsite.content import SECTIONS, ArticleSpec, Block

SITE = "merkur.de"
Fields = dict[str, Any]
"""What an edit may change: kicker, headline, teaser_headline, lead, body (list of Blocks), authors (list), image."""
EDITABLE = ("kicker", "headline", "teaser_headline", "lead", "body", "authors", "image")
Truth = tuple[str, str]
"""(field family, edit class) expected on an article."""

# -- word banks ----------------------------------------------------------------------------------------------------
KICKERS = (
    "Droht die Eskalation?",
    "Eilmeldung",
    "Neue Wendung",
    "Nach Krisengipfel",
    "Streit eskaliert",
    "Exklusiv",
    "Wende im Prozess",
    "Alarm in der Koalition",
)
HEADLINE_TAILS = (
    "Was jetzt auf die Bürger zukommt",
    "Experten schlagen Alarm",
    "Was bisher bekannt ist",
    "Die Regierung reagiert",
    "Droht die Eskalation?",
)
HEADLINE_PREFIXES = ("Nach heftiger Kritik", "Eilmeldung", "Überraschende Wende", "Droht die Eskalation?")
SYNONYMS = {
    "sagte": "erklärte",
    "sagt": "erklärt",
    "jedoch": "allerdings",
    "allerdings": "jedoch",
    "sehr": "äußerst",
    "wegen": "aufgrund",
    "bisher": "bislang",
    "bislang": "bisher",
    "rund": "etwa",
    "etwa": "rund",
    "viele": "zahlreiche",
    "zahlreiche": "viele",
    "zudem": "außerdem",
    "außerdem": "zudem",
    "erneut": "wieder",
    "wieder": "erneut",
    "derzeit": "aktuell",
    "aktuell": "derzeit",
    "bereits": "schon",
    "schon": "bereits",
    "weil": "da",
    "zunächst": "vorerst",
    "deutlich": "klar",
    "Menschen": "Leute",
    "nun": "jetzt",
    "jetzt": "nun",
    "wichtig": "bedeutend",
    "groß": "gewaltig",
    "große": "gewaltige",
    "neue": "frische",
    "neuen": "frischen",
    "zeigt": "belegt",
    "gilt": "zählt",
    "kaum": "wenig",
    "immer": "stets",
    "fast": "nahezu",
    "ganz": "völlig",
    "bald": "demnächst",
    "mindestens": "wenigstens",
    "offenbar": "offensichtlich",
    "dabei": "hierbei",
    "dafür": "hierfür",
    "warum": "weshalb",
    "weitere": "zusätzliche",
    "wichtigsten": "zentralen",
    "schneller": "rascher",
    "Risiken": "Gefahren",
    "analysiert": "untersucht",
    "festgestellt": "ermittelt",
    "noch": "weiterhin",
    "erkennen": "identifizieren",
    "bekämpfen": "eindämmen",
    "mutmaßliche": "vermeintliche",
    "Behörden": "Ämter",
    "Kritik": "Tadel",
}
"""Word swaps for lead rewordings (far apart in spelling, so never a typo)."""
NOTICES = (
    "Korrektur: In einer früheren Version dieses Artikels hieß es, das Treffen finde am Dienstag statt. "
    "Richtig ist Mittwoch.",
    "Anmerkung der Redaktion: Wir haben diesen Artikel nach Hinweisen von Leserinnen und Lesern korrigiert.",
    "Transparenzhinweis: In einer früheren Fassung dieses Textes war ein Zitat dem falschen Sprecher zugeordnet.",
    "Korrektur (4. Mai): Eine frühere Version nannte eine falsche Zahl von Teilnehmern. Wir haben den Fehler "
    "korrigiert.",
    "Richtigstellung: Anders als zunächst berichtet, war die Feuerwehr an dem Einsatz nicht beteiligt.",
    "Update, 14.30 Uhr: Die Stadtverwaltung hat die Angaben inzwischen bestätigt.",
)
AUTHORS = (
    "Lisa Brenner",
    "Jonas Albrecht",
    "Miriam Kessler",
    "Tobias Hartmann",
    "Sandra Vogt",
    "Felix Reuter",
    "Katrin Wolff",
    "Daniel Seidel",
)
RELATIVE_TIMES = ("vor 5 Minuten", "vor einer Stunde", "vor 2 Std.", "Vor 12 Minuten")
TICKING = (
    ("vor 3 Minuten", "vor 27 Minuten"),
    ("vor 1 Std.", "vor 2 Std."),
    ("Aktualisiert: 03.05.2024, 07:12 Uhr", "Aktualisiert: 03.05.2024, 09:48 Uhr"),
    ("1.234 Aufrufe · 12 Kommentare", "1.377 Aufrufe · 15 Kommentare"),
    ("Lesezeit: 3 Min.", "Lesezeit: 4 Min."),
)
"""Volatile blocks: inserted with the edits, or on the page from the baseline crawl on and changed with the edits."""
NOISE_BLOCKS = {*RELATIVE_TIMES, *(text for pair in TICKING for text in pair)}
NOTICE_WORDS = re.compile(r"Korrektur|Update|Aktualisier|Redaktion|früheren|Richtigstellung|Transparenz|korrigiert")
NO_TYPO_IN = re.compile(
    r"^(?:sekunde|minute|stunde|aufrufe|kommentar|lesezeit|aktualisiert|erstellt|veröffentlicht|geändert|"
    r"montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag|januar|jänner|februar|märz|april|"
    r"mai|juni|juli|august|september|oktober|november|dezember|gestern|heute|morgen)"
)
NUMBER = re.compile(r"(?<![\w.,:/-])\d{1,4}(?![\w,:/-]|\.\d)")
NUMBER_WORDS = (
    "zwei",
    "drei",
    "vier",
    "fünf",
    "sechs",
    "sieben",
    "acht",
    "neun",
    "zehn",
    "zwölf",
    "zwanzig",
    "hundert",
)
NUMBER_WORD = re.compile(rf"(?<![\w-])(?:{'|'.join(NUMBER_WORDS)})(?![\w-])")
SENTENCE_END = re.compile(r"(?<=[^\W\d_][.!?])\s+(?=[A-ZÄÖÜ„\"])")


# -- fields and text helpers ---------------------------------------------------------------------------------------
def fields_of(spec: ArticleSpec) -> Fields:
    return {
        "kicker": spec.kicker,
        "headline": spec.headline,
        "teaser_headline": spec.teaser_headline,
        "lead": spec.lead,
        "body": list(spec.body),
        "authors": list(spec.authors),
        "image": spec.image,
    }


def copy_fields(f: Fields) -> Fields:
    return {**f, "body": list(f["body"]), "authors": list(f["authors"])}


def changed(old: Fields, new: Fields) -> dict[str, Any]:
    """The keyword arguments of `LocalSite.edit_article` that turn `old` into `new`."""
    return {name: new[name] for name in EDITABLE if new[name] != old[name]}


def words(text: str) -> int:
    return len(text.split())


def prose(f: Fields, minimum: int = 6, kinds: tuple[str, ...] = ("paragraph",)) -> list[int]:
    """Indexes of body blocks worth editing: not the first paragraph (it carries the dateline), not short, never
    a noise block ("vor 3 Minuten")."""
    paragraphs = [i for i, b in enumerate(f["body"]) if b.kind == "paragraph"]
    blocks = [i for i, b in enumerate(f["body"]) if b.kind in kinds and i not in paragraphs[:1]]
    return [i for i in blocks if words(f["body"][i].text) >= minimum and f["body"][i].text not in NOISE_BLOCKS]


def set_block(f: Fields, index: int, text: str) -> Fields:
    out = copy_fields(f)
    out["body"][index] = replace(out["body"][index], text=text)
    return out


def plain(text: str | None) -> str:
    """A text without the typography and spacing the noise edits play with (to tell what an edit changed)."""
    text = (text or "").replace("\u00ad", "").replace("–", "-").translate(str.maketrans("„“”", '"""'))
    return " ".join(text.split())


def synonym(word: str) -> str | None:
    if word in SYNONYMS:
        return SYNONYMS[word]
    if word[:1].isupper() and word.lower() in SYNONYMS:  # a sentence starting with it
        return SYNONYMS[word.lower()].capitalize()
    return None


def reword(text: str, rng: random.Random) -> tuple[str, str] | None:
    """One to three words swapped for synonyms: (new text, note), or None without a word to swap."""
    hits = [m for m in re.finditer(r"(?<![\w-])[^\W\d_]+(?![\w-])", text) if synonym(m.group())]
    if not hits:
        return None
    chosen = sorted(rng.sample(hits, min(len(hits), rng.choice((1, 2, 2, 3)))), key=lambda m: m.start())
    out, last = [], 0
    for m in chosen:
        out += [text[last : m.start()], synonym(m.group())]
        last = m.end()
    return "".join([*out, text[last:]]), ", ".join(f"{m.group()} → {synonym(m.group())}" for m in chosen)


def make_typo(word: str, rng: random.Random) -> str:
    """One character edit inside a word (never its first letter): a dropped, doubled or swapped letter."""
    for _ in range(20):
        i = rng.randrange(1, len(word) - 1)
        kind = rng.choice(("drop", "double", "swap"))
        if kind == "drop":
            typo = word[:i] + word[i + 1 :]
        elif kind == "double":
            typo = word[:i] + word[i] + word[i:]
        else:
            typo = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if typo != word:
            return typo
    return word[:-1]


def typo_candidates(text: str) -> list[re.Match[str]]:
    """Plain words of 6+ letters that name no day or month (nor a unit of "vor 5 Minuten" and other volatile
    fragments): their misspelling is a typo, nothing else."""
    return [m for m in re.finditer(r"(?<![\w-])[^\W\d_]{6,}(?![\w-])", text) if not NO_TYPO_IN.match(m.group().lower())]


def misspell(text: str, rng: random.Random) -> str | None:
    found = typo_candidates(text)
    if not found:
        return None
    m = rng.choice(found)
    return text[: m.start()] + make_typo(m.group(), rng) + text[m.end() :]


# -- edits with known ground truth ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mutation:
    """One edit: `after` is the article once edited; `before` (typo fixes) the state the baseline crawl sees."""

    kind: str
    after: Fields
    expected: tuple[Truth, ...]
    note: str
    before: Fields | None = None


@dataclass
class Context:
    """What edits draw on: text from the other articles of the site, and which articles listing pages tease."""

    paragraphs: list[tuple[str, str]]
    """(source fixture, paragraph text)."""
    teased: set[int]

    def paragraph(self, source: str, rng: random.Random) -> str:
        while True:
            other, text = rng.choice(self.paragraphs)
            if other != source:
                return text


def kicker_change(f: Fields, spec: ArticleSpec, ctx: Context, rng: random.Random) -> Mutation | None:
    drop = f["kicker"] and rng.random() < 0.1
    new = None if drop else rng.choice([k for k in KICKERS if k != f["kicker"]])
    return Mutation("kicker change", {**f, "kicker": new}, (("kicker", "headline_change"),), f"{f['kicker']} → {new}")


def headline_rewrite(f: Fields, spec: ArticleSpec, ctx: Context, rng: random.Random) -> Mutation | None:
    old = f["headline"]
    head, colon, _ = old.partition(": ")
    style = rng.randrange(3)
    if style == 0 and colon:
        new = f"{head}: {rng.choice(HEADLINE_TAILS)}"
    elif style == 1:
        new = f"{rng.choice(HEADLINE_PREFIXES)}: {old}"
    else:
        tail = old.split(": ", 1)[-1].split()
        new = f"{rng.choice(HEADLINE_TAILS)} – {' '.join(tail[: max(3, len(tail) // 2)])}"
    if new == old:
        return None
    return Mutation("headline rewrite", {**f, "headline": new}, (("headline", "headline_change"),), f"→ {new}")


def headline_typo_fix(f: Fields, spec: ArticleSpec, ctx: Context, rng: random.Random) -> Mutation | None:
    typo = misspell(f["headline"], rng)
    if typo is None:
        return None
    return Mutation(
        "headline typo fix", f, (("headline", "typo_fix"),), f"{typo} → {f['headline']}", {**f, "headline": typo}
    )


def lead_rewording(f: Fields, spec: ArticleSpec, ctx: Context, rng: random.Random) -> Mutation | None:
    done = reword(f["lead"], rng)
    if done is None:
        return None
    return Mutation("lead rewording", {**f, "lead": done[0]}, (("lead", "rewording"),), done[1])


def body_rewording(f: Fields, spec: ArticleSpec, ctx: Context, rng: random.Random) -> Mutation | None:
    places = [i for i in prose(f) if reword(f["body"][i].text, random.Random(0))]
    if not places:
        return None
    i = rng.choice(places)
    new, note = reword(f["body"][i].text, rng) or ("", "")
    return Mutation("body rewording", set_block(f, i, new), (("body", "rewording"),), f"block {i}: {note}")


def teaser_headline_change(f: Fields, spec: ArticleSpec, ctx: Context, rng: random.Random) -> Mutation | None:
    """The homepage/section teaser gets another headline; the article page keeps its own."""
    if spec.id not in ctx.teased:
        return None
    old = f["teaser_headline"]
    new = f"{rng.choice(HEADLINE_PREFIXES)}: {old.split(': ', 1)[-1]}"
    if plain(new) == plain(old):
        return None
    # The teaser headline now reads otherwise than the article's: a fact on the teaser document
    # (`headline_vs_article`), not a change; the teaser's own wording changing is.
    expected = (("teaser.headline", "headline_change"),)
    return Mutation("teaser headline change", {**f, "teaser_headline": new}, expected, f"→ {new}")


def body_addition(f: Fields, spec: ArticleSpec, ctx: Context, rng: random.Random) -> Mutation | None:
    places = prose(f, 1)
    if not places:
        return None
    text = ctx.paragraph(spec.source, rng)
    out = copy_fields(f)
    if rng.random() < 0.5:
        at = rng.choice(places) + 1
        out["body"].insert(at, Block("paragraph", text))
        note = f"paragraph inserted at {at}: {text[:60]}"
    else:
        at = rng.choice(places)
        sentence = SENTENCE_END.split(text)[0]
        out["body"][at] = replace(out["body"][at], text=f"{out['body'][at].text} {sentence}")
        note = f"sentence appended to block {at}: {sentence[:60]}"
    return Mutation("body addition", out, (("body", "addition"),), note)


def body_removal(f: Fields, spec: ArticleSpec, ctx: Context, rng: random.Random) -> Mutation | None:
    places = prose(f)
    if not places:
        return None
    at = rng.choice(places)
    text = f["body"][at].text
    sentences = SENTENCE_END.split(text)
    out = copy_fields(f)
    if len(sentences) > 2 and rng.random() < 0.5:
        gone = rng.randrange(1, len(sentences))
        out["body"][at] = replace(out["body"][at], text=" ".join(s for i, s in enumerate(sentences) if i != gone))
        note = f"sentence {gone} of block {at} removed: {sentences[gone][:60]}"
    else:
        del out["body"][at]
        note = f"block {at} removed: {text[:60]}"
    return Mutation("body removal", out, (("body", "removal"),), note)


def number_update(f: Fields, spec: ArticleSpec, ctx: Context, rng: random.Random) -> Mutation | None:
    """A figure in a paragraph updated: "12" → "15", or, where the text spells it, "drei" → "vier"."""
    digits = [(i, m) for i in prose(f) for m in NUMBER.finditer(f["body"][i].text)]
    spelled = [(i, m) for i in prose(f) for m in NUMBER_WORD.finditer(f["body"][i].text)]
    if not digits and not spelled:
        return None
    i, m = rng.choice(spelled if spelled and (not digits or rng.random() < 0.3) else digits)
    number = m.group()
    if not number.isdigit():
        new = rng.choice([w for w in NUMBER_WORDS if w != number])
    elif 1900 <= int(number) <= 2099:
        new = str(int(number) + rng.choice((-1, 1)))
    else:
        new = str(int(number) + rng.randint(1, 9))
    text = f["body"][i].text
    return Mutation(
        "number update",
        set_block(f, i, text[: m.start()] + new + text[m.end() :]),
        (("body", "update"),),
        f"block {i}: {number} → {new}",
    )


def correction_notice(f: Fields, spec: ArticleSpec, ctx: Context, rng: random.Random) -> Mutation | None:
    """A notice as a last block, appended to the last paragraph, or as a first block above the text."""
    notice = rng.choice(NOTICES)
    out = copy_fields(f)
    where = rng.choice(("end", "end", "inline", "top"))
    last = max((i for i, b in enumerate(out["body"]) if b.kind == "paragraph"), default=None)
    if where == "inline" and last is not None:
        out = set_block(out, last, f"{out['body'][last].text} ({notice})")
    elif where == "top":
        out["body"].insert(0, Block("paragraph", notice))
    else:
        where = "end"
        out["body"].append(Block("paragraph", notice))
    return Mutation("correction notice", out, (("body", "correction_notice"),), f"{where}: {notice[:50]}")


def body_typo_fix(f: Fields, spec: ArticleSpec, ctx: Context, rng: random.Random) -> Mutation | None:
    places = [i for i in prose(f, 3, ("paragraph", "crosshead")) if typo_candidates(f["body"][i].text)]
    if not places:
        return None
    i = rng.choice(places)
    typo = misspell(f["body"][i].text, rng)
    assert typo is not None
    return Mutation("body typo fix", f, (("body", "typo_fix"),), f"block {i}", set_block(f, i, typo))


def author_change(f: Fields, spec: ArticleSpec, ctx: Context, rng: random.Random) -> Mutation | None:
    """An author replaced (class rewording), added (addition) or, of two or more, one removed (removal)."""
    authors = list(f["authors"])
    name = rng.choice([a for a in AUTHORS if a not in authors])
    roll = rng.random()
    if len(authors) > 1 and roll < 0.3:
        note, truth = f"- {authors.pop(rng.randrange(len(authors)))}", "removal"
    elif authors and roll < 0.7:
        gone = rng.randrange(len(authors))
        note, truth = f"{authors[gone]} → {name}", "rewording"
        authors[gone] = name
    else:
        authors.append(name)
        note, truth = f"+ {name}", "addition"
    return Mutation("author change", {**f, "authors": authors}, (("authors", truth),), note)


MUTATIONS: dict[str, Callable[[Fields, ArticleSpec, Context, random.Random], Mutation | None]] = {
    "kicker change": kicker_change,
    "headline rewrite": headline_rewrite,
    "headline typo fix": headline_typo_fix,
    "lead rewording": lead_rewording,
    "body addition": body_addition,
    "body removal": body_removal,
    "number update": number_update,
    "correction notice": correction_notice,
    "body typo fix": body_typo_fix,
    "body rewording": body_rewording,
    "author change": author_change,
    "teaser headline change": teaser_headline_change,
}
HEADLINE_KINDS = {"kicker change", "headline rewrite", "headline typo fix"}
"""Edits of the page's kicker or headline, which teasers of the article show too."""


# -- noise: edits that are not edits -------------------------------------------------------------------------------
def text_slots(f: Fields) -> list[tuple[str, int | None]]:
    """Every text of an article: (field, block index or None)."""
    names = ("kicker", "headline", "teaser_headline", "lead")
    slots: list[tuple[str, int | None]] = [(name, None) for name in names if f[name]]
    return slots + [("body", i) for i, b in enumerate(f["body"]) if b.kind != "list"]


def get_text(f: Fields, slot: tuple[str, int | None]) -> str:
    name, index = slot
    return f["body"][index].text if index is not None else f[name]


def put_text(f: Fields, slot: tuple[str, int | None], text: str) -> Fields:
    name, index = slot
    return set_block(f, index, text) if index is not None else {**f, name: text}


def rewrite_somewhere(f: Fields, rng: random.Random, rewrite: Callable[[str], str | None]) -> Fields | None:
    """Apply `rewrite` to one random text of the article where it does anything."""
    slots = text_slots(f)
    rng.shuffle(slots)
    for slot in slots:
        new = rewrite(get_text(f, slot))
        if new is not None and new != get_text(f, slot):
            return put_text(f, slot, new)
    return None


def swap_dash(text: str) -> str | None:
    if " – " in text:
        return text.replace(" – ", " - ", 1)
    if " - " in text:
        return text.replace(" - ", " – ", 1)
    return None


def swap_quotes(text: str) -> str | None:
    if m := re.search(r"„([^“”\"]+)[“”]", text):
        return text[: m.start()] + f'"{m.group(1)}"' + text[m.end() :]
    if m := re.search(r'"([^"]+)"', text):
        return text[: m.start()] + f"„{m.group(1)}“" + text[m.end() :]
    return None


class Noise:
    """A kind of noise edit: `setup` (before the baseline crawl, may be a no-op) and `apply` (with the edits)."""

    name = ""

    def setup(self, f: Fields, rng: random.Random) -> Fields:
        return f

    def apply(self, f: Fields, rng: random.Random) -> Fields | None:
        raise NotImplementedError


class Typography(Noise):
    name = "typography"

    def apply(self, f: Fields, rng: random.Random) -> Fields | None:
        first, second = (swap_dash, swap_quotes) if rng.random() < 0.5 else (swap_quotes, swap_dash)
        return rewrite_somewhere(f, rng, first) or rewrite_somewhere(f, rng, second)


class Spaces(Noise):
    """A double space, a no-break space or a soft hyphen between/inside words."""

    name = "spaces"

    def apply(self, f: Fields, rng: random.Random) -> Fields | None:
        kind = rng.choice(("double", "nbsp", "shy"))

        def rewrite(text: str) -> str | None:
            if kind == "shy":
                long = [m for m in re.finditer(r"[^\W\d_]{8,}", text)]
                if not long:
                    return None
                m = rng.choice(long)
                cut = rng.randrange(3, len(m.group()) - 3)
                return text[: m.start() + cut] + "\u00ad" + text[m.start() + cut :]
            gaps = [m.start() for m in re.finditer(r"(?<=\w) (?=\w)", text)]
            if not gaps:
                return None
            at = rng.choice(gaps)
            return text[:at] + ("  " if kind == "double" else "\u00a0") + text[at + 1 :]

        return rewrite_somewhere(f, rng, rewrite)


class RelativeTime(Noise):
    """A ticker stamp block "vor 5 Minuten" inserted between two blocks."""

    name = "relative time inserted"

    def apply(self, f: Fields, rng: random.Random) -> Fields | None:
        out = copy_fields(f)
        label = rng.choice(RELATIVE_TIMES)
        out["body"].insert(rng.randrange(1, len(out["body"]) + 1), Block("paragraph", label))
        return out


class Ticking(Noise):
    """A volatile block already on the page at the baseline crawl, changed with the edits."""

    name = "ticking"

    def __init__(self, rng: random.Random) -> None:
        self.old, self.new = rng.choice(TICKING)
        self.name = f"ticking ({self.old.split()[0].lower().rstrip(':')})"

    def setup(self, f: Fields, rng: random.Random) -> Fields:
        out = copy_fields(f)
        out["body"].insert(rng.randrange(1, len(out["body"]) + 1), Block("paragraph", self.old))
        return out

    def apply(self, f: Fields, rng: random.Random) -> Fields | None:
        out = copy_fields(f)
        at = next((i for i, b in enumerate(out["body"]) if b.text == self.old), None)
        if at is None:
            return None
        out["body"][at] = Block("paragraph", self.new)
        return out


class Tracking(Noise):
    """Tracking parameters on the article image's URL (the only link an edit of an article can reach)."""

    name = "tracking parameters"

    def apply(self, f: Fields, rng: random.Random) -> Fields | None:
        image = f["image"]
        if image is None or "?" in image.path:
            return None
        query = rng.choice(("utm_source=newsletter&utm_medium=email", "itm_source=story_detail&itm_campaign=x"))
        return {**f, "image": replace(image, path=f"{image.path}?{query}")}


class ParagraphBreak(Noise):
    """A paragraph split in two at a sentence end, or two paragraphs joined: the same words, other blocks."""

    name = "paragraph split/merge"

    def apply(self, f: Fields, rng: random.Random) -> Fields | None:
        out = copy_fields(f)
        body = out["body"]
        blocks = prose(f, 6)
        splits = [(i, parts) for i in blocks if len(parts := SENTENCE_END.split(body[i].text)) > 1]
        merges = [i for i in blocks if i + 1 in blocks and body[i + 1].kind == "paragraph"]
        if splits and (not merges or rng.random() < 0.5):
            i, parts = rng.choice(splits)
            cut = rng.randrange(1, len(parts))
            body[i : i + 1] = [Block("paragraph", " ".join(parts[:cut])), Block("paragraph", " ".join(parts[cut:]))]
        elif merges:
            i = rng.choice(merges)
            body[i : i + 2] = [Block("paragraph", f"{body[i].text} {body[i + 1].text}")]
        else:
            return None
        return out


def noises(rng: random.Random) -> list[Noise]:
    kinds: list[Callable[[], Noise]] = [Typography, Spaces, RelativeTime, lambda: Ticking(rng), Tracking]
    kinds.append(ParagraphBreak)
    return [make() for make in rng.sample(kinds, rng.choice((1, 1, 2, 3)))]


# -- the plan ------------------------------------------------------------------------------------------------------
@dataclass
class Plan:
    """What happens to one article: its edit (or none), its noise, and what the detector should find."""

    article: int
    mutation: Mutation | None
    noise: list[Noise]
    setup: Fields
    """The article as the baseline crawl sees it (typos and ticking blocks in place)."""
    applied_noise: list[str] = field(default_factory=list)
    expected: set[Truth] = field(default_factory=set)

    @property
    def kind(self) -> str:
        return self.mutation.kind if self.mutation else "noise only" if self.applied_noise else "untouched"


def teased(site: LocalSite) -> set[int]:
    """Articles the homepage and the section pages tease (what the spider reads teasers from)."""
    ids: set[int] = set()
    for path in ["/", *(f"/{name}/" for name in SECTIONS)]:
        html = site.respond(path).body.decode("utf-8")
        ids |= {int(x) for x in re.findall(r'href="[^"]*-(\d{8})\.html', html)}
    return ids


def make_plans(site: LocalSite, rng: random.Random, edit_share: float, noise_share: float) -> list[Plan]:
    specs = site.articles
    paragraphs = [(s.source, b.text) for s in specs for b in s.body if b.kind == "paragraph" and words(b.text) >= 12]
    ctx = Context([(s, t) for s, t in paragraphs if not NOTICE_WORDS.search(t)], teased(site))
    plans = []
    for spec in specs:
        f = fields_of(spec)
        chosen = noises(rng) if rng.random() < noise_share else []
        for noise in chosen:
            f = noise.setup(f, rng)
        mutation = None
        if rng.random() < edit_share:
            kinds = list(MUTATIONS)
            rng.shuffle(kinds)
            mutation = next((m for k in kinds if (m := MUTATIONS[k](copy_fields(f), spec, ctx, rng))), None)
        setup = mutation.before if mutation and mutation.before else f
        plans.append(Plan(spec.id, mutation, chosen, setup))
    return plans


def apply_setup(site: LocalSite, plans: list[Plan]) -> int:
    count = 0
    for plan in plans:
        edit = changed(fields_of(site.article(plan.article)), plan.setup)
        if edit:
            site.edit_article(plan.article, **edit)
            count += 1
    return count


def apply_edits(site: LocalSite, plans: list[Plan], rng: random.Random) -> None:
    """Edit the site; each plan's expected set gets the page fields (teaser fields are added after the crawl)."""
    for plan in plans:
        current = fields_of(site.article(plan.article))
        f = plan.mutation.after if plan.mutation else current
        for noise in plan.noise:
            noisy = noise.apply(f, rng)
            if noisy is not None:
                f = noisy
                plan.applied_noise.append(noise.name)
        edit = changed(current, f)
        if edit:
            site.edit_article(plan.article, **edit)
        if plan.mutation:
            plan.expected = set(plan.mutation.expected)


def add_teaser_truth(
    plans: list[Plan], before: dict[str, Any], after: dict[str, Any], old: dict[int, ArticleSpec], site: LocalSite
) -> None:
    """Teaser edits the detector should see: a teaser headline or kicker that changed (beyond typography) with an
    edit of the page's headline or kicker, on an article teased before and in the edit crawl. As the detector
    compares teasers, a teaser kicker that appears or goes is no teaser change. An article teased in only one of
    the crawls expects no teaser change (a teaser headline edit of it then expects nothing at all)."""
    for plan in plans:
        if not plan.mutation or plan.mutation.kind not in {*HEADLINE_KINDS, "teaser headline change"}:
            continue
        aid = f"{SITE}:{plan.article}"
        seen_again = aid in before and after.get(aid, {}).get("runs", 0) > before[aid].get("runs", 0)
        if plan.mutation.kind == "teaser headline change":
            plan.expected = set(plan.mutation.expected) if seen_again else set()
            continue
        if not seen_again:
            continue
        spec_old, spec_new = old[plan.article], site.article(plan.article)
        ((_, edit_class),) = plan.mutation.expected
        if plain(spec_old.teaser_headline) != plain(spec_new.teaser_headline):
            plan.expected.add(("teaser.headline", edit_class))
        if spec_old.kicker and spec_new.kicker and plain(spec_old.kicker) != plain(spec_new.kicker):
            plan.expected.add(("teaser.kicker", edit_class))


# -- scoring -------------------------------------------------------------------------------------------------------
@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def to_dict(self) -> dict[str, Any]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": self.precision, "recall": self.recall}


def family(name: str) -> str:
    """The field a change is matched on: headline variants fold into `headline` (as the detector folds them)."""
    return "headline" if name.startswith("headline_variants.") else name


def describe(change: dict[str, Any], width: int = 110) -> str:
    text = compact(change.get("diff") or [])
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass
class Score:
    by_kind: dict[str, Tally]
    by_class: dict[str, Tally]
    by_field: dict[str, Tally]
    overall: Tally
    headline_kicker: Tally
    metadata: Tally
    extra_passages: int
    fp_by_noise: dict[str, int]
    """False positives on the articles that got each kind of noise (an article may have several kinds)."""
    misses: list[dict[str, Any]]
    false_positives: list[dict[str, Any]]


def score(plans: list[Plan], changes: list[dict[str, Any]]) -> Score:
    """Match detected changes to the ground truth by (article, field family, class).

    - A detected key (article, family, class) in the truth is a true positive, once however many changes carry it;
      the further changes with the same key (a body edit split into two passages of the same class) are counted
      as `extra_passages`, not scored.
    - A truth key without a detection is a false negative; a detection without a truth key is a false positive.
      So a change on the right field with the wrong class is a miss for the true class and a false positive for
      the class given.
    - Editorial changes only (`editorial` True); metadata is scored apart: `modified` is expected on every
      article the edit crawl saw changed (the local site stamps every edit), any other metadata change is a
      false positive.
    """
    plan_of = {f"{SITE}:{p.article}": p for p in plans}
    truth = {(f"{SITE}:{p.article}", fam, cls) for p in plans for fam, cls in p.expected}
    found: Counter[tuple[str, str, str]] = Counter()
    examples: dict[tuple[str, str, str], dict[str, Any]] = {}
    meta_found: set[tuple[str, str]] = set()
    for change in changes:
        if not change.get("editorial", True):
            meta_found.add((change["article_id"], change["field"]))
            continue
        key = (change["article_id"], family(change["field"]), change["edit_class"])
        found[key] += 1
        examples.setdefault(key, change)
    by_kind: defaultdict[str, Tally] = defaultdict(Tally)
    by_class: defaultdict[str, Tally] = defaultdict(Tally)
    by_field: defaultdict[str, Tally] = defaultdict(Tally)
    overall, headline_kicker = Tally(), Tally()
    misses, false_positives = [], []

    def count(key: tuple[str, str, str], outcome: str) -> None:
        aid, fam, cls = key
        plan = plan_of.get(aid)
        tallies = [by_kind[plan.kind if plan else "unknown"], by_class[cls], by_field[fam], overall]
        if fam in ("headline", "kicker"):
            tallies.append(headline_kicker)
        for tally in tallies:
            setattr(tally, outcome, getattr(tally, outcome) + 1)

    for key in sorted(truth):
        if key in found:
            count(key, "tp")
        else:
            count(key, "fn")
            plan = plan_of[key[0]]
            got = sorted({(f, c) for a, f, c in found if a == key[0]})
            misses.append(
                {
                    "article_id": key[0],
                    "kind": plan.kind,
                    "field": key[1],
                    "expected": key[2],
                    "detected_on_article": got,
                    "note": plan.mutation.note if plan.mutation else "",
                    "noise": plan.applied_noise,
                }
            )
    for key in sorted(set(found) - truth):
        count(key, "fp")
        plan = plan_of.get(key[0])
        false_positives.append(
            {
                "article_id": key[0],
                "kind": plan.kind if plan else "unknown",
                "field": key[1],
                "edit_class": key[2],
                "diff": describe(examples[key]),
                "noise": plan.applied_noise if plan else [],
            }
        )
    fp_by_noise = Counter(n for fp in false_positives for n in set(fp["noise"]))
    metadata = Tally()
    meta_truth = {(f"{SITE}:{p.article}", "modified") for p in plans if p.mutation or p.applied_noise}
    metadata.tp = len(meta_truth & meta_found)
    metadata.fn = len(meta_truth - meta_found)
    metadata.fp = len(meta_found - meta_truth)
    extra = sum(n - 1 for n in found.values())
    return Score(
        dict(by_kind),
        dict(by_class),
        dict(by_field),
        overall,
        headline_kicker,
        metadata,
        extra,
        dict(fp_by_noise),
        misses,
        false_positives,
    )
