"""The rule file format (docs/RULES.md) as a pydantic schema.

Every model forbids unknown keys (typo safety). Conditions form a tree whose node kind is
chosen by the key it carries (field / detector / all / any / not / aggregate), so a
mistake inside one node yields one error for that node, not one per possible node kind.
`audit rules schema` prints :func:`json_schema`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from audit.detectors.registry import DetectorSpec, available_detectors, spec
from audit.rules.columns import OPERATORS_BY_KIND, SETTABLE_COLUMNS, FieldRef, resolve_field
from audit.vocabulary import ACTIONS, ENTITY_TYPE_PATTERN, RULE_STATUSES, SEVERITIES

Scalar = StrictBool | StrictInt | StrictFloat | StrictStr | datetime | date
Orderable = StrictInt | StrictFloat | StrictStr | datetime | date

FIELD_OPERATORS = (
    "eq",
    "ne",
    "in",
    "not_in",
    "lt",
    "le",
    "gt",
    "ge",
    "is_null",
    "contains",
    "matches",
)
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


def _check_entity_types(types: list[str] | None) -> list[str] | None:
    for t in types or ():
        if not ENTITY_TYPE_PATTERN.match(t):
            raise ValueError(f"entity types are UPPER_CASE names like EMAIL_ADDRESS — got {t!r}")
    return types


# ---------------------------------------------------------------- field conditions


class FieldCondition(_Strict):
    """Compare one item field with a value: exactly one operator per condition."""

    field: str = Field(description="item column, detector column, or extra.<source column>")
    eq: Scalar | None = None
    ne: Scalar | None = None
    in_: list[Scalar] | None = Field(None, alias="in", min_length=1)
    not_in: list[Scalar] | None = Field(None, min_length=1)
    lt: Orderable | None = None
    le: Orderable | None = None
    gt: Orderable | None = None
    ge: Orderable | None = None
    is_null: StrictBool | None = None
    contains: StrictStr | None = None
    matches: StrictStr | None = Field(None, description="regular expression (RE2 syntax)")

    @field_validator("field")
    @classmethod
    def _known_field(cls, name: str) -> str:
        resolve_field(name)
        return name

    @field_validator("matches")
    @classmethod
    def _valid_regex(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            from audit.rules.regex import check_regex

            check_regex(pattern)
        return pattern

    @model_validator(mode="after")
    def _one_operator(self) -> FieldCondition:
        given = [op for op in FIELD_OPERATORS if _field_name(op) in self.model_fields_set]
        if len(given) != 1:
            listed = ", ".join(FIELD_OPERATORS)
            what = "no operator" if not given else f"{len(given)} operators ({', '.join(given)})"
            raise ValueError(
                f"a field condition needs exactly one operator of {listed}; got {what}"
            )
        op = given[0]
        if getattr(self, _field_name(op)) is None:
            raise ValueError(f"{op} needs a value; to test for a missing value use is_null: true")
        ref = self.ref
        allowed = OPERATORS_BY_KIND[ref.kind]
        if op not in allowed:
            raise ValueError(
                f"{op} cannot be used on {ref.name} ({ref.kind}); use one of {', '.join(allowed)}"
            )
        _check_value_kind(ref, op, self.value)
        return self

    @property
    def ref(self) -> FieldRef:
        """The validated field."""
        return resolve_field(self.field)

    @property
    def op(self) -> str:
        """The operator, as written in the rule."""
        return next(op for op in FIELD_OPERATORS if _field_name(op) in self.model_fields_set)

    @property
    def value(self) -> Any:
        """The operator's value."""
        return getattr(self, _field_name(self.op))


def _field_name(op: str) -> str:
    return "in_" if op == "in" else op


def _kind_of_value(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, datetime | date):
        return "date"
    return "text"


