"""CRYPTO: Bitcoin (legacy, P2SH, bech32/bech32m) and Ethereum wallet addresses.

A wallet address is a payment identifier tied to a person (and, through chain analysis,
to all their transactions). Bitcoin addresses carry checksums, so a checked one is certain;
Ethereum's ``0x`` + 40 hex digits has no checksum in lower case, but nothing else in social
text has that shape except a truncated 64-digit transaction hash (excluded by the word
boundary).

=====  ====================================================================
0.95   Bitcoin address whose base58check / bech32(m) checksum verifies
0.8    Ethereum address (``0x`` + 40 hex digits)
+0.15  a wallet context word nearby (wallet, btc, eth, send, donate, …), at most 1.0
=====  ====================================================================
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any, ClassVar, Final

from audit.detectors.pii.context import has_context, words_regex
from audit.detectors.pii.spans import Span, SpanRecognizer

BASE58: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32: Final = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

LEGACY: Final = re.compile(r"(?<![\w/])[13][1-9A-HJ-NP-Za-km-z]{25,34}(?!\w)")
SEGWIT: Final = re.compile(r"(?<![\w/])(?:bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{11,71}(?!\w)")
ETHEREUM: Final = re.compile(r"(?<![\w/])0x[0-9a-fA-F]{40}(?![0-9a-zA-Z])")
CONTEXT: Final = words_regex(
    ("wallet", "btc", "bitcoin", "eth", "ether", "crypto", "send", "donat", "tip", "address",
     "usdt", "metamask", "sats")
)  # fmt: skip


def base58check_ok(address: str) -> bool:
    """Whether a legacy / P2SH address decodes to 25 bytes with a valid double-SHA256 checksum."""
    number = 0
    for char in address:
        number = number * 58 + BASE58.index(char)
    raw = number.to_bytes(25, "big") if number.bit_length() <= 200 else b""
    if len(raw) != 25:
        return False
    return hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4] == raw[-4:]


def _polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            checksum ^= generator[i] if (top >> i) & 1 else 0
    return checksum


def bech32_ok(address: str) -> bool:
    """Whether a ``bc1…`` address has a valid bech32 (v0) or bech32m (v1+) checksum."""
    if address.lower() != address and address.upper() != address:
        return False  # mixed case is invalid in bech32
    address = address.lower()
    hrp, data = address[:2], address[3:]
    values = [BECH32.index(c) for c in data]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    constant = _polymod(expanded + values)
    if not values:
        return False
    witness_version = values[0]
    return constant == (1 if witness_version == 0 else 0x2BC830A3)


def find_wallets(text: str) -> list[tuple[int, int, float, str]]:
    """``(start, end, score, coin)`` of every wallet address in ``text``."""
    found: list[tuple[int, int, float, str]] = []
    for match in LEGACY.finditer(text):
        if base58check_ok(match.group()):
            found.append((*match.span(), 0.95, "BTC"))
    for match in SEGWIT.finditer(text):
        if bech32_ok(match.group()):
            found.append((*match.span(), 0.95, "BTC"))
    for match in ETHEREUM.finditer(text):
        found.append((*match.span(), 0.8, "ETH"))
    return [
        (s, e, min(1.0, score + 0.15) if has_context(text, s, e, CONTEXT) else score, coin)
        for s, e, score, coin in found
    ]


class CryptoWalletRecognizer(SpanRecognizer):
    """Bitcoin and Ethereum addresses (see the module docstring)."""

    ENTITIES: ClassVar[tuple[str, ...]] = ("CRYPTO",)

    def spans(self, text: str, entities: list[str], nlp_artifacts: Any) -> Iterable[Span]:
        for start, end, score, coin in find_wallets(text):
            yield "CRYPTO", start, end, score, {"coin": coin}
