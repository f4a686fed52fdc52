"""`audit eval minors`: hand-written posts with known answers, the CLI, and the development set
in ../shared/realdata when present (its figures are the ones docs/DETECTORS.md reports)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audit.cli import app
from audit.errors import InputError
from audit.evaluation.minors import evaluate_minors, parse_date, pick_threshold

DEV = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "minors_text"

POSTS = [
    ("kid", "I'm 14 and this is my first post", "2004-05-31"),
    ("kid", "", "31,May,2004"),  # a post without text is still the kid's
    ("teen", "so much homework tonight", "01,June,2004"),
    ("teen", "algebra quiz tomorrow", "02,June,2004"),
    ("teen", "my mom won't let me go to the show", "03,June,2004"),
    ("quiet", "nice weather today", "04,June,2004"),  # a minor who says nothing: missed
    ("parent", "my daughter (she's 9) made me a card", "05,junio,2004"),
    ("teacher", "I teach 9th grade and grade homework all weekend", None),
    ("adult", "when I was 14 I wanted to be a pilot", "2004-06-06T10:00:00Z"),
    ("maybe", "so much homework tonight", "2004-06-07"),  # an adult in the review band
]
AGES = {"kid": 14, "teen": 15, "quiet": 16, "parent": 38, "teacher": 29, "adult": 41,
        "maybe": 25}  # fmt: skip


def _files(tmp_path: Path) -> tuple[Path, Path]:
    posts = tmp_path / "posts.jsonl"
    lines = [
        json.dumps({"author_id": a, "post_id": f"{a}_p{n}", "text": t, "date": d})
        for n, (a, t, d) in enumerate(POSTS)
    ]
    posts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    authors = tmp_path / "authors.csv"
    authors.write_text("author_id,age\n" + "".join(f"{a},{n}\n" for a, n in AGES.items()))
    return posts, authors


def test_known_answers(tmp_path: Path) -> None:
    result = evaluate_minors(*_files(tmp_path))
    assert (result["authors"], result["minors"], result["posts"]) == (7, 3, 10)
    author = result["author_level"]
    assert (author["tp"], author["fp"], author["fn"]) == (2, 0, 1)  # kid, teen; quiet missed
    assert (author["recall"], author["precision"]) == (0.667, 1.0)
    rules = {r["rule_id"]: r for r in result["per_rule"]}
    assert rules["minors.author-minor-evidence"]["minors_posts"] == 5  # kid's 2 + teen's 3
    assert rules["minors.author-minor-evidence-review"]["adults"] == 1  # "maybe"
    item = rules["minors.minor-cues-in-text"]
    assert (item["minors_posts"], item["adults_posts"], item["author_level"]) == (1, 1, False)
    assert result["shipped_thresholds"] == [0.5, 1.0]
    at_half = next(r for r in result["thresholds"] if r["threshold"] == 0.5)
    assert (at_half["tp"], at_half["fp"]) == (2, 1)
    assert result["detector"]["texts"] == 9 and result["detector"]["texts_per_second"] > 0


def test_cli_json_and_bad_input(tmp_path: Path) -> None:
    posts, authors = _files(tmp_path)
    out = CliRunner().invoke(app, ["eval", "minors", str(posts), str(authors), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["author_level"]["tp"] == 2
    table = CliRunner().invoke(app, ["eval", "minors", str(posts), str(authors)])
    assert table.exit_code == 0 and "author-minor-evidence" in table.output
    authors.write_text("author_id,age\nkid,14\n")
    with pytest.raises(InputError, match="no age for 6 author"):
        evaluate_minors(posts, authors)
    posts.write_text('{"author_id": "kid"}\n')
    with pytest.raises(InputError, match=r"posts.jsonl:1: not a post"):
        evaluate_minors(posts, authors)


def test_dates() -> None:
    assert parse_date("31,May,2004") == datetime(2004, 5, 31)
    assert parse_date("12,junio,2004") == datetime(2004, 6, 12)  # "jun": English enough
    assert parse_date("12,Dezember,2004") == datetime(2004, 7, 1)  # year only: mid-year
    assert parse_date("2004-05-31T10:00:00Z") == datetime(2004, 5, 31, 10)
    assert parse_date("someday") is None and parse_date(None) is None


def test_pick_threshold() -> None:
    scores = {"a": 4.0, "b": 1.0, "c": 0.5, "d": 0.5, "e": 0.0}
    assert pick_threshold(scores, {"a", "b", "c"}, 0.8) == 1.0
    assert pick_threshold(scores, {"a", "b", "c"}, 0.6) == 0.5
    assert pick_threshold(scores, {"e"}, 0.5) is None


@pytest.mark.skipif(not DEV.is_dir(), reason="../shared/realdata/minors_text absent")
def test_development_set_figures() -> None:
    """The figures docs/DETECTORS.md reports (in-sample: the patterns were written on it)."""
    result = evaluate_minors(DEV / "posts.jsonl", DEV / "authors.csv")
    assert (result["authors"], result["minors"]) == (160, 55)
    author = result["author_level"]
    assert (author["tp"], author["fp"], author["fn"]) == (31, 4, 24)
    at_half = next(r for r in result["thresholds"] if r["threshold"] == 0.5)
    assert (at_half["tp"], at_half["fp"]) == (39, 8)
    assert result["cross_validation"]["all_data_threshold"] == 1.0
