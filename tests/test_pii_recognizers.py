"""The pii package's own recognizers as plain functions (no model): table-driven cases."""

from __future__ import annotations

import pytest

from audit.detectors.pii.addresses import find_addresses
from audit.detectors.pii.crypto import base58check_ok, bech32_ok, find_wallets
from audit.detectors.pii.emails import find_written_emails
from audit.detectors.pii.given_names import given_names, is_misfiled_person
from audit.detectors.pii.ids import find_ids
from audit.detectors.pii.language import detect_language
from audit.detectors.pii.names import (
    common_words,
    in_organisation_name,
    is_shouting,
    keep_name_span,
    ner_input,
    only_common_words,
    trim_name_span,
)
from audit.detectors.pii.phones import classify, find_phones
from audit.detectors.pii.places import find_places, known_places, towns
from audit.detectors.pii.wordlists import read_list


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Call me at 415-867-2291", "en", ("415-867-2291", 0.9, "US")),
        ("(617) 555-0103", "und", ("(617) 555-0103", 0.6, "US")),
        ("0161 496 0000", "en", ("0161 496 0000", 0.6, "GB")),
        ("612 34 56 78", "es", ("612 34 56 78", 0.6, "ES")),
        ("+41 (0)71 526 99 04", "en", ("+41 (0)71 526 99 04", 0.75, "CH")),
        ("Fax: 345-899-3560x4587", "en", ("345-899-3560x4587", 0.9, "any")),
        ("01.84.17.61.18", "fr", ("01.84.17.61.18", 0.6, "FR")),
        ("4158672291", "en", ("4158672291", 0.35, "US")),
    ],
)
def test_phone_scores(text: str, language: str, expected: tuple[str, float, str]) -> None:
    ((start, end, score, region),) = find_phones(text, language)
    assert (text[start:end], score) == expected[:2]
    assert region == expected[2] or expected[2] == "any"


def test_a_hinted_region_scores_higher_than_another() -> None:
    assert classify("612 34 56 78", "es") == (0.6, "ES")
    assert classify("0161 496 0000", "en") == (0.6, "GB")
    assert classify("0161 496 0000", "es") == (0.45, "GB")  # valid, but not where Spanish is


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bob.smith at gmail dot com", "bob.smith at gmail dot com"),
        ("jane[at]example(dot)org", "jane[at]example(dot)org"),
        ("reach joe at outlook.de pls", "joe at outlook.de"),
        ("sam @ proton.me", "sam @ proton.me"),
        ("look at this dot com bubble", None),
        ("I am at work dot com", None),
        ("meet me at home", None),
        ("john.smith@example.com", None),  # presidio's recognizer handles literal addresses
    ],
)
def test_written_emails(text: str, expected: str | None) -> None:
    found = [text[s:e] for s, e, _ in find_written_emails(text)]
    assert found == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hauptstraße 5, 10115 Berlin", "Hauptstraße 5, 10115 Berlin"),
        ("Bahnhofstr. 12a", "Bahnhofstr. 12a"),
        ("Keizersgracht 123, 1015 CJ Amsterdam", "Keizersgracht 123, 1015 CJ Amsterdam"),
        ("Via Roma, 12", "Via Roma, 12"),
        ("Rua Augusta 100", "Rua Augusta 100"),
        ("12 rue de la Paix, 75002 Paris", "12 rue de la Paix, 75002 Paris"),
        ("ul. Grochowa 80", "ul. Grochowa 80"),
        ("Flat 4B, 12th Cross, Indiranagar, Bengaluru 560038",
         "Flat 4B, 12th Cross, Indiranagar, Bengaluru 560038"),
        ("123 Main St, Toronto, ON M5V 2T6", "123 Main St, Toronto, ON M5V 2T6"),
        ("42 Elm St\nSpringfield, IL 62704", "42 Elm St\nSpringfield, IL 62704"),
        ("my address is Pagari 18, Tallinn", "Pagari 18, Tallinn"),
        ("House No. 12, Sector 15, Noida 201301", "House No. 12, Sector 15, Noida 201301"),
        ("au 8 avenue des Champs-Élysées 75008 Paris", "8 avenue des Champs-Élysées 75008 Paris"),
        ("https://maps.google.com/?q=52.5200,13.4050", "52.5200,13.4050"),
        ("via email 2", None),
        ("During 1971, Mayo-Walters invested", None),
        ("at Gate 12 now", None),
        ("Windows 10 Home", None),
        ("Season 2 of the show", None),
        ("Hauptstraße 5\nThanks everyone", "Hauptstraße 5"),
    ],
)  # fmt: skip
def test_street_forms(text: str, expected: str | None) -> None:
    found = [text[s:e] for s, e, _ in find_addresses(text)]
    assert found == ([expected] if expected else [])


