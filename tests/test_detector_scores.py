"""docs/DETECTORS.md's score table is generated from the detectors (tools/detector_scores.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tools.detector_scores import DOC, current_section, replace_section, score_table


def test_the_score_table_in_the_docs_is_current(sample_scan: Path) -> None:
    con = duckdb.connect(str(sample_scan / "audit.duckdb"), read_only=True)
    try:
        table = score_table(con)
    finally:
        con.close()
    assert current_section(DOC.read_text(encoding="utf-8")) == table, (
        "docs/DETECTORS.md's score table is stale: run python -m tools.detector_scores"
    )


def test_the_section_is_replaced_between_its_markers() -> None:
    doc = DOC.read_text(encoding="utf-8")
    replaced = replace_section(doc, "| x |")
    assert current_section(replaced) == "| x |"
    assert replaced.split("| x |")[0] == doc.split(current_section(doc))[0]
