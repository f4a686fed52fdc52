"""spaCy's entity recognizer on a batch of texts, with its greedy decoding loop holding the GIL.

Same docs and entities as ``nlp.pipe``, 1.5-2× the texts per CPU-second (docs/DETECTORS.md).

Why: spaCy's wheels for Python < 3.12 are built with Cython's profiling hooks, and the inline
state accessors of the transition system (``StateC.B_``, …) keep them: each call asks for the
GIL (``PyGILState_Ensure``). They are called many times per state and step (the validity of
each of the model's 74 actions is checked at every step, one step per token), and
``Parser.greedy_parse`` runs that loop without the GIL (``with nogil: _parseC(...)``), so
each call takes and drops it: ``perf`` puts take_gil, drop_gil and pthread mutexes at about a
third of ``nlp.pipe``'s CPU.

:func:`pipe` is ``nlp.pipe`` (spaCy's ``Parser.pipe``: the same batches, sorted by length the
same way) with ``greedy_parse``'s loop driven from Python, as spaCy's own training path does
it (``Parser.update``): each step computes the unfinished states' scores with the same
functions and the same BLIS calls as ``_parseC`` (``precompute_hiddens``: the same C feature
sums, bias and maxout; the output layer: the same BLIS ``sgemm``, then its bias), and
``Parser.transition_states`` applies the best valid action (the same C code,
``c_transition_batch``) with the GIL held. So the scores are bit for bit the ones the C loop
computes, and so are the entities (``tests/test_pii.py`` also checks this on generated
captions, probes and labelled texts).

Only for a pipeline that is exactly one greedy ``ner`` with a maxout hidden layer and an
output layer (:func:`supported`, which the installed model is); anything else goes through
``nlp.pipe``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: Texts per batch, as ``nlp.pipe``'s ``batch_size``: sorted by length within a batch, and
#: decoded in sub-batches of a quarter of it.
BATCH_SIZE = 256


def supported(nlp: Any) -> bool:
    """Whether :func:`pipe` may replace ``nlp.pipe`` for this pipeline."""
    from spacy.ml.tb_framework import forward as parser_model_forward
    from spacy.pipeline import EntityRecognizer

    if nlp.pipe_names != ["ner"]:
        return False
    ner = nlp.get_pipe("ner")
    if type(ner) is not EntityRecognizer or ner.cfg.get("beam_width", 1) != 1:
        return False
    model = ner.model
    return (
        model._func is parser_model_forward  # noqa: SLF001 - the step model built below
        and model.attrs.get("has_upper") is True
        and not model.attrs.get("unseen_classes")  # no score masking to reproduce
        and model.get_ref("lower").get_dim("nP") >= 2  # maxout, as _parseC computes it
        and not ner.postprocesses
    )


def _predict(ner: Any, docs: list[Any]) -> list[Any]:
    """``Parser.predict`` for a greedy parser: ``greedy_parse``, with the GIL held.

    ``greedy_parse`` first adds labels found on the docs' tokens; docs fresh from the
    tokenizer have none, so that pass is skipped.
    """
    import blis.py

    states = ner.moves.init_batch(docs)
    if not any(len(doc) for doc in docs):
        return states
    step_model = ner.model.predict(docs)  # tok2vec and the precomputed hidden layer
    hidden_layer = step_model.state2vec
    weights = step_model.vec2scores.get_param("W")
    bias = step_model.vec2scores.get_param("b")
    todo = [s for s in states if not s.is_final()]
    while todo:
        hidden = hidden_layer.predict(step_model.get_token_ids(todo))
        scores = blis.py.gemm(hidden, weights, trans2=True, beta=0.0)
        scores += bias
        todo = ner.transition_states(todo, scores)
    step_model.clear_memory()
    return states


def pipe(nlp: Any, texts: Iterable[str], batch_size: int = BATCH_SIZE) -> list[Any]:
    """``list(nlp.pipe(texts, batch_size=batch_size))``, for less CPU where supported."""
    if not supported(nlp):
        return list(nlp.pipe(texts, batch_size=batch_size))
    ner = nlp.get_pipe("ner")
    docs = [nlp.make_doc(text) for text in texts]
    sub = max(batch_size // 4, 2)
    for start in range(0, len(docs), batch_size):
        by_length = sorted(docs[start : start + batch_size], key=len)
        for i in range(0, len(by_length), sub):
            batch = by_length[i : i + sub]
            ner.set_annotations(batch, _predict(ner, batch))
    return docs
