"""The estimators of audit/assurance/estimates.py, checked as estimators: over many seeded
draws from a synthetic population whose true share is known, the 95 % interval must hold
the truth in about 95 % of the draws (pure numpy; a fraction of a second per setting)."""

from __future__ import annotations

import numpy as np
import pytest

from audit.assurance.estimates import (
    Stratum,
    estimate_share,
    sample_size_for,
    weighted_share,
    wilson_bounds,
)

DRAWS = 1000


def _population(size: int, share: float, rng: np.random.Generator) -> np.ndarray:
    truth = np.zeros(size, dtype=bool)
    truth[: round(share * size)] = True
    rng.shuffle(truth)
    return truth


def srs_coverage(size: int, share: float, n: int, seed: int) -> float:
    """Share of DRAWS simple random samples whose interval holds the true share."""
    rng = np.random.default_rng(seed)
    truth = _population(size, share, rng)
    true_share = truth.mean()
    held = 0
    for _ in range(DRAWS):
        drawn = truth[rng.choice(size, n, replace=False)]
        est = estimate_share([Stratum(size, n, int(drawn.sum()))])
        held += est.ci_low <= true_share <= est.ci_high
    return held / DRAWS


def stratified_coverage(
    sizes: tuple[int, ...], shares: tuple[float, ...], n: int, seed: int
) -> tuple[float, float]:
    """(coverage, mean width) of DRAWS stratified samples with proportional allocation."""
    rng = np.random.default_rng(seed)
    strata = [_population(s, p, rng) for s, p in zip(sizes, shares, strict=True)]
    total = sum(sizes)
    true_share = sum(int(t.sum()) for t in strata) / total
    alloc = [max(2, round(n * s / total)) for s in sizes]
    held, widths = 0, []
    for _ in range(DRAWS):
        counts = [
            Stratum(len(t), k, int(t[rng.choice(len(t), k, replace=False)].sum()))
            for t, k in zip(strata, alloc, strict=True)
        ]
        est = estimate_share(counts)
        held += est.ci_low <= true_share <= est.ci_high
        widths.append(est.ci_high - est.ci_low)
    return held / DRAWS, float(np.mean(widths))


SRS_SETTINGS = [(5000, 0.01, 200), (5000, 0.05, 200), (5000, 0.2, 200), (5000, 0.5, 200),
                (400, 0.1, 200), (20000, 0.03, 400)]  # fmt: skip


@pytest.mark.parametrize(("size", "share", "n"), SRS_SETTINGS)
def test_wilson_fpc_interval_holds_the_truth_in_about_95_percent_of_draws(
    size: int, share: float, n: int
) -> None:
    coverage = srs_coverage(size, share, n, seed=size + n)
    # Wilson's coverage oscillates around the nominal level with p and n (discreteness)
    assert 0.92 <= coverage <= 0.98, coverage


def test_wilson_fpc_coverage_averaged_over_settings_is_95_percent() -> None:
    mean = np.mean([srs_coverage(s, p, n, seed=7 + i) for i, (s, p, n) in
                    enumerate(SRS_SETTINGS)])  # fmt: skip
    assert 0.935 <= mean <= 0.965, mean


@pytest.mark.parametrize(
    "shares", [(0.01, 0.05, 0.3), (0.0, 0.02, 0.1), (0.05, 0.05, 0.05), (0.2, 0.5, 0.8)]
)
def test_stratified_interval_holds_the_truth_in_about_95_percent_of_draws(
    shares: tuple[float, ...],
) -> None:
    coverage, _ = stratified_coverage((3000, 1500, 500), shares, 200, seed=11)
    assert 0.925 <= coverage <= 0.99, coverage


def test_stratification_narrows_the_interval_when_strata_differ() -> None:
    """Strata with very different shares: the stratified interval is narrower than simple
    random sampling's at the same n (the reason to stratify), and still covers."""
    sizes, shares, n = (2500, 2500), (0.02, 0.6), 200
    coverage, width = stratified_coverage(sizes, shares, n, seed=3)
    rng = np.random.default_rng(3)
    truth = np.concatenate([_population(s, p, rng) for s, p in zip(sizes, shares, strict=True)])
    srs_widths = []
    for _ in range(200):
        drawn = truth[rng.choice(truth.size, n, replace=False)]
        est = estimate_share([Stratum(truth.size, n, int(drawn.sum()))])
        srs_widths.append(est.ci_high - est.ci_low)
    assert 0.93 <= coverage <= 0.98
    assert width < 0.95 * float(np.mean(srs_widths))


def test_fully_reviewed_population_has_a_zero_width_interval() -> None:
    est = estimate_share([Stratum(50, 50, 7)])
    assert est.estimate == est.ci_low == est.ci_high == pytest.approx(7 / 50)
    assert est.count == est.count_low == est.count_high == 7
    stratified = estimate_share([Stratum(30, 30, 3), Stratum(20, 20, 10)])
    assert stratified.ci_low == stratified.ci_high == pytest.approx(13 / 50)


def test_empty_population_and_nothing_reviewed() -> None:
    empty = estimate_share([])
    assert (empty.population, empty.estimate, empty.method) == (0, None, "empty")
    assert estimate_share([Stratum(0, 0, 0)]).method == "empty"
    unknown = estimate_share([Stratum(100, 0, 0)])
    assert unknown.estimate is None and (unknown.ci_low, unknown.ci_high) == (0.0, 1.0)
    assert unknown.method == "no-review"


def test_interval_never_contradicts_what_the_reviews_prove() -> None:
    """Present items seen are in the population; absent ones are not."""
    est = estimate_share([Stratum(10, 9, 9)])  # 9 of 10 seen present: at least 90 %
    assert est.ci_low >= 0.9 and est.ci_high <= 1.0
    est = estimate_share([Stratum(10, 9, 0)])
    assert est.ci_low == 0.0 and est.ci_high <= 0.1


def test_unreviewed_stratum_widens_the_interval_by_its_weight() -> None:
    est = estimate_share([Stratum(800, 100, 10), Stratum(200, 0, 0)])
    assert est.strata_unreviewed == 1
    assert est.ci_high >= 0.2  # the unreviewed fifth could be all present
    assert est.estimate == pytest.approx(0.1)


def test_wilson_bounds_match_the_textbook_interval() -> None:
    # 10 of 100, z = 1.96: Wilson 95 % interval (0.0552, 0.1744)
    lo, hi = wilson_bounds(0.1, 1.959963984540054**2 / 100)
    assert (round(lo, 4), round(hi, 4)) == (0.0552, 0.1744)


def test_weighted_share_is_plain_wilson_with_equal_weights() -> None:
    out = weighted_share([1.0] * 100, [True] * 10 + [False] * 90)
    assert out["share"] == pytest.approx(0.1)
    assert (round(out["ci_low"], 4), round(out["ci_high"], 4)) == (0.0552, 0.1744)
    assert weighted_share([], [])["share"] is None


def test_sample_size_for_two_points_at_95_percent() -> None:
    # the classic 2,401 for ±2 points at p = 0.5 in an infinite population
    assert sample_size_for(0.02, 10**9) == 2401
    assert sample_size_for(0.02, 1000) == 707  # finite-population correction
    assert sample_size_for(0.02, 10**9, p_plan=0.05) == 457
    assert sample_size_for(0.02, 0) == 0
