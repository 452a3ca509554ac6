"""Validation cases: each module exposes ``run(figdir) -> list[Record]``."""
