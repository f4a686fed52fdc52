"""The NER's token embeddings remembered per form: the same numbers as spaCy's own layer."""

from __future__ import annotations

import numpy as np
import pytest
from _pii_engine import pii_detector
from test_pii import LABELLED, PROBE_TEXTS

from audit.detectors.pii import embed_cache


def _nlp():  # type: ignore[no-untyped-def]
    return pii_detector()._analyzer.nlp_engine.get_nlp("en")


def _cached_layer():  # type: ignore[no-untyped-def]
    return _nlp().get_pipe("ner").model.get_ref("tok2vec").layers[0].layers[0]


def _texts() -> list[str]:
    from audit.synth.corpus import labelled_captions

    odd = ["", "A", "🎉 🎉", "HI BOB IN PARIS", "x" * 500, "n't 's Mr. U.S.A."]
    return [c.text for c in labelled_captions(300, seed=11)] + PROBE_TEXTS + odd


def _docs(texts: list[str]) -> list:  # type: ignore[type-arg]
    nlp = _nlp()
    return [nlp.make_doc(t) for t in texts]


def _same(got: list[np.ndarray], expected: list[np.ndarray]) -> bool:
    return len(got) == len(expected) and all(
        a.shape == b.shape and np.array_equal(a, b) for a, b in zip(got, expected, strict=True)
    )


def test_the_detector_runs_the_cached_embedding() -> None:
    layer = _cached_layer()
    assert layer.name == embed_cache.LAYER_NAME
    assert embed_cache.supported(layer.layers[0])  # spaCy's own MultiHashEmbed, kept inside


@pytest.mark.parametrize(("capacity", "step"), [(embed_cache.CAPACITY, 37), (300, 37), (80, 3)])
def test_cached_vectors_equal_spacys_cold_warm_and_when_the_memory_starts_over(
    capacity: int, step: int
) -> None:
    """Bit for bit spaCy's layer (run on all the docs at once), batch after batch: forms
    first seen, forms remembered from earlier batches, and (small capacities) a memory that
    starts over in the middle of a batch whose other tokens it had just found (their rows
    must not be overwritten first)."""
    original = _cached_layer().layers[0]
    layer = embed_cache.cached_embed(original, capacity=capacity)
    memory = layer.attrs["memory"]
    docs = _docs(_texts())
    reference = original.predict(docs)
    starts = 0
    for i in range(0, len(docs), step):
        before = memory.size
        assert _same(layer.predict(docs[i : i + step]), reference[i : i + step]), i
        starts += memory.size < before
    assert memory.size > 0
    if capacity < 1000:
        assert starts > 0  # the case above was exercised


def test_forms_seen_again_are_copied_not_recomputed() -> None:
    original = _cached_layer().layers[0]
    layer = embed_cache.cached_embed(original)
    docs = _docs(["the cat sat on the mat", "the mat sat on the cat"])
    layer.predict(docs[:1])
    size = layer.attrs["memory"].size
    assert size == 5  # "the" twice, one form
    assert _same(layer.predict(docs[1:]), original.predict(docs[1:]))
    assert layer.attrs["memory"].size == size  # nothing new to compute
    embed_cache.forget(_nlp())
    assert _cached_layer().attrs["memory"].size == 0


def test_tiny_batches_give_the_numbers_of_a_usual_batch() -> None:
    """A product of fewer than 5 rows takes other BLAS kernels (other last bits); forms are
    computed in products of at least MIN_ROWS rows, so a one-token doc alone gets the
    numbers it gets inside a usual batch."""
    original = _cached_layer().layers[0]
    docs = _docs(["Paris", "Bob", "hi there", *_texts()[:50]])
    together = original.predict(docs)
    for k in range(3):
        alone = embed_cache.cached_embed(original).predict(docs[k : k + 1])
        assert _same(alone, together[k : k + 1])


def test_products_of_min_rows_or_more_give_each_row_the_same_bits() -> None:
    """What the memory rests on, on this machine's BLAS: a row's output does not depend on
    the other rows of the product once it has 5 rows (the memory computes with MIN_ROWS)."""
    assert embed_cache.MIN_ROWS >= 5
    original = _cached_layer().layers[0]
    _, _, hashed, mixed, _ = original.layers
    keys = np.random.default_rng(3).integers(0, 2**63, size=(600, 4), dtype=np.uint64)
    full = mixed.predict(hashed.predict(keys))
    for rows in [*range(5, 40), 64, 257, 599]:  # 5: where the docs say it starts
        part = np.ascontiguousarray(keys[600 - rows :])
        assert np.array_equal(mixed.predict(hashed.predict(part)), full[600 - rows :]), rows


def test_install_checks_the_blas_gives_rows_their_own_bits() -> None:
    """install() wraps the layer only where products keep each row's bits: true of the real
    layer here, false of a computation whose rows depend on the product's size."""
    _, _, hashed, mixed, _ = _cached_layer().layers[0].layers
    assert embed_cache.rows_independent(lambda keys: mixed.predict(hashed.predict(keys)), 4)

    def size_dependent(keys: np.ndarray) -> np.ndarray:
        return np.full((len(keys), 3), 1.0 + len(keys) * 1e-6, dtype=np.float32)

    assert not embed_cache.rows_independent(size_dependent, 4)


