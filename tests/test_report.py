"""report.json / report.html from a store populated directly (no pipeline needed)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import FIXTURE_EMAIL, FIXTURE_PHONE, FixtureDB, build_fixture_db

from audit.report.masking import mask_evidence, span_label
from audit.report.render import rerender
from audit.store import open_memory, open_store


@pytest.fixture(scope="module")
def fixture_db_m(tmp_path_factory: pytest.TempPathFactory) -> FixtureDB:
    """One populated store for the whole module (rendering is the slow part)."""
    return build_fixture_db(tmp_path_factory.mktemp("report") / "out" / "audit.duckdb")


@pytest.fixture(scope="module")
def rendered(fixture_db_m: FixtureDB) -> Path:
    """The fixture store's out folder after `audit report`."""
    rerender(fixture_db_m.path.parent)
    return fixture_db_m.path.parent


def test_headline_numbers(rendered: Path) -> None:
    report = json.loads((rendered / "report.json").read_text())
    h = report["headline"]
    assert h["items"] == 8
    assert h["public_items"] == 5
    assert h["consent_signal_items"] == 2  # m2 opt-out, b2 noai
    assert h["flagged_items"] == 6
    assert h["excluded_items"] == 4  # b1 minor, m2 opt-out, m3 + r2 non-public
    assert h["errors"] == 2 and h["rejected_rows"] == 1
    assert h["share_excluded"] == pytest.approx(0.5)


def test_breakdowns(rendered: Path) -> None:
    report = json.loads((rendered / "report.json").read_text())
    exposure = {r["category"]: r["items"] for r in report["exposure"]}
    assert exposure == {
        "non_public": 2, "visibility_unknown": 1, "minors": 2, "minor_declared_age": 1,
        "minor_text_cues": 1, "apparent_minor_faces": 0, "faces": 1, "pii": 2, "pii_other": 0,
        "opt_out": 1, "noai": 1, "deleted": 0,
    }  # fmt: skip
    platforms = {r["platform"]: (r["items"], r["excluded_items"]) for r in report["by_platform"]}
    assert platforms == {"mastodon": (3, 2), "bluesky": (3, 1), "reddit": (2, 1)}
    months = [r["month"] for r in report["by_month"]]
    assert months == ["2024-01", "2024-02", "2024-03", None]
    rules = [r["rule_id"] for r in report["rules"]]
    assert rules[0] == "minors.declared-under-18"  # critical first
    assert {r["rule_id"]: r["items"] for r in report["rules"]}["visibility.non-public"] == 2
    by_detector = {(r["detector"], r["entity_type"]) for r in report["pii_types"]}
    assert {t for d, t in by_detector if d == "pii"} == {"EMAIL_ADDRESS", "PHONE_NUMBER"}
    # minor_cues does not declare its spans personal data ("at work", "homework")
    assert {d for d, _ in by_detector} == {"pii"}
    codes = {(e["stage"], e["code"]): e["examples"] for e in report["errors"]}
    assert codes == {
        ("ingest", "bad_timestamp"): ["posts.jsonl:9"],
        ("detect", "missing_media"): ["r2"],
    }


def test_pii_masked_everywhere_human_facing(rendered: Path) -> None:
    html = (rendered / "report.html").read_text()
    report = (rendered / "report.json").read_text()
    for secret in (FIXTURE_EMAIL, FIXTURE_PHONE):
        assert secret not in html
        assert secret not in report
    start = f"write to {FIXTURE_EMAIL}".index(FIXTURE_EMAIL)
    assert span_label("EMAIL_ADDRESS", start, start + len(FIXTURE_EMAIL)) in html


def test_html_is_self_contained(rendered: Path) -> None:
    html = (rendered / "report.html").read_text()
    assert html.count("plotly.js v") >= 1
    # plotly.js embedded exactly once, no external script or stylesheet.
    assert len(re.findall(r"<script[^>]*\bsrc=", html)) == 0
    assert "<link" not in html
    assert html.count("Plotly.newPlot") >= 3


def test_all_outputs_written(rendered: Path, fixture_db_m: FixtureDB) -> None:
    con = open_store(fixture_db_m.path, read_only=True)
    flags = con.execute(f"SELECT count(*) FROM '{rendered / 'flags.parquet'}'").fetchone()[0]
    cols = [
        d[0] for d in con.execute(f"SELECT * FROM '{rendered / 'findings.parquet'}'").description
    ]
    con.close()
    assert flags == 7
    assert cols == ["item_id", "detector", "entity_type", "score", "start", "end", "bbox"]
    assert (rendered / "exclusions.txt").read_text().splitlines() == ["b1", "m2", "m3", "r2"]
    assert json.loads((rendered / "manifest.json").read_text())["run_id"] == fixture_db_m.run_id
    assert not list(rendered.glob(".*.tmp"))


def test_mask_evidence_keeps_only_safe_keys() -> None:
    ev = {
        "conditions": ["matched bob@example.org"],
        "findings": [
            {"entity_type": "EMAIL_ADDRESS", "start": 3, "end": 18, "value": "bob@example.org"}
        ],
    }
    masked = mask_evidence(json.dumps(ev), [("bob@example.org", "EMAIL_ADDRESS")])
    assert masked == {
        "conditions": ["matched [EMAIL_ADDRESS]"],
        "findings": ["[EMAIL_ADDRESS 3\u201318]"],
    }


def test_error_examples_name_each_item_once() -> None:
    # An item whose image fails in three detectors is one example, not three.
    from audit.report.queries import rows as report_rows

    con = open_memory()
    con.executemany(
        "INSERT INTO errors (run_id, stage, item_id, detector, code) VALUES ('r', 'detect', ?, ?, ?)",
        [("i1", d, "corrupt_image") for d in ("faces", "image_hash", "media_meta")]
        + [("i2", "faces", "corrupt_image")],
    )
    got = report_rows(con, "kpi_errors", run_id="r")
    assert [(e["code"], e["errors"], e["items"], e["examples"]) for e in got] == [
        ("corrupt_image", 4, 2, ["i1", "i2"])
    ]
