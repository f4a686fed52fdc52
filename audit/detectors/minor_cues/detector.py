"""``minor_cues``: English cues that an item's author, or someone it is about, is a minor.

Regex only (no model). Every :class:`~audit.detectors.minor_cues.cues.Cue` of a text becomes a
finding: ``entity_type`` = the cue type, the span's offsets, a ``score`` (how sure the pattern
is of its reading: 1.0 with a stated subject, 0.7 when the subject is unclear, 0.5 for
circumstantial types) and ``attributes`` {weight, subject, tense, age, age_low, age_high, year,
kind, minor_related} (keys without a value are left out; never the matched text).

The detector also emits adult cues ("my husband", "at work", "when I was 14"): they are
evidence *against* the author being a minor, which the rules' ``evidence_score`` adds up per
author with the weights and caps declared here (evidence.py). Item-level rules read the
``minor_cues`` column or name the minor-related types.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from audit.detectors.base import (
    Content,
    DerivedColumn,
    EvidenceWeights,
    ExposureCategory,
    Finding,
    FindingKind,
    Result,
)
from audit.detectors.minor_cues.cues import CUE_TYPES, Cue, extract_cues
from audit.detectors.minor_cues.evidence import CAPS, WEIGHT_SQL

#: Types whose cues say the item is by or about someone under 18 (stated ages, grades, a
#: child's age, child hashtags). GRAD_YEAR is not among them: only a class year after the
#: post date is, which the rules decide (rules/minors/minor-cues-in-text.yaml).
MINOR_RELATED_TYPES: Final[tuple[str, ...]] = (
    "SCHOOL_GRADE", "SELF_AGE", "SELF_BIRTHDAY_AGE", "PARENT_OF_MINOR", "OTHER_MINOR",
    "MINOR_HASHTAG",
)  # fmt: skip
#: Types pointing to a minor: the minor-related ones plus the positive-weight context types.
MINOR_TYPES: Final[tuple[str, ...]] = (*MINOR_RELATED_TYPES, "SCHOOL_CONTEXT", "TEEN_STYLE")
#: Types saying the author is an adult (negative weights; a parent writing about a child too).
ADULT_TYPES: Final[tuple[str, ...]] = (
    "ADULT_SELF",
    "ADULT_CONTEXT",
    "PAST_SELF",
    "PARENT_OF_MINOR",
)
#: Types that describe circumstances rather than state an age (lower score).
_CIRCUMSTANTIAL: Final = frozenset(
    {"SCHOOL_CONTEXT", "TEEN_STYLE", "ADULT_CONTEXT", "MINOR_HASHTAG"}
)


def _sql_list(types: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{t}'" for t in types) + "]"


def _types_column(name: str, types: tuple[str, ...], description: str) -> DerivedColumn:
    # list_distinct drops the NULLs of findings of other types
    picked = f"CASE WHEN list_contains({_sql_list(types)}, entity_type) THEN entity_type END"
    return DerivedColumn(
        name, "VARCHAR[]", f"list_sort(list_distinct(list({picked}) /*FILTER*/))",
        "[]::VARCHAR[]", description,
    )  # fmt: skip


def _score(cue: Cue) -> float:
    if cue.type in _CIRCUMSTANTIAL:
        return 0.5
    return 0.7 if cue.subject == "unknown" else 1.0


def _finding(cue: Cue) -> Finding:
    low, high = cue.age_range or (None, None)
    attributes = {
        "weight": cue.weight, "subject": cue.subject, "tense": cue.tense, "age": cue.age,
        "age_low": low, "age_high": high, "year": cue.year, "kind": cue.kind,
        "minor_related": cue.minor_related,
    }  # fmt: skip
    return Finding(
        entity_type=cue.type,
        score=_score(cue),
        start=cue.start,
        end=cue.end,
        recognizer=f"minor_cues.{cue.kind}",
        attributes={k: v for k, v in attributes.items() if v is not None},
    )


def find_cues(text: str) -> list[Finding]:
    """The findings of one text, sorted by position."""
    return [_finding(c) for c in extract_cues(text)]


class MinorCuesDetector:
    """Regex detector of minor and adult age cues in text (see the module doc)."""

    name: ClassVar[str] = "minor_cues"
    # 3: author-level evidence — subject, tense and signed weights; GRAD_YEAR, school context
    # and adult cues; AGE_CUE split into PARENT_OF_MINOR / OTHER_MINOR
    version: ClassVar[str] = "3"
    input_kind: ClassVar[str] = "text"
    entity_types: ClassVar[tuple[str, ...]] = CUE_TYPES  # SCHOOL_GRADE first: the test default
    # False: the spans are phrases like "at work", "homework", "I'm 14" — masking them in the
    # export would cut benign words out of kept items and protect no one; the items a minor
    # cue points to are excluded or reviewed by the minors rules, and names, places and dates
    # in them are the pii detector's (masked and redacted there).
    personal_data: ClassVar[bool] = False
    finding_kind: ClassVar[FindingKind] = "text_span"
    label: ClassVar[str] = "age cues in text (minor and adult)"
    #: Attribute keys of its findings (rules may compare them: `attributes: {subject: self}`).
    finding_attributes: ClassVar[tuple[str, ...]] = (
        "weight", "subject", "tense", "age", "age_low", "age_high", "year", "kind",
        "minor_related",
    )  # fmt: skip
    finding_noun: ClassVar[tuple[str, str]] = ("age cue", "age cues")
    derived_columns: ClassVar[tuple[DerivedColumn, ...]] = (
        _types_column(
            "minor_cues", MINOR_TYPES,
            "types of the item's cues that point to a minor (stated minor ages, school grades, a "
            "child's age, child hashtags, school context)",
        ),
        _types_column(
            "adult_cues", ADULT_TYPES,
            "types of the item's cues that the author is an adult (own adult age, spouse, work, "
            "reminiscing, a parent's child)",
        ),
    )  # fmt: skip
    exposure: ClassVar[tuple[ExposureCategory, ...]] = (
        ExposureCategory(
            "minor_text_cues", "minor cues in text", "minor cues in text",
            f"list_has_any(minor_cues, {_sql_list(MINOR_RELATED_TYPES)})", minors=True,
        ),
    )  # fmt: skip
    evidence: ClassVar[EvidenceWeights] = EvidenceWeights(
        label="minor evidence", weight=WEIGHT_SQL, caps=CAPS, item_columns=("created_at",)
    )
    batch_size: ClassVar[int] = 2048
    in_process: ClassVar[bool] = True  # regexes, ~50 µs a caption: a pool costs more than it saves

    def setup(self) -> None:
        """Nothing to load: the patterns compile at import."""

    def detect_batch(self, batch: list[Content]) -> list[Result]:
        """One Result per text."""
        return [Result(c.sha256, find_cues(c.text or "")) for c in batch]

    def describe(self) -> dict[str, Any]:
        """Pattern-set facts for the run manifest."""
        return {"language": "en", "cue_types": len(CUE_TYPES), "evidence_caps": len(CAPS)}
