"""One presidio recognizer shape for the PII detector's own finders.

Each finder module (addresses, e-mails, places, phones, IDs, wallets) has a plain function
that returns spans; :class:`SpanRecognizer` turns them into presidio results, so the
recognizers differ only in their entity types and in how they call their finder.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from presidio_analyzer import EntityRecognizer, RecognizerResult

#: (entity type, start, end, score, extra recognition metadata) of one finding.
Span = tuple[str, int, int, float, dict[str, str]]


class SpanRecognizer(EntityRecognizer):
    """A presidio recognizer over a finder function: subclasses set ``ENTITIES`` and
    implement :meth:`spans`; the recognizer's name is the class name."""

    ENTITIES: ClassVar[tuple[str, ...]]

    def __init__(self) -> None:
        super().__init__(
            supported_entities=list(self.ENTITIES),
            supported_language="en",
            name=type(self).__name__,
        )

    def load(self) -> None:
        """Nothing to load (finders compile or import what they need on first use)."""

    def spans(self, text: str, entities: list[str], nlp_artifacts: Any) -> Iterable[Span]:
        """The findings in ``text`` (``entities``: the types asked for)."""
        raise NotImplementedError

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: Any = None
    ) -> list[RecognizerResult]:
        """Presidio results of :meth:`spans`, named after this recognizer."""
        return [
            RecognizerResult(
                entity,
                start,
                end,
                score,
                recognition_metadata={
                    RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    **extra,
                },
            )
            for entity, start, end, score, extra in self.spans(text, entities, nlp_artifacts)
        ]
