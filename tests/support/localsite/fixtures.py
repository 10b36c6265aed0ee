"""Where the real fixtures live and how to read them: the local site is built from these files only."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "NEWSMON_FIXTURES_DIR"
PROJECT_ROOT = Path(__file__).resolve().parents[3]

ARTICLE_TEMPLATE = "articles/fundus/de/Merkur_2023_04_28.html"
LISTING_TEMPLATE = "listings/deichstube_news_2017_12_18.html"
RDF_TEMPLATE = "feeds/tagesschau_rdf_rss1.xml"
SEED_TEXT = "seed/merkur_article_text_2022_01.txt"
FUNDUS_DIR = "articles/fundus/de"


class FixturesNotFound(FileNotFoundError):
    """The shared fixtures are missing; the message names the path that was tried."""


def fixtures_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The fixtures directory: the argument, else $NEWSMON_FIXTURES_DIR, else <project>/../shared/fixtures.

    Read at call time (never at import), so tests and the CLI can point elsewhere.
    """
    if explicit is not None:
        path, how = Path(explicit), "fixtures_dir argument"
    elif os.environ.get(ENV_VAR):
        path, how = Path(os.environ[ENV_VAR]), f"${ENV_VAR}"
    else:
        path, how = PROJECT_ROOT.parent / "shared" / "fixtures", "default"
    needed = [ARTICLE_TEMPLATE, LISTING_TEMPLATE, RDF_TEMPLATE, SEED_TEXT]
    missing = [name for name in needed if not (path / name).is_file()]
    if missing:
        raise FixturesNotFound(
            f"newsmon local site: real fixtures not found at {path.resolve()} ({how}; missing {missing[0]}). "
            f"Check out ../shared beside the project, set ${ENV_VAR} or pass fixtures_dir=."
        )
    return path


def read_text(root: Path, name: str) -> str:
    return (root / name).read_text(encoding="utf-8")
