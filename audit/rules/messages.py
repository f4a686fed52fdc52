"""Turn pydantic validation errors into one plain-words problem per mistake."""

from __future__ import annotations

import difflib
from collections import defaultdict
from typing import Any

from pydantic import ValidationError

from audit.rules.model import DISCRIMINATOR_TAGS

_ALIASES = {"in_": "in", "not_": "not"}


def _known_keys() -> set[str]:
    """Every key any rule-file model accepts (for "did you mean" hints)."""
    from audit.rules import model

    keys: set[str] = set()
    for obj in vars(model).values():
        if isinstance(obj, type) and issubclass(obj, model._Strict):
            keys |= {f.alias or name for name, f in obj.model_fields.items()}
    return keys


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
        close = difflib.get_close_matches(str(name), _known_keys(), n=1)
        hint = f" — did you mean '{close[0]}'?" if close else ""
        return f"unknown field '{name}'{hint}"
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
    for error in exc.errors(include_url=False):
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
