"""Change detection and alerting, a stage the store calls (`detector.ChangeDetector`): compare two versions of
an article, classify and diff the edits, tell noise and parser drift from edits, and alert (`alerts`). No Scrapy
and no database here; see docs/changes.md.
"""

from crawler.changes.classify import EditClass, classify, significance
from crawler.changes.compare import FieldChange, compare_body, compare_text, compare_versions, field_presence
from crawler.changes.diff import compact, word_diff
from crawler.changes.drift import DriftDetector, DriftOutcome

__all__ = [
    "DriftDetector",
    "DriftOutcome",
    "EditClass",
    "FieldChange",
    "classify",
    "compact",
    "compare_body",
    "compare_text",
    "compare_versions",
    "field_presence",
    "significance",
    "word_diff",
]
