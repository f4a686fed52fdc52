"""The dashboard's unfiltered figures equal report.json of the real sample scan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dashboard.lib import data


@pytest.fixture(scope="module")
def scan(request: pytest.FixtureRequest) -> tuple[str, dict]:
    try:
        out: Path = request.getfixturevalue("sample_scan")
    except pytest.FixtureLookupError:
        pytest.skip("tests/conftest.py has no sample_scan fixture yet")
    report = json.loads((out / "report.json").read_text())
    return str(out / "audit.duckdb"), report


def test_headline_kpis_equal_report_json(scan: tuple[str, dict]) -> None:
    db, report = scan
    run_id = data.latest_run(db)
    assert run_id == report["run_id"]
    k = data.kpis(data.Scope(db=db, run_id=run_id))
    h = report["headline"]
    assert k == {
        "items": h["items"],
        "public": h["public_items"],
        "consent_safe": h["items"] - h["consent_signal_items"],
        "flagged": h["flagged_items"],
        "excluded": h["excluded_items"],
    }


def test_exposure_and_rules_equal_report_json(scan: tuple[str, dict]) -> None:
    db, report = scan
    scope = data.Scope(db=db, run_id=report["run_id"])
    exposure = data.chart_data(scope, "exposure")
    assert dict(zip(exposure["category"], exposure["items"], strict=True)) == {
        e["category"]: e["items"] for e in report["exposure"]
    }
    rules = data.rule_stats(scope)
    assert dict(zip(rules["rule_id"], rules["items"], strict=True)) == {
        r["rule_id"]: r["items"] for r in report["rules"]
    }
    assert dict(zip(rules["rule_id"], rules["flags"], strict=True)) == {
        r["rule_id"]: r["flags"] for r in report["rules"]
    }


def test_media_signals_equal_report_json(scan: tuple[str, dict]) -> None:
    db, report = scan
    scope = data.Scope(db=db, run_id=report["run_id"])
    assert data.media(scope) == pytest.approx(report["media"])
    m = report["media"]
    # the sample corpus has images in several states and media with embedded signals
    assert m["images"] == m["analysed"] + m["not_analysed"] > m["analysed"] > 0
    assert m["not_analysed"] == m["not_local"] + m["missing"] + m["unreadable"] + m["not_scanned"]
    assert m["gps"] > 0 and m["stripped"] > 0


def test_shared_overview_equals_inlined_scope(scan: tuple[str, dict]) -> None:
    """Overview figures read shared temp tables; the inlined scope must give the same frames."""
    db, report = scan
    filtered = data.Scope(
        db=db, run_id=report["run_id"], platforms=("mastodon", "reddit"), severities=("high",)
    )
    for scope in (data.Scope(db=db, run_id=report["run_id"]), filtered):
        shared = data.overview(scope)
        for name in data.OVERVIEW_PARTS:
            inlined = data.run_sql(db, data.scoped(name), scope.params())
            cols = list(inlined.columns)
            assert list(shared[name].columns) == cols, name
            a = shared[name].sort_values(cols, ignore_index=True)
            b = inlined.sort_values(cols, ignore_index=True)
            assert a.equals(b), name


def _plain(value: object) -> object:
    """DataFrame cells (numpy arrays of structs) as the JSON report's lists and dicts."""
    if hasattr(value, "tolist") and not isinstance(value, str):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def test_group_tables_equal_report_json(scan: tuple[str, dict]) -> None:
    db, report = scan
    scope = data.Scope(db=db, run_id=report["run_id"])
    groups = report["groups"]
    assert data.group_kinds(scope) == list(groups["kinds"])
    # the sample corpus has authors with aggregate-rule evidence and reddit subreddits
    assert "subreddit" in groups["kinds"]
    assert any(r["evidence"] for r in groups["kinds"]["author"]["rows"])
    for kind, table in groups["kinds"].items():
        df = data.groups(scope, kind, groups["limit"], groups["min_items"])
        got = [{k: _plain(v) for k, v in r.items()} for r in data.records(df)]
        assert all(r.pop("groups_total") == table["groups_total"] for r in got), kind
        assert len(got) == len(table["rows"]) > 0, kind
        for g, want in zip(got, table["rows"], strict=True):
            assert g.keys() == want.keys(), kind
            assert g["flagged_share"] == pytest.approx(want["flagged_share"])
            assert {**g, "flagged_share": None} == {**want, "flagged_share": None}, kind