def test_wallet_checksums() -> None:
    assert base58check_ok("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
    assert not base58check_ok("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb")
    assert bech32_ok("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")
    assert bech32_ok("bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297")
    assert not bech32_ok("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr")
    assert find_wallets("tx 0x" + "ab" * 32) == []  # a 64-digit hash is not an address


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my passport no. is 123456789", ("123456789", 0.85, "PASSPORT")),
        ("DL# D1234567", ("D1234567", 0.85, "DRIVER_LICENSE")),
        ("12345678Z", ("12345678Z", 0.6, "NATIONAL_ID")),
        ("RSSMRA85T10A562S", ("RSSMRA85T10A562S", 0.8, "NATIONAL_ID")),
        ("BSN 111222333", ("111222333", 0.85, "NATIONAL_ID")),
        ("my order 123456789", None),  # nine digits need their context word
        ("12345678A", None),  # wrong DNI check letter
    ],
)
def test_government_ids(text: str, expected: tuple[str, float, str] | None) -> None:
    found = [(text[s:e], score, entity) for s, e, score, entity, _ in find_ids(text)]
    assert found == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("This is a test of the language detector", "en"),
        ("Das ist ein Test und ich bin hier", "de"),
        ("Hola, ¿cómo estás? Estoy muy bien gracias", "es"),
        ("Это тест детектора языка", "ru"),
        ("hi bob", "und"),
        ("Jordan Rhodes is ridiculous # thatisall", "und"),  # names carry no language
        ("wiz khalifa is so good it is crazy", "en"),  # English function words decide
    ],
)
def test_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_names_rules() -> None:
    assert is_shouting("OMG I LOVE THIS SHIRT") and not is_shouting("Hello There my friend")
    assert ner_input("OMG I LOVE THIS SHIRT") == "omg i love this shirt"
    text = (
        "I love Twitter API, n’t, #MarkBam and #Paris with Lena Andersson 2day, NiallOfficial,"
        " McDonald, MacKenzie, Officers Acted"
    )
    for span, label, kept in [
        ("Twitter API", "PERSON", False),
        ("n’t", "PERSON", False),
        ("MarkBam", "PERSON", False),
        ("NiallOfficial", "PERSON", False),  # a handle without its "@"
        ("McDonald", "PERSON", True),
        ("MacKenzie", "PERSON", True),
        ("Officers Acted", "PERSON", False),
        ("Paris", "LOCATION", True),
        ("Lena Andersson", "PERSON", True),
        ("2day", "PERSON", False),
    ]:
        start = text.index(span)
        assert keep_name_span(text, start, start + len(span), label) is kept, span


@pytest.mark.parametrize(
    ("span", "expected"),
    [("omg jake", "jake"), ("Happy Sarah Jones", "Sarah Jones"), ("Twitter", ""), ("Ana", "Ana")],
)
def test_trim_name_span(span: str, expected: str) -> None:
    text = f"so {span}!"
    start, end = trim_name_span(text, 3, 3 + len(span))
    assert text[start:end] == expected


