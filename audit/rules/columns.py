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
    "list": ("contains", "in", "not_in", "is_null"),
    "json": ("is_null",),
    "extra": ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "contains", "matches", "is_null"),
}

EXTRA_PREFIX: Final = "extra."
# Source paths are quoted into a JSON path: a step is a key of letters, digits and
# _ : @ $ - (no dots, quotes, brackets or backslashes), optionally followed by [n] or [*].
# This pattern is what keeps SQL and JSON-path syntax out of field names.
_KEY = r"[A-Za-z0-9_$][A-Za-z0-9_:@$-]{0,127}"
_STEP = re.compile(rf"^({_KEY})((?:\[(?:\d{{1,6}}|\*)\])*)$")
_INDEX = re.compile(r"\[(\d+|\*)\]")
_MAX_PATH = 256


@dataclass(frozen=True)
class ExtraPath:
    """Where a value lives inside ``items.extra``: a top-level source column and the steps
    below it (keys as ``str``, array positions as ``int``, ``None`` for every element)."""

    column: str
    steps: tuple[str | int | None, ...] = ()

    @property
    def is_list(self) -> bool:
        """A path through ``[*]`` yields a list of values (one per element)."""
        return None in self.steps

    def json_path(self) -> str:
        """The DuckDB JSON path, every key quoted (the keys passed :data:`_STEP`)."""
        out = f'$."{self.column}"'
        for step in self.steps:
            if step is None:
                out += "[*]"
            elif isinstance(step, int):
                out += f"[{step}]"
            else:
                out += f'."{step}"'
        return out


def parse_extra_path(path: str) -> ExtraPath:
    """``record.langs`` → ExtraPath('record', ('langs',)); ``labels[*].val`` → ('labels',
    (None, 'val')). Raises ValueError naming the rule for writing paths."""
    parts = path.split(".")
    if len(path) > _MAX_PATH or not all(_STEP.match(p) for p in parts):
        raise ValueError(
            f"'extra.{path}' is not a usable source path: keys of letters, digits and _ : @ $ - "
            "separated by dots, each optionally followed by [0] (an array position) or [*] "
            "(every element), e.g. extra.record.langs or extra.labels[*].val"
        )
    steps: list[str | int | None] = []
    for part in parts:
        key = _STEP.match(part)
        assert key is not None
        steps.append(key.group(1))
        for index in _INDEX.findall(key.group(2)):
            steps.append(None if index == "*" else int(index))
    first = steps.pop(0)
    assert isinstance(first, str)
    return ExtraPath(first, tuple(steps))


@dataclass(frozen=True)
class FieldRef:
    """A validated field name: an item_view column or a path into items.extra."""

    name: str  # as written in the rule
    kind: Kind

    @property
    def extra_name(self) -> str | None:
        """The path after ``extra.`` for source fields (``subreddit``, ``record.langs``)."""
        return self.name[len(EXTRA_PREFIX) :] if self.name.startswith(EXTRA_PREFIX) else None

    @property
    def column(self) -> str:
        """The item_view column this field is read from (``extra`` for source columns)."""
        return "extra" if self.extra_name is not None else self.name

    def extra_path(self, known: set[str] | None = None) -> ExtraPath | None:
        """The source path of an ``extra.`` field. A dotted name that is itself a source
        column of the corpus (``known``) is that column, not a nested path (back-compat)."""
        name = self.extra_name
        if name is None:
            return None
        if known is not None and "." in name and name in known:
            return ExtraPath(name)
        return parse_extra_path(name)


def resolve_field(name: str) -> FieldRef:
    """Validate a field name; raises ValueError with a hint naming the closest column."""
    kinds = item_view_kinds()
    if name in kinds:
        return FieldRef(name, kinds[name])
    if name.startswith(EXTRA_PREFIX):
        parse_extra_path(name[len(EXTRA_PREFIX) :])
        return FieldRef(name, "extra")
    import difflib

    close = difflib.get_close_matches(name, kinds, n=1)
    if close:
        raise ValueError(f"no item field named '{name}' — did you mean '{close[0]}'?")
    raise ValueError(
        f"no item field named '{name}'; rules can name {', '.join(kinds)}, "
        "or a value kept from the source record as extra.<name> (nested: extra.record.langs)"
    )
