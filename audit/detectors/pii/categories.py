"""Every entity type the ``pii`` detector reports, with its category (one table).

Reports and rules group types by category; :data:`HEADLINE_TYPES` is the recommended set for
a "contains personal data" headline: data that identifies or reaches a person by itself.
Kept out of it: SOCIAL_HANDLE (contact data, but @-mentions of celebrities, brands and
friends are in most social posts, so the headline would read "has a mention"), PERSON and
LOCATION (names of public figures and cities dominate, and the NER is the noisiest source),
network types (a URL mostly links public content) and DATE_TIME (mostly not a birth date).
Report those as their own lines.
"""

from __future__ import annotations

from typing import Final, Literal

Category = Literal["contact", "government_id", "financial", "network", "name_place", "date"]

#: entity type -> category.
CATEGORIES: Final[dict[str, Category]] = {
    "EMAIL_ADDRESS": "contact",
    "PHONE_NUMBER": "contact",
    "STREET_ADDRESS": "contact",
    "SOCIAL_HANDLE": "contact",
    "US_SSN": "government_id",
    "PASSPORT": "government_id",
    "DRIVER_LICENSE": "government_id",
    "NATIONAL_ID": "government_id",
    "CREDIT_CARD": "financial",
    "IBAN_CODE": "financial",
    "CRYPTO": "financial",
    "IP_ADDRESS": "network",
    "URL": "network",
    "PERSON": "name_place",
    "LOCATION": "name_place",
    "DATE_TIME": "date",
}

#: Types a "personal data" headline should count (see the module docstring).
HEADLINE_TYPES: Final[frozenset[str]] = frozenset(
    t
    for t, c in CATEGORIES.items()
    if c in ("contact", "government_id", "financial") and t != "SOCIAL_HANDLE"
)


def category_of(entity_type: str) -> Category | None:
    """The category of an entity type, or None for a type this detector does not report."""
    return CATEGORIES.get(entity_type)
