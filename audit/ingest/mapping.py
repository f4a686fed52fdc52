"""Mapping files: how a platform export's fields become canonical item columns.

A mapping is YAML with a small declarative vocabulary (no SQL: mappings are user input; the
ingest compiles them to SQL with quoted identifiers and escaped literals). Presets live in
``audit/ingest/mappings/<name>.yaml``; a user may pass their own file path instead. The whole
vocabulary, with examples, is documented in ``docs/MAPPINGS.md``; in short::

    name: mastodon
    platform: mastodon            # constant for the platform column (unless fields.platform)
    root: orderedItems            # JSON documents: the record list is at this key path
    explode: data                 # each record is the elements of this list (or object)
    lookups:                      # join a record to an element of a list of its line
      user: {list: includes.users, key: id, match: author_id}
    skip:                         # records that are not items: a rejected row with a code
      - {when: {path: type, eq: Announce}, code: boost, reason: "a boost of another's post"}
    drop: [ip]                    # source fields never stored (not even in items.extra)
    optional: [media_path]        # fields that may legitimately be empty in every record
    extra:                        # normalised source fields added to items.extra
      location: {concat: [place.lat, place.lon], sep: ","}
    keep_unmapped: true           # false: items.extra holds only the `extra:` fields
    signature: [[uri], [account.acct]]   # how `audit scan PATH` recognises this format
    fields:
      item_id: {coalesce: [uri, id]}
      created_at: created_at                 # a field path: a.b, a[0].b, a[*].b, @user.x
      text: {path: content, strip_html: true}
      visibility: {path: visibility, map: {private: followers}}

Besides the canonical columns a mapping may fill the provenance columns ``community``,
``source_domain`` (default: the host of ``url``), ``visibility_basis`` (why the visibility
is what it is) and ``edited_at`` (the newest edit wins among duplicate ids). Paths starting
with ``@source.`` read the export's account context (files beside the posts, e.g. an X
archive's account.js), ``@parent.`` the record an ``explode`` took the element from.

A value is a path string or a mapping with exactly one source — ``path``, ``coalesce``,
``const``, ``concat`` (+ ``sep``), ``hash``, ``case`` (+ ``else``), ``any``/``all``
(conditions → boolean) — and optional modifiers applied in this order: ``null_if``, ``map``
(+ ``default``), ``fix_mojibake`` (Meta's DYI exports write each UTF-8 byte as its own
``\\u00XX`` character, "Ã©" for "é": decode them), ``strip_html``, ``lower``, ``basename``,
``extract`` (a regular expression: the text of its first group, NULL where it does not match),
``prefix``; ``timestamp`` (auto | iso | epoch_s |
epoch_ms) and ``format`` (strptime) say how a string becomes a timestamp or date.
A condition is a value source plus one operator (``eq, ne, in, not_in, is_null, not_null,
contains, matches``) or a combinator (``any, all, not``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from audit.errors import InputError
from audit.regex import capture_groups, check_regex
from audit.schema import CANONICAL_COLUMNS, MAPPED_PROVENANCE
from audit.yamlio import safe_load

Scalar = str | int | float | bool

_SOURCES = ("path", "coalesce", "const", "concat", "hash", "case", "any", "all")
_OPERATORS = ("eq", "ne", "in_", "not_in", "is_null", "not_null", "contains", "matches")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Condition(_Strict):
    """A boolean test on one value, or a combination of tests."""

    path: str | None = None
    value: ValueSpec | None = None
    eq: Scalar | None = None
    ne: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    not_in: list[Scalar] | None = None
    is_null: bool | None = None
    not_null: bool | None = None
    contains: Scalar | None = None
    matches: str | None = None
    any: list[Condition] | None = None
    all: list[Condition] | None = None
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        combinators = [k for k in ("any", "all", "not_") if getattr(self, k) is not None]
        ops = [k for k in _OPERATORS if getattr(self, k) is not None]
        has_source = self.path is not None or self.value is not None
        if combinators:
            if len(combinators) > 1 or ops or has_source:
                raise ValueError("a combinator (any/all/not) stands alone in its condition")
        elif len(ops) != 1 or not has_source:
            raise ValueError(
                "a condition needs `path` (or `value`) and exactly one of: "
                "eq, ne, in, not_in, is_null, not_null, contains, matches"
            )
        elif self.path is not None and self.value is not None:
            raise ValueError("give either `path` or `value`, not both")
        if self.matches is not None:
            check_regex(self.matches)  # when the mapping loads, not per file at run time
        return self

    @property
    def operator(self) -> str:
        """The name of the single operator of a leaf condition."""
        return next(k for k in _OPERATORS if getattr(self, k) is not None)


class CaseBranch(_Strict):
    """One ``when: <condition>, then: <value>`` branch of a ``case``."""

    when: Condition
    then: ValueSpec | Scalar


class ValueSpec(_Strict):
    """How to compute one value from a source record (see the module docstring)."""

    path: str | None = None
    coalesce: list[ValueSpec | str] | None = None
    const: Scalar | None = None
    concat: list[ValueSpec | str] | None = None
    sep: str = ""
    hash: ValueSpec | str | None = None
    case: list[CaseBranch] | None = None
    else_: ValueSpec | Scalar | None = Field(default=None, alias="else")
    any: list[Condition] | None = None
    all: list[Condition] | None = None
    null_if: list[Scalar] | None = None
    map: dict[str, Scalar | None] | None = None
    default: Scalar | None = None
    fix_mojibake: bool = False
    strip_html: bool = False
    lower: bool = False
    basename: bool = False
    extract: str | None = None
    prefix: str | None = None
    timestamp: Literal["auto", "iso", "epoch_s", "epoch_ms"] = "auto"
    format: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _stringify_map_keys(cls, data: Any) -> Any:
        # YAML reads `true:`/`1:` keys as bool/int; the mapping compares string forms.
        if isinstance(data, dict) and isinstance(data.get("map"), dict):
            data = {**data, "map": {scalar_text(k): v for k, v in data["map"].items()}}
        return data

    @model_validator(mode="after")
    def _one_source(self) -> ValueSpec:
        given = [k for k in _SOURCES if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"a value needs exactly one of {', '.join(_SOURCES)}; got {given}")
        if self.else_ is not None and self.case is None:
            raise ValueError("`else` belongs to `case`")
        if self.default is not None and self.map is None:
            raise ValueError("`default` belongs to `map`")
        if self.extract is not None:
            check_regex(self.extract, "extract")  # by the engine that runs it (RE2)
            if capture_groups(self.extract) < 1:
                raise ValueError(f"extract: {self.extract!r} needs a (group) to keep")
        return self


class Lookup(_Strict):
    """Join each exploded record to the element of a list of its line whose ``key`` equals
    the record's ``match`` value (e.g. a tweet's author in ``includes.users``)."""

    list: str
    key: str
    match: ValueSpec | str


class Skip(_Strict):
    """Records matching ``when`` are not items: each becomes a rejected row with ``code``."""

    when: Condition
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,40}$")
    reason: str


#: Every column a mapping's ``fields`` may fill.
MAPPABLE_COLUMNS: dict[str, str] = {**CANONICAL_COLUMNS, **MAPPED_PROVENANCE}
#: Names reserved for ``@name.`` paths (the export's context, the exploded record).
RESERVED_LOOKUPS = ("source", "parent")


class Mapping(_Strict):
    """A validated mapping file."""

    name: str = "custom"
    description: str = ""
    platform: str | None = None
    root: str | None = None
    explode: str | None = None
    lookups: dict[str, Lookup] = Field(default_factory=dict)
    skip: list[Skip] = Field(default_factory=list)
    drop: list[str] = Field(default_factory=list)
    optional: list[str] = Field(default_factory=list)
    extra: dict[str, ValueSpec | str] = Field(default_factory=dict)
    keep_unmapped: bool = True
    signature: list[list[str]] = Field(default_factory=list)
    fields: dict[str, ValueSpec | str] = Field(default_factory=dict)
    source: str = Field(default="<mapping>", exclude=True)

    @model_validator(mode="after")
    def _known_fields(self) -> Mapping:
        unknown = sorted(set(self.fields) - set(MAPPABLE_COLUMNS))
        if unknown:
            raise ValueError(
                f"fields: unknown canonical column(s) {unknown}; "
                f"known: {', '.join(MAPPABLE_COLUMNS)}"
            )
        if "item_id" not in self.fields:
            raise ValueError("fields: item_id is required")
        bad_optional = sorted(set(self.optional) - set(MAPPABLE_COLUMNS))
        if bad_optional:
            raise ValueError(f"optional: unknown column(s) {bad_optional}")
        reserved = sorted(set(self.lookups) & set(RESERVED_LOOKUPS))
        if reserved:
            raise ValueError(f"lookups: {reserved} are reserved names (@source, @parent)")
        return self

    def spec(self, column: str) -> ValueSpec | None:
        """The value spec of a canonical column (path strings normalised), or None."""
        value = self.fields.get(column)
        if value is None and column == "platform" and self.platform is not None:
            return ValueSpec(const=self.platform)
        return as_spec(value) if value is not None else None


Condition.model_rebuild()
Skip.model_rebuild()
CaseBranch.model_rebuild()
ValueSpec.model_rebuild()
Lookup.model_rebuild()
Mapping.model_rebuild()


def spec_paths(
    value: ValueSpec | Condition | CaseBranch | str | int | float | bool | None,
) -> list[str]:
    """The source field paths a value or condition reads (for messages about them)."""
    if value is None or isinstance(value, int | float | bool):
        return []
    if isinstance(value, str):
        return [value]
    out: list[str] = []
    if isinstance(value, CaseBranch):
        return spec_paths(value.when) + (
            spec_paths(value.then) if not isinstance(value.then, str) else []
        )
    if isinstance(value, Condition):
        if value.path is not None:
            out.append(value.path)
        out += spec_paths(value.value)
        for c in (value.any or []) + (value.all or []):
            out += spec_paths(c)
        return out + spec_paths(value.not_)
    if value.path is not None:
        out.append(value.path)
    for part in (value.coalesce or []) + (value.concat or []):
        out += spec_paths(part)
    out += spec_paths(value.hash)
    for branch in value.case or []:
        out += spec_paths(branch)
    if not isinstance(value.else_, str):
        out += spec_paths(value.else_)
    for c in (value.any or []) + (value.all or []):
        out += spec_paths(c)
    return out


def scalar_text(value: Any) -> str:
    """The string form a scalar is compared as (YAML ``true`` → ``'true'``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_spec(value: ValueSpec | str | None) -> ValueSpec | None:
    """Normalise a bare path string to ``ValueSpec(path=...)``."""
    if value is None or isinstance(value, ValueSpec):
        return value
    return ValueSpec(path=value)


@cache
def preset_names() -> tuple[str, ...]:
    """Names of the bundled presets (``audit/ingest/mappings/*.yaml``)."""
    folder = resources.files("audit.ingest").joinpath("mappings")
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml")))


def _format_validation(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err["loc"] if not str(x).startswith("function-"))
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


def parse_mapping(text: str, source: str) -> Mapping:
    """Validate mapping YAML text; raises InputError naming ``source`` on any problem."""
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: not valid YAML: {exc}".replace("\n", " ")) from exc
    if not isinstance(data, dict):
        raise InputError(f"{source}: a mapping file is a YAML mapping with a `fields:` key")
    try:
        return Mapping.model_validate({**data, "source": source})
    except ValidationError as exc:
        raise InputError(f"{source}: invalid mapping: {_format_validation(exc)}") from exc


def load_mapping(ref: str | Path | None, *, relative_to: Path | None = None) -> Mapping:
    """Load a preset by name (``mastodon``) or a mapping file by path.

    ``None`` means the ``generic`` preset. Relative file paths are resolved against
    ``relative_to`` (a corpus spec's folder) when given.
    """
    ref = "generic" if ref is None else str(ref)
    if ref in preset_names():
        text = (
            resources.files("audit.ingest").joinpath("mappings", f"{ref}.yaml").read_text("utf-8")
        )
        return parse_mapping(text, f"preset {ref}")
    path = Path(ref)
    if relative_to is not None and not path.is_absolute():
        path = relative_to / path
    looks_like_file = path.suffix in (".yaml", ".yml") or "/" in ref
    if not looks_like_file:
        raise InputError(
            f"unknown mapping preset {ref!r}; presets: {', '.join(preset_names())} "
            "(or give a mapping file path)"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read mapping file: {exc}") from exc
    return parse_mapping(text, str(path))
