"""Which parts of a rule this corpus and scan can evaluate, and what that means for the rule.

A condition is *unknown* when it reads something the scan does not have: a source column
that is not in this corpus (``extra.over_18`` on a Mastodon export), a detector that did not
run, or an item_view column such a detector declares. Unknown is not false: a rule written
for several platforms should still run on one of them, and a rule whose only condition
is unknown must not look like a rule that found nothing. So, per rule:

* an unknown condition in a *monotone* position — under ``all``/``any``, not under an odd
  number of ``not`` (and under a group threshold that can only rise with more matching
  items) — is treated as false; the rule is evaluated and reported as *partially
  evaluated* ("evaluated without extra.over_18: not in this corpus");
* an unknown condition under ``not`` (or a falling or exact group threshold) would turn
  "unknown" into "true" for every item: the rule is *skipped* with the reason;
* when nothing evaluable is left (the whole match is false without the unknown parts), the
  rule is skipped with the reasons.

``is_null`` on a source column stays evaluable: in a corpus without the column every value
is missing, which is exactly what it asks. A rule's own ``requires_columns`` still skips it
whole when one is missing (back-compat).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Literal

from audit.detectors.registry import column_owner
from audit.rules.columns import resolve_field
from audit.rules.model import (
    AggregateCondition,
    AllCondition,
    AnyCondition,
    AnyItemHaving,
    CopyCondition,
    CountHaving,
    DetectorCondition,
    DistinctHaving,
    EvidenceHaving,
    FieldCondition,
    NotCondition,
    Rule,
    ShareHaving,
)

Truth = Literal["false", "true", "open"]


@dataclass(frozen=True)
class Scope:
    """What a scan has: source columns (None: not checked) and detectors run (None: all)."""

    extra_columns: set[str] | None = None
    detectors_run: set[str] | None = None
    named: frozenset[str] = frozenset()  # source columns the rule itself names (no hints)


@dataclass
class Verdict:
    """How a rule is evaluated in a scope."""

    unknown: dict[int, str] = field(default_factory=dict)  # id(condition) → reason; compiled false
    skip_reason: str | None = None
    notes: list[str] = field(default_factory=list)  # why it is partial (empty: fully evaluated)

    @property
    def partial_reason(self) -> str | None:
        """ "evaluated without …" when some conditions were treated as false."""
        if self.skip_reason or not self.notes:
            return None
        return "evaluated without " + "; ".join(dict.fromkeys(self.notes))


class _Skip(Exception):
    pass


def _column_reason(name: str, scope: Scope) -> str | None:
    """Why a field cannot be read in this scope (None: it can)."""
    ref = resolve_field(name)
    path = ref.extra_path(scope.extra_columns)
    if path is not None:
        known = scope.extra_columns
        if known is None or path.column in known:
            return None
        # a near name the rule names itself is another platform's field, not a typo
        others = sorted(known - scope.named)
        close = difflib.get_close_matches(path.column, others, n=1, cutoff=0.8)
        hint = f" (did you mean extra.{close[0]}?)" if close and close[0] != path.column else ""
        return f"{name}: not in this corpus{hint}"
    owner = column_owner(ref.name)
    if owner and scope.detectors_run is not None and owner not in scope.detectors_run:
        return f"{name}: detector {owner} did not run in this scan"
    return None


def _detector_reason(name: str, scope: Scope) -> str | None:
    if scope.detectors_run is not None and name not in scope.detectors_run:
        return f"detector {name}: did not run in this scan"
    return None


def _leaf_reason(cond: Any, scope: Scope) -> str | None:
    if isinstance(cond, FieldCondition):
        if cond.op == "is_null" and resolve_field(cond.field).kind == "extra":
            return None
        return _column_reason(cond.field, scope)
    if isinstance(cond, DetectorCondition):
        return _detector_reason(cond.detector, scope)
    return None


class _Walker:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.verdict = Verdict()

    def unknown(self, cond: Any, reason: str, polarity: int) -> Truth:
        if polarity <= 0:
            where = "under `not`" if polarity < 0 else "under an exact (eq) group threshold"
            raise _Skip(f"{reason} — {where} an unknown condition cannot be treated as false")
        self.verdict.unknown[id(cond)] = reason
        self.verdict.notes.append(reason)
        return "false"

    def fold(self, cond: Any, polarity: int) -> Truth:
        """Three-valued fold: "false"/"true" when unknown parts decide it, else "open"."""
        if isinstance(cond, AllCondition | AnyCondition):
            children = cond.all if isinstance(cond, AllCondition) else cond.any
            values = [self.fold(c, polarity) for c in children]
            if isinstance(cond, AllCondition):
                if "false" in values:
                    return "false"
                return "true" if all(v == "true" for v in values) else "open"
            if "true" in values:
                return "true"
            return "false" if all(v == "false" for v in values) else "open"
        if isinstance(cond, NotCondition):
            inner = self.fold(cond.not_, -polarity)
            return {"false": "true", "true": "false", "open": "open"}[inner]
        if isinstance(cond, AggregateCondition):
            return self.aggregate(cond, polarity)
        if isinstance(cond, CopyCondition):
            return self.copy(cond, polarity)
        reason = _leaf_reason(cond, self.scope)
        return self.unknown(cond, reason, polarity) if reason else "open"

    def copy(self, cond: CopyCondition, polarity: int) -> Truth:
        """A copy needs the image_hash detector's hashes; more originals matching can only
        add copies, so the original's condition folds with the same polarity."""
        reason = _detector_reason("image_hash", self.scope)
        if reason:
            return self.unknown(cond, f"copy_of: {reason}", polarity)
        original = cond.copy_of.original
        if original is not None and self.fold(original, polarity) == "false":
            return "false"
        return "open"

    def aggregate(self, cond: AggregateCondition, polarity: int) -> Truth:
        agg = cond.aggregate
        reason = _column_reason(agg.group_by, self.scope)
        if reason:  # no groups: the aggregate holds for no item
            return self.unknown(cond, f"group_by {reason}", polarity)
        having = agg.having
        if isinstance(having, EvidenceHaving):
            reason = _detector_reason(having.evidence_score.detector, self.scope)
            # without findings no group has a score: false whatever the threshold
            return self.unknown(cond, reason, polarity) if reason else "open"
        if isinstance(having, DistinctHaving):
            spec = having.distinct_count
            reason = _column_reason(spec.field, self.scope)
            return self.unknown(cond, reason, polarity * _sign(spec.rising)) if reason else "open"
        if isinstance(having, AnyItemHaving):
            inner, rising = having.any_item, True
        else:
            threshold = having.share_of_items if isinstance(having, ShareHaving) else None
            if isinstance(having, CountHaving):
                threshold = having.count_of_items
            assert threshold is not None
            inner, rising = threshold.where, threshold.rising
        value = self.fold(inner, polarity * _sign(rising))
        if value == "false" and rising:
            return "false"
        return "open"


