"""Load a folder of rule files, reporting every problem (file:line: field: message) at once."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from audit.rules.messages import dotted, problems_from
from audit.rules.model import Rule
from audit.rules.problems import Problem, RuleLoadError, display_path
from audit.rules.yamlmarks import line_of, load_with_lines

RULE_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LoadedRule:
    """A validated rule and where it was written."""

    rule: Rule
    file: str
    lines: dict[tuple[Any, ...], int] = field(repr=False, compare=False)
    sha256: str = ""

    @property
    def line(self) -> int:
        """Line of the rule's id (where a reader finds the rule)."""
        return line_of(self.lines, ("id",))

    def problem(self, path: tuple[Any, ...], message: str) -> Problem:
        """A problem located at ``path`` inside this rule."""
        return Problem(self.file, line_of(self.lines, path), dotted(path), message)


@dataclass(frozen=True)
class RuleSet:
    """Every rule of a pack, in file order; ``digest`` identifies the pack's exact content."""

    rules: list[LoadedRule]
    root: str
    digest: str

    def get(self, rule_id: str) -> LoadedRule:
        """The rule with this id; KeyError when absent."""
        for loaded in self.rules:
            if loaded.rule.id == rule_id:
                return loaded
        raise KeyError(rule_id)

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self):
        return iter(self.rules)


def rule_files(path: Path) -> list[Path]:
    """Rule files under ``path`` (recursively), or ``path`` itself when it is a file."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file())


def _syntax_problem(name: str, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    what = getattr(exc, "problem", None) or str(exc)
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark and mark and context_mark.line != mark.line:
        what += f" ({context} started on line {context_mark.line + 1})"
    line = mark.line + 1 if mark else 1
    written = exc.problem_mark.buffer if mark is not None and mark.buffer else ""
    text = written.split("\n")[line - 1] if written and line <= written.count("\n") + 1 else ""
    if "[" in text and re.search(r"\w\[(\d+|\*)\]", text):
        what += ' (a path with [0] or [*] inside { } needs quotes: field: "extra.labels[*].val")'
    return Problem(name, line, "", f"YAML syntax error: {what}")


def _load_file(
    path: Path, problems: list[Problem], ids: list[tuple[str, str, int]]
) -> list[LoadedRule]:
    name = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
        docs = load_with_lines(text)
    except UnicodeDecodeError:
        problems.append(Problem(name, 1, "", "file is not UTF-8 text"))
        return []
    except yaml.YAMLError as exc:
        problems.append(_syntax_problem(name, exc))
        return []
    digest = hashlib.sha256(text.encode()).hexdigest()
    loaded = []
    docs = [d for d in docs if d[0] is not None]
    if not docs:
        problems.append(Problem(name, 1, "", "file holds no rule"))
    for data, lines, duplicates in docs:
        for path_ in duplicates:
            problems.append(
                Problem(name, line_of(lines, path_), dotted(path_), "given twice; keep one")
            )
        if not isinstance(data, dict):
            problems.append(
                Problem(name, 1, "", "a rule file must be a mapping of fields (id:, title:, …)")
            )
            continue
        if isinstance(data.get("id"), str):  # duplicates are reported even for invalid rules
            ids.append((data["id"], name, line_of(lines, ("id",))))
        try:
            rule = Rule.model_validate(data)
        except ValidationError as exc:
            for path_, label, message in problems_from(exc, data):
                problems.append(Problem(name, line_of(lines, path_), label, message))
            continue
        loaded.append(LoadedRule(rule, name, lines, digest))
    return loaded


def _check_duplicates(ids: list[tuple[str, str, int]], problems: list[Problem]) -> None:
    first: dict[str, tuple[str, int]] = {}
    for rule_id, file, line in ids:
        if rule_id in first:
            where = f"{first[rule_id][0]}:{first[rule_id][1]}"
            problems.append(
                Problem(file, line, "id", f"duplicate id '{rule_id}', already used at {where}")
            )
        else:
            first[rule_id] = (file, line)


def load_rules(path: str | Path, *, only: Iterable[str] | None = None) -> RuleSet:
    """Load and validate every rule under ``path`` (a folder, searched recursively, or a file).

    Raises :class:`RuleLoadError` listing every problem found, each as ``file:line: field:
    message``. ``only`` keeps just the rules with these ids (after validating all).
    """
    root = Path(path)
    if not root.exists():
        raise RuleLoadError([Problem(str(root), 0, "", "no such file or folder")])
    problems: list[Problem] = []
    files = rule_files(root)
    if not files:
        problems.append(Problem(display_path(root), 0, "", "no *.yaml or *.yml rule files here"))
    ids: list[tuple[str, str, int]] = []
    rules = [r for f in files for r in _load_file(f, problems, ids)]
    _check_duplicates(ids, problems)
    if problems:
        raise RuleLoadError(problems)
    if only is not None:
        wanted = set(only)
        rules = [r for r in rules if r.rule.id in wanted]
    digest = hashlib.sha256("".join(r.sha256 for r in rules).encode()).hexdigest()
    return RuleSet(rules, display_path(root), digest)
