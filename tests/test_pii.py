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
RULES = Path(__file__).resolve().parents[1] / "rules" / "pii"
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
    # lower case: presidio's registry flags (IGNORECASE), not IbanRecognizer's own default
    ("my iban is gb42nawi04454264788619", "IBAN_CODE", "gb42nawi04454264788619"),
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
    assert "EMAIL_ADDRESS" in prefilter.possible_entities("bob AT gmail", DEFAULT_ENTITIES)
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


def test_phone_min_digits_is_the_recognizers() -> None:
    """The prefilter's PHONE_NUMBER minimum is the phone recognizer's own."""
    from audit.detectors.pii import phones

    assert prefilter.MIN_DIGITS["PHONE_NUMBER"] == phones.MIN_DIGITS
    assert phones.find_phones("call 867-229 now", "en") == []  # 6 digits: never a candidate
    assert phones.classify("867-229", "en") is None
    assert phones.classify("+1 867-229", "en") is None
    assert phones.find_phones("call 030 1234567", "de")  # 10 digits, valid in DE


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
    assert {k: prefilter.MIN_DIGITS[k] for k in ("CREDIT_CARD", "US_SSN")} == {
        "CREDIT_CARD": 13,
        "US_SSN": 9,
    }
    twelve = prefilter.possible_entities("card 4111 1111 1111", DEFAULT_ENTITIES)
    assert "US_SSN" in twelve and "CREDIT_CARD" not in twelve
    three = prefilter.possible_entities("3 kids, 2 dogs, 1 cat", DEFAULT_ENTITIES)
    assert "NATIONAL_ID" not in three and "PASSPORT" not in three
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
                   "_", "\u212a", "\u017f", "\u0130", "\u0301", "é", "\u00a0", "www", "::",
                   "fe80", "f", "ffff", "%", "g", "12", "2009", "MAR", "\u0663"]  # fmt: skip


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
        ("IP_ADDRESS", "RT @sam: look http://t.co/x", False),  # a colon without hex beside it
        ("IP_ADDRESS", "fe80::1%eth0", True),
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

    recognizers = [
        r for r in pii_detector()._analyzer.registry.recognizers if entity in r.supported_entities
    ]
    trigger = prefilter.TRIGGERS[entity]

    matched = []

    @settings(max_examples=3000, deadline=None, derandomize=True)
    @given(_trigger_texts())
    def check(text: str) -> None:
        if any(r.analyze(text, [entity], None) for r in recognizers):
            matched.append(text)
            assert trigger.search(text), text

    check()
    # The generated texts depend on hypothesis' seed; these always match.
    for text in ("mail bo@x.org now", "https://example.com/x", "host 10.0.0.1", "::1"):
        if any(r.analyze(text, [entity], None) for r in recognizers):
            matched.append(text)
            assert trigger.search(text), text
    assert len(matched) >= 4  # the recognizers did match: the implication was exercised


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("DateRecognizer", "born 3/4/2009", True),
        ("DateRecognizer", "on 04-MAR", True),
        ("DateRecognizer", "MAR-09 it was", True),
        ("DateRecognizer", "I was 14 in 2009", False),  # no date separator beside a digit
        ("IbanRecognizer", "iban gb82 west 1234", True),
        ("IbanRecognizer", "room 12, floor 3 at 10:30", False),  # no 2 letters + 2 digits
        ("CryptoWalletRecognizer", "send to 1BoatSLRHtKNngkdXEeobR76b53LETtpyT", True),
        ("CryptoWalletRecognizer", "order 123456 shipped", False),  # no 14 in a row
    ],
)
def test_recognizer_triggers(name: str, text: str, expected: bool) -> None:
    assert bool(prefilter.RECOGNIZER_TRIGGERS[name].search(text)) is expected


def test_crypto_trigger_holds_for_the_shortest_address_of_each_pattern() -> None:
    """The wallet trigger (14 letters/digits in a row) is in the shortest string each of
    crypto.py's patterns admits (checksums aside), and those are the shortest."""
    from audit.detectors.pii import crypto

    trigger = prefilter.RECOGNIZER_TRIGGERS["CryptoWalletRecognizer"]
    for pattern, shortest in (
        (crypto.LEGACY, "1" + "2" * 25),
        (crypto.SEGWIT, "bc1" + "q" * 11),
        (crypto.ETHEREUM, "0x" + "a" * 40),
    ):
        assert pattern.fullmatch(shortest) and not pattern.fullmatch(shortest[:-1])
        assert trigger.search(shortest)
    assert not trigger.search("bc1" + "q" * 10)


