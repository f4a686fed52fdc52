"""How minor_cues findings add up to author-level evidence (the rules' ``evidence_score``).

Per group of items (an author): each finding weighs its ``attributes.weight`` — except
GRAD_YEAR, weighed by the class year against the item's post date (:data:`WEIGHT_SQL`, the
same as :func:`grad_year_weight`); per item and type the weight of largest magnitude counts
(one long post repeating "homework" is one piece of evidence); per type the author's sum is
clipped to :data:`CAPS`; the score is the sum over types. The SQL runs in the rules sandbox
(audit/sql/rules.sql, evidence_table) over the finding ``f`` and its item ``i``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

#: Per type, the (lowest, highest) sum over an author's items. TEEN_STYLE is off (0, 0): on the
#: development set it raised recall but also adult false positives, and chat style dates fast.
CAPS: Final[dict[str, tuple[float, float]]] = {
    "SELF_AGE": (0.0, 8.0),
    "SELF_BIRTHDAY_AGE": (0.0, 6.0),
    "SCHOOL_GRADE": (0.0, 5.0),
    "GRAD_YEAR": (-4.0, 4.0),
    "SCHOOL_CONTEXT": (0.0, 3.0),
    "TEEN_STYLE": (0.0, 0.0),
    "PARENT_OF_MINOR": (-5.0, 0.0),
    "OTHER_MINOR": (0.0, 0.0),
    "MINOR_HASHTAG": (0.0, 0.0),
    "ADULT_SELF": (-8.0, 0.0),
    "ADULT_CONTEXT": (-2.0, 0.0),
    "PAST_SELF": (-3.0, 0.0),
}

_YEARS_TO_CLASS: Final = "((f.attributes ->> 'year')::INTEGER - year(i.created_at))"
#: The weight of one finding ``f`` of item ``i`` (DuckDB SQL; attributes are JSON text).
WEIGHT_SQL: Final = f"""CASE
    WHEN f.entity_type <> 'GRAD_YEAR' THEN (f.attributes ->> 'weight')::DOUBLE
    WHEN i.created_at IS NULL THEN 0.0
    WHEN {_YEARS_TO_CLASS} BETWEEN 5 AND 12 THEN 3.0
    WHEN {_YEARS_TO_CLASS} BETWEEN 1 AND 4 THEN 2.0
    WHEN {_YEARS_TO_CLASS} = 0 AND month(i.created_at) <= 6 THEN 1.0
    WHEN {_YEARS_TO_CLASS} <= -4 THEN -2.0
    ELSE 0.0 END"""


def grad_year_weight(grad_year: int, posted: datetime | None) -> float:
    """Weight of "class of <grad_year>" in a post of ``posted`` (the SQL in Python).

    d = grad_year - the post's year. d 5..12: only a school pupil → +3; d 1..4: a high-school
    pupil (or a college student) → +2; d = 0 before July: a senior, mostly 17 → +1; d <= -4:
    graduated at least 4 years ago, so at least ~21 → -2; otherwise (or no date) 0.
    """
    if posted is None:
        return 0.0
    d = grad_year - posted.year
    if 5 <= d <= 12:
        return 3.0
    if 1 <= d <= 4:
        return 2.0
    if d == 0 and posted.month <= 6:
        return 1.0
    return -2.0 if d <= -4 else 0.0
