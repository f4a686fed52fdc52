"""The pii detector: custom recognizers (table-driven), the real model, the prefilter."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from _pii_engine import pii_detector

from audit.detectors.base import Content
from audit.detectors.pii.detector import DEFAULT_ENTITIES, PiiDetector, prefilter
from audit.detectors.pii.recognizers import SOCIAL_HANDLE_REGEX, STREET_ADDRESS_REGEX

LABELLED = Path(__file__).resolve().parents[2] / "shared/realdata/pii_labelled"
FLAGS = re.IGNORECASE | re.MULTILINE | re.DOTALL  # presidio's global regex flags


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I live at 42 Elm Street Apt. 3", "42 Elm Street Apt. 3"),
        ("ship to 1030 Oak Avenue, Tucson", "1030 Oak Avenue"),
        ("meet at 7 N. Main St.", "7 N. Main St."),
        ("10 miles down the road", None),
        ("2 cups of the road salt", None),
        ("we won 3 games in a row", None),
    ],
)
def test_street_address_pattern(text: str, expected: str | None) -> None:
    match = re.search(STREET_ADDRESS_REGEX, text, FLAGS)
    assert (match.group(0) if match else None) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("follow @cool_kid on insta", "@cool_kid"),
        ("ping @alice@mastodon.social", "@alice@mastodon.social"),
        ("bsky: @bob.bsky.social.", "@bob.bsky.social"),
        ("mail bob@example.com", None),
        ("price @ 5", None),
    ],
)
def test_social_handle_pattern(text: str, expected: str | None) -> None:
    match = re.search(SOCIAL_HANDLE_REGEX, text, FLAGS)
    assert (match.group(0) if match else None) == expected


# Real model: (text, entity type, expected span text)
CASES = [
    ("Call me at 212-555-1234 tonight", "PHONE_NUMBER", "212-555-1234"),
    ("write to john.smith@example.com", "EMAIL_ADDRESS", "john.smith@example.com"),
    ("I'm John Smith, visiting Boston", "PERSON", "John Smith"),
    ("I'm John Smith, visiting Boston", "LOCATION", "Boston"),
    ("a couple of years ago in paris with sarah", "PERSON", "sarah"),
    ("born 3/4/2009, obviously", "DATE_TIME", "3/4/2009"),
    ("card 4111 1111 1111 1111 pls", "CREDIT_CARD", "4111 1111 1111 1111"),
    ("iban GB82 WEST 1234 5698 7654 32", "IBAN_CODE", "GB82 WEST 1234 5698 7654 32"),
    ("my SSN is 536-22-8726", "US_SSN", "536-22-8726"),
    ("server 192.0.2.10 is down", "IP_ADDRESS", "192.0.2.10"),
    ("see https://example.org/x now", "URL", "https://example.org/x"),
    ("follow @cool_kid", "SOCIAL_HANDLE", "@cool_kid"),
    ("I live at 42 Elm Street Apt. 3", "STREET_ADDRESS", "42 Elm Street Apt. 3"),
]


@pytest.mark.parametrize(("text", "entity", "span"), CASES)
def test_real_model_finds(text: str, entity: str, span: str) -> None:
    (result,) = pii_detector().detect_batch([Content("h", text=text)])
    assert result.error is None
    found = {(f.entity_type, text[f.start : f.end]) for f in result.findings}  # type: ignore[misc]
    assert (entity, span) in found
    assert all(f.recognizer for f in result.findings)


@pytest.mark.parametrize(
    "text",
    [
        "I have been coding for 8+ years",  # duration, not a date
        "she is 46 years old",  # age, not a date
        "lol best day ever 🎉",
        "mail goes to 42 Elm Street",  # "42" is not a DATE_TIME
    ],
)
def test_no_date_time_false_positives(text: str) -> None:
    (result,) = pii_detector().detect_batch([Content("h", text=text)])
    assert "DATE_TIME" not in {f.entity_type for f in result.findings}


def test_url_inside_email_is_not_reported() -> None:
    (result,) = pii_detector().detect_batch([Content("h", text="john.smith@example.com")])
    assert [f.entity_type for f in result.findings] == ["EMAIL_ADDRESS"]


def test_prefilter_triggers() -> None:
    assert prefilter.possible_entities("🎉🎉 !!", DEFAULT_ENTITIES) == []
    possible = prefilter.possible_entities("hello there", DEFAULT_ENTITIES)
    assert possible == ["PERSON", "LOCATION"]
    assert "EMAIL_ADDRESS" in prefilter.possible_entities("a@b.co", DEFAULT_ENTITIES)
    assert "EMAIL_ADDRESS" not in prefilter.possible_entities("a@b", DEFAULT_ENTITIES)


def _assert_prefilter_lossless(texts: list[str]) -> None:
    with_filter = pii_detector().analyze_texts(texts)
    without = PiiDetector(prefilter=False)
    without._analyzer = pii_detector()._analyzer  # same model, prefilter off
    plain = without.analyze_texts(texts)
    key = [[(r.entity_type, r.start, r.end, r.score) for r in rs] for rs in with_filter]
    assert key == [[(r.entity_type, r.start, r.end, r.score) for r in rs] for rs in plain]


def test_prefilter_changes_nothing_on_generated_captions() -> None:
    from audit.synth.corpus import labelled_captions

    _assert_prefilter_lossless([c.text for c in labelled_captions(300, seed=3)] + ["🎉", ""])


@pytest.mark.skipif(not LABELLED.exists(), reason="../shared/realdata absent")
def test_prefilter_changes_nothing_on_real_labelled_text() -> None:
    records = json.loads(
        (LABELLED / "presidio-research_synth_dataset_v2.json").read_text(encoding="utf-8")
    )
    _assert_prefilter_lossless([r["full_text"] for r in records[:400]])


def test_odd_text_does_not_fail_the_batch() -> None:
    batch = [
        Content("a", text=""),
        Content("b", text="\x00\ufffd" * 50),
        Content("c", text="Hi Bob"),
    ]
    results = pii_detector().detect_batch(batch)
    assert [r.sha256 for r in results] == ["a", "b", "c"]
    assert all(r.error is None for r in results)


@pytest.mark.parametrize(
    ("with_context", "without"),
    [
        ("my phone number is 212-555-1234", "it was 212-555-1234"),
        ("follow @cool_kid", "so @cool_kid said"),
    ],
)
def test_context_words_still_raise_the_score(with_context: str, without: str) -> None:
    """Lemmas/keywords are built lazily now; presidio's context enhancer must still see them."""
    (boosted,), (plain,) = pii_detector().analyze_texts([with_context, without])
    assert boosted.score > plain.score


