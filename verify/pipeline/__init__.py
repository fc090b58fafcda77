"""Stages in order (core.Pipeline), the engines that run the models (engine_local, engine_ray), what is cached and
under which keys (caches) and the store (store)."""

# The declared version of the flow (core), pairing and the store: bump it when they change
# (tests/pipeline/test_versions.py fails until you do).
VERSION = "15"
