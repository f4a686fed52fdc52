"""Face detection (dlib HOG via face_recognition's models) with optional 128-d encodings.

Speed comes from detecting at a bounded working resolution instead of the naive
"upsample 1 on the full-size image": with ``upsample="auto"`` the detector sees every image
at an *effective* long side of at most ``max_side`` pixels (downscaled images at upsample
0; smaller ones upsampled once), so its cost is bounded per image while every face of at
least max(40 px, 80/max_side of the long side) in original pixels stays detectable.
Measurements behind the defaults: docs/FACES.md.
"""

from __future__ import annotations

import importlib.metadata
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from audit.detectors.base import (
    Content,
    DerivedColumn,
    ExposureCategory,
    Finding,
    FindingKind,
    Result,
)
from audit.detectors.faces import encoder as face_encoder
from audit.detectors.faces.age import P_MINOR_FLAG, AgeEstimator, FaceAge, closeup_boxes
from audit.imageio import ImageLoadError, LoadedImage, image_size, load_image

#: dlib's HOG window is 80×80: at upsample 0 it finds faces from ~80 px, each upsample halves that.
HOG_MIN_FACE_PX = 80

Model = Literal["hog", "cnn"]


@dataclass(frozen=True, slots=True)
class Plan:
    """How to look at one image: the working long side to load at and the upsample count."""

    max_side: int | None
    upsample: int