def test_phone_needs_four_digits_in_phonenumbers_metadata() -> None:
    """MIN_DIGITS["PHONE_NUMBER"] is the shortest valid national number in any region."""
    from phonenumbers import PhoneMetadata
    from phonenumbers.phonenumberutil import (
        COUNTRY_CODES_FOR_NON_GEO_REGIONS,
        SUPPORTED_REGIONS,
    )

    metadata = [PhoneMetadata.metadata_for_region(r) for r in SUPPORTED_REGIONS] + [
        PhoneMetadata.metadata_for_nongeo_region(c) for c in COUNTRY_CODES_FOR_NON_GEO_REGIONS
    ]
    lengths = [
        length
        for md in metadata
        for desc in vars(md).values()
        if hasattr(desc, "national_number_pattern") and desc.national_number_pattern
        for length in (desc.possible_length or ())
        if length > 0
    ]
    assert min(lengths) >= prefilter.MIN_DIGITS["PHONE_NUMBER"]


def test_phone_recognizer_finds_nothing_below_four_digits() -> None:
    """Brute force: presidio's PhoneRecognizer on every 1-3 digit string, in three settings."""
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    recognizer = PhoneRecognizer()
    shortest = prefilter.MIN_DIGITS["PHONE_NUMBER"]
    found = [
        text
        for n in range(1, shortest)
        for i in range(10**n)
        for text in (f"call {i:0{n}d} now", f"tel: +{i:0{n}d}", f"({i:0{n}d})")
        if recognizer.analyze(text, ["PHONE_NUMBER"])
    ]
    assert found == []
    assert recognizer.analyze("call 1640 now", ["PHONE_NUMBER"])  # 4 digits can match


