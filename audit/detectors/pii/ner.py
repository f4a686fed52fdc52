"""spaCy's entity recognizer on a batch of texts, with its greedy decoding loop holding the GIL.

Same entities as ``nlp.pipe`` (``tests/test_pii.py`` compares both on generated captions,
probes and the labelled dev texts), about half the CPU.

Why: spaCy's wheels for Python < 3.12 are compiled with Cython's profiling hooks, so every
inline state accessor of the transition system (``StateC.B_``, ``safe_get``, …) first asks
for the GIL to see whether a profiler is on. ``Parser.greedy_parse`` runs its decoding loop
*without* the GIL (``with nogil: _parseC(...)``), so each of those calls — ~75 action
validity checks per token — takes and drops the GIL: ``perf`` showed take_gil / drop_gil /
pthread mutexes at ~30 % of the NER's CPU and the decoding loop at more than half of it.

The loop below is the one spaCy itself uses for training (``Parser.update``): the model's
precomputed step model scores the unfinished states, and ``Parser.transition_states`` applies
the best valid action to each (the same C code, ``c_transition_batch``), called from Python
with the GIL held, so the hooks find it at once. Both paths use the same precomputed hidden
layer (``precompute_hiddens``: same C feature sums, same bias, same maxout); only the output
layer's product goes through the model's ops (numpy's BLAS here, see
``detector.load_spacy_model``) instead of blis, which may round a last bit differently — the
same trade already made for the rest of the model.

Used only for a pipeline that is exactly one greedy ``ner`` component (:func:`supported`);
anything else goes through ``nlp.pipe``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: Docs per decoding batch (spaCy's Parser.pipe sorts a batch by length the same way; the
#: step loop runs as many steps as the longest doc has tokens, so similar lengths batch best).
DECODE_BATCH = 256


def supported(nlp: Any) -> bool:
    """Whether :func:`pipe` may replace ``nlp.pipe`` for this pipeline."""
    from spacy.pipeline import EntityRecognizer

    if nlp.pipe_names != ["ner"]:
        return False
    ner = nlp.get_pipe("ner")
    return (
        type(ner) is EntityRecognizer
        and ner.cfg.get("beam_width", 1) == 1
        and hasattr(ner, "transition_states")
        and hasattr(ner.moves, "init_batch")
    )


def _decode(ner: Any, docs: list[Any]) -> list[Any]:
    """Greedy decoding of one batch: spaCy's ``greedy_parse`` with the GIL held.

    ``greedy_parse`` first adds labels found on the docs' tokens (``_ensure_labels_are_added``);
    docs fresh from the tokenizer carry none, so that pass (a Python loop over every token)
    is skipped.
    """
    states = ner.moves.init_batch(docs)
    todo = [s for s in states if not s.is_final()]
    if not todo:
        return states
    step_model = ner.model.predict(docs)
    while todo:
        scores = step_model.predict(todo)
        todo = ner.transition_states(todo, scores)
    step_model.clear_memory()
    return states


def pipe(nlp: Any, texts: Iterable[str], batch_size: int = DECODE_BATCH) -> list[Any]:
    """Docs with entities for ``texts``, in order (``list(nlp.pipe(texts))``, less CPU)."""
    if not supported(nlp):
        return list(nlp.pipe(texts, batch_size=batch_size))
    ner = nlp.get_pipe("ner")
    docs = [nlp.make_doc(text) for text in texts]
    by_length = sorted(docs, key=len)
    for start in range(0, len(by_length), batch_size):
        batch = by_length[start : start + batch_size]
        ner.set_annotations(batch, _decode(ner, batch))
    return docs