#: Pieces of generated texts for each gated recognizer (what its patterns are made of).
_GATE_PIECES = {
    "DateRecognizer": ["1", "3", "12", "31", "2009", "09", "-", "/", ".", " ", "MAR", "dec",
                       "T", ":", "Z", "+", "\u0663", "\u212a", "a", "\U00011f50"],
    "UrlRecognizer": ["http", "HTTPS", "http\u017f", "://", "'", '"', "www.", "example",
                      ".com", ".org", "t.co/x", " ", "-", "a", "1", "\u0130"],
    "IbanRecognizer": ["GB82WEST12345698765432", "gb82 west 1234 5698 7654 32", "GB82",
                       "DE89370400440532013000", "DE89 3704 0044 0532 0130 00", "G", "B",
                       "82", "WEST", "1234", "5698", "765432", " ", "-", "\u017f", "\u212a", "\u0131",
                       "\u0663", "x"],
    "CryptoWalletRecognizer": ["1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "1BoatSLRHtKNn",
                               "gkdXEeobR76b53LETtpyT", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                               "bc1qar0srrr", "7xfkvy5l643lydnw9re59gtzzwf5mdq",
                               "0x52908400098527886E0F7030069857D2E4169EE7", "0x5290840009",
                               " ", "/", "a", "\u0663"],
}  # fmt: skip


def test_every_gated_recognizer_is_tested() -> None:
    gated = set(prefilter.RECOGNIZER_TRIGGERS) | {n for n, _ in prefilter.PATTERN_TRIGGERS}
    assert gated == set(_GATE_PIECES)


@pytest.mark.parametrize("name", sorted(_GATE_PIECES))
def test_gated_recognizer_finds_what_presidio_finds(name: str) -> None:
    """A gated recognizer (a trigger for it or for some of its patterns) returns exactly what
    presidio's own recognizer (same patterns and flags, ungated) returns: on generated
    strings of digits, separators, month names, schemes, quotes and hosts."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    (gated,) = [
        r for r in pii_detector()._analyzer.registry.recognizers if type(r).__name__ == name
    ]
    recognizer = type(gated)()
    if hasattr(gated, "global_regex_flags"):  # presidio's pattern recognizers
        recognizer.global_regex_flags = gated.global_regex_flags
    entities = recognizer.supported_entities
    pieces = _GATE_PIECES[name]
    matched = []

    def key(results: list) -> list[tuple]:
        return sorted((r.entity_type, r.start, r.end, r.score) for r in results)

    @settings(max_examples=3000, deadline=None, derandomize=True)
    @given(st.lists(st.sampled_from(pieces), max_size=8).map("".join))
    def check(text: str) -> None:
        expected = key(recognizer.analyze(text, entities, None))
        assert key(gated.analyze(text, entities, None)) == expected, text
        matched.extend([text] if expected else [])

    check()
    # newer Unicode digits (Kawi) that presidio's `regex` knows and Python 3.11's `re` not
    kawi = ("due MAR-\U00011f50\U00011f51", "birthday MAR-\U00011f505 I think")
    for text in ("see 'https://example.com' now", 'at "example.org"', "born 3/4/2009", *kawi):
        assert key(gated.analyze(text, entities, None)) == key(
            recognizer.analyze(text, entities, None)
        )
    assert len(matched) >= 10  # the recognizer did match: the equality was exercised
    assert gated.analyze("no dates or links, 2009 only", entities, None) == []


_PIECES = ["a", "at", " at ", "dot", " dot ", "[at]", "(dot)", "@", ".", "gmail", "com", "1",
           "0", "7", "42", "+", "-", " ", "(", ")", "/", "x", "Z", "DE", "bc1q", "0x", "straße",
           "Calle", "Flat", "Street", "passport", "DNI", "12345678", "ab", "ISBN", "€", ":"]  # fmt: skip


@pytest.mark.parametrize(
    "entity",
    ["PHONE_NUMBER", "EMAIL_ADDRESS", "STREET_ADDRESS", "CRYPTO", "PASSPORT", "DRIVER_LICENSE",
     "NATIONAL_ID", "LOCATION"],
)  # fmt: skip
def test_our_recognizers_never_match_without_the_trigger(entity: str) -> None:
    """Whenever one of our recognizers finds a span, the prefilter allows its type."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    recognizers = [
        r
        for r in pii_detector()._analyzer.registry.recognizers
        if entity in r.supported_entities and type(r).__module__.startswith("audit.")
    ]
    assert recognizers
    matched = []

    @settings(max_examples=1500, deadline=None, derandomize=True)
    @given(st.lists(st.sampled_from(_PIECES), max_size=14).map("".join))
    def check(text: str) -> None:
        if any(r.analyze(text, [entity], None) for r in recognizers):
            matched.append(text)
            assert entity in prefilter.possible_entities(text, DEFAULT_ENTITIES), text

    check()
    for text in PROBE_TEXTS:
        if any(r.analyze(text, [entity], None) for r in recognizers):
            matched.append(text)
            assert entity in prefilter.possible_entities(text, DEFAULT_ENTITIES), text
    assert matched  # the implication was exercised


