"""Safe image loading: modes, orientation, bounded downscale, typed errors on bad files."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from audit.imageio import ImageLoadError, image_size, load_image


def _gradient(w: int = 64, h: int = 48) -> Image.Image:
    x = np.linspace(0, 255, w, dtype=np.uint8)
    return Image.fromarray(np.stack([np.tile(x, (h, 1))] * 3, axis=-1))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, valid-looking PNG whose header claims ``width`` × ``height`` RGB pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("mode", "suffix"),
    [("RGB", "jpg"), ("L", "png"), ("CMYK", "jpg"), ("P", "png"), ("LA", "png"), ("1", "png")],
)
def test_every_mode_becomes_8bit_rgb(tmp_path: Path, mode: str, suffix: str) -> None:
    path = tmp_path / f"img.{suffix}"
    _gradient().convert(mode).save(path)
    loaded = load_image(path)
    assert loaded.pixels.shape == (48, 64, 3)
    assert loaded.pixels.dtype == np.uint8
    assert (loaded.width, loaded.height, loaded.scale) == (64, 48, 1.0)


def test_rgba_is_composited_on_white(tmp_path: Path) -> None:
    rgba = np.zeros((10, 10, 4), np.uint8)  # fully transparent black
    rgba[:5, :, :] = (255, 0, 0, 255)  # opaque red top half
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    px = load_image(tmp_path / "a.png").pixels
    assert tuple(px[0, 0]) == (255, 0, 0)
    assert tuple(px[9, 9]) == (255, 255, 255)


@pytest.mark.parametrize(
    ("dtype", "mode", "name"), [(np.uint16, "I;16", "deep.png"), (np.int32, "I", "deep.tif")]
)
def test_16_and_32_bit_grey_are_scaled_not_clipped(
    tmp_path: Path, dtype: type, mode: str, name: str
) -> None:
    image = Image.fromarray(np.array([[0, 32896, 65535]], dtype=dtype))
    assert image.mode == mode
    image.save(tmp_path / name)
    px = load_image(tmp_path / name).pixels
    assert px[0, :, 0].tolist() == [0, 128, 255]


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    stored = _gradient(64, 48)  # stored landscape; Orientation 6 means "rotate 90° CW to view"
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(tmp_path / "rot.jpg", exif=exif)
    loaded = load_image(tmp_path / "rot.jpg")
    assert loaded.pixels.shape == (64, 48, 3)
    assert (loaded.width, loaded.height) == (48, 64)
    assert image_size(tmp_path / "rot.jpg") == (48, 64)


@pytest.mark.parametrize("suffix", ["jpg", "png"])
def test_downscale_is_bounded_and_boxes_map_back(tmp_path: Path, suffix: str) -> None:
    _gradient(2000, 1000).save(tmp_path / f"big.{suffix}")
    loaded = load_image(tmp_path / f"big.{suffix}", max_side=500)
    assert loaded.pixels.shape == (250, 500, 3)
    assert loaded.scale == pytest.approx(0.25)
    assert loaded.to_original(10, 60, 50, 20) == (40, 240, 200, 80)
    assert loaded.to_original(0, 500, 250, 0) == (0, 2000, 1000, 0)  # clamped to the image


def test_small_images_are_never_upscaled(tmp_path: Path) -> None:
    _gradient(64, 48).save(tmp_path / "s.png")
    assert load_image(tmp_path / "s.png", max_side=1000).pixels.shape == (48, 64, 3)


def _bad_files(tmp: Path) -> dict[str, tuple[Path, str]]:
    good = tmp / "good.jpg"
    _gradient(256, 256).save(good, quality=95)
    data = good.read_bytes()
    cases = {
        "corrupt": (b"this is not an image at all" * 20, "corrupt_image"),
        "truncated": (data[: len(data) // 2], "truncated_image"),
        "empty": (b"", "media_empty"),
        "bomb": (png_claiming(100_000, 100_000), "decompression_bomb"),
        "bomb_just_over": (png_claiming(10_000, 9_000), "decompression_bomb"),
        "heic": (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64, "unsupported_image"),
    }
    out = {}
    for name, (payload, code) in cases.items():
        path = tmp / f"{name}.bin"
        path.write_bytes(payload)
        out[name] = (path, code)
    out["missing"] = (tmp / "nope.jpg", "media_missing")
    return out


@pytest.mark.parametrize(
    "case", ["corrupt", "truncated", "empty", "bomb", "bomb_just_over", "heic", "missing"]
)
def test_bad_files_raise_typed_errors_fast(tmp_path: Path, case: str) -> None:
    path, code = _bad_files(tmp_path)[case]
    started = time.perf_counter()
    with pytest.raises(ImageLoadError) as info:
        load_image(path, max_side=1280)
    assert info.value.code == code
    assert str(info.value).startswith(f"{code}: ")
    assert time.perf_counter() - started < 1.0  # no giant allocation for the bombs


def test_max_pixels_is_configurable(tmp_path: Path) -> None:
    _gradient(100, 100).save(tmp_path / "a.png")
    with pytest.raises(ImageLoadError, match="decompression_bomb"):
        load_image(tmp_path / "a.png", max_pixels=9_999)


def test_truncated_image_is_reported_after_face_recognition_import(tmp_path: Path) -> None:
    """face_recognition's import flips Pillow's LOAD_TRUNCATED_IMAGES; loading must not care."""
    import face_recognition  # noqa: F401 - imported for its side effect on Pillow
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = True  # as face_recognition leaves it
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), (10, 200, 30)).save(buf, "JPEG", quality=90)
    path = tmp_path / "half.jpg"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(ImageLoadError):
        load_image(path)
