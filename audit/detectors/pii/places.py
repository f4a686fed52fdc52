"""LOCATION from a small gazetteer: countries, US states, regions and large cities.

The small English model misses places in lower case ("moving to barcelona"), in hashtags
("#Chattanooga") and many it has rarely seen in news text ("Doncaster", "Truro"). A place
name from this list is reported wherever it stands as a whole word (like the model, it runs on English and undetermined text
only, so a caption in Malayalam does not get "kerala" as a finding), except where the words after it make it a team or a club
("Manchester United", "Leeds FC").

Names that are also common words or given names are left out ("Nice", "Reading", "Bath",
"Chad", "Jordan", "Georgia", "Victoria", "Florence", "Kent", "Austin", "Sofia"), or only count capitalised
(:data:`CAPITALISED_ONLY`: "Turkey", "China", "Wales", "Queens"), so lists like this one
trade a little recall for precision. Score 0.7, under the NER model's 0.85.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any, ClassVar, Final

from audit.detectors.pii.spans import Span, SpanRecognizer

SCORE: Final = 0.7

#: One place a line group; multi-word names are matched with any spacing.
PLACES: Final[frozenset[str]] = frozenset(
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
) - {
    "nice",
    "florence",
    "rio",
    "york",
    "stoke",
    "cork",
    "queens",
    "sofia",
    "austin",
    "phoenix",
    "santiago",
    "lima",
}
#: Names that are places only when capitalised (lower case they are common words).
CAPITALISED_ONLY: Final[frozenset[str]] = frozenset(
    {"china", "turkey", "wales", "chile", "guinea", "niger", "mali", "oman", "cork", "york",
     "stoke", "rio", "queens", "lima"}
)  # fmt: skip
#: Words after a place that make it a team or club, not a place.
_TEAM = re.compile(
    r"\s*(?:united|utd|city|fc|afc|rovers|wanderers|athletic|county|town|albion|rangers|"
    r"celtic|hotspur|villa|forest|wednesday|cfc|lfc|mufc|mcfc|giants|jets|knicks|lakers|"
    r"dodgers|yankees|mets|bulls|cubs|heat|spurs|rockets|raiders|chargers|eagles|patriots|"
    r"cowboys|bears|packers|49ers|warriors|clippers|nets|bruins|flyers|kings)\b",
    re.IGNORECASE,
)


#: A word of letters or digits (place names are matched word by word, not by one big
#: alternation regex: ~5x less CPU on captions).
_WORD = re.compile(r"[^\W_]+")


@functools.cache
def _index() -> dict[str, list[tuple[str, ...]]]:
    """First word -> the place names (as word tuples) starting with it, longest first."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for name in PLACES | CAPITALISED_ONLY:
        words = tuple(_WORD.findall(name))
        index.setdefault(words[0], []).append(words)
    for names in index.values():
        names.sort(key=len, reverse=True)
    return index


def find_places(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each gazetteer place in ``text``."""
    index = _index()
    words = list(_WORD.finditer(text))
    lowered = [w.group().lower() for w in words]
    found: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        for name in index.get(lowered[i], ()):
            if tuple(lowered[i : i + len(name)]) != name:
                continue
            start, end = words[i].start(), words[i + len(name) - 1].end()
            if not _is_whole_place(text, start, end, " ".join(name)):
                continue
            found.append((start, end))
            i += len(name) - 1
            break
        i += 1
    return found


def _is_whole_place(text: str, start: int, end: int, name: str) -> bool:
    """The words stand as a place: on one line, not part of a handle, not a team."""
    if "\n" in text[start:end]:
        return False
    if start > 0 and text[start - 1] in "@_":
        return False
    if end < len(text) and text[end] in "_@":
        return False
    if name in CAPITALISED_ONLY and not text[start].isupper():
        return False
    return _TEAM.match(text, end) is None


class PlaceGazetteerRecognizer(SpanRecognizer):
    """LOCATION from the gazetteer (see the module docstring)."""

    ENTITIES: ClassVar[tuple[str, ...]] = ("LOCATION",)

    def spans(self, text: str, entities: list[str], nlp_artifacts: Any) -> Iterable[Span]:
        for start, end in find_places(text):
            yield "LOCATION", start, end, SCORE, {}
