"""The product's shared words: severities, actions, decisions, exposure categories, group kinds.

One module so that the rules, the report, the dashboard and the SQL agree on the values and
on how each is said. Detector-specific exposure rows are declared by the detectors
themselves (audit.detectors.registry.exposure_categories merges them with the rows here).
"""

from __future__ import annotations

import re
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
