"""Fake but well-formed PII values for synthetic captions (no real people, no real numbers).

Each generator takes a seeded :class:`random.Random` so callers stay deterministic. Values
are valid where a detector checks validity: card numbers pass Luhn, IBANs pass ISO 7064
mod-97, SSNs avoid the never-issued areas (000, 666, 900-999), US phone numbers use the
fictional 555-01xx block, and e-mail/URL domains are the reserved example.* names.
"""

from __future__ import annotations

import random
import string

FIRST_NAMES = (
    "Maria", "Aisha", "Chen", "Olumide", "Priya", "Sven", "Fatima", "Diego", "Yuki", "Amara",
    "Liam", "Noor", "Mateo", "Ingrid", "Kwame", "Sofia", "Rahul", "Hana", "Tomasz", "Leila",
    "Jamal", "Elena", "Kenji", "Zanele", "Oscar", "Mei", "Ahmed", "Camille", "Thabo", "Anya",
)  # fmt: skip
LAST_NAMES = (
    "Gonzalez", "Okafor", "Nguyen", "Schmidt", "Patel", "Kowalski", "Haddad", "Silva",
    "Tanaka", "Mensah", "O'Brien", "Johansson", "Rossi", "Kim", "Dubois", "Abubakar",
    "Fernandes", "Yilmaz", "Novak", "Sato", "Ivanova", "Mahlangu", "Chowdhury", "Murphy",
)  # fmt: skip
CITIES = (
    "Lisbon", "Nairobi", "Osaka", "Toronto", "Austin", "Melbourne", "Krakow", "Bogotá",
    "Manchester", "Seoul", "Marseille", "Accra", "Denver", "Hamburg", "Chennai", "Valparaíso",
)  # fmt: skip
STREETS = ("Maple Street", "Oak Avenue", "Harbor Road", "Elm Drive", "Sunset Boulevard",
           "Mill Lane", "Cedar Court", "Bridge Street", "Lakeview Terrace", "Pine Way")  # fmt: skip
US_PLACES = (("Springfield", "IL"), ("Portland", "OR"), ("Madison", "WI"), ("Tucson", "AZ"),
             ("Raleigh", "NC"), ("Boise", "ID"), ("Albany", "NY"))  # fmt: skip
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip


def person(rng: random.Random) -> str:
    """A full name, first and last."""
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def city(rng: random.Random) -> str:
    """A city name (entity LOCATION)."""
    return rng.choice(CITIES)


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def handle(rng: random.Random) -> str:
    """A social handle such as ``@maria_k92``."""
    first = _slug(rng.choice(FIRST_NAMES))
    suffix = rng.choice(["", "_", "."]) + rng.choice(["", str(rng.randint(1, 99)), "x"])
    return "@" + (first + suffix).rstrip("._")


def email(rng: random.Random) -> str:
    """An address on a reserved example domain."""
    first, last = _slug(rng.choice(FIRST_NAMES)), _slug(rng.choice(LAST_NAMES))
    local = rng.choice([f"{first}.{last}", f"{first}{rng.randint(1, 99)}", f"{first[0]}{last}"])
    return f"{local}@{rng.choice(['example.com', 'example.org', 'mail.example.net'])}"


def phone(rng: random.Random) -> str:
    """A US (fictional 555-01xx) or international phone number in a common format."""
    area, line = rng.choice(["415", "212", "617", "312", "503"]), f"01{rng.randint(0, 99):02d}"
    formats = [
        f"({area}) 555-{line}",
        f"{area}-555-{line}",
        f"+1 {area} 555 {line}",
        f"+44 20 7946 {rng.randint(0, 999):04d}",
        f"+49 30 {rng.randint(100000, 999999)}",
        f"+33 1 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
        f"+91 98{rng.randint(100, 999)} {rng.randint(10000, 99999)}",
    ]
    return rng.choice(formats)


def street_address(rng: random.Random) -> str:
    """A full US street address with city, state and ZIP."""
    place, state = rng.choice(US_PLACES)
    return f"{rng.randint(12, 9899)} {rng.choice(STREETS)}, {place}, {state} {rng.randint(10000, 99950)}"


def luhn_check_digit(payload: str) -> str:
    """The Luhn check digit that makes ``payload + digit`` valid."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:  # doubled positions, counted from the digit left of the check digit
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    """True when the digits of ``number`` (separators ignored) pass the Luhn check."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return len(digits) > 1 and luhn_check_digit(digits[:-1]) == digits[-1]


def credit_card(rng: random.Random) -> str:
    """A Luhn-valid Visa, Mastercard or Amex number, plain or grouped."""
    prefix, length = rng.choice([("4", 16), (str(rng.randint(51, 55)), 16), ("37", 15)])
    payload = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    number = payload + luhn_check_digit(payload)
    sep = rng.choice(["", " ", "-"])
    groups = (
        [number[:4], number[4:10], number[10:]]
        if length == 15
        else [number[i : i + 4] for i in range(0, 16, 4)]
    )
    return sep.join(groups)


#: BBAN layouts: country -> list of (kind, length); kind "n" digits, "a" upper-case letters.
_IBAN_LAYOUTS = {
    "DE": [("n", 18)],
    "GB": [("a", 4), ("n", 14)],
    "FR": [("n", 23)],
    "NL": [("a", 4), ("n", 10)],
    "ES": [("n", 20)],
}


def iban_check_digits(country: str, bban: str) -> str:
    """The two ISO 7064 mod-97 check digits for ``country`` + ``bban``."""
    rearranged = bban + country + "00"
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return f"{98 - int(numeric) % 97:02d}"


def iban_valid(iban: str) -> bool:
    """True when ``iban`` (spaces ignored) passes the mod-97 check."""
    compact = iban.replace(" ", "").upper()
    numeric = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])
    return len(compact) > 4 and int(numeric) % 97 == 1


def iban(rng: random.Random) -> str:
    """A checksum-valid IBAN, compact or in groups of four."""
    country = rng.choice(sorted(_IBAN_LAYOUTS))
    alphabet = {"n": string.digits, "a": string.ascii_uppercase}
    bban = "".join(
        rng.choice(alphabet[kind]) for kind, length in _IBAN_LAYOUTS[country] for _ in range(length)
    )
    compact = country + iban_check_digits(country, bban) + bban
    if rng.random() < 0.5:
        return compact
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def ssn(rng: random.Random) -> str:
    """A valid-format US SSN: area 001-899 except 666, group 01-99, serial 0001-9999."""
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def ip_address(rng: random.Random) -> str:
    """An IPv4 address from the documentation ranges, or an IPv6 one from 2001:db8::/32."""
    if rng.random() < 0.15:
        return f"2001:db8:{rng.randint(1, 0xFFFF):x}::{rng.randint(1, 0xFFFF):x}"
    net = rng.choice(["192.0.2", "198.51.100", "203.0.113"])
    return f"{net}.{rng.randint(1, 254)}"


def url(rng: random.Random) -> str:
    """A web address on an example domain."""
    slug = rng.choice(["blog/my-trip", "shop/item-4821", "p/8823", "gallery?id=77", "about"])
    return f"https://{rng.choice(['www.example.com', 'example.org', 'blog.example.net'])}/{slug}"


def birth_date(rng: random.Random) -> str:
    """A birth date as written in posts (US, ISO or long form), years 2005-2014."""
    year, month, day = rng.randint(2005, 2014), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(
        [
            f"{month:02d}/{day:02d}/{year}",
            f"{year}-{month:02d}-{day:02d}",
            f"{day} {MONTHS[month - 1]} {year}",
        ]
    )
