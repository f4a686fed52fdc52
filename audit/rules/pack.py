"""The tables a compiled rule pack shares: detector summaries and group tables.

Rules of one pack are evaluated together (audit/rules/compile.py). What several rules
need is computed once in the sandbox before their conditions run:

* ``rule_detect``: every distinct detector condition of the pack evaluated in one pass
  over the findings — a count per item and condition (``rule_d<n>``) and the findings
  that evidence shows (``rule_ev``) — joined once to the items as ``rule_items``;
* ``rule_groups_<n>``: one table per ``group_by`` expression holding the groups that
  some aggregate condition accepts, one evidence label column per aggregate.

Each statement binds its own parameters (:class:`Binder`): DuckDB wants exactly the
parameters a statement names. The SQL skeletons are the named blocks of audit/sql/rules.sql.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from audit.detectors.registry import spec
from audit.store import fill, query


@dataclass
class Binder:
    """The bound parameters of one statement."""

    params: list[Any] = field(default_factory=list)

    def bind(self, value: Any) -> str:
        """Add a parameter; returns its ``$n`` placeholder."""
        if isinstance(value, datetime | date):
            value = value.isoformat()
        self.params.append(value)
        return f"${len(self.params)}"


@dataclass(frozen=True)
class Statement:
    """One statement of a plan and its parameters."""

    sql: str
    params: list[Any]


@dataclass
class GroupTable:
    """The aggregates of the pack that group by one expression."""

    name: str
    group_sql: str  # over rule_items i; holds no parameters (column names only)
    binder: Binder = field(default_factory=Binder)
    per_item: list[str] = field(default_factory=list)  # "<expr> AS w<n>"
    aggregates: list[str] = field(default_factory=list)  # "count(*) FILTER ... AS hits<n>"
    labels: list[str] = field(default_factory=list)  # "CASE WHEN <test> THEN ... END AS label<n>"
    tests: list[str] = field(default_factory=list)

    def statement(self) -> Statement:
        """The CREATE TABLE statement of this group table."""
        sql = (
            query("rules.sql", "group_table")
            .replace("/*NAME*/", self.name)
            .replace("/*LABELS*/", ", ".join(self.labels))
            .replace("/*AGGREGATES*/", ", ".join(self.aggregates))
            .replace("/*PER_ITEM*/", ", ".join(self.per_item))
            .replace("/*GROUP*/", self.group_sql)
            .replace("/*TESTS*/", " OR ".join(self.tests))
        )
        return Statement(sql, self.binder.params)


@dataclass
class EvidenceTable:
    """One detector's evidence score per group of one group_by expression."""

    name: str
    group_sql: str
    detector: str
    weight_sql: str  # declared by the detector, over findings f and rule_items i
    caps: dict[str, tuple[float, float]]

    def statement(self) -> Statement:
        """The CREATE TABLE statement of this evidence table."""
        capped = "sum(w)"
        if self.caps:
            cases = " ".join(
                f"WHEN '{t}' THEN least(greatest(sum(w), {float(lo)!r}), {float(hi)!r})"
                for t, (lo, hi) in self.caps.items()
            )
            capped = f"CASE entity_type {cases} ELSE sum(w) END"
        sql = fill(
            query("rules.sql", "evidence_table"),
            NAME=self.name,
            GROUP=self.group_sql,
            WEIGHT=self.weight_sql,
            CAPPED=capped,
        )
        return Statement(sql, [self.detector])


@dataclass
class ItemTable:
    """Items that one registry or copy condition accepts, with the evidence label of each
    (``item_id, label``). Conditions read it as ``i.item_id IN (SELECT item_id FROM name)``,
    self-contained, so they work at any depth (under `not`, in aggregates, in copy_of)."""

    name: str
    block: str  # the audit/sql/rules.sql block that creates it
    parts: dict[str, str]  # its placeholders' SQL
    binder: Binder = field(default_factory=Binder)
    inputs: tuple[str, ...] = ()  # sandbox inputs it reads (audit/rules/evaluate.py)

    def statement(self) -> Statement:
        """The CREATE TABLE statement of this table."""
        return Statement(
            fill(query("rules.sql", self.block), NAME=self.name, **self.parts), self.binder.params
        )