def _check_value_kind(ref: FieldRef, op: str, value: Any) -> None:
    """Reject values that can never compare with the field (a number against text, ...)."""
    if op in ("is_null", "contains", "matches"):
        return
    values = value if op in ("in", "not_in") else [value]
    kinds = {_kind_of_value(v) for v in values}
    if len(kinds) > 1:
        raise ValueError(f"{op} mixes kinds of values ({', '.join(sorted(kinds))}); use one kind")
    kind = kinds.pop()
    if ref.kind == "extra":
        if op in ("lt", "le", "gt", "ge") and kind == "bool":
            raise ValueError(f"{op} needs a number, text or date — got {value!r}")
        return
    expected = {"text": {"text"}, "number": {"number"}, "bool": {"bool"}}.get(
        ref.kind,
        {"text", "date"},  # timestamp/date fields take dates or ISO date text
    )
    if kind not in expected:
        words = {"text": "text (in quotes)", "number": "a number", "bool": "true or false"}
        want = words.get(ref.kind, "a date like 2024-01-31")
        raise ValueError(
            f"{ref.name} holds {ref.kind} values, so {op} needs {want} — got {value!r}"
        )
    if kind == "text" and ref.kind in ("timestamp", "date"):
        for v in values:
            try:
                datetime.fromisoformat(v)
            except ValueError:
                raise ValueError(f"{op} needs a date like 2024-01-31 — got {v!r}") from None


# ---------------------------------------------------------------- detector conditions


def _suggest(word: str, options: Sequence[str]) -> str:
    """ " — did you mean X?" for the closest different option (by spelling or as a prefix)."""
    import difflib

    close = difflib.get_close_matches(word, options, n=1) or [
        o for o in options if o.startswith(word) or word.startswith(o)
    ]
    return f" — did you mean {close[0]!r}?" if close and close[0] != word else ""


def _spec(name: str) -> DetectorSpec:
    """The declarations of a registered detector, or a ValueError naming the known ones."""
    known = available_detectors()
    if name not in known:
        raise ValueError(
            f"unknown detector {name!r}{_suggest(name, known)}; installed: {', '.join(known)}"
        )
    return spec(name)


def _known_types(detector: str, types: list[str]) -> None:
    """Every type must be one the detector declares it can emit (a typo would silently match
    nothing)."""
    declared = _spec(detector).entity_types
    for t in types:
        if t not in declared:
            raise ValueError(
                f"{t} is not an entity type of detector {detector}"
                f"{_suggest(t, declared).replace(chr(39), '')}; it emits {', '.join(declared)}"
            )


class DetectorCondition(_Strict):
    """At least `min_count` findings of one detector (optionally only of `types`, with a
    score ≥ `min_score`, and — for detectors that find image boxes — boxes ≥ `min_size_px`).
    Any registered detector may be named, plug-ins included; `types` are checked against the
    entity types it declares."""

    detector: str = Field(description="a registered detector name, e.g. pii, faces, minor_cues")
    types: list[str] | None = Field(
        None, min_length=1, description="entity types to count (the detector's declared ones)"
    )
    min_score: float | None = Field(None, ge=0, le=1)
    min_count: int = Field(1, ge=1)
    min_size_px: int | None = Field(
        None, ge=1, description="image-box detectors (faces): larger side of the box, px"
    )

    @field_validator("detector")
    @classmethod
    def _registered(cls, name: str) -> str:
        _spec(name)
        return name

    @field_validator("types")
    @classmethod
    def _declared_types(cls, types: list[str] | None, info: ValidationInfo) -> list[str] | None:
        _check_entity_types(types)
        if types and "detector" in info.data:  # else the detector itself was the error
            _known_types(info.data["detector"], types)
        return types

    @field_validator("min_size_px")
    @classmethod
    def _boxes_only(cls, size: int | None, info: ValidationInfo) -> int | None:
        if size is not None and "detector" in info.data:
            kind = _spec(info.data["detector"]).finding_kind
            if kind != "image_box":
                raise ValueError(
                    "min_size_px applies to detectors that find image boxes (e.g. faces); "
                    f"{info.data['detector']} finds {kind.replace('_', ' ')}s"
                )
        return size


# ---------------------------------------------------------------- combinators


class AllCondition(_Strict):
    """Every listed condition holds."""

    all: list[Condition] = Field(min_length=1)


