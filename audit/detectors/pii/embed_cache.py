"""The NER's token embeddings remembered per token form, instead of recomputed per occurrence.

The first part of the NER's tok2vec (spaCy's ``MultiHashEmbed``: the token's NORM, PREFIX,
SUFFIX and SHAPE hashed into four tables, concatenated, then a maxout layer with layer norm)
looks at one token alone: its output is a function of those four attribute values. Only the
CNN after it mixes neighbours. Text repeats its tokens (on presidio-research 26,342 tokens
hold 4,845 distinct forms; "the", "at", "." come back in every text), so each form's
96 numbers are computed once, kept, and copied for every later occurrence. That layer was
about a quarter of the tok2vec's matrix products.

Same values: the maxout's matrix product gives each row the same bits whatever the other
rows are, as long as the product has at least :data:`MIN_ROWS` rows (numpy's BLAS takes other
kernels below 5 rows; measured, and ``tests/test_pii_embed_cache.py`` checks it), so forms
are always computed in products of at least that many rows. It is a property of the BLAS, so
:func:`install` checks it on the machine (at setup) and leaves spaCy's layer in place where it
does not hold. A batch's own product has one row per token
of the batch, so a model batch of fewer than 5 tokens in all is the one case where
spaCy's own numbers differ from these (in the last bits); the cached ones are those of the
usual batch.

The memory is bounded: at most :data:`CAPACITY` forms (~35 MB with their keys and index); when
full it starts over. The keys are attribute hashes (values, not vocabulary entries), so the
vocabulary's memory zones (``vocab_memory.py``) do not touch them. Inference only: the
layer refuses to train.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import numpy as np

#: Forms kept before the memory starts over (each: 96 float32 and 4 uint64 keys).
CAPACITY: Final = 65_536
#: Fewest rows a product is computed with (see the module docstring).
MIN_ROWS: Final = 8
#: Odd 64-bit multipliers folding a form's four attribute hashes into one dictionary key; a
#: hit is checked against the four hashes themselves, so a clash costs a recomputation only.
_FOLD: Final = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5],
    dtype=np.uint64,
)
#: spaCy's MultiHashEmbed without static vectors: its layers' thinc names, in order (a
#: pattern ending in "*" is a name prefix): attribute columns, hashed tables, maxout mix.
_EMBED_LAYERS: Final = (
    "extract_features",
    "list2ragged",
    "with_array(ints-getitem>>hashembed*",
    "with_array(maxout>>layernorm*",
    "ragged2list",
)
#: The thinc name of the layer :func:`cached_embed` makes.
LAYER_NAME: Final = "cached_embed"


class FormMemory:
    """Embedding rows by form: a dict from folded key to row, the rows, their full keys."""

    def __init__(self, width: int, columns: int, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self.rows: dict[int, int] = {}
        self.vectors = np.empty((capacity, width), dtype=np.float32)
        self.keys = np.empty((capacity, columns), dtype=np.uint64)
        self.size = 0

    def find(self, keys: np.ndarray, folded: np.ndarray) -> np.ndarray:
        """Row of each key in the memory, or -1."""
        get = self.rows.get
        rows = np.fromiter((get(k, -1) for k in folded.tolist()), np.int64, len(folded))
        hit = np.flatnonzero(rows >= 0)
        if hit.size:
            clash = ~(self.keys[rows[hit]] == keys[hit]).all(axis=1)
            rows[hit[clash]] = -1
        return rows

    def clear(self) -> None:
        """Forget every form."""
        self.rows.clear()
        self.size = 0

    def add(self, keys: np.ndarray, folded: np.ndarray, vectors: np.ndarray) -> None:
        """Remember distinct forms (``folded`` distinct, not in the memory)."""
        if self.size + len(keys) > self.capacity:
            self.clear()
        if len(keys) > self.capacity:
            return
        new = np.arange(self.size, self.size + len(keys))
        self.vectors[new] = vectors
        self.keys[new] = keys
        self.rows.update(zip(folded.tolist(), new.tolist(), strict=True))
        self.size += len(keys)


def fold(keys: np.ndarray) -> np.ndarray:
    """One uint64 per row of attribute hashes (wrapping multiply-add)."""
    with np.errstate(over="ignore"):
        return (keys * _FOLD[: keys.shape[1]]).sum(axis=1, dtype=np.uint64)


def supported(embed: Any) -> bool:
    """Whether ``embed`` is spaCy's MultiHashEmbed without static vectors (on at most as many
    attribute columns as :func:`fold` folds)."""
    names = [layer.name for layer in embed.layers]
    return (
        len(names) == len(_EMBED_LAYERS)
        and all(
            name == pattern or (pattern.endswith("*") and name.startswith(pattern[:-1]))
            for name, pattern in zip(names, _EMBED_LAYERS, strict=True)
        )
        and 0 < len(embed.layers[0].attrs["columns"]) <= len(_FOLD)
    )


def cached_embed(embed: Any, capacity: int = CAPACITY) -> Any:
    """A thinc layer with ``embed``'s outputs, remembering each form's row (see module doc)."""
    from thinc.api import Model

    width = embed.get_dim("nO")
    memory = FormMemory(width, len(embed.layers[0].attrs["columns"]), capacity)
    return Model(LAYER_NAME, _forward, layers=[embed], dims={"nO": width}, attrs={"memory": memory})


def _compute(embed: Any, keys: np.ndarray) -> np.ndarray:
    """``embed``'s rows for these attribute keys, in a product of at least MIN_ROWS rows."""
    _, _, hashed, mixed, _ = embed.layers
    padded = keys
    if len(keys) < MIN_ROWS:  # never a small product: other kernels, other last bits
        padded = np.concatenate([keys, np.repeat(keys[:1], MIN_ROWS - len(keys), axis=0)])
    return mixed.predict(hashed.predict(padded))[: len(keys)]


