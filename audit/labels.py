"""Labelled text: spans of entity types in a text (generator output, evaluation input)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """A labelled entity: Python character offsets into the text, end exclusive."""

    entity_type: str
    start: int
    end: int


@dataclass
class LabelledText:
    """A caption with the spans a perfect detector would report."""

    text: str
    spans: list[Span] = field(default_factory=list)

    def values(self) -> list[tuple[str, str]]:
        """``(entity_type, covered text)`` for every span, in order."""
        return [(s.entity_type, self.text[s.start : s.end]) for s in self.spans]

    def with_prefix(self, prefix: str) -> LabelledText:
        """The same caption behind ``prefix``, spans shifted to match."""
        shift = len(prefix)
        spans = [Span(s.entity_type, s.start + shift, s.end + shift) for s in self.spans]
        return LabelledText(prefix + self.text, spans)

    def with_suffix(self, suffix: str) -> LabelledText:
        """The same caption followed by ``suffix`` (spans unchanged)."""
        return LabelledText(self.text + suffix, list(self.spans))
