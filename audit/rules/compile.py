"""Compile rules into parameterised DuckDB SQL over ``rule_items i`` in the sandbox.

This is the only place rule SQL is built. Identifiers come from the validated column
catalogue (audit/rules/columns.py), never from rule text; every value is a bound ``$n``
parameter. Semantics (docs/RULES.md): a comparison on a missing value is false, never NULL
(``coalesce(..., false)``), so ``not`` of it is true.

A pack compiles into a :class:`Plan`: the shared tables of audit/rules/pack.py (each
detector condition evaluated once over the findings, one group table per ``group_by``),
then one ``INSERT INTO rule_hits`` whose UNION ALL branches are the rules — one pass, no
per-rule subqueries. Each branch writes ``(item_id, rule_id, severity, action, evidence)``;
evidence lists the satisfied conditions in plain words and the item's findings that a
detector condition looked at (positions and scores only, never the matched text).
A rule compiled alone (:func:`compile_rule`) is a plan of one: what `audit rules explain`
shows and the rule catalogue records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from audit.detectors.registry import column_owner, spec
from audit.rules.availability import Scope, Verdict, assess
from audit.rules.columns import ExtraPath, FieldRef, item_view_kinds, resolve_field
from audit.rules.describe import describe, describe_tier, threshold_words
from audit.rules.loader import LoadedRule
from audit.rules.model import (
    AggregateCondition,
    AllCondition,
    AnyCondition,
    AnyItemHaving,
    CopyCondition,
    DetectorCondition,
    DistinctHaving,
    EvidenceHaving,
    EvidenceScore,
    FieldCondition,
    NotCondition,
    RegistryCondition,
    ShareHaving,
    attribute_tests,
)
from audit.rules.normalise import normaliser
from audit.rules.pack import Binder, GroupTable, PackTables, Statement
from audit.rules.problems import Problem, RuleLoadError
from audit.store import query

_SQL_OP = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_CAST = {"number": "DOUBLE", "bool": "BOOLEAN", "timestamp": "TIMESTAMP", "date": "DATE"}

Path_ = tuple[Any, ...]


@dataclass
class Plan:
    """A compiled pack: statements to run in order in the sandbox, and what they read."""

    statements: list[Statement]
    rule_ids: list[str]
    columns: set[str]  # item_view columns the statements read
    detectors: set[str]  # detectors whose findings the statements read
    evidence_detectors: set[str] = field(default_factory=set)  # ... with their attributes
    inputs: set[str] = field(default_factory=set)  # registry matches, image copies

    @property
    def uses_findings(self) -> bool:
        """Whether any statement reads the findings."""
        return bool(self.detectors)

    @property
    def sql(self) -> str:
        """Every statement, for display."""
        return ";\n\n".join(s.sql for s in self.statements)

    @property
    def params(self) -> list[list[Any]]:
        """The parameters of each statement, in order."""
        return [s.params for s in self.statements]


@dataclass
class CompiledRule:
    """A rule compiled alone: its plan of one (for explain and the catalogue), and what it reads."""

    rule_id: str
    sql: str
    params: list[list[Any]]
    columns: set[str]
    uses_findings: bool
    extra_names: set[str]  # source columns (items.extra) the rule reads
    detectors: set[str]  # detectors whose findings the rule reads
    is_aggregate: bool  # flags depend on other items of a group
    skip_reason: str | None = None  # why the rule cannot run in this scope (availability.py)
    partial_reason: str | None = None  # "evaluated without …": conditions treated as false


@dataclass
class _State:
    """Compilation state of one rule inside a pack."""

    loaded: LoadedRule
    extra_columns: set[str] | None
    tables: PackTables
    binder: Binder  # the statement the current condition lands in (hits or a group table)
    columns: set[str] = field(default_factory=lambda: {"item_id"})
    evidence_keys: list[int] = field(default_factory=list)  # detector conditions shown
    joins: dict[str, str] = field(default_factory=dict)  # group table → alias in the branch
    problems: list[Problem] = field(default_factory=list)
    unknown: dict[int, str] = field(default_factory=dict)  # id(condition) → why: compiled false
    extra_names: set[str] = field(default_factory=set)
    column_detectors: set[str] = field(default_factory=set)  # owners of derived columns read

    def bind(self, value: Any) -> str:
        """Bind a value in the statement being built."""
        return self.binder.bind(value)


def _extra(state: _State, ref: FieldRef) -> ExtraPath:
    path = ref.extra_path(state.extra_columns)
    assert path is not None
    state.columns.add("extra")
    state.extra_names.add(path.column)
    return path


def _column(state: _State, ref: FieldRef, path: Path_, value_kind: str | None = None) -> str:
    """SQL for a field's value; source values come out of the extra JSON."""
    state.columns.add(ref.column)
    if ref.extra_name is None:
        if owner := column_owner(ref.name):
            state.column_detectors.add(owner)
        return f'i."{ref.name}"'
    # every key of the path matched columns._STEP (no quotes or backslashes): safe here
    text = f"json_extract_string(i.extra, '{_extra(state, ref).json_path()}')"
    cast = _CAST.get(value_kind or "")
    return f"TRY_CAST({text} AS {cast})" if cast else text