def test_places() -> None:
    text = "moving to barcelona, Manchester United fans, china plates, China trip, @london_fan"
    assert [(text[s:e], tier) for s, e, tier in find_places(text)] == [
        ("barcelona", "major"),
        ("China", "major"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # GeoNames towns count capitalised only, in every word
        ("Back in Rotherham, then Chattanooga", [("Rotherham", "town"), ("Chattanooga", "town")]),
        ("ROTHERHAM tonight", [("ROTHERHAM", "town")]),
        ("a rotherham thing", []),
        ("Long Beach and Long beach", [("Long Beach", "town")]),
        (
            "Newcastle upon Tyne and Mar del Plata",
            [("Newcastle upon Tyne", "town"), ("Mar del Plata", "town")],
        ),
        ("Long, Beach", []),  # one place's words are not split by punctuation
        # a state code after "Place, ": the code, and the place when no list has it
        ("Shooting in Chattanooga , TN today", [("Chattanooga", "town"), ("TN", "major")]),
        ("Cops in Flatwoods, KY said", [("Flatwoods", "town"), ("KY", "major")]),
        ("San José, CA", [("San José", "town"), ("CA", "major")]),
        ("Kansas City, Mo. tonight", [("Kansas City", "major"), ("Mo", "major")]),
        (
            "Boise, ID and Portland, OR",
            [("Boise", "town"), ("ID", "major"), ("Portland", "major"), ("OR", "major")],
        ),
        (
            "Perth, Vic and Geelong, Vic",
            [("Perth", "major"), ("Vic", "major"), ("Geelong", "town"), ("Vic", "major")],
        ),
        # not a place: greetings, sign-offs, lists of names, organisations, titles
        ("Hello, Georgia! Hi Mark, CA", []),
        ("Thanks Bob, OK? Fine, IN", []),
        ("Amy, Del and I went out. Jess, Vic here. Kevin, ID please. Love, Mo", []),
        ("Good Morning, Miss Jones", []),
        # a word-like code after a given name the curated list does not look for
        ("Austin, ID please. Charlotte, OK? Kent, ME too", []),
        ("×ab, CA", []),  # × is not a letter
        ("Santa Monica College shooting", []),
        ("Malaysia Airlines plane", []),
        ("the Duchess of Cambridge and Air Canada", []),
        # a lower-case word after a place is the post's own, not a team's name
        ("This Texas heat, the Paris city lights", [("Texas", "major"), ("Paris", "major")]),
    ],
)
def test_place_tiers_and_state_codes(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(text[s:e], tier) for s, e, tier in find_places(text)] == expected


def test_word_lists_are_shipped_and_sane() -> None:
    """The generated lists (tools/pii_wordlists.py) load from the package, with the
    properties the detector relies on."""
    for name in ("towns.txt", "common_words.txt", "given_names.txt"):
        entries = read_list(name)
        assert entries and all(e == e.strip() and not e.startswith("#") for e in entries)
    assert len(towns()) > 5_000 and len(common_words()) > 10_000 and len(given_names()) > 2_000
    assert {"chattanooga", "rotherham", "san bernardino"} <= towns()
    # words, given names, very frequent words and the curated list are not towns
    assert not {"mobile", "reading", "hamilton", "obama", "london", "country club"} & towns()
    assert {"savannah", "london", "florence"} <= known_places()  # known, if not looked for
    assert {"breach", "acted", "library", "officers"} <= common_words()
    assert not {"harry", "ken", "rob", "seth", "obama"} & common_words()
    assert {"seth", "emily", "ken"} <= given_names()
    assert not {"grace", "may", "will", "summer"} & given_names()


@pytest.mark.parametrize(
    ("span", "common"),
    [("Officers Acted Improperly", True), ("Breach", True), ("Library's", True),
     ("Harry", False), ("Mick Jagger", False), ("J Cole", False), ("Ken", False)],
)  # fmt: skip
def test_only_common_words(span: str, common: bool) -> None:
    assert only_common_words(span) is common