def _sign(rising: bool | None) -> int:
    return 0 if rising is None else (1 if rising else -1)


def _named_columns(node: Any) -> set[str]:
    """Top-level source columns a rule names anywhere (``extra.a.b`` → ``a``)."""
    if isinstance(node, dict):
        return set().union(*(_named_columns(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_named_columns(v) for v in node)) if node else set()
    if isinstance(node, str) and node.startswith("extra."):
        return {node[len("extra.") :].split(".")[0].split("[")[0]}
    return set()


def assess(rule: Rule, scope: Scope) -> Verdict:
    """What of ``rule`` can be evaluated in ``scope``: unknown conditions, skip or partial."""
    named = _named_columns(rule.model_dump(mode="json", include={"match", "actions"}))
    scope = Scope(scope.extra_columns, scope.detectors_run, frozenset(named))
    walker = _Walker(scope)
    verdict = walker.verdict
    missing = [
        name
        for name in rule.requires_columns
        if scope.extra_columns is not None
        and resolve_field(name).extra_path(scope.extra_columns).column not in scope.extra_columns
    ]
    if missing:
        verdict.skip_reason = f"corpus has no source column {', '.join(sorted(missing))}"
        return verdict
    try:
        value = walker.fold(rule.match, 1)
        if value != "open":
            reasons = "; ".join(dict.fromkeys(verdict.notes)) or "its conditions"
            raise _Skip(f"nothing left to evaluate without {reasons}")
        for n, tier in enumerate(rule.tiers):
            if tier.when is not None and walker.fold(tier.when, 1) == "false":
                verdict.notes.append(f"tier {n + 1} ({tier.action}) never applies")
    except _Skip as skip:
        verdict.skip_reason = str(skip)
        verdict.unknown.clear()
    return verdict
