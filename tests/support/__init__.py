"""What tests and bench share, kept out of the installed package (tests/test_wheel.py) and the only part of
`tests` that bench imports (tests/test_support_imports.py): the local publisher site (`localsite`), crawl helpers
(`crawling`), the fault scenarios (`faults`), the mutation benchmark's edits and scoring (`mutations`), the
extraction validation split, a throwaway Redis, and the demos that serve the local site (`make demo`: `demo`;
`distributed_demo`)."""