#: Contact data as people write it: (text, type, span). Each must be found by the real
#: detector with a score the shipped contact rule (min_score 0.5) keeps.
PROBES = [
    ("Call me at 415-867-2291", "PHONE_NUMBER", "415-867-2291"),
    ("(617) 555-0103", "PHONE_NUMBER", "(617) 555-0103"),
    ("text me on 0161 496 0000 after 6", "PHONE_NUMBER", "0161 496 0000"),
    ("llámame al 612 34 56 78, estoy en casa toda la tarde", "PHONE_NUMBER", "612 34 56 78"),
    ("ruf mich an: 030 12345678, ich bin den ganzen Tag zu Hause", "PHONE_NUMBER", "030 12345678"),
    ("whatsapp +44 7911 123456", "PHONE_NUMBER", "+44 7911 123456"),
    ("bob.smith at gmail dot com", "EMAIL_ADDRESS", "bob.smith at gmail dot com"),
    ("contact: jane.doe [at] example (dot) org", "EMAIL_ADDRESS", "jane.doe [at] example (dot) org"),
    ("Ich wohne in der Hauptstraße 5, 10115 Berlin", "STREET_ADDRESS", "Hauptstraße 5, 10115 Berlin"),
    ("vivo en Calle Mayor 12, Madrid", "STREET_ADDRESS", "Calle Mayor 12, Madrid"),
    ("J'habite au 12 rue de la Paix, 75002 Paris", "STREET_ADDRESS", "12 rue de la Paix, 75002 Paris"),
    ("we moved to 10 Downing Street, London SW1A 2AA", "STREET_ADDRESS",
     "10 Downing Street, London SW1A 2AA"),
    ("party at mine https://www.google.com/maps/place/1600+Amphitheatre+Pkwy,+Mountain+View,+CA",
     "STREET_ADDRESS", "1600+Amphitheatre+Pkwy,+Mountain+View,+CA"),
    ("tips: bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "CRYPTO",
     "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
    ("BTC 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "CRYPTO", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
    ("eth: 0x52908400098527886E0F7030069857D2E4169EE7", "CRYPTO",
     "0x52908400098527886E0F7030069857D2E4169EE7"),
    ("my passport number is 123456789, lost it", "PASSPORT", "123456789"),
    ("driver's license D1234567 expired", "DRIVER_LICENSE", "D1234567"),
    ("mi DNI es 12345678Z", "NATIONAL_ID", "12345678Z"),
    ("NI number AB 12 34 56 C", "NATIONAL_ID", "AB 12 34 56 C"),
]  # fmt: skip
PROBE_TEXTS = [text for text, _, _ in PROBES]

#: Number shapes that are not phone numbers, also with a phone word nearby.
NOT_PHONES = [
    "update to v2.3.4.1 now",
    "ISBN 978-3-16-148410-0",
    "ISBN 0-306-40615-2 is a classic",
    "final score 3-1, what a game",
    "it was 2-1 at 10:30 and 3-3 at 11:45",
    "price $1,299.99 or 1.234.567 € in total",
    "order #4158672291 shipped, call me about it",
    "order number 415 867 2291",
    "tracking no. 1Z 999 AA1 0123 4567 84",
    "born 2003-08-28 12:13:52",
    "on 12/10/2023 and 10.12.2023",
    "1999-2023 best years",
    "server at 192.168.100.200",
    "pi is 3.14159265",
    "1,234,567 views",
    "my SSN 123-45-6789 lol",
]


@pytest.mark.parametrize(("text", "entity", "span"), PROBES)
def test_probe_contact_data_is_found_and_flagged(text: str, entity: str, span: str) -> None:
    import yaml

    rule = yaml.safe_load((RULES / "direct-contact-data.yaml").read_text(encoding="utf-8"))
    ids = yaml.safe_load((RULES / "financial-or-government-id.yaml").read_text(encoding="utf-8"))
    (result,) = pii_detector().detect_batch([Content("h", text=text)])
    found = {(f.entity_type, text[f.start : f.end]): f.score for f in result.findings}  # type: ignore[misc]
    assert (entity, span) in found, found
    shipped = rule if entity in rule["match"]["types"] else ids
    assert entity in shipped["match"]["types"]
    assert found[(entity, span)] >= shipped["match"]["min_score"]


@pytest.mark.parametrize("text", NOT_PHONES)
def test_number_shapes_are_not_phones(text: str) -> None:
    (result,) = pii_detector().detect_batch([Content("h", text=text)])
    assert [text[f.start : f.end] for f in result.findings if f.entity_type == "PHONE_NUMBER"] == []  # type: ignore[misc]


def test_a_bare_digit_run_needs_context_to_pass_the_rule() -> None:
    (bare,), (said,) = (
        pii_detector().detect_batch([Content("h", text=t)])
        for t in ("ref 4158672291 done", "call 4158672291")
    )
    assert [f.score for f in bare.findings if f.entity_type == "PHONE_NUMBER"] == []
    (phone,) = [f for f in said.findings if f.entity_type == "PHONE_NUMBER"]
    assert phone.score >= 0.5
    (plain,) = pii_detector().analyze_texts(["4158672291"])
    assert [r.score for r in plain] == [0.35]


@pytest.mark.parametrize(
    ("text", "not_found"),
    [
        ("I love the Twitter API and Reddit", {"Twitter API", "Reddit", "Twitter"}),
        ("I don’t know what n’t means", {"n’t", "don’t"}),
        ("OMG I LOVE THIS SHIRT SO MUCH!!! BEST PHOTO EVER", {"SHIRT", "PHOTO", "OMG"}),
        ("#MarkBam #ChattanoogaShooting so sad", {"MarkBam", "ChattanoogaShooting"}),
        ("Happy Monday everyone, Sun is out", {"Monday", "Sun"}),
        ("aaaah wtfffff", {"aaaah", "wtfffff"}),
        # headline case: every word an everyday word (the model says PERSON)
        ("Officers Acted Improperly in Shooting of Unarmed Man", {"Officers Acted Improperly"}),
        ("RT NiallOfficial : thanks for coming", {"NiallOfficial", "RT NiallOfficial"}),
        # places inside an organisation's name
        ("shooting at Santa Monica College today", {"Santa Monica"}),
        ("Malaysia Airlines plane missing", {"Malaysia"}),
    ],
)
def test_names_noise_is_dropped(text: str, not_found: set[str]) -> None:
    (result,) = pii_detector().detect_batch([Content("h", text=text)])
    names = {
        text[f.start : f.end] for f in result.findings if f.entity_type in ("PERSON", "LOCATION")
    }  # type: ignore[misc]
    assert not names & not_found


@pytest.mark.parametrize(
    ("text", "entity", "span"),
    [
        ("moving to barcelona next week with maria", "LOCATION", "barcelona"),
        ("Back in Doncaster for the weekend", "LOCATION", "Doncaster"),
        ("I'm John Smith, visiting Boston", "PERSON", "John Smith"),
        ("#Paris was lovely", "LOCATION", "Paris"),
        # a GeoNames town, and a state code after a place
        ("Back home in Rotherham for the weekend", "LOCATION", "Rotherham"),
        ("Shooting in Chattanooga , TN today", "LOCATION", "TN"),
        # the model says PERSON, the curated gazetteer says place: place
        ("Leeds was amazing tonight", "LOCATION", "Leeds"),
        # the model's PERSON "Chattanooga 2" is dropped for its digit: the town stands
        ("Chattanooga 2 Knoxville 1", "LOCATION", "Chattanooga"),
        # the model says GPE / ORG / WORK_OF_ART, the first word is a given name: person
        ("shoutout to Kelsey for the help", "PERSON", "Kelsey"),
        ("Chloe Bennet at comic con", "PERSON", "Chloe Bennet"),
        ("RT @x : Selena performing tonight", "PERSON", "Selena"),
    ],
)
def test_names_and_places_in_social_text(text: str, entity: str, span: str) -> None:
    (result,) = pii_detector().detect_batch([Content("h", text=text)])
    found = {(f.entity_type, text[f.start : f.end]) for f in result.findings}  # type: ignore[misc]
    assert (entity, span) in found
    other = "LOCATION" if entity == "PERSON" else "PERSON"
    assert (other, span) not in found  # one type per name


def test_the_model_and_the_gazetteers_disagree_as_the_cases_assume() -> None:
    """The cases above are decided against what the model itself says, so they test the
    arbitration and the relabelling, not a model that happens to agree."""
    from audit.detectors.pii.detector import load_spacy_model
    from audit.detectors.pii.places import towns

    nlp = load_spacy_model()

    def said(text: str) -> set[tuple[str, str]]:
        return {(e.text, e.label_) for e in nlp(text).ents}

    assert ("Leeds", "PERSON") in said("Leeds was amazing tonight")
    assert ("Chattanooga 2", "PERSON") in said("Chattanooga 2 Knoxville 1")
    assert ("Kelsey", "GPE") in said("shoutout to Kelsey for the help")
    assert ("Chloe Bennet", "ORG") in said("Chloe Bennet at comic con")
    # A GeoNames town the model calls a person stays a person.
    text = "Roosevelt said the only thing to fear is fear itself"
    assert "roosevelt" in towns() and ("Roosevelt", "PERSON") in said(text)
    (result,) = pii_detector().detect_batch([Content("h", text=text)])
    found = {(f.entity_type, text[f.start : f.end]) for f in result.findings}  # type: ignore[misc]
    assert ("PERSON", "Roosevelt") in found and ("LOCATION", "Roosevelt") not in found


@pytest.mark.parametrize(
    "text",
    [
        "Mi hermana vive en la ciudad con su marido y sus hijos, estamos muy contentos",
        "Ich habe heute mit meiner Schwester Kuchen gegessen und es war sehr lecker",
        "Hari ini hari Rabu, tanggal 15 bulan April, saya pergi ke pasar dengan ibu",
    ],
)
def test_no_english_ner_on_other_languages(text: str) -> None:
    (result,) = pii_detector().detect_batch([Content("h", text=text + " Kerala Shirt Photo")])
    assert not [f for f in result.findings if f.entity_type in ("PERSON", "LOCATION")]


def test_language_is_recorded_on_findings() -> None:
    texts = [
        "My name is John Smith and I live in Boston, call me at 415-867-2291",
        "llámame al 612 34 56 78, estoy en casa toda la tarde con mi familia",
    ]
    english, spanish = pii_detector().detect_batch(
        [Content(str(i), text=t) for i, t in enumerate(texts)]
    )
    assert {f.attributes["language"] for f in english.findings} == {"en"}  # type: ignore[index]
    assert {f.attributes["language"] for f in spanish.findings} == {"es"}  # type: ignore[index]
    (phone,) = [f for f in spanish.findings if f.entity_type == "PHONE_NUMBER"]
    assert phone.attributes["region"] == "ES"  # type: ignore[index]


def _assert_context_enhancer_is_presidios(texts: list[str]) -> None:
    """Our enhancer (no deep copy, skipped when no context word can apply) = presidio's own."""
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    ours = pii_detector()
    stock = PiiDetector()
    stock._analyzer = AnalyzerEngine(
        registry=ours._analyzer.registry,
        nlp_engine=ours._analyzer.nlp_engine,
        supported_languages=["en"],
        context_aware_enhancer=LemmaContextAwareEnhancer(),
    )

    def key(results: list[list[object]]) -> list[list[tuple[object, ...]]]:
        return [[(r.entity_type, r.start, r.end, r.score) for r in rs] for rs in results]  # type: ignore[attr-defined]

    got, expected = key(ours.analyze_texts(texts)), key(stock.analyze_texts(texts))
    assert got == expected
    assert sum(1 for rs in got for r in rs if r[3] not in (0.85, 1.0)) > 20  # scores vary


def test_context_enhancer_shortcut_changes_nothing() -> None:
    from audit.synth.corpus import labelled_captions

    _assert_context_enhancer_is_presidios(
        [c.text for c in labelled_captions(300, seed=21)]
        + PROBE_TEXTS
        + [
            "my phone number is 212-555-1234, see https://example.org, born 3/4/2009",
            "iban GB82 WEST 1234 5698 7654 32 and card 4111 1111 1111 1111 on 2024-01-02",
            # context words whole, inside longer words and in capitals
            "website: https://example.org/a and the link https://t.co/xyz",
            "unlinked WEBSITES https://example.org born on DATE 3/4/2009",
            "Birthday 2009-03-04 ip 10.0.0.1 url http://10.0.0.1/x",
        ]
    )


@pytest.mark.skipif(not LABELLED.exists(), reason="../shared/realdata absent")
def test_context_enhancer_shortcut_changes_nothing_on_real_text() -> None:
    """Tweets: links, handles and dates in most texts, context words in few."""
    _assert_context_enhancer_is_presidios(
        _labelled_texts("wnut16")[:600] + _labelled_texts("presidio-research")[:300]
    )


def _ner_tags(docs: list[object]) -> list[list[tuple[object, ...]]]:
    """Each doc's entities and every token's IOB tag and type."""
    return [
        [(e.start_char, e.end_char, e.label_) for e in d.ents]  # type: ignore[attr-defined]
        + [(t.ent_iob_, t.ent_type_) for t in d]  # type: ignore[attr-defined]
        for d in docs
    ]


def _assert_ner_pipe_is_spacys(texts: list[str], batch_size: int = 256) -> int:
    """ner.pipe (decoding loop holding the GIL) = spaCy's nlp.pipe; returns the entity count."""
    from audit.detectors.pii import ner

    nlp = pii_detector()._analyzer.nlp_engine.get_nlp("en")
    assert ner.supported(nlp)
    ours = ner.pipe(nlp, texts, batch_size=batch_size)
    assert [d.text for d in ours] == texts
    assert _ner_tags(ours) == _ner_tags(list(nlp.pipe(texts, batch_size=batch_size)))
    return sum(len(d.ents) for d in ours)


def test_ner_pipe_matches_spacy_on_generated_and_odd_texts() -> None:
    from audit.synth.corpus import labelled_captions

    odd = ["", " ", "🎉", "\n\n", "A", "Hi Bob", "x" * 3000, "Paris " * 400, "\x00\ufffd" * 20]
    # whitespace tokens inside and around names (no entity may begin on one)
    odd += ["Barack  Obama met  Angela Merkel", "New\n\nYork City", " \t John Smith \n", "Paris \n"]
    odd += [  # multi-line postal addresses: "\n " tokens the model would like to start names on
        "Maria Lindqvist\n\n12 Storgatan 4\n Apt. 31\n Kiruna\n Sweden 98131",
        "please ship to 1200 Harbour Road\n Suite 9\n Dunmore\n United States",
        "Arthur Pendle\n\n77 Mølleveien 3\n Apt. 12\n Halden\n\n Norway 17701",
        "send it to 9 Calle Sol 4\n Piso 2\n Tarifa\n Spain 11380 please",
        "Ines Borg\n\n5 Rua Nova 8\n Suite 40\n Braga\n Portugal 4700",
    ]
    texts = [c.text for c in labelled_captions(600, seed=5)] + PROBE_TEXTS + odd
    assert _assert_ner_pipe_is_spacys(texts) > len(texts) // 2  # real entities compared
    assert _assert_ner_pipe_is_spacys(texts[:40] + odd, batch_size=5)  # many small batches
    assert _assert_ner_pipe_is_spacys(["", ""]) == 0  # a batch with nothing to decode
    assert _assert_ner_pipe_is_spacys([]) == 0


def _conll_sentences(path: Path) -> list[str]:
    """Sentences of a CoNLL file (``token<TAB>tag`` lines), tokens joined by spaces."""
    sentences, tokens = [], []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.strip():
            tokens.append(line.split("\t")[0].strip())
        elif tokens:
            sentences.append(" ".join(t for t in tokens if t))
            tokens = []
    return sentences


def _labelled_texts(name: str) -> list[str]:
    if name == "presidio-research":
        records = json.loads(
            (LABELLED / "presidio-research_synth_dataset_v2.json").read_text(encoding="utf-8")
        )
        return [r["full_text"] for r in records]
    if name == "wnut16":
        return _conll_sentences(LABELLED / "wnut16_test" / "test")
    sentences = [s for f in sorted((LABELLED / name).glob("*.conll")) for s in _conll_sentences(f)]
    return sentences[::3]  # 3,114 of its 9,338 tweets: the test's time, and enough


@pytest.mark.skipif(not LABELLED.exists(), reason="../shared/realdata absent")
@pytest.mark.parametrize("name", ["presidio-research", "wnut16", "broad_twitter_corpus"])
def test_ner_pipe_matches_spacy_on_real_labelled_text(name: str) -> None:
    """On the labelled dev sets as the detector feeds them (shouting lower-cased)."""
    from audit.detectors.pii.names import ner_input

    texts = [ner_input(t) for t in _labelled_texts(name)]
    assert len(texts) > 1000
    assert _assert_ner_pipe_is_spacys(texts) > len(texts) // 2


def test_detector_findings_do_not_depend_on_the_ner_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole detector with ner.pipe and with spaCy's nlp.pipe: the same findings."""
    from audit.detectors.pii import ner
    from audit.synth.corpus import labelled_captions

    texts = [c.text for c in labelled_captions(300, seed=8)] + PROBE_TEXTS + ["", "HI BOB IN PARIS"]

    def key(results: list[list[object]]) -> list[list[tuple[object, ...]]]:
        return [[(r.entity_type, r.start, r.end, r.score) for r in rs] for rs in results]  # type: ignore[attr-defined]

    fast = key(pii_detector().analyze_texts(texts))
    monkeypatch.setattr(ner, "supported", lambda nlp: False)
    assert fast == key(pii_detector().analyze_texts(texts))
    assert sum(1 for rs in fast for r in rs if r[0] in ("PERSON", "LOCATION")) > 50


def test_ner_pipe_falls_back_to_nlp_pipe_for_other_pipelines() -> None:
    import spacy

    from audit.detectors.pii import ner

    blank = spacy.blank("en")
    assert not ner.supported(blank)
    assert [d.text for d in ner.pipe(blank, ["a b", "c"])] == ["a b", "c"]
    blank.add_pipe("beam_ner")
    assert not ner.supported(blank)  # beam search, not greedy


def test_vocabulary_stops_growing_past_the_permanent_lexemes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past the limit a batch's new strings are freed after it, with the same entities."""
    from audit.detectors.pii import vocab_memory
    from audit.detectors.pii.detector import LANGUAGE

    detector = pii_detector()
    detector.setup()
    assert detector._analyzer is not None
    strings = detector._analyzer.nlp_engine.get_nlp(LANGUAGE).vocab.strings
    texts = [f"Met Anna Kowalski in Leeds at qzv{i}wxk, call 415-867-2291" for i in range(40)]

    def spans(results: list[list]) -> list[list[tuple]]:
        return [[(r.entity_type, r.start, r.end, r.score) for r in rs] for rs in results]

    monkeypatch.setattr(vocab_memory, "PERMANENT_LEXEMES", 0)
    before = len(strings)
    bounded = spans(detector.analyze_texts(texts))
    assert len(strings) == before
    assert "qzv7wxk" not in strings
    monkeypatch.setattr(vocab_memory, "PERMANENT_LEXEMES", 10**12)
    assert spans(detector.analyze_texts(texts)) == bounded
    assert "qzv7wxk" in strings  # outside a zone the vocabulary keeps the new token
    assert {"PERSON", "LOCATION", "PHONE_NUMBER"} <= {t for rs in bounded for t, *_ in rs}


def test_ner_decoder_keeps_spacys_sentence_boundaries() -> None:
    """Docs with sentence starts inside names: no entity crosses one, as in spaCy's code."""
    from spacy.tokens import Doc

    from audit.detectors.pii import ner

    nlp = pii_detector()._analyzer.nlp_engine.get_nlp("en")
    recognizer = nlp.get_pipe("ner")
    words = [
        "Yesterday",
        "Barack",
        "Obama",
        "met",
        "Angela",
        "Merkel",
        "in",
        "New",
        "York",
        "City",
        "with",
        "John",
        "Smith",
    ]

    def docs() -> list[Doc]:
        # a sentence start on each word in turn: every name is cut somewhere
        return [
            Doc(nlp.vocab, words=words, sent_starts=[i in (0, cut) for i in range(len(words))])
            for cut in range(1, len(words))
        ]

    ours = docs()
    ner._set_entities(ours, ner._decode(recognizer, ours, ner._actions(recognizer)))
    spacys = docs()
    recognizer.set_annotations(spacys, recognizer.predict(spacys))
    assert _ner_tags(ours) == _ner_tags(spacys)
    assert any(len(d.ents) != len(ours[0].ents) for d in ours)  # the cuts changed entities


def test_inference_ops_kernels_equal_thincs() -> None:
    """maxout and gather_add give thinc's values bit for bit (random arrays, repeated keys,
    negative zeros)."""
    import numpy as np
    from thinc.api import NumpyOps

    from audit.detectors.pii.inference_ops import InferenceOps

    thinc_ops, ours = NumpyOps(use_blis=False), InferenceOps()
    rng = np.random.default_rng(7)
    pieces = rng.standard_normal((300, 96, 3)).astype("float32")
    pieces[0, :, :] = -0.0
    # signed zeros: the first of equal maxima stays (NaN, which finite weights and inputs
    # never produce, is left out: thinc's kernel orders it unlike any comparison loop)
    pieces[1, :3] = [[-0.0, 0.0, -1.0], [0.0, -0.0, 0.0], [-0.0, -0.0, 0.0]]
    got, expected = ours.maxout(pieces)[0], thinc_ops.maxout(pieces)[0]
    assert np.array_equal(got, expected)
    assert np.array_equal(np.signbit(got), np.signbit(expected))
    table = rng.standard_normal((500, 96)).astype("float32")
    table[4] = -0.0
    keys = rng.integers(0, 500, (200, 4)).astype("uint32")
    keys[:3] = 4
    got, expected = ours.gather_add(table, keys), thinc_ops.gather_add(table, keys)
    assert np.array_equal(got, expected)
    assert np.array_equal(np.signbit(got), np.signbit(expected))
    with pytest.raises(NotImplementedError):
        ours.backprop_maxout(expected, None, 3)


def test_ner_vectors_are_thincs_with_inference_ops() -> None:
    """The NER's token vectors with InferenceOps (the detector's) and with thinc's own numpy
    ops: bit for bit the same on generated captions and the probes."""
    import numpy as np
    from thinc.api import NumpyOps

    from audit.detectors.pii import embed_cache
    from audit.synth.corpus import labelled_captions

    nlp = pii_detector()._analyzer.nlp_engine.get_nlp("en")
    tok2vec = nlp.get_pipe("ner").model.get_ref("tok2vec")
    ours = tok2vec.ops
    assert type(ours).__name__ == "InferenceOps"
    docs = [nlp.make_doc(c.text) for c in labelled_captions(200, seed=9)]
    docs += [nlp.make_doc(t) for t in PROBE_TEXTS]
    fast = tok2vec.predict(docs)
    embed_cache.forget(nlp)  # else the reference would copy the embeddings just computed
    try:
        for layer in tok2vec.walk():
            layer.ops = NumpyOps(use_blis=False)
        reference = tok2vec.predict(docs)
    finally:
        for layer in tok2vec.walk():
            layer.ops = ours
    assert len(fast) == sum(len(d) for d in docs)  # one vector per token of the batch
    assert np.array_equal(fast, reference)


def test_ner_decoder_matches_spacy_on_non_finite_scores() -> None:
    """With an output bias of +inf, -inf or NaN for some actions, the decoder still takes the
    action spaCy's arg_max_if_valid takes (argmax alone would not)."""
    import numpy as np

    from audit.detectors.pii import ner

    nlp = pii_detector()._analyzer.nlp_engine.get_nlp("en")
    recognizer = nlp.get_pipe("ner")
    names = [recognizer.moves.get_class_name(i) for i in range(recognizer.moves.n_moves)]
    texts = ["I'm John Smith, visiting Boston", "Meet Anna in Leeds on Monday", "hi", ""]
    upper = recognizer.model.get_ref("upper")
    saved = upper.get_param("b").copy()
    try:
        for label, value in [("U-PERSON", np.inf), ("O", -np.inf), ("B-GPE", np.nan)]:
            bias = saved.copy()
            bias[names.index(label)] = value
            upper.set_param("b", bias)
            assert _ner_tags(ner.pipe(nlp, texts)) == _ner_tags(list(nlp.pipe(texts)))
    finally:
        upper.set_param("b", saved)
    assert ner._arg_max_if_valid(np.array([np.nan, 1.0, 2.0]), np.array([True] * 3)) == 0
    assert ner._arg_max_if_valid(np.array([1.0, np.nan, 2.0]), np.array([True] * 3)) == 2
    assert ner._arg_max_if_valid(np.array([-np.inf, -np.inf]), np.array([False, True])) == 1
