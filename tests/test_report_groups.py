"""Exposure by group (report.sql kpi_groups) on a hand-built store whose answer is known."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from audit.report.html import render_html
from audit.report.queries import collect_report, group_tables
from audit.store import open_store

RUN = "run-g"
EMAIL = "carol.jones@example.net"
# item_id, author_id, platform, subreddit, url, flagged rules
ITEMS = [
    # a5: 4 of 6 flagged (0.667, larger) ranks above a1: 2 of 3 (0.667) above a2: 1 of 3
    *((f"e{n}", "a5", "reddit", "r/forhire", f"https://www.Jobs.example/{n}",
       ["pii.contact"] if n < 4 else []) for n in range(6)),
    ("p1", "a1", "mastodon", None, "https://masto.example/p1", ["minors.anywhere", "pii.contact"]),
    ("p2", "a1", "mastodon", None, "https://masto.example/p2", ["minors.anywhere"]),
    ("p3", "a1", "mastodon", None, None, []),
    ("q1", "a2", "mastodon", None, "http://bob:secret@masto.example:8080/q1", ["vis.private"]),
    ("q2", "a2", "mastodon", None, "https://masto.example/q2", []),
    ("q3", "a2", "mastodon", None, "https://masto.example/q3", []),
    # a1 on another platform is another account; a one-item author at 100% is "tiny"
    ("b1", "a1", "bluesky", None, "https://bsky.example/b1", []),
    ("t1", "a3", "bluesky", None, "https://bsky.example/t1", ["vis.private"]),
    ("n1", None, "bluesky", None, "not a url", []),
]  # fmt: skip
RULES = {
    "minors.anywhere": ("critical", "exclude"),
    "pii.contact": ("medium", "review"),
    "vis.private": ("high", "exclude"),
}
A1_LABEL = "author_id a1: 1 of 3 items matched (e.g. item p1): author_age_at_post < 18"
SUB_LABEL = "extra.subreddit r/forhire: 67% of 6 items matched: EMAIL_ADDRESS found in the text"


def _evidence(item_id: str, rule_id: str) -> dict:
    if rule_id == "minors.anywhere":
        # the group label beside an item-level condition, as an `all` of both would write
        return {"conditions": [A1_LABEL, "visibility = 'public'"], "findings": []}
    if rule_id == "pii.contact" and item_id.startswith("e"):
        return {"conditions": [SUB_LABEL], "findings": []}
    return {"conditions": [f"{rule_id} holds ({EMAIL})"], "findings": []}


def build(path: Path, subreddit_column: bool = True) -> duckdb.DuckDBPyConnection:
    """The store above: items with source files and URLs, flags of RUN, one complete run."""
    con = open_store(path)
    for item_id, author, platform, sub, url, _ in ITEMS:
        extra = {"subreddit": sub} if sub else {}
        con.execute(
            "INSERT INTO items (item_id, author_id, platform, text, url, source_file, extra) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [item_id, author, platform, f"mail {EMAIL}", url, f"{platform}.jsonl",
             json.dumps(extra)],
        )  # fmt: skip
    if subreddit_column:
        con.execute("INSERT INTO extra_columns VALUES ('subreddit', 'VARCHAR')")
    for rule_id, (severity, action) in RULES.items():
        con.execute(
            "INSERT INTO rule_catalog (run_id, rule_id, severity, action) VALUES (?, ?, ?, ?)",
            [RUN, rule_id, severity, action],
        )
    for item_id, *_, rules in ITEMS:
        for rule_id in rules:
            severity, action = RULES[rule_id]
            con.execute(
                "INSERT INTO flags VALUES (?, ?, ?, ?, ?, ?)",
                [RUN, item_id, rule_id, severity, action,
                 json.dumps(_evidence(item_id, rule_id))],
            )  # fmt: skip
    con.execute("INSERT INTO runs VALUES (?, now(), now(), 'complete', 'test', '{}')", [RUN])
    return con


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    con = build(tmp_path_factory.mktemp("groups") / "audit.duckdb")
    try:
        return collect_report(con, RUN, manifest={}, group_limit=20, group_min_items=2)
    finally:
        con.close()


def rows(report: dict, kind: str) -> list[dict]:
    return report["groups"]["kinds"][kind]["rows"]


def test_authors_ranked_by_flagged_share_then_size(report: dict) -> None:
    got = [(r["group_key"], r["platform"], r["items"], r["flagged_items"], r["excluded_items"])
           for r in rows(report, "author")]  # fmt: skip
    # min_items=2 leaves out a3 (1 of 1) and a1 on bluesky (0 of 1)
    assert got == [
        ("a5", "reddit", 6, 4, 0),
        ("a1", "mastodon", 3, 2, 2),
        ("a2", "mastodon", 3, 1, 1),
    ]
    assert [r["rank"] for r in rows(report, "author")] == [1, 2, 3]
    assert rows(report, "author")[1]["flagged_share"] == pytest.approx(2 / 3)
    assert report["groups"]["kinds"]["author"]["groups_total"] == 3
    assert report["groups"]["min_items"] == 2 and report["groups"]["limit"] == 20


def test_top_rules_and_group_evidence(report: dict) -> None:
    a5, a1, a2 = rows(report, "author")
    assert a1["top_rules"] == [
        {"rule_id": "minors.anywhere", "items": 2},
        {"rule_id": "pii.contact", "items": 1},
    ]
    # the author label is the a1 group's evidence; the item-level condition beside it is not,
    # and a5's subreddit label is no author evidence
    assert a1["evidence"] == [A1_LABEL]
    assert a2["evidence"] == [] and a5["evidence"] == []
    (forhire,) = rows(report, "subreddit")
    assert (forhire["group_key"], forhire["items"], forhire["flagged_items"]) == ("r/forhire", 6, 4)
    assert forhire["evidence"] == [SUB_LABEL]


def test_min_size_one_lets_tiny_groups_in(tmp_path: Path) -> None:
    con = build(tmp_path / "audit.duckdb")
    try:
        tables = group_tables(con, RUN, limit=2, min_items=1)
    finally:
        con.close()
    authors = tables["kinds"]["author"]
    assert [r["group_key"] for r in authors["rows"]] == ["a3", "a5"]  # 1/1, then 4/6
    assert authors["groups_total"] == 5  # a1 on two platforms counts twice


def test_sources_platform_file_and_domain(report: dict) -> None:
    assert list(report["groups"]["kinds"]) == [
        "author", "platform", "subreddit", "source_file", "domain",
    ]  # fmt: skip
    platforms = {r["group_key"]: (r["items"], r["flagged_items"]) for r in rows(report, "platform")}
    assert platforms == {"reddit": (6, 4), "mastodon": (6, 3), "bluesky": (3, 1)}
    files = [r["group_key"] for r in rows(report, "source_file")]
    assert files == ["reddit.jsonl", "mastodon.jsonl", "bluesky.jsonl"]
    # lower case, no www., no credentials or port; "not a url" has no domain
    domains = {r["group_key"]: r["items"] for r in rows(report, "domain")}
    assert domains == {"jobs.example": 6, "masto.example": 5, "bsky.example": 2}
    assert all(r["platform"] is None for r in rows(report, "domain"))


def test_subreddit_kind_only_with_the_column(tmp_path: Path) -> None:
    con = build(tmp_path / "audit.duckdb", subreddit_column=False)
    try:
        assert "subreddit" not in group_tables(con, RUN)["kinds"]
    finally:
        con.close()


def test_html_section_masked_and_ordered(report: dict) -> None:
    html = render_html(report)
    assert 'id="groups"' in html and 'href="#groups"' in html
    section = html[html.index('id="groups"') :]
    section = section[: section.index("</section>")]
    assert section.index("<code>a5</code>") < section.index("<code>a1</code>")
    assert section.index("<code>a1</code>") < section.index("<code>a2</code>")
    assert "66.7%" in section and "3 of 3 groups with ≥ 2 items" in section
    assert (
        "author_id a1: 1 of 3 items matched (e.g. item p1): author_age_at_post &lt; 18" in section
    )
    # no item text, URL credentials or item-level condition (it echoes an email here, and no
    # PII finding exists to scrub it by) reaches the group tables
    for secret in (EMAIL, "bob:secret", "secret@"):
        assert secret not in section
        assert secret not in json.dumps(report["groups"])
