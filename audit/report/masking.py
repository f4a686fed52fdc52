"""Masking of flag evidence for human-facing outputs: type and position, never the value.

Evidence is whitelisted, not blacklisted: only known keys of each finding are kept
(detector, entity type, offsets, score, box size), and any detected PII value that still
appears in a condition string is replaced by its type as a second line of defence.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

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
