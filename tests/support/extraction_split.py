"""The extraction validation split: a third of the fixture publishers, set aside before any rule was written.

Rules are written against the other publishers only; the validation publishers are only ever scored, never read
(`bench/extraction_split.py` prints them and builds the scorer's trees; tests/test_extract_pages.py holds them to
their floors). The draw is a seeded shuffle of the sorted publisher names, so anyone gets the same list. The two
IPPEN.MEDIA publishers are left out of the draw: their pages are pinned field by field by
tests/test_extract_ippen.py, so they are read anyway.
"""

from __future__ import annotations

import random
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "articles"
SEED = 18
"""The issue that set the split aside (issue 18)."""
ALWAYS_READ = ("Merkur", "FrankfurterRundschau")


def publisher_of(stem: str) -> str:
    """`BerlinerZeitung_2024_04_26` -> `BerlinerZeitung`."""
    return stem.rsplit("_", 3)[0]


def validation_publishers(fixtures: Path = FIXTURES) -> list[str]:
    """A third of the fixture publishers (rounded), drawn by a seeded shuffle of the sorted names."""
    names = sorted({publisher_of(p.stem) for p in (fixtures / "fundus" / "de").glob("*.html")})
    pool = [n for n in names if n not in ALWAYS_READ]
    random.Random(SEED).shuffle(pool)
    return sorted(pool[: round(len(names) / 3)])
