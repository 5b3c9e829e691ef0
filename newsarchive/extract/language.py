"""A last-resort guess of a text's language, for pages that declare none.

Pages almost always say their language (``<html lang>``, hreflang, og:locale) and profiles name it for the
rest, so this runs on few pages; it must still be cautious: py3langid's model answers, and the guess is None
unless the model is confident and its language has an ISO 639-1 code (what an article's ``language`` holds).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

# The model's cost grows with the text; a few sentences decide as well as the whole body (every benchmark and
# fixture page got the same answer from its first 500, 1000 and 5000 characters).
_SAMPLE = 1000
# Normalised probability of the winner: text with no language in it ("42 17 2025", a site name) scores
# about 0.01; every article body of the benchmark and the fixture sites scores above 0.6.
_MIN_CONFIDENCE = 0.5
_UNDECIDED = "und"


@cache
def _identifier() -> LanguageIdentifier:
    # Loading the model takes about 0.6 s (and imports numpy): only once a page needs a guess, once per process.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True, min_confidence=_MIN_CONFIDENCE)


def guess_language(text: str | None) -> str | None:
    """The ISO 639-1 code of the language that clearly dominates ``text``, else None."""
    if not text or not text.strip():
        return None
    code, _ = _identifier().classify(text[:_SAMPLE])
    return code if code != _UNDECIDED and len(code) == 2 else None
