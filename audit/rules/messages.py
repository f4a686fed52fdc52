"""Turn pydantic validation errors into one plain-words problem per mistake."""

from __future__ import annotations

import difflib
from collections import defaultdict
from typing import Any

from pydantic import ValidationError

from audit.rules.model import DISCRIMINATOR_TAGS

_ALIASES = {"in_": "in", "not_": "not"}


#: Where a key is allowed, in words, and a one-line example of the right form — per model.
_PLACES: dict[str, tuple[str, str]] = {
    "Rule": ("the rule's top level", "id: pii.x, title: …, match: {…}, tests: […]"),
    "FieldCondition": (
        "field conditions",
        "{field: visibility, in: [followers, private]}",
    ),
    "DetectorCondition": (
        "detector conditions",
        "{detector: pii, types: [EMAIL_ADDRESS], min_score: 0.5, attributes: {language: en}}",
    ),
    "AllCondition": ("all:", "all: [{field: opt_out, eq: true}, {detector: faces}]"),
    "AnyCondition": ("any:", "any: [{field: opt_out, eq: true}, {detector: faces}]"),
    "NotCondition": ("not:", "not: {field: visibility, eq: public}"),
    "AggregateCondition": ("aggregate conditions", "aggregate: {group_by: author_id, having: …}"),
    "Aggregate": (
        "aggregate:",
        "aggregate: {group_by: author_id, having: {share_of_items: {where: {…}, gt: 0.2}}}",
    ),
    "ShareOfItems": (
        "share_of_items",
        "share_of_items: {where: {detector: pii}, gt: 0.2}",
    ),
    "CountOfItems": (
        "count_of_items",
        "count_of_items: {where: {field: opt_out, eq: true}, ge: 5}",
    ),
    "DistinctCount": (
        "distinct_count",
        "distinct_count: {field: platform, ge: 2}",
    ),
    "EvidenceScore": (
        "evidence_score",
        "evidence_score: {detector: minor_cues, ge: 1.0}",
    ),
    "AttributeTest": (
        "attribute tests",
        "attributes: {age: {lt: 13}}",
    ),
    "Tier": ("tiers under actions:", "actions: [{when: {…}, action: exclude}, {action: review}]"),
    "Finding": (
        "test findings (tests[].findings[])",
        "findings: [{detector: pii, entity_type: EMAIL_ADDRESS, score: 0.9}]",
    ),
    "ItemCase": ("item test cases", "- {expect: match, item: {…}, findings: […]}"),
    "GroupCase": ("group test cases", "- {items: [{item_id: p1, …}], expect_flagged: [p1]}"),
}

#: Error-location tags and parent keys → the model they stand for.
_TAG_MODELS = {
    "field-node": "FieldCondition",
    "detector-node": "DetectorCondition",
    "all-node": "AllCondition",
    "any-node": "AnyCondition",
    "not-node": "NotCondition",
    "aggregate-node": "AggregateCondition",
    "item-case": "ItemCase",
    "group-case": "GroupCase",
}
_KEY_MODELS = {
    "aggregate": "Aggregate",
    "share_of_items": "ShareOfItems",
    "count_of_items": "CountOfItems",
    "distinct_count": "DistinctCount",
    "evidence_score": "EvidenceScore",
    "findings": "Finding",
    "actions": "Tier",
}


def _model_keys() -> dict[str, set[str]]:
    """Every rule-file model's accepted keys (for "did you mean" and "allowed in")."""
    from audit.rules import model

    out: dict[str, set[str]] = {}
    for name, obj in vars(model).items():
        if isinstance(obj, type) and issubclass(obj, model._Strict) and obj is not model._Strict:
            out[name] = {f.alias or n for n, f in obj.model_fields.items()}
    return out


def _known_keys() -> set[str]:
    """Every key any rule-file model accepts."""
    return set().union(*_model_keys().values())


def _model_at(loc: tuple[Any, ...]) -> str | None:
    """The model an error location's last key belongs to (None when unsure)."""
    current: str | None = "Rule"
    for part in loc[:-1]:
        if isinstance(part, str) and part in _TAG_MODELS:
            current = _TAG_MODELS[part]
        elif isinstance(part, str) and part in _KEY_MODELS:
            current = _KEY_MODELS[part]
        elif isinstance(part, str) and "AttributeTest" in part:
            current = "AttributeTest"
        elif part in ("match", "where", "any_item", "when", "not", "having", "all", "any"):
            current = None  # a condition follows: its tag says which
    return current