def test_min_digits_rows_were_derived_from_these_presidio_patterns() -> None:
    """CREDIT_CARD needs 13 digits and US_SSN 9 in these exact patterns; re-derive if they change."""
    from presidio_analyzer.predefined_recognizers import CreditCardRecognizer, UsSsnRecognizer

    assert [p.regex for p in CreditCardRecognizer.PATTERNS] == [
        r"\b(?!1\d{12}(?!\d))((4\d{3})|(5[0-5]\d{2})|(6\d{3})|(1\d{3})|(3\d{3}))[- ]?(\d{3,4})[- ]?(\d{3,4})[- ]?(\d{3,5})\b"  # noqa: E501
    ]
    assert [p.regex for p in UsSsnRecognizer.PATTERNS] == [
        r"\b([0-9]{5})-([0-9]{4})\b",
        r"\b([0-9]{3})-([0-9]{6})\b",
        r"\b(([0-9]{3})-([0-9]{2})-([0-9]{4}))\b",
        r"\b[0-9]{9}\b",
        r"\b([0-9]{3})[- .]([0-9]{2})[- .]([0-9]{4})\b",
    ]
    assert prefilter.MIN_DIGITS == {"PHONE_NUMBER": 4, "CREDIT_CARD": 13, "US_SSN": 9}
    twelve = prefilter.possible_entities("card 4111 1111 1111", DEFAULT_ENTITIES)
    assert "US_SSN" in twelve and "CREDIT_CARD" not in twelve
    three = prefilter.possible_entities("3 kids, 2 dogs, 1 cat", DEFAULT_ENTITIES)
    assert "DATE_TIME" in three and "PHONE_NUMBER" not in three