def _forward(model: Any, docs: list[Any], is_train: bool) -> tuple[list[Any], Callable]:
    # Module-level (not a closure), so the model still pickles and copies: everything it
    # needs is the wrapped layer and the memory in the model's attrs.
    if is_train:
        raise NotImplementedError("the cached embedding runs models; it cannot train them")
    embed, memory = model.layers[0], model.attrs["memory"]
    columns = embed.layers[0].attrs["columns"]
    width = model.get_dim("nO")
    per_doc = [doc.to_array(columns).reshape(len(doc), len(columns)) for doc in docs]
    keys = np.concatenate(per_doc).astype(np.uint64, copy=False) if per_doc else None
    if keys is None or not len(keys):
        return [np.zeros((len(doc), width), dtype=np.float32) for doc in docs], _no_backprop
    folded = fold(keys)
    rows = memory.find(keys, folded)
    out = np.empty((len(keys), width), dtype=np.float32)
    found = np.flatnonzero(rows >= 0)
    out[found] = memory.vectors[rows[found]]  # before add(), which may start over
    missing = np.flatnonzero(rows < 0)
    if missing.size:
        distinct, first, inverse = np.unique(
            folded[missing], return_index=True, return_inverse=True
        )
        forms = keys[missing[first]]
        if (keys[missing] == forms[inverse]).all():
            vectors = _compute(embed, forms)
            out[missing] = vectors[inverse]
            memory.add(forms, distinct, vectors)
        else:  # two forms folded alike in one batch: compute each token as it is
            out[missing] = _compute(embed, keys[missing])
    return np.split(out, np.cumsum([len(d) for d in docs])[:-1]), _no_backprop


def _no_backprop(d_output: Any) -> list[Any]:
    raise NotImplementedError("the cached embedding cannot train")


def _embed_encode(nlp: Any) -> Any:
    """The ``ner`` tok2vec's first layer (embedding, then CNN), or None."""
    if "ner" not in nlp.pipe_names:
        return None
    tok2vec = nlp.get_pipe("ner").model.get_ref("tok2vec")
    first = tok2vec.layers[0] if tok2vec.layers else None
    return first if first is not None and first.layers else None


def forget(nlp: Any) -> None:
    """Empty the form memory of ``nlp``'s NER (benchmarks: each round starts cold)."""
    embed_encode = _embed_encode(nlp)
    if embed_encode is not None and embed_encode.layers[0].name == LAYER_NAME:
        embed_encode.layers[0].attrs["memory"].clear()


def rows_independent(compute: Callable[[np.ndarray], np.ndarray], columns: int) -> bool:
    """Whether ``compute`` gives each row the same bits in a product of 256 rows and in
    products of MIN_ROWS to 40 of them (what the memory rests on; it depends on the BLAS)."""
    keys = np.random.default_rng(0).integers(0, 2**63, size=(256, columns), dtype=np.uint64)
    whole = compute(keys)
    return all(
        np.array_equal(compute(np.ascontiguousarray(keys[:rows])), whole[:rows])
        for rows in range(MIN_ROWS, 41)
    )


def install(nlp: Any) -> bool:
    """Put :func:`cached_embed` in front of the ``ner`` tok2vec's CNN; whether it could.

    Not where this machine's BLAS gives a row other bits in a product of other rows (checked
    here, ~20 ms): there the memory's numbers would not be spaCy's.
    """
    embed_encode = _embed_encode(nlp)
    if embed_encode is None or not supported(embed_encode.layers[0]):
        return False
    embed = embed_encode.layers[0]
    _, _, hashed, mixed, _ = embed.layers
    columns = len(embed.layers[0].attrs["columns"])
    if not rows_independent(lambda keys: mixed.predict(hashed.predict(keys)), columns):
        return False
    embed_encode.layers[0] = cached_embed(embed)
    return True
