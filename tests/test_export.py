"""`audit export`: excluded items gone, redacted spans masked, sidecar complete."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from conftest import FIXTURE_EMAIL, FIXTURE_PHONE, FixtureDB

from audit.errors import InputError
from audit.export import export_clean


def _clean_rows(path: Path) -> dict[str, str | None]:
    con = duckdb.connect()
    return dict(
        con.execute("SELECT item_id, text FROM read_parquet($p)", {"p": str(path)}).fetchall()
    )


def test_fixture_export(fixture_db: FixtureDB, tmp_path: Path) -> None:
    out = tmp_path / "clean.parquet"
    summary = export_clean(fixture_db.path, out)
    rows = _clean_rows(out)
    # b1 (minor), m2 (opt-out), m3 + r2 (non-public) are excluded.
    assert sorted(rows) == ["b2", "b3", "m1", "r1"]
    assert rows["m1"] == "write to <EMAIL_ADDRESS> please"
    assert FIXTURE_EMAIL not in out.read_bytes().decode("latin-1")
    assert summary.rows == 4 and summary.redacted_items == 1
    with open(summary.sidecar, newline="") as handle:
        sidecar = [
            (r["item_id"], r["rule_id"], r["action"], r["detail"]) for r in csv.DictReader(handle)
        ]
    assert ("m1", "pii.email", "redact", "EMAIL_ADDRESS 9-32") in sidecar
    assert ("b1", "minors.declared-under-18", "exclude", "") in sidecar
    # b1 is excluded, so its phone redaction is not listed as a mask.
    assert not any(r[0] == "b1" and r[2] == "redact" for r in sidecar)
    assert FIXTURE_PHONE not in summary.sidecar.read_text()


def test_export_needs_parquet_name(fixture_db: FixtureDB, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="parquet"):
        export_clean(fixture_db.path, tmp_path / "clean.csv")


def test_sample_export(sample_scan: Path, tmp_path: Path) -> None:
    out = tmp_path / "clean.parquet"
    export_clean(sample_scan / "audit.duckdb", out)
    rows = _clean_rows(out)
    excluded = set((sample_scan / "exclusions.txt").read_text().splitlines())
    assert excluded and not excluded & rows.keys()
    db = duckdb.connect(str(sample_scan / "audit.duckdb"), read_only=True)
    detected = db.execute(
        """
        SELECT f.item_id, substr(i.text, f.start + 1, f."end" - f.start)
        FROM findings f JOIN items i USING (item_id)
        WHERE f.entity_type IN ('EMAIL_ADDRESS', 'PHONE_NUMBER')
          AND f.item_id IN (SELECT item_id FROM flags WHERE action = 'redact')
        """
    ).fetchall()
    db.close()
    checked = [(item, value) for item, value in detected if item in rows]
    assert checked, "sample should have redacted emails/phones in the clean export"
    leaked = [(item, value) for item, value in checked if value in (rows[item] or "")]
    assert leaked == []
