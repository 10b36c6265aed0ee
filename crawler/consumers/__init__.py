"""For the people downstream of the database: the change feed, exports and a page to browse changes.

Read-only by design: nothing here writes to the store. The documents are described in docs/schema.md, how to
consume them in docs/consumers.md.
"""
