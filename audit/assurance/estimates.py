"""Estimators of assurance: a population share with a 95 % interval from a reviewed sample.

Pure functions over counts (no database): the formulas are documented in docs/ASSURANCE.md and
checked by simulation in tests/test_assurance_estimates.py (coverage over many seeded draws).

- One stratum (a simple random sample without replacement): the **Wilson score interval
  with the finite-population correction** — the roots in ``p`` of
  ``(p̂ - p)² = z² · f · p(1 - p) / n`` with ``f = (N - n) / (N - 1)``. A fully reviewed
  population has ``f = 0`` and a zero-width interval.
- Several strata: the **stratified estimator** ``p̂ = Σ W_h p̂_h`` with ``W_h = N_h / N`` and
  its variance ``V = Σ W_h² (1 - n_h/N_h) s_h² / n_h``; the interval is the Wilson form with
  the design's effective sample size (Kish): ``k = z² V / (p̂(1 - p̂))`` in place of
  ``z² f / n``.
- A share among weighted items (rule precision, detector miss rate): ``Σ w·hit / Σ w`` with
  a Wilson interval at the Kish effective size ``(Σw)² / Σw²``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

#: z of a two-sided 95 % interval.
Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Stratum:
    """Counts of one stratum for one category: N_h, reviewed n_h, found present y_h."""

    population: int
    reviewed: int
    present: int


@dataclass(frozen=True, slots=True)
class Estimate:
    """A population share with its interval; ``estimate`` is None when nothing is reviewed."""

    population: int
    reviewed: int
    present: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    count: int | None
    count_low: int | None
    count_high: int | None
    method: str  # "wilson-fpc" | "stratified-wilson" | "no-review" | "empty"
    strata: int
    strata_unreviewed: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the ``audit assurance --json`` category entry)."""
        return asdict(self)


def wilson_bounds(p: float, k: float) -> tuple[float, float]:
    """Roots in ``x`` of ``(p - x)² = k·x(1 - x)``: the Wilson interval around ``p``.

    ``k`` is ``z²/n`` for a plain Wilson interval; 0 gives ``(p, p)``.
    """
    if k <= 0:
        return p, p
    centre = p + k / 2
    spread = math.sqrt(max(0.0, k * p * (1 - p) + k * k / 4))
    return max(0.0, (centre - spread) / (1 + k)), min(1.0, (centre + spread) / (1 + k))


def _fpc(population: int, reviewed: int) -> float:
    """``(N - n) / (N - 1)``: 0 for a fully reviewed population."""
    if population <= 1 or reviewed >= population:
        return 0.0
    return (population - reviewed) / (population - 1)


def _counts(p: float, lo: float, hi: float, population: int) -> tuple[int, int, int]:
    return (
        round(p * population),
        math.floor(lo * population + 1e-9),
        math.ceil(hi * population - 1e-9),
    )


def _result(
    strata: Sequence[Stratum],
    p: float | None,
    lo: float | None,
    hi: float | None,
    method: str,
    unreviewed: int,
) -> Estimate:
    population = sum(s.population for s in strata)
    reviewed = sum(s.reviewed for s in strata)
    present = sum(s.present for s in strata)
    if p is None:
        return Estimate(population, reviewed, present, None, lo, hi, None, None, None, method,
                        len(strata), unreviewed)  # fmt: skip
    # What the reviews prove for certain: every present item seen is in the population, and
    # every absent one is not.
    lo = max(lo, present / population)
    hi = min(hi, 1 - (reviewed - present) / population)
    return Estimate(population, reviewed, present, p, lo, hi, *_counts(p, lo, hi, population),
                    method, len(strata), unreviewed)  # fmt: skip


def srs_interval(
    population: int, reviewed: int, present: int, z: float = Z95
) -> tuple[float, float, float]:
    """``(p̂, low, high)`` of a simple random sample: Wilson with the finite-population
    correction. Raises ValueError when nothing is reviewed."""
    if reviewed <= 0:
        raise ValueError("no reviewed item")
    p = present / reviewed
    lo, hi = wilson_bounds(p, z * z * _fpc(population, reviewed) / reviewed)
    return p, lo, hi


def _stratum_variance_term(s: Stratum, weight: float) -> float:
    """``W_h² (1 - n_h/N_h) s_h² / n_h``; a stratum whose answers are all the same (or that has
    one answer) uses ``p̃ = (y + 1) / (n + 2)`` so that it never claims zero variance."""
    if s.reviewed >= s.population:
        return 0.0
    n, y = s.reviewed, s.present
    if 0 < y < n:
        s2 = n / (n - 1) * (y / n) * (1 - y / n)
    else:
        pt = (y + 1) / (n + 2)
        s2 = pt * (1 - pt)
    return weight * weight * (1 - n / s.population) * s2 / n


