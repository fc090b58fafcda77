"""The top-level models/ folder, installed as the package data verify._models (registry + shipped model)."""