def _extra_list(state: _State, ref: FieldRef) -> tuple[str, str]:
    """(list of the values as text, whether the value is a JSON array) for a source path:
    a path through [*] is always a list; another path is one when the record holds an array."""
    path = _extra(state, ref)
    json_path = path.json_path()
    if path.is_list:
        return f"json_extract_string(i.extra, '{json_path}')", "true"
    elements = f"json_extract_string(i.extra, '{json_path}[*]')"
    return elements, f"coalesce(json_type(i.extra, '{json_path}') = 'ARRAY', false)"


def _value_kind(value: Any) -> str:
    if isinstance(value, list):
        value = value[0]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "text"


def _bind_values(state: _State, op: str, value: Any, field_name: str) -> str:
    """Bind an operator's value (normalised for known fields, docs: normalise.py)."""
    norm = normaliser(field_name, op)
    if norm is not None:
        if isinstance(value, list):
            value = [norm.value(v) if isinstance(v, str) else v for v in value]
        elif isinstance(value, str):
            value = norm.value(value)
    return state.bind(list(value) if isinstance(value, list) else value)


def _list_field(state: _State, cond: FieldCondition, path: Path_) -> str:
    """contains / in / not_in / is_null on a list: a detector list column, or a source
    value that is a JSON array (its elements compared as text, or as numbers with numbers)."""
    ref, op, value = cond.ref, cond.op, cond.value
    if ref.extra_name is None:
        values = _column(state, ref, (*path, "field"))
    else:
        values, _ = _extra_list(state, ref)
    numbers = op in ("in", "not_in") and _value_kind(value) == "number"
    if numbers:
        values = f"list_transform({values}, lambda x: TRY_CAST(x AS DOUBLE))"
    if op == "is_null":
        empty = f"coalesce(len({values}) = 0, true)"
        return f"({empty})" if value else f"(NOT {empty})"
    if op == "contains":
        return f"coalesce(list_contains({values}, {state.bind(value)}), false)"
    bound = f"{state.bind(list(value))}::{'DOUBLE[]' if numbers else 'VARCHAR[]'}"
    if op == "in":
        return f"coalesce(list_has_any({bound}, {values}), false)"
    return f"coalesce(len({values}) > 0 AND NOT list_has_any({bound}, {values}), false)"


def _extra_field(state: _State, cond: FieldCondition, path: Path_) -> str:
    """A source value that may be a JSON array: list semantics for contains / in / not_in
    when it is one, scalar semantics otherwise."""
    as_list = _list_field(state, cond, path)
    scalar = _scalar_field(state, cond, path)
    _, is_array = _extra_list(state, cond.ref)
    return f"(CASE WHEN {is_array} THEN {as_list} ELSE {scalar} END)"


def _field(state: _State, cond: FieldCondition, path: Path_) -> str:
    ref, op = cond.ref, cond.op
    if ref.kind == "list":
        return _list_field(state, cond, path)
    if ref.kind == "extra":
        extra_path = ref.extra_path(state.extra_columns)
        assert extra_path is not None
        if extra_path.is_list:
            return _list_field(state, cond, path)
        if op in ("contains", "in", "not_in"):
            return _extra_field(state, cond, path)
    return _scalar_field(state, cond, path)


