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
sums, bias and maxout; the output layer: the same BLIS ``sgemm``, then its bias). The
transition system itself (which actions are valid, the best valid one, the state update) is
done on arrays for the whole step (:func:`_decode`): spaCy's ``c_transition_batch`` cost
~10 µs per token even with the GIL held (the same profiling hooks, 74 validity checks per
token), ~12 % of the detector's CPU on tweets. So the scores are bit for bit the ones the C
loop computes, and so are the entities (``tests/test_pii.py`` checks it on generated
captions, probes, odd texts and the labelled sets; 31,420 real posts were compared too).

Only for a pipeline that is exactly one greedy BILUO ``ner`` with a maxout hidden layer on the
three NER context tokens and an output layer (:func:`supported`, which the installed model
is); anything else goes through ``nlp.pipe``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

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
    if type(ner.moves).__name__ != "BiluoPushDown":  # the moves _decode reproduces
        return False
    model = ner.model
    return (
        model._func is parser_model_forward  # noqa: SLF001 - the step model built below
        and model.attrs.get("has_upper") is True
        and not model.attrs.get("unseen_classes")  # no score masking to reproduce
        and model.get_ref("lower").get_dim("nP") >= 2  # maxout, as _parseC computes it
        and model.get_ref("lower").get_dim("nF") == 3  # the NER context tokens of _decode
        and not ner.postprocesses
    )


#: Move codes of the BILUO transition system (``ner.pyx``), and "never valid" (``U-`` with
#: no label, which only marks a preset blocked span).
_BEGIN, _IN, _LAST, _UNIT, _OUT, _NEVER = range(6)


