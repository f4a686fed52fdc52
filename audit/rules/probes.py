"""Probes: parameterised SQL that measures a rule's thresholds against the corpus.

For every threshold a rule compares — a detector condition's ``min_score``, ``min_size_px``,
``min_count`` and attribute tests, a field comparison, a group's share / count / distinct
values, an evidence score — a probe counts what the threshold is compared with and how
much of it reaches it (`audit rules check`, the report's "Thresholds" section). Probes are
built by the compiler's own functions (audit/rules/compile.py), from the same validated
names and bound values, over the tables the pack's plan made in the sandbox (``rule_items``
with its ``rule_d<n>`` counts, ``findings``, the evidence tables); they run after the plan,
in the same locked sandbox. A condition the scan cannot answer (availability.py) has no
probe: its reason is the rule's partial or skip reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from audit.detectors.registry import spec
from audit.rules import compile as C
from audit.rules.columns import resolve_field
from audit.rules.describe import describe
from audit.rules.loader import LoadedRule
from audit.rules.messages import dotted
from audit.rules.model import (
    AggregateCondition,
    AllCondition,
    AnyCondition,
    AnyItemHaving,
    CountHaving,
    DetectorCondition,
    DistinctHaving,
    EvidenceHaving,
    FieldCondition,
    NotCondition,
    ShareHaving,
    attribute_tests,
)
from audit.rules.pack import Binder, PackTables
from audit.store import query

ProbeKind = Literal["findings", "items", "values", "groups", "evidence"]

#: Text fields whose values `audit rules check` may show (vocabularies, not personal data).
#: Source values are shown only when they are few (``MAX_SHOWN_VALUES``): a categorical
#: export field like over_18 or subreddit, never a free-text or per-person one.
SHOWN_TEXT_FIELDS = frozenset({"visibility", "platform", "license", "media_training_reservation",
                               "language", "community"})  # fmt: skip
MAX_SHOWN_VALUES = 30


@dataclass
class Probe:
    """One measurement of one threshold of one rule."""

    rule_id: str
    path: str  # where in the rule file: match.all[1].min_score
    kind: ProbeKind
    sql: str
    params: list[Any]
    subject: str  # the threshold in words: "min_score 0.5", "author_age_at_post < 18"
    unit: str = (
        "items"  # what is counted: "findings", "items with a visibility", "author_id groups"
    )
    figure: str = ""  # what low/high are: "scores", "box sizes (px)", "shares", "values"
    values: Probe | None = None  # the field's commonest values, where they may be shown
    extra: dict[str, Any] = field(default_factory=dict)


class _Builder:
    """Builds the probes of one rule over the pack's shared tables."""

    def __init__(
        self, loaded: LoadedRule, tables: PackTables, scope: C.Scope, unknown: dict
    ) -> None:
        self.loaded, self.tables, self.scope, self.unknown = loaded, tables, scope, unknown
        self.probes: list[Probe] = []

    def state(self) -> tuple[C._State, Binder]:
        binder = Binder()
        state = C._State(self.loaded, self.scope.extra_columns, self.tables, binder)
        state.unknown = self.unknown
        return state, binder

    def add(self, kind: ProbeKind, path: tuple[Any, ...], block: str, fill: dict[str, str],
            binder: Binder, subject: str, **kw: Any) -> Probe:  # fmt: skip
        sql = query("rules.sql", block)
        for key, value in fill.items():
            sql = sql.replace(f"/*{key}*/", value)
        probe = Probe(self.loaded.rule.id, dotted(path), kind, sql, binder.params, subject, **kw)
        self.probes.append(probe)
        return probe

    # ---------------------------------------------------------------- the walk

    def walk(self, cond: Any, path: tuple[Any, ...]) -> None:
        if id(cond) in self.unknown:
            return
        if isinstance(cond, AllCondition | AnyCondition):
            key = "all" if isinstance(cond, AllCondition) else "any"
            for n, child in enumerate(getattr(cond, key)):
                self.walk(child, (*path, key, n))
        elif isinstance(cond, NotCondition):
            self.walk(cond.not_, (*path, "not"))
        elif isinstance(cond, FieldCondition):
            self.field(cond, path)
        elif isinstance(cond, DetectorCondition):
            self.detector(cond, path)
        elif isinstance(cond, AggregateCondition):
            self.aggregate(cond, path)

    def field(self, cond: FieldCondition, path: tuple[Any, ...]) -> None:
        if cond.op == "is_null":
            return  # missing values are what it asks about: nothing to reach
        state, binder = self.state()
        holds = C._field(state, cond, path)
        ref = cond.ref
        value = C._column(state, ref, (*path, "field"))
        present = f"({value}) IS NOT NULL"
        kind = ref.kind
        if kind == "list" or _is_list_path(ref):  # an empty list has nothing to compare
            present = f"coalesce(len({value}), 0) > 0"
        ranged = kind in ("number", "timestamp", "date") and cond.op in C._SQL_OP
        shown = kind == "text" and ref.name in SHOWN_TEXT_FIELDS or kind == "extra"
        probe = self.add(
            "items", path, "probe_items",
            {"PRESENT": present, "HOLDS": holds, "VALUE": value if ranged else "NULL"},
            binder, describe(cond), unit=f"items where {ref.name} is known",
            figure="values" if ranged else "",
        )  # fmt: skip
        if shown and cond.op in ("eq", "ne", "in", "not_in") and not _is_list_path(ref):
            vstate, vbinder = self.state()
            column = C._column(vstate, ref, (*path, "field"))
            probe.values = Probe(
                probe.rule_id, probe.path, "values",
                query("rules.sql", "probe_values").replace("/*VALUE*/", column),
                vbinder.params, probe.subject,
            )  # fmt: skip

    def detector(self, cond: DetectorCondition, path: tuple[Any, ...]) -> None:
        key = C.detector_key(cond)
        assert key in self.tables.filters, "probes read the pack's own detector conditions"
        index = self.tables.filters[key]
        declared = spec(cond.detector)
        types = " or ".join(cond.types) if cond.types else f"{cond.detector}"
        thresholds = []
        if cond.min_score is not None:
            thresholds.append(f"min_score {cond.min_score:g}")
        if cond.min_size_px:
            thresholds.append(f"min_size_px {cond.min_size_px}")
        thresholds += [f"{k} {op} {v!r}" for k, op, v in attribute_tests(cond.attributes)]
        if thresholds:
            binder = Binder()
            scope = [f"f.detector = {binder.bind(cond.detector)}"]
            if cond.types:
                scope.append(
                    f"list_contains({binder.bind(list(cond.types))}::VARCHAR[], f.entity_type)"
                )
            accept = C._finding_filter(cond, binder)
            value, figure = "f.score", "scores"
            if cond.min_size_px:
                value, figure = query("rules.sql", "face_size_px"), "box sizes (px)"
            elif cond.min_score is None:
                value, figure = "NULL", ""
            self.add(
                "findings", path, "probe_findings",
                {"ACCEPT": accept, "VALUE": value, "SCOPE": " AND ".join(scope)},
                binder, ", ".join(thresholds), unit="findings", figure=figure,
                extra={"types": types, "noun": declared.finding_noun[1]},
            )  # fmt: skip
        binder = Binder()
        found = f"coalesce(i.rule_d{index}, 0) >= 1"
        holds = f"coalesce(i.rule_d{index}, 0) >= {binder.bind(cond.min_count)}"
        if cond.min_count > 1 or not thresholds:
            subject = f"min_count {cond.min_count}" if cond.min_count > 1 else describe(cond)
            self.add(
                "items", path, "probe_items",
                {"PRESENT": found, "HOLDS": holds, "VALUE": "NULL"},
                binder, subject, unit=f"items with {types} findings",
            )  # fmt: skip

    def aggregate(self, cond: AggregateCondition, path: tuple[Any, ...]) -> None:
        agg = cond.aggregate
        hpath = (*path, "aggregate", "having")
        state, binder = self.state()
        group = C._column(state, resolve_field(agg.group_by), (*path, "aggregate", "group_by"))
        having = agg.having
        unit = f"{agg.group_by} groups"
        if isinstance(having, EvidenceHaving):
            score = having.evidence_score
            table = self.tables.evidence_tables[(group, score.detector)]
            test = f"score {C._SQL_OP[score.op]} {binder.bind(score.value)}"
            self.add(
                "evidence", (*hpath, "evidence_score"), "probe_evidence",
                {"TEST": test, "NAME": table.name}, binder,
                f"evidence_score {score.op} {score.value:g}",
                unit=f"{agg.group_by} groups with {score.detector} findings", figure="scores",
            )  # fmt: skip
            return
        if isinstance(having, DistinctHaving):
            spec_ = having.distinct_count
            value = C._column(
                state, resolve_field(spec_.field), (*hpath, "distinct_count", "field")
            )
            fill = {"PER_ITEM": "true", "VALUE": value, "FIGURE": "d",
                    "TEST": f"d {C._SQL_OP[spec_.op]} {binder.bind(spec_.value)}"}  # fmt: skip
            subject, figure, where = (
                f"distinct_count {spec_.op} {spec_.value:g}",
                "distinct counts",
                None,
            )
            hpath = (*hpath, "distinct_count")
        else:
            if isinstance(having, AnyItemHaving):
                where, op, threshold, name = having.any_item, "ge", 1, "any_item"
                figure_sql, figure = "hits", "counts of matching items"
            else:
                spec_ = having.share_of_items if isinstance(having, ShareHaving) else None
                if isinstance(having, CountHaving):
                    spec_ = having.count_of_items
                assert spec_ is not None
                where, op, threshold = spec_.where, spec_.op, spec_.value
                name = "share_of_items" if isinstance(having, ShareHaving) else "count_of_items"
                figure_sql, figure = (("hits / n", "shares") if name == "share_of_items"
                                      else ("hits", "counts of matching items"))  # fmt: skip
            per_item = C._expr(state, where, (*hpath, name, "where"), None, in_group=True)
            bound = binder.bind(threshold)
            test = f"hits {C._SQL_OP[op]} {bound}" + (" * n" if name == "share_of_items" else "")
            fill = {"PER_ITEM": per_item, "VALUE": "NULL", "FIGURE": figure_sql, "TEST": test}
            subject = f"{name} {op} {threshold:g}" if name != "any_item" else "any_item"
            hpath = (*hpath, name)
        fill["GROUP"] = group
        self.add("groups", hpath, "probe_groups", fill, binder, subject, unit=unit, figure=figure)
        if where is not None:
            self.walk(where, (*hpath, "where") if not isinstance(having, AnyItemHaving) else hpath)