def _scalar_field(state: _State, cond: FieldCondition, path: Path_) -> str:
    ref, op, value = cond.ref, cond.op, cond.value
    kind = ref.kind
    if kind == "extra":  # a source column's kind is that of the value it is compared with
        kind = "text" if op in ("is_null", "contains", "matches") else _value_kind(value)
    col = _column(state, ref, (*path, "field"), kind if ref.kind == "extra" else None)
    if op == "is_null":
        return f"({col} IS {'' if value else 'NOT '}NULL)"
    norm = normaliser(cond.field, op)
    if norm is not None and kind == "text":
        col = norm.sql.format(col=col)
    if op in _SQL_OP:
        placeholder = _bind_values(state, op, value, cond.field)
        if kind in ("timestamp", "date"):
            placeholder = f"CAST({placeholder} AS {_CAST[kind]})"
        expr = f"{col} {_SQL_OP[op]} {placeholder}"
    elif op in ("in", "not_in"):
        list_type = "DOUBLE[]" if kind == "number" else "VARCHAR[]"
        expr = f"list_contains({_bind_values(state, op, value, cond.field)}::{list_type}, {col})"
        expr = expr if op == "in" else f"NOT {expr}"
    elif op == "contains":
        expr = f"contains({col}, {state.bind(value)})"
    else:  # matches
        expr = f"regexp_matches({col}, {state.bind(value)})"
    return f"coalesce({expr}, false)"


def _attribute_filter(cond: DetectorCondition, binder: Binder) -> list[str]:
    """SQL over ``findings f`` for each attribute test of a detector condition (attribute
    names passed model._ATTRIBUTE_KEY: lower_case words only, safe in the JSON path)."""
    parts = []
    for key, op, value in attribute_tests(cond.attributes):
        text = f"json_extract_string(f.attributes, '$.\"{key}\"')"
        kind = _value_kind(value)
        col = {"number": f"TRY_CAST({text} AS DOUBLE)", "bool": f"TRY_CAST({text} AS BOOLEAN)"}
        col_sql = col.get(kind, text)
        if op in ("in", "not_in"):
            list_type = "DOUBLE[]" if kind == "number" else "VARCHAR[]"
            expr = f"list_contains({binder.bind(list(value))}::{list_type}, {col_sql})"
            expr = expr if op == "in" else f"NOT {expr}"
        else:
            expr = f"{col_sql} {_SQL_OP[op]} {binder.bind(value)}"
        parts.append(f"coalesce({expr}, false)")
    return parts


def _finding_filter(cond: DetectorCondition, binder: Binder) -> str:
    """Which findings a detector condition counts (over ``findings f``)."""
    parts = [f"f.detector = {binder.bind(cond.detector)}"]
    if cond.types:
        parts.append(f"list_contains({binder.bind(list(cond.types))}::VARCHAR[], f.entity_type)")
    if cond.min_score is not None:
        parts.append(f"f.score >= {binder.bind(cond.min_score)}")
    if cond.min_size_px:
        parts.append(f"{query('rules.sql', 'face_size_px')} >= {binder.bind(cond.min_size_px)}")
    parts.extend(_attribute_filter(cond, binder))
    return "(" + " AND ".join(parts) + ")"


def detector_key(cond: DetectorCondition) -> tuple[Any, ...]:
    """What identifies the findings a detector condition counts (one rule_d column each)."""
    return (
        cond.detector,
        tuple(cond.types or ()),
        cond.min_score,
        cond.min_size_px,
        tuple((k, op, repr(v)) for k, op, v in attribute_tests(cond.attributes)),
    )


def _detector(state: _State, cond: DetectorCondition, in_group: bool) -> str:
    # conditions that count the same findings share one count column of rule_detect
    key = detector_key(cond)
    # inside an aggregate the evidence is the group label, not item spans
    index = state.tables.detector_index(
        key, lambda binder: _finding_filter(cond, binder), evidence=not in_group
    )
    state.tables.detectors.add(cond.detector)
    if cond.attributes:
        state.tables.attribute_detectors.add(cond.detector)
    if not in_group:
        state.evidence_keys.append(index)
    return f"coalesce(i.rule_d{index}, 0) >= {state.bind(cond.min_count)}"


