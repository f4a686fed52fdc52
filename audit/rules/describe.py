"""Conditions in plain words: used by `audit rules explain` and as flag evidence labels."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from audit.detectors.registry import spec
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
    RegistryCondition,
    ShareHaving,
)

DetectorCond = DetectorCondition
_SYMBOL = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _field(cond: FieldCondition) -> str:
    name, op, value = cond.field, cond.op, cond.value
    if op in _SYMBOL:
        return f"{name} {_SYMBOL[op]} {_value(value)}"
    if op == "in":
        return f"{name} is one of {', '.join(map(_value, value))}"
    if op == "not_in":
        return f"{name} is none of {', '.join(map(_value, value))}"
    if op == "is_null":
        return f"{name} is missing" if value else f"{name} is present"
    if op == "contains":
        verb = "includes" if cond.ref.kind == "list" else "contains"
        return f"{name} {verb} {_value(value)}"
    return f"{name} matches /{value}/"


_WORDS = {"gt": "above", "ge": "at least", "lt": "below", "le": "at most", "eq": "exactly"}
_SHARE_WORDS = {
    "gt": "more than",
    "ge": "at least",
    "lt": "less than",
    "le": "at most",
    "eq": "exactly",
}


def threshold_words(op: str) -> str:
    """``ge`` → "at least", ``gt`` → "above", ... (evidence and explanations)."""
    return _WORDS[op]


def _attribute(key: str, op: str, value: Any) -> str:
    if op in ("in", "not_in"):
        verb = "is one of" if op == "in" else "is none of"
        return f"{key} {verb} {', '.join(map(_value, value))}"
    return f"{key} {_SYMBOL[op]} {_value(value)}"


def _qualifiers(cond: DetectorCond) -> str:
    from audit.rules.model import attribute_tests

    parts = []
    if cond.min_size_px:
        parts.append(f"≥ {cond.min_size_px} px")
    if cond.min_score is not None:
        parts.append(f"score ≥ {cond.min_score}")
    parts.extend(_attribute(*test) for test in attribute_tests(cond.attributes))
    return f" ({', '.join(parts)})" if parts else ""


def _detector(cond: DetectorCond) -> str:
    """ "EMAIL_ADDRESS found in the text", "at least 2 faces found in the image" — worded from
    the detector's declarations (its finding noun and where its findings are)."""
    declared = spec(cond.detector)
    one, many = declared.finding_noun
    if cond.types:
        kinds = " or ".join(cond.types)
        what = kinds if cond.min_count == 1 else f"at least {cond.min_count} {kinds}"
    else:
        what = one if cond.min_count == 1 else f"at least {cond.min_count} {many}"
    return f"{what} found {declared.found_in}{_qualifiers(cond)}"


def _registry(cond: RegistryCondition) -> str:
    """ "covered by a consent registry request (erasure or opt_out; by email or author)"."""
    match = cond.registry
    parts = []
    if match.kinds:
        parts.append(" or ".join(match.kinds))
    if match.subject_types:
        parts.append("by " + " or ".join(match.subject_types))
    return "covered by a consent registry request" + (f" ({'; '.join(parts)})" if parts else "")


def describe(cond: Any) -> str:
    """One line of plain words for a condition (nested conditions in parentheses)."""
    if isinstance(cond, FieldCondition):
        return _field(cond)
    if isinstance(cond, DetectorCond):
        return _detector(cond)
    if isinstance(cond, AllCondition):
        return "(" + " and ".join(describe(c) for c in cond.all) + ")"
    if isinstance(cond, AnyCondition):
        return "(" + " or ".join(describe(c) for c in cond.any) + ")"
    if isinstance(cond, NotCondition):
        return f"not {describe(cond.not_)}"
    if isinstance(cond, AggregateCondition):
        return f"its {cond.aggregate.group_by} group: {describe_having(cond.aggregate.having)}"
    if isinstance(cond, RegistryCondition):
        return _registry(cond)
    if isinstance(cond, CopyCondition):
        original = cond.copy_of.original
        if original is None:
            return "its image is a perceptual copy of another item's image"
        return f"its image is a perceptual copy of the image of another item where {describe(original)}"
    raise TypeError(f"not a condition: {cond!r}")


def describe_having(having: Any) -> str:
    """The group test of an aggregate condition in plain words."""
    if isinstance(having, AnyItemHaving):
        return f"any item where {describe(having.any_item)}"
    if isinstance(having, ShareHaving):
        share = having.share_of_items
        words = _SHARE_WORDS[share.op]
        return f"{words} {share.value:.0%} of items where {describe(share.where)}"
    if isinstance(having, EvidenceHaving):
        score = having.evidence_score
        declared = spec(score.detector).evidence  # the registry's spec: no local may shadow it
        label = declared.label if declared else f"{score.detector} evidence"
        bound = f"{_WORDS[score.op]} {score.value}"
        return f"a {label} score of {bound} (from {score.detector} findings)"
    if isinstance(having, CountHaving):
        count = having.count_of_items
        return f"{_SHARE_WORDS[count.op]} {count.value:g} items where {describe(count.where)}"
    assert isinstance(having, DistinctHaving)
    distinct = having.distinct_count
    return f"{_SHARE_WORDS[distinct.op]} {distinct.value:g} distinct values of {distinct.field}"


def describe_tier(tier: Any) -> str:
    """A tier's deciding words in evidence: "exclude (critical) when author_age_at_post < 16"."""
    when = f" when {describe(tier.when)}" if tier.when is not None else ""
    return f"{tier.action} ({tier.severity}){when}"


def explain_lines(cond: Any, indent: int = 0) -> list[str]:
    """The condition tree as indented lines (for `audit rules explain`)."""
    pad = "  " * indent
    if isinstance(cond, AllCondition | AnyCondition):
        word, children = (
            ("ALL of", cond.all) if isinstance(cond, AllCondition) else ("ANY of", cond.any)
        )
        return [f"{pad}{word}:"] + [line for c in children for line in explain_lines(c, indent + 1)]
    if isinstance(cond, NotCondition):
        return [f"{pad}NOT:"] + explain_lines(cond.not_, indent + 1)
    if isinstance(cond, AggregateCondition):
        agg = cond.aggregate
        head = f"{pad}every item whose {agg.group_by} group has {describe_having(agg.having)}"
        return [head]
    return [f"{pad}- {describe(cond)}"]
