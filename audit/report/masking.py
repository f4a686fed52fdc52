"""Masking for human-facing outputs: type and position, never the value.

Evidence is whitelisted, not blacklisted: only known keys of each finding are kept
(detector, entity type, offsets, score, box size), and any detected PII value that still
appears in a condition string is replaced by its type as a second line of defence. Text is
masked span by span (:func:`mask_plain`: ``██████ TYPE``, neither value nor length shown) for
the dashboard's tables and the review sample CSV, with the spans of every detector that
declares its text spans personal data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from audit.detectors.registry import text_masking_detectors

#: Finding keys that carry no personal value and may be shown.
_SAFE_FINDING_KEYS = ("detector", "entity_type", "score", "start", "end", "bbox", "size_px")


def span_label(entity_type: str, start: int | None, end: int | None) -> str:
    """``[EMAIL_ADDRESS 12–29]`` (or ``[FACE]`` when there is no text position)."""
    if start is None or end is None:
        return f"[{entity_type}]"
    return f"[{entity_type} {start}\u2013{end}]"


def _finding_label(finding: dict[str, Any]) -> str:
    kept = {k: finding.get(k) for k in _SAFE_FINDING_KEYS}
    label = span_label(
        str(kept["entity_type"] or kept["detector"] or "FINDING"), kept["start"], kept["end"]
    )
    extras = []
    if kept["detector"]:
        extras.append(str(kept["detector"]))
    if isinstance(kept["score"], int | float):
        extras.append(f"score {kept['score']:.2f}")
    if kept["size_px"] is not None:
        extras.append(f"{kept['size_px']} px")
    return label + (f" ({', '.join(extras)})" if extras else "")


def scrub(text: str, secrets: Iterable[tuple[str, str]]) -> str:
    """Replace every occurrence of each ``(value, entity_type)`` in ``text`` by ``[TYPE]``."""
    # Longest first so that a value containing another is replaced whole.
    for value, entity_type in sorted(secrets, key=lambda s: -len(s[0])):
        if value:
            text = text.replace(value, f"[{entity_type}]")
    return text


def mask_evidence(
    evidence: str | dict[str, Any] | None, secrets: Iterable[tuple[str, str]] = ()
) -> dict[str, list[str]]:
    """Turn stored flag evidence into ``{"conditions": [...], "findings": [...]}`` of safe text.

    ``secrets`` are the item's detected PII values with their types; they are scrubbed from
    the condition strings in case a rule echoed a matched value.
    """
    if isinstance(evidence, str):
        try:
            evidence = json.loads(evidence)
        except json.JSONDecodeError:
            evidence = {"conditions": [evidence]}
    evidence = evidence if isinstance(evidence, dict) else {}
    secrets = list(secrets)
    conditions = [scrub(str(c), secrets) for c in evidence.get("conditions") or []]
    findings = [_finding_label(f) for f in evidence.get("findings") or [] if isinstance(f, dict)]
    return {"conditions": conditions, "findings": findings}


MASK = "█" * 6


@dataclass(frozen=True, order=True)
class Span:
    """A half-open character range ``[start, end)`` of the text holding an entity."""

    start: int
    end: int
    entity_type: str


def merge_spans(spans: Iterable[Span], text_len: int) -> list[Span]:
    """Clamp to the text, sort, and merge overlapping spans (their types joined with '/')."""
    clean = sorted(
        Span(max(0, s.start), min(text_len, s.end), s.entity_type)
        for s in spans
        if s.end > s.start and s.start < text_len
    )
    merged: list[Span] = []
    for s in clean:
        if merged and s.start < merged[-1].end:
            last = merged[-1]
            types = last.entity_type.split("/")
            kind = "/".join(types + [s.entity_type] * (s.entity_type not in types))
            merged[-1] = Span(last.start, max(last.end, s.end), kind)
        else:
            merged.append(s)
    return merged


def spans_from_rows(rows: Iterable[dict[str, Any]]) -> list[Span]:
    """Spans of personal data in the item's text (rows with detector, start, end,
    entity_type): the findings of every detector that declares its text spans personal data."""
    masked = set(text_masking_detectors())
    out = []
    for r in rows:
        if r.get("detector") not in masked or r.get("start") is None or r.get("end") is None:
            continue
        try:
            out.append(Span(int(r["start"]), int(r["end"]), str(r["entity_type"])))
        except (TypeError, ValueError):
            continue  # NaN offsets from pandas: a finding without a span
    return out


def mask_plain(text: str, spans: Iterable[Span]) -> str:
    """``text`` with every span replaced by ``██████ TYPE`` (for tables and exports)."""
    out, pos = [], 0
    for s in merge_spans(spans, len(text)):
        out += [text[pos : s.start], f"{MASK} {s.entity_type}"]
        pos = s.end
    out.append(text[pos:])
    return "".join(out)
