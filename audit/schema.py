"""The canonical item schema (DESIGN.md) and the enums every stage shares.

This module is the single source of truth for column names, their DuckDB types and the
allowed values of enum-like columns. Ingest maps into it, rules validate field names
against it, reports and the dashboard read it.
"""

from __future__ import annotations

from typing import Final

#: Canonical item columns, in order, with their DuckDB types.
CANONICAL_COLUMNS: Final[dict[str, str]] = {
    "item_id": "VARCHAR",
    "platform": "VARCHAR",
    "author_id": "VARCHAR",
    "created_at": "TIMESTAMP",
    "text": "VARCHAR",
    "media_path": "VARCHAR",
    "url": "VARCHAR",
    "visibility": "VARCHAR",
    "author_birth_date": "DATE",
    "author_age_at_post": "INTEGER",
    "opt_out": "BOOLEAN",
    "noai": "BOOLEAN",
    "license": "VARCHAR",
    "deleted": "BOOLEAN",
}

#: Columns the ingest adds for provenance and detection; rules may read them too.
PROVENANCE_COLUMNS: Final[dict[str, str]] = {
    "source_file": "VARCHAR",  # the corpus file the row came from
    "source_row": "BIGINT",  # 1-based row/line number inside source_file
    "media_uri": "VARCHAR",  # media_path resolved against the corpus file's folder
    "text_sha256": "VARCHAR",  # content hash of text, the detector cache key
    "extra": "JSON",  # every source column not mapped to a canonical one
    # Filled by the mapping where the export says (audit/ingest, docs/MAPPINGS.md):
    "source_domain": "VARCHAR",  # host of the item's url (www. removed), or the mapping's
    "community": "VARCHAR",  # the forum inside the platform: r/<subreddit>, a group, ...
    "visibility_basis": "VARCHAR",  # why visibility is what it is; NULL: exported as such
    "edited_at": "TIMESTAMP",  # last edit of the content; the newest edit wins among dups
}

#: The provenance columns a mapping may fill itself (``fields:``).
MAPPED_PROVENANCE: Final[dict[str, str]] = {
    "source_domain": "VARCHAR",
    "community": "VARCHAR",
    "visibility_basis": "VARCHAR",
    "edited_at": "TIMESTAMP",
}

#: Per-item columns derived from detector findings (the `item_view` view adds them).
DERIVED_COLUMNS: Final[dict[str, str]] = {
    "pii_types": "VARCHAR[]",
    "pii_count": "INTEGER",
    "pii_max_score": "DOUBLE",
    "face_count": "INTEGER",
    "largest_face_px": "INTEGER",
    "minor_cues": "VARCHAR[]",
    "has_gps": "BOOLEAN",  # an EXIF GPS position is embedded in the item's image
    "media_training_reservation": "VARCHAR",  # prohibited | constrained | allowed | unspecified | none
    "errors": "VARCHAR[]",
}

REQUIRED_COLUMNS: Final[tuple[str, ...]] = ("item_id",)

VISIBILITY_VALUES: Final[tuple[str, ...]] = (
    "public",
    "unlisted",
    "followers",
    "private",
    "direct",
    "unknown",
)

SEVERITIES: Final[tuple[str, ...]] = ("info", "low", "medium", "high", "critical")
ACTIONS: Final[tuple[str, ...]] = ("exclude", "review", "redact")
RULE_STATUSES: Final[tuple[str, ...]] = ("experimental", "test", "stable", "deprecated")
DECISIONS: Final[tuple[str, ...]] = ("confirmed", "false_positive", "needs_legal")


def severity_rank(severity: str) -> int:
    """Return the order of a severity (info=0 … critical=4); raises ValueError if unknown."""
    return SEVERITIES.index(severity)


def all_item_columns() -> dict[str, str]:
    """Every column of the `items` table: canonical first, then provenance."""
    return {**CANONICAL_COLUMNS, **PROVENANCE_COLUMNS}
