"""Words for what the CLI prints: counts with the right plural."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None, *, thousands: bool = False) -> str:
    """``1 article``, ``2 articles``, ``0 articles``; ``thousands`` separates them (``2,048 bytes``)."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}" if thousands else f"{count} {word}"
