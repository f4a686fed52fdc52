"""Precision / recall / F1 of the ``pii`` detector per entity type, by span overlap.

Input formats (docs/DETECTORS.md):

- ``presidio``: presidio-research JSON, a list of
  ``{full_text, spans: [{entity_type, start_position, end_position}]}``.
- ``jsonl``: one ``{text, spans: [{entity_type, start, end}]}`` per line.

Gold label types are mapped to ours (:data:`LABEL_MAP`, e.g. GPE → LOCATION); gold types
with no counterpart in the detector (ORGANIZATION, TITLE, …) are ignored for scoring, and so
are predicted types absent from the gold set's vocabulary. A predicted span is a true
positive when it overlaps a gold span of the same (mapped) type; each gold span is matched at
most once.

Some corpora label an @-handle that names a person as PERSON (the Broad Twitter Corpus: two
thirds of its PERSON spans, often tokenised as "@ name"); others never do (WNUT-16). A
handle is an account identifier, which the detector reports as SOCIAL_HANDLE. So where the
gold set labels handles PERSON, the report adds a second view with those spans set apart
(:func:`handles_apart`, and predictions on them with them) next to the strict one.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from audit.errors import InputError
from audit.labels import LabelledText, Span

Format = Literal["presidio", "jsonl"]

#: Label vocabularies of common PII datasets → our entity types.
LABEL_MAP: dict[str, str] = {
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "CITY": "LOCATION",
    "COUNTRY": "LOCATION",
    "STREET_ADDRESS": "STREET_ADDRESS",
    "ADDRESS": "STREET_ADDRESS",
    "PER": "PERSON",
    "NAME": "PERSON",
    "DOMAIN_NAME": "URL",
    "PHONE": "PHONE_NUMBER",
    "EMAIL": "EMAIL_ADDRESS",
    "DATE": "DATE_TIME",
    "DOB": "DATE_TIME",
    "SSN": "US_SSN",
    "IBAN": "IBAN_CODE",
    "IP": "IP_ADDRESS",
    "PASSPORT": "PASSPORT",
    "US_PASSPORT": "PASSPORT",
    "UK_PASSPORT": "PASSPORT",
    "IN_PASSPORT": "PASSPORT",
    "IT_PASSPORT": "PASSPORT",
    "DRIVER_LICENSE": "DRIVER_LICENSE",
    "DRIVERS_LICENSE": "DRIVER_LICENSE",
    "US_DRIVER_LICENSE": "DRIVER_LICENSE",
    "IT_DRIVER_LICENSE": "DRIVER_LICENSE",
    "NATIONAL_ID": "NATIONAL_ID",
    "ID_NUMBER": "NATIONAL_ID",
    "UK_NINO": "NATIONAL_ID",
    "ES_NIF": "NATIONAL_ID",
    "ES_NIE": "NATIONAL_ID",
    "IT_FISCAL_CODE": "NATIONAL_ID",
    "IT_IDENTITY_CARD": "NATIONAL_ID",
    "IN_AADHAAR": "NATIONAL_ID",
    "IN_PAN": "NATIONAL_ID",
    "PL_PESEL": "NATIONAL_ID",
    "FI_PERSONAL_IDENTITY_CODE": "NATIONAL_ID",
    "CRYPTO": "CRYPTO",
    "CRYPTO_WALLET": "CRYPTO",
    "BTC_ADDRESS": "CRYPTO",
    "ETH_ADDRESS": "CRYPTO",
}

#: Stock presidio types that map onto one of ours (benchmarks ask stock presidio for them,
#: so both systems are scored on the same types).
STOCK_PRESIDIO_TYPES: frozenset[str] = frozenset(
    {
        "US_PASSPORT",
        "UK_PASSPORT",
        "IN_PASSPORT",
        "IT_PASSPORT",
        "US_DRIVER_LICENSE",
        "IT_DRIVER_LICENSE",
        "UK_NINO",
        "ES_NIF",
        "ES_NIE",
        "IT_FISCAL_CODE",
        "IT_IDENTITY_CARD",
        "IN_AADHAAR",
        "IN_PAN",
        "PL_PESEL",
        "FI_PERSONAL_IDENTITY_CODE",
    }
)


@dataclass
class TypeScore:
    """Counts and scores of one entity type."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 0 when there is no gold span."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        """Counts and rounded scores."""
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def map_type(label: str) -> str:
    """Our entity type for a gold label."""
    return LABEL_MAP.get(label, label)


def load_labelled(path: Path, fmt: Format) -> list[LabelledText]:
    """Read a labelled file in one of the two formats; raises InputError naming the record."""
    try:
        if fmt == "presidio":
            records = json.loads(path.read_text(encoding="utf-8"))
            return [
                LabelledText(
                    r["full_text"],
                    [
                        Span(map_type(s["entity_type"]), s["start_position"], s["end_position"])
                        for s in r.get("spans") or []
                    ],
                )
                for r in records
            ]
        examples = []
        with path.open(encoding="utf-8") as fh:
            for line_no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    r = json.loads(line)
                    spans = [
                        Span(map_type(s["entity_type"]), s["start"], s["end"])
                        for s in r.get("spans") or []
                    ]
                    examples.append(LabelledText(r["text"], spans))
                except (KeyError, TypeError, json.JSONDecodeError) as exc:
                    raise InputError(f"{path}:{line_no}: bad record ({exc})") from exc
        return examples
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc})") from exc
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not presidio-research JSON ({exc})") from exc


