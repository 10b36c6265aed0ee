"""The extraction validation split: a third of the fixture publishers, set aside before any rule was written.

Rules are written against the other publishers only; the validation publishers are only ever scored
(`../shared/tools/score_extraction.py` through `--data`), never read. The draw is a seeded shuffle of the sorted
publisher names, so anyone gets the same list:

    python bench/extraction_split.py                  # prints the validation publishers
    python bench/extraction_split.py --make /tmp/split # symlink trees DIR/{all,training,validation}/fundus/de
    python ../shared/tools/score_extraction.py --data /tmp/split/validation \\
        --extractor newsmon=crawler.extract.scoring:extract --extractor trafilatura

The two IPPEN.MEDIA publishers are left out of the draw: their pages are pinned field by field by
tests/test_extract_ippen.py, so they are read anyway.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from tests.support.extraction_split import FIXTURES, publisher_of, validation_publishers  # noqa: E402


def make_trees(out: Path, fixtures: Path = FIXTURES) -> None:
    """Symlink trees the scorer reads with `--data`: all pages, the training and the validation publishers."""
    held = set(validation_publishers(fixtures))
    for page in sorted((fixtures / "fundus" / "de").iterdir()):
        if page.suffix not in (".html", ".json"):
            continue
        part = "validation" if publisher_of(page.stem) in held else "training"
        for tree in ("all", part):
            target = out / tree / "fundus" / "de" / page.name
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                target.symlink_to(page)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--make", type=Path, help="write symlink trees for --data into this directory")
    args = parser.parse_args()
    if args.make:
        make_trees(args.make)
    print(" ".join(validation_publishers()))


if __name__ == "__main__":
    main()
