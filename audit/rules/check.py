"""`audit rules check`: each rule's flags and its thresholds measured against the corpus.

"min_score 0.5: 0 of 314 PHONE_NUMBER findings reach it; their scores are 0.35–0.45" — for
every threshold a rule compares (probes.py), how much of what it is compared with reaches
it, and a warning when nothing does: a threshold that can never match in this corpus makes
a rule (or one of its alternatives) dead. Skipped and partly evaluated rules say why. The
same results are a section of every scan's report (table ``rule_checks``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from audit.rules.evaluate import PackRun, run_pack
from audit.rules.loader import RuleSet
from audit.rules.probes import MAX_SHOWN_VALUES, Probe
from audit.rules.sandbox import Sandbox
from audit.store import query


@dataclass
class ThresholdCheck:
    """One threshold of one rule, measured."""

    path: str
    words: str
    population: int
    reaching: int
    dead: bool  # the corpus has what it compares, and none of it reaches the threshold

    @property
    def empty(self) -> bool:
        """Nothing to compare in this corpus (no such findings, no value of the field)."""
        return self.population == 0

    def as_dict(self) -> dict[str, Any]:
        """For JSON."""
        return asdict(self)


@dataclass
class RuleCheck:
    """A rule's result against one corpus (a threshold that nothing in the corpus is
    compared with — no such findings — is noted, not warned about: it is not the
    threshold's fault)."""

    rule_id: str
    file: str
    line: int
    action: str
    flags: int | None  # None: skipped
    items: int | None
    skip_reason: str | None = None
    partial_reason: str | None = None
    thresholds: list[ThresholdCheck] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """What a policy author must look at: skips, partial evaluation, dead thresholds."""
        out = []
        if self.skip_reason:
            out.append(f"skipped: {self.skip_reason}")
        if self.partial_reason:
            out.append(f"partly evaluated: {self.partial_reason}")
        out += [
            f"{t.path}: can never match in this corpus: {t.words}"
            for t in self.thresholds
            if t.dead
        ]
        return out

    def as_dict(self) -> dict[str, Any]:
        """For JSON (report.json's ``rules_check``, `audit rules check --json`)."""
        out = asdict(self)
        out["warnings"] = self.warnings
        return out


def _num(x: float | None) -> str:
    if x is None:
        return "?"
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _range(low: Any, high: Any, figure: str) -> str:
    if low is None or not figure:
        return ""
    if figure == "shares":
        low_s, high_s = f"{float(low):.0%}", f"{float(high):.0%}"
    elif isinstance(low, int | float):
        low_s, high_s = _num(low), _num(high)
    else:
        low_s, high_s = str(low)[:19], str(high)[:19]
    span = low_s if low_s == high_s else f"{low_s}–{high_s}"
    return f"; their {figure} are {span}" if figure != "values" else f"; values {span}"


def _values(sandbox: Sandbox, probe: Probe) -> str:
    rows = sandbox.execute(probe.sql, probe.params).fetchall()
    if not rows or rows[0][2] > MAX_SHOWN_VALUES:
        return f"; {rows[0][2]:,} distinct values" if rows else ""
    shown = ", ".join(f"{v[:40]} ({n:,})" for v, n, _ in rows[:8])
    more = f", … {rows[0][2] - 8} more" if rows[0][2] > 8 else ""
    return f"; values: {shown}{more}"