def test_install_leaves_spacys_layer_where_the_check_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from audit.detectors.pii.detector import load_spacy_model

    monkeypatch.setattr(embed_cache, "rows_independent", lambda compute, columns: False)
    nlp = load_spacy_model()
    first = nlp.get_pipe("ner").model.get_ref("tok2vec").layers[0].layers[0]
    assert first.name != embed_cache.LAYER_NAME and embed_cache.supported(first)


def test_forms_folded_alike_are_told_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every form folded to one key: the memory checks the four hashes, so each token still
    gets its own vector (within a batch and across batches)."""
    original = _cached_layer().layers[0]
    layer = embed_cache.cached_embed(original)
    monkeypatch.setattr(embed_cache, "fold", lambda keys: np.zeros(len(keys), dtype=np.uint64))
    docs = _docs(["Anna flew to Rome on Monday", "Rome and Anna and Bob", "a zebra, a lion"])
    for k in range(3):
        assert _same(layer.predict(docs[k : k + 1]), original.predict(docs[k : k + 1]))
    assert _same(layer.predict(docs), original.predict(docs))


def test_form_memory_find_and_add() -> None:
    memory = embed_cache.FormMemory(width=2, columns=2, capacity=3)
    keys = np.array([[1, 2], [3, 4]], dtype=np.uint64)
    folded = embed_cache.fold(keys)
    assert memory.find(keys, folded).tolist() == [-1, -1]
    memory.add(keys, folded, np.array([[0.5, 1.5], [2.5, 3.5]], dtype=np.float32))
    assert memory.find(keys[::-1], folded[::-1]).tolist() == [1, 0]
    other = np.array([[9, 9]], dtype=np.uint64)
    assert memory.find(other, folded[:1]).tolist() == [-1]  # same folded key, other form
    memory.add(np.array([[5, 6], [7, 8]], dtype=np.uint64), np.array([7, 8], dtype=np.uint64),
               np.zeros((2, 2), dtype=np.float32))  # fmt: skip
    assert memory.size == 2 and memory.find(keys, folded).tolist() == [-1, -1]  # started over
    memory.add(np.zeros((4, 2), dtype=np.uint64), np.arange(4, dtype=np.uint64),
               np.zeros((4, 2), dtype=np.float32))  # fmt: skip
    assert memory.size == 0  # more than it can hold: nothing kept


def test_the_wrapped_model_pickles_and_copies() -> None:
    """No closures: the NER model still pickles, and a copy computes the same vectors."""
    import pickle

    original = _cached_layer().layers[0]
    layer = embed_cache.cached_embed(original)
    docs = _docs(["Anna flew to Rome on Monday with Bob"])
    expected = layer.predict(docs)
    clone = pickle.loads(pickle.dumps(layer))
    assert clone.layers[0] is not original
    assert _same(clone.predict(docs), expected)
    assert _same(layer.copy().predict(docs), expected)


def test_refuses_to_train_and_other_pipelines() -> None:
    import spacy

    layer = _cached_layer()
    with pytest.raises(NotImplementedError):
        layer.begin_update(_docs(["hi"]))
    assert not embed_cache.install(spacy.blank("en"))
    assert not embed_cache.supported(layer)  # not spaCy's layer: never wrapped twice


@pytest.mark.skipif(not LABELLED.exists(), reason="../shared/realdata absent")
def test_detector_findings_equal_without_the_memory_on_real_labelled_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """presidio-research and WNUT-16 tweets through two whole detectors, one with the memory
    and one with spaCy's own layer: the same findings and scores."""
    import json

    from audit.detectors.pii.detector import PiiDetector

    records = json.loads(
        (LABELLED / "presidio-research_synth_dataset_v2.json").read_text(encoding="utf-8")
    )
    texts = [r["full_text"] for r in records]
    conll = (LABELLED / "wnut16_test" / "test").read_text(encoding="utf-8").split("\n\n")
    texts += [" ".join(line.split("\t")[0] for line in s.splitlines() if line) for s in conll]

    def key(detector: PiiDetector) -> list[list[tuple[object, ...]]]:
        out = []
        for i in range(0, len(texts), 128):
            out += [
                [(r.entity_type, r.start, r.end, r.score) for r in rs]
                for rs in detector.analyze_texts(texts[i : i + 128])
            ]
        return out

    cached = key(pii_detector())
    monkeypatch.setattr(embed_cache, "install", lambda nlp: False)
    plain = PiiDetector()
    plain.setup()
    assert _nlp() is not plain._analyzer.nlp_engine.get_nlp("en")
    assert key(plain) == cached
    assert sum(1 for rs in cached for r in rs if r[0] == "PERSON") > 500
