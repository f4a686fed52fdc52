"""Deterministic synthetic corpus data: labelled captions and canonical-schema rows.

Used by the bundled sample builder (``tools/sample/build.py``), by ``audit synth``,
and by other modules' tests and benchmarks. Everything is seeded through a local
:class:`random.Random`; no global random state is read or changed, so the same
``(n, seed)`` always gives the same output.

Example::

    >>> from audit.synth.corpus import labelled_captions
    >>> caps = labelled_captions(100, seed=7)
    >>> all(c.text[s.start:s.end] for c in caps for s in c.spans)
    True
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable, Iterator, Sequence

from audit.labels import LabelledText, Span
from audit.schema import CANONICAL_COLUMNS
from audit.synth import templates as tpl
from audit.synth import values as val

#: Share of each caption kind among non-duplicate captions (the rest is plain).
KIND_WEIGHTS: dict[str, float] = {"pii": 0.40, "age": 0.08, "negative": 0.12, "plain": 0.40}
EXACT_DUPLICATE_RATE = 0.05
NEAR_DUPLICATE_RATE = 0.03
MIN_CAPTION_CHARS = 60

#: Canonical visibility values with their share in synthetic rows (realistic: mostly public).
VISIBILITY_WEIGHTS: dict[str, int] = {
    "public": 70,
    "unlisted": 8,
    "followers": 8,
    "private": 6,
    "direct": 3,
    "unknown": 5,
}
LICENSES: tuple[str | None, ...] = (None, None, None, "CC-BY-4.0", "CC0-1.0", "all-rights-reserved")


def _age_phrase_yo(rng: random.Random) -> str:
    age = rng.randint(4, 15)
    return rng.choice([f"{age} year old", f"{age}-year-old", f"{age}yo"])


def _age_phrase_im(rng: random.Random, age: int | None = None) -> str:
    age = age if age is not None else rng.randint(11, 16)
    return rng.choice([f"I'm {age}", f"im {age}", f"I am {age}"])


#: Slot name -> (entity type or None for unlabelled filler, value generator).
SLOTS: dict[str, tuple[str | None, Callable[[random.Random], str]]] = {
    "PERSON": ("PERSON", val.person),
    "EMAIL_ADDRESS": ("EMAIL_ADDRESS", val.email),
    "PHONE_NUMBER": ("PHONE_NUMBER", val.phone),
    "STREET_ADDRESS": ("STREET_ADDRESS", val.street_address),
    "LOCATION": ("LOCATION", val.city),
    "CREDIT_CARD": ("CREDIT_CARD", val.credit_card),
    "IBAN_CODE": ("IBAN_CODE", val.iban),
    "US_SSN": ("US_SSN", val.ssn),
    "IP_ADDRESS": ("IP_ADDRESS", val.ip_address),
    "URL": ("URL", val.url),
    "DATE_TIME": ("DATE_TIME", val.birth_date),
    "SOCIAL_HANDLE": ("SOCIAL_HANDLE", val.handle),
    "AGE_CUE_YO": ("AGE_CUE", _age_phrase_yo),
    "AGE_CUE_IM": ("SELF_AGE", _age_phrase_im),
    "AGE_CUE_GRADE": ("AGE_CUE", lambda r: r.choice(tpl.GRADES)),
    "AGE_CUE_TAG": ("AGE_CUE", lambda r: r.choice(tpl.KID_TAGS)),
    "AGE_CUE_TURN": ("AGE_CUE", lambda r: f"Turning {r.randint(10, 16)}"),
    "food": (None, lambda r: r.choice(tpl.FOODS)),
    "emoji": (None, lambda r: r.choice(tpl.EMOJI)),
    "tag": (None, lambda r: r.choice(tpl.TAGS)),
}
_SLOT_RE = re.compile(r"\{(\w+)\}")
_TEMPLATES: dict[str, tuple[str, ...]] = {
    "plain": tpl.PLAIN,
    "pii": tpl.PII,
    # Self-declared ages ("I'm 14") make the whole account a minor's, so random captions of
    # arbitrary authors never carry them: only age_reveal_caption does, for planned minors.
    "age": tuple(t for t in tpl.AGE if "{AGE_CUE_IM}" not in t),
    "negative": tpl.NEGATIVE,
}


def fill_template(
    template: str, rng: random.Random, overrides: dict[str, str] | None = None
) -> LabelledText:
    """Fill every ``{SLOT}`` of ``template``, labelling the upper-case (entity) slots.

    ``overrides`` forces the value of a slot (e.g. ``{"AGE_CUE_IM": "I'm 14"}``).
    """
    parts: list[str] = []
    spans: list[Span] = []
    pos = 0
    cursor = 0
    for match in _SLOT_RE.finditer(template):
        literal = template[cursor : match.start()]
        parts.append(literal)
        pos += len(literal)
        entity, generate = SLOTS[match.group(1)]
        value = (overrides or {}).get(match.group(1)) or generate(rng)
        if entity is not None:
            spans.append(Span(entity, pos, pos + len(value)))
        parts.append(value)
        pos += len(value)
        cursor = match.end()
    parts.append(template[cursor:])
    return LabelledText("".join(parts), spans)


def caption(rng: random.Random, kind: str) -> LabelledText:
    """One caption of ``kind`` (plain, pii, age, negative), padded to a realistic length."""
    text = fill_template(rng.choice(_TEMPLATES[kind]), rng)
    fillers = rng.sample(tpl.FILLERS, len(tpl.FILLERS))
    # Pad short captions; lengthen a third of the rest so lengths spread to ~200 chars.
    while fillers and (
        len(text.text) < MIN_CAPTION_CHARS or (len(text.text) < 130 and rng.random() < 0.35)
    ):
        text = text.with_suffix(fill_template(fillers.pop(), rng).text)
    return text


def age_reveal_caption(rng: random.Random, age: int) -> LabelledText:
    """A text-only post in which the author states their own age (``"I'm 14 ..."``)."""
    templates = [t for t in tpl.AGE if "{AGE_CUE_IM}" in t]
    phrase = rng.choice([f"I'm {age}", f"im {age}", f"I am {age}"])
    return fill_template(rng.choice(templates), rng, {"AGE_CUE_IM": phrase})


def _choose_kind(rng: random.Random) -> str:
    return rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]


def labelled_captions(n: int, seed: int) -> list[LabelledText]:
    """``n`` social-media captions with ground-truth spans, reproducible from ``seed``.

    About 40% carry PII, 8% a minor age cue, 12% are hard negatives (look-alikes that
    must not be labelled) and the rest are plain; ~5% are exact reposts of an earlier
    caption and ~3% near-duplicates (a "repost:" prefix or a trailing emoji).
    """
    rng = random.Random(seed)
    out: list[LabelledText] = []
    for _ in range(n):
        roll = rng.random()
        if out and roll < EXACT_DUPLICATE_RATE:
            out.append(rng.choice(out))
        elif out and roll < EXACT_DUPLICATE_RATE + NEAR_DUPLICATE_RATE:
            original = rng.choice(out)
            out.append(
                original.with_prefix("repost: ")
                if rng.random() < 0.5
                else original.with_suffix(" 🔁")
            )
        else:
            out.append(caption(rng, _choose_kind(rng)))
    return out


def canonical_rows(
    n: int,
    seed: int,
    *,
    image_paths: Sequence[str] = (),
    platform: str = "synthetic",
    image_rate: float = 0.1,
) -> Iterator[dict[str, object]]:
    """Yield ``n`` cheap canonical-schema rows (dicts keyed by ``CANONICAL_COLUMNS``).

    Authors post several items each (about 8 per author) and keep their birth date and
    opt-out across posts. ``author_age_at_post`` is left NULL for ingest to derive.
    Captions are drawn from a pool of ``labelled_captions`` so PII shows up realistically.
    """
    rng = random.Random(seed)
    pool = [c.text for c in labelled_captions(min(n, 2000) or 1, seed)]
    n_authors = max(1, n // 8)
    epoch = dt.datetime(2019, 1, 1)
    visibilities, vis_weights = list(VISIBILITY_WEIGHTS), list(VISIBILITY_WEIGHTS.values())
    author_cache: dict[int, tuple[dt.date | None, bool]] = {}
    for i in range(n):
        author = rng.randrange(n_authors)
        if author not in author_cache:
            arng = random.Random(f"{seed}:{author}")  # per-author facts, independent of order
            birth = (
                dt.date(1960, 1, 1) + dt.timedelta(days=arng.randrange(18000))
                if arng.random() < 0.4
                else None
            )
            author_cache[author] = (birth, arng.random() < 0.03)
        birth, opted_out = author_cache[author]
        item_id = f"{platform}-{i:09d}"
        yield {
            "item_id": item_id,
            "platform": platform,
            "author_id": f"{platform}-author-{author:07d}",
            "created_at": epoch + dt.timedelta(seconds=rng.randrange(5 * 365 * 86400)),
            "text": rng.choice(pool),
            "media_path": rng.choice(image_paths)
            if image_paths and rng.random() < image_rate
            else None,
            "url": f"https://social.example/p/{item_id}",
            "visibility": rng.choices(visibilities, weights=vis_weights)[0],
            "author_birth_date": birth,
            "author_age_at_post": None,
            "opt_out": opted_out,
            "noai": rng.random() < 0.02,
            "license": rng.choice(LICENSES),
            "deleted": rng.random() < 0.01,
        }


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_list(values: Sequence[str | None]) -> str:
    return "[" + ", ".join("NULL" if v is None else _sql_str(v) for v in values) + "]"


def synthetic_items_sql(
    n: int, seed: int, *, image_paths: Sequence[str] = (), platform: str = "synthetic"
) -> str:
    """A DuckDB ``SELECT`` producing ``n`` canonical rows from ``range(n)`` (fast for 10^7).

    Deterministic for a given DuckDB version (it uses ``hash(i, seed, salt)``); columns
    are cast to the canonical types. Use as ``CREATE TABLE items AS <sql>``. ``n`` and
    ``seed`` must be ints; strings are embedded as escaped SQL literals.
    """
    n, seed = int(n), int(seed)
    captions = sorted({c.text for c in labelled_captions(500, seed)})
    vis = [v for v, w in VISIBILITY_WEIGHTS.items() for _ in range(w)]
    n_authors = max(1, n // 8)

    def h(expr: str, salt: int) -> str:
        return f"(hash({expr}, {seed}, {salt}) % 1000000)::BIGINT"

    author = f"(hash(i, {seed}, 0) % {n_authors})::BIGINT"
    media = (
        f"CASE WHEN {h('i', 7)} < 100000 THEN {_sql_list(list(image_paths))}"
        f"[{h('i', 8)} % {len(image_paths)} + 1] END"
        if image_paths
        else "NULL"
    )
    prefix = _sql_str(platform)
    columns = {
        "item_id": f"{prefix} || '-' || lpad(i::VARCHAR, 10, '0')",
        "platform": prefix,
        "author_id": f"{prefix} || '-author-' || lpad({author}::VARCHAR, 8, '0')",
        "created_at": f"TIMESTAMP '2019-01-01' + to_seconds({h('i', 2)} * 157)",
        "text": f"{_sql_list(captions)}[{h('i', 1)} % {len(captions)} + 1]",
        "media_path": media,
        "url": f"'https://social.example/p/' || {prefix} || '-' || i::VARCHAR",
        "visibility": f"{_sql_list(vis)}[{h('i', 3)} % {len(vis)} + 1]",
        "author_birth_date": (
            f"CASE WHEN {h(author, 4)} < 400000 THEN DATE '1960-01-01' + ({h(author, 5)} % 18000)::INTEGER END"
        ),
        "author_age_at_post": "NULL",
        "opt_out": f"{h(author, 6)} < 30000",
        "noai": f"{h('i', 9)} < 20000",
        "license": f"{_sql_list(list(LICENSES))}[{h('i', 10)} % {len(LICENSES)} + 1]",
        "deleted": f"{h('i', 11)} < 10000",
    }
    select = ",\n  ".join(
        f"CAST({columns[name]} AS {duck_type}) AS {name}"
        for name, duck_type in CANONICAL_COLUMNS.items()
    )
    return f"SELECT\n  {select}\nFROM range({n}) AS t(i)"