@pytest.mark.parametrize(
    ("words", "label", "person"),
    [
        (["Seth", "Meyers"], "ORG", True),
        (["Kelsey"], "GPE", True),
        (["Selena"], "WORK_OF_ART", True),
        (["Seth", "Meyers"], "NORP", False),  # not a label names are misfiled under
        (["Savannah"], "GPE", False),  # a known place
        (["Sierra", "Leone"], "GPE", False),
        (["Victor", "Valley"], "LOC", False),  # a later everyday word: a place's name
        (["Grace", "Church"], "ORG", False),  # a given name that is a word
        (["SETH"], "ORG", False),
        (["Seth", "meyers"], "ORG", False),
        (["Seth", "Meyers", "Fan", "Club"], "ORG", False),
        (["Paris", "France"], "ORG", False),  # a later word is a place or a state
        (["Charlotte", "NC"], "ORG", False),
        (["Georgia"], "GPE", False),  # the model's place whose name is a given name too
        (["Jordan", "Peele"], "ORG", True),  # a place-like first name in an ORG entity
        (["Victoria", "Beckham"], "GPE", True),
        (["Robert", "De", "Niro"], "ORG", True),  # "De" is not Delaware: codes count in capitals
    ],
)
def test_misfiled_person(words: list[str], label: str, person: bool) -> None:
    assert is_misfiled_person(words, label, common_words(), known_places()) is person


def test_organisation_context() -> None:
    text = (
        "Leeds FC, Santa Monica College, Bank of England, Air Canada, Chicago police, Paris,"
        " Miami Heat, Texas heat"
    )
    for place, inside in [("Leeds", True), ("Santa Monica", True), ("England", True),
                          ("Canada", True), ("Chicago", False), ("Paris", False),
                          ("Miami", True), ("Texas", False)]:  # fmt: skip
        start = text.index(place)
        assert in_organisation_name(text, start, start + len(place)) is inside, place


def test_address_shortcuts_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skipping the map-link and continental regexes on texts without their words finds the
    same addresses as running them (generated texts with those words in odd cases, the
    characters that fold apart under re.IGNORECASE, and map links)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from audit.detectors.pii import addresses

    pieces = ["Haupt", "STRASSE", "Straße", "straSSe", "weg", "WEG", "Vägen", "gade", "Bri",
              "ntie", "Au", " ", "5", "12a", ", ", "10115 Berlin", "https://", "GOOGLE.de/maps",
              "/place/", "Hauptstr.+5", "maps.APPLE.com", "?q=", "52.5200,13.4050", "\u0130",
              "\u0131", "\u017f", "\u212a", "Waze.com", "Via Roma", "x", "Haupt\u017ftraße",
              "Kirchga\u017f\u017fe"]  # fmt: skip
    texts = st.lists(st.sampled_from(pieces), max_size=10).map("".join)
    pairs: list[tuple[str, list[tuple[int, int, float]]]] = []

    @settings(max_examples=2500, deadline=None, derandomize=True)
    @given(texts)
    def collect(text: str) -> None:
        pairs.append((text, find_addresses(text)))

    collect()
    edges = ["Hauptſtraße 5", "Kirchgaſſe 3", "wohne HAUPTSTRASSE 7", "Brıdge Weg 4",
             "https://waze.com/ul?q=Hauptstraße+5", "http://maps.apple.com/?address=10+Elm+St",
             "https://www.openstreetmap.org/search?query=52.5200,13.4050"]  # fmt: skip
    for text in edges:
        pairs.append((text, find_addresses(text)))
        assert pairs[-1][1], text
    assert not addresses._may_contain("no street here, 5 cats", addresses._CONTINENTAL_WORDS)
    monkeypatch.setattr(addresses, "_may_contain", lambda text, words: True)
    assert all(find_addresses(text) == found for text, found in pairs)
    assert sum(1 for _, found in pairs if found) > 20  # addresses were found and compared
