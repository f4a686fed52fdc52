"""presidio's AnalyzerEngine and RecognizerRegistry without their per-text bookkeeping.

presidio's ``AnalyzerEngine.analyze`` is called once per text. Around the recognizers
themselves it spends, on every call, time that does not depend on the text: the registry
filters its recognizers by language and entity types again, and the recognizer-level context
step scans the text's results twice per recognizer and calls every recognizer's
``enhance_using_context``, which for all but a few is ``EntityRecognizer``'s (it returns its
input). On tweets that was ~7 % of the detector's CPU. The two classes below return exactly
what presidio's return (tests/test_pii_analyzer.py compares them on real-shaped texts):

* :class:`CachedRegistry` remembers the recognizer list per (language, entity types); the key
  holds the registered recognizers themselves (so none of them can be freed and its address
  reused while the answer is kept), and adding or removing one, through the registry's methods
  or its ``recognizers`` list, is seen. Changing a registered recognizer's supported entities
  or language after its first use is not: the detector builds its registry once and never does.
* :class:`LeanAnalyzerEngine` groups the results by recognizer once and calls a recognizer's
  own context step only where it has one; the result order is presidio's (recognizer order,
  then each recognizer's own order).
"""

from __future__ import annotations

from typing import Any

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry, RecognizerResult

_ID_KEY = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY


class CachedRegistry(RecognizerRegistry):  # type: ignore[misc]
    """A RecognizerRegistry whose ``get_recognizers`` answer is computed once per request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._answers: dict[tuple[Any, ...], list[EntityRecognizer]] = {}

    def get_recognizers(
        self,
        language: str,
        entities: list[str] | None = None,
        all_fields: bool = False,
        ad_hoc_recognizers: list[EntityRecognizer] | None = None,
    ) -> list[EntityRecognizer]:
        """presidio's answer (a new list each call), computed once per distinct request."""
        if ad_hoc_recognizers:
            return super().get_recognizers(language, entities, all_fields, ad_hoc_recognizers)
        key = (
            language,
            None if entities is None else tuple(entities),
            all_fields,
            tuple(self.recognizers),  # recognizers hash and compare by identity
        )
        answer = self._answers.get(key)
        if answer is None:
            if len(self._answers) > 4096:  # entity subsets are few; never grow without bound
                self._answers.clear()
            answer = self._answers[key] = super().get_recognizers(language, entities, all_fields)
        return list(answer)


def _own_context_step(recognizer: EntityRecognizer) -> bool:
    """Whether the recognizer's ``enhance_using_context`` is not presidio's identity."""
    return (
        "enhance_using_context" in vars(recognizer)
        or type(recognizer).enhance_using_context is not EntityRecognizer.enhance_using_context
    )


class LeanAnalyzerEngine(AnalyzerEngine):  # type: ignore[misc]
    """presidio's AnalyzerEngine with the recognizer-level context step done in one pass."""

    def _enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: Any,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        by_recognizer: dict[str, list[RecognizerResult]] = {}
        for result in raw_results:
            by_recognizer.setdefault(result.recognition_metadata[_ID_KEY], []).append(result)
        results: list[RecognizerResult] = []
        for recognizer in recognizers:
            own = by_recognizer.get(recognizer.id, [])
            if not _own_context_step(recognizer):
                results.extend(own)  # EntityRecognizer's step returns its input unchanged
                continue
            others = [r for r in raw_results if r.recognition_metadata[_ID_KEY] != recognizer.id]
            results.extend(
                recognizer.enhance_using_context(
                    text=text,
                    raw_recognizer_results=list(own),
                    other_raw_recognizer_results=others,
                    nlp_artifacts=nlp_artifacts,
                    context=context,
                )
            )
        return self.context_aware_enhancer.enhance_using_context(
            text=text,
            raw_results=results,
            nlp_artifacts=nlp_artifacts,
            recognizers=recognizers,
            context=context,
        )
