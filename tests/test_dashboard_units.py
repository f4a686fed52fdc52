"""Dashboard building blocks without Streamlit: masking, face blurring, locking, the command."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from audit.commands.dashboard import streamlit_command
from audit.store import open_store
from dashboard.lib import data, db
from dashboard.lib.images import faces_image
from dashboard.lib.masking import (
    MASK,
    Span,
    caption_html,
    mask_plain,
    merge_spans,
    scrub_all,
    secrets,
)


def test_caption_masks_values_and_escapes_html() -> None:
    text = "<b>hi</b> mail a@b.io now"
    spans = [Span(15, 21, "EMAIL_ADDRESS")]
    masked = caption_html(text, spans, reveal=False)
    assert "a@b.io" not in masked and MASK in masked and "EMAIL_ADDRESS" in masked
    assert "<b>hi</b>" not in masked and "&lt;b&gt;" in masked
    assert "a@b.io" in caption_html(text, spans, reveal=True)
    assert mask_plain(text, spans) == f"<b>hi</b> mail {MASK} EMAIL_ADDRESS now"


def test_overlapping_and_out_of_range_spans_merge() -> None:
    merged = merge_spans([Span(5, 9, "A"), Span(0, 6, "B"), Span(50, 60, "C")], 20)
    assert merged == [Span(0, 9, "B/A")]


def test_metadata_scrubbed_with_report_rule() -> None:
    text = "call +1 555 0100"
    pairs = secrets(text, [Span(5, 16, "PHONE_NUMBER")])
    out = scrub_all({"extra": {"bio": "phone +1 555 0100"}, "n": 3}, pairs)
    assert out == {"extra": {"bio": "phone [PHONE_NUMBER]"}, "n": 3}


def test_faces_are_blurred_unless_asked(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 255, (200, 200, 3), dtype=np.uint8)
    path = tmp_path / "noise.png"
    Image.fromarray(noise).save(path)
    box = [50, 150, 150, 50]  # top, right, bottom, left
    blurred = np.asarray(faces_image(str(path), [box], blur=True))
    sharp = np.asarray(faces_image(str(path), [box], blur=False))
    inside = (slice(60, 140), slice(60, 140))
    assert blurred[inside].std() < noise[inside].std() / 3, "noise is smoothed inside the box"
    assert np.array_equal(sharp[inside], noise[inside])
    assert np.array_equal(blurred[:40, :40], noise[:40, :40]), "outside the box is untouched"


def test_command_binds_localhost_and_passes_db(tmp_path: Path) -> None:
    cmd = streamlit_command(tmp_path / "a.duckdb", 8600, "127.0.0.1")
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--server.port") + 1] == "8600"
    assert cmd[-2:] == ["--db", str(tmp_path / "a.duckdb")]


def test_locked_database_gives_a_clear_message(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "audit.duckdb"
    open_store(path).close()
    monkeypatch.setattr(db, "_RETRIES", 2)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ok', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(db.DatabaseBusy, match="in use by another process"):
            data.append_decision(str(path), "x", None, "confirmed", "Ann", "")
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    data.append_decision(str(path), "x", None, "confirmed", "Ann", "")  # works once released


def test_decision_validation(tmp_path: Path) -> None:
    path = tmp_path / "audit.duckdb"
    open_store(path).close()
    with pytest.raises(ValueError, match="reviewer"):
        data.append_decision(str(path), "x", None, "confirmed", "  ", "")
    with pytest.raises(ValueError, match="decision"):
        data.append_decision(str(path), "x", None, "approve", "Ann", "")
