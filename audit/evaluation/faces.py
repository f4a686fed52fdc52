"""Face-count evaluation: run the real faces detector over a labelled folder of images.

The counts file has columns ``filename, faces`` and optionally ``faces_min, faces_max``
(an accepted range where a count is debatable, e.g. a blurred half face at the edge). Rows
with an empty ``faces`` are files expected to fail (corrupt, truncated…): they are run and
listed with their error but not scored.
"""

from __future__ import annotations

import csv
import hashlib
import time
from pathlib import Path
from typing import Any

from rich.table import Table

from audit.detectors.base import Content
from audit.detectors.faces.detector import FacesDetector
from audit.errors import InputError

DEFAULT_COUNTS_FILES = ("face_counts.csv", "truth.csv")


def evaluate_faces(folder: Path, counts_csv: Path | None = None, **detector_options: Any) -> dict:
    """Detect faces in every labelled image of ``folder`` and score the counts.

    ``folder`` holds the images, or an ``images/`` subfolder does (the layout of
    a folder of photos with counted faces). Returns ``images`` (per image: filename, true, true_min,
    true_max, predicted, error, exact, in_range), ``scored``, ``exact_accuracy``,
    ``range_accuracy``, ``mean_abs_error``, ``errors``, ``seconds``, ``images_per_second``
    and the detector's ``describe()``. Runs in this process (one core).
    """
    folder = Path(folder)
    counts_csv = counts_csv or _default_counts(folder)
    labels = _read_counts(counts_csv)
    image_dir = folder / "images" if (folder / "images").is_dir() else folder
    detector = FacesDetector(**detector_options)
    detector.setup()  # model loading is not part of the images/s figure

    started = time.perf_counter()
    rows = []
    for label in labels:
        path = image_dir / label["filename"]
        result = detector.detect_batch([Content(sha256=_sha256(path), path=str(path))])[0]
        faces = [f for f in result.findings if f.entity_type == "FACE"]
        predicted = None if result.error else len(faces)
        rows.append(_score(label, predicted, result.error))
    seconds = time.perf_counter() - started

    scored = [r for r in rows if r["true"] is not None]
    n = len(scored)
    return {
        "folder": str(folder),
        "counts_csv": str(counts_csv),
        "detector": detector.describe(),
        "images": rows,
        "scored": n,
        "exact_accuracy": sum(r["exact"] for r in scored) / n if n else None,
        "range_accuracy": sum(r["in_range"] for r in scored) / n if n else None,
        # An image that failed to load counts as 0 faces found.
        "mean_abs_error": (
            sum(abs((r["predicted"] or 0) - r["true"]) for r in scored) / n if n else None
        ),
        "errors": sum(1 for r in rows if r["error"]),
        "seconds": round(seconds, 3),
        "images_per_second": round(len(rows) / seconds, 2) if seconds > 0 else None,
    }


def format_faces_report(result: dict) -> Table:
    """A rich table: one row per image (misses first), the summary figures as caption."""
    table = Table(title=f"Face counts: {result['folder']}", show_lines=False)
    for column in ("image", "true", "predicted", "ok"):
        table.add_column(column, justify="left" if column == "image" else "right")
    for row in sorted(result["images"], key=lambda r: (r["in_range"] is not False, r["filename"])):
        table.add_row(
            row["filename"],
            _true_text(row),
            row["error"] or str(row["predicted"]),
            {True: "[green]yes", False: "[red]no", None: "[dim]n/a"}[row["in_range"]],
        )
    table.caption = (
        f"{result['scored']} scored · exact {_pct(result['exact_accuracy'])} · "
        f"within range {_pct(result['range_accuracy'])} · MAE {_num(result['mean_abs_error'])} · "
        f"{result['errors']} errors · {result['images_per_second']} img/s (1 process)"
    )
    return table


def _default_counts(folder: Path) -> Path:
    """``<folder>/face_counts.csv`` or ``truth.csv``; also beside an ``images/`` folder."""
    for name in DEFAULT_COUNTS_FILES:
        for candidate in (folder / name, folder / "images" / name, folder.parent / name):
            if candidate.is_file():
                return candidate
    raise InputError(f"{folder}: no {' or '.join(DEFAULT_COUNTS_FILES)}; pass the counts CSV")


def _read_counts(path: Path) -> list[dict[str, Any]]:
    """Rows with filename, true count (None = expected to fail) and accepted range."""
    labels = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"filename", "faces"} - set(reader.fieldnames or ())
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for row in reader:
            true = _int_or_none(row.get("faces"))
            lo = _int_or_none(row.get("faces_min"))
            hi = _int_or_none(row.get("faces_max"))
            labels.append(
                {
                    "filename": row["filename"],
                    "true": true,
                    "true_min": true if lo is None else lo,
                    "true_max": true if hi is None else hi,
                }
            )
    return labels


def _score(label: dict[str, Any], predicted: int | None, error: str | None) -> dict[str, Any]:
    true, lo, hi = label["true"], label["true_min"], label["true_max"]
    scored = true is not None
    return {
        **label,
        "predicted": predicted,
        "error": error,
        # An unreadable image that should have been readable counts as wrong, not skipped.
        "exact": (predicted == true) if scored else None,
        "in_range": (predicted is not None and lo <= predicted <= hi) if scored else None,
    }


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing:" + str(path)  # the detector reports media_missing


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


def _true_text(row: dict[str, Any]) -> str:
    if row["true"] is None:
        return "error expected"
    if row["true_min"] != row["true_max"]:
        return f"{row['true']} ({row['true_min']}–{row['true_max']})"
    return str(row["true"])


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
