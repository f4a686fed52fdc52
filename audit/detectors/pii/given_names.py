"""A person the model filed as an organisation or a place: "Seth Meyers" (ORG), "Alex" (GPE).

The small English model was trained on news, where a capitalised unknown word is as often a
company as a person; on social text it files a third of the names it misses under ORG, GPE,
FAC, LOC, PRODUCT or WORK_OF_ART (BTC and WNUT-16 dev sets). An entity of those labels is
made PERSON when its first word is a given name (``data/given_names.txt``, built by
``tools/pii_wordlists.py``), every word is capitalised, no later word is an everyday word
("Victor Valley", "Trinity College" stay) or a place or a state code ("Paris France",
"Charlotte NC" stay), and the whole name is not a known place ("Sierra Leone", "Savannah",
"Kingston", "Georgia" stay).
"""

from __future__ import annotations

import functools
from typing import Any, Final

from audit.detectors.pii.names import wordlist
from audit.detectors.pii.wordlists import read_list

#: Model labels whose entities may be a mis-filed person. NORP ("Christian", "Tory") is not
#: among them: there the first-name test was wrong more often than right.
RELABELLED: Final[frozenset[str]] = frozenset(
    {"ORG", "GPE", "FAC", "LOC", "PRODUCT", "WORK_OF_ART"}
)
#: A later word that is one of these, in capitals, makes the entity "<town> <state>"
#: ("Charlotte NC"; "Robert De Niro" stays a person).
_STATE_CODES: Final[frozenset[str]] = wordlist(
    """al ak az ar ca co ct de fl ga il ia ks ky la md ma mi mn ms mo mt ne nv nh nj
    nm ny nc nd oh pa ri sc sd tn tx ut vt va wa wv wi wy dc nsw qld vic uk usa"""
)
#: Longest entity (in tokens) that is looked at: longer ones are titles and organisations.
MAX_TOKENS: Final = 3


@functools.cache
def given_names() -> frozenset[str]:
    """Given names and short forms, lower case."""
    return frozenset(read_list("given_names.txt"))


def is_misfiled_person(
    words: list[str], label: str, common: frozenset[str], places: frozenset[str]
) -> bool:
    """Whether an entity of ``label`` made of ``words`` is a person (see the module doc)."""
    if label not in RELABELLED or not 1 <= len(words) <= MAX_TOKENS:
        return False
    first = words[0]
    if not first[:1].isupper() or first.isupper() or first.lower() not in given_names():
        return False
    if not all(w[:1].isupper() for w in words):
        return False
    for word in words[1:]:
        lowered = word.lower()
        if lowered in common or lowered in places or (word.isupper() and lowered in _STATE_CODES):
            return False  # "Victor Valley", "Paris France", "Charlotte NC"
    return " ".join(w.lower() for w in words) not in places


def relabel_people(doc: Any, common: frozenset[str], places: frozenset[str]) -> None:
    """Label ``doc``'s mis-filed persons PERSON, in place (the entity spans stay the same)."""
    from spacy.tokens import Span

    ents = list(doc.ents)
    changed = False
    for i, ent in enumerate(ents):
        if is_misfiled_person([t.text for t in ent], ent.label_, common, places):
            ents[i] = Span(doc, ent.start, ent.end, label="PERSON")
            changed = True
    if changed:
        doc.ents = ents
