"""Masking of personal data in captions and evidence (values hidden unless revealed).

PII findings carry character offsets into the item's text. A masked span shows a fixed run of
blocks plus the entity type, so neither the value nor its length is disclosed; a revealed span
is highlighted. Evidence and metadata may quote detected values; they are scrubbed with the
report's masking (:mod:`audit.report.masking`) so the dashboard and the reports agree.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from audit.report.masking import (  # noqa: F401  (re-exported: one masking for every output)
    MASK,
    Span,
    mask_plain,
    merge_spans,
    scrub,
    spans_from_rows,
)


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
