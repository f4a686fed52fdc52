"""The language of a social-media text, offline, so English NER runs only on English.

lingua (``lingua-language-detector``) ships its n-gram models in the wheel; it is restricted
to :data:`LANGUAGES` (the languages most common in social exports) and run in low-accuracy
mode (trigrams only: ~8,000 short texts per CPU-second here, vs ~2,000 in high-accuracy mode,
and no 3 s model preload per worker).

Two things make short social posts hard for any n-gram detector, and are handled here:

- Names, handles, hashtags and URLs carry no language (and a text full of names looks
  Dutch or Tagalog to lingua), so only the *lower-case* words are looked at (capitalised
  words are mostly names; all-caps words are shouting and are lower-cased). A Latin-script
  text with fewer than :data:`MIN_WORDS` such words is ``"und"`` (undetermined).
- Low-accuracy mode mistakes short English for Tagalog, Polish or Swedish ("wiz khalifa is
  shit"). English function words settle it: a text whose words are at least
  :data:`ENGLISH_FUNCTION_SHARE` English stop words is English whatever lingua says.

The result is an ISO 639-1 code or ``"und"``; the detector runs the English NER model on
``"en"`` and ``"und"`` texts only (patterns are language-independent).
"""

from __future__ import annotations

import functools
import re
from typing import Any, Final

#: Languages lingua chooses among (ISO 639-1 names as lingua's ``Language`` members).
LANGUAGES: Final = (
    "ENGLISH",
    "SPANISH",
    "PORTUGUESE",
    "FRENCH",
    "GERMAN",
    "ITALIAN",
    "DUTCH",
    "SWEDISH",
    "POLISH",
    "TURKISH",
    "INDONESIAN",
    "TAGALOG",
    "RUSSIAN",
    "ARABIC",
    "HINDI",
    "JAPANESE",
    "CHINESE",
    "KOREAN",
)
UNDETERMINED: Final = "und"
#: Fewer lower-case words than this in a Latin-script text: undetermined.
MIN_WORDS: Final = 4
#: At least this share of English stop words among the words: English.
ENGLISH_FUNCTION_SHARE: Final = 0.25

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
#: Handles and hashtags, also in tokenised form ("@ user", "# tag").
_TAG = re.compile(r"[@#]\s?\w+")
#: A whole word of letters (not the letters inside "bc1qar0s" or "v2").
_WORD = re.compile(r"(?<!\w)[^\W\d_]+(?:['’][^\W\d_]+)?(?!\w)")
_LATIN = re.compile(r"[A-Za-zÀ-ɏ]")


@functools.cache
def _detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in LANGUAGES]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


@functools.cache
def _english_stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | {"i", "im", "u", "ur", "lol", "omg", "gonna", "wanna", "gotta"}


def language_words(text: str) -> list[str]:
    """The words that tell the language: lower-case ones (and all-caps ones, lowered)."""
    text = _TAG.sub(" ", _URL.sub(" ", text))
    return [w.lower() for w in _WORD.findall(text) if w.islower() or (w.isupper() and len(w) > 1)]


def _is_latin_script(text: str) -> bool:
    if text.isascii():
        return True
    letters = sum(map(str.isalpha, text))
    return len(_LATIN.findall(text)) * 2 >= letters


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text``'s language, or ``"und"`` when the text is too short to tell."""
    if not _is_latin_script(text):
        # Non-Latin scripts: lingua tells them apart from the characters alone.
        found = _detector().detect_language_of(_TAG.sub(" ", _URL.sub(" ", text)))
        return found.iso_code_639_1.name.lower() if found is not None else UNDETERMINED
    words = language_words(text)
    if len(words) < MIN_WORDS:
        return UNDETERMINED
    stop = _english_stop_words()
    if sum(w in stop for w in words) >= ENGLISH_FUNCTION_SHARE * len(words):
        return "en"
    found = _detector().detect_language_of(" ".join(words))
    return found.iso_code_639_1.name.lower() if found is not None else UNDETERMINED


def runs_english_ner(language: str) -> bool:
    """Whether the English NER model may look at a text in ``language``."""
    return language in ("en", UNDETERMINED)
