"""The detector contract: every registered detector declares what it produces, and a plug-in
registered by entry point is a first-class detector (rules, item_view, masking, export,
report) — tested with the worked example in examples/credentials-detector, discovered through
a real ``corpus_audit.detectors`` entry point."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pytest
from typer.testing import CliRunner

from audit.cli import app
from audit.declared_sql import exposure_categories, views_sql
from audit.detectors import registry
from audit.detectors.registry import (
    DetectorContractError,
    contract_problems,
    registered,
    spec,
    specs,
)
from audit.rules import columns
from audit.store import fill, open_memory

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "credentials-detector"
TOKEN = "AKIA" + "ABCDEFGHIJKLMNOP"  # an AWS access-key shape (not a real key)


def _clear_caches() -> None:
    for cached in (registry.registered, registry.spec, registry.specs, columns.item_view_kinds):
        cached.cache_clear()


@pytest.mark.parametrize("name", sorted(registered()))
def test_every_registered_detector_keeps_the_contract(name: str) -> None:
    cls = registry.detector_class(name)
    assert contract_problems(cls, name) == []
    declared = spec(name)
    assert declared.entity_types and declared.label
    # a text span is an offset into the item's own text: only text detectors can have them
    assert declared.finding_kind != "text_span" or declared.input_kind == "text"


def test_declared_columns_are_in_item_view_with_their_types() -> None:
    con = open_memory()
    types = dict(
        con.execute("SELECT column_name, column_type FROM (DESCRIBE item_view)").fetchall()
    )
    for s in specs().values():
        for col in s.derived_columns:
            assert types[col.name] == col.sql_type, col.name
    # an item without findings gets each column's declared default
    con.execute("INSERT INTO items (item_id) VALUES ('x')")
    row = con.execute("SELECT face_count, pii_types, has_gps FROM item_view").fetchone()
    assert row == (0, [], False)


def test_exposure_rows_come_from_declarations() -> None:
    keys = [c.key for c in exposure_categories()]
    assert keys[:3] == ["non_public", "visibility_unknown", "minors"]
    for s in specs().values():
        for cat in s.exposure:
            assert cat.key in keys
    minors = next(c for c in exposure_categories() if c.key == "minors")
    assert "author_age_at_post < 18" in minors.predicate and "minor_cues" in minors.predicate


class _Broken:
    name: ClassVar[str] = "Broken Name"
    version: ClassVar[int] = 1
    input_kind: ClassVar[str] = "image"
    entity_types: ClassVar[list[str]] = ["face"]
    finding_kind: ClassVar[str] = "text_span"
    label: ClassVar[str] = ""


def test_contract_problems_name_each_broken_declaration() -> None:
    problems = "\n".join(contract_problems(_Broken, "broken"))
    for expected in (
        "name: a lower_case id",
        "registered as 'broken'",
        "version: a string",
        "entity_types: a non-empty tuple of UPPER_CASE",
        "personal_data: True or False",
        "text_span findings need input_kind 'text'",
        "label: a short description",
        "detect_batch(): missing",
    ):
        assert expected in problems


def test_fill_is_checked_both_ways() -> None:
    assert fill("SELECT /*A*/", A="1") == "SELECT 1"
    with pytest.raises(ValueError, match=r"missing parts \['B'\]"):
        fill("SELECT /*A*/, /*B*/", A="1")
    with pytest.raises(ValueError, match=r"no placeholder for \['C'\]"):
        fill("SELECT /*A*/", A="1", C="2")


def _install_fake_distribution(site: Path, entry: str) -> None:
    """A dist-info folder on sys.path: how pip/uv record an installed package's entry points."""
    info = site / "corpus_audit_credentials-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: corpus-audit-credentials\nVersion: 0.1.0\n"
    )
    (info / "entry_points.txt").write_text(f"[corpus_audit.detectors]\n{entry}\n")


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The example plug-in installed: its module importable and its entry point registered."""
    site = tmp_path / "site"
    _install_fake_distribution(
        site, "credentials = corpus_audit_credentials.detector:CredentialsDetector"
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(EXAMPLE))
    _clear_caches()
    yield
    monkeypatch.undo()
    _clear_caches()


def _corpus(tmp_path: Path) -> Path:
    posts = [
        {"item_id": "t1", "text": f"deploy with {TOKEN} please", "visibility": "public"},
        {"item_id": "t2", "text": "nothing secret here", "visibility": "public"},
    ]
    path = tmp_path / "corpus" / "posts.jsonl"
    path.parent.mkdir()
    path.write_text("".join(json.dumps(p) + "\n" for p in posts))
    return path


def test_plugin_is_first_class(plugin: None, tmp_path: Path) -> None:
    from audit.export import export_clean
    from audit.scan import ScanOptions, run_scan

    assert "credentials" in registered() and "credentials" in specs()
    assert "credential_count" in columns.item_view_kinds()
    out = tmp_path / "out"
    result = run_scan(
        ScanOptions(
            corpus=str(_corpus(tmp_path)),
            out=out,
            mapping="generic",
            rules=EXAMPLE / "rules",
            detectors=("credentials",),
        )
    )
    assert result.exit_code == 0
    con = duckdb.connect(str(out / "audit.duckdb"), read_only=True)
    flags = con.execute("SELECT item_id, rule_id, action FROM flags").fetchall()
    assert flags == [("t1", "security.credentials-in-text", "redact")]
    assert con.execute("SELECT credential_count FROM item_view ORDER BY item_id").fetchall() == [
        (1,),
        (0,),
    ]
    con.close()
    # the report lists it: in the manifest's detectors and as an exposure row
    report = json.loads((out / "report.json").read_text())
    exposure = {r["category"]: r["items"] for r in report["exposure"]}
    assert exposure["credentials"] == 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert "credentials" in json.dumps(manifest["detectors"])
    assert TOKEN not in (out / "report.html").read_text()
    # the export masks its spans (it declares them personal data)
    clean = tmp_path / "clean.parquet"
    export_clean(out / "audit.duckdb", clean)
    texts = dict(duckdb.sql(f"SELECT item_id, text FROM read_parquet('{clean}')").fetchall())
    assert TOKEN not in texts["t1"] and "AWS_ACCESS_KEY" in texts["t1"]


def test_plugin_rule_with_misspelt_type_fails_lint_with_file_line(
    plugin: None, tmp_path: Path
) -> None:
    rule = (EXAMPLE / "rules" / "credentials-in-text.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(rule.replace("types: [AWS_ACCESS_KEY,", "types: [AWS_KEY,", 1))
    result = CliRunner().invoke(app, ["rules", "lint", str(bad)])
    assert result.exit_code == 2
    line = next(n for n, text in enumerate(rule.splitlines(), 1) if "types:" in text)
    assert f"bad.yaml:{line}" in result.output
    assert "AWS_KEY is not an entity type of detector credentials" in result.output


def test_unknown_detector_in_a_rule_is_a_load_error(tmp_path: Path) -> None:
    rule = (EXAMPLE / "rules" / "credentials-in-text.yaml").read_text()
    path = tmp_path / "r.yaml"
    path.write_text(rule)  # the plug-in is not installed in this test
    result = CliRunner().invoke(app, ["rules", "lint", str(path)])
    assert result.exit_code == 2
    assert "unknown detector 'credentials'" in result.output


def test_plugin_shadowing_a_builtin_is_refused(tmp_path: Path, monkeypatch: Any) -> None:
    site = tmp_path / "site"
    _install_fake_distribution(site, "pii = corpus_audit_credentials.detector:CredentialsDetector")
    monkeypatch.syspath_prepend(str(site))
    _clear_caches()
    try:
        with pytest.raises(DetectorContractError, match="clashes with the built-in 'pii'"):
            registered()
    finally:
        monkeypatch.undo()
        _clear_caches()


def test_views_sql_has_no_placeholder_left() -> None:
    assert "/*" not in views_sql().split("-- Per-item", 1)[1].replace("-- ", "")
