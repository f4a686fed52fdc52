"""The product's shared words: severities, actions, decisions, exposure categories, group kinds,
review categories, populations and strata.

One module so that the rules, the report, the dashboard and the SQL agree on the values and
on how each is said. Detector-specific exposure rows are declared by the detectors
themselves (audit.detectors.registry.exposure_categories merges them with the rows here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from audit.detectors.base import ExposureCategory

SEVERITIES: Final[tuple[str, ...]] = ("info", "low", "medium", "high", "critical")
ACTIONS: Final[tuple[str, ...]] = ("exclude", "review", "redact")
RULE_STATUSES: Final[tuple[str, ...]] = ("experimental", "test", "stable", "deprecated")
DECISIONS: Final[tuple[str, ...]] = ("confirmed", "false_positive", "needs_legal")
DECISION_LABELS: Final[dict[str, str]] = {
    "confirmed": "Confirmed",
    "false_positive": "False positive",
    "needs_legal": "Needs legal",
}

#: An entity type as detectors emit and rules name it: EMAIL_ADDRESS, FACE, SELF_AGE.
ENTITY_TYPE_PATTERN: Final = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")


def severity_rank(severity: str) -> int:
    """Return the order of a severity (info=0 … critical=4); raises ValueError if unknown."""
    return SEVERITIES.index(severity)


#: Key of the composite exposure row: any row declared with ``minors=True`` counts.
MINORS_KEY: Final = "minors"
MINORS_LABEL: Final = ("Minors (any signal below)", "minors (any signal)")

#: Exposure rows read from the item's own metadata, in display order around the detectors'
#: rows: visibility first, then the minors block, then what detectors found, then consent.
METADATA_EXPOSURE: Final[tuple[ExposureCategory, ...]] = (
    ExposureCategory(
        "non_public",
        "Not public (unlisted, followers, private, direct)",
        "not public",
        "visibility IN ('unlisted', 'followers', 'private', 'direct')",
    ),
    ExposureCategory(
        "visibility_unknown",
        "Visibility unknown",
        "visibility unknown",
        "visibility IS NULL OR visibility = 'unknown'",
    ),
    ExposureCategory(
        "minor_declared_age",
        "declared age under 18",
        "declared age < 18",
        "author_age_at_post < 18",
        minors=True,
    ),
    ExposureCategory("opt_out", "Author opted out of AI training", "opted out", "opt_out IS TRUE"),
    ExposureCategory("noai", "noai / TDM reservation", "noai directive", "noai IS TRUE"),
    ExposureCategory("deleted", "Deleted after collection", "deleted since", "deleted IS TRUE"),
)
#: Metadata rows shown before the minors block (the rest come after the detectors' rows).
EXPOSURE_LEADING: Final[tuple[str, ...]] = ("non_public", "visibility_unknown")

#: Group kinds of the exposure-by-group tables (report.sql group_keys): heading, key column.
GROUP_KINDS: Final[dict[str, tuple[str, str]]] = {
    "author": ("Authors", "Author id"),
    "platform": ("Platforms", "Platform"),
    "subreddit": ("Subreddits", "Subreddit"),
    "source_file": ("Source files", "File"),
    "domain": ("URL domains", "Domain"),
}


# --- Review and assurance (audit review / audit assurance; docs/ASSURANCE.md) ---------------


@dataclass(frozen=True, slots=True)
class ReviewCategory:
    """What a reviewer answers ``present`` true/false for, per sampled item.

    ``entity_types`` are the finding types that mean a detector saw it (a detector covers the
    category when it declares one of them; ``minors`` adds the types of every detector that
    declares a minors exposure row); ``fields`` are item columns a rule may test for it. Both
    only link the category to detectors (miss rates) and rules (precision): no detector is
    named here.
    """

    key: str
    label: str
    question: str
    entity_types: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    minors: bool = False


#: The categories reviewers answer, in display order (``audit review import`` accepts these keys).
REVIEW_CATEGORIES: Final[tuple[ReviewCategory, ...]] = (
    ReviewCategory(
        "PERSON",
        "Names of private persons",
        "Does the item name a private individual (not a public figure or a brand)?",
        entity_types=("PERSON",),
    ),
    ReviewCategory(
        "contact_data",
        "Contact data",
        "Does it contain an email address, phone number or street address of a person?",
        entity_types=("EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS"),
    ),
    ReviewCategory(
        "id_number",
        "Financial or government ids",
        "Does it contain a payment card, bank account (IBAN) or national id number?",
        entity_types=("CREDIT_CARD", "IBAN_CODE", "US_SSN"),
    ),
    ReviewCategory(
        "minor",
        "Minors",
        "Is the author, or a person shown or named, under 18?",
        fields=("author_age_at_post", "author_birth_date"),
        minors=True,
    ),
    ReviewCategory(
        "face",
        "Identifiable faces",
        "Does the image show a face a person could be recognised by?",
        entity_types=("FACE",),
    ),
    ReviewCategory(
        "intimate_image",
        "Intimate or sexual images",
        "Is the image intimate or sexual (possibly shared without consent)?",
    ),
    ReviewCategory(
        "non_public",
        "Not really public",
        "Was the post not public when collected (followers-only, private, direct)?",
        fields=("visibility",),
    ),
)

#: Populations a review sample is drawn from (the run's flags define them; README "Assurance").
REVIEW_POPULATIONS: Final[dict[str, str]] = {
    "kept": "items without an exclude flag (what training receives)",
    "excluded": "items with an exclude flag",
    "flagged": "items with any flag",
    "all": "every item",
}

#: Keys a sample may be stratified by (audit/sql/assurance.sql stratum_of): what each means.
REVIEW_STRATA: Final[dict[str, str]] = {
    "platform": "the item's platform",
    "rule": "the item's most severe flag's rule ('(none)' when unflagged)",
    "severity": "the item's worst flag severity ('none' when unflagged)",
    "visibility": "the item's visibility",
    "source_file": "the corpus file the item was read from",
}
