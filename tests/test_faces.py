"""FacesDetector with the real dlib model, on small images generated from skimage.

The astronaut portrait is skimage's astronaut cut above the suit (the full picture has a
low-margin HOG false positive on the mission patch at upsample 1, for face_recognition too).
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_imageio import png_claiming  # tests/ is on sys.path under pytest's default import mode

from audit.detectors.base import Content, Finding, Result
from audit.detectors.faces.age import P_MINOR_EXCLUDE, P_MINOR_FLAG, FaceAge
from audit.detectors.faces.detector import FacesDetector, _age_findings, plan_for
from audit.detectors.registry import create_detector
from audit.evaluation.faces import evaluate_faces, format_faces_report

pytest.importorskip("dlib")
skimage_data = pytest.importorskip("skimage.data")

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "faces"
ASTRONAUT_FACE = (76, 265, 166, 175)  # top, right, bottom, left in the 512×320 portrait


def _portrait() -> Image.Image:
    return Image.fromarray(skimage_data.astronaut()[:320])


def _save(image: Image.Image, path: Path, **kwargs: object) -> Path:
    image.save(path, **kwargs)
    return path


def _make(kind: str, tmp: Path) -> Path:
    """Write the test image ``kind`` into ``tmp``."""
    portrait = _portrait()
    if kind == "one_face":
        return _save(portrait, tmp / "one.jpg", quality=92)
    if kind == "two_faces":
        pair = Image.new("RGB", (portrait.width * 2, portrait.height))
        pair.paste(portrait, (0, 0))
        pair.paste(portrait.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (portrait.width, 0))
        return _save(pair, tmp / "two.jpg", quality=92)
    if kind in ("coffee", "rocket"):
        return _save(Image.fromarray(getattr(skimage_data, kind)()), tmp / f"{kind}.jpg")
    if kind == "exif_rotated":
        # Stored turned 90° CCW; Orientation 6 tells viewers to turn it back clockwise.
        exif = Image.Exif()
        exif[0x0112] = 6
        stored = portrait.transpose(Image.Transpose.ROTATE_90)
        return _save(stored, tmp / "rotated.jpg", exif=exif, quality=92)
    if kind == "cmyk":
        return _save(portrait.convert("CMYK"), tmp / "cmyk.jpg", quality=92)
    if kind == "rgba":
        rgba = portrait.convert("RGBA")
        rgba.putalpha(Image.new("L", portrait.size, 255))
        canvas = Image.new("RGBA", (portrait.width + 200, portrait.height + 100), (0, 0, 0, 0))
        canvas.paste(rgba, (100, 50))
        return _save(canvas, tmp / "rgba.png")
    if kind == "grayscale":
        return _save(portrait.convert("L"), tmp / "grey.jpg", quality=92)
    if kind == "16bit":
        grey = np.asarray(portrait.convert("L"), dtype=np.uint16) * 257
        return _save(Image.fromarray(grey), tmp / "deep.png")
    raise ValueError(kind)


def _run(path: Path, **options: object) -> Result:
    detector = create_detector("faces", **options)
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "0" * 64
    [result] = detector.detect_batch([Content(sha256=digest, path=str(path))])
    return result


def _faces(result: Result) -> list[Finding]:
    """The FACE findings (APPARENT_MINOR findings repeat a face's box)."""
    return [f for f in result.findings if f.entity_type == "FACE"]


@pytest.fixture(scope="module")
def detector() -> FacesDetector:
    d = FacesDetector()
    d.setup()
    return d


@pytest.mark.parametrize(
    ("kind", "faces"),
    [
        ("one_face", 1),
        ("two_faces", 2),
        ("coffee", 0),
        ("rocket", 0),
        ("exif_rotated", 1),
        ("cmyk", 1),
        ("rgba", 1),
        ("grayscale", 1),
        ("16bit", 1),
    ],
)
def test_face_count(tmp_path: Path, detector: FacesDetector, kind: str, faces: int) -> None:
    path = _make(kind, tmp_path)
    [result] = detector.detect_batch([Content(sha256="x", path=str(path))])
    assert result.error is None
    assert len(_faces(result)) == faces


def test_exif_face_is_only_found_once_orientation_is_applied(tmp_path: Path) -> None:
    import dlib

    path = _make("exif_rotated", tmp_path)
    stored = np.asarray(Image.open(path).convert("RGB"))  # pixels as stored, not as viewed
    assert len(dlib.get_frontal_face_detector()(stored, 1)) == 0
    [face] = _faces(_run(path))
    assert stored.shape[:2] == (512, 320)  # stored turned on its side
    assert face.attributes["image_width"] == 512  # reported as viewed: upright 512×320
    assert face.attributes["image_height"] == 320
    top, right, bottom, left = ASTRONAUT_FACE
    assert _contains(face.bbox, ((top + bottom) / 2, (left + right) / 2))


def test_finding_shape(tmp_path: Path) -> None:
    [face] = _faces(_run(_make("one_face", tmp_path)))
    assert face.entity_type == "FACE"
    assert face.score == 1.0
    assert face.recognizer == "dlib_hog"
    assert face.attributes["image_width"] == 512
    assert face.attributes["image_height"] == 320
    top, right, bottom, left = face.bbox
    assert face.attributes["width_px"] == right - left
    assert face.attributes["height_px"] == bottom - top
    assert face.attributes["hog_score"] > 0
    assert face.embedding is not None and len(face.embedding) == 128


def test_encodings_can_be_turned_off(tmp_path: Path) -> None:
    [face] = _faces(_run(_make("one_face", tmp_path), encodings=False))
    assert face.embedding is None


def test_same_person_encodings_are_close(tmp_path: Path) -> None:
    one = _faces(_run(_make("one_face", tmp_path)))[0].embedding
    grey = _faces(_run(_make("grayscale", tmp_path)))[0].embedding
    assert np.linalg.norm(np.subtract(one, grey)) < 0.6  # face_recognition's match tolerance


@pytest.mark.parametrize("kind", ["one_face", "two_faces", "grayscale", "exif_rotated"])
def test_numpy_encoder_equals_dlibs_own(tmp_path: Path, kind: str) -> None:
    """The numpy forward pass of dlib's ResNet gives dlib's vectors (same weights)."""
    path = _make(kind, tmp_path)
    ours = _faces(_run(path))
    theirs = _faces(_run(path, encoder="dlib"))
    assert len(ours) == len(theirs) >= 1
    for a, b in zip(ours, theirs, strict=True):
        assert a.bbox == b.bbox
        assert np.abs(np.subtract(a.embedding, b.embedding)).max() < 1e-4
        assert 0.5 < np.linalg.norm(a.embedding) < 3  # a real descriptor, not zeros


def test_numpy_encoder_on_a_batch_of_real_chips() -> None:
    """Many faces at once (batched forward pass): still dlib's vectors, face by face."""
    import dlib
    import face_recognition_models as frm

    from audit.detectors.faces import encoder as face_encoder

    d = FacesDetector()
    d.setup()
    pixels = np.asarray(_portrait())
    pixels = np.concatenate([pixels, pixels[:, ::-1]], axis=1).copy()
    rects, _, _ = d._detector.run(pixels, 1, 0.0)
    shapes = [d._shape_predictor(pixels, r) for r in rects]
    chips = face_encoder.face_chips(pixels, shapes)
    ours = face_encoder.descriptors(np.concatenate([chips, chips[::-1]]), d._encoder)
    reference = dlib.face_recognition_model_v1(frm.face_recognition_model_location())
    theirs = np.array([reference.compute_face_descriptor(pixels, s, 1) for s in shapes])
    assert len(shapes) == 2
    assert np.abs(ours[:2] - theirs).max() < 1e-4
    assert np.abs(ours[2:] - theirs[::-1]).max() < 1e-4


def test_numpy_encoder_batches_and_empty_input() -> None:
    """More faces than one forward pass takes: chunked, same vectors; no face: no vector."""
    from audit.detectors.faces import encoder as face_encoder

    d = FacesDetector()
    d.setup()
    pixels = np.asarray(_portrait())
    rects, _, _ = d._detector.run(pixels, 1, 0.0)
    chip = face_encoder.face_chips(pixels, [d._shape_predictor(pixels, rects[0])])
    many = np.repeat(chip, 2 * face_encoder.MAX_BATCH + 1, axis=0)
    vectors = face_encoder.descriptors(many, d._encoder)
    assert vectors.shape == (len(many), 128)
    assert np.abs(vectors - vectors[0]).max() < 1e-5
    assert face_encoder.descriptors(face_encoder.face_chips(pixels, []), d._encoder).shape == (
        0,
        128,
    )


def test_unknown_model_file_falls_back_to_dlibs_encoder(tmp_path: Path, monkeypatch) -> None:
    from audit.detectors.faces import encoder as face_encoder

    def refuse(path: str) -> None:
        raise face_encoder.ModelFormatError(f"{path}: not the expected network")

    monkeypatch.setattr(face_encoder, "load_weights", refuse)
    with pytest.warns(UserWarning, match="using dlib's encoder"):
        detector = FacesDetector()
        detector.setup()
    assert detector.describe()["options"]["encoder"] == "dlib"
    digest = "0" * 64
    [result] = detector.detect_batch([Content(digest, path=str(_make("one_face", tmp_path)))])
    assert len(_faces(result)) == 1 and len(_faces(result)[0].embedding) == 128


def test_numpy_encoder_refuses_a_different_model_file(tmp_path: Path) -> None:
    import face_recognition_models as frm

    from audit.detectors.faces import encoder as face_encoder

    with pytest.raises(face_encoder.ModelFormatError, match="expected 29"):
        face_encoder.load_weights(frm.pose_predictor_five_point_model_location())


def _contains(outer: tuple[int, ...], point: tuple[float, float]) -> bool:
    top, right, bottom, left = outer
    y, x = point
    return top <= y <= bottom and left <= x <= right


def test_boxes_map_back_to_original_pixels_on_a_downscaled_image(tmp_path: Path) -> None:
    # Portrait enlarged 3× onto a 2400×1600 canvas: the detector works at 1280 px (scale 0.53).
    offset_x, offset_y, k = 500, 300, 3
    canvas = Image.fromarray(skimage_data.coffee()).resize((2400, 1600))
    portrait = _portrait()
    canvas.paste(portrait.resize((portrait.width * k, portrait.height * k)), (offset_x, offset_y))
    path = _save(canvas, tmp_path / "big.jpg", quality=92)
    [face] = _faces(_run(path))
    top, right, bottom, left = ASTRONAUT_FACE
    centre = (offset_y + k * (top + bottom) / 2, offset_x + k * (left + right) / 2)
    assert _contains(face.bbox, centre)
    assert face.attributes["width_px"] == pytest.approx(k * (right - left), rel=0.3)
    assert face.attributes["image_width"] == 2400


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"\xff\xd8\xff\xe0 definitely not a jpeg" * 30, "corrupt_image"),
        (b"", "media_empty"),
        (png_claiming(100_000, 100_000), "decompression_bomb"),
    ],
)
def test_bad_bytes_become_error_results(tmp_path: Path, payload: bytes, code: str) -> None:
    path = tmp_path / "bad.img"
    path.write_bytes(payload)
    started = time.perf_counter()
    result = _run(path)
    assert result.findings == []
    assert result.error is not None and result.error.split(":")[0] in {code, "truncated_image"}
    if code != "corrupt_image":  # garbage after a JPEG marker may read as truncated; fine
        assert result.error.startswith(code)
    assert time.perf_counter() - started < 2.0


