"""`audit rules lint`: schema errors plus policy hygiene checks on a rule pack."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from audit.rules.loader import RuleSet, load_rules
from audit.rules.problems import RuleLoadError
from audit.rules.selftest import coverage_problems


@dataclass(frozen=True, order=True)
class LintMessage:
    """One finding of the linter, located at file:line."""

    file: str
    line: int
    level: Literal["error", "warning"]
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.level}: {self.message}"


def _hygiene(ruleset: RuleSet) -> list[LintMessage]:
    out: list[LintMessage] = []
    seen_match: dict[str, str] = {}
    for loaded in ruleset:
        rule, file, line = loaded.rule, loaded.file, loaded.line
        for problem in coverage_problems(loaded):
            out.append(LintMessage(file, line, "error", f"{rule.id}: tests: {problem}"))
        if not rule.references:
            out.append(
                LintMessage(
                    file, line, "warning", f"{rule.id}: no references (law, policy or terms)"
                )
            )
        if rule.status == "deprecated":
            out.append(
                LintMessage(
                    file, line, "warning", f"{rule.id}: deprecated rule is still in the pack"
                )
            )
        folder = Path(file).parent.name
        if folder != rule.category and folder != Path(ruleset.root).name:
            out.append(
                LintMessage(
                    file,
                    line,
                    "warning",
                    f"{rule.id}: category '{rule.category}' but file is in folder '{folder}'",
                )
            )
        key = json.dumps(
            rule.model_dump(mode="json", by_alias=True, exclude_unset=True)["match"], sort_keys=True
        )
        if key in seen_match:
            out.append(
                LintMessage(file, line, "warning", f"{rule.id}: same match as {seen_match[key]}")
            )
        else:
            seen_match[key] = f"{rule.id} ({file}:{line})"
    return out


def lint(path: str | Path) -> tuple[RuleSet | None, list[LintMessage]]:
    """Lint a rule folder: (the pack if it loaded, every message sorted by file and line)."""
    try:
        ruleset = load_rules(path)
    except RuleLoadError as exc:
        return None, sorted(
            LintMessage(
                p.file, p.line, "error", f"{p.field}: {p.message}" if p.field else p.message
            )
            for p in exc.problems
        )
    return ruleset, sorted(_hygiene(ruleset))
