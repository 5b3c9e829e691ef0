"""A last-resort guess of a text's language, for pages that declare none.

Pages almost always say their language (``<html lang>``, hreflang, og:locale) and profiles name it for the
rest, so this only has to be cheap and cautious: it counts very common function words of a few languages and
answers None unless one language clearly wins.
"""

from __future__ import annotations

import re
from collections import Counter

_FUNCTION_WORDS = {
    "en": "the and of to in is that for was on with as by are from at this have has it",
    "ru": "и в не на что с по как это из к о за от для он но у же бы был была также",
    "uk": "і в не на що з по як це до та від для він але у також був була їх",
    "az": "və bu ilə üçün bir də olan ki isə görə da olub edib artıq həm sonra",
    "tr": "ve bir bu için ile da de olarak gibi daha çok ama olan en ise sonra",
    "de": "der die und in den von zu das mit sich des auf für ist im dem nicht ein eine",
    "fr": "le la les de et des en du un une est pour que dans qui au sur pas",
    "es": "de la que el en y los del se las por un para con una su al es",
    "it": "di il che la e per un in del le della non sono una con si",
    "pt": "de que não o da do em para com uma os se no na por mais",
    "nl": "de het een van en in is dat op te zijn met voor niet",
}
_LANGUAGE_OF = {}
for _code, _words in _FUNCTION_WORDS.items():
    for _word in _words.split():
        _LANGUAGE_OF.setdefault(_word, []).append(_code)
_WORD = re.compile(r"\w+")
_SAMPLE = 5000
_MIN_HITS = 5
_MARGIN = 1.5


def guess_language(text: str | None) -> str | None:
    """The ISO 639-1 code of the language that clearly dominates ``text``, else None."""
    if not text:
        return None
    votes: Counter[str] = Counter()
    for word in _WORD.findall(text[:_SAMPLE].lower()):
        for code in _LANGUAGE_OF.get(word, ()):
            votes[code] += 1
    ranked = votes.most_common(2)
    if not ranked or ranked[0][1] < _MIN_HITS:
        return None
    if len(ranked) > 1 and ranked[0][1] < _MARGIN * ranked[1][1]:
        return None
    return ranked[0][0]