class AnyCondition(_Strict):
    """At least one listed condition holds."""

    any: list[Condition] = Field(min_length=1)


class NotCondition(_Strict):
    """The condition does not hold (a comparison on a missing value does not hold)."""

    not_: Condition = Field(alias="not")


# ---------------------------------------------------------------- aggregates (group level)


class ShareOfItems(_Strict):
    """At least `ge` (0–1) of the group's items satisfy `where`."""

    where: Condition
    ge: float = Field(gt=0, le=1)


class CountOfItems(_Strict):
    """At least `ge` of the group's items satisfy `where`."""

    where: Condition
    ge: int = Field(ge=1)


class DistinctCount(_Strict):
    """The group's items carry at least `ge` distinct non-missing values of `field`."""

    field: str
    ge: int = Field(ge=1)

    _known = field_validator("field")(FieldCondition._known_field.__func__)


class EvidenceScore(_Strict):
    """The group's evidence score from one detector's findings is at least `ge` (the
    detector declares how its findings weigh and add up: EvidenceWeights)."""

    detector: str = Field(description="a detector that declares evidence weights")
    # > 0: a group without findings has no score, so a threshold at or below 0 could not
    # mean "every group scoring that much" (it would skip groups with no evidence at all)
    ge: float = Field(gt=0, description="minimum score (above 0), e.g. 1.0")

    @field_validator("detector")
    @classmethod
    def _weighs_evidence(cls, name: str) -> str:
        if _spec(name).evidence is None:
            weighing = [n for n in available_detectors() if spec(n).evidence is not None]
            raise ValueError(
                f"detector {name} declares no evidence weights; these do: "
                f"{', '.join(weighing) or 'none'}"
            )
        return name


class AnyItemHaving(_Strict):
    any_item: Condition


class EvidenceHaving(_Strict):
    evidence_score: EvidenceScore


class ShareHaving(_Strict):
    share_of_items: ShareOfItems


class CountHaving(_Strict):
    count_of_items: CountOfItems


class DistinctHaving(_Strict):
    distinct_count: DistinctCount


HAVING_KINDS = ("any_item", "share_of_items", "count_of_items", "distinct_count", "evidence_score")


def _key_kind(kinds: tuple[str, ...]):
    def pick(value: Any) -> str | None:
        if isinstance(value, dict):
            present = [k for k in kinds if k in value]
            return f"{present[0]}-node" if len(present) == 1 else None
        for k in kinds:
            if hasattr(value, k) or hasattr(value, f"{k}_"):
                return f"{k}-node"
        return None

    return pick


Having = Annotated[
    Annotated[AnyItemHaving, Tag("any_item-node")]
    | Annotated[ShareHaving, Tag("share_of_items-node")]
    | Annotated[CountHaving, Tag("count_of_items-node")]
    | Annotated[DistinctHaving, Tag("distinct_count-node")]
    | Annotated[EvidenceHaving, Tag("evidence_score-node")],
    Discriminator(
        _key_kind(HAVING_KINDS),
        custom_error_type="having_kind",
        custom_error_message="having needs exactly one of " + ", ".join(HAVING_KINDS),
    ),
]


class Aggregate(_Strict):
    """Flag every item of a group (e.g. an author) when the group as a whole matches."""

    group_by: str = Field(description="item column or extra.<source column> to group on")
    having: Having

    _known = field_validator("group_by")(FieldCondition._known_field.__func__)


class AggregateCondition(_Strict):
    """Group-level condition: holds for every item whose group matches `having`."""

    aggregate: Aggregate


# ---------------------------------------------------------------- consent registry, copies

REGISTRY_KINDS = ("opt_out", "erasure", "objection")
REGISTRY_SUBJECT_TYPES = ("author", "url", "domain", "email", "image", "face")


