"""presidio's per-text bookkeeping done once: the same results as presidio's own classes."""

from __future__ import annotations

import gc
import logging

import pytest
from _pii_engine import pii_detector
from test_pii import NOT_PHONES, PROBE_TEXTS

from audit.detectors.pii.detector import LANGUAGE, prefilter

#: Texts with results of most types, context words near them (phone, card, ssn, email),
#: results of several recognizers on one span, and none at all.
TEXTS = [
    *PROBE_TEXTS,
    *NOT_PHONES,
    "my ssn is 078-05-1120 and my phone 212-555-0101, card 4111 1111 1111 1111",
    "email bob@example.com or https://example.com/bob, ip 10.0.0.1, born 3/4/2009",
    "Jane Doe moved to Paris on 2019-05-01; her iban GB82 WEST 1234 5698 7654 32",
    "nothing here at all",
    "",
    "@sam: meet at 5 Main Street, Springfield IL 62701 tomorrow",
]


def _key(results: list) -> list[tuple]:
    # presidio's de-duplication goes through a set of results: its order is not defined,
    # so results are compared as sorted lists (everything the detector reads from them).
    return sorted(
        (r.entity_type, r.start, r.end, r.score, sorted((r.recognition_metadata or {}).items()))
        for r in results
    )


def _stock_engine():  # type: ignore[no-untyped-def]
    """presidio's own AnalyzerEngine and RecognizerRegistry on the detector's recognizers,
    NLP engine and context enhancer."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

    ours = pii_detector()._analyzer
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    for recognizer in ours.registry.recognizers:
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=ours.nlp_engine,
        supported_languages=[LANGUAGE],
        context_aware_enhancer=ours.context_aware_enhancer,
    )


@pytest.mark.parametrize("text", TEXTS)
def test_lean_engine_returns_what_presidio_returns(text: str) -> None:
    ours = pii_detector()._analyzer
    stock = _stock_engine()
    for entities in (list(prefilter.possible_entities(text, pii_detector().entities)), None):
        if entities == []:
            continue
        expected = _key(stock.analyze(text, LANGUAGE, entities=entities))
        # twice: the second answer comes from the registry's cache
        assert _key(ours.analyze(text, LANGUAGE, entities=entities)) == expected
        assert _key(ours.analyze(text, LANGUAGE, entities=entities)) == expected


def test_lean_engine_calls_a_recognizers_own_context_step() -> None:
    """A recognizer that overrides ``enhance_using_context`` still gets its own results and
    everyone else's, as presidio passes them, and what it returns is used."""
    from presidio_analyzer import Pattern, PatternRecognizer

    seen: list[tuple[int, int]] = []

    class Boosting(PatternRecognizer):  # type: ignore[misc]
        def enhance_using_context(
            self,
            text,
            raw_recognizer_results,
            other_raw_recognizer_results,
            nlp_artifacts,
            context=None,
        ):  # type: ignore[no-untyped-def]  # noqa: E501
            seen.append((len(raw_recognizer_results), len(other_raw_recognizer_results)))
            for r in raw_recognizer_results:
                r.score = 0.99
            return raw_recognizer_results

    from audit.detectors.pii.analyzer import CachedRegistry, LeanAnalyzerEngine

    ours = pii_detector()._analyzer
    registry = CachedRegistry(supported_languages=[LANGUAGE])
    for recognizer in ours.registry.recognizers:
        registry.add_recognizer(recognizer)
    registry.add_recognizer(
        Boosting(supported_entity="TICKET", patterns=[Pattern("ticket", r"TK-\d{4}", 0.3)])
    )
    engine = LeanAnalyzerEngine(
        registry=registry, nlp_engine=ours.nlp_engine, supported_languages=[LANGUAGE]
    )
    results = engine.analyze("ticket TK-1234 from bob@example.com", LANGUAGE)
    assert [(r.entity_type, r.score) for r in results if r.entity_type == "TICKET"] == [
        ("TICKET", 0.99)
    ]
    assert seen and seen[0][0] == 1 and seen[0][1] >= 1  # own result and the e-mail's


