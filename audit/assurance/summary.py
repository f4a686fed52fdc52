"""Assurance figures of a run from its review samples, answers and decisions.

:func:`collect_assurance` is the single producer: `audit assurance --json`, the report's
"Residual risk" section, the dashboard and the compliance outputs all read its dict.

- per category and sampled population: the estimated share and count with a 95 % interval
  (:mod:`audit.assurance.estimates`), the reviewed count, the population size and the sample
  size a target interval width needs;
- per rule: precision from reviewers' decisions (confirmed vs false positive) and, for rules
  whose condition points at exactly one review category, from the sample's answers;
- per detector and category: the miss rate among reviewed kept items where the category is
  present (what the detector did not find).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import duckdb

from audit.assurance.estimates import (
    Z95,
    Stratum,
    estimate_share,
    planning_share,
    sample_size_for,
    weighted_share,
    wilson_bounds,
)
from audit.detectors.registry import UnknownDetectorError, specs
from audit.report.queries import fetch_dicts
from audit.store import has_table, query
from audit.vocabulary import REVIEW_CATEGORIES, REVIEW_POPULATIONS, ReviewCategory

SQL = "assurance.sql"
#: Target half-width of the 95 % interval that the "needed" sample sizes are for (±2 points).
TARGET_HALF_WIDTH = 0.02
#: Population shown first when several are sampled: what training receives.
POPULATION_ORDER = ("kept", "all", "flagged", "excluded")
#: Samples a rule's precision from answers is read from, first that has reviewed flagged items.
PRECISION_ORDER = ("flagged", "all", "excluded", "kept")


def _rows(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[dict[str, Any]]:
    return fetch_dicts(con, query(SQL, name), params)


def latest_samples(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, dict[str, Any]]:
    """The newest sample of each population drawn for ``run_id``."""
    out: dict[str, dict[str, Any]] = {}
    for s in _rows(con, "samples", run_id=run_id):
        out.setdefault(s["population"], s)
    return out


def _sample_items(con: duckdb.DuckDBPyConnection, run_id: str, sample_id: str) -> list[dict]:
    return _rows(con, "sample_item_answers", run_id=run_id, sample_id=sample_id)


def category_estimates(
    con: duckdb.DuckDBPyConnection, sample: dict[str, Any], target: float = TARGET_HALF_WIDTH
) -> dict[str, dict[str, Any]]:
    """Every review category's estimate over the sample's population."""
    strata = _rows(con, "sample_strata", sample_id=sample["sample_id"])
    items = _sample_items(con, sample["run_id"], sample["sample_id"])
    out = {}
    for cat in REVIEW_CATEGORIES:
        reviewed: dict[str, int] = defaultdict(int)
        present: dict[str, int] = defaultdict(int)
        for it in items:
            answer = (it["answers"] or {}).get(cat.key)
            if answer is not None:
                reviewed[it["stratum"]] += 1
                present[it["stratum"]] += bool(answer)
        est = estimate_share(
            [Stratum(s["population"], reviewed[s["stratum"]], present[s["stratum"]])
             for s in strata]
        )  # fmt: skip
        needed = sample_size_for(target, est.population, planning_share(est))
        out[cat.key] = {
            **est.as_dict(),
            "label": cat.label,
            "population_name": sample["population"],
            "needed_for_target": needed,
            "more_needed": max(0, needed - est.reviewed),
        }
    return out


def category_detectors(cat: ReviewCategory, ran: set[str]) -> dict[str, tuple[str, ...]]:
    """Detectors (that ran) covering ``cat``, with the entity types that count as found."""
    out = {}
    for name, spec in specs().items():
        if name not in ran:
            continue
        types = set(cat.entity_types) & set(spec.entity_types)
        if cat.minors and any(e.minors for e in spec.exposure):
            types |= set(spec.entity_types)
        if types:
            out[name] = tuple(sorted(types))
    return out


def _weights(items: list[dict]) -> Iterator[tuple[dict, float]]:
    for it in items:
        yield it, it["population"] / it["sampled"] if it["sampled"] else 0.0


def miss_rates(con: duckdb.DuckDBPyConnection, sample: dict[str, Any]) -> list[dict[str, Any]]:
    """Per detector and category: among reviewed items where the category is present, the
    share the detector found nothing of it in (weighted by inverse inclusion probability)."""
    ran = {r["detector"] for r in _rows(con, "detectors_run")}
    items = _sample_items(con, sample["run_id"], sample["sample_id"])
    out = []
    for cat in REVIEW_CATEGORIES:
        for detector, types in category_detectors(cat, ran).items():
            weights, missed = [], []
            for it, w in _weights(items):
                if (it["answers"] or {}).get(cat.key) is not True:
                    continue
                found = set((it["found"] or {}).get(detector) or ())
                weights.append(w)
                missed.append(not (found & set(types)))
            share = weighted_share(weights, missed)
            out.append(
                {"detector": detector, "category": cat.key, "entity_types": list(types),
                 "present_reviewed": share["n"], "missed": share["hits"],
                 "miss_rate": share["share"], "ci_low": share["ci_low"],
                 "ci_high": share["ci_high"]}
            )  # fmt: skip
    return out


def _walk(node: Any) -> Iterator[dict]:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def rule_categories(match: Any) -> set[str]:
    """Review categories a rule's condition points at: by the entity types of its detector
    conditions (all the detector's types when it names none) and by the fields it tests."""
    if isinstance(match, str):
        match = json.loads(match)
    out: set[str] = set()
    declared = specs()
    for node in _walk(match):
        if isinstance(node.get("detector"), str):
            spec = declared.get(node["detector"])
            if spec is None:
                continue
            types = set(node.get("types") or spec.entity_types)
            minors = any(e.minors for e in spec.exposure)
            out |= {c.key for c in REVIEW_CATEGORIES
                    if types & set(c.entity_types) or (c.minors and minors)}  # fmt: skip
        if isinstance(node.get("field"), str) and not _tests_missing_value(node):
            out |= {c.key for c in REVIEW_CATEGORIES if node["field"] in c.fields}
    return out


#: Values that say an export did not tell (a rule testing for them flags missing information,
#: not the category's presence: "visibility unknown" is not a claim that a post was private).
_MISSING_VALUES = frozenset({"unknown"})


def _tests_missing_value(node: dict[str, Any]) -> bool:
    """Whether a field condition tests for a missing or unknown value (is_null, eq/in unknown)."""
    if node.get("is_null") is True:
        return True
    if "eq" in node:
        return node["eq"] in _MISSING_VALUES
    values = node.get("in")
    return isinstance(values, list) and bool(values) and set(values) <= _MISSING_VALUES


def _precision_from_decisions(r: dict[str, Any]) -> dict[str, Any]:
    decided = r["confirmed"] + r["false_positive"]
    if not decided:
        return {"decided": 0, "precision": None, "ci_low": None, "ci_high": None}
    p = r["confirmed"] / decided
    lo, hi = wilson_bounds(p, Z95 * Z95 / decided)
    return {"decided": decided, "precision": p, "ci_low": lo, "ci_high": hi}


def rule_precision(
    con: duckdb.DuckDBPyConnection, run_id: str, samples: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Per rule: flagged items, reviewers' decisions and the precision they give, and the
    precision from sample answers when the rule points at exactly one review category."""
    sampled = {pop: _sample_items(con, run_id, s["sample_id"]) for pop, s in samples.items()}
    out = []
    for r in _rows(con, "rule_decisions", run_id=run_id):
        try:
            cats = sorted(rule_categories(r.pop("match_json") or "{}"))
        except (ValueError, UnknownDetectorError):
            cats = []
        row = {**r, "categories": cats, "from_decisions": _precision_from_decisions(r),
               "from_reviews": None}  # fmt: skip
        if len(cats) == 1:
            row["from_reviews"] = _precision_from_answers(r["rule_id"], cats[0], sampled, samples)
        out.append(row)
    return out


def _precision_from_answers(
    rule_id: str, category: str, sampled: dict[str, list[dict]], samples: dict[str, dict]
) -> dict[str, Any] | None:
    for pop in PRECISION_ORDER:
        if pop not in sampled:
            continue
        weights, hits = [], []
        for it, w in _weights(sampled[pop]):
            answer = (it["answers"] or {}).get(category)
            if rule_id in (it["rules"] or ()) and answer is not None:
                weights.append(w)
                hits.append(bool(answer))
        if weights:
            share = weighted_share(weights, hits)
            return {"category": category, "sample_id": samples[pop]["sample_id"],
                    "population_name": pop, "reviewed": share["n"], "confirmed": share["hits"],
                    "precision": share["share"], "ci_low": share["ci_low"],
                    "ci_high": share["ci_high"]}  # fmt: skip
    return None


def empty_assurance(run_id: str, target: float = TARGET_HALF_WIDTH) -> dict[str, Any]:
    """The figures of a run without any review sample."""
    return {
        "run_id": run_id,
        "confidence": 0.95,
        "target_half_width": target,
        "population": None,
        "sample_id": None,
        "design": None,
        "categories": {},
        "populations": {},
        "rule_precision": [],
        "detector_miss_rates": [],
        "answers_outside_samples": 0,
        "samples": [],
    }


def collect_assurance(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    population: str | None = None,
    target: float = TARGET_HALF_WIDTH,
) -> dict[str, Any]:
    """Every assurance figure of ``run_id``; ``categories`` is for ``population`` (default:
    kept when sampled, else the first sampled of all, flagged, excluded)."""
    if not has_table(con, "review_samples"):  # a store of an older schema, opened read-only
        return empty_assurance(run_id, target)
    samples = latest_samples(con, run_id)
    out = empty_assurance(run_id, target)
    out["samples"] = _rows(con, "samples", run_id=run_id)
    out["rule_precision"] = rule_precision(con, run_id, samples)
    out["answers_outside_samples"] = _rows(con, "answers_outside_samples", run_id=run_id)[0][
        "items"
    ]
    for pop in POPULATION_ORDER:
        if pop in samples:
            s = samples[pop]
            out["populations"][pop] = {
                "sample_id": s["sample_id"],
                "design": _design(con, s),
                "categories": category_estimates(con, s, target),
            }
    if population is not None and population not in REVIEW_POPULATIONS:
        raise ValueError(f"unknown population {population!r}")
    chosen = population or next((p for p in POPULATION_ORDER if p in samples), None)
    if chosen in out["populations"]:
        picked = out["populations"][chosen]
        out |= {"population": chosen, "sample_id": picked["sample_id"],
                "design": picked["design"], "categories": picked["categories"]}  # fmt: skip
    if "kept" in samples:
        out["detector_miss_rates"] = miss_rates(con, samples["kept"])
    return out


def _design(con: duckdb.DuckDBPyConnection, sample: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: sample[k] for k in ("population", "stratify", "seed", "n", "population_size",
                                  "created_at")},
        "strata": _rows(con, "sample_strata", sample_id=sample["sample_id"]),
    }  # fmt: skip