class RegistryMatch(_Strict):
    """Which consent registry requests count (docs/REGISTRY.md): of these kinds, by these
    subject types; omitted means any."""

    kinds: list[Literal[REGISTRY_KINDS]] | None = Field(  # type: ignore[valid-type]
        None, min_length=1, description="opt_out, erasure, objection"
    )
    subject_types: list[Literal[REGISTRY_SUBJECT_TYPES]] | None = Field(  # type: ignore[valid-type]
        None, min_length=1, description="author, url, domain, email, image, face"
    )


class RegistryCondition(_Strict):
    """The item is covered by a request of the scan's consent registry (`--registry`)."""

    registry: RegistryMatch


class CopyOf(_Strict):
    """The item's image is a perceptual copy (PDQ) of another item's image; with `original`,
    only copies of items for which that condition holds (no aggregates inside)."""

    original: Condition | None = None


class CopyCondition(_Strict):
    """The item's image copies another item's image (`copy_of: {original: <condition>}`)."""

    copy_of: CopyOf


CONDITION_KINDS = ("field", "detector", "all", "any", "not", "aggregate", "registry", "copy_of")

Condition = Annotated[
    Annotated[FieldCondition, Tag("field-node")]
    | Annotated[DetectorCondition, Tag("detector-node")]
    | Annotated[AllCondition, Tag("all-node")]
    | Annotated[AnyCondition, Tag("any-node")]
    | Annotated[NotCondition, Tag("not-node")]
    | Annotated[AggregateCondition, Tag("aggregate-node")]
    | Annotated[RegistryCondition, Tag("registry-node")]
    | Annotated[CopyCondition, Tag("copy_of-node")],
    Discriminator(
        _key_kind(CONDITION_KINDS),
        custom_error_type="condition_kind",
        custom_error_message="a condition needs exactly one of " + ", ".join(CONDITION_KINDS),
    ),
]

#: Tags that pydantic puts in error locations; the loader drops them.
DISCRIMINATOR_TAGS = frozenset(
    {f"{k}-node" for k in CONDITION_KINDS + HAVING_KINDS} | {"item-case", "group-case"}
)

# ---------------------------------------------------------------- self-test cases


class Finding(_Strict):
    """A detector output given directly in a test case (the self-test runs no model)."""

    detector: str = Field(description="a registered detector name")
    entity_type: str | None = Field(
        None, description="default: the detector's first declared type (pii PERSON, faces FACE)"
    )
    score: float = Field(1.0, ge=0, le=1)
    size_px: int | None = Field(
        None, ge=1, description="image-box detectors (faces): side of the square box in px"
    )
    start: int | None = Field(None, ge=0)
    end: int | None = Field(None, ge=0)
    attributes: dict[str, Any] | None = Field(
        None, description="detector attributes, e.g. media_meta {reservation: prohibited}"
    )

    _types = field_validator("entity_type")(lambda v: (_check_entity_types([v]) or [None])[0])
    _name = field_validator("detector")(DetectorCondition._registered.__func__)

    @model_validator(mode="after")
    def _entity_known(self) -> Finding:
        if self.entity_type is not None:
            _known_types(self.detector, [self.entity_type])
        return self

    @property
    def type_or_default(self) -> str:
        """The entity type, or the detector's first declared one when the case gives none."""
        return self.entity_type or spec(self.detector).entity_types[0]


class RegistryHit(_Strict):
    """A consent registry request covering a test item (the self-test applies no registry)."""

    request_id: StrictStr = "r1"
    kind: Literal[REGISTRY_KINDS] = "erasure"  # type: ignore[valid-type]
    subject_type: Literal[REGISTRY_SUBJECT_TYPES] = "author"  # type: ignore[valid-type]


def _check_item_fields(item: dict[str, Any]) -> dict[str, Any]:
    for name in item:
        if name not in SETTABLE_COLUMNS and not name.startswith("extra."):
            ref = resolve_field(name)  # raises with a hint for unknown names
            raise ValueError(f"{ref.name} is computed from findings; give findings: instead")
        if name.startswith("extra."):
            resolve_field(name)
    return item


