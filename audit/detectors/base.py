"""The detector interface shared by every detector and every engine.

A detector turns a batch of *contents* (distinct texts or image files, identified by the
sha256 of their bytes) into findings. Engines (``audit/engine/``) decide what to analyse
(cache misses only, each distinct content once) and where (process pool, Ray); detectors
never see item ids, so duplicates across a corpus cost one analysis.

Detectors load their models lazily in :meth:`Detector.setup`, which an engine calls once
per worker process; importing this module or the registry imports no heavy library.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

InputKind = Literal["text", "image"]


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


#: name -> "module:Class". Imported on demand so `audit --help` loads no model library.
REGISTRY: dict[str, str] = {
    "pii": "audit.detectors.pii.detector:PiiDetector",
    "minor_cues": "audit.detectors.minor_cues:MinorCuesDetector",
    "faces": "audit.detectors.faces.detector:FacesDetector",
    "media_meta": "audit.detectors.media_meta.detector:MediaMetaDetector",
    "ocr_text": "audit.detectors.ocr.detector:OcrTextDetector",
}

#: Detectors a scan runs when --detectors is not given.
DEFAULT_DETECTORS: tuple[str, ...] = ("pii", "minor_cues", "faces", "media_meta")


class UnknownDetectorError(KeyError):
    """A detector name that is not in the registry."""


def detector_class(name: str) -> type[Detector]:
    """Import and return the class registered under ``name``.

    ``name`` may also be a ``"package.module:Class"`` target (plugins, tests): engines pass
    names to worker processes, which cannot see registry entries added at run time.
    """
    target = REGISTRY.get(name) or (name if ":" in name else None)
    if target is None:
        raise UnknownDetectorError(
            f"unknown detector {name!r}; known: {', '.join(sorted(REGISTRY))}"
        )
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def batch_size_of(cls: type[Detector]) -> int:
    """The batch size a detector asks for (``batch_size`` class attribute), or a default."""
    default = 256 if cls.input_kind == "text" else 8
    return int(getattr(cls, "batch_size", default))


def error_code(error: str) -> str:
    """The machine code of a :attr:`Result.error` ("code: message" → "code")."""
    code, sep, _ = error.partition(":")
    return code.strip() if sep and code.strip() else "detector_error"


def available_detectors() -> list[str]:
    """Names of registered detectors whose module is importable in this installation."""
    return [
        name
        for name, target in REGISTRY.items()
        if importlib.util.find_spec(target.partition(":")[0])
    ]


def create_detector(name: str, **options: Any) -> Detector:
    """Instantiate a registered detector with its options (e.g. ``faces`` upsample)."""
    return detector_class(name)(**options)
