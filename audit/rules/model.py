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
from typing import Annotated, Any, ClassVar, Literal

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
from audit.rules.columns import (
    OPERATORS_BY_KIND,
    SETTABLE_COLUMNS,
    FieldRef,
    parse_extra_path,
    resolve_field,
)
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
#: Operators of a field whose value is a list (a detector list column, extra.x[*].y).
LIST_OPERATORS = ("contains", "in", "not_in", "is_null")
#: Comparisons of group thresholds, evidence scores and finding attributes.
THRESHOLD_OPERATORS = ("gt", "ge", "lt", "le", "eq")
_ATTRIBUTE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
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
            from audit.regex import check_regex

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
        path = ref.extra_path()
        if path is not None and path.is_list:
            allowed = LIST_OPERATORS
        if op not in allowed:
            what = "a list of values" if path is not None and path.is_list else ref.kind
            raise ValueError(
                f"{op} cannot be used on {ref.name} ({what}); use one of {', '.join(allowed)}"
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
    if ref.kind == "list":  # list fields hold text values (entity types, cue types, codes)
        if kind != "text":
            raise ValueError(f"{ref.name} holds text values, so {op} needs text — got {value!r}")
        return
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


AttributeScalar = StrictBool | StrictInt | StrictFloat | StrictStr
Number = StrictInt | StrictFloat
ATTRIBUTE_OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in")


class AttributeTest(_Strict):
    """A comparison on one attribute of a finding: ``{lt: 13}``, ``{in: [c2pa, xmp]}``."""

    eq: AttributeScalar | None = None
    ne: AttributeScalar | None = None
    lt: Number | None = None
    le: Number | None = None
    gt: Number | None = None
    ge: Number | None = None
    in_: list[AttributeScalar] | None = Field(None, alias="in", min_length=1)
    not_in: list[AttributeScalar] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one_operator(self) -> AttributeTest:
        given = [op for op in ATTRIBUTE_OPERATORS if getattr(self, _field_name(op)) is not None]
        if len(given) != 1:
            raise ValueError(
                f"an attribute test needs exactly one of {', '.join(ATTRIBUTE_OPERATORS)} "
                f"(e.g. age: {{lt: 13}}); got {len(given)}"
            )
        if given[0] in ("in", "not_in"):
            _check_value_kind(FieldRef("attribute", "extra"), given[0], self.value)
        return self

    @property
    def op(self) -> str:
        """The operator, as written."""
        return next(op for op in ATTRIBUTE_OPERATORS if getattr(self, _field_name(op)) is not None)

    @property
    def value(self) -> Any:
        """The operator's value."""
        return getattr(self, _field_name(self.op))


def attribute_tests(attributes: dict[str, Any] | None) -> list[tuple[str, str, Any]]:
    """``(key, op, value)`` of a detector condition's attributes (a bare value means eq)."""
    out = []
    for key, test in sorted((attributes or {}).items()):
        if isinstance(test, AttributeTest):
            out.append((key, test.op, test.value))
        else:
            out.append((key, "eq", test))
    return out


def _known_attributes(detector: str, keys: list[str]) -> None:
    """Attribute keys must be well-formed and, when the detector declares its attributes
    (``finding_attributes``), among them: a misspelt key would silently match nothing."""
    declared = _spec(detector).finding_attributes
    for key in keys:
        if not _ATTRIBUTE_KEY.match(key):
            raise ValueError(f"attribute names are lower_case words like age — got {key!r}")
        if declared and key not in declared:
            hint = _suggest(key, declared)
            raise ValueError(
                f"findings of {detector} have no attribute {key!r}{hint}; "
                f"its attributes: {', '.join(declared)}"
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
    attributes: dict[str, AttributeScalar | AttributeTest] | None = Field(
        None,
        min_length=1,
        description="count only findings whose attributes match: {source: c2pa}, {age: {lt: 13}}",
    )

    @field_validator("attributes")
    @classmethod
    def _declared_attributes(
        cls, attributes: dict[str, Any] | None, info: ValidationInfo
    ) -> dict[str, Any] | None:
        if attributes and "detector" in info.data:
            _known_attributes(info.data["detector"], list(attributes))
        return attributes

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


class _Threshold(_Strict):
    """Exactly one comparison of a group's figure with a number (gt, ge, lt, le or eq)."""

    gt: StrictInt | StrictFloat | None = None
    ge: StrictInt | StrictFloat | None = None
    lt: StrictInt | StrictFloat | None = None
    le: StrictInt | StrictFloat | None = None
    eq: StrictInt | StrictFloat | None = None

    # what the figure is, its range, and whether it is a whole number (for messages)
    _figure: ClassVar[str] = "the figure"
    _low: ClassVar[float] = 0.0
    _high: ClassVar[float | None] = None
    _whole: ClassVar[bool] = False
    _example: ClassVar[str] = "ge: 1"

    @model_validator(mode="after")
    def _one_threshold(self) -> _Threshold:
        given = [op for op in THRESHOLD_OPERATORS if getattr(self, op) is not None]
        if len(given) != 1:
            what = "none" if not given else ", ".join(given)
            raise ValueError(
                f"{self._figure} needs exactly one threshold of {', '.join(THRESHOLD_OPERATORS)}"
                f" (e.g. {self._example}); got {what}"
            )
        op, value = given[0], getattr(self, given[0])
        if self._whole and value != int(value):
            raise ValueError(f"{op}: {self._figure} is a whole number — got {value!r}")
        high = "" if self._high is None else f" and {self._high}"
        if value < self._low or (self._high is not None and value > self._high):
            raise ValueError(f"{op}: {self._figure} lies between {self._low}{high} — got {value!r}")
        if op == "ge" and value <= self._low:
            raise ValueError(
                f"ge: {value!r} holds for every group; use a threshold above {self._low}"
            )
        return self

    @property
    def op(self) -> str:
        """The comparison, as written."""
        return next(op for op in THRESHOLD_OPERATORS if getattr(self, op) is not None)

    @property
    def value(self) -> float:
        """The threshold."""
        return getattr(self, self.op)

    @property
    def rising(self) -> bool | None:
        """True when more matching items can only help (gt/ge), False when they can only
        hurt (lt/le), None for eq: how an unknown inner condition may be treated."""
        return {"gt": True, "ge": True, "lt": False, "le": False}.get(self.op)


class ShareOfItems(_Threshold):
    """The share (0–1) of the group's items that satisfy `where` compared with a threshold:
    ``ge: 0.3`` (at least 30 %), ``gt: 0.2`` (more than 20 %), ``lt: 0.05``."""

    where: Condition
    _figure: ClassVar[str] = "share_of_items (a share from 0 to 1)"
    _high: ClassVar[float | None] = 1.0
    _example: ClassVar[str] = "gt: 0.2"


class CountOfItems(_Threshold):
    """The number of the group's items that satisfy `where` compared with a threshold."""

    where: Condition
    _figure: ClassVar[str] = "count_of_items (a number of items)"
    _whole: ClassVar[bool] = True
    _example: ClassVar[str] = "ge: 5"


class DistinctCount(_Threshold):
    """The number of distinct non-missing values of `field` in the group, compared."""

    field: str
    _figure: ClassVar[str] = "distinct_count (a number of values)"
    _whole: ClassVar[bool] = True
    _example: ClassVar[str] = "ge: 2"

    _known = field_validator("field")(FieldCondition._known_field.__func__)


class EvidenceScore(_Threshold):
    """The group's evidence score from one detector's findings, compared with a threshold
    (the detector declares how its findings weigh and add up: EvidenceWeights). A group
    without findings has no score and matches no threshold."""

    detector: str = Field(description="a detector that declares evidence weights")
    _figure: ClassVar[str] = "evidence_score"
    _low: ClassVar[float] = -1e9
    _example: ClassVar[str] = "ge: 1.0"

    @model_validator(mode="after")
    def _positive_ge(self) -> EvidenceScore:
        # a group without findings has no score, so a threshold at or below 0 could not
        # mean "every group scoring that much" (it would skip groups with no evidence at all)
        if self.op == "ge" and self.value <= 0:
            raise ValueError(f"ge: an evidence score threshold must be above 0 — got {self.value}")
        return self

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
    for name, value in item.items():
        if name not in SETTABLE_COLUMNS and not name.startswith("extra."):
            ref = resolve_field(name)  # raises with a hint for unknown names
            if ref.name == "errors":
                raise ValueError(
                    "errors is computed from the item's problems; give errors: instead"
                )
            raise ValueError(f"{ref.name} is computed from findings; give findings: instead")
        if name.startswith("extra."):
            path = parse_extra_path(name[len("extra.") :])
            if not all(isinstance(step, str) for step in path.steps):
                raise ValueError(
                    f"{name}: a test item sets a source value by its keys "
                    "(extra.record.langs: [en]); give a list instead of [0] or [*]"
                )
        elif isinstance(value, list | dict):
            raise ValueError(f"{name} takes a single value — got {value!r}")
    return item


ItemValue = Scalar | list[Any] | dict[str, Any] | None
#: What an item of a test case may carry besides its fields and findings (item and group cases).
CaseRegistry = Annotated[
    list[RegistryHit],
    Field(default_factory=list, description="consent registry requests covering the item"),
]
CaseErrors = Annotated[
    list[StrictStr],
    Field(
        default_factory=list,
        description="problem codes the item got (ingest or detectors: corrupt_image, bad_timestamp)",
    ),
]


class ItemCase(_Strict):
    """One item and its findings; the rule must (not) flag it."""

    name: str | None = None
    expect: Literal["match", "no_match"]
    expect_action: Literal[ACTIONS] | None = Field(  # type: ignore[valid-type]
        None, description="for a rule with tiered actions: the tier's action the item gets"
    )
    item: dict[str, ItemValue] = Field(default_factory=dict)
    findings: list[Finding] = Field(default_factory=list)
    registry: CaseRegistry
    errors: CaseErrors

    _fields = field_validator("item")(_check_item_fields)

    @model_validator(mode="after")
    def _action_of_a_match(self) -> ItemCase:
        if self.expect_action is not None and self.expect != "match":
            raise ValueError("expect_action goes with expect: match")
        return self


class GroupItem(_Strict):
    """An item in a group test case: its fields plus optional findings."""

    model_config = ConfigDict(extra="allow", frozen=True)
    item_id: StrictStr
    findings: list[Finding] = Field(default_factory=list)
    registry: CaseRegistry
    errors: CaseErrors
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
    expect_actions: dict[StrictStr, Literal[ACTIONS]] | None = Field(  # type: ignore[valid-type]
        None, description="for a rule with tiered actions: item_id → the action it gets"
    )

    @model_validator(mode="after")
    def _flagged_exist(self) -> GroupCase:
        ids = [i.item_id for i in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError("item_id values in items must be unique")
        unknown = sorted(set(self.expect_flagged) - set(ids))
        if unknown:
            raise ValueError(f"expect_flagged names items not in items: {', '.join(unknown)}")
        stray = sorted(set(self.expect_actions or {}) - set(self.expect_flagged))
        if stray:
            raise ValueError(
                f"expect_actions names items not in expect_flagged: {', '.join(stray)}"
            )
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

# ---------------------------------------------------------------- tiered actions


class Tier(_Strict):
    """One tier of a rule's actions: items that match the rule and ``when`` (the last tier
    has no ``when``: every other matching item) get this action and severity."""

    when: Condition | None = None
    action: Literal[ACTIONS]  # type: ignore[valid-type]
    severity: Literal[SEVERITIES] | None = Field(  # type: ignore[valid-type]
        None, description="default: the rule's severity"
    )


# ---------------------------------------------------------------- the rule


class Rule(_Strict):
    """One policy rule: metadata, a declarative `match` tree and its own test cases."""

    id: str = Field(description="unique, dotted: <category>.<slug>")
    title: str = Field(min_length=1)
    status: Literal[RULE_STATUSES]  # type: ignore[valid-type]
    severity: Literal[SEVERITIES]  # type: ignore[valid-type]
    action: Literal[ACTIONS] = Field(  # type: ignore[valid-type]
        description="what to do with matching items (with `actions`: the first tier's)"
    )
    actions: list[Tier] | None = Field(
        None,
        min_length=2,
        description="tiered actions, first matching tier wins; the last has no `when`",
    )
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

    @model_validator(mode="before")
    @classmethod
    def _action_or_tiers(cls, data: Any) -> Any:
        """``action`` or ``actions``, not both; with tiers, ``action`` is the first tier's."""
        if isinstance(data, dict) and "actions" in data:
            if "action" in data:
                raise ValueError(
                    "give action (one for every match) or actions (tiers), not both; e.g. "
                    "actions: [{when: {field: author_age_at_post, lt: 16}, action: exclude}, "
                    "{action: review}]"
                )
            tiers = data["actions"]
            if isinstance(tiers, list) and tiers and isinstance(tiers[0], dict):
                data = {**data, "action": tiers[0].get("action")}
        return data

    @model_validator(mode="after")
    def _last_tier_catches_all(self) -> Rule:
        tiers = self.actions or []
        for n, tier in enumerate(tiers):
            last = n == len(tiers) - 1
            if last and tier.when is not None:
                raise ValueError(
                    "the last of actions has no `when`: it is what every other matching item "
                    "gets (e.g. {action: review})"
                )
            if not last and tier.when is None:
                raise ValueError(f"actions[{n}] needs a `when` (only the last tier has none)")
        return self

    @property
    def tiers(self) -> list[Tier]:
        """The rule's tiers: its ``actions``, or one tier of its action and severity."""
        if self.actions:
            return [
                t if t.severity else t.model_copy(update={"severity": self.severity})
                for t in self.actions
            ]
        return [Tier(action=self.action, severity=self.severity)]

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
for _model in (AnyItemHaving, Aggregate, AggregateCondition, CopyCondition, Tier, Rule):
    _model.model_rebuild()


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a rule file (for editors and `audit rules schema`)."""
    schema = Rule.model_json_schema(by_alias=True)
    schema["title"] = "corpus-audit rule"
    return schema