def score(
    examples: Iterable[LabelledText],
    predictions: Iterable[list[Span]],
    entity_types: Iterable[str],
) -> dict[str, TypeScore]:
    """Per-type scores over ``entity_types`` (only types both sides can speak of).

    The ``"ALL"`` key micro-averages every scored type.
    """
    types = set(entity_types)
    scores: dict[str, TypeScore] = {t: TypeScore() for t in sorted(types)}
    for example, predicted in zip(examples, predictions, strict=True):
        gold = [s for s in example.spans if s.entity_type in types]
        matched: set[int] = set()
        for p in (s for s in predicted if s.entity_type in types):
            hit = next(
                (
                    i
                    for i, g in enumerate(gold)
                    if i not in matched
                    and g.entity_type == p.entity_type
                    and g.start < p.end
                    and p.start < g.end
                ),
                None,
            )
            if hit is None:
                # A second prediction on an already matched gold span is not an error.
                if not any(
                    g.entity_type == p.entity_type and g.start < p.end and p.start < g.end
                    for g in gold
                ):
                    scores[p.entity_type].fp += 1
            else:
                matched.add(hit)
                scores[p.entity_type].tp += 1
        for i, g in enumerate(gold):
            if i not in matched:
                scores[g.entity_type].fn += 1
    total = TypeScore()
    for s in scores.values():
        total.tp, total.fp, total.fn = total.tp + s.tp, total.fp + s.fp, total.fn + s.fn
    scores["ALL"] = total
    return scores


#: A handle's text: "@name", or "name" right after an "@" (tokenised "@ name"), or the lone
#: "@" token of a tokenised handle (BTC tags it as a PERSON span of its own).
_HANDLE = re.compile(r"@|@?\w{1,30}[.:,!]?")


def _is_handle(text: str, span: Span) -> bool:
    token = text[span.start : span.end]
    before = text[max(0, span.start - 2) : span.start]
    return bool(_HANDLE.fullmatch(token)) and (
        token.startswith("@") or before.endswith("@") or before == "@ "
    )


def handles_apart(
    examples: list[LabelledText], predictions: list[list[Span]]
) -> tuple[list[LabelledText], list[list[Span]], int]:
    """The gold sets and predictions without the PERSON spans that are @-handles (and the
    predictions overlapping them); returns how many gold spans were set apart."""
    kept_examples, kept_predictions, apart = [], [], 0
    for example, predicted in zip(examples, predictions, strict=True):
        handles = [
            g for g in example.spans if g.entity_type == "PERSON" and _is_handle(example.text, g)
        ]
        apart += len(handles)
        kept_examples.append(
            LabelledText(example.text, [g for g in example.spans if g not in handles])
        )
        kept_predictions.append(
            [p for p in predicted if not any(h.start < p.end and p.start < h.end for h in handles)]
        )
    return kept_examples, kept_predictions, apart


def scored_types(examples: list[LabelledText], detector_types: Iterable[str]) -> list[str]:
    """Types present both in the gold vocabulary and among the detector's types."""
    gold_types = {s.entity_type for e in examples for s in e.spans}
    return sorted(gold_types & set(detector_types))


def label_counts(examples: list[LabelledText]) -> Counter[str]:
    """Gold spans per (mapped) type."""
    return Counter(s.entity_type for e in examples for s in e.spans)


def evaluate_pii(path: Path, fmt: Format, **detector_options: object) -> dict[str, object]:
    """Run the real ``pii`` detector over a labelled file and score it per entity type."""
    from audit.detectors.pii.detector import PiiDetector

    examples = load_labelled(path, fmt)
    detector = PiiDetector(**detector_options)  # type: ignore[arg-type]
    predictions = [
        [Span(r.entity_type, r.start, r.end) for r in results]
        for results in detector.analyze_texts([e.text for e in examples])
    ]
    types = scored_types(examples, detector.entities)
    scores = score(examples, predictions, types)
    result: dict[str, object] = {
        "file": str(path),
        "format": fmt,
        "records": len(examples),
        "ignored_gold_types": sorted(set(label_counts(examples)) - set(types)),
        "scores": {t: s.as_dict() for t, s in scores.items()},
    }
    rest, rest_predictions, apart = handles_apart(examples, predictions)
    if apart:
        result["person_handles_set_apart"] = apart
        result["scores_handles_apart"] = {
            t: s.as_dict() for t, s in score(rest, rest_predictions, types).items()
        }
    return result


def format_pii_report(result: dict[str, object]) -> object:
    """A rich Table of per-type precision / recall / F1 (two when handles were set apart)."""
    from rich.console import Group
    from rich.table import Table

    def table(title: str, scores: dict[str, dict[str, float]]) -> Table:
        out = Table(title=title)
        for col in ("entity type", "tp", "fp", "fn", "precision", "recall", "F1"):
            out.add_column(col, justify="left" if col == "entity type" else "right")
        for name, s in scores.items():
            out.add_row(
                name,
                str(s["tp"]),
                str(s["fp"]),
                str(s["fn"]),
                f"{s['precision']:.3f}",
                f"{s['recall']:.3f}",
                f"{s['f1']:.3f}",
            )
        return out

    strict = table(
        f"pii on {result['file']} ({result['records']} records)",
        result["scores"],  # type: ignore[arg-type]
    )
    strict.caption = "ignored gold types: " + ", ".join(result["ignored_gold_types"])  # type: ignore[arg-type]
    if "scores_handles_apart" not in result:
        return strict
    apart = table(
        f"the same without the {result['person_handles_set_apart']} PERSON spans that are "
        "@-handles (the detector reports handles as SOCIAL_HANDLE)",
        result["scores_handles_apart"],  # type: ignore[arg-type]
    )
    return Group(strict, apart)