def test_truncated_and_missing_files(tmp_path: Path) -> None:
    good = _make("one_face", tmp_path).read_bytes()
    (tmp_path / "cut.jpg").write_bytes(good[: len(good) // 2])
    assert _run(tmp_path / "cut.jpg").error.startswith("truncated_image:")
    assert _run(tmp_path / "absent.jpg").error.startswith("media_missing:")


def test_a_bad_item_does_not_spoil_its_batch(tmp_path: Path, detector: FacesDetector) -> None:
    good = _make("one_face", tmp_path)
    results = detector.detect_batch(
        [Content("a", path=str(tmp_path / "absent.jpg")), Content("b", path=str(good))]
    )
    assert [r.sha256 for r in results] == ["a", "b"]
    assert results[0].error and len(_faces(results[1])) == 1


def test_describe_names_versions_and_options() -> None:
    info = FacesDetector(max_side=1024, encodings=False).describe()
    assert info["model"] == "hog"
    assert info["dlib"] and info["face_recognition"]
    assert info["options"]["max_side"] == 1024 and info["options"]["encodings"] is False


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((4000, 3000), (1280, 0)),
        ((1280, 720), (1280, 0)),
        ((1080, 1080), (640, 1)),
        ((320, 240), (640, 1)),
    ],
)
def test_auto_plan(size: tuple[int, int], expected: tuple[int, int]) -> None:
    plan = plan_for(*size, max_side=1280, upsample="auto")
    assert (plan.max_side, plan.upsample) == expected


