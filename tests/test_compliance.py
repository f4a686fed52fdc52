"""`audit compliance` on the real sample scan after a sampled review of its kept items: the EU
summary's figures equal the audit database's, the Croissant file passes mlcroissant's own
checker (offline), the dataset-card section carries the residual estimates, and the report
gets its Residual-risk section."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audit.cli import app
from audit.declared_sql import exposure_categories
from tools.sample.answers import truth_answers

runner = CliRunner()
#: The PII detector's headline exposure row, as its declaration labels it.
PII_LABEL = next(c.label for c in exposure_categories() if c.key == "pii")


def _ok(*args: object) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def reviewed(sample_scan: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample scan with a reviewed simple random sample of 150 kept items."""
    out = tmp_path_factory.mktemp("compliance") / "audit-out"
    out.mkdir()
    shutil.copy(sample_scan / "audit.duckdb", out / "audit.duckdb")
    sample = out.parent / "sample.csv"
    _ok("review", "sample", out, "--n", "150", "--seed", "1", "--to", sample)
    ids = [r["item_id"] for r in csv.DictReader(sample.open(encoding="utf-8"))]
    answers = out.parent / "answers.csv"
    with answers.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["item_id", "category", "present"])
        w.writerows([a, c, str(p).lower()] for a, c, p in truth_answers(out / "audit.duckdb", ids))
    _ok("review", "import", out, answers, "--reviewer", "truth")
    return out


def test_eu_summary_figures_come_from_the_audit_db(reviewed: Path, sample_scan: Path) -> None:
    md = reviewed.parent / "eu-summary.md"
    _ok("compliance", reviewed, "--eu-summary", md)
    text = md.read_text(encoding="utf-8")
    headline = json.loads((sample_scan / "report.json").read_text())["headline"]
    kept = headline["items"] - headline["excluded_items"]
    for heading in ("## 1. General information", "## 2. List of data sources",
                    "### Top domain names", "## 3. Data processing aspects",
                    "### 3.1 Respect of reservation of rights",
                    "### Residual risk in the kept items"):  # fmt: skip
        assert heading in text
    assert f"{headline['items']:,} items; {kept:,} kept for training" in text
    assert "2.1 Publicly available datasets" in text and "laion" in text
    assert "2.3 Data crawled and scraped from online sources" in text
    assert "[provider: classify" in text  # the generic (first-party app) source
    assert "noai / TDM reservation in the item's metadata" in text
    assert "Names of private persons: estimated" in text and "from 1" in text
    assert "alice" not in text.lower() and "/work/" not in text  # no values, no local paths


def test_croissant_passes_mlcroissant_validation(reviewed: Path) -> None:
    mlc = pytest.importorskip("mlcroissant")
    path = reviewed.parent / "croissant.json"
    _ok("compliance", reviewed, "--croissant", path, "--name", "sample")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    dataset = mlc.Dataset(jsonld=str(path))  # raises mlc.ValidationError on any error
    meta = dataset.metadata
    assert not meta.ctx.issues.errors
    assert meta.name == "sample"
    assert any(PII_LABEL in s for s in meta.personal_sensitive_information)
    assert any("Residual after review" in s for s in meta.personal_sensitive_information)
    assert meta.data_collection and "laion" in meta.data_collection
    assert meta.data_biases and meta.data_preprocessing_protocol
    assert meta.data_annotation_protocol and "150 kept items" in meta.data_annotation_protocol[0]


def test_dataset_card_section(reviewed: Path) -> None:
    card = reviewed.parent / "card.md"
    _ok("compliance", reviewed, "--dataset-card", card)
    text = card.read_text(encoding="utf-8")
    assert text.startswith("### Personal and Sensitive Information")
    assert f"| {PII_LABEL} |" in text
    assert "estimated" in text and "95 % interval" in text


def test_report_has_the_residual_risk_section(reviewed: Path) -> None:
    _ok("report", reviewed)
    html = (reviewed / "report.html").read_text(encoding="utf-8")
    report = json.loads((reviewed / "report.json").read_text())
    assert 'id="residual"' in html and "Detector miss rates in kept items" in html
    person = report["assurance"]["categories"]["PERSON"]
    assert (
        person["population"] == report["headline"]["items"] - report["headline"]["excluded_items"]
    )
    assert 0 < person["reviewed"] <= 150
    assert f"{person['estimate'] * 100:.1f}%" in html


def test_report_without_sample_invites_one(sample_scan: Path) -> None:
    html = (sample_scan / "report.html").read_text(encoding="utf-8")
    assert "No review sample for this run yet" in html
