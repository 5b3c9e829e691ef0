"""Words for what the CLI prints: counts with the right plural."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 article``, ``2 articles``, ``0 articles`` (thousands separated)."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"
