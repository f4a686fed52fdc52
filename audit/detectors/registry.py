"""Which detectors exist, and what each declares it produces (the detector contract).

Built-in detectors are listed in :data:`BUILTIN`; plug-ins register under the Python
entry-point group ``corpus_audit.detectors`` (name → ``"module:Class"``) and are first-class:
``--detectors``, rules (``detector: <name>``, ``types:`` checked against its declaration),
``item_view`` columns, exposure tables, masking and export redaction all read the
declarations through :class:`DetectorSpec`, never a hard-coded detector name.

Importing this module imports no detector; :func:`specs` imports the detector classes (light:
models load in ``setup()``), once per process.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
import re
from dataclasses import dataclass
from typing import Any, Final, get_args

from audit.detectors.base import (
    DerivedColumn,
    Detector,
    EvidenceWeights,
    ExposureCategory,
    FindingKind,
    InputKind,
)
from audit.schema import CANONICAL_COLUMNS, ITEM_ERROR_COLUMN, PROVENANCE_COLUMNS
from audit.vocabulary import ENTITY_TYPE_PATTERN, METADATA_EXPOSURE

#: Built-in detectors: name -> "module:Class". Imported on demand (``audit --help`` loads none).
BUILTIN: Final[dict[str, str]] = {
    "pii": "audit.detectors.pii.detector:PiiDetector",
    "minor_cues": "audit.detectors.minor_cues.detector:MinorCuesDetector",
    "faces": "audit.detectors.faces.detector:FacesDetector",
    "media_meta": "audit.detectors.media_meta.detector:MediaMetaDetector",
    "ocr_text": "audit.detectors.ocr.detector:OcrTextDetector",
    "image_hash": "audit.detectors.image_hash.detector:ImageHashDetector",
}

#: Entry-point group plug-ins register their detectors under.
ENTRY_POINT_GROUP: Final = "corpus_audit.detectors"

#: Detectors a scan runs when --detectors is not given.
DEFAULT_DETECTORS: Final[tuple[str, ...]] = (
    "pii",
    "minor_cues",
    "faces",
    "media_meta",
    "image_hash",
)

#: Types a derived column may have: the ones rules know how to compare.
DERIVED_SQL_TYPES: Final = ("VARCHAR", "INTEGER", "BIGINT", "DOUBLE", "BOOLEAN", "DATE",
                            "TIMESTAMP", "VARCHAR[]")  # fmt: skip
FILTER_PLACEHOLDER: Final = "/*FILTER*/"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_COLUMN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class UnknownDetectorError(KeyError):
    """A detector name that is neither built in nor registered by a plug-in."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])


class DetectorContractError(ValueError):
    """A detector (usually a plug-in) whose class breaks the declaration contract."""


@functools.cache
def registered() -> dict[str, str]:
    """Every registered detector: the built-ins, then plug-ins by entry point (name → target).

    A plug-in cannot replace a built-in: a clash is a :class:`DetectorContractError`.
    """
    targets = dict(BUILTIN)
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in BUILTIN and ep.value != BUILTIN[ep.name]:
            raise DetectorContractError(
                f"plug-in detector {ep.name!r} ({ep.value}, package "
                f"{ep.dist.name if ep.dist else '?'}) clashes with the built-in {ep.name!r}; "
                "rename it in the plug-in's entry points"
            )
        targets.setdefault(ep.name, ep.value)
    return targets


def detectors_help() -> str:
    """The ``--detectors`` help text: the defaults and every other registered detector (no
    detector is imported: this runs for ``audit --help``)."""
    others = [n for n in registered() if n not in DEFAULT_DETECTORS]
    more = f"; also available: {', '.join(others)}" if others else ""
    return (
        f"Comma-separated detectors (default: {','.join(DEFAULT_DETECTORS)}{more}); "
        "'none' for a metadata-only scan."
    )


def detector_class(name: str) -> type[Detector]:
    """Import and return the class registered under ``name``.

    ``name`` may also be a ``"package.module:Class"`` target (tests, ad-hoc detectors):
    engines pass names to worker processes, which see the same entry points.
    """
    target = registered().get(name) or (name if ":" in name else None)
    if target is None:
        raise UnknownDetectorError(
            f"unknown detector {name!r}; known: {', '.join(sorted(registered()))}"
        )
    module_name, _, class_name = target.partition(":")
    try:
        return getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise DetectorContractError(
            f"detector {name!r} ({target}) cannot be imported: {type(exc).__name__}: {exc}"
        ) from exc