def _is_list_path(ref: Any) -> bool:
    path = ref.extra_path()
    return path is not None and path.is_list


def rule_probes(
    loaded: LoadedRule, tables: PackTables, scope: C.Scope, unknown: dict[int, str]
) -> list[Probe]:
    """The probes of one (evaluated) rule, in the order its thresholds are written."""
    builder = _Builder(loaded, tables, scope, unknown)
    builder.walk(loaded.rule.match, ("match",))
    for n, tier in enumerate(loaded.rule.tiers):
        if tier.when is not None:
            builder.walk(tier.when, ("actions", n, "when"))
    return builder.probes


def compile_checked_pack(
    loaded_rules: list[LoadedRule],
    extra_columns: set[str] | None,
    detectors_run: set[str] | None,
) -> tuple[C.Plan, list[Probe]]:
    """The pack's plan (as :func:`compile_pack`) and the probes of its rules."""
    scope = C.Scope(extra_columns, detectors_run)
    compiled = C._compile(loaded_rules, scope)
    probes: list[Probe] = []
    for state in compiled.states:
        probes.extend(rule_probes(state.loaded, compiled.tables, scope, state.unknown))
    return compiled.plan, probes


def iter_probes(probes: list[Probe]) -> Iterator[Probe]:
    """Every probe and its value probe."""
    for probe in probes:
        yield probe
        if probe.values is not None:
            yield probe.values
