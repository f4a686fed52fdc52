"""Apparent-age evaluation: the real faces detector (with age) over age-labelled photos.

``truth.csv`` (in the folder, beside an ``images/`` subfolder, or given) has ``filename`` and
``age``, or ``age_min``/``age_max`` for a bracket (``age_max`` empty = open-ended, e.g. 70+).
A photo is a minor's when its age (or its whole bracket) is under 18, an adult's when it is
18 or over; a bracket that straddles 18 is not scored for minor/adult.

Per photo the decision is the one the shipped rules make: the highest P(apparent age < 18)
over its faces against the rule thresholds (exclude ≥ P_MINOR_EXCLUDE, review band from
P_MINOR_FLAG); a photo where no face is found is not flagged. The age error uses the largest
face (the labelled person in a portrait) and, for a bracket, the distance to the bracket.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from audit.detectors.base import Content
from audit.detectors.faces.age import MINOR_AGE, P_MINOR_EXCLUDE, P_MINOR_FLAG
from audit.detectors.faces.detector import FacesDetector
from audit.errors import InputError

#: Thresholds of the precision-recall table (P(minor) of the photo's most child-like face).
PR_THRESHOLDS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)


@dataclass(frozen=True)
class AgeLabel:
    """One labelled photo: an exact age or a bracket (``high`` None = open-ended)."""

    filename: str
    low: float
    high: float | None

    @property
    def minor(self) -> bool | None:
        """True under 18, False 18 and over, None when the bracket straddles 18."""
        if self.high is not None and self.high < MINOR_AGE:
            return True
        if self.low >= MINOR_AGE:
            return False
        return None

    def error(self, predicted: float) -> float:
        """Years between a predicted age and the label (0 inside a bracket)."""
        if predicted < self.low:
            return self.low - predicted
        if self.high is not None and predicted > self.high:
            return predicted - self.high
        return 0.0


def read_truth(path: Path) -> list[AgeLabel]:
    """Labels from a truth CSV; a row without any age is an InputError naming its line."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if "filename" not in (reader.fieldnames or ()):
            raise InputError(f"{path}: needs a filename column and age or age_min/age_max")
        labels = []
        for line, row in enumerate(reader, start=2):
            exact, low, high = (_float(row.get(k)) for k in ("age", "age_min", "age_max"))
            if exact is not None:
                low = high = exact
            if low is None:
                raise InputError(f"{path}:{line}: {row['filename']!r} has no age or age_min")
            labels.append(AgeLabel(row["filename"], low, high))
    return labels


def evaluate_ages(folder: Path, truth_csv: Path | None = None, **options: Any) -> dict[str, Any]:
    """Run the faces detector (with apparent age) over every labelled photo and score it.

    Returns per-photo rows, ``mae`` (years, photos with a face), ``faces_found``, minor
    ``recall``/``precision`` at the exclude threshold and with the review band, a
    ``pr_table`` by threshold, ``images_per_second`` (one process) and the detector's
    ``describe()``.
    """
    folder = Path(folder)
    truth_csv = truth_csv or _default_truth(folder)
    labels = read_truth(truth_csv)
    image_dir = folder / "images" if (folder / "images").is_dir() else folder
    detector = FacesDetector(**{"encodings": False, **options, "age": True})
    detector.setup()  # model loading is not part of the images/s figure
    started = time.perf_counter()
    rows = [_photo(detector, image_dir / label.filename, label) for label in labels]
    seconds = time.perf_counter() - started
    aged = [r for r in rows if r["age"] is not None]
    decided = [r for r in rows if r["minor"] is not None]
    return {
        "folder": str(folder),
        "truth_csv": str(truth_csv),
        "detector": detector.describe(),
        "photos": rows,
        "labelled": len(rows),
        "faces_found": len(aged),
        "errors": sum(1 for r in rows if r["error"]),
        "mae": round(sum(r["abs_error"] for r in aged) / len(aged), 2) if aged else None,
        "minors": sum(1 for r in decided if r["minor"]),
        "adults": sum(1 for r in decided if not r["minor"]),
        "exclude_threshold": P_MINOR_EXCLUDE,
        "review_threshold": P_MINOR_FLAG,
        "at_exclude": _recall_precision(decided, P_MINOR_EXCLUDE),
        "at_review": _recall_precision(decided, P_MINOR_FLAG),
        "pr_table": [
            {"p_minor_at_least": t, **_recall_precision(decided, t)} for t in PR_THRESHOLDS
        ],
        "seconds": round(seconds, 3),
        "images_per_second": round(len(rows) / seconds, 2) if seconds > 0 else None,
    }


def _photo(detector: FacesDetector, path: Path, label: AgeLabel) -> dict[str, Any]:
    result = detector.detect_batch([Content(sha256=f"eval:{path.name}", path=str(path))])[0]
    faces = [f for f in result.findings if f.entity_type == "FACE" and f.attributes]
    largest = max(faces, key=lambda f: f.attributes["width_px"], default=None)  # type: ignore[index]
    age = largest.attributes.get("age") if largest and largest.attributes else None
    p_minor = max((f.attributes.get("p_minor", 0.0) for f in faces if f.attributes), default=None)
    return {
        "filename": label.filename,
        "age_low": label.low,
        "age_high": label.high,
        "minor": label.minor,
        "faces": len(faces),
        "age": age,
        "abs_error": None if age is None else round(label.error(age), 2),
        "p_minor": p_minor,
        "error": result.error,
    }


def _recall_precision(rows: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    flagged = [r for r in rows if (r["p_minor"] or 0.0) >= threshold]
    tp = sum(1 for r in flagged if r["minor"])
    minors = sum(1 for r in rows if r["minor"])
    return {
        "flagged": len(flagged),
        "true_positives": tp,
        "recall": round(tp / minors, 3) if minors else None,
        "precision": round(tp / len(flagged), 3) if flagged else None,
    }


def format_ages_report(result: dict[str, Any]) -> Table:
    """The precision-recall table by threshold, the summary figures as caption."""
    table = Table(title=f"Apparent age: {result['folder']}")
    for column in ("P(minor) ≥", "flagged", "recall", "precision"):
        table.add_column(column, justify="right")
    for row in result["pr_table"]:
        mark = {result["exclude_threshold"]: " exclude", result["review_threshold"]: " review"}
        table.add_row(
            f"{row['p_minor_at_least']}{mark.get(row['p_minor_at_least'], '')}",
            str(row["flagged"]),
            _fmt(row["recall"]),
            _fmt(row["precision"]),
        )
    ex, rv = result["at_exclude"], result["at_review"]
    table.caption = (
        f"{result['labelled']} photos ({result['minors']} minors, {result['adults']} adults) · "
        f"face found in {result['faces_found']} · MAE {result['mae']} years · "
        f"exclude (≥ {result['exclude_threshold']}): recall {_fmt(ex['recall'])}, precision "
        f"{_fmt(ex['precision'])} · with review (≥ {result['review_threshold']}): recall "
        f"{_fmt(rv['recall'])}, precision {_fmt(rv['precision'])} · "
        f"{result['images_per_second']} img/s (1 process)"
    )
    return table


def _default_truth(folder: Path) -> Path:
    for candidate in (
        folder / "truth.csv",
        folder / "images" / "truth.csv",
        folder.parent / "truth.csv",
    ):
        if candidate.is_file():
            return candidate
    raise InputError(f"{folder}: no truth.csv; pass --truth with filename and age columns")


def _float(value: str | None) -> float | None:
    return float(value) if value not in (None, "") else None


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
