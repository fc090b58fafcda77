"""Stages in order (core.Pipeline), the Ray engine behind the same interface (engine_ray) and the store (store)."""