def test_string_options_from_the_cli_are_accepted() -> None:
    detector = FacesDetector(upsample="1", max_side="800")  # type: ignore[arg-type]
    assert (detector.upsample, detector.max_side) == (1, 800)


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError):
        FacesDetector(model="mtcnn")
    with pytest.raises(ValueError):
        FacesDetector(upsample=7)
    with pytest.raises(ValueError, match="encoder"):
        FacesDetector(encoder="cuda")  # type: ignore[arg-type]


@pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata/faces not present")
def test_real_photos_face_counts() -> None:
    result = evaluate_faces(REALDATA)
    misses = [r for r in result["images"] if not r["in_range"]]
    assert result["scored"] == 12
    assert misses == []
    assert format_faces_report(result).row_count == 12


def test_evaluate_faces_on_a_labelled_folder(tmp_path: Path) -> None:
    _make("one_face", tmp_path)
    _make("two_faces", tmp_path)
    (tmp_path / "broken.jpg").write_bytes(b"")
    (tmp_path / "truth.csv").write_text(
        "filename,faces,faces_min,faces_max\n"
        "one.jpg,1,,\n"
        "two.jpg,3,2,3\n"  # debatable count: a range is accepted
        "broken.jpg,,,\n"  # expected to fail: listed, not scored
    )
    result = evaluate_faces(tmp_path, encodings=False)
    assert result["scored"] == 2 and result["errors"] == 1
    assert result["exact_accuracy"] == 0.5
    assert result["range_accuracy"] == 1.0
    assert result["mean_abs_error"] == 0.5
    assert result["detector"]["options"]["encodings"] is False
    assert "within range 100.0%" in format_faces_report(result).caption