def unknown_key(name: str, loc: tuple[Any, ...]) -> str:
    """``unknown field 'gt' — …`` with a suggestion that differs from the word, where the
    key is allowed instead, and the right form of the place it was written in."""
    keys = _model_keys()
    here = _model_at(loc)
    allowed = sorted(keys.get(here, set())) if here else sorted(_known_keys())
    close = [c for c in difflib.get_close_matches(str(name), allowed, n=1) if c != name]
    out = f"unknown field '{name}'"
    if close:
        out += f" — did you mean '{close[0]}'?"
    elsewhere = [
        _PLACES[m][0] for m, ks in keys.items() if name in ks and m != here and m in _PLACES
    ]
    if elsewhere:
        out += f"; '{name}' is allowed in {', '.join(dict.fromkeys(elsewhere))}"
    if here in _PLACES and not close:
        out += f"; keys of {_PLACES[here][0]}: {', '.join(allowed)} (e.g. {_PLACES[here][1]})"
    return out


def data_path(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Map a pydantic error location onto the keys actually present in ``data``.

    Discriminator tags and union member names are dropped; the first location part that
    is not in the data (a missing or unknown key) ends the path.
    """
    path: list[Any] = []
    current = data
    for part in loc:
        part = _ALIASES.get(part, part)
        if (
            isinstance(current, dict)
            and part in current
            or isinstance(current, list)
            and isinstance(part, int)
            and part < len(current)
        ):
            path.append(part)
            current = current[part]
        elif (
            part in DISCRIMINATOR_TAGS
            or part in {"bool", "int", "float", "str", "date", "datetime"}
            or isinstance(part, str)
            and part.startswith(("function-", "lax-", "list[", "union["))
        ):
            continue
        else:
            path.append(part)
            break
    return tuple(path)


def dotted(path: tuple[Any, ...]) -> str:
    """``('match', 'any', 0, 'lt')`` → ``match.any[0].lt``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_TYPE_WORDS = {
    "bool": "true or false",
    "int": "a whole number",
    "float": "a number",
    "string": "text",
    "str": "text",
    "list": "a list",
    "dict": "a mapping (key: value lines)",
    "model": "a mapping (key: value lines)",
    "date": "a date",
    "datetime": "a date and time",
}


def _type_word(error_type: str) -> str | None:
    for prefix in ("bool", "int", "float", "string", "list", "dict", "model", "datetime", "date"):
        if error_type.startswith(prefix) and error_type.endswith(
            ("_type", "_parsing", "_attributes_type")
        ):
            return _TYPE_WORDS[prefix]
    return None


def _choices(expected: str) -> str:
    return expected.replace("'", "").replace(" or ", ", ")


def _one(error: dict[str, Any], name: str) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return unknown_key(str(name), tuple(error["loc"]))
    if kind == "literal_error":
        return f"must be one of {_choices(ctx['expected'])} — got {value!r}"
    if kind == "union_tag_invalid":
        return f"must be one of {_choices(ctx['expected_tags'])} — got {ctx['tag']!r}"
    if kind == "union_tag_not_found":
        return f"needs a {ctx['discriminator'].strip(chr(39))} key"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {
            "greater_than_equal": "≥",
            "greater_than": ">",
            "less_than_equal": "≤",
            "less_than": "<",
        }[kind]
        bound = next(iter(ctx.values()))
        return f"must be {sign} {bound} — got {value!r}"
    if kind == "too_short":
        return f"needs at least {ctx['min_length']} entr{'y' if ctx['min_length'] == 1 else 'ies'}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    word = _type_word(kind)
    if word:
        return f"must be {word} — got {value!r}"
    return error["msg"]


def problems_from(exc: ValidationError, data: Any) -> list[tuple[tuple[Any, ...], str, str]]:
    """``[(data_path, field_label, message)]``: one entry per distinct problem location."""
    grouped: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    errors = exc.errors(include_url=False)
    deeper = {tuple(e["loc"][:n]) for e in errors for n in range(1, len(e["loc"]))}
    for error in errors:
        # a mapping that failed the scalar members of a union (attributes: {age: {lt: 13}})
        # and has an error inside it: the inner error is the one to report
        nested = isinstance(error.get("input"), dict) and _type_word(error["type"])
        if nested and tuple(error["loc"][:-1]) in deeper and len(errors) > 1:
            continue
        loc = tuple(error["loc"])
        if error["type"] == "union_tag_invalid":  # point at the `detector:` key itself
            loc += (error["ctx"]["discriminator"].strip("'"),)
        grouped[data_path(data, loc)].append(error)
    out = []
    for path, errors in grouped.items():
        label = dotted(path) or "rule"
        name = path[-1] if path else "rule"
        if len(errors) == 1:
            message = _one(errors[0], name)
        else:
            # A value checked against several types (text, number, date…) fails each one;
            # report it once with the kinds that would have been accepted.
            value = errors[0].get("input")
            if isinstance(value, list | dict) and all(_type_word(e["type"]) for e in errors):
                message = (
                    f"must be a single value (text, a number, true/false or a date) — got {value!r}"
                )
            elif all(_type_word(e["type"]) for e in errors):
                words = sorted({_type_word(e["type"]) or "" for e in errors})
                message = f"must be {' or '.join(words)} — got {value!r}"
            else:
                message = "; ".join(dict.fromkeys(_one(e, name) for e in errors))
        out.append((path, label, message))
    return out
