"""Masking of personal data in captions and evidence (values hidden unless revealed).

PII findings carry character offsets into the item's text. A masked span shows a fixed run of
blocks plus the entity type, so neither the value nor its length is disclosed; a revealed span
is highlighted. Evidence and metadata may quote detected values; they are scrubbed with the
report's masking (:mod:`audit.report.masking`) so the dashboard and the reports agree.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from audit.detectors.registry import text_masking_detectors
from audit.report.masking import scrub

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


def caption_html(text: str, spans: Iterable[Span], *, reveal: bool) -> str:
    """HTML of the caption, spans masked (or highlighted when ``reveal``), all text escaped."""
    out, pos = [], 0
    for s in merge_spans(spans, len(text)):
        out.append(html.escape(text[pos : s.start]))
        kind = html.escape(s.entity_type)
        if reveal:
            value = html.escape(text[s.start : s.end])
            out.append(
                f'<mark class="pii pii-revealed" title="{kind}">{value}<sub>{kind}</sub></mark>'
            )
        else:
            out.append(
                f'<span class="pii pii-masked" title="{kind}">{MASK}<sub>{kind}</sub></span>'
            )
        pos = s.end
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


def scrub_all(value: Any, secrets: list[tuple[str, str]]) -> Any:
    """A copy of a JSON-like value with every secret value replaced by its type.

    Strings are scrubbed with the report's :func:`audit.report.masking.scrub` (one rule for
    every human-facing output).
    """
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {k: scrub_all(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_all(v, secrets) for v in value]
    return value


def secrets(text: str, spans: Iterable[Span]) -> list[tuple[str, str]]:
    """``(value, entity_type)`` of every span: what evidence and metadata must not show."""
    return [(text[s.start : s.end], s.entity_type) for s in merge_spans(spans, len(text))]
