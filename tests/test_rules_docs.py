"""docs/RULES.md's examples are real: quoted rules are verbatim from the shipped pack (which
passes its own tests), full rule examples load and pass their tests, match examples load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from test_rules_support import META

from audit.rules import load_rules
from audit.rules.loader import LoadedRule, RuleSet
from audit.rules.model import Rule
from audit.rules.selftest import run_selftests

ROOT = Path(__file__).parent.parent
DOC = (ROOT / "docs" / "RULES.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC, flags=re.S)
QUOTED = [b for b in BLOCKS if b.startswith("# from rules/")]
TASKS = ["Exclude an account", "Review a community", "Tier by age", "Use a platform field",
         "Use a detector's attribute"]  # fmt: skip


def test_every_task_quotes_a_shipped_rule():
    for task in TASKS:
        section = DOC.split(f"### {task}\n", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
        assert "# from rules/" in section, task


@pytest.mark.parametrize("block", QUOTED, ids=[b.split("\n", 1)[0][7:] for b in QUOTED])
def test_quoted_examples_are_verbatim_from_a_shipped_rule_that_passes(block: str) -> None:
    first, body = block.split("\n", 1)
    path = ROOT / first.removeprefix("# from ")
    assert body.strip() in path.read_text(encoding="utf-8"), f"{path} no longer says this"
    [result] = run_selftests(load_rules(path))
    assert result.ok, result


@pytest.mark.parametrize(
    "block", [b for b in BLOCKS if b.startswith("id:") or b.startswith("match:")]
)
def test_other_examples_load(block: str) -> None:
    data = yaml.safe_load(block)
    if "id" in data:
        rule = LoadedRule(Rule.model_validate(data), "doc.yaml", {})
        [result] = run_selftests(RuleSet([rule], "doc", ""))
        assert result.ok, result
    else:
        Rule.model_validate({"id": "doc.example", **META, **data})
