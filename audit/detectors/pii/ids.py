"""Government identifiers: PASSPORT, DRIVER_LICENSE and NATIONAL_ID (US_SSN stays presidio's).

Each scheme is one row of :data:`SCHEMES`: an ID-shaped regex, an optional checksum from
python-stdnum, its context words, and the score it gets *without* context (None: the scheme
is reported only with a context word nearby, because its shape alone — 9 or 11 plain
digits — is also an order number or a phone). With context a match scores 0.85.

=====  ======================================================================================
0.85   any scheme with a context word before it ("passport no.", "DNI", "Aadhaar", …)
0.8    a specific shape with a checksum: Italian codice fiscale, Brazilian CPF
0.6    a specific shape, checksum where one exists: UK NINO, Spanish DNI/NIE, Indian PAN,
       French NIR, UK driving licence number
0.4    a 4-4-4 digit group passing Aadhaar's Verhoeff check, without context
=====  ======================================================================================

Matches carry ``scheme`` (e.g. ``es.dni``) in their recognition metadata.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from audit.detectors.pii.context import words_regex
from audit.detectors.pii.spans import Span, SpanRecognizer

SCORE_WITH_CONTEXT: Final = 0.85
#: Context words must end at most this many characters before the ID.
CONTEXT_GAP: Final = 30


@dataclass(frozen=True)
class Scheme:
    """One identifier scheme (see the module docstring)."""

    name: str
    entity: str
    regex: re.Pattern[str]
    context: re.Pattern[str]
    score_alone: float | None = None
    validate: Callable[[str], bool] | None = None


def _stdnum(module: str) -> Callable[[str], bool]:
    """``is_valid`` of a python-stdnum module, imported on first use."""

    def check(value: str) -> bool:
        import importlib

        return bool(importlib.import_module(f"stdnum.{module}").is_valid(value))

    return check


def _id(pattern: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + pattern + r")(?![\w-])")


_NUMBER_WORD = r"(?:\s*(?:no\.?|nr\.?|number|num\.?|#|nº|n°|numéro|nummer|número|numero|id))?"

PASSPORT_CONTEXT = words_regex(
    ("passport", "passeport", "reisepass", "pasaporte", "passaporto", "paspoort", "paszport",
     "pasaport", "passaporte", "travel document")
)  # fmt: skip
LICENSE_CONTEXT = words_regex(
    ("driver's licen", "drivers licen", "driver licen", "driving licen", "dl#", "dl no",
     "dl number", "licence no", "license no", "licence number", "license number",
     "führerschein", "permis de conduire", "carnet de conducir", "licencia de conducir",
     "patente", "rijbewijs", "prawo jazdy", "carteira de motorista", "cnh")
)  # fmt: skip

SCHEMES: Final[tuple[Scheme, ...]] = (
    Scheme("passport", "PASSPORT", _id(r"[A-Z]{0,3}\d{6,9}[A-Z]?|\d{2}[A-Z]{2}\d{5}"), PASSPORT_CONTEXT),
    Scheme("driver_license", "DRIVER_LICENSE", _id(r"(?=(?:[A-Z-]*\d){4})[A-Z0-9][A-Z0-9-]{4,17}"), LICENSE_CONTEXT),
    Scheme("gb.driving_licence", "DRIVER_LICENSE", _id(r"[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2}"), LICENSE_CONTEXT, 0.6),
    Scheme("gb.nino", "NATIONAL_ID",
           _id(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]"),
           words_regex(("national insurance", "ni number", "ni no", "nino", "nin")), 0.6),
    Scheme("es.dni", "NATIONAL_ID", _id(r"\d{8}-?[A-Z]"),
           words_regex(("dni", "nif", "documento", "d.n.i")), 0.6, _stdnum("es.dni")),
    Scheme("es.nie", "NATIONAL_ID", _id(r"[XYZ]-?\d{7}-?[A-Z]"),
           words_regex(("nie", "n.i.e", "extranjero")), 0.6, _stdnum("es.nie")),
    Scheme("it.codicefiscale", "NATIONAL_ID",
           _id(r"[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z]"),
           words_regex(("codice fiscale", "c.f.", "cf")), 0.8, _stdnum("it.codicefiscale")),
    Scheme("fr.nir", "NATIONAL_ID",
           _id(r"[12] ?\d{2} ?\d{2} ?(?:\d{2}|2A|2B) ?\d{3} ?\d{3} ?\d{2}"),
           words_regex(("sécurité sociale", "securite sociale", "sécu", "secu", "nir", "insee")),
           0.6, lambda v: _stdnum("fr.nir")(v.replace(" ", ""))),
    Scheme("br.cpf", "NATIONAL_ID", _id(r"\d{3}\.\d{3}\.\d{3}-\d{2}"),
           words_regex(("cpf",)), 0.8, _stdnum("br.cpf")),
    Scheme("in.aadhaar", "NATIONAL_ID", _id(r"[2-9]\d{3} \d{4} \d{4}"),
           words_regex(("aadhaar", "aadhar", "uidai", "uid")), 0.4, _stdnum("in_.aadhaar")),
    Scheme("in.aadhaar", "NATIONAL_ID", _id(r"[2-9]\d{11}"),
           words_regex(("aadhaar", "aadhar", "uidai")), None, _stdnum("in_.aadhaar")),
    Scheme("in.pan", "NATIONAL_ID", _id(r"[A-Z]{3}[PCHFATBLJG][A-Z]\d{4}[A-Z]"),
           words_regex(("pan", "permanent account")), 0.6),
    Scheme("nl.bsn", "NATIONAL_ID", _id(r"\d{4}\.?\d{2}\.?\d{3}|\d{9}"),
           words_regex(("bsn", "burgerservicenummer", "sofinummer")), None, _stdnum("nl.bsn")),
    Scheme("de.idnr", "NATIONAL_ID", _id(r"\d{2} ?\d{3} ?\d{3} ?\d{3}"),
           words_regex(("steuer-id", "steuerid", "steueridentifikationsnummer", "idnr",
                        "steuernummer")), None, lambda v: _stdnum("de.idnr")(v.replace(" ", ""))),
    Scheme("de.personalausweis", "NATIONAL_ID", _id(r"(?=(?:[A-Z]*\d){4})[CFGHJKLMNPRTVWXYZ0-9]{9}\d?"),
           words_regex(("personalausweis", "ausweisnummer", "ausweis-nr", "ausweis nr"))),
    Scheme("pl.pesel", "NATIONAL_ID", _id(r"\d{11}"), words_regex(("pesel",)), None,
           _stdnum("pl.pesel")),
    Scheme("ca.sin", "NATIONAL_ID", _id(r"\d{3}[ -]?\d{3}[ -]?\d{3}"),
           words_regex(("social insurance", "sin#", "sin no", "sin number", "my sin")), None,
           _stdnum("ca.sin")),
    Scheme("au.tfn", "NATIONAL_ID", _id(r"\d{3} ?\d{3} ?\d{2,3}"),
           words_regex(("tax file number", "tfn")), None, lambda v: _stdnum("au.tfn")(v)),
    Scheme("national_id", "NATIONAL_ID", _id(r"(?=(?:[A-Z-]*\d){6})[A-Z0-9][A-Z0-9-]{5,17}"),
           words_regex(("national id", "id card", "identity card", "id number", "id no",
                        "carte d'identité", "carte d'identite", "cédula", "cedula",
                        "documento de identidad", "carta d'identità", "carta d'identita",
                        "identiteitskaart", "dowód osobisty", "kimlik"))),
)  # fmt: skip


def _context_before(text: str, start: int, regex: re.Pattern[str]) -> bool:
    """A context word ends within CONTEXT_GAP characters before ``start``."""
    window = text[max(0, start - CONTEXT_GAP - 30) : start].lower()
    return any(len(window) - m.end() <= CONTEXT_GAP for m in regex.finditer(window))


def find_ids(
    text: str, entities: list[str] | None = None
) -> list[tuple[int, int, float, str, str]]:
    """``(start, end, score, entity type, scheme)`` of every government ID (one per span)."""
    found: list[tuple[int, int, float, str, str]] = []
    for scheme in SCHEMES:
        if entities is not None and scheme.entity not in entities:
            continue
        for match in scheme.regex.finditer(text):
            start, end = match.span()
            if any(s < end and start < e for s, e, *_ in found):
                continue
            if scheme.validate is not None:
                try:
                    if not scheme.validate(match.group()):
                        continue
                except Exception:  # noqa: BLE001 - a validator's odd input is just "no"
                    continue
            if _context_before(text, start, scheme.context):
                score: float | None = SCORE_WITH_CONTEXT
            else:
                score = scheme.score_alone
            if score is not None:
                found.append((start, end, score, scheme.entity, scheme.name))
    return sorted(found)


class GovernmentIdRecognizer(SpanRecognizer):
    """Passports, driving licences and national IDs (see the module docstring)."""

    ENTITIES: ClassVar[tuple[str, ...]] = ("PASSPORT", "DRIVER_LICENSE", "NATIONAL_ID")

    def spans(self, text: str, entities: list[str], nlp_artifacts: Any) -> Iterable[Span]:
        for start, end, score, entity, scheme in find_ids(text, entities):
            yield entity, start, end, score, {"scheme": scheme}
