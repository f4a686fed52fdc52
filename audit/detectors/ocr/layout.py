"""Tesseract word boxes → one text with a character-offset → word-box map.

Pure functions with no Tesseract import, so the span → box mapping is testable on its own.
Words of one Tesseract line are joined by a space, lines by ``"\\n"`` and paragraphs or
blocks by ``"\\n\\n"``: a PII span found in the joined text then maps back to the union of
the boxes of the words it touches. Line breaks (not spaces) between lines keep regex
recognizers from gluing a number at the end of one line to the start of the next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: (top, right, bottom, left) in the pixels of the image given to Tesseract.
Box = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word: its text, box, Tesseract confidence and line identity."""

    text: str
    box: Box
    conf: float
    line: tuple[int, int, int]  # (block_num, par_num, line_num)


@dataclass(frozen=True, slots=True)
class PlacedWord:
    """A word with its ``[start, end)`` character offsets in :attr:`OcrText.text`."""

    start: int
    end: int
    word: Word


@dataclass(frozen=True, slots=True)
class OcrText:
    """The recognised text of one image and where each of its words came from."""

    text: str
    words: tuple[PlacedWord, ...]

    @property
    def mean_confidence(self) -> float:
        """Mean Tesseract word confidence (0–100); 0.0 when no word was kept."""
        if not self.words:
            return 0.0
        return sum(w.word.conf for w in self.words) / len(self.words)

    def box_for_span(self, start: int, end: int) -> Box | None:
        """Union of the boxes of the words overlapping ``[start, end)``; None if none do."""
        boxes = [w.word.box for w in self.words if w.start < end and start < w.end]
        if not boxes:
            return None
        return (
            min(b[0] for b in boxes),
            max(b[1] for b in boxes),
            max(b[2] for b in boxes),
            min(b[3] for b in boxes),
        )

    def confidence_for_span(self, start: int, end: int) -> float:
        """Lowest confidence of the words overlapping the span (the weakest link)."""
        confs = [w.word.conf for w in self.words if w.start < end and start < w.end]
        return min(confs) if confs else 0.0


def words_from_data(data: Mapping[str, Sequence[Any]], min_conf: float) -> list[Word]:
    """Words from ``pytesseract.image_to_data(..., output_type=DICT)``, in reading order.

    Keeps level-5 (word) rows with non-blank text and a confidence of at least
    ``min_conf``; Tesseract reports ``-1`` for non-word rows and low values for the
    noise it "reads" in photo textures.
    """
    words: list[Word] = []
    for i, raw in enumerate(data["text"]):
        text = str(raw).strip()
        conf = float(data["conf"][i])
        if int(data["level"][i]) != 5 or not text or conf < min_conf:
            continue
        left, top = int(data["left"][i]), int(data["top"][i])
        width, height = int(data["width"][i]), int(data["height"][i])
        line = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        words.append(Word(text, (top, left + width, top + height, left), conf, line))
    return words


def join_words(words: Sequence[Word]) -> OcrText:
    """Join words into text, recording each word's character offsets."""
    parts: list[str] = []
    placed: list[PlacedWord] = []
    offset = 0
    previous: tuple[int, int, int] | None = None
    for word in words:
        if previous is not None:
            if word.line[:2] != previous[:2]:
                sep = "\n\n"  # new block or paragraph
            elif word.line != previous:
                sep = "\n"
            else:
                sep = " "
            parts.append(sep)
            offset += len(sep)
        parts.append(word.text)
        placed.append(PlacedWord(offset, offset + len(word.text), word))
        offset += len(word.text)
        previous = word.line
    return OcrText("".join(parts), tuple(placed))