def _having_parts(
    state: _State, having: Any, hpath: Path_, n: int
) -> tuple[str, str, str, str, bool]:
    """(per-item SQL, group test, label format, label args, distinct) for one `having`.

    Group columns available to the test and label (suffix ``n``): n (items), hits<n>
    (items matching the per-item condition), example<n> (smallest matching item id),
    distinct<n>.
    """
    if isinstance(having, DistinctHaving):
        spec = having.distinct_count
        value = _column(state, resolve_field(spec.field), (*hpath, "distinct_count", "field"))
        test = f"distinct{n} {_SQL_OP[spec.op]} {state.bind(spec.value)}"
        fmt, args = "%s %s: %d distinct %s values", f"distinct{n}, {state.bind(spec.field)}"
        return value, test, fmt, args, True
    if isinstance(having, AnyItemHaving):
        inner, wpath = having.any_item, (*hpath, "any_item")
    elif isinstance(having, ShareHaving):
        inner, wpath = having.share_of_items.where, (*hpath, "share_of_items", "where")
    else:
        inner, wpath = having.count_of_items.where, (*hpath, "count_of_items", "where")
    where = _expr(state, inner, wpath, units=None, in_group=True)
    said = state.bind(describe(inner))
    if isinstance(having, ShareHaving):
        share = having.share_of_items
        test = f"hits{n} {_SQL_OP[share.op]} {state.bind(share.value)} * n"
        fmt = "%s %s: %.0f%% of %d items matched: %s"
        return where, test, fmt, f"100.0 * hits{n} / n, n, {said}", False
    if isinstance(having, AnyItemHaving):
        test = f"hits{n} >= {state.bind(1)}"
    else:
        count = having.count_of_items
        test = f"hits{n} {_SQL_OP[count.op]} {state.bind(count.value)}"
    fmt = "%s %s: %d of %d items matched%s: %s"  # (e.g. item p77), unless none did
    example = f"coalesce(' (e.g. item ' || example{n} || ')', '')"
    return where, test, fmt, f"hits{n}, n, {example}, {said}", False


def _aggregate(
    state: _State, cond: AggregateCondition, path: Path_, labelled: bool = True
) -> tuple[str, str]:
    """Returns (boolean SQL, evidence label SQL) for a group-level condition (``labelled``:
    the label is shown; unshown labels must bind nothing in the branch's statement).

    The per-item condition is evaluated once per item into the pack's group table for this
    ``group_by`` (shared with other aggregates on the same field); the branch joins the
    table and reads this aggregate's label column (NULL: the group does not match).
    """
    agg = cond.aggregate
    group = _column(state, resolve_field(agg.group_by), (*path, "aggregate", "group_by"))
    if isinstance(agg.having, EvidenceHaving):
        return _evidence_score(state, agg.having.evidence_score, agg.group_by, group, labelled)
    table: GroupTable = state.tables.group(group)
    n = len(table.labels) + 1
    outer, state.binder = state.binder, table.binder
    try:
        per_item, test, fmt, args, distinct = _having_parts(
            state, agg.having, (*path, "aggregate", "having"), n
        )
        # JSON-encoded once per group, not once per flagged item
        label = (
            f"to_json(printf({state.bind(fmt)}, {state.bind(agg.group_by)}, g, {args}))::VARCHAR"
        )
    finally:
        state.binder = outer
    w = "true" if distinct else f"w{n}"
    table.per_item.append(f"{per_item} AS w{n}")
    table.aggregates.append(
        f"count(*) FILTER (WHERE {w}) AS hits{n}, min(item_id) FILTER (WHERE {w}) AS example{n}, "
        f"{f'count(DISTINCT w{n})' if distinct else 'NULL'} AS distinct{n}"
    )
    table.labels.append(f"CASE WHEN {test} THEN {label} END AS label{n}")
    table.tests.append(test)
    alias = state.joins.setdefault(table.name, f"g{len(state.joins) + 1}")
    return f"({alias}.label{n} IS NOT NULL)", f"{alias}.label{n}"


def _evidence_score(
    state: _State, spec_: EvidenceScore, group_by: str, group_sql: str, labelled: bool
) -> tuple[str, str]:
    """(boolean SQL, evidence label SQL) of an ``evidence_score`` having: the branch joins the
    detector's evidence table for this group_by and compares its score with ``ge``."""
    table = state.tables.evidence_table(group_sql, spec_.detector)
    declared = spec(spec_.detector).evidence
    assert declared is not None  # the rule model checked it
    state.columns.update(declared.item_columns)
    alias = state.joins.setdefault(table.name, f"g{len(state.joins) + 1}")
    test = f"coalesce({alias}.score {_SQL_OP[spec_.op]} {state.bind(spec_.value)}, false)"
    if not labelled:  # under `not`: a label's parameters would be unused in the statement
        return f"({test})", ""
    # "author_id b17: minor evidence 7.0 (at least 1.0): SELF_AGE +4.0 in item p3; ..."
    bound = f"{threshold_words(spec_.op)} {_number_words(spec_.value)}"
    words = f"%s %s: {declared.label} %s ({bound}): %s"
    label = (
        f"CASE WHEN {test} THEN to_json(printf({state.bind(words)}, {state.bind(group_by)}, "
        f"{alias}.g, {alias}.score_words, {alias}.reasons))::VARCHAR END"
    )
    return f"({test})", label


