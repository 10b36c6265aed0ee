"""Teasers, teaser containers and the newsletter box, cloned from the real IPPEN listing page.

Prototypes come from `listings/deichstube_news_2017_12_18.html` (IPPEN.MEDIA's `id-Teaser-el` markup). As on
that page, each teaser names its headline three times: image alt/title, the h3, and the overlay link.

Teaser markup comes in the generations IPPEN sites use (`KICKER_PLACES`), mixed on every listing page by article
id (so a teaser looks the same wherever and whenever it is shown): the kicker beside the h3 (a
`div.id-Teaser-el-content-kicker` before it), inside it (`span.id-Teaser-el-content-kicker-text` before the
`-headline-text` span, as on fr.de), or none (an article without a kicker).
"""

from __future__ import annotations

import re

from tests.support.localsite.content import BERLIN, ArticleSpec
from tests.support.localsite.markup import Element, by_class, clone, drop, one, set_text

IMAGE_WIDTHS = (2200, 342, 467, 512, 640, 700, 1000, 1024)
TEASER_TEXT_MAX = 250
KICKER_PLACES = ("beside", "inside", "none")
LOAD_MORE_CONTAINER = "416908"
"""The real page's paged container id; section page n is `/<section>/index-vc-416908-<n>.html`."""


def srcset(path: str, widths: tuple[int, ...] = IMAGE_WIDTHS) -> str:
    """Width variants of an image as IPPEN names them (one file per width); all served by the local site."""
    stem = path.removesuffix(".jpg")
    return ", ".join(f"{stem}-{w}w.jpg {w}w" for w in widths)


def shorten(text: str, limit: int = TEASER_TEXT_MAX) -> str:
    """Teaser text cut at a word boundary with an ellipsis, as on the real listing."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def teaser_kicker(spec: ArticleSpec) -> str | None:
    """The kicker the article's teasers show: their own when edited apart, else the article's."""
    return spec.teaser_kicker or spec.kicker


def kicker_place(spec: ArticleSpec) -> str:
    """Where this article's teasers put the kicker: `none` without one, else `beside`/`inside` by id."""
    if not teaser_kicker(spec):
        return "none"
    return KICKER_PLACES[spec.id % 2]


def _set_classes(el: Element, **swap: str) -> None:
    """Swap the value of class modifiers like `id-Teaser-el--prio3` (prio) and `--even`/`--odd` (parity)."""
    classes = el.get("class", "")
    if "prio" in swap:
        classes = re.sub(r"id-Teaser-el--prio\d", f"id-Teaser-el--prio{swap['prio']}", classes)
    if "parity" in swap:
        classes = re.sub(r"id-Teaser-el--(even|odd)", f"id-Teaser-el--{swap['parity']}", classes)
    el.set("class", classes)