def test_evaluate_faces_rejects_a_counts_file_without_faces(tmp_path: Path) -> None:
    from audit.errors import InputError

    (tmp_path / "truth.csv").write_text("filename,people\na.jpg,1\n")
    with pytest.raises(InputError, match="faces"):
        evaluate_faces(tmp_path)


# ---------------------------------------------------------------- apparent age


def test_an_adult_face_gets_an_adult_apparent_age(tmp_path: Path, detector: FacesDetector) -> None:
    """The real age network on a real photo (skimage's astronaut, a NASA portrait)."""
    [face] = _faces(_run(_make("one_face", tmp_path)))
    attrs = face.attributes
    assert 25 <= attrs["age"] <= 60
    assert attrs["age_low"] <= attrs["age"] <= attrs["age_high"]
    assert attrs["p_minor"] < P_MINOR_FLAG
    assert attrs["face"] == 1
    assert "gender" not in attrs  # gender is not an audit signal and is never stored


def test_no_face_no_age(tmp_path: Path) -> None:
    result = _run(_make("coffee", tmp_path))
    assert result.error is None and result.findings == []


def test_age_can_be_turned_off(tmp_path: Path) -> None:
    [face] = _faces(_run(_make("one_face", tmp_path), age=False))
    assert "age" not in face.attributes and "p_minor" not in face.attributes


def test_apparent_minor_finding_comes_with_words(tmp_path: Path) -> None:
    """A face looking under 18 gets an APPARENT_MINOR finding on its box, scored P(minor)."""
    face = Finding("FACE", bbox=(1, 2, 3, 0), attributes={"face": 2})
    young = FaceAge(age=9.4, std=3.6, age_low=5, age_high=14, p_minor=0.97)
    [minor] = _age_findings(face, young, 2)
    assert minor.entity_type == "APPARENT_MINOR" and minor.score == 0.97
    assert minor.bbox == face.bbox
    assert minor.attributes["evidence"] == "face 2: apparent age 9 (±4), P(minor) 0.97"
    assert face.attributes["age"] == 9.4  # the face itself carries its estimate too
    adult = FaceAge(age=35.0, std=4.0, age_low=30, age_high=41, p_minor=0.001)
    assert _age_findings(Finding("FACE", attributes={}), adult, 1) == []


def test_closeup_fallback_finds_a_face_that_fills_the_frame(tmp_path: Path) -> None:
    """A tight crop defeats HOG's 80×80 window; the padded second look finds it."""
    top, right, bottom, left = ASTRONAUT_FACE
    crop = _portrait().crop((left + 8, top + 8, right - 8, bottom - 8)).resize((400, 400))
    path = _save(crop, tmp_path / "closeup.jpg", quality=95)
    assert _faces(_run(path, closeup=False)) == []
    [face] = _faces(_run(path))
    assert face.attributes["age"] > 18


def test_shipped_rules_use_the_measured_thresholds() -> None:
    """The rule files and the detector's documented thresholds must not drift apart."""
    from audit.paths import shipped_rules_dir
    from audit.rules import load_rules

    # one tiered rule: the review band from P_MINOR_FLAG, exclusion from P_MINOR_EXCLUDE
    rule = load_rules(shipped_rules_dir()).get("minors.apparent-minor-face").rule
    assert rule.match.min_score == P_MINOR_FLAG
    exclude, review = rule.tiers
    assert (exclude.action, exclude.when.min_score) == ("exclude", P_MINOR_EXCLUDE)
    assert (review.action, review.when) == ("review", None)


AGES = REALDATA.parent / "faces_age"


@pytest.mark.skipif(not AGES.is_dir(), reason="../shared/realdata/faces_age not present")
def test_real_age_labelled_photos() -> None:
    """Real photos of children and adults with dataset ages (development set)."""
    from audit.evaluation.ages import evaluate_ages

    result = evaluate_ages(AGES)
    assert result["faces_found"] >= 0.9 * result["labelled"]
    assert result["mae"] < 7
    assert result["at_exclude"]["precision"] >= 0.9
    assert result["at_review"]["recall"] >= 0.75
    by_name = {r["filename"]: r for r in result["photos"]}
    youngest = min(
        (r for r in by_name.values() if r["age"] is not None), key=lambda r: r["age_low"]
    )
    assert youngest["p_minor"] >= P_MINOR_EXCLUDE  # a small child is excluded
