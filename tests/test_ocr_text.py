"""The ocr_text detector: word-box layout, the text gate, and real Tesseract + pii runs.

Layout and gate tests need only numpy/Pillow. Detector tests need the Tesseract binary
(Debian ``tesseract-ocr``) and pytesseract (``uv sync --extra ocr --inexact``) and skip with
the reason otherwise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from audit.detectors.base import Content, Finding
from audit.detectors.ocr.detector import OcrTextDetector, TesseractMissingError, tesseract_version
from audit.detectors.ocr.layout import Word, join_words, words_from_data
from audit.detectors.ocr.prefilter import may_contain_text

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian fonts-dejavu-core
EMAIL = "jane.doe@example.com"
PHONE = "+1 415 555 0134"

Box = tuple[int, int, int, int]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if FONT.exists():
        return ImageFont.truetype(str(FONT), size)
    return ImageFont.load_default(size=size)  # scalable since Pillow 10.1


def _render(lines: list[str], size: tuple[int, int] = (900, 260), font_px: int = 30):
    """White image with black lines of text; returns it and each line's (t, r, b, l) box."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = _font(font_px)
    boxes: list[Box] = []
    y = 40
    for line in lines:
        left, top, right, bottom = draw.textbbox((40, y), line, font=font)
        draw.text((40, y), line, fill="black", font=font)
        boxes.append((top, right, bottom, left))
        y += int(font_px * 2)
    return image, boxes


def _inside(inner: Box, outer: Box, slack: int) -> bool:
    """``inner`` lies within ``outer`` grown by ``slack`` pixels on every side."""
    t, r, b, left = inner
    ot, orr, ob, ol = outer
    return t >= ot - slack and r <= orr + slack and b <= ob + slack and left >= ol - slack


# --- layout: offsets and boxes ------------------------------------------------------------


def _data(rows: list[tuple[int, str, float, tuple[int, int, int], Box]]) -> dict[str, list]:
    """A pytesseract DICT from (level, text, conf, (block, par, line), (t, r, b, l)) rows."""
    keys = ("level", "text", "conf", "block_num", "par_num", "line_num")
    data: dict[str, list] = {k: [] for k in (*keys, "left", "top", "width", "height")}
    for level, text, conf, (block, par, line), (t, r, b, left) in rows:
        for key, value in zip(keys, (level, text, conf, block, par, line), strict=True):
            data[key].append(value)
        data["left"].append(left)
        data["top"].append(t)
        data["width"].append(r - left)
        data["height"].append(b - t)
    return data


def test_words_from_data_keeps_confident_words_only() -> None:
    data = _data(
        [
            (4, "", -1, (1, 1, 1), (0, 100, 20, 0)),  # line row, not a word
            (5, "Contact", 95, (1, 1, 1), (0, 60, 20, 0)),
            (5, "  ", 95, (1, 1, 1), (0, 70, 20, 62)),  # blank word
            (5, "~~", 12, (1, 1, 1), (0, 90, 20, 72)),  # texture noise
            (5, "me", 91.5, (1, 1, 1), (0, 120, 20, 95)),
        ]
    )
    words = words_from_data(data, min_conf=40)
    assert [w.text for w in words] == ["Contact", "me"]
    assert words[1].box == (0, 120, 20, 95) and words[1].conf == 91.5


def test_join_words_offsets_and_separators() -> None:
    words = [
        Word("Contact", (10, 60, 30, 5), 90, (1, 1, 1)),
        Word("me:", (10, 90, 30, 65), 80, (1, 1, 1)),
        Word("a@b.co", (40, 70, 60, 5), 95, (1, 1, 2)),
        Word("Bye", (100, 40, 120, 5), 70, (2, 1, 1)),
    ]
    ocr = join_words(words)
    assert ocr.text == "Contact me:\na@b.co\n\nBye"
    for placed in ocr.words:
        assert ocr.text[placed.start : placed.end] == placed.word.text
    start = ocr.text.index("me:")
    assert ocr.box_for_span(0, start + 3) == (10, 90, 30, 5)  # union of the first two words
    assert ocr.box_for_span(start, start + 1) == (10, 90, 30, 65)  # a partial word → its box
    assert ocr.box_for_span(len(ocr.text), len(ocr.text) + 1) is None
    assert ocr.confidence_for_span(0, start + 3) == 80
    assert ocr.mean_confidence == pytest.approx(83.75)


# --- the text gate -----------------------------------------------------------------------


