"""The canonical item schema (docs/ARCHITECTURE.md) and the enums every stage shares.

This module is the single source of truth for item column names, their DuckDB types and
the visibility values. Ingest maps into it, rules validate field names against it, reports
and the dashboard read it. Severities, actions and other shared words: audit/vocabulary.py;
columns derived from detector findings: audit/detectors/registry.py.
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

#: The item_view column listing an item's error codes (detectors add their own columns:
#: audit.detectors.registry.derived_columns).
ITEM_ERROR_COLUMN: Final = "errors"

REQUIRED_COLUMNS: Final[tuple[str, ...]] = ("item_id",)

VISIBILITY_VALUES: Final[tuple[str, ...]] = (
    "public",
    "unlisted",
    "followers",
    "private",
    "direct",
    "unknown",
)


def all_item_columns() -> dict[str, str]:
    """Every column of the `items` table: canonical first, then provenance."""
    return {**CANONICAL_COLUMNS, **PROVENANCE_COLUMNS}
