"""verify: find where news articles agree and contradict each other."""

__version__ = "0.1.0"
