"""report.sql kpi_media in report.json / report.html: media_meta signals over analysed images.

The fixture store of conftest gets images in every state kpi_media distinguishes (analysed with
and without metadata, remote, missing, corrupt, never scanned) and media_meta findings with an
exact position and a camera owner that no report may print.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import build_fixture_db

from audit.report.render import rerender
from audit.store import open_store

LAT, LON = 52.520008, 13.404954
OWNER = "Hieronymus Fotograf"
SERIAL = "CAM-99812-QZ"

#: item_id → (media_uri, media_files.status or None, analysed by media_meta, media_meta error)
IMAGES = {
    "m1": ("/img/m1.jpg", "ok", True, None),  # GPS + owner + serial
    "m2": ("/img/m2.jpg", "ok", True, None),  # no metadata at all: stripped
    "r1": ("/img/r1.jpg", "ok", True, None),  # constrained reservation + C2PA
    "b1": ("https://cdn.example/b1.jpg", "not_local", False, None),
    "r2": ("/img/r2.jpg", "missing", False, None),
    "b2": ("/img/b2.jpg", "ok", True, "corrupt_image"),  # read, failed, nothing found
    "b3": ("/img/b3.jpg", "ok", False, None),  # media_meta not run on it
}
FINDINGS = [
    ("m1", "GPS_LOCATION", {"lat": LAT, "lon": LON, "lat_rounded": 52.52, "lon_rounded": 13.4}),
    ("m1", "CAMERA_OWNER_NAME", {"value": OWNER}),
    ("m1", "CAMERA_SERIAL", {"value": SERIAL}),
    ("m1", "EMBEDDED_METADATA", {"exif": True, "xmp": False, "c2pa": False}),
    ("r1", "TRAINING_RESERVATION", {"reservation": "constrained", "source": "c2pa"}),
    ("r1", "C2PA_MANIFEST", {"container": "jumbf", "training_mining": "constrained"}),
    ("r1", "EMBEDDED_METADATA", {"exif": False, "xmp": False, "c2pa": True}),
]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture store with images and media_meta findings, re-rendered."""
    fx = build_fixture_db(tmp_path_factory.mktemp("report_media") / "out" / "audit.duckdb")
    con = open_store(fx.path)
    try:
        for item_id, (uri, status, analysed, error) in IMAGES.items():
            sha = f"sha-{item_id}"
            con.execute("UPDATE items SET media_uri = ?, media_path = ? WHERE item_id = ?",
                        [uri, uri, item_id])  # fmt: skip
            con.execute(
                "INSERT INTO media_files VALUES (?, ?, 10, ?, NULL, now())",
                [uri, sha if status == "ok" else None, status],
            )
            if analysed:
                con.execute(
                    "INSERT INTO analysed VALUES ('media_meta', '1', ?, ?, ?, 0, now())",
                    [sha, "error" if error else "ok", error],
                )
            if error:
                con.execute(
                    "INSERT INTO errors (stage, item_id, detector, code, message) "
                    "VALUES ('detect', ?, 'media_meta', ?, 'broken')",
                    [item_id, error],
                )
        for item_id, entity_type, attributes in FINDINGS:
            con.execute(
                "INSERT INTO findings (item_id, detector, detector_version, content_sha256, "
                "entity_type, attributes) VALUES (?, 'media_meta', '1', ?, ?, ?)",
                [item_id, f"sha-{item_id}", entity_type, json.dumps(attributes)],
            )
    finally:
        con.close()
    rerender(fx.path.parent)
    return fx.path.parent


def test_media_counts_by_state_and_signal(out: Path) -> None:
    media = json.loads((out / "report.json").read_text())["media"]
    counts = {k: v for k, v in media.items() if not k.startswith("share_")}
    assert counts == {
        "images": 7, "analysed": 3, "not_local": 1, "missing": 1, "unreadable": 1,
        "not_scanned": 1, "not_analysed": 4, "gps": 1, "reservation_prohibited": 0,
        "reservation_constrained": 1, "reservation_allowed": 0, "c2pa": 1, "camera_ids": 1,
        "stripped": 1,
    }  # fmt: skip
    # shares are of the analysed images, not of all images or all items
    assert media["share_gps"] == pytest.approx(1 / 3)
    assert media["share_stripped"] == pytest.approx(1 / 3)


def test_media_section_rendered_without_positions_or_names(out: Path) -> None:
    html = (out / "report.html").read_text()
    report = (out / "report.json").read_text()
    assert 'id="media"' in html and "Metadata stripped" in html
    assert "Remote URL (never downloaded)" in html
    for secret in (str(LAT), str(LON), OWNER, SERIAL):
        assert secret not in html, secret
        assert secret not in report, secret
    # not even rounded (checked in report.json: the embedded plotly.js is full of numbers)
    assert "52.52" not in report and "13.4" not in report


def test_no_images_gives_an_empty_section(tmp_path: Path) -> None:
    fx = build_fixture_db(tmp_path / "out" / "audit.duckdb")
    rerender(fx.path.parent)
    media = json.loads((fx.path.parent / "report.json").read_text())["media"]
    assert media["images"] == 0 and media["share_gps"] is None
    assert "No images." in (fx.path.parent / "report.html").read_text()