def _number_words(x: float) -> str:
    """A threshold as evidence words write scores: one or two decimals (1.0, 0.75)."""
    text = f"{x:.2f}"
    return text[:-1] if text.endswith("0") else text


def _expr(
    state: _State,
    cond: Any,
    path: Path_,
    units: list[tuple[str, str]] | None,
    in_group: bool = False,
    certain: bool = False,
) -> str:
    """Boolean SQL for ``cond``; appends (test, label) evidence units when ``units`` is given.

    ``certain`` marks nodes that hold whenever the rule matches (the root and children of
    an `all` chain under it): their evidence label needs no second evaluation of the test.
    """
    if id(cond) in state.unknown:  # not in this corpus / scan: treated as false (availability.py)
        return "false"
    if isinstance(cond, AllCondition | AnyCondition):
        key, children, joiner = (
            ("all", cond.all, " AND ")
            if isinstance(cond, AllCondition)
            else ("any", cond.any, " OR ")
        )
        sure = certain and isinstance(cond, AllCondition)
        parts = [
            _expr(state, c, (*path, key, n), units, in_group, sure) for n, c in enumerate(children)
        ]
        return "(" + joiner.join(parts) + ")"
    if isinstance(cond, NotCondition):
        sql = f"(NOT {_expr(state, cond.not_, (*path, 'not'), None, in_group)})"
        label_sql = _label(state, describe(cond)) if units is not None else ""
    elif isinstance(cond, AggregateCondition):
        if in_group:
            state.problems.append(
                state.loaded.problem(path, "an aggregate cannot be nested inside another aggregate")
            )
            return "false"
        sql, label_sql = _aggregate(state, cond, path, labelled=units is not None)
    elif isinstance(cond, FieldCondition):
        sql = _field(state, cond, path)
        label_sql = _label(state, describe(cond)) if units is not None else ""
    elif isinstance(cond, DetectorCondition):
        sql = _detector(state, cond, in_group)
        label_sql = _label(state, describe(cond)) if units is not None else ""
    elif isinstance(cond, RegistryCondition | CopyCondition):
        sql, label_sql = _item_table_condition(state, cond, path)
    else:  # a new condition kind in the model must be compiled here, not guessed at
        raise TypeError(f"no SQL for condition kind {type(cond).__name__}")
    if units is not None:
        units.append(("true" if certain else sql, label_sql))
    return sql


def _registry_table(state: _State, cond: RegistryCondition) -> str:
    """The item table of a registry condition: items covered by a matching request, with the
    requests cited (their ids, kind, subject type and how they matched)."""
    match = cond.registry
    key = ("registry", tuple(match.kinds or ()), tuple(match.subject_types or ()))
    table, new = state.tables.item_table(key, "registry_table")
    if new:
        filters = ["true"]
        if match.kinds:
            filters.append(
                f"list_contains({table.binder.bind(list(match.kinds))}::VARCHAR[], kind)"
            )
        if match.subject_types:
            types = table.binder.bind(list(match.subject_types))
            filters.append(f"list_contains({types}::VARCHAR[], subject_type)")
        table.parts["FILTER"] = " AND ".join(filters)
        table.inputs = ("registry",)
    return table.name


def _copy_table(state: _State, cond: CopyCondition, path: Path_) -> str:
    """The item table of a copy_of condition: items whose image is a perceptual copy of an
    image of another item for which ``original`` holds, naming one such original."""
    original = cond.copy_of.original
    key = ("copy_of", original.model_dump_json() if original is not None else None)
    if key in state.tables.item_tables:
        return state.tables.item_tables[key].name
    where, binder = "true", Binder()
    if original is not None:
        if _has_aggregate(original):
            state.problems.append(
                state.loaded.problem(
                    (*path, "copy_of", "original"),
                    "copy_of.original cannot hold an aggregate (it is tested on the one original item)",
                )
            )
        else:
            outer, state.binder = state.binder, binder
            try:
                where = _expr(state, original, (*path, "copy_of", "original"), None, in_group=True)
            finally:
                state.binder = outer
    table, _ = state.tables.item_table(key, "copy_table")
    table.binder = binder
    table.parts["ORIGINAL"] = where
    table.inputs = ("copies",)
    state.columns.update({"platform", "visibility"})
    state.column_detectors.add("image_hash")  # skipped, not silently empty, without hashes
    return table.name