def plan_for(width: int, height: int, max_side: int, upsample: int | Literal["auto"]) -> Plan:
    """Choose working size and upsampling for an image of ``width`` × ``height``.

    An explicit ``upsample`` just bounds the working image by ``max_side``. ``"auto"`` keeps
    the effective resolution (working side × 2**upsample) at ``max_side`` when possible:
    large images are downscaled to it (upsample 0, real detail instead of interpolation);
    mid-size ones to ``max_side/2`` then upsampled once; small ones (≤ max_side/2) are
    upsampled once at full size, exactly like face_recognition's default.
    """
    if upsample != "auto":
        return Plan(max_side, int(upsample))
    longest = max(width, height)
    if longest >= max_side:
        return Plan(max_side, 0)
    return Plan(max_side // 2, 1)  # load_image never upscales, so small images stay full size


class FacesDetector:
    """Finds faces in images; one ``FACE`` finding per face with its box in original pixels.

    Scores are 1.0: HOG yields an uncalibrated SVM margin, not a probability, so the margin
    is kept as ``attributes["hog_score"]`` for reviewers instead (``model="hog"`` only).
    """

    name: ClassVar[str] = "faces"
    #: 2: apparent age per face (APPARENT_MINOR findings), close-up fallback, face numbers.
    version: ClassVar[str] = "2"
    input_kind: ClassVar[Literal["image"]] = "image"
    # APPARENT_MINOR: a second finding on a face's box whose score is P(apparent age < 18),
    # emitted from P_MINOR_FLAG (the review threshold) up
    entity_types: ClassVar[tuple[str, ...]] = ("FACE", "APPARENT_MINOR")
    personal_data: ClassVar[bool] = True  # a face is biometric data of an identifiable person
    finding_kind: ClassVar[FindingKind] = "image_box"
    label: ClassVar[str] = "faces in images"
    #: Attribute keys of its findings (rules may compare them: `attributes: {age: {lt: 13}}`).
    finding_attributes: ClassVar[tuple[str, ...]] = (
        "face", "width_px", "height_px", "image_width", "image_height", "hog_score",
        "age", "age_std", "age_low", "age_high", "p_minor", "evidence",
    )  # fmt: skip
    finding_noun: ClassVar[tuple[str, str]] = ("a face", "faces")
    derived_columns: ClassVar[tuple[DerivedColumn, ...]] = (
        DerivedColumn(
            "face_count", "INTEGER", "(count_if(entity_type = 'FACE') /*FILTER*/)::INTEGER",
            "0", "number of faces found in the item's image",
        ),
        DerivedColumn(
            "largest_face_px", "INTEGER",
            "max(CASE WHEN entity_type = 'FACE' "
            "THEN greatest(bbox[3] - bbox[1], bbox[2] - bbox[4]) END) /*FILTER*/::INTEGER",
            None, "larger side of the item's largest face box, in pixels",
        ),
        DerivedColumn(
            "youngest_face_age", "DOUBLE",
            "min(CASE WHEN entity_type = 'FACE' "
            "THEN TRY_CAST(attributes ->> 'age' AS DOUBLE) END) /*FILTER*/",
            None, "apparent age of the youngest-looking face (NULL without faces or ages)",
        ),
        DerivedColumn(
            "face_minor_probability", "DOUBLE",
            "max(TRY_CAST(attributes ->> 'p_minor' AS DOUBLE)) /*FILTER*/", None,
            "highest P(apparent age < 18) over the item's faces",
        ),
    )  # fmt: skip
    exposure: ClassVar[tuple[ExposureCategory, ...]] = (
        ExposureCategory("faces", "Faces in images", "faces", "face_count > 0"),
        ExposureCategory(
            "apparent_minor_faces",
            "face of an apparent minor (P(age < 18) ≥ 0.5)",
            "apparent minor face",
            "face_minor_probability >= 0.5",
            minors=True,
        ),
    )

    def __init__(
        self,
        model: Model = "hog",
        upsample: int | Literal["auto"] = "auto",
        max_side: int = 1280,
        encodings: bool = True,
        min_score: float = 0.0,
        encoder: Literal["numpy", "dlib"] = "numpy",
        age: bool = True,
        closeup: bool = True,
    ) -> None:
        if isinstance(upsample, str) and upsample.isdigit():  # CLI / YAML options are strings
            upsample = int(upsample)
        max_side = int(max_side) if isinstance(max_side, str) and max_side.isdigit() else max_side
        if model not in ("hog", "cnn"):
            raise ValueError(f"faces: model must be 'hog' or 'cnn', not {model!r}")
        if upsample != "auto" and not (isinstance(upsample, int) and 0 <= upsample <= 3):
            raise ValueError(f"faces: upsample must be 'auto' or 0..3, not {upsample!r}")
        if not isinstance(max_side, int) or max_side < 2 * HOG_MIN_FACE_PX:
            raise ValueError(f"faces: max_side must be an int ≥ {2 * HOG_MIN_FACE_PX}")
        if encoder not in ("numpy", "dlib"):
            raise ValueError(f"faces: encoder must be 'numpy' or 'dlib', not {encoder!r}")
        self.model = model
        self.upsample = upsample
        self.max_side = max_side
        self.encodings = encodings
        self.min_score = float(min_score)
        self.encoder = encoder
        self.age = _flag(age, "age")
        self.closeup = _flag(closeup, "closeup")
        self._detector: Any = None
        self._shape_predictor: Any = None
        self._encoder: Any = None  # dlib's face_recognition_model_v1, or ResNetWeights
        self._ages: AgeEstimator | None = None

    def setup(self) -> None:
        """Load dlib models (once per worker process); only those the options need."""
        if self._detector is not None:
            return
        import dlib

        with warnings.catch_warnings():
            # face_recognition_models still imports pkg_resources; nothing for us to act on.
            warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)
            import face_recognition_models as frm  # model paths only; skips face_recognition

        if self.model == "cnn":
            self._detector = dlib.cnn_face_detection_model_v1(
                frm.cnn_face_detector_model_location()
            )
        else:
            self._detector = dlib.get_frontal_face_detector()
        if self.encodings or self.age:
            # The 5-point predictor is what face_recognition.face_encodings uses by default,
            # and the same file as the age model's: one landmark pass serves both.
            self._shape_predictor = dlib.shape_predictor(
                frm.pose_predictor_five_point_model_location()
            )
        if self.age:
            self._ages = AgeEstimator()
            self._ages.setup()
        if self.encodings:
            model_path = frm.face_recognition_model_location()
            if self.encoder == "numpy":
                # Same network and weights, ~5x less CPU than dlib-bin's BLAS-less code.
                try:
                    self._encoder = face_encoder.load_weights(model_path)
                except face_encoder.ModelFormatError as exc:
                    # A different model release: dlib's own code still reads it.
                    warnings.warn(f"faces: {exc}; using dlib's encoder", stacklevel=2)
                    self.encoder = "dlib"
            if self.encoder == "dlib":
                self._encoder = dlib.face_recognition_model_v1(model_path)

    def detect_batch(self, batch: list[Content]) -> list[Result]:
        """One Result per content; unreadable images give ``Result(error="<code>: ...")``."""
        self.setup()
        return [self._detect_one(content) for content in batch]

    def describe(self) -> dict[str, Any]:
        """Library and model versions plus the options, for the run manifest."""
        return {
            "detector": self.name,
            "version": self.version,
            "face_recognition": _dist_version("face_recognition"),
            "face_recognition_models": _dist_version("face_recognition_models"),
            "dlib": _dist_version("dlib-bin") or _dist_version("dlib"),
            "model": self.model,
            "options": {
                "upsample": self.upsample,
                "max_side": self.max_side,
                "encodings": self.encodings,
                "encoder": self.encoder,
                "min_score": self.min_score,
                "age": self.age,
                "closeup": self.closeup,
            },
            **({"age_model": AgeEstimator().describe()} if self.age else {}),
        }

    def _detect_one(self, content: Content) -> Result:
        if not content.path:
            return Result(content.sha256, error="media_missing: content has no image path")
        try:
            width, height = image_size(content.path)
            plan = plan_for(width, height, self.max_side, self.upsample)
            image = load_image(content.path, max_side=plan.max_side)
        except ImageLoadError as exc:
            return Result(content.sha256, error=str(exc))
        try:
            boxes = self._locate(image, plan.upsample)
            if not boxes and self.closeup and self.model == "hog":
                boxes = self._closeups(image)
            rects = [rect for rect, _ in boxes]
            shapes = [self._shape_predictor(image.pixels, r) for r in rects]
            vectors = self._encode(image, shapes) if self.encodings else []
            ages = self._estimate_ages(image, rects, shapes) if self.age else []
        except (RuntimeError, MemoryError, ValueError) as exc:  # one odd image: not the batch
            return Result(content.sha256, error=f"detector_failed: {type(exc).__name__}: {exc}")
        findings: list[Finding] = []
        for i, (rect, score) in enumerate(boxes):
            face = _finding(image, rect, score, vectors[i] if vectors else None, i + 1)
            findings.append(face)
            if ages:
                findings += _age_findings(face, ages[i], i + 1)
        return Result(content.sha256, findings=findings)

    def _closeups(self, image: LoadedImage) -> list[tuple[Any, float | None]]:
        """Faces that fill the frame (tight crops defeat HOG's window): padded second look."""
        import dlib

        return [
            (dlib.rectangle(left, top, right, bottom), score)
            for (top, right, bottom, left), score in closeup_boxes(
                self._detector, image.pixels, min_score=self.min_score
            )
        ]

    def _estimate_ages(self, image: LoadedImage, rects: list[Any], shapes: list[Any]) -> list:
        assert self._ages is not None
        boxes = [(r.top(), r.right(), r.bottom(), r.left()) for r in rects]
        return self._ages.estimate(image.pixels, boxes, shapes)

    def _locate(self, image: LoadedImage, upsample: int) -> list[tuple[Any, float | None]]:
        """dlib rectangles (working pixels) with their HOG margin (None for CNN)."""
        if self.model == "cnn":
            return [
                (d.rect, None)
                for d in self._detector(image.pixels, upsample)
                if d.confidence >= self.min_score
            ]
        rects, scores, _ = self._detector.run(image.pixels, upsample, self.min_score)
        return list(zip(rects, scores, strict=True))

    def _encode(self, image: LoadedImage, shapes: list[Any]) -> list[tuple[float, ...]]:
        """128-d encodings from the working image (what face_recognition.face_encodings does:
        5-point landmarks, aligned 150×150 chip, dlib's ResNet, no jitter)."""
        if not shapes:
            return []
        if self.encoder == "dlib":
            return [
                tuple(self._encoder.compute_face_descriptor(image.pixels, s, 1)) for s in shapes
            ]
        chips = face_encoder.face_chips(image.pixels, shapes)
        return [tuple(v) for v in face_encoder.descriptors(chips, self._encoder).tolist()]


