"""C2PA read with the C2PA SDK: validation state recorded; a reservation counts whatever
the validation, a permission only from a valid manifest; entries kept apart; offline."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from audit.detectors.base import Content
from audit.detectors.media_meta.c2pa import read_c2pa
from audit.detectors.media_meta.detector import MediaMetaDetector
from tools.c2pa_signing import signed_jpeg, tamper_manifest, tamper_pixels

pytest.importorskip("c2pa")


def _jpeg() -> bytes:
    rng = np.random.default_rng(7)
    image = Image.fromarray((rng.random((96, 128, 3)) * 255).astype("uint8"))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90)
    return buf.getvalue()


@pytest.fixture(scope="module")
def signed() -> bytes:
    return signed_jpeg(
        _jpeg(),
        {
            "c2pa.ai_training": "allowed",
            "c2pa.ai_generative_training": "notAllowed",
            "c2pa.data_mining": "constrained",
            "c2pa.ai_inference": "notAllowed",
        },
    )


def _reservations(data: bytes, tmp_path: Path) -> dict[str, dict]:
    path = tmp_path / "x.jpg"
    path.write_bytes(data)
    [result] = MediaMetaDetector().detect_batch([Content("x", path=str(path))])
    return {
        f.attributes["entry"]: f.attributes
        for f in result.findings
        if f.entity_type == "TRAINING_RESERVATION"
    }


def test_valid_manifest_entries_kept_apart(signed: bytes, tmp_path: Path) -> None:
    info = read_c2pa(signed)
    assert info.present and info.validation_state in ("Valid", "Trusted")
    # no trust list is configured offline: the signer is reported as untrusted, nothing else
    assert set(info.failures) <= {"signingCredential.untrusted"}
    found = _reservations(signed, tmp_path)
    # ai_inference is not about training: recorded on the manifest, no reservation finding
    assert set(found) == {"c2pa.ai_training", "c2pa.ai_generative_training", "c2pa.data_mining"}
    assert found["c2pa.ai_training"]["reservation"] == "allowed"
    assert found["c2pa.ai_training"]["counted"] is True
    assert found["c2pa.ai_generative_training"]["reservation"] == "prohibited"
    assert found["c2pa.data_mining"]["reservation"] == "constrained"
    assert info.training_mining == "prohibited"  # the strictest entry


def test_tampered_image_invalidates_the_permission_not_the_reservation(
    signed: bytes, tmp_path: Path
) -> None:
    tampered = tamper_pixels(signed)
    info = read_c2pa(tampered)
    assert info.validation_state == "Invalid" and info.failures
    found = _reservations(tampered, tmp_path)
    assert found["c2pa.ai_training"]["reservation"] == "unspecified"  # "allowed" ignored
    assert found["c2pa.ai_training"]["counted"] is False
    assert found["c2pa.ai_generative_training"]["reservation"] == "prohibited"


def test_edited_assertion_saying_allowed_is_not_a_permission(tmp_path: Path) -> None:
    """A manifest whose assertion was edited after signing to say "allowed"."""
    original = signed_jpeg(_jpeg(), {"c2pa.ai_training": "notAllowed"})
    forged = tamper_manifest(original, b"notAllowed", b"allowed\x00\x00\x00")
    assert read_c2pa(forged).validation_state in ("Invalid", "unreadable")
    forged = tamper_manifest(original, b"notAllowed", b"allowedXYZ")
    info = read_c2pa(forged)
    assert info.validation_state != "Valid"
    assert info.training_mining != "allowed"


def test_cawg_assertion_is_read(tmp_path: Path) -> None:
    data = signed_jpeg(_jpeg(), {"cawg.ai_training": "notAllowed"}, label="cawg.training-mining")
    found = _reservations(data, tmp_path)
    assert found["cawg.ai_training"]["reservation"] == "prohibited"
    assert found["cawg.ai_training"]["source"] == "cawg"