def stratified_interval(strata: Sequence[Stratum], z: float = Z95) -> tuple[float, float, float]:
    """``(p̂, low, high)`` over strata that all have reviewed items (weights ``N_h / N``)."""
    total = sum(s.population for s in strata)
    weights = [s.population / total for s in strata]
    p = sum(w * s.present / s.reviewed for w, s in zip(weights, strata, strict=True))
    var = sum(_stratum_variance_term(s, w) for w, s in zip(weights, strata, strict=True))
    if var == 0:
        return p, p, p
    if 0 < p < 1:
        q = p * (1 - p)
    else:  # the same adjusted share the variance used: the design effect stays ≈ 1
        q = sum(
            w * (s.present + 1) / (s.reviewed + 2) * (1 - (s.present + 1) / (s.reviewed + 2))
            for w, s in zip(weights, strata, strict=True)
        )
    lo, hi = wilson_bounds(p, z * z * var / q)
    return p, lo, hi


def estimate_share(strata: Sequence[Stratum], z: float = Z95) -> Estimate:
    """The share of the population with the category present, with its interval.

    One stratum: Wilson with the finite-population correction; several: the stratified
    estimator. Strata without any reviewed item widen the interval by their whole weight
    (their share could be anything from 0 to 1) and the point estimate assumes the reviewed
    strata's rate.
    """
    strata = [s for s in strata if s.population > 0]
    if not strata:
        return _result([], None, None, None, "empty", 0)
    done = [s for s in strata if s.reviewed > 0]
    unreviewed = len(strata) - len(done)
    if not done:
        return _result(strata, None, 0.0, 1.0, "no-review", unreviewed)
    if len(strata) == 1:
        p, lo, hi = srs_interval(done[0].population, done[0].reviewed, done[0].present, z)
        return _result(strata, p, lo, hi, "wilson-fpc", 0)
    p, lo, hi = stratified_interval(done, z)
    covered = sum(s.population for s in done) / sum(s.population for s in strata)
    lo, hi = covered * lo, covered * hi + (1 - covered)
    return _result(strata, p, lo, hi, "stratified-wilson", unreviewed)


def weighted_share(
    weights: Sequence[float], hits: Sequence[bool], z: float = Z95
) -> dict[str, float | int | None]:
    """Share of ``hits`` among items weighted by their inverse inclusion probability.

    Wilson interval at the Kish effective sample size ``(Σw)² / Σw²`` (equal weights: the
    plain Wilson interval). Used for rule precision and detector miss rates, whose
    sub-populations (flagged by a rule, category present) have no known size.
    """
    n = len(weights)
    if n == 0:
        return {"n": 0, "hits": 0, "share": None, "ci_low": None, "ci_high": None}
    total = sum(weights)
    p = sum(w for w, h in zip(weights, hits, strict=True) if h) / total
    n_eff = total * total / sum(w * w for w in weights)
    lo, hi = wilson_bounds(p, z * z / n_eff)
    return {"n": n, "hits": sum(bool(h) for h in hits), "share": p, "ci_low": lo, "ci_high": hi}


def sample_size_for(half_width: float, population: int, p_plan: float = 0.5, z: float = Z95) -> int:
    """Reviewed items a simple random sample needs for a ±``half_width`` interval.

    ``n₀ = z² p(1 - p) / w²``, then the finite-population correction
    ``n = n₀ / (1 + (n₀ - 1) / N)``, rounded up (never more than N).
    """
    if population <= 0:
        return 0
    if not 0 < half_width < 1:
        raise ValueError("half_width must be between 0 and 1")
    p_plan = min(max(p_plan, 0.0), 1.0)
    n0 = z * z * p_plan * (1 - p_plan) / (half_width * half_width)
    if n0 <= 0:
        return 1
    return min(population, math.ceil(n0 / (1 + (n0 - 1) / population)))


def planning_share(est: Estimate) -> float:
    """The share to plan a sample size with: the value in the current interval closest to
    0.5 (the most conservative plausible one), or 0.5 when nothing is reviewed yet."""
    if est.ci_low is None or est.ci_high is None or est.estimate is None:
        return 0.5
    return min(max(0.5, est.ci_low), est.ci_high)
