"""Which PERSON / LOCATION spans of the English NER model to keep, and what text it sees.

The small spaCy model was trained on edited news text; on social posts it calls platform
and brand names people ("Twitter API", "Reddit"), tags contraction pieces ("n’t") and
capitalised common words ("Photo", "Shirt"), and reads shouting ("I LOVE THIS SHIRT") as
a string of names. The rules here are about the *form* of a span, plus one small deny list
of names that are never a private person or a place (platforms, apps, brands, products,
and words of social-media jargon): see :data:`NOT_A_NAME`.
"""

from __future__ import annotations

import functools
import re
from typing import Final

from audit.detectors.pii.wordlists import read_list

#: Recognition-metadata key naming the gazetteer tier ("major" / "town") of a LOCATION
#: result (``places.py``), read where model and gazetteer disagree.
GAZETTEER_KEY: Final = "gazetteer"


def wordlist(text: str) -> frozenset[str]:
    """The whitespace-separated words of a word-list literal."""
    return frozenset(text.split())


#: Platforms, apps, brands, products and social-media words the model mistakes for names
#: or places. Lower-case; a span is dropped when each of its words is here or in
#: :data:`GENERIC_WORDS`.
NOT_A_NAME: Final[frozenset[str]] = wordlist(
    """
    twitter tweet tweets retweet rt x reddit redditor subreddit facebook fb instagram insta ig
    tiktok youtube yt snapchat snap whatsapp telegram signal discord twitch linkedin pinterest
    tumblr mastodon bluesky bsky threads vine myspace flickr vimeo soundcloud spotify itunes
    apple iphone ipad ipod imac macbook airpods ios android samsung galaxy pixel google gmail
    chrome youtube microsoft windows xbox playstation ps4 ps5 nintendo switch wii alexa
    kindle netflix hulu disney uber lyft airbnb paypal venmo cashapp zoom skype slack github
    gitlab wordpress blogspot medium substack patreon onlyfans kickstarter gofundme etsy ebay
    shopify tesla nike adidas gucci starbucks mcdonalds coca cola pepsi lego barbie chatgpt
    openai gpt bitcoin btc ethereum eth crypto nft nfts emoji emojis gif gifs meme memes
    selfie selfies photo photos pic pics video videos vid vids livestream stream podcast
    blog vlog post posts repost dm dms pm follow followers unfollow like likes hashtag
    shirt tshirt t-shirt hoodie dress shoes outfit ootd lol lmao lmfao rofl omg omfg wtf smh
    tbh imo imho idk ikr btw fyi brb ily ty thx pls plz bff fam bae yolo fomo tbt fbf ff
    hbd xoxo haha hahaha hehe happy birthday congrats merry christmas xmas new year love
    api app apps wifi bluetooth usb pdf html url www http https com
    """
)
#: Words that only qualify a name in NOT_A_NAME ("Twitter API", "Reddit app", "Google Maps").
GENERIC_WORDS: Final[frozenset[str]] = wordlist(
    "api app apps official inc co ltd llc corp account page feed story stories live maps "
    "store play music tv plus pro max mini news the"
)
#: Common words the model tags as a one-word name or place when capitalised: weekdays,
#: months that are not also given names, zodiac signs, family and address words, celestial
#: bodies, words of posting and contact labels ("Tel", "Email"). Only one-word spans are dropped ("Sun" but not "Sun Yat-sen").
COMMON_WORDS: Final[frozenset[str]] = wordlist(
    """
    monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs
    fri sat sun january february march september october november december jan feb mar apr
    jun jul aug sep sept oct nov dec aries taurus gemini cancer leo virgo libra scorpio
    sagittarius capricorn aquarius pisces mum mom mommy mummy dad daddy mama papa bro sis
    babe baby bae hun hubby wifey bestie boss dude mate sir madam miss mister moon earth
    weather today tonight tomorrow yesterday morning mornin night nite download update info
    alert breaking news live watch listen read shop sale deal free win giveaway contest link
    bio check click subscribe pls plz thanks thank welcome hello hi hey bye goodnight
    tel tele phone mobile cell email mail fax address call text dm contact
    """
)
#: An interjection or a word with a letter stretched three times ("aaaah", "wtffff").
_INTERJECTION = re.compile(
    r"^(?:a+w+|h+a+(?:h+a+)+|he+(?:he+)+|lo+l+|lma+o+|o+m+g+|u+g+h+|h+m+|u+m+n?|w+o+w+|"
    r"wo+p+|ya+y+|a+h+|o+h+|ye+a+h*|wt+f+|a+r+g+h*|x+o+(?:x+o+)*)$|(\w)\1\1",
    re.IGNORECASE,
)
#: Words right before a lower-case name that make it one ("with sarah", "i'm tom").
_INTRODUCES_PERSON = re.compile(
    r"\b(?:with|and|name\s+is|named|called|i['’]?m|i\s+am|this\s+is|meet|met|hi|hey|dear|"
    r"thanks|thank\s+you|love\s+you|miss\s+you|ask|tell|told)\s+$",
    re.IGNORECASE,
)
#: One CamelCase word: a hashtag or handle written without its sign ("RT MurrayBuchanan :",
#: "# GoldenGlobes"), not a name; names with an inner capital have a short prefix
#: ("McDonald", "DiCaprio", "LeBron") or one of these ("MacKenzie", "VanDyke", "FitzGerald").
_CAMEL_CASE = re.compile(
    r"^(?!(?:Mac|Van|Von|Fitz|Della|Dela|Del|Den|Der|Des|Ter)[A-Z])[A-Z]?[a-z]{2,}[A-Z]\w*$"
)
#: Capitalised words after a place that make it part of a team's, club's or organisation's
#: name ("Manchester United", "Santa Monica College", "Malaysia Airlines", "Chicago
#: Tribune"); in lower case they are the post's own words ("the Texas heat", "Paris city").
_ORGANISATION_AFTER = re.compile(
    r"[ \t]+(?=[A-Z0-9])(?i:united|utd|city|fc|afc|rovers|wanderers|athletic|county|town|"
    r"albion|rangers|celtic|hotspur|villa|forest|cfc|lfc|mufc|mcfc|giants|jets|knicks|lakers|"
    r"dodgers|yankees|mets|bulls|cubs|heat|spurs|rockets|raiders|chargers|eagles|patriots|"
    r"cowboys|bears|packers|49ers|warriors|clippers|nets|bruins|flyers|kings|fans|xi|"
    r"college|university|uni|academy|times|post|herald|tribune|journal|gazette|chronicle|"
    r"telegraph|airlines|airways)\b"
)
#: Words before a place that make it part of a title or an organisation's name.
_ORGANISATION_BEFORE = re.compile(
    r"\b(?:(?:duke|duchess|prince|princess|earl|countess|bank|bishop)\s+of|air)\s+$",
    re.IGNORECASE,
)
#: Contraction and possessive pieces ("n’t", "'s", "’re") the tokenizer splits off.
_CONTRACTION = re.compile(r"^(?:n[’']t|[’'](?:s|re|ll|ve|d|m|t))$", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:[’'\-][^\W_]+)*")
_LETTER = re.compile(r"[^\W\d_]")
#: Letters in a text above which, with this share in upper case, the text is shouting.
SHOUTING_MIN_LETTERS: Final = 12
SHOUTING_UPPER_SHARE: Final = 0.7


def _words(span: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(span)]


@functools.cache
def common_words() -> frozenset[str]:
    """Everyday English words that are not given names or surnames (``data/common_words.txt``,
    built by ``tools/pii_wordlists.py``: "breach", "acted", "library"; not "harry", "ken")."""
    return frozenset(read_list("common_words.txt"))


def only_common_words(span: str) -> bool:
    """Whether every word of ``span`` is a common word: "Officers Acted Improperly", "Breach"
    (an initial, "J." in "J. Cole", is a name's: such a span is not all common words)."""
    words = [w.removesuffix("'s").removesuffix("’s") for w in _words(span)]
    common = common_words()
    return bool(words) and all(len(w) > 1 and w in common for w in words)


def is_shouting(text: str) -> bool:
    """Whether ``text`` is written (almost) all in capitals."""
    letters = sum(map(str.isalpha, text))
    if letters < SHOUTING_MIN_LETTERS:
        return False
    return sum(map(str.isupper, text)) >= SHOUTING_UPPER_SHARE * letters


def ner_input(text: str) -> str:
    """The text the NER model sees: shouting is lower-cased (same length, same offsets).

    In all-caps text every word looks like a name to a cased model; in lower case it keeps
    only the spans it is sure of (it does find lower-case names: "my name is vitoria").
    """
    if is_shouting(text):
        lowered = text.lower()
        if len(lowered) == len(text):  # a few characters change length when lower-cased
            return lowered
    return text


def in_organisation_name(text: str, start: int, end: int) -> bool:
    """Whether the place ``text[start:end]`` is part of a team's, club's, organisation's or
    title's name ("Leeds FC", "Santa Monica College", "Bank of England", "Air Canada")."""
    return (
        _ORGANISATION_AFTER.match(text, end) is not None
        or _ORGANISATION_BEFORE.search(text, max(0, start - 30), start) is not None
    )


def keep_name_span(text: str, start: int, end: int, label: str = "PERSON") -> bool:
    """Whether a PERSON / LOCATION (``label``) span of the NER model is kept.

    Dropped: spans with fewer than two letters or with a digit, contraction pieces, handles,
    hashtags other than capitalised places, spans made only of platform / brand / jargon
    words (:data:`NOT_A_NAME`), one-word spans that are common words or interjections, and
    PERSON spans in all capitals, in one CamelCase word, of one lower-case word not
    introduced as a person, or made only of everyday words (:func:`only_common_words`), and
    LOCATION spans in an organisation's name (:func:`in_organisation_name`).
    """
    span = text[start:end].strip()
    letters = _LETTER.findall(span)
    if len(letters) < 2 or _CONTRACTION.match(span) or span[:1] in ("'", "’"):
        return False
    if any(c.isdigit() for c in span):
        return False  # "Connelly 2", "Oct 20th- Nov 3rd": names and places have no digits
    if label == "PERSON" and span.isupper():
        return False  # shouting or an acronym (right 17% of the time on the dev sets)
    if label == "PERSON" and _CAMEL_CASE.match(span):
        return False
    if label == "LOCATION" and in_organisation_name(text, start, end):
        return False
    # A lone lower-case word is slang more often than a name (right 22% of the time),
    # unless the words before it introduce a person: "with sarah", "my name is vitoria".
    lone_lower = label == "PERSON" and span.islower() and " " not in span
    if lone_lower and not _INTRODUCES_PERSON.search(text, max(0, start - 20), start):
        return False
    if start > 0 and text[start - 1] == "@":
        return False  # part of a handle (SOCIAL_HANDLE's business), not a name in running text
    if start > 0 and text[start - 1] == "#" and not _is_place_hashtag(label, span):
        return False
    words = [w.removesuffix("'s").removesuffix("’s") for w in _words(span.lstrip("#"))]
    if words and all(w in NOT_A_NAME or w in GENERIC_WORDS for w in words):
        return False
    one_common_word = len(words) == 1 and (
        words[0] in COMMON_WORDS or _INTERJECTION.search(words[0]) is not None
    )
    if one_common_word:
        return False
    # Capitalised common words are headline case, not a name ("Multiple Wounded", "Breach"):
    # on the dev sets such PERSON spans were wrong 5 times in 6.
    return not (label == "PERSON" and only_common_words(span))


def trim_name_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without leading / trailing jargon, common words or interjections.

    "omg jake" → "jake", "Happy Sarah" → "Sarah"; a span made only of such words comes back
    empty (start == end).
    """
    words = list(_WORD.finditer(text, start, end))

    def noise(word: str) -> bool:
        lowered = word.lower()
        return (
            lowered in NOT_A_NAME or lowered in COMMON_WORDS or bool(_INTERJECTION.search(lowered))
        )

    while words and noise(words[0].group()):
        words.pop(0)
    while words and noise(words[-1].group()):
        words.pop()
    if not words:
        return start, start
    return words[0].start(), words[-1].end()


def _is_place_hashtag(label: str, span: str) -> bool:
    """A hashtag kept as a name: only a place written as one capitalised word ("#Paris").

    On tweets (WNUT-16 dev set) hashtags tagged PERSON were wrong 418 times in 428
    ("#MarkBam", "#ChattanoogaShooting"); capitalised place hashtags were right 2 in 3.
    """
    return label == "LOCATION" and span[:1].isupper() and not any(c.isupper() for c in span[1:])
