"""`audit rules explain`: a rule's purpose, its conditions in plain words, and its SQL."""

from __future__ import annotations

from dataclasses import dataclass

from audit.rules.compile import compile_rule
from audit.rules.describe import explain_lines
from audit.rules.loader import LoadedRule
from audit.rules.model import Rule


@dataclass(frozen=True)
class Explanation:
    """The parts of an explanation, for the CLI to lay out."""

    header: str
    description: str
    rationale: str
    references: list[str]
    conditions: list[str]
    sql: str
    params: list


def _tiers(rule: Rule) -> list[str]:
    """Tiered actions in words: which items get which action (first that holds wins)."""
    if not rule.actions:
        return []
    out = ["Actions (the first tier that holds):"]
    for tier in rule.tiers:
        if tier.when is None:
            out.append(f"  otherwise: {tier.action} ({tier.severity})")
        else:
            out.append(f"  {tier.action} ({tier.severity}) when:")
            out += explain_lines(tier.when, 2)
    return out


def explain(loaded: LoadedRule) -> Explanation:
    """Explain one rule (the SQL is exactly what `evaluate_rules` runs in the sandbox)."""
    rule = loaded.rule
    compiled = compile_rule(loaded)
    return Explanation(
        header=f"{rule.id} — {rule.title} [{rule.status}, {rule.severity}, "
        f"{'/'.join(dict.fromkeys(t.action for t in rule.tiers))}] ({loaded.file}:{loaded.line})",
        description=rule.description.strip(),
        rationale=rule.rationale.strip(),
        references=list(rule.references),
        conditions=["An item is flagged when:", *explain_lines(rule.match, 1), *_tiers(rule)],
        sql=compiled.sql,
        params=compiled.params,
    )
