"""The declared version of ingest, in a module of its own so that the ingest cache can key on it without importing
the package (which imports the cache)."""

VERSION = "3"  # bump it when this package changes what it reads (tests/pipeline/test_versions.py)