def _gray(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"))


@pytest.mark.parametrize("font_px", [16, 24, 40])
def test_gate_passes_rendered_text(font_px: int) -> None:
    image, _ = _render([f"Contact me: {EMAIL}"], font_px=font_px)
    assert may_contain_text(_gray(image))


def test_gate_passes_light_text_on_dark() -> None:
    image, _ = _render([f"Contact me: {EMAIL}"])
    assert may_contain_text(255 - _gray(image))


@pytest.mark.parametrize(
    "gray",
    [
        np.full((400, 600), 200, np.uint8),  # blank
        np.tile(np.linspace(0, 255, 600, dtype=np.uint8), (400, 1)),  # smooth gradient
        np.random.default_rng(0).integers(0, 256, (400, 600), dtype=np.uint8),  # noise
        np.zeros((8, 8), np.uint8),  # smaller than a block
    ],
    ids=["blank", "gradient", "noise", "tiny"],
)
def test_gate_skips_textless(gray: np.ndarray) -> None:
    assert not may_contain_text(gray)


def test_gate_skips_a_photo() -> None:
    data = pytest.importorskip("skimage.data")
    assert not may_contain_text(_gray(Image.fromarray(data.chelsea())))


# --- the detector with real Tesseract ----------------------------------------------------


def _tesseract_missing() -> str | None:
    try:
        tesseract_version()
    except TesseractMissingError as exc:
        return str(exc)
    return None


needs_tesseract = pytest.mark.skipif(
    _tesseract_missing() is not None, reason=f"{_tesseract_missing()}"
)


@pytest.fixture(scope="module")
def detector() -> OcrTextDetector:
    """One set-up detector; shares the session's loaded pii model (tests/_pii_engine.py)."""
    from _pii_engine import pii_detector

    ocr = OcrTextDetector()
    ocr._pii = pii_detector()  # same default PiiDetector that setup() would build
    return ocr


def _run(detector: OcrTextDetector, path: Path) -> tuple[list[Finding], str | None]:
    (result,) = detector.detect_batch([Content("sha", path=str(path))])
    assert result.sha256 == "sha"
    return result.findings, result.error


def _one(findings: list[Finding], entity_type: str) -> Finding:
    matches = [f for f in findings if f.entity_type == entity_type]
    assert len(matches) == 1, (entity_type, findings)
    return matches[0]


@needs_tesseract
def test_email_and_phone_found_with_boxes_over_the_text(
    detector: OcrTextDetector, tmp_path: Path
) -> None:
    image, (email_line, phone_line) = _render([f"Contact me: {EMAIL}", f"or call {PHONE}"])
    path = tmp_path / "post.png"
    image.save(path)
    findings, error = _run(detector, path)
    assert error is None
    ocr = _one(findings, "OCR_TEXT")
    text = ocr.attributes["text"]
    assert EMAIL in text and PHONE in text
    for entity, line, value in (
        ("EMAIL_ADDRESS", email_line, EMAIL),
        ("PHONE_NUMBER", phone_line, PHONE),
    ):
        finding = _one(findings, entity)
        assert text[finding.start : finding.end] == value
        assert finding.bbox is not None and _inside(finding.bbox, line, slack=4), finding
        # The box covers the value, not the whole line: it starts right of the label.
        assert finding.bbox[3] > line[3] + 60
        assert finding.attributes["ocr_confidence"] > 50
        assert finding.attributes["ocr_text_len"] == len(text)


@needs_tesseract
def test_boxes_are_in_original_pixels_after_downscale(tmp_path: Path) -> None:
    """A large image read at a bounded size still reports boxes in its own pixels."""
    from _pii_engine import pii_detector

    small = OcrTextDetector(max_side=1000)
    small._pii = pii_detector()
    image, (email_line,) = _render([f"Contact me: {EMAIL}"], size=(2000, 400), font_px=60)
    path = tmp_path / "big.png"
    image.save(path)
    findings, error = _run(small, path)
    assert error is None
    email = _one(findings, "EMAIL_ADDRESS")
    assert email.bbox is not None and _inside(email.bbox, email_line, slack=6), email
    assert email.bbox[1] - email.bbox[3] > 400  # ~2× the width it has in the OCR input


@needs_tesseract
def test_textless_image_has_no_findings(detector: OcrTextDetector, tmp_path: Path) -> None:
    data = pytest.importorskip("skimage.data")
    path = tmp_path / "coffee.jpg"
    Image.fromarray(data.coffee()).save(path)
    for ocr in (detector, _unskipped(detector)):
        findings, error = _run(ocr, path)
        assert error is None and findings == []


def _unskipped(detector: OcrTextDetector) -> OcrTextDetector:
    ocr = OcrTextDetector(skip_textless=False)
    ocr._pii = detector._pii
    return ocr


@needs_tesseract
def test_corrupt_and_missing_images_are_errors(detector: OcrTextDetector, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"this is not an image at all " * 10)
    image, _ = _render([f"Contact me: {EMAIL}"])
    good = tmp_path / "good.png"
    image.save(good)
    batch = [
        Content("a", path=str(corrupt)),
        Content("b", path=str(tmp_path / "missing.png")),
        Content("c", path=str(good)),
    ]
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[:400])
    batch.append(Content("d", path=str(truncated)))
    bad, missing, ok, cut = detector.detect_batch(batch)
    assert bad.error and bad.error.startswith("corrupt_image:") and not bad.findings
    assert missing.error and missing.error.startswith("media_missing:")
    assert ok.error is None and any(f.entity_type == "EMAIL_ADDRESS" for f in ok.findings)
    assert cut.error and cut.error.split(":")[0] in {"truncated_image", "corrupt_image"}
    assert not cut.findings


def test_missing_tesseract_binary_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    pytesseract = pytest.importorskip("pytesseract")
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    with pytest.raises(TesseractMissingError, match="apt-get install tesseract-ocr"):
        OcrTextDetector().setup()
