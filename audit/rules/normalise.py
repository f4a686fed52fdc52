"""Value normalisation of known fields: one spelling of a value matches every other.

Exports spell the same thing differently: Reddit's API gives a subreddit as ``teenagers``
while people (and the docs' examples) write ``r/teenagers``; a handle is ``alice`` in one
export and ``@alice`` in another. A comparison (``eq``, ``ne``, ``in``, ``not_in``) on a
field listed here normalises both sides — the rule's value in Python before it is bound,
the column in SQL — so a rule matches whichever form the preset stored. ``contains`` and
``matches`` compare the stored text as is. docs/RULES.md lists the table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

_SUBREDDIT_PREFIX = re.compile(r"^/?r/", re.IGNORECASE)


@dataclass(frozen=True)
class Normaliser:
    """How one field's values are compared: ``sql`` wraps the column (``{col}``), ``value``
    applies the same change to a rule's value."""

    words: str  # what the docs and `audit rules check` say
    sql: str
    value: Callable[[str], str]


def _subreddit(value: str) -> str:
    return _SUBREDDIT_PREFIX.sub("", value.strip()).lower()


def _handle(value: str) -> str:
    return value.strip().removeprefix("@")


_COMMUNITY = Normaliser(
    "compared without a leading r/ or /r/ and case-insensitively (r/Teenagers = teenagers)",
    "lower(regexp_replace(trim({col}), '^/?[rR]/', ''))",
    _subreddit,
)

#: Fields whose comparisons are normalised. `community` is the ingest's forum column
#: (r/<subreddit> for Reddit) where the store has it.
NORMALISED: Final[dict[str, Normaliser]] = {
    "extra.subreddit": _COMMUNITY,
    "community": _COMMUNITY,
    "author_id": Normaliser(
        "compared without a leading @ (@alice = alice)",
        "regexp_replace(trim({col}), '^@', '')",
        _handle,
    ),
}

#: Operators whose values are normalised.
NORMALISED_OPERATORS: Final = ("eq", "ne", "in", "not_in")


def normaliser(field: str, op: str) -> Normaliser | None:
    """The normaliser of a comparison, or None when values are compared as stored."""
    return NORMALISED.get(field) if op in NORMALISED_OPERATORS else None