@dataclass
class PackTables:
    """Detector conditions and group tables shared by the rules of one pack."""

    detect: Binder = field(default_factory=Binder)
    filters: dict[Any, int] = field(default_factory=dict)  # condition key → index
    filter_sql: list[str] = field(default_factory=list)
    evidence: set[int] = field(default_factory=set)  # indexes whose findings evidence shows
    detectors: set[str] = field(default_factory=set)
    groups: dict[str, GroupTable] = field(default_factory=dict)  # group SQL → table
    evidence_tables: dict[tuple[str, str], EvidenceTable] = field(default_factory=dict)
    attribute_detectors: set[str] = field(default_factory=set)  # conditions on attributes
    item_tables: dict[Any, ItemTable] = field(default_factory=dict)  # registry, copy_of

    def detector_index(self, key: Any, build: Any, *, evidence: bool) -> int:
        """Index of a detector condition (``key`` identifies it; ``build(binder)`` → SQL)."""
        index = self.filters.get(key)
        if index is None:
            index = self.filters[key] = len(self.filter_sql) + 1
            self.filter_sql.append(build(self.detect))
        if evidence:
            self.evidence.add(index)
        return index

    def group(self, group_sql: str) -> GroupTable:
        """The group table for a group_by expression (created on first use)."""
        if group_sql not in self.groups:
            name = f"rule_groups_{len(self.groups) + 1}"
            self.groups[group_sql] = GroupTable(name, group_sql)
        return self.groups[group_sql]

    def evidence_table(self, group_sql: str, detector: str) -> EvidenceTable:
        """The evidence table of a detector for a group_by expression (created on first use)."""
        key = (group_sql, detector)
        if key not in self.evidence_tables:
            declared = spec(detector).evidence
            assert declared is not None, "validated by the rule model"
            name = f"rule_evidence_{len(self.evidence_tables) + 1}"
            self.evidence_tables[key] = EvidenceTable(
                name, group_sql, detector, declared.weight, dict(declared.caps)
            )
            self.detectors.add(detector)
        return self.evidence_tables[key]

    def item_table(self, key: Any, block: str) -> tuple[ItemTable, bool]:
        """The item table of a registry / copy condition (``key`` identifies it) and whether it
        is new (the caller then fills its parts)."""
        if key in self.item_tables:
            return self.item_tables[key], False
        prefix = "rule_registry" if block == "registry_table" else "rule_copies"
        table = ItemTable(f"{prefix}_{len(self.item_tables) + 1}", block, {})
        self.item_tables[key] = table
        return table, True

    @property
    def inputs(self) -> set[str]:
        """Sandbox inputs besides items and findings that the pack reads (registry, copies)."""
        return {name for t in self.item_tables.values() for name in t.inputs}

    @property
    def evidence_detectors(self) -> set[str]:
        """Detectors whose findings' attributes the evidence tables read."""
        return {t.detector for t in self.evidence_tables.values()}

    def joinable(self) -> dict[str, str]:
        """Every per-group table a rule branch may join: table name → its group expression."""
        tables = [*self.groups.values(), *self.evidence_tables.values()]
        return {t.name: t.group_sql for t in tables}

    def statements(self) -> list[Statement]:
        """Statements that build ``rule_items`` and the group tables, in order."""
        if not self.filter_sql:
            out = [Statement(query("rules.sql", "items_plain"), [])]
        else:
            n = range(1, len(self.filter_sql) + 1)
            keys = ", ".join(f"CASE WHEN m{i} THEN {i} END" for i in sorted(self.evidence))
            sql = (
                query("rules.sql", "detector_summary")
                .replace(
                    "/*COUNTS*/", ", ".join(f"count(*) FILTER (WHERE m{i}) AS rule_d{i}" for i in n)
                )
                .replace("/*KEYS*/", keys)
                .replace(
                    "/*MATCHES*/",
                    ", ".join(f"{s} AS m{i}" for i, s in zip(n, self.filter_sql, strict=True)),
                )
                .replace("/*ANY*/", " OR ".join(f"m{i}" for i in n))
            )
            out = [
                Statement(sql, self.detect.params),
                Statement(query("rules.sql", "items_with_detectors"), []),
            ]
        return (
            out
            + [t.statement() for t in self.item_tables.values()]
            + [g.statement() for g in self.groups.values()]
            + [e.statement() for e in self.evidence_tables.values()]
        )