def _measure(sandbox: Sandbox, probe: Probe) -> list[ThresholdCheck]:
    rows = sandbox.execute(probe.sql, probe.params).fetchall()
    if probe.kind == "findings":
        types, noun = probe.extra["types"], probe.extra["noun"]
        if not rows:
            words = f"{probe.subject}: no {types} findings in this corpus"
            return [ThresholdCheck(probe.path, words, 0, 0, False)]
        total = sum(r[2] for r in rows)
        out = []
        for label, population, reaching, low, high in rows:
            words = (
                f"{probe.subject}: {reaching:,} of {population:,} {label} findings reach it"
                + _range(low, high, probe.figure)
            )
            out.append(ThresholdCheck(probe.path, words, population, reaching, total == 0))
        del noun
        return out
    population, reaching, low, high = rows[0]
    population, reaching = int(population or 0), int(reaching or 0)
    if probe.kind in ("groups", "evidence"):
        if population == 0:
            words = f"{probe.subject}: no {probe.unit} in this corpus"
        else:
            words = (
                f"{probe.subject}: {reaching:,} of {population:,} {probe.unit} reach it"
                + _range(low, high, probe.figure)
            )
        dead = population > 0 and reaching == 0
        return [ThresholdCheck(probe.path, words, population, reaching, dead)]
    if population == 0:
        words = f"{probe.subject}: no {probe.unit.removeprefix('items with ')} in this corpus"
        if probe.unit.startswith("items where "):
            words = f"{probe.subject}: no item in this corpus has a value"
    else:
        words = f"{probe.subject}: holds for {reaching:,} of {population:,} {probe.unit}"
        words += _range(low, high, probe.figure)
        if probe.values is not None:
            words += _values(sandbox, probe.values)
    dead = population > 0 and reaching == 0
    return [ThresholdCheck(probe.path, words, population, reaching, dead)]


def check_run(run: PackRun, ruleset: RuleSet) -> list[RuleCheck]:
    """Measure an evaluated pack (run with ``probes=True``) in its sandbox."""
    counts = {
        rule_id: (flags, items)
        for rule_id, flags, items in run.sandbox.execute(
            query("rules.sql", "rule_hit_counts")
        ).fetchall()
    }
    partial = run.partial
    by_rule: dict[str, list[ThresholdCheck]] = {}
    for probe in run.probes:
        by_rule.setdefault(probe.rule_id, []).extend(_measure(run.sandbox, probe))
    out = []
    for loaded in ruleset:
        rule_id = loaded.rule.id
        skipped = run.skipped.get(rule_id)
        flags, items = counts.get(rule_id, (0, 0))
        out.append(
            RuleCheck(
                rule_id=rule_id,
                file=loaded.file,
                line=loaded.line,
                action="/".join(dict.fromkeys(t.action for t in loaded.rule.tiers)),
                flags=None if skipped else flags,
                items=None if skipped else items,
                skip_reason=skipped,
                partial_reason=partial.get(rule_id),
                thresholds=by_rule.get(rule_id, []),
            )
        )
    return out


def check_rules(
    con: duckdb.DuckDBPyConnection,
    ruleset: RuleSet,
    *,
    detectors_run: set[str] | None = None,
    run_id: str | None = None,
) -> list[RuleCheck]:
    """Evaluate ``ruleset`` on the store behind ``con`` (read-only is enough) and measure
    every threshold; nothing is written. ``run_id``: the scan whose registry matches count."""
    run = run_pack(con, ruleset, detectors_run=detectors_run, run_id=run_id, probes=True)
    try:
        return check_run(run, ruleset)
    finally:
        run.close()


def format_checks(checks: list[RuleCheck]) -> str:
    """The plain-text report of `audit rules check`."""
    lines = []
    for c in checks:
        flagged = "skipped" if c.flags is None else f"{c.items:,} items flagged"
        lines.append(f"{c.rule_id} ({c.action}) — {flagged}   [{c.file}:{c.line}]")
        if c.skip_reason:
            lines.append(f"  SKIPPED: {c.skip_reason}")
        if c.partial_reason:
            lines.append(f"  PARTLY EVALUATED: {c.partial_reason}")
        for t in c.thresholds:
            mark = "  WARNING never matches: " if t.dead else "  "
            mark = "  (nothing to compare here) " if t.empty else mark
            lines.append(f"{mark}{t.words}   ({t.path})")
    warned = [c for c in checks if c.warnings]
    lines.append("")
    lines.append(
        f"{len(checks)} rules, {sum(c.flags is None for c in checks)} skipped, "
        f"{sum(bool(c.partial_reason) for c in checks)} partly evaluated, "
        f"{sum(any(t.dead for t in c.thresholds) for c in checks)} with a threshold that "
        f"never matches, {sum(c.flags == 0 for c in checks)} flag nothing; "
        f"{len(warned)} to look at"
    )
    return "\n".join(lines)
