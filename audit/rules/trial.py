"""`audit rules try`: a dry run of one rule (or a folder) against an existing scan.

The rules are compiled and run in the sandbox exactly as a scan would run them, on the
store's corpus and findings; nothing is written. For each rule: how many items it flags
(per action for tiered rules), a sample of flagged items with the values of the fields the
rule reads and its evidence — personal data masked as in the report (audit/report/masking.py)
— and the difference against the flags of the same rule id in the store's latest run (the
rule's previous version).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import duckdb

from audit.rules import compile as C
from audit.rules.columns import resolve_field
from audit.rules.evaluate import run_pack
from audit.rules.loader import LoadedRule, RuleSet
from audit.rules.model import (
    AggregateCondition,
    AllCondition,
    AnyCondition,
    DistinctHaving,
    FieldCondition,
    NotCondition,
)
from audit.rules.pack import Binder, PackTables
from audit.store import query

MAX_SHOWN_CHARS = 80
DIFF_EXAMPLES = 5


@dataclass
class TrialItem:
    """One flagged item of the sample: the rule's fields, masked, and its evidence."""

    item_id: str
    action: str
    fields: dict[str, Any]
    evidence: dict[str, list[str]]


@dataclass
class Trial:
    """What one rule does to this corpus, and how that differs from its previous version."""

    rule_id: str
    flags: int
    by_action: dict[str, int]
    skip_reason: str | None
    partial_reason: str | None
    sample: list[TrialItem] = field(default_factory=list)
    previous_run: str | None = None
    previous_flags: int | None = None  # None: the rule was not in that run
    new: list[str] = field(default_factory=list)  # flagged now, not before (examples)
    gone: list[str] = field(default_factory=list)  # flagged before, not now (examples)
    new_count: int = 0
    gone_count: int = 0

    def as_dict(self) -> dict[str, Any]:
        """For JSON."""
        from dataclasses import asdict

        return asdict(self)


def rule_fields(cond: Any) -> list[str]:
    """The fields a condition reads (item columns and extra.<path>), in the order written."""
    out: list[str] = []
    if isinstance(cond, FieldCondition):
        out.append(cond.field)
    elif isinstance(cond, AllCondition | AnyCondition):
        for child in cond.all if isinstance(cond, AllCondition) else cond.any:
            out += rule_fields(child)
    elif isinstance(cond, NotCondition):
        out += rule_fields(cond.not_)
    elif isinstance(cond, AggregateCondition):
        out.append(cond.aggregate.group_by)
        having = cond.aggregate.having
        if isinstance(having, DistinctHaving):
            out.append(having.distinct_count.field)
        for attr in ("any_item", "share_of_items", "count_of_items"):
            inner = getattr(having, attr, None)
            if inner is not None:
                out += rule_fields(getattr(inner, "where", inner))
    return list(dict.fromkeys(out))


def _field_sql(loaded: LoadedRule, extra_columns: set[str], names: list[str]) -> str:
    """SELECT list of the rule's fields over ``rule_items i`` (the compiler's expressions)."""
    state = C._State(loaded, extra_columns, PackTables(), Binder())
    return ", ".join(
        f"({C._column(state, resolve_field(name), ('match',))})::VARCHAR" for name in names
    )


def _secrets(con: duckdb.DuckDBPyConnection, item_ids: list[str]) -> dict[str, list]:
    from audit.report.queries import rows

    out: dict[str, list] = {}
    for s in rows(con, "sample_secrets", item_ids=item_ids):
        out.setdefault(s["item_id"], []).append((s["value"], s["entity_type"]))
    return out


def _shown(value: Any, secrets: list) -> Any:
    from audit.report.masking import scrub

    if not isinstance(value, str):
        return value
    text = scrub(value, secrets)
    return text if len(text) <= MAX_SHOWN_CHARS else text[: MAX_SHOWN_CHARS - 1] + "…"