def available_detectors() -> list[str]:
    """Names of registered detectors whose module is importable in this installation."""
    out = []
    for name, target in registered().items():
        try:
            found = importlib.util.find_spec(target.partition(":")[0]) is not None
        except ModuleNotFoundError:  # a missing parent package
            found = False
        if found:
            out.append(name)
    return out


def create_detector(name: str, **options: Any) -> Detector:
    """Instantiate a registered detector with its options (e.g. ``faces`` upsample)."""
    return detector_class(name)(**options)


@dataclass(frozen=True)
class DetectorSpec:
    """What a detector declares it produces, read from its class and checked."""

    name: str
    version: str
    input_kind: InputKind
    entity_types: tuple[str, ...]
    personal_data: bool
    finding_kind: FindingKind
    label: str
    derived_columns: tuple[DerivedColumn, ...]
    exposure: tuple[ExposureCategory, ...]
    finding_noun: tuple[str, str]  # (singular, plural) for rule wording
    found_in: str  # "in the text", "in the image", ...
    evidence: EvidenceWeights | None = None  # how findings add up over a group (rules)
    # attribute keys its findings may carry (rules' `attributes:` are checked against them;
    # empty: not declared, any lower_case key is accepted)
    finding_attributes: tuple[str, ...] = ()

    @property
    def masks_text(self) -> bool:
        """Its findings are personal data at offsets of the item's text (export redacts them)."""
        return self.personal_data and self.finding_kind == "text_span"

    @property
    def blurs_boxes(self) -> bool:
        """Its findings are personal data in image regions (dashboard and report blur them)."""
        return self.personal_data and self.finding_kind == "image_box"


def contract_problems(cls: Any, name: str | None = None) -> list[str]:
    """Every way ``cls`` breaks the detector contract (empty when it keeps it)."""
    problems: list[str] = []

    def need(attr: str, ok: bool, what: str) -> None:
        if not ok:
            problems.append(f"{attr}: {what} (got {getattr(cls, attr, '<missing>')!r})")

    det = getattr(cls, "name", None)
    need("name", isinstance(det, str) and bool(_NAME.match(det)), "a lower_case id")
    if name is not None and ":" not in name and det != name:
        problems.append(f"name: the class says {det!r} but is registered as {name!r}")
    need("version", isinstance(getattr(cls, "version", None), str), "a string")
    kind = getattr(cls, "input_kind", None)
    need("input_kind", kind in get_args(InputKind), f"one of {get_args(InputKind)}")
    types = getattr(cls, "entity_types", None)
    need(
        "entity_types",
        isinstance(types, tuple)
        and bool(types)
        and all(isinstance(t, str) and ENTITY_TYPE_PATTERN.match(t) for t in types),
        "a non-empty tuple of UPPER_CASE entity types",
    )
    need("personal_data", isinstance(getattr(cls, "personal_data", None), bool), "True or False")
    finding_kind = getattr(cls, "finding_kind", None)
    need("finding_kind", finding_kind in get_args(FindingKind), f"one of {get_args(FindingKind)}")
    if finding_kind == "text_span" and kind != "text":
        problems.append("finding_kind: text_span findings need input_kind 'text'")
    label = getattr(cls, "label", None)
    need("label", isinstance(label, str) and bool(label.strip()), "a short description")
    noun = getattr(cls, "finding_noun", ("finding", "findings"))
    need(
        "finding_noun",
        isinstance(noun, tuple) and len(noun) == 2 and all(isinstance(n, str) for n in noun),
        "(singular, plural)",
    )
    for col in getattr(cls, "derived_columns", ()):
        problems += _column_problems(col)
    for cat in getattr(cls, "exposure", ()):
        if not isinstance(cat, ExposureCategory) or not _COLUMN.match(cat.key):
            problems.append(f"exposure: {cat!r} is not an ExposureCategory with a lower_case key")
    evidence = getattr(cls, "evidence", None)
    if evidence is not None:
        problems += _evidence_problems(evidence, types if isinstance(types, tuple) else ())
    for method in ("setup", "detect_batch", "describe"):
        if not callable(getattr(cls, method, None)):
            problems.append(f"{method}(): missing")
    return problems


