"""Support shared by tests and bench: the local publisher site and crawl helpers."""