@pytest.mark.parametrize("shift", [-30, -5, 0, 7, 200])
def test_long_text_windows_find_an_entity_across_a_window_edge_once(shift: int) -> None:
    from audit.detectors.pii.detector import WINDOW_CHARS

    email = "jane.doe@example.org"
    at = WINDOW_CHARS + shift  # near where the first window ends
    text = ("word " * (WINDOW_CHARS // 2))[:at] + " " + email + " " + "more text " * 3000
    (result,) = pii_detector().detect_batch([Content("long", text=text)])
    emails = [f for f in result.findings if f.entity_type == "EMAIL_ADDRESS"]
    assert [text[f.start : f.end] for f in emails] == [email]


def test_windows_cover_the_text_at_word_boundaries() -> None:
    from audit.detectors.pii.detector import WINDOW_CHARS, windows

    text = "alpha beta gamma " * (3 * WINDOW_CHARS // 17)
    pieces = windows(text)
    assert len(pieces) > 2
    assert all(text[o : o + len(c)] == c for o, c in pieces)
    assert pieces[0][0] == 0 and pieces[-1][0] + len(pieces[-1][1]) == len(text)
    for (o1, c1), (o2, _) in zip(pieces, pieces[1:], strict=False):
        assert o2 < o1 + len(c1)  # overlap: nothing between two windows is skipped
        assert text[o2 - 1] == " "  # each window starts at a word


def test_ner_does_not_listen_to_the_shared_tok2vec() -> None:
    """Why SPACY_KEEP can drop ``tok2vec``: the installed model's ner embeds its own."""
    import spacy
    from spacy.pipeline.tok2vec import Tok2VecListener

    from audit.detectors.pii.detector import MODEL_NAME, SPACY_KEEP

    full = spacy.load(MODEL_NAME)
    layers = list(full.get_pipe("ner").model.walk())
    assert not any(isinstance(layer, Tok2VecListener) for layer in layers)
    assert any(layer.name.startswith("hashembed") for layer in layers)  # its own embedding
    assert "tok2vec" not in SPACY_KEEP


def test_dropping_tok2vec_changes_no_entity() -> None:
    """The same model with and without the shared tok2vec: identical entities."""
    import spacy

    from audit.detectors.pii.detector import MODEL_NAME, load_spacy_model
    from audit.synth.corpus import labelled_captions

    texts = [c.text for c in labelled_captions(300, seed=11)] + ["Call Maria Lopez in Denver."]
    with_tok2vec = spacy.load(MODEL_NAME, exclude=["tagger", "parser", "senter",
                                                   "attribute_ruler", "lemmatizer"])  # fmt: skip
    assert with_tok2vec.pipe_names == ["tok2vec", "ner"]
    ours = load_spacy_model()
    assert ours.pipe_names == ["ner"]

    def ents(nlp: object, batch: list[str]) -> list[list[tuple[int, int, str]]]:
        return [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in nlp.pipe(batch)]

    got = ents(ours, texts)
    assert got == ents(with_tok2vec, texts)
    assert sum(map(len, got)) > 100  # the comparison saw real entities


# Pieces that spell TLDs ("co", "com", "org"), digits, the separators the patterns use, and
# Unicode that case-folds onto ASCII (Kelvin sign, long s, dotted I) or is a mark.
_TRIGGER_PIECES = ["a", "co", "com", "org", "Z", "1", "0", "255", ".", "-", "@", ":", " ", "/",
                   "_", "\u212a", "\u017f", "\u0130", "\u0301", "é", "\u00a0", "www"]  # fmt: skip


def _trigger_texts():  # type: ignore[no-untyped-def]
    """Texts shaped like `<x>@<y>.<z>` / `<x>.<y>:<z>` with random pieces (hits every type)."""
    from hypothesis import strategies as st

    part = st.lists(st.sampled_from(_TRIGGER_PIECES), max_size=4).map("".join)
    return st.tuples(
        part, st.sampled_from(["@", ".", ""]), part, st.sampled_from([".", ":", ""]), part
    ).map("".join)


@pytest.mark.parametrize(
    ("entity", "text", "expected"),
    [
        ("URL", "see example.com now", True),
        ("URL", "Great day. Next time!", False),  # a sentence end is not a host
        ("URL", "version 3.5 released", False),
        ("IP_ADDRESS", "host 10.0.0.1", True),
        ("IP_ADDRESS", "::1", True),
        ("IP_ADDRESS", "I have 3 cats. 4 dogs", False),
        ("EMAIL_ADDRESS", "mail bo@x.org", True),
        ("EMAIL_ADDRESS", "thanks @maria. see you", False),
    ],
)
def test_tight_triggers(entity: str, text: str, expected: bool) -> None:
    assert bool(prefilter.TRIGGERS[entity].search(text)) is expected


@pytest.mark.parametrize("entity", ["URL", "IP_ADDRESS", "EMAIL_ADDRESS"])
def test_trigger_is_necessary_for_presidio_pattern(entity: str) -> None:
    """Whenever presidio's own recognizer (its regex flags, its Unicode rules) matches a
    text, the prefilter's trigger matches it too: on generated strings built from the
    characters that matter (ASCII, Kelvin sign, long s, dotted I, a combining mark)."""
    from hypothesis import given, settings

    (recognizer,) = [
        r for r in pii_detector()._analyzer.registry.recognizers if entity in r.supported_entities
    ]
    trigger = prefilter.TRIGGERS[entity]

    matched = []

    @settings(max_examples=3000, deadline=None, derandomize=True)
    @given(_trigger_texts())
    def check(text: str) -> None:
        if recognizer.analyze(text, [entity], None):
            matched.append(text)
            assert trigger.search(text), text

    check()
    assert len(matched) >= 10  # the recognizer did match: the implication was exercised


_PHONE_PIECES = ["+", "1", "44", "49", "91", "972", "55", "0", "00", "011", "20", "7946", "0958",
                 "555", "212", "(", ")", "-", " ", ".", "/", "x", "ext", "call", "a"]  # fmt: skip


def test_phone_regions_find_what_the_stock_recognizer_finds() -> None:
    """Dropping the UK / FE / CA regions changes no span: random phone-like strings (with
    and without country codes and international prefixes), captions and real text."""
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    from audit.detectors.pii.detector import PHONE_REGIONS
    from audit.synth.corpus import labelled_captions

    stock, ours = PhoneRecognizer(), PhoneRecognizer(supported_regions=PHONE_REGIONS)
    assert set(PHONE_REGIONS) < set(stock.supported_regions)

    def spans(recognizer: PhoneRecognizer, text: str) -> list[tuple[int, int, float]]:
        return sorted((r.start, r.end, r.score) for r in recognizer.analyze(text, ["PHONE_NUMBER"]))

    found = []

    @settings(max_examples=1500, deadline=None, derandomize=True)
    @given(st.lists(st.sampled_from(_PHONE_PIECES), max_size=16).map("".join))
    def check(text: str) -> None:
        expected = spans(stock, text)
        assert spans(ours, text) == expected, text
        found.extend(expected)

    check()
    texts = [c.text for c in labelled_captions(400, seed=5)]
    if LABELLED.exists():
        records = json.loads(
            (LABELLED / "presidio-research_synth_dataset_v2.json").read_text(encoding="utf-8")
        )
        texts += [r["full_text"] for r in records]
    for text in texts:
        expected = spans(stock, text)
        assert spans(ours, text) == expected, text
        found.extend(expected)
    assert len(found) > 50  # phones were found: the comparison was not vacuous
