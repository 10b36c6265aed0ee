"""The embedded MongoDB-compatible server (mongoeco) and newsmon's contained fixes to it."""