class TeaserKit:
    """Builds listing markup from prototypes taken out of the real listing page (parsed once)."""

    def __init__(self, doc: Element) -> None:
        prio = by_class(doc, "id-Teaser-el--prio", "div")
        with_comments = next(t for t in prio if by_class(t, "id-Teaser-el-related-item-comments"))
        self.prio_commented = clone(with_comments)
        for gallery in by_class(self.prio_commented, "id-Teaser-el-related-item-gallery"):
            drop(gallery)
        self.prio_plain = clone(next(t for t in prio if not by_class(t, "id-Teaser-el-related")))
        self.block = clone(one(doc, "id-Teaser-el--blockStyle", "div"))
        containers = by_class(doc, "id-Container", "div")
        self.plain_box = clone(containers[0])
        self.headed_box = clone(next(c for c in containers if "id-Container--hasHeadline" in c.get("class", "")))
        self.swiper = clone(next(c for c in containers if by_class(c, "id-Teaser-el--blockStyle")))
        self.paged = clone(next(c for c in containers if by_class(c, "id-Swiper-loadMore")))
        self.form_box = clone(doc.xpath("//form[contains(@class, 'id-Form')]/..")[0])
        self.lb_prio = clone(one(doc, "id-Teaser-el--prio--LB", "div"))
        self.cell = clone(self.lb_prio[0])
        for parent in (self.lb_prio, self.cell):
            for child in list(parent):
                parent.remove(child)

    # -- single teasers -----------------------------------------------------------------------------------------
    def teaser(
        self,
        spec: ArticleSpec,
        href: str,
        *,
        prio: int = 3,
        parity: str = "even",
        comments: int | None = None,
        image_base: str = "",
    ) -> Element:
        """One article teaser: image (alt/title), date, kicker, headline, text and the overlay link."""
        el = clone(self.prio_commented if comments is not None else self.prio_plain)
        _set_classes(el, prio=str(prio), parity=parity)
        title = spec.teaser_headline
        wrap = one(el, "id-Teaser-el-image-wrap")
        if spec.image:
            img = wrap.xpath(".//img")[0]
            img.set("srcset", srcset(image_base + spec.image.path))
            img.set("alt", title)
            img.set("title", title)
            img.set("src", image_base + spec.image.path)
        else:
            drop(wrap)
            el.set("class", el.get("class", "").replace("id-Teaser-el--hasimage", "").strip())
        for link in by_class(el, "id-Teaser-el-related-item-comments-link", "a"):
            link.set("href", href + "#idAnchComments")
            set_text(one(link, "id-Teaser-el-related-item-comments-link-value"), str(comments))
        local = spec.published.astimezone(BERLIN)
        time = el.xpath(".//time")[0]
        time.set("datetime", f"{local:%Y-%m-%dT%H:%M}")
        set_text(one(time, "id-DateTime-date"), f"{local:%d.%m.%y}")
        headline = one(el, "id-Teaser-el-content-headline-text")
        set_text(headline, title)
        h3 = headline.getparent()
        for old in by_class(el, "id-Teaser-el-content-kicker"):
            drop(old)
        place = kicker_place(spec)
        if place == "beside":  # -kicker wraps -kicker-text as -headline (the h3) wraps -headline-text
            kicker = h3.makeelement("div", {"class": "id-Teaser-el-content-kicker"})
            kicker.append(h3.makeelement("span", {"class": "id-Teaser-el-content-kicker-text"}))
            kicker[0].text = teaser_kicker(spec)
            kicker.tail = h3.tail
            h3.addprevious(kicker)
        elif place == "inside":  # the h3 holds the kicker's span before the headline's
            span = h3.makeelement("span", {"class": "id-Teaser-el-content-kicker-text"})
            span.text = teaser_kicker(spec)
            span.tail = " "
            headline.addprevious(span)
        set_text(one(el, "id-Teaser-el-content-text-text"), shorten(spec.lead))
        overlay = one(el, "id-LinkOverlay-link", "a")
        overlay.set("href", href)
        overlay.set("title", title)
        set_text(overlay, title)
        return el

    def link_teaser(self, title: str, href: str, parity: str = "even") -> Element:
        """A headline-only block teaser (the real page uses them for its sub-sections)."""
        el = clone(self.block)
        _set_classes(el, parity=parity)
        for img in el.xpath(".//img"):
            img.set("alt", title)
            img.set("title", title)
        set_text(one(el, "id-Teaser-el-content-headline-text"), title)
        overlay = one(el, "id-LinkOverlay-link", "a")
        overlay.set("href", href)
        overlay.set("title", title)
        set_text(overlay, title)
        return el

    # -- containers ---------------------------------------------------------------------------------------------
    def _rows(self, teasers: list[Element]) -> Element:
        lb = clone(self.lb_prio)
        for teaser in teasers:
            cell = clone(self.cell)
            cell.append(teaser)
            lb.append(cell)
        return lb

    def container(
        self, teasers: list[Element], headline: str | None = None, container_id: str | None = None
    ) -> Element:
        """A teaser container as on the real page, with a visible headline when given."""
        box = clone(self.headed_box if headline else self.plain_box)
        if container_id:
            box.set("data-id-container-ct", f'{{"containerId":"{container_id}"}}')
            if box.get("id"):
                box.set("id", f"id-Container-{container_id}")
        content = one(box, "id-Container-content")
        for child in list(content):
            content.remove(child)
        content.text = None
        if headline:
            set_text(one(box, "id-Container-headline-text"), headline)
        content.append(self._rows(teasers))
        return box

    def link_container(self, links: list[tuple[str, str]]) -> Element:
        """The swiper of block teasers, here linking the site's sections."""
        box = clone(self.swiper)
        row = one(box, "id-Teaser-el--blockStyle--LB")
        cells = list(row)
        for cell in cells[1:]:
            row.remove(cell)
        proto = clone(cells[0])
        row.remove(cells[0])
        for i, (title, href) in enumerate(links):
            cell = clone(proto)
            for old in list(cell):
                cell.remove(old)
            cell.append(self.link_teaser(title, href, "even" if i % 2 == 0 else "odd"))
            row.append(cell)
        return box

    def paged_container(self, teasers: list[Element], more_href: str | None) -> Element:
        """The real page's paged container: teasers and a "Mehr laden" link to the next page, if any."""
        box = clone(self.paged)
        target = box.xpath(".//div[starts-with(@id, 'id-js-LoadMore')]")[0]
        for child in list(target):
            if "id-Swiper-loadMore-wrapper" not in child.get("class", ""):
                target.remove(child)
        target.insert(0, self._rows(teasers))
        more = one(box, "id-Swiper-loadMore", "a")
        if more_href:
            more.set("href", f"{more_href}#{target.get('id')}")
            more.attrib.pop("data-id-loadmoreconf", None)
        else:
            drop(more.getparent())
        return box

    def newsletter(self, action: str) -> Element:
        """The newsletter sign-up box, built from the real page's `id-Form` (e-mail field, mandatory hint)."""
        box = clone(self.form_box)
        box.set("id", "id-Newsletter")
        box.set("class", "id-Newsletter id-content-upload")
        form = box.xpath(".//form")[0]
        form.set("action", action)
        form.set("id", "id-form-newsletter")
        form.set("data-id-mconf", '{"formTitle" : "Newsletter", "trackingEnabled" : false}')
        containers = by_class(form, "id-Form-el-container")
        for extra in containers[1:]:
            if "id-Form-el-validationHint" not in extra.get("class", "") and not extra.xpath(".//*[@type='submit']"):
                drop(extra)
        headline = form.makeelement("h3", {"class": "id-Newsletter-headline"})
        headline.text = "Unsere News per Mail"
        form.insert(0, headline)
        hint = by_class(form, "id-Form-el-validationHint")[0]
        note = hint.makeelement("p", {"class": "id-Form-el-container id-Newsletter-text"})
        note.text = (
            "Nach der Registrierung erhalten Sie eine E-Mail mit einem Bestätigungslink. Erst mit Anklicken "
            "dieses Links ist die Anmeldung abgeschlossen. Ihre Einwilligung zum Erhalt des Newsletters können "
            "Sie jederzeit über einen Link am Ende jeder E-Mail widerrufen."
        )
        hint.addprevious(note)
        for submit in form.xpath(".//input[@type='submit']"):
            submit.set("value", "Anmelden")
            submit.set("data-id-default-value", "Anmelden")
        return box
