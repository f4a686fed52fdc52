"""LOCATION from gazetteers: countries, regions and large cities, plus towns from GeoNames.

The small English model misses places in lower case ("moving to barcelona"), in hashtags
("#Chattanooga") and many it has rarely seen in news text ("Doncaster", "Truro"). Two lists:

- The curated list (:data:`PLACES`, tier ``"major"``): a name from it is reported wherever it
  stands as a whole word, in any case, and a PERSON of the NER model inside it gives way to
  it ("Manchester" is a place, not a person). Names that are also common
  words or given names are left out ("Nice", "Reading", "Bath", "Chad", "Jordan", "Georgia",
  "Victoria", "Florence", "Kent", "Austin", "Sofia"), or only count capitalised
  (:data:`CAPITALISED_ONLY`: "Turkey", "China", "Wales", "Queens").
- Towns (``data/towns.txt``, tier ``"town"``, built by ``tools/pii_wordlists.py`` from
  GeoNames: ~9,000 places of 100,000+ people, 15,000+ in English-speaking countries, without
  names that are common words, given names or surnames): only capitalised ("Chattanooga",
  "Rotherham", "ESPOO", "Mar del Plata"), and they give way to a PERSON of the NER model
  ("Roosevelt" the town stays a person).

A US state, Canadian province or Australian state code after a place and a comma ("Mesa,
AZ", "York , PA") is a place too, and so is the capitalised name before it (town tier) unless
it starts with an everyday word ("Hi Mark, CA"); codes that are also names or words ("ID",
"Vic", "Mo", "Del", "Georgia") count only after a place the gazetteers found ("Boise, ID").

Like the model, the gazetteers run on English and undetermined text only, so a caption in
Malayalam does not get "kerala" as a finding; the words after a name can make it a team or a
club or an organisation instead ("Manchester United", "Leeds FC", "Malaysia Airlines",
"Duchess of Cambridge": :func:`names.in_organisation_name`). Score 0.7, under the NER model's 0.85.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any, ClassVar, Final, Literal

from audit.detectors.pii.names import (
    GAZETTEER_KEY,
    common_words,
    in_organisation_name,
    wordlist,
)
from audit.detectors.pii.spans import Span, SpanRecognizer
from audit.detectors.pii.wordlists import read_list

SCORE: Final = 0.7

#: Places of the list below that are also words or given names: not looked for, but known
#: as places (a model's "Florence" as a place is not made a person).
AMBIGUOUS_PLACES: Final[frozenset[str]] = frozenset(
    {"nice", "florence", "rio", "york", "stoke", "cork", "queens", "sofia", "austin",
     "phoenix", "santiago", "lima", "america", "georgia", "jordan", "kent", "chad",
     "victoria", "dakota", "reading", "bath", "charlotte"}
)  # fmt: skip
#: One place a line group; multi-word names are matched with any spacing.
PLACES: Final[frozenset[str]] = (
    frozenset(
        line.strip()
        for line in """
    afghanistan|albania|algeria|andorra|angola|argentina|armenia|australia|austria|azerbaijan
    bahamas|bahrain|bangladesh|barbados|belarus|belgium|belize|benin|bhutan|bolivia|bosnia
    botswana|brazil|brunei|bulgaria|burkina faso|burundi|cambodia|cameroon|canada|chile
    colombia|congo|costa rica|croatia|cuba|cyprus|czechia|czech republic|denmark|djibouti
    dominican republic|ecuador|egypt|el salvador|england|eritrea|estonia|eswatini|ethiopia
    fiji|finland|france|gabon|gambia|germany|ghana|greece|grenada|guatemala|guinea|guyana
    haiti|honduras|hong kong|hungary|iceland|india|indonesia|iran|iraq|ireland|israel|italy
    ivory coast|jamaica|japan|kazakhstan|kenya|kosovo|kuwait|kyrgyzstan|laos|latvia|lebanon
    lesotho|liberia|libya|liechtenstein|lithuania|luxembourg|madagascar|malawi|malaysia
    maldives|mali|malta|mauritania|mauritius|mexico|moldova|monaco|mongolia|montenegro
    morocco|mozambique|myanmar|namibia|nepal|netherlands|new zealand|nicaragua|niger|nigeria
    north korea|north macedonia|northern ireland|norway|oman|pakistan|palestine|panama
    papua new guinea|paraguay|peru|philippines|poland|portugal|puerto rico|qatar|romania
    russia|rwanda|san marino|saudi arabia|scotland|senegal|serbia|sierra leone|singapore
    slovakia|slovenia|somalia|south africa|south korea|south sudan|spain|sri lanka|sudan
    suriname|sweden|switzerland|syria|taiwan|tajikistan|tanzania|thailand|togo|trinidad
    tunisia|turkmenistan|uganda|ukraine|united arab emirates|uae|united kingdom|united states
    usa|uruguay|uzbekistan|venezuela|vietnam|yemen|zambia|zimbabwe|europe|africa|asia
    antarctica|north america|south america|latin america|middle east|scandinavia|caribbean
    alabama|alaska|arizona|arkansas|california|colorado|connecticut|delaware|florida|hawaii
    idaho|illinois|indiana|iowa|kansas|kentucky|louisiana|maine|maryland|massachusetts
    michigan|minnesota|mississippi|missouri|montana|nebraska|nevada|new hampshire|new jersey
    new mexico|new york|north carolina|north dakota|ohio|oklahoma|oregon|pennsylvania
    rhode island|south carolina|south dakota|tennessee|texas|utah|vermont|virginia
    west virginia|wisconsin|wyoming|ontario|quebec|british columbia|alberta|manitoba
    nova scotia|new south wales|queensland|tasmania|bavaria|catalonia|andalusia|tuscany
    sicily|sardinia|provence|normandy|brittany|kerala|punjab|gujarat|maharashtra|karnataka
    tamil nadu|bengal|bihar|rajasthan|goa|cornwall|yorkshire|lancashire|essex|surrey|sussex
    hertfordshire|warwickshire|merseyside|cumbria|norfolk|suffolk|hampshire|somerset|dorset
    london|manchester|birmingham|liverpool|leeds|glasgow|edinburgh|cardiff|belfast|bristol
    sheffield|newcastle|nottingham|leicester|coventry|brighton|southampton|portsmouth
    plymouth|oxford|cambridge|aberdeen|dundee|swansea|sunderland|doncaster|middlesbrough
    wolverhampton|stoke|norwich|exeter|truro|york|dublin|cork|galway|limerick|paris
    marseille|lyon|toulouse|nice|bordeaux|lille|strasbourg|berlin|hamburg|munich|münchen
    cologne|köln|frankfurt|stuttgart|düsseldorf|dortmund|leipzig|dresden|vienna|wien
    zurich|zürich|geneva|basel|bern|amsterdam|rotterdam|the hague|utrecht|brussels|antwerp
    madrid|barcelona|valencia|seville|sevilla|bilbao|malaga|lisbon|lisboa|porto|rome|roma
    milan|milano|naples|napoli|turin|torino|florence|venice|bologna|athens|istanbul|ankara
    moscow|st petersburg|kyiv|kiev|warsaw|krakow|kraków|prague|budapest|bucharest|sofia
    belgrade|zagreb|copenhagen|stockholm|oslo|helsinki|reykjavik|new york city|nyc|los angeles
    san francisco|chicago|houston|dallas|austin|san antonio|san diego|phoenix|philadelphia
    boston|seattle|portland|denver|atlanta|miami|orlando|tampa|detroit|cleveland|pittsburgh
    baltimore|las vegas|nashville|memphis|new orleans|minneapolis|st louis|kansas city
    sacramento|san jose|oakland|brooklyn|manhattan|queens|bronx|harlem|hollywood|honolulu
    salt lake city|toronto|montreal|vancouver|ottawa|calgary|edmonton|winnipeg|mexico city
    guadalajara|monterrey|havana|bogota|bogotá|medellin|medellín|lima|santiago|buenos aires
    sao paulo|são paulo|rio de janeiro|rio|caracas|quito|montevideo|sydney|melbourne
    brisbane|perth|adelaide|canberra|auckland|wellington|tokyo|osaka|kyoto|seoul|busan
    beijing|shanghai|shenzhen|guangzhou|taipei|bangkok|hanoi|ho chi minh city|manila
    jakarta|bali|kuala lumpur|mumbai|bombay|delhi|new delhi|bangalore|bengaluru|chennai
    kolkata|hyderabad|pune|ahmedabad|karachi|lahore|islamabad|dhaka|kathmandu|colombo
    dubai|abu dhabi|doha|riyadh|jeddah|tehran|baghdad|beirut|jerusalem|tel aviv|cairo
    casablanca|lagos|abuja|accra|nairobi|addis ababa|johannesburg|cape town|durban|kampala
    """.replace("\n", "|").split("|")
        if line.strip()
    )
    - AMBIGUOUS_PLACES
)
#: Names that are places only when capitalised (lower case they are common words).
CAPITALISED_ONLY: Final[frozenset[str]] = frozenset(
    {"china", "turkey", "wales", "chile", "guinea", "niger", "mali", "oman", "cork", "york",
     "stoke", "rio", "queens", "lima"}
)  # fmt: skip


#: A word of letters or digits (place names are matched word by word, not by one big
#: alternation regex: ~5x less CPU on captions).
_WORD = re.compile(r"[^\W_]+")


Tier = Literal["major", "town"]
#: State and province codes that follow "Place, " ("Mesa, AZ", "York , PA"): US, Canadian
#: and Australian postal codes that are not English words ...
STATE_CODES: Final[frozenset[str]] = wordlist(
    """AL AK AZ AR CA CO CT DE FL GA IL IA KS KY LA MD MA MI MN MS MO MT NE NV NH NJ NM NY NC
    ND OH PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR QC BC AB MB SK NS NB NL PE NSW VIC QLD
    TAS ACT"""
)
#: ... and codes, AP-style abbreviations and state names that are also words or names
#: ("Kevin, ID please", "Amy, Del and I", "Jess, Vic here", "Love, Mo"): these count only
#: after a place the gazetteers found there ("Boise, ID", "Geelong, Vic"; not "Austin, ID",
#: Austin being a given name the curated list does not look for).
STATE_WORDS: Final[frozenset[str]] = wordlist(
    """ID IN OR ME HI OK ON Ala Ariz Ark Calif Colo Conn Del Fla Ga Ill Ind Kan Ky Md Mass Mich
    Minn Miss Mo Mont Neb Nev Okla Ore Pa Tenn Tex Va Vt Wash Wis Wyo Vic Qld Tas Georgia
    Washington"""
)
#: "<Capitalised place>, <code>": up to three capitalised words, a comma, a state code.
_PLACE_AND_STATE = re.compile(
    r"(?<![\w@#])((?:[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+\.?[ -]){0,2}[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+) ?, ?"
    r"([A-Z][A-Za-z]{1,9})(?![\w@])"
)
#: What may stand between the words of one place name ("Stratford-upon-Avon", "St. Louis").
_WITHIN_NAME = re.compile(r"[\s\-.'’]*")


@functools.cache
def _town_lines() -> tuple[tuple[str, bool], ...]:
    """``(name, is also a person's name)`` per entry of ``data/towns.txt``."""
    entries = (line.split("\t") for line in read_list("towns.txt"))
    return tuple((e[0].strip(), e[1:] == ["name"]) for e in entries if _WORD.search(e[0]))


@functools.cache
def towns() -> frozenset[str]:
    """The GeoNames towns looked for (lower case), without those of the curated list."""
    looked_for = (name for name, is_name in _town_lines() if not is_name)
    return frozenset(looked_for) - PLACES - CAPITALISED_ONLY


@functools.cache
def known_places() -> frozenset[str]:
    """Every place name the gazetteers know, also those not looked for ("savannah")."""
    every_town = (name for name, _ in _town_lines())
    return PLACES | CAPITALISED_ONLY | AMBIGUOUS_PLACES | frozenset(every_town)


@functools.cache
def _index() -> dict[str, list[tuple[tuple[str, ...], Tier]]]:
    """First word -> the place names (as word tuples) starting with it, longest first."""
    index: dict[str, list[tuple[tuple[str, ...], Tier]]] = {}
    tiers: list[tuple[frozenset[str], Tier]] = [
        (PLACES | CAPITALISED_ONLY, "major"),
        (towns(), "town"),
    ]
    for names, tier in tiers:
        for name in names:
            words = tuple(_WORD.findall(name))
            index.setdefault(words[0], []).append((words, tier))
    for entries in index.values():
        entries.sort(key=lambda entry: len(entry[0]), reverse=True)
    return index


def find_places(text: str) -> list[tuple[int, int, Tier]]:
    """``(start, end, tier)`` of each gazetteer place and state code in ``text``."""
    index = _index()
    words = list(_WORD.finditer(text))
    lowered = [w.group().lower() for w in words]
    found: list[tuple[int, int, Tier]] = []
    i = 0
    while i < len(words):
        for name, tier in index.get(lowered[i], ()):
            if tuple(lowered[i : i + len(name)]) != name:
                continue
            start, end = words[i].start(), words[i + len(name) - 1].end()
            if not _is_whole_place(text, start, end, " ".join(name), tier):
                continue
            found.append((start, end, tier))
            i += len(name) - 1
            break
        i += 1
    return _with_state_codes(text, found)


def _with_state_codes(text: str, found: list[tuple[int, int, Tier]]) -> list[tuple[int, int, Tier]]:
    """Add "<place>, <state code>": the code (tier ``major``), and the place when the
    gazetteers did not find it there (tier ``town``: a PERSON of the model on it stands)."""
    if "," not in text:
        return found
    covered = bytearray(len(text))  # positions inside a place already found
    for start, end, _ in found:
        covered[start:end] = b"\x01" * (end - start)
    out = list(found)
    common = common_words()
    for match in _PLACE_AND_STATE.finditer(text):
        code = match.group(2)
        if code not in STATE_CODES and code not in STATE_WORDS:
            continue
        place_start, place_end = match.span(1)
        if in_organisation_name(text, place_start, place_end):
            continue
        found_place = any(covered[place_start:place_end])
        if code in STATE_WORDS and not found_place:
            continue  # "Love, Mo", "Austin, ID please", "Hello, Georgia": not a place
        if not found_place and match.group(1).split()[0].lower() in common:
            continue  # "Hi Mark, CA": a greeting
        out.append((match.start(2), match.end(2), "major"))
        if not found_place:
            out.append((place_start, place_end, "town"))
    return sorted(out)


def _is_whole_place(text: str, start: int, end: int, name: str, tier: Tier) -> bool:
    """The words stand as one place: on one line, only blanks, hyphens, dots or apostrophes
    between them, not part of a handle, not in a team's or an organisation's name; a town or
    a CAPITALISED_ONLY name only capitalised (a town's first and last word)."""
    words = list(_WORD.finditer(text, start, end))
    gaps = (text[a.end() : b.start()] for a, b in zip(words, words[1:], strict=False))
    if "\n" in text[start:end] or not all(_WITHIN_NAME.fullmatch(g) for g in gaps):
        return False
    if start > 0 and text[start - 1] in "@_":
        return False
    if end < len(text) and text[end] in "_@":
        return False
    if name in CAPITALISED_ONLY and not text[start].isupper():
        return False
    if tier == "town" and not (words[0].group()[0].isupper() and words[-1].group()[0].isupper()):
        return False
    return not in_organisation_name(text, start, end)


class PlaceGazetteerRecognizer(SpanRecognizer):
    """LOCATION from the gazetteers (see the module docstring); the tier is kept in the
    result's metadata (``gazetteer``) for the detector's PERSON / LOCATION arbitration."""

    ENTITIES: ClassVar[tuple[str, ...]] = ("LOCATION",)

    def spans(self, text: str, entities: list[str], nlp_artifacts: Any) -> Iterable[Span]:
        for start, end, tier in find_places(text):
            yield "LOCATION", start, end, SCORE, {GAZETTEER_KEY: tier}