def try_rules(
    con: duckdb.DuckDBPyConnection,
    ruleset: RuleSet,
    *,
    sample: int = 20,
    previous_run: str | None = None,
    detectors_run: set[str] | None = None,
) -> list[Trial]:
    """Dry-run ``ruleset`` on the store behind ``con`` (read-only is enough)."""
    from audit.report.masking import mask_evidence
    from audit.rules.evaluate import extra_column_names

    run = run_pack(con, ruleset, detectors_run=detectors_run, run_id=previous_run)
    extra = extra_column_names(con)
    trials = []
    try:
        for loaded in ruleset:
            rule_id = loaded.rule.id
            hits = run.sandbox.execute(
                query("rules.sql", "trial_hits"), [rule_id]
            ).fetchall()  # (item_id, action, evidence), ordered by item_id
            by_action: dict[str, int] = {}
            for _, action, _ in hits:
                by_action[action] = by_action.get(action, 0) + 1
            trial = Trial(
                rule_id,
                len(hits),
                by_action,
                run.skipped.get(rule_id),
                run.partial.get(rule_id),
            )
            shown = hits[:sample]
            names = [n for n in rule_fields(loaded.rule.match) if n != "item_id"]
            for tier in loaded.rule.tiers:
                if tier.when is not None:
                    names += [n for n in rule_fields(tier.when) if n not in names]
            values: dict[str, tuple] = {}
            if shown and names:
                sql = query("rules.sql", "trial_fields").replace(
                    "/*FIELDS*/", _field_sql(loaded, extra, names)
                )
                ids = [h[0] for h in shown]
                values = {r[0]: r[1:] for r in run.sandbox.execute(sql, [ids]).fetchall()}
            secrets = _secrets(con, [h[0] for h in shown]) if shown else {}
            for item_id, action, evidence in shown:
                hidden = secrets.get(item_id, [])
                row = values.get(item_id, (None,) * len(names))
                trial.sample.append(
                    TrialItem(
                        item_id,
                        action,
                        {n: _shown(v, hidden) for n, v in zip(names, row, strict=True)},
                        mask_evidence(evidence, hidden),
                    )
                )
            if previous_run is not None:
                _diff(con, trial, previous_run, {h[0] for h in hits})
            trials.append(trial)
    finally:
        run.close()
    return trials


def _diff(con: duckdb.DuckDBPyConnection, trial: Trial, run_id: str, now: set[str]) -> None:
    trial.previous_run = run_id
    known = con.execute(query("rules.sql", "trial_rule_in_run"), [run_id, trial.rule_id]).fetchone()
    if not known or not known[0]:
        return
    before = {
        r[0]
        for r in con.execute(
            query("rules.sql", "trial_previous"), [run_id, trial.rule_id]
        ).fetchall()
    }
    trial.previous_flags = len(before)
    new, gone = sorted(now - before), sorted(before - now)
    trial.new_count, trial.gone_count = len(new), len(gone)
    trial.new, trial.gone = new[:DIFF_EXAMPLES], gone[:DIFF_EXAMPLES]


def format_trials(trials: list[Trial]) -> str:
    """The plain-text output of `audit rules try`."""
    lines: list[str] = []
    for t in trials:
        if t.skip_reason:
            lines.append(f"{t.rule_id}: SKIPPED — {t.skip_reason}")
            continue
        actions = ", ".join(f"{n:,} {a}" for a, n in sorted(t.by_action.items()))
        lines.append(
            f"{t.rule_id}: {t.flags:,} items flagged" + (f" ({actions})" if actions else "")
        )
        if t.partial_reason:
            lines.append(f"  partly evaluated: {t.partial_reason}")
        if t.previous_run is not None:
            if t.previous_flags is None:
                lines.append(f"  not in the latest run ({t.previous_run}): nothing to compare")
            else:
                lines.append(
                    f"  against run {t.previous_run} ({t.previous_flags:,} flagged): "
                    f"+{t.new_count:,} newly flagged, -{t.gone_count:,} no longer flagged"
                )
                if t.new:
                    lines.append(
                        f"    new: {', '.join(t.new)}{' …' if t.new_count > len(t.new) else ''}"
                    )
                if t.gone:
                    lines.append(
                        f"    gone: {', '.join(t.gone)}{' …' if t.gone_count > len(t.gone) else ''}"
                    )
        for item in t.sample:
            fields = "; ".join(
                f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in item.fields.items()
            )
            lines.append(f"  - {item.item_id} [{item.action}] {fields}")
            for c in item.evidence["conditions"]:
                lines.append(f"      because {c}")
            if item.evidence["findings"]:
                lines.append(f"      findings: {', '.join(item.evidence['findings'])}")
        if t.flags > len(t.sample):
            lines.append(f"  … {t.flags - len(t.sample):,} more")
    return "\n".join(lines)
