"""The rules engine: YAML policy rules → validated model → sandboxed, set-based DuckDB SQL.

Public API (docs/CONTRACTS.md): :func:`load_rules`, :func:`evaluate_rules`, :class:`RuleSet`,
:class:`RuleLoadError`. Policy authors' guide: docs/RULES.md.
"""

from __future__ import annotations

from audit.rules.evaluate import RulesSummary, evaluate_rules
from audit.rules.loader import LoadedRule, RuleSet, load_rules
from audit.rules.problems import Problem, RuleLoadError

__all__ = [
    "LoadedRule",
    "Problem",
    "RuleLoadError",
    "RuleSet",
    "RulesSummary",
    "evaluate_rules",
    "load_rules",
]
