"""Which item fields a rule may name, and what kind of value each holds.

Rules read ``item_view`` (canonical + provenance + the columns detectors declare, see
audit/schema.py and audit/detectors/registry.py) and source columns kept in ``items.extra``,
which rules name as ``extra.<name>``. Every name is checked here before any SQL is built.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Final, Literal

from audit.detectors.registry import derived_columns
from audit.schema import CANONICAL_COLUMNS, ITEM_ERROR_COLUMN, PROVENANCE_COLUMNS

Kind = Literal["text", "number", "bool", "timestamp", "date", "list", "json", "extra"]

_KIND_OF_TYPE: Final[dict[str, Kind]] = {
    "VARCHAR": "text",
    "INTEGER": "number",
    "BIGINT": "number",
    "DOUBLE": "number",
    "BOOLEAN": "bool",
    "TIMESTAMP": "timestamp",
    "DATE": "date",
    "VARCHAR[]": "list",
    "JSON": "json",
}


@functools.cache
def item_view_kinds() -> dict[str, Kind]:
    """Every column of item_view and its kind: the item columns, the columns the installed
    detectors declare (plug-ins included), and the item's error codes."""
    types = {
        **CANONICAL_COLUMNS,
        **PROVENANCE_COLUMNS,
        **derived_columns(),
        ITEM_ERROR_COLUMN: "VARCHAR[]",
    }
    return {name: _KIND_OF_TYPE[duck_type] for name, duck_type in types.items()}


#: Columns a self-test case may set directly (derived ones come from `findings:`).
SETTABLE_COLUMNS: Final[frozenset[str]] = frozenset({**CANONICAL_COLUMNS, **PROVENANCE_COLUMNS})

#: Operators each kind of field supports (extra columns take their kind from the value).
OPERATORS_BY_KIND: Final[dict[Kind, tuple[str, ...]]] = {
    "text": ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "contains", "matches", "is_null"),
    "number": ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "is_null"),
    "bool": ("eq", "ne", "is_null"),
    "timestamp": ("eq", "ne", "lt", "le", "gt", "ge", "is_null"),
    "date": ("eq", "ne", "lt", "le", "gt", "ge", "is_null"),
    "list": ("contains", "is_null"),
    "json": ("is_null",),
    "extra": ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "contains", "matches", "is_null"),
}

EXTRA_PREFIX: Final = "extra."
# Source column names are quoted into a JSON path, so they may not contain quotes or
# backslashes; this pattern is also what keeps SQL out of field names.
_EXTRA_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,127}$")


@dataclass(frozen=True)
class FieldRef:
    """A validated field name: an item_view column or a source column in items.extra."""

    name: str  # as written in the rule
    kind: Kind

    @property
    def extra_name(self) -> str | None:
        """The source column name for ``extra.<name>`` fields, else None."""
        return self.name[len(EXTRA_PREFIX) :] if self.name.startswith(EXTRA_PREFIX) else None

    @property
    def column(self) -> str:
        """The item_view column this field is read from (``extra`` for source columns)."""
        return "extra" if self.extra_name is not None else self.name


def resolve_field(name: str) -> FieldRef:
    """Validate a field name; raises ValueError with a hint naming the closest column."""
    kinds = item_view_kinds()
    if name in kinds:
        return FieldRef(name, kinds[name])
    if name.startswith(EXTRA_PREFIX):
        if _EXTRA_NAME.match(name[len(EXTRA_PREFIX) :]):
            return FieldRef(name, "extra")
        raise ValueError(
            f"'{name}' is not a usable source column name (letters, digits, _ . : @ - only)"
        )
    import difflib

    close = difflib.get_close_matches(name, kinds, n=1)
    if close:
        raise ValueError(f"no item field named '{name}' — did you mean '{close[0]}'?")
    raise ValueError(
        f"no item field named '{name}'; rules can name {', '.join(kinds)}, "
        "or a source column kept from the corpus as extra.<name>"
    )
