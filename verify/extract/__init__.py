"""Claims out of articles: check-worthy sentences (claims), their values (values: the one number/date/quantity
model) and the time they are about (timeinfo)."""

# The declared version of claim extraction (this package, nlp.py, the knowledge loader, the records it makes):
# bump it when they change (tests/pipeline/test_versions.py fails until you do).
VERSION = "2"