def _column_problems(col: Any) -> list[str]:
    if not isinstance(col, DerivedColumn):
        return [f"derived_columns: {col!r} is not a DerivedColumn"]
    problems = []
    if not _COLUMN.match(col.name):
        problems.append(f"derived column {col.name!r}: not a lower_case column name")
    if col.name in CANONICAL_COLUMNS or col.name in PROVENANCE_COLUMNS:
        problems.append(f"derived column {col.name!r}: clashes with an item column")
    if col.sql_type not in DERIVED_SQL_TYPES:
        problems.append(f"derived column {col.name!r}: type must be one of {DERIVED_SQL_TYPES}")
    if FILTER_PLACEHOLDER not in col.aggregate:
        problems.append(f"derived column {col.name!r}: its aggregate needs {FILTER_PLACEHOLDER}")
    return problems


def _evidence_problems(evidence: Any, types: tuple[str, ...]) -> list[str]:
    if not isinstance(evidence, EvidenceWeights):
        return [f"evidence: {evidence!r} is not an EvidenceWeights"]
    problems = []
    if not evidence.weight.strip() or not evidence.label.strip():
        problems.append("evidence: needs a label and a weight expression")
    for t, cap in evidence.caps.items():
        if t not in types:
            problems.append(f"evidence: caps name {t!r}, which is not in entity_types")
        if not (isinstance(cap, tuple) and len(cap) == 2 and cap[0] <= cap[1]):
            problems.append(f"evidence: cap of {t} must be (low, high) with low <= high")
    for col in evidence.item_columns:
        if col not in CANONICAL_COLUMNS and col not in PROVENANCE_COLUMNS:
            problems.append(f"evidence: item_columns names {col!r}, not an item column")
    return problems


def _spec_of(name: str, cls: Any) -> DetectorSpec:
    problems = contract_problems(cls, name)
    if problems:
        raise DetectorContractError(
            f"detector {name!r} ({cls.__module__}.{cls.__qualname__}) breaks the detector "
            "contract (docs/DETECTORS.md, 'Writing a detector'):\n  - " + "\n  - ".join(problems)
        )
    default_place = {
        "text_span": "in the text",
        "image_box": "in the image",
        "media_fact": "in the image file",
    }
    return DetectorSpec(
        name=cls.name,
        version=cls.version,
        input_kind=cls.input_kind,
        entity_types=tuple(cls.entity_types),
        personal_data=cls.personal_data,
        finding_kind=cls.finding_kind,
        label=cls.label,
        derived_columns=tuple(getattr(cls, "derived_columns", ())),
        exposure=tuple(getattr(cls, "exposure", ())),
        finding_noun=tuple(getattr(cls, "finding_noun", ("finding", "findings"))),
        found_in=getattr(cls, "found_in", default_place[cls.finding_kind]),
        evidence=getattr(cls, "evidence", None),
        finding_attributes=tuple(getattr(cls, "finding_attributes", ())),
    )


@functools.cache
def spec(name: str) -> DetectorSpec:
    """The checked declarations of one detector (a registered name or a module:Class target)."""
    return _spec_of(name, detector_class(name))


@functools.cache
def specs() -> dict[str, DetectorSpec]:
    """Declarations of every available detector, checked together (no two detectors may
    declare the same derived column or exposure key). Raises :class:`DetectorContractError`.
    """
    out = {name: spec(name) for name in available_detectors()}
    seen: dict[str, str] = {ITEM_ERROR_COLUMN: "the item errors"}
    seen |= {c.key: "a metadata exposure category" for c in METADATA_EXPOSURE}
    for s in out.values():
        for key in [c.name for c in s.derived_columns] + [c.key for c in s.exposure]:
            if key in seen:
                raise DetectorContractError(
                    f"detector {s.name!r} declares {key!r}, already declared by {seen[key]}"
                )
            seen[key] = f"detector {s.name!r}"
    return out


def derived_columns() -> dict[str, str]:
    """item_view's detector columns (name → DuckDB type), in registry order."""
    return {c.name: c.sql_type for s in specs().values() for c in s.derived_columns}


def column_owner(column: str) -> str | None:
    """The detector that declares item_view column ``column`` (None for an item column)."""
    for s in specs().values():
        if any(c.name == column for c in s.derived_columns):
            return s.name
    return None


def text_masking_detectors() -> list[str]:
    """Detectors whose text spans are personal data (export redaction, masking)."""
    return [s.name for s in specs().values() if s.masks_text]


def box_blurring_detectors() -> list[str]:
    """Detectors whose image boxes are personal data (blurred until revealed)."""
    return [s.name for s in specs().values() if s.blurs_boxes]