def test_cached_registry_sees_recognizers_added_later() -> None:
    from presidio_analyzer import Pattern, PatternRecognizer

    from audit.detectors.pii.analyzer import CachedRegistry

    registry = CachedRegistry(supported_languages=[LANGUAGE])
    first = PatternRecognizer(supported_entity="A", patterns=[Pattern("a", r"a", 0.5)])
    registry.add_recognizer(first)
    assert registry.get_recognizers(LANGUAGE, ["A"]) == [first]
    second = PatternRecognizer(supported_entity="A", patterns=[Pattern("b", r"b", 0.5)])
    registry.recognizers.append(second)  # not through add_recognizer
    assert set(registry.get_recognizers(LANGUAGE, ["A"])) == {first, second}
    registry.remove_recognizer(second.name)  # both have the class's name: both go
    with pytest.raises(ValueError, match="No matching recognizers"):  # as presidio's
        registry.get_recognizers(LANGUAGE, ["A"])


def test_unmapped_model_labels_are_kept_without_warnings(caplog: pytest.LogCaptureFixture) -> None:
    """Entities of labels presidio does not map (CARDINAL, MONEY) stay in the NLP artifacts
    under their own names, as presidio keeps them, and no warning is logged per entity."""
    detector = pii_detector()
    engine = detector._analyzer.nlp_engine
    nlp = engine.get_nlp(LANGUAGE)
    doc = nlp("I paid 300 dollars for 3 tickets to see Taylor Swift in London.")
    assert {"MONEY", "CARDINAL"} & {e.label_ for e in doc.ents}  # the model does label them
    with caplog.at_level(logging.WARNING, logger="presidio-analyzer"):
        entities, _ = engine._get_updated_entities(list(doc.ents), [0.85] * len(doc.ents))
        detector.analyze_texts(["I paid 300 dollars for 3 tickets to see Taylor Swift."])
    from presidio_analyzer.nlp_engine.ner_model_configuration import (
        MODEL_TO_PRESIDIO_ENTITY_MAPPING as PRESIDIO_MAPPING,
    )

    assert [e.label_ for e in entities] == [
        PRESIDIO_MAPPING.get(e.label_, e.label_) for e in doc.ents
    ]
    assert not [r for r in caplog.records if "not mapped" in r.getMessage()]


def _worker_heap() -> tuple[str | None, bool, bool]:
    """In a fresh process: set up a pool worker; is its analyzer frozen, a later object not?"""
    from audit.engine import local

    local._init_worker("pii", {})
    assert local._worker_detector is not None
    analyzer = local._worker_detector._analyzer
    later = type("Later", (), {})()
    tracked = {id(o) for o in gc.get_objects()}  # frozen objects are in no generation
    return local._worker_setup_error, id(analyzer) in tracked, id(later) in tracked


def test_pool_worker_freezes_its_loaded_state() -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        error, analyzer_tracked, later_tracked = pool.submit(_worker_heap).result()
    assert error is None
    assert not analyzer_tracked  # frozen with the model after setup
    assert later_tracked


def test_in_process_detector_leaves_the_callers_heap_alone() -> None:
    """An in-process scan's detector is dropped after it: nothing of it may be frozen."""
    from audit.engine import local

    before = gc.get_freeze_count()
    detector = local._local_detector("pii", {})
    assert gc.get_freeze_count() == before
    assert any(o is detector._analyzer for o in gc.get_objects())


def test_cached_registry_is_not_fooled_by_a_reused_address() -> None:
    """A recognizer removed and freed may leave its address to a new one: the cache must
    still see the new one (the key holds the recognizers, not their addresses)."""
    from presidio_analyzer import Pattern, PatternRecognizer

    from audit.detectors.pii.analyzer import CachedRegistry

    def make(name: str, language: str) -> PatternRecognizer:
        return PatternRecognizer(
            supported_entity="X", name=name, supported_language=language,
            patterns=[Pattern(name, "x", 0.5)],
        )  # fmt: skip

    registry = CachedRegistry(supported_languages=["en", "es"])
    registry.add_recognizer(make("A", "en"))
    registry.add_recognizer(make("B", "es"))
    assert [r.name for r in registry.get_recognizers("en", ["X"])] == ["A"]
    freed = id(registry.recognizers[1])
    registry.remove_recognizer("B")
    for _ in range(100):  # CPython soon hands B's memory to a new recognizer
        newcomer = make("C", "en")
        if id(newcomer) == freed:
            break
    registry.add_recognizer(newcomer)
    assert sorted(r.name for r in registry.get_recognizers("en", ["X"])) == ["A", "C"]
