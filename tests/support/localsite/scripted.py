"""Script-rendered variants of the local site's pages, for the rendering tests and benchmark.

Under `/js/` the site serves pages that need JavaScript, built from the same real markup as the plain pages:

- `/js/` lists every article (`/js/mixed/` too, every other teaser linking the plain page); its teaser
  containers are not in the HTML but in an inline JSON script (`<script type="application/json"
  id="newsmon-teasers">`), and a script puts them into the page's column;
- `/js/<section>/<slug>-<id>.html` is the article page whose body (paragraphs, crossheads, figure, ad slots)
  sits in an inline JSON script (`id="newsmon-story"`) and is inserted after the lead once the DOM is loaded.

- on a plain section page (`LocalSite.LAZY_SECTION`, page 1), after its plain teasers, an empty container that a
  script fills once the page has loaded (the `load` event) with a teaser container from inline JSON
  (`id="newsmon-lazy-teasers"`): the articles those teasers link are linked nowhere else on the site.

Read as plain HTML, the listing has no teasers and the article has a headline and a lead but no body; a browser
shows both exactly as the plain pages.
"""

from __future__ import annotations

import json

from tests.support.localsite.markup import Element, fragment, one

PREFIX = "/js"
"""Path prefix of the scripted variants."""
LISTING_PATH = f"{PREFIX}/"
MIXED_PATH = f"{PREFIX}/mixed/"
"""Like LISTING_PATH, but every other teaser links the plain article page."""

_INSERT_TEASERS = (
    "(function(){var s=document.getElementById('newsmon-teasers');var c=s.parentNode;"
    "JSON.parse(s.textContent).forEach(function(h){c.insertAdjacentHTML('beforeend',h);});})();"
)
_FILL_LAZY = (
    "window.addEventListener('load',function(){var s=document.getElementById('newsmon-lazy-teasers');"
    "var c=document.getElementById('id-js-LazyTeasers');"
    "JSON.parse(s.textContent).forEach(function(h){c.insertAdjacentHTML('beforeend',h);});});"
)
_INSERT_STORY = (
    "document.addEventListener('DOMContentLoaded',function(){"
    "var lead=document.querySelector('p.id-StoryElement-leadText');"
    "var blocks=JSON.parse(document.getElementById('newsmon-story').textContent);"
    "for(var i=blocks.length-1;i>=0;i--){lead.insertAdjacentHTML('afterend',blocks[i]);}});"
)


def _json_script(element_id: str, data: list[str], maker: Element) -> Element:
    script = maker.makeelement("script", {"type": "application/json", "id": element_id})
    script.text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return script


def _code(maker: Element, code: str) -> Element:
    script = maker.makeelement("script", {})
    script.text = code
    return script


def script_listing(column: Element) -> None:
    """Move the teaser containers of a listing's main column into inline JSON plus an inserting script."""
    containers = [child for child in column if isinstance(child.tag, str)]
    for child in containers:
        column.remove(child)
    data = _json_script("newsmon-teasers", [fragment(c) for c in containers], column)
    column.append(data)
    column.append(_code(column, _INSERT_TEASERS))


def lazy_block(column: Element, containers: list[Element]) -> None:
    """Append an empty container to a listing's column that a script fills with `containers` after load."""
    holder = column.makeelement("div", {"id": "id-js-LazyTeasers", "class": "id-js-LazyTeasers"})
    column.append(holder)
    column.append(_json_script("newsmon-lazy-teasers", [fragment(c) for c in containers], column))
    column.append(_code(column, _FILL_LAZY))


def script_story(story: Element) -> None:
    """Move an article's body (everything between the lead and the recommendations) into inline JSON."""
    lead = one(story, "id-StoryElement-leadText", "p")
    blocks: list[str] = []
    node = lead.getnext()
    while node is not None and "id-Recommendation" not in (node.get("class") or ""):
        following = node.getnext()
        if isinstance(node.tag, str):
            blocks.append(fragment(node))
        story.remove(node)
        node = following
    lead.tail = None
    lead.addnext(_code(story, _INSERT_STORY))
    lead.addnext(_json_script("newsmon-story", blocks, story))
