"""Ingest: files and folders -> cleaned :class:`~verify.records.Article` records with offsets into the originals.

Modules, each importing only those above it:

- ``files``: reading one file safely (regular files only, size caps held while reading) and decoding it
  (UTF-8/UTF-16, legacy encodings detected); the short quotes of paths and values that warnings use.
- ``outlets``: outlet names, aliases and domains from the knowledge packs; ``infer_source``.
- ``cleaning``: offset-tracked cleaning of published text (``clean``, ``guess_title``).
- ``html``: an HTML page's main text (trafilatura's, mapped back onto the page's own offsets; a built-in
  extractor when that fails) and its metadata tags.
- ``metadata``: sidecar files, Markdown front matter, metadata dates, dates inferred from the text and
  the ``--date`` overrides.
- ``filecache``: the keys and entries of the ingest cache (a file's articles and warnings, kept in the store).
- ``readers``: the formats (.txt, .md, .html/.htm, .jsonl), folders and ``load_articles``.

This package re-exports what the rest of verify uses.
"""

from verify.ingest.cleaning import CHAR_MAP, DROP_CHARS, clean, guess_title
from verify.ingest.metadata import MAX_YEAR, MIN_YEAR, override_dates
from verify.ingest.outlets import infer_source
from verify.ingest.readers import load_articles
from verify.ingest.version import VERSION  # bump it there when this package changes (tests/pipeline/test_versions.py)

__all__ = ["CHAR_MAP", "DROP_CHARS", "MAX_YEAR", "MIN_YEAR", "VERSION", "clean", "guess_title", "infer_source",
           "load_articles", "override_dates"]
