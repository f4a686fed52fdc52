"""Shared fixtures.

- ``fixture_db``: a small audit store populated with plain SQL (items, findings, a run with
  rules and flags, errors) so report / diff / export code is testable without the pipeline.
- ``sample_scan``: the real ``audit scan`` of sample_data/corpus.yaml, run once per session
  into a temp folder and shared by every engineer's tests (skips cleanly while a stage or
  the sample corpus is missing).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = ROOT / "sample_data" / "corpus.yaml"

#: An email that appears in fixture text; no human-facing output may contain it.
FIXTURE_EMAIL = "alice.smith@example.com"
FIXTURE_PHONE = "+1 415 555 0134"


def skip_unless_pipeline() -> None:
    """Skip the calling test when the sample corpus is not there (e.g. an sdist without it)."""
    if not SAMPLE_CORPUS.exists():
        pytest.skip(f"sample corpus missing: {SAMPLE_CORPUS}")


@dataclass
class FixtureDB:
    """A populated store: its path and the run id of its one complete run."""

    path: Path
    run_id: str


_ITEMS = [
    # item_id, platform, created_at, text, visibility, age, opt_out, noai
    (
        "m1",
        "mastodon",
        "2024-01-05 10:00",
        f"write to {FIXTURE_EMAIL} please",
        "public",
        30,
        False,
        False,
    ),
    ("m2", "mastodon", "2024-01-20 11:00", "sunset at the beach", "public", 25, True, False),
    (
        "m3",
        "mastodon",
        "2024-02-02 09:00",
        "my first day in 8th grade!",
        "followers",
        None,
        False,
        False,
    ),
    ("b1", "bluesky", "2024-02-14 18:30", f"call me {FIXTURE_PHONE}", "public", 15, False, False),
    ("b2", "bluesky", "2024-03-01 08:00", "coffee", "public", 40, False, True),
    ("b3", "bluesky", None, "no date here", "unknown", None, None, None),
    ("r1", "reddit", "2024-03-09 12:00", "group photo", "public", 22, False, False),
    ("r2", "reddit", "2024-03-30 23:59", "dm me", "direct", 33, False, False),
]


def build_fixture_db(path: Path, run_id: str = "20240401T000000Z-aaaaaa") -> FixtureDB:
    """Create a store at ``path`` holding one complete run (see module docstring)."""
    from audit.store import open_store

    con = open_store(path)
    for item_id, platform, created, text, vis, age, opt_out, noai in _ITEMS:
        con.execute(
            "INSERT INTO items (item_id, platform, created_at, text, visibility, author_age_at_post,"
            " opt_out, noai, text_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, md5(?))",
            [item_id, platform, created, text, vis, age, opt_out, noai, text],
        )
    email_start = _ITEMS[0][3].index(FIXTURE_EMAIL)
    phone_start = _ITEMS[3][3].index(FIXTURE_PHONE)
    findings = [
        ("m1", "pii", "EMAIL_ADDRESS", 1.0, email_start, email_start + len(FIXTURE_EMAIL), None),
        ("b1", "pii", "PHONE_NUMBER", 0.75, phone_start, phone_start + len(FIXTURE_PHONE), None),
        ("m3", "minor_cues", "SCHOOL_GRADE", 0.9, 9, 18, None),
        ("r1", "faces", "FACE", 1.0, None, None, [10, 90, 90, 10]),
        ("r1", "faces", "FACE", 1.0, None, None, [100, 150, 150, 100]),
    ]
    for row in findings:
        con.execute(
            "INSERT INTO findings (item_id, detector, detector_version, entity_type, score,"
            ' "start", "end", bbox) VALUES (?, ?, \'1\', ?, ?, ?, ?, ?)',
            list(row),
        )
    con.execute(
        "INSERT INTO errors (stage, item_id, source_file, source_row, code, message, rejected) VALUES"
        " ('ingest', NULL, 'posts.jsonl', 9, 'bad_timestamp', 'not a date', true),"
        " ('detect', 'r2', NULL, NULL, 'missing_media', 'no such file', false)"
    )
    rules = [
        ("pii.email", "Email address in text", "pii", "high", "redact"),
        ("pii.phone", "Phone number in text", "pii", "medium", "redact"),
        ("minors.declared-under-18", "Author under 18", "minors", "critical", "exclude"),
        ("consent.opt-out", "Author opted out", "consent", "high", "exclude"),
        ("faces.identifiable", "Identifiable face", "faces", "low", "review"),
        ("visibility.non-public", "Not public", "visibility", "high", "exclude"),
    ]
    for rule_id, title, category, severity, action in rules:
        con.execute(
            "INSERT INTO rule_catalog (run_id, rule_id, title, category, status, severity, action,"
            " description, sha256) VALUES (?, ?, ?, ?, 'stable', ?, ?, ?, md5(?))",
            [run_id, rule_id, title, category, severity, action, f"Flags: {title}.", rule_id],
        )
    email_ev = {
        # A condition echoing the value and a non-whitelisted key: both must be masked.
        "conditions": [f"pii EMAIL_ADDRESS found ({FIXTURE_EMAIL})"],
        "findings": [
            {
                "detector": "pii",
                "entity_type": "EMAIL_ADDRESS",
                "score": 1.0,
                "start": email_start,
                "end": email_start + len(FIXTURE_EMAIL),
                "text": FIXTURE_EMAIL,
            }
        ],
    }
    phone_ev = {
        "conditions": ["pii PHONE_NUMBER"],
        "findings": [
            {
                "detector": "pii",
                "entity_type": "PHONE_NUMBER",
                "score": 0.75,
                "start": phone_start,
                "end": phone_start + len(FIXTURE_PHONE),
            }
        ],
    }
    flags = [
        ("m1", "pii.email", "high", "redact", email_ev),
        ("b1", "pii.phone", "medium", "redact", phone_ev),
        (
            "b1",
            "minors.declared-under-18",
            "critical",
            "exclude",
            {"conditions": ["author_age_at_post < 18"]},
        ),
        ("m2", "consent.opt-out", "high", "exclude", {"conditions": ["opt_out = true"]}),
        ("r1", "faces.identifiable", "low", "review", {"conditions": ["faces >= 1"]}),
        (
            "m3",
            "visibility.non-public",
            "high",
            "exclude",
            {"conditions": ["visibility in [followers]"]},
        ),
        (
            "r2",
            "visibility.non-public",
            "high",
            "exclude",
            {"conditions": ["visibility in [direct]"]},
        ),
    ]
    for item_id, rule_id, severity, action, evidence in flags:
        con.execute(
            "INSERT INTO flags VALUES (?, ?, ?, ?, ?, ?)",
            [run_id, item_id, rule_id, severity, action, json.dumps(evidence)],
        )
    manifest = {
        "run_id": run_id,
        "corpus": {"path": "fixture", "sources": [], "digest": "d0"},
        "rules": {"digest": "r0", "files": {}},
        "timings": {"total": 1.0},
    }
    con.execute(
        "INSERT INTO runs VALUES (?, '2024-04-01 00:00:00', '2024-04-01 00:00:05', 'complete',"
        " 'audit scan fixture', ?)",
        [run_id, json.dumps(manifest)],
    )
    con.close()
    return FixtureDB(path=path, run_id=run_id)


@pytest.fixture
def fixture_db(tmp_path: Path) -> FixtureDB:
    """A fresh populated store in ``tmp_path/out/audit.duckdb``."""
    return build_fixture_db(tmp_path / "out" / "audit.duckdb")


@pytest.fixture(scope="session")
def sample_scan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The out folder of a real ``audit scan sample_data/corpus.yaml`` (run once per session)."""
    skip_unless_pipeline()
    from audit.scan import ScanOptions, run_scan

    out = tmp_path_factory.mktemp("sample_scan") / "audit-out"
    run_scan(ScanOptions(corpus=str(SAMPLE_CORPUS), out=out, command="pytest sample_scan"))
    return out


@pytest.fixture(autouse=True)
def _restore_main_module() -> Iterator[None]:
    """Undo Streamlit's replacement of ``sys.modules['__main__']`` after each test.

    AppTest runs dashboard/app.py in-process as ``__main__``; a later process pool (the scan's
    forkserver/spawn workers) would then re-import the dashboard script as its main module
    and die. Real `audit scan` processes never run a Streamlit script, so this is test-only.
    """
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main
