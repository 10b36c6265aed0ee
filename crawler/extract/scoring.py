"""The extractor as the scoring tool (`../shared/tools/score_extraction.py`) calls it.

python ../shared/tools/score_extraction.py --extractor newsmon=crawler.extract.scoring:extract --extractor trafilatura
"""

from __future__ import annotations

import contextlib
from typing import Any

from crawler.extract.dates import read_date
from crawler.extract.parsing import ExtractionError
from crawler.extract.profiles import extract_article
from crawler.model.bylines import split_agencies


def extract(html: str, url: str, **meta: Any) -> dict[str, Any]:
    """`{"title", "authors", "date", "body"}`; the date is aware, in the offset the page wrote it (same instant).

    `authors` are newsmon's `authors` followed by its `agency` organisations: fundus' ground truth lists credited
    agencies and organisations among the authors (`dpa`, `Reuters`, `ndr.de`), newsmon keeps them apart.
    `extract_persons` scores the persons alone."""
    try:
        article = extract_article(html, url)
    except ExtractionError:
        return {"title": None, "authors": [], "date": None, "body": ""}
    when = read_date(article.published_raw) if article.published_raw else None
    parts = ([article.lead] if article.lead else []) + [b.text for b in article.body if b.kind == "paragraph"]
    return {
        "title": article.headline,
        "authors": article.authors + [a for a in split_agencies(article.agency) if a not in article.authors],
        "date": when.value if when else article.published,
        "body": "\n\n".join(parts),
    }


def extract_persons(html: str, url: str, **meta: Any) -> dict[str, Any]:
    """As `extract`, with `authors` the persons only (agencies and organisations left out)."""
    out = extract(html, url, **meta)
    with contextlib.suppress(ExtractionError):
        out["authors"] = extract_article(html, url).authors
    return out