def _finding(
    image: LoadedImage,
    rect: Any,
    score: float | None,
    embedding: tuple[float, ...] | None,
    number: int,
) -> Finding:
    """A FACE finding with the box clamped to the working image, then mapped to the original."""
    h, w = image.pixels.shape[:2]
    # dlib boxes can extend past the edges for partial faces; clamp like face_recognition.
    top, right = max(rect.top(), 0), min(rect.right(), w)
    bottom, left = min(rect.bottom(), h), max(rect.left(), 0)
    box = image.to_original(top, right, bottom, left)
    attributes: dict[str, Any] = {
        "face": number,  # 1-based, in detection order: "face 2" in evidence
        "width_px": box[1] - box[3],
        "height_px": box[2] - box[0],
        "image_width": image.width,
        "image_height": image.height,
    }
    if score is not None:
        attributes["hog_score"] = round(float(score), 4)
    return Finding(
        entity_type="FACE",
        score=1.0,
        bbox=box,
        recognizer="dlib_hog" if score is not None else "dlib_cnn",
        attributes=attributes,
        embedding=embedding,
    )


def _age_findings(face: Finding, age: FaceAge, number: int) -> list[Finding]:
    """The face's apparent age into its attributes, and an APPARENT_MINOR finding (score =
    P(age < 18)) when that probability reaches the review threshold: rules act on it."""
    estimate = {
        "age": age.age,
        "age_std": age.std,
        "age_low": age.age_low,
        "age_high": age.age_high,
        "p_minor": age.p_minor,
    }
    assert face.attributes is not None
    face.attributes.update(estimate)
    if age.p_minor < P_MINOR_FLAG:
        return []
    words = (
        f"face {number}: apparent age {age.age:.0f} (±{age.std:.0f}), P(minor) {age.p_minor:.2f}"
    )
    return [
        Finding(
            entity_type="APPARENT_MINOR",
            score=round(age.p_minor, 4),
            bbox=face.bbox,
            recognizer="dlib_age_v1",
            attributes={"face": number, **estimate, "evidence": words},
        )
    ]


def _flag(value: bool | str, name: str) -> bool:
    """A boolean option, also as CLI/YAML text ("true"/"false")."""
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "1", "yes"):
        return True
    if str(value).lower() in ("false", "0", "no"):
        return False
    raise ValueError(f"faces: {name} must be true or false, not {value!r}")


def _dist_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None
