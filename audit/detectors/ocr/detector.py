"""``ocr_text``: text inside images (screenshots, name tags, documents) and the PII in it.

Optional and off by default (not in ``DEFAULT_DETECTORS``): it needs the Tesseract binary
(Debian ``tesseract-ocr``) and ``pytesseract`` (``pip install 'corpus-audit[ocr]'``), and it
costs about a second of CPU per image that holds text. Enable with
``--detectors pii,minor_cues,faces,media_meta,ocr_text``; see docs/OCR.md.

Per image: a numpy gate (``ocr_prefilter``) skips images with no line of text; the others
are loaded through :mod:`audit.imageio` (EXIF orientation, bounded size, bomb guard),
converted to grayscale and read by ``pytesseract.image_to_data`` (word boxes and
confidences). The words are joined into one text (``ocr_layout``) and analysed by the
project's own :class:`~audit.detectors.pii.PiiDetector` (same entities, recognizers and
prefilter as captions), so every PII finding keeps its character span in the OCR text and
gains the union box of the words it covers, in original image pixels.

Findings: one ``OCR_TEXT`` per image where text was read (bbox = all words), plus one per
PII span with the PII entity type (``EMAIL_ADDRESS``, ``PHONE_NUMBER``, ...).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar, Final

from audit.detectors.base import Content, Finding, FindingKind, InputKind, Result
from audit.detectors.ocr.layout import OcrText, join_words, words_from_data
from audit.detectors.ocr.prefilter import GATE_SIDE, may_contain_text
from audit.detectors.pii.detector import DEFAULT_ENTITIES, PiiDetector
from audit.errors import UsageError
from audit.imageio import ImageLoadError, LoadedImage, load_image

if TYPE_CHECKING:
    from PIL import Image

    from audit.detectors.pii.detector import PiiDetector

APT_PACKAGE: Final = "tesseract-ocr"
#: ``OCR_TEXT`` keeps at most this much recognised text for reviewers (the rest is cut).
MAX_STORED_TEXT: Final = 2000


class TesseractMissingError(UsageError):
    """``ocr_text`` was asked for but the Tesseract binary or pytesseract is not installed."""


class OcrTextDetector:
    """Tesseract OCR + the pii detector on the recognised text (see module docstring)."""

    name: ClassVar[str] = "ocr_text"
    # the pii detector's version is part of ours: its findings on the OCR text are cached here
    version: ClassVar[str] = f"1+pii{PiiDetector.version}"
    input_kind: ClassVar[InputKind] = "image"
    # OCR_TEXT (the text read, with its box) and the pii detector's types on that text
    entity_types: ClassVar[tuple[str, ...]] = ("OCR_TEXT", *DEFAULT_ENTITIES)
    personal_data: ClassVar[bool] = True
    # boxes in the image: offsets are into the OCR text, not the item's text
    finding_kind: ClassVar[FindingKind] = "image_box"
    label: ClassVar[str] = "personal data in text inside images"
    found_in: ClassVar[str] = "in text in the image"
    #: OCR takes 0.3–5 s per image: small batches keep the pool's workers evenly loaded.
    batch_size: ClassVar[int] = 4

    def __init__(
        self,
        skip_textless: bool = True,
        max_side: int = 2000,
        min_word_conf: float = 40.0,
        lang: str = "eng",
        psm: int = 3,
        timeout: float = 120.0,
        pii: dict[str, Any] | None = None,
    ) -> None:
        """Options (``--detector-option``-style dict from the scan).

        ``max_side`` bounds the image given to Tesseract (its cost grows with pixels; text
        stays legible for common screenshot sizes). ``min_word_conf`` drops the low
        confidence "words" Tesseract reads in photo textures. ``psm`` is Tesseract's page
        segmentation mode (3 = automatic). ``pii`` holds PiiDetector options.
        """
        if not isinstance(max_side, int) or max_side < 64:
            raise ValueError(f"ocr_text: max_side must be an int ≥ 64, not {max_side!r}")
        self.skip_textless = bool(skip_textless)
        self.max_side = max_side
        self.min_word_conf = float(min_word_conf)
        self.lang = lang
        self.psm = int(psm)
        self.timeout = float(timeout)
        self.pii_options = dict(pii or {})
        self._pii: PiiDetector | None = None

    def setup(self) -> None:
        """Check Tesseract is installed, then load the pii detector (once per worker)."""
        if self._pii is not None:
            return
        tesseract_version()  # raises TesseractMissingError with the install hint
        from audit.detectors.pii.detector import PiiDetector

        pii = PiiDetector(**self.pii_options)
        pii.setup()
        self._pii = pii

    def describe(self) -> dict[str, Any]:
        """Tesseract and pii versions plus the options, for the run manifest."""
        from audit.detectors.pii.detector import PiiDetector

        try:
            tesseract: str | None = tesseract_version()
        except TesseractMissingError:
            tesseract = None
        return {
            "tesseract": tesseract,
            "options": {
                "skip_textless": self.skip_textless,
                "max_side": self.max_side,
                "min_word_conf": self.min_word_conf,
                "lang": self.lang,
                "psm": self.psm,
            },
            "pii": PiiDetector(**self.pii_options).describe(),
        }

    def detect_batch(self, batch: list[Content]) -> list[Result]:
        """One Result per image; unreadable images and OCR failures become error Results."""
        self.setup()
        assert self._pii is not None
        read = [self._read(c) for c in batch]
        # One pii call for the whole batch: spaCy batches its NER over all the texts.
        pii_results = iter(
            self._pii.detect_batch(
                [
                    Content(c.sha256, text=r[0].text)
                    for c, r in zip(batch, read, strict=True)
                    if not isinstance(r, Result)
                ]
            )
        )
        return [
            r if isinstance(r, Result) else _result(c.sha256, *r, next(pii_results))
            for c, r in zip(batch, read, strict=True)
        ]

    def _read(self, content: Content) -> tuple[OcrText, LoadedImage] | Result:
        """Gate, load and OCR one image; a Result when there is nothing (more) to do."""
        if not content.path:
            return Result(content.sha256, error="media_missing: content has no image path")
        try:
            if self.skip_textless and not passes_gate(content.path):
                return Result(content.sha256)
            image = load_image(content.path, max_side=self.max_side)
        except ImageLoadError as exc:
            return Result(content.sha256, error=str(exc))
        try:
            data = self._tesseract(_gray_image(image))
        except _OcrFailure as exc:
            return Result(content.sha256, error=str(exc))
        ocr = join_words(words_from_data(data, self.min_word_conf))
        if not ocr.words:
            return Result(content.sha256)
        return ocr, image

    def _tesseract(self, gray: Image.Image) -> dict[str, list[Any]]:
        import pytesseract

        try:
            return pytesseract.image_to_data(
                gray,
                lang=self.lang,
                config=f"--psm {self.psm}",
                timeout=self.timeout,
                output_type=pytesseract.Output.DICT,
            )
        except pytesseract.TesseractError as exc:
            raise _OcrFailure(f"ocr_error: {exc.message or exc}") from None
        except RuntimeError as exc:  # pytesseract's timeout ("Tesseract process timeout")
            raise _OcrFailure(f"ocr_timeout: {exc} after {self.timeout:g} s") from None


class _OcrFailure(Exception):
    """Tesseract failed on one image; the message is a Result.error string."""


def tesseract_version() -> str:
    """The installed Tesseract version, or :class:`TesseractMissingError` naming what to install."""
    try:
        import pytesseract
    except ImportError:
        raise TesseractMissingError(
            "ocr_text needs pytesseract: pip install 'corpus-audit[ocr]' "
            f"(and the {APT_PACKAGE} system package)"
        ) from None
    try:
        return str(pytesseract.get_tesseract_version())
    except (pytesseract.TesseractNotFoundError, OSError) as exc:
        raise TesseractMissingError(
            f"ocr_text needs the Tesseract binary: apt-get install {APT_PACKAGE} "
            f"(Debian/Ubuntu), or put tesseract on PATH ({exc})"
        ) from None


def _gray_image(image: LoadedImage) -> Image.Image:
    """Grayscale for Tesseract: measured, it reads name tags on photos in L but not in RGB."""
    from PIL import Image

    return Image.fromarray(image.pixels).convert("L")


def passes_gate(path: str) -> bool:
    """The cheap text gate on one image file: False means "no line of text, skip OCR".

    Loads a small grayscale copy (JPEG draft decoding makes this cheap) at the scale the
    gate's thresholds were measured at. Raises :class:`ImageLoadError` like ``load_image``.
    """
    import numpy as np

    return may_contain_text(np.asarray(_gray_image(load_image(path, max_side=GATE_SIDE))))


def _result(sha256: str, ocr: OcrText, image: LoadedImage, pii: Result) -> Result:
    """OCR_TEXT plus PII findings with word boxes mapped back to original pixels."""
    all_box = ocr.box_for_span(0, len(ocr.text))
    findings = [
        Finding(
            "OCR_TEXT",
            score=round(ocr.mean_confidence / 100.0, 4),
            start=0,
            end=len(ocr.text),
            bbox=image.to_original(*all_box) if all_box else None,
            recognizer="tesseract",
            attributes={
                "text": ocr.text[:MAX_STORED_TEXT],
                "text_truncated": len(ocr.text) > MAX_STORED_TEXT,
                "text_len": len(ocr.text),
                "word_count": len(ocr.words),
                "mean_confidence": round(ocr.mean_confidence, 1),
            },
        )
    ]
    for f in pii.findings:
        start, end = f.start or 0, f.end or 0
        box = ocr.box_for_span(start, end)
        findings.append(
            dataclasses.replace(
                f,
                bbox=image.to_original(*box) if box else None,
                attributes={
                    **(f.attributes or {}),
                    "ocr_text_len": len(ocr.text),
                    "ocr_confidence": round(ocr.confidence_for_span(start, end), 1),
                },
            )
        )
    return Result(sha256, findings, error=pii.error)