def _has_aggregate(cond: Any) -> bool:
    if isinstance(cond, AggregateCondition):
        return True
    if isinstance(cond, AllCondition | AnyCondition):
        return any(
            _has_aggregate(c) for c in (cond.all if isinstance(cond, AllCondition) else cond.any)
        )
    if isinstance(cond, NotCondition):
        return _has_aggregate(cond.not_)
    if isinstance(cond, CopyCondition) and cond.copy_of.original is not None:
        return _has_aggregate(cond.copy_of.original)
    return False


def _item_table_condition(
    state: _State, cond: RegistryCondition | CopyCondition, path: Path_
) -> tuple[str, str]:
    """(boolean SQL, evidence label SQL) of a registry or copy_of condition: membership of its
    item table, and the item's label there (both bind nothing in the branch)."""
    if isinstance(cond, RegistryCondition):
        name = _registry_table(state, cond)
    else:
        name = _copy_table(state, cond, path)
    sql = f"(i.item_id IN (SELECT item_id FROM {name}))"
    label = f"(SELECT to_json(t.label)::VARCHAR FROM {name} t WHERE t.item_id = i.item_id)"
    return sql, label


def _label(state: _State, words: str) -> str:
    """A condition's evidence label, bound as a JSON string (encoded once, here)."""
    return state.bind(json.dumps(words, ensure_ascii=False))


def _evidence(state: _State, units: list[tuple[str, str]]) -> str:
    """Evidence JSON text: {"conditions": [labels that held], "findings": [...]}.

    Written by concatenating JSON-encoded labels (concat_ws skips the NULL ones) rather
    than serialising a struct per flag: flags run to millions and this is their cost.
    """
    labels = ", ".join(
        label if test == "true" else f"CASE WHEN {test} THEN {label} END" for test, label in units
    )
    findings = "'[]'"
    if state.evidence_keys:
        keys = f"{state.bind(sorted(set(state.evidence_keys)))}::INTEGER[]"
        findings = query("rules.sql", "evidence_findings").replace("/*KEYS*/", keys)
        findings = f"to_json({findings})::VARCHAR"
    return f"""'{{"conditions":[' || concat_ws(',', {labels}) || '],"findings":' || {findings} || '}}'"""


def _branch(state: _State) -> str:
    """The rule's SELECT of (item_id, rule_id, severity, action, evidence) rows."""
    rule = state.loaded.rule
    units: list[tuple[str, str]] = []
    where = _expr(state, rule.match, ("match",), units, certain=True)
    head = _tiers(state, units)
    evidence = _evidence(state, units)
    tables = state.tables.joinable()
    joins = "".join(
        f" LEFT JOIN {name} {alias} ON {alias}.g = {tables[name]}"
        for name, alias in state.joins.items()
    )
    return (
        query("rules.sql", "rule_branch")
        .replace("/*RULE*/", head)
        .replace("/*EVIDENCE*/", evidence)
        .replace("/*JOINS*/", joins)
        .replace("/*MATCH*/", where)
    )


def _tiers(state: _State, units: list[tuple[str, str]]) -> str:
    """``rule_id, severity, action`` of the branch: bound values, or for tiered actions a
    CASE over the tiers' ``when`` (first that holds wins; each compiled once, its SQL used
    in both CASEs) with the deciding tier named in the evidence."""
    rule = state.loaded.rule
    tiers = rule.tiers
    if len(tiers) == 1:
        return ", ".join(state.bind(v) for v in (rule.id, rule.severity, rule.action))
    whens: list[str] = []
    for n, tier in enumerate(tiers[:-1]):
        whens.append(_expr(state, tier.when, ("actions", n, "when"), None))
        earlier = "".join(f" AND NOT {w}" for w in whens[:-1])
        units.append((f"({whens[-1]}{earlier})", _label(state, describe_tier(tier))))
    cases = []
    for attr in ("severity", "action"):
        arms = " ".join(
            f"WHEN {w} THEN {state.bind(getattr(t, attr))}"
            for w, t in zip(whens, tiers, strict=False)
        )
        cases.append(f"CASE {arms} ELSE {state.bind(getattr(tiers[-1], attr))} END")
    return ", ".join([state.bind(rule.id), *cases])