def _actions(ner: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each action's move code and label hash, in the model's output order."""
    codes, labels = [], []
    strings = ner.vocab.strings
    for i in range(ner.moves.n_moves):
        move, _, label = ner.moves.get_class_name(i).partition("-")
        code = {"B": _BEGIN, "I": _IN, "L": _LAST, "U": _UNIT, "O": _OUT}.get(move, _NEVER)
        if code != _OUT and not label:
            code = _NEVER
        codes.append(code)
        labels.append(strings[label] if label else 0)
    return np.asarray(codes), np.asarray(labels, dtype=np.uint64)


def _token_flags(docs: list[Any], lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The batch's tokens, concatenated: whitespace tokens, and tokens whose *next* token
    starts a sentence (a doc's last token has none: spaCy's empty token)."""
    from spacy.attrs import IS_SPACE, SENT_START

    arrays = [doc.to_array([IS_SPACE, SENT_START]) for doc in docs if len(doc)]
    flags = np.concatenate(arrays)
    starts = flags[:, 1].astype(np.int64) == 1
    next_starts = np.zeros_like(starts)
    next_starts[:-1] = starts[1:]
    next_starts[np.cumsum(lengths[lengths > 0]) - 1] = False
    return flags[:, 0] == 1, next_starts


def _decode(ner: Any, docs: list[Any], actions: tuple[np.ndarray, np.ndarray]) -> list[Any]:
    """``Parser.predict`` + ``set_annotations`` for a greedy BILUO parser, vectorised.

    Every unfinished state takes one token per step (each BILUO move consumes one), so all
    states of a batch stand on the same token index and the transition system reduces to
    arrays: per state, whether an entity is open, its label and start. The step's states
    are the unfinished ones in batch order, as ``greedy_parse`` keeps them, so the hidden
    layer and output layer see the same rows and compute the same scores. Validity is
    ``ner.pyx``'s ``is_valid`` for docs without preset entities (fresh from the tokenizer):
    with no entity open, ``B-x`` unless the token is the last, whitespace or followed by a
    sentence start, ``U-x`` unless whitespace, ``O``; with one open, ``I-x`` of its label
    unless last or followed by a sentence start, ``L-x`` of its label. The best valid action
    is the first highest score (``arg_max_if_valid``).

    Returns the entities per doc as ``(start, end, label hash)`` token spans.
    """
    import blis.py

    codes, labels = actions
    lengths = np.asarray([len(doc) for doc in docs])
    found: list[list[tuple[int, int, int]]] = [[] for _ in docs]
    if not lengths.any():
        return found
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    space, next_starts = _token_flags(docs, lengths)
    step_model = ner.model.predict(docs)  # tok2vec and the precomputed hidden layer
    weights = step_model.vec2scores.get_param("W")
    bias = step_model.vec2scores.get_param("b")
    is_begin, is_in, is_last = codes == _BEGIN, codes == _IN, codes == _LAST
    is_unit, is_out = codes == _UNIT, codes == _OUT
    is_open = np.zeros(len(docs), dtype=bool)
    open_label = np.zeros(len(docs), dtype=np.uint64)
    ent_start = np.zeros(len(docs), dtype=np.int64)
    for k in range(int(lengths.max())):
        rows = np.flatnonzero(lengths > k)
        pos = offsets[rows] + k
        opened = is_open[rows]
        ids = np.full((len(rows), 3), -1, dtype=np.intc)
        ids[:, 0] = pos
        ids[opened, 1] = offsets[rows][opened] + ent_start[rows][opened]
        ids[opened, 2] = pos[opened] - 1
        hidden = step_model.state2vec.predict(ids)
        scores = blis.py.gemm(hidden, weights, trans2=True, beta=0.0)
        scores += bias
        not_last = (lengths[rows] > k + 1)[:, None]
        blank, starts_next = space[pos][:, None], next_starts[pos][:, None]
        same_label = labels[None, :] == open_label[rows][:, None]
        valid = np.where(
            opened[:, None],
            (is_in & same_label & not_last & ~starts_next) | (is_last & same_label),
            (is_begin & not_last & ~blank & ~starts_next) | (is_unit & ~blank) | is_out,
        )
        best = np.where(valid, scores, -np.inf).argmax(axis=1)
        # a row with NaN or ±inf: argmax would not be spaCy's choice there
        for row in np.flatnonzero(~np.isfinite(scores).all(axis=1)):
            best[row] = _arg_max_if_valid(scores[row], valid[row])
        moves, chosen = codes[best], labels[best]
        for i in np.flatnonzero(moves == _UNIT):
            found[rows[i]].append((k, k + 1, int(chosen[i])))
        for i in np.flatnonzero(moves == _LAST):
            doc = rows[i]
            found[doc].append((int(ent_start[doc]), k + 1, int(open_label[doc])))
        begun = rows[moves == _BEGIN]
        is_open[begun], open_label[begun], ent_start[begun] = True, chosen[moves == _BEGIN], k
        is_open[rows[moves == _LAST]] = False
    step_model.clear_memory()
    return found


def _arg_max_if_valid(scores: np.ndarray, valid: np.ndarray) -> int:
    """spaCy's ``arg_max_if_valid``: the first valid action, replaced only by a later valid
    one with a greater score (so NaN and -inf scores are handled as spaCy handles them)."""
    best = -1
    for i in np.flatnonzero(valid):
        if best == -1 or scores[i] > scores[best]:
            best = int(i)
    return best


def _set_entities(docs: list[Any], found: list[list[tuple[int, int, int]]]) -> None:
    """``BiluoPushDown.set_annotations`` for fresh docs: the spans, every other token O."""
    from spacy.tokens import Span

    for doc, spans in zip(docs, found, strict=True):
        doc.set_ents([Span(doc, s, e, label=label) for s, e, label in spans], default="outside")


def pipe(nlp: Any, texts: Iterable[str], batch_size: int = BATCH_SIZE) -> list[Any]:
    """``list(nlp.pipe(texts, batch_size=batch_size))``, for less CPU where supported."""
    if not supported(nlp):
        return list(nlp.pipe(texts, batch_size=batch_size))
    ner = nlp.get_pipe("ner")
    docs = [nlp.make_doc(text) for text in texts]
    actions = _actions(ner)
    sub = max(batch_size // 4, 2)
    for start in range(0, len(docs), batch_size):
        by_length = sorted(docs[start : start + batch_size], key=len)
        for i in range(0, len(by_length), sub):
            batch = by_length[i : i + sub]
            _set_entities(batch, _decode(ner, batch, actions))
    return docs
