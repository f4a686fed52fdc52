"""The detector interface shared by every detector and every engine.

A detector turns a batch of *contents* (distinct texts or image files, identified by the
sha256 of their bytes) into findings. Engines (``audit/engine/``) decide what to analyse
(cache misses only, each distinct content once) and where (process pool, Ray); detectors
never see item ids, so duplicates across a corpus cost one analysis.

Detectors load their models lazily in :meth:`Detector.setup`, which an engine calls once
per worker process; importing this module or the registry imports no heavy library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

InputKind = Literal["text", "image"]
#: Where a detector's findings point: ``text_span`` = character offsets into the item's own
#: text; ``image_box`` = pixel boxes in the item's image; ``media_fact`` = facts about the
#: media file as a whole (metadata), with no position.
FindingKind = Literal["text_span", "image_box", "media_fact"]


@dataclass(frozen=True, slots=True)
class DerivedColumn:
    """A per-item column a detector adds to ``item_view`` (rules, reports and filters read it).

    ``aggregate`` is a DuckDB aggregate over the ``findings`` rows of one item; every
    aggregate call in it carries ``/*FILTER*/``, which becomes ``FILTER (WHERE detector =
    '<name>')`` so that all detectors' columns come out of one pass over the findings.
    ``default`` is the SQL value of an item without findings (None: NULL).
    """

    name: str
    sql_type: str  # a DuckDB type the rules understand (audit/rules/columns.py)
    aggregate: str
    default: str | None
    description: str


@dataclass(frozen=True, slots=True)
class EvidenceWeights:
    """How a detector's findings add up to evidence about a group of items (e.g. an author).

    Rules use it with ``having: {evidence_score: {detector: <name>, ge: <score>}}``. Per group:
    each finding gets a signed ``weight`` (SQL over the finding ``f`` — entity_type, score,
    attributes as JSON text — and its item ``i``, whose columns listed in ``item_columns``
    are available); per item and entity type the weight of largest magnitude counts; per
    entity type the group's sum is clipped to ``caps[type]`` (low, high); the score is the sum
    over types. Positive evidence for, negative against: one strong cue can be outweighed.
    """

    label: str  # what the score measures: "minor evidence"
    weight: str  # SQL expression; NULL or 0 means "no evidence"
    caps: dict[str, tuple[float, float]]
    item_columns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExposureCategory:
    """A row of the report's and dashboard's exposure table: items that carry something.

    ``predicate`` is a boolean SQL expression over ``item_view`` (usually over the
    detector's derived columns). ``minors`` puts the row under "Minors" (and into its count).
    """

    key: str
    label: str  # as the report's table says it: "Faces in images"
    short_label: str  # for chart axes: "faces"
    predicate: str
    minors: bool = False


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a detector found in one content.

    ``start``/``end`` are character offsets (end exclusive) for text detectors; ``bbox`` is
    ``(top, right, bottom, left)`` in pixels of the original (EXIF-rotated) image for image
    detectors. ``embedding`` is an optional vector (e.g. a 128-d face encoding).
    """

    entity_type: str
    score: float = 1.0
    start: int | None = None
    end: int | None = None
    bbox: tuple[int, int, int, int] | None = None
    recognizer: str | None = None
    attributes: dict[str, Any] | None = None
    embedding: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class Content:
    """One distinct content to analyse: a text, or an image file (``path`` to its bytes)."""

    sha256: str
    text: str | None = None
    path: str | None = None


@dataclass(slots=True)
class Result:
    """What a detector made of one content: findings, or an error (never both missing)."""

    sha256: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # "code: message", e.g. "corrupt_image: cannot identify image"


@runtime_checkable
class Detector(Protocol):
    """A detector. Implementations are plain classes registered in :data:`REGISTRY`."""

    name: ClassVar[str]  # stable id used in rules (`detector: pii`) and the cache key
    version: ClassVar[str]  # bump whenever logic, patterns or model change
    input_kind: ClassVar[InputKind]
    #: Every entity type its findings can carry; rules' ``types:`` are checked against it.
    entity_types: ClassVar[tuple[str, ...]]
    #: True: its spans/boxes are personal data — redacted by ``audit export`` (text spans),
    #: masked in the dashboard and report, blurred in images (boxes).
    personal_data: ClassVar[bool]
    finding_kind: ClassVar[FindingKind]
    label: ClassVar[str]  # what it finds, in a few words: "personal data in text"
    # Optional declarations (audit.detectors.registry.DetectorSpec reads them):
    # ``derived_columns: ClassVar[tuple[DerivedColumn, ...]]`` item_view columns it adds,
    # ``exposure: ClassVar[tuple[ExposureCategory, ...]]`` its rows of the exposure table,
    # ``finding_noun: ClassVar[tuple[str, str]]`` (singular, plural) for rule wording,
    # ``evidence: ClassVar[EvidenceWeights]`` how its findings add up over a group of items,
    # ``found_in: ClassVar[str]`` where findings are, e.g. "in the image metadata".
    # Optional: ``batch_size: ClassVar[int]`` contents per detect_batch call
    # (default 256 for text, 8 for images; see batch_size_of), and
    # ``in_process: ClassVar[bool] = True`` for cheap detectors a process pool would slow.

    def setup(self) -> None:
        """Load models; called once per worker process before the first batch."""

    def detect_batch(self, batch: list[Content]) -> list[Result]:
        """Analyse a batch; return exactly one :class:`Result` per content, in order.

        Must not raise for bad content (a corrupt image, odd text): return a Result with
        ``error`` set instead. Raising is reserved for a broken installation.
        """
        ...

    def describe(self) -> dict[str, Any]:
        """Versions of models/libraries used, for the run manifest."""
        ...


def batch_size_of(cls: type[Detector]) -> int:
    """The batch size a detector asks for (``batch_size`` class attribute), or a default."""
    default = 256 if cls.input_kind == "text" else 8
    return int(getattr(cls, "batch_size", default))


def error_code(error: str) -> str:
    """The machine code of a :attr:`Result.error` ("code: message" → "code")."""
    code, sep, _ = error.partition(":")
    return code.strip() if sep and code.strip() else "detector_error"