class ItemCase(_Strict):
    """One item and its findings; the rule must (not) flag it."""

    name: str | None = None
    expect: Literal["match", "no_match"]
    item: dict[str, Scalar | None] = Field(default_factory=dict)
    findings: list[Finding] = Field(default_factory=list)
    registry: list[RegistryHit] = Field(
        default_factory=list, description="consent registry requests covering the item"
    )

    _fields = field_validator("item")(_check_item_fields)


class GroupItem(_Strict):
    """An item in a group test case: its fields plus optional findings."""

    model_config = ConfigDict(extra="allow", frozen=True)
    item_id: StrictStr
    findings: list[Finding] = Field(default_factory=list)
    registry: list[RegistryHit] = Field(
        default_factory=list, description="consent registry requests covering the item"
    )
    image: StrictStr | None = Field(
        None, description="a label for the item's picture: items with the same label are copies"
    )

    @model_validator(mode="after")
    def _fields(self) -> GroupItem:
        _check_item_fields(dict(self.model_extra or {}))
        return self

    @property
    def fields(self) -> dict[str, Any]:
        """Item columns (including item_id) without the findings."""
        return {"item_id": self.item_id, **(self.model_extra or {})}


class GroupCase(_Strict):
    """Several items evaluated together; exactly `expect_flagged` must be flagged."""

    name: str | None = None
    items: list[GroupItem] = Field(min_length=1)
    expect_flagged: list[StrictStr]

    @model_validator(mode="after")
    def _flagged_exist(self) -> GroupCase:
        ids = [i.item_id for i in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError("item_id values in items must be unique")
        unknown = sorted(set(self.expect_flagged) - set(ids))
        if unknown:
            raise ValueError(f"expect_flagged names items not in items: {', '.join(unknown)}")
        return self


TestCase = Annotated[
    Annotated[ItemCase, Tag("item-case")] | Annotated[GroupCase, Tag("group-case")],
    Discriminator(
        lambda v: (
            ("group-case" if "items" in v else "item-case")
            if isinstance(v, dict)
            else ("group-case" if isinstance(v, GroupCase) else "item-case")
        ),
    ),
]

# ---------------------------------------------------------------- the rule


class Rule(_Strict):
    """One policy rule: metadata, a declarative `match` tree and its own test cases."""

    id: str = Field(description="unique, dotted: <category>.<slug>")
    title: str = Field(min_length=1)
    status: Literal[RULE_STATUSES]  # type: ignore[valid-type]
    severity: Literal[SEVERITIES]  # type: ignore[valid-type]
    action: Literal[ACTIONS]  # type: ignore[valid-type]
    description: str = Field(min_length=1)
    rationale: str = Field(min_length=1)
    references: list[StrictStr] = Field(default_factory=list)
    tags: list[StrictStr] = Field(default_factory=list)
    requires_columns: list[str] = Field(
        default_factory=list,
        description="extra.<name> source columns the rule needs; skipped when the corpus lacks them",
    )
    match: Condition
    tests: list[TestCase] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _dotted(cls, value: str) -> str:
        if not _RULE_ID.match(value):
            raise ValueError(
                "id must be lowercase and dotted, <category>.<slug> (e.g. minors.declared-under-18)"
                f" — got {value!r}"
            )
        return value

    @field_validator("requires_columns")
    @classmethod
    def _extra_only(cls, names: list[str]) -> list[str]:
        for name in names:
            if resolve_field(name).extra_name is None:
                raise ValueError(
                    f"requires_columns lists extra.<name> source columns — got {name!r}"
                )
        return names

    @property
    def category(self) -> str:
        """The first part of the id (the pack folder it belongs in)."""
        return self.id.split(".", 1)[0]


for _model in (AllCondition, AnyCondition, NotCondition, ShareOfItems, CountOfItems, CopyOf):
    _model.model_rebuild()
for _model in (AnyItemHaving, Aggregate, AggregateCondition, CopyCondition, Rule):
    _model.model_rebuild()


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a rule file (for editors and `audit rules schema`)."""
    schema = Rule.model_json_schema(by_alias=True)
    schema["title"] = "corpus-audit rule"
    return schema
