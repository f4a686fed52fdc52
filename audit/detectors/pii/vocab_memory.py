"""Keep a long-running worker's spaCy vocabulary from growing without bound.

spaCy adds every new token string to its vocabulary (a lexeme, its strings and a tokenizer
cache entry) and keeps it for the life of the process. On real social text a stream of
never-seen tokens (links, handles, typos, hashtags) keeps coming: measured on 31,420 real
posts (tweets, Reddit, blogs), ~1.5 new lexemes and ~2.2 new strings per text after 30,000
texts and falling only slowly. A worker that sees 10^8 posts would hold hundreds of millions
of lexemes.

So the vocabulary grows freely up to :data:`PERMANENT_LEXEMES` (the frequent words, learnt
from the first texts, stay and keep tokenisation cheap), and from then on each batch runs
inside one of spaCy's memory zones (``nlp.memory_zone()``, spaCy ≥ 3.8): what the batch adds
is freed when it ends. The entities are the same either way (a lexeme's attributes do not
depend on when it was made; ``tests/test_pii.py`` checks it); only the memory differs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

#: Lexemes kept for good before batches run in memory zones (~0.5 KB each with their
#: strings and tokenizer cache entry: ~100 MB).
PERMANENT_LEXEMES: Final = 200_000


@contextmanager
def bounded_vocab(nlp: Any) -> Iterator[None]:
    """Run the block in a memory zone once ``nlp`` has made :data:`PERMANENT_LEXEMES` lexemes.

    No Doc, Token or Span made inside may be used after the block (ints and Python strings
    taken from them may). Nested use opens no second zone (spaCy forbids nesting).
    """
    vocab = nlp.vocab
    # len(vocab) counts the lexemes ever made (spaCy 3.8 does not lower it when a zone frees
    # its own), so once past the limit every later batch runs in a zone.
    if not hasattr(nlp, "memory_zone") or len(vocab) < PERMANENT_LEXEMES or vocab.in_memory_zone:
        yield
        return
    with nlp.memory_zone():
        yield