@dataclass
class _Compiled:
    plan: Plan
    states: list[_State]
    tables: PackTables


def _compile(
    loaded_rules: list[LoadedRule], scope: Scope, verdicts: dict[str, Verdict] | None = None
) -> _Compiled:
    tables, hits = PackTables(), Binder()
    states, branches, problems = [], [], []
    for loaded in loaded_rules:
        state = _State(loaded, scope.extra_columns, tables, hits)
        verdict = (verdicts or {}).get(loaded.rule.id) or assess(loaded.rule, scope)
        state.unknown = dict(verdict.unknown)
        branches.append(_branch(state))
        problems.extend(state.problems)
        states.append(state)
    if problems:
        raise RuleLoadError(problems)
    insert = query("rules.sql", "insert_hits") + "\n" + "\nUNION ALL\n".join(branches)
    plan = Plan(
        statements=[*tables.statements(), Statement(insert, hits.params)] if branches else [],
        rule_ids=[r.rule.id for r in loaded_rules],
        columns=set().union({"item_id"}, *(s.columns for s in states)),
        detectors=set(tables.detectors),
        evidence_detectors=tables.evidence_detectors | tables.attribute_detectors,
        inputs=tables.inputs,
    )
    return _Compiled(plan, states, tables)


def compile_pack(
    loaded_rules: list[LoadedRule],
    extra_columns: set[str] | None = None,
    detectors_run: set[str] | None = None,
) -> Plan:
    """Compile rules to run together; ``extra_columns`` (names in the store's extra_columns)
    and ``detectors_run`` decide which conditions are unknown (availability.py) and so
    compiled as false. Raises :class:`RuleLoadError`.

    Call with the rules :func:`compile_rules` did not mark as skipped.
    """
    return _compile(loaded_rules, Scope(extra_columns, detectors_run)).plan


def compile_rule(
    loaded: LoadedRule,
    extra_columns: set[str] | None = None,
    detectors_run: set[str] | None = None,
) -> CompiledRule:
    """Compile one rule as a plan of its own. Raises :class:`RuleLoadError`.

    A rule that cannot run in this scope (``skip_reason``) is compiled whole, for display.
    """
    scope = Scope(extra_columns, detectors_run)
    verdict = assess(loaded.rule, scope)
    if verdict.skip_reason is None:
        compiled = _compile([loaded], scope, {loaded.rule.id: verdict})
    else:
        compiled = _compile([loaded], Scope())
    state = compiled.states[0]
    return CompiledRule(
        rule_id=loaded.rule.id,
        sql=compiled.plan.sql,
        params=compiled.plan.params,
        columns=compiled.plan.columns,
        uses_findings=compiled.plan.uses_findings,
        extra_names=state.extra_names,
        detectors=set(compiled.plan.detectors) | state.column_detectors,
        is_aggregate=bool(
            state.tables.groups or state.tables.evidence_tables or state.tables.item_tables
        ),
        skip_reason=verdict.skip_reason,
        partial_reason=verdict.partial_reason,
    )


def compile_rules(
    loaded_rules: list[LoadedRule],
    extra_columns: set[str] | None = None,
    detectors_run: set[str] | None = None,
) -> list[CompiledRule]:
    """Compile every rule, collecting all problems into one :class:`RuleLoadError`."""
    compiled, problems = [], []
    for loaded in loaded_rules:
        try:
            compiled.append(compile_rule(loaded, extra_columns, detectors_run))
        except RuleLoadError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RuleLoadError(problems)
    return compiled


def source_projection(columns: set[str]) -> str:
    """``SELECT <columns> FROM item_view``: what the sandbox needs of the store.

    Column names come from the validated catalogue (columns.item_view_kinds), not rule text.
    """
    names = ["item_id", *sorted(c for c in columns if c != "item_id")]
    unknown = [c for c in names if c not in item_view_kinds()]
    if unknown:
        raise ValueError(f"not item_view columns: {unknown}")
    return "SELECT " + ", ".join(f'"{c}"' for c in names) + " FROM item_view"
