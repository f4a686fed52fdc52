"""`audit rules test`: run each rule's own test cases through the real compiler and sandbox.

Cases run on in-memory stores (audit.store.open_memory) with the detector output given in
the case, so no model runs. Item-level rules share one store per rule (items cannot see
each other); rules with an aggregate get one store per case so groups do not mix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import duckdb

from audit.detectors.registry import spec
from audit.rules.columns import parse_extra_path
from audit.rules.compile import compile_rule
from audit.rules.evaluate import evaluate_rules
from audit.rules.loader import LoadedRule, RuleSet
from audit.rules.model import Finding, GroupCase, ItemCase
from audit.schema import all_item_columns
from audit.store import open_memory, query

RUN_ID = "selftest"
_DEFAULT_FACE_PX = 64


@dataclass
class CaseResult:
    """Outcome of one test case."""

    index: int  # 1-based position in the rule's tests list
    name: str
    ok: bool
    detail: str = ""


@dataclass
class RuleResult:
    """Outcome of all cases of one rule."""

    rule_id: str
    cases: list[CaseResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # e.g. no no_match case

    @property
    def ok(self) -> bool:
        """True when every case passed and the rule has both kinds of case."""
        return not self.problems and all(c.ok for c in self.cases)


def insert_item(con: duckdb.DuckDBPyConnection, fields: dict[str, Any]) -> None:
    """Insert one test item; ``extra.<path>`` keys go into the extra JSON (``extra.record.langs``
    into ``{"record": {"langs": …}}``), others are columns."""
    params: dict[str, Any] = dict.fromkeys(all_item_columns())
    extra: dict[str, Any] = {}
    for name, value in fields.items():
        if name.startswith("extra."):
            path = parse_extra_path(name[len("extra.") :])
            keys = [path.column, *(str(step) for step in path.steps)]
            node = extra
            for key in keys[:-1]:
                node = node.setdefault(key, {})
            node[keys[-1]] = value
        else:
            params[name] = value.isoformat() if hasattr(value, "isoformat") else value
    params["extra"] = json.dumps(extra, default=str) if extra else None
    con.execute(query("rules.sql", "selftest_item"), params)


def insert_finding(con: duckdb.DuckDBPyConnection, item_id: str, f: Finding) -> None:
    """Insert one detector finding as a test case gives it (faces get a square box)."""
    kind = spec(f.detector).finding_kind
    bbox = None
    if kind == "image_box":
        side = f.size_px or _DEFAULT_FACE_PX
        bbox = [0, side, side, 0]  # [top, right, bottom, left]
    start = f.start if f.start is not None else (0 if kind == "text_span" else None)
    end = f.end if f.end is not None else (None if start is None else start + 10)
    entity = f.type_or_default
    attributes = json.dumps(f.attributes) if f.attributes is not None else None
    con.execute(
        query("rules.sql", "selftest_finding"),
        [item_id, f.detector, entity, f.score, start, end, bbox, attributes],
    )


Fixture = tuple[dict[str, Any], list[Finding]]  # (item fields incl. item_id, findings)


Hits = dict[str, tuple[str, str]]  # item_id → (evidence, action)


def insert_case_context(con: duckdb.DuckDBPyConnection, item_id: str, case: Any) -> None:
    """A test item's problem codes, consent registry requests and picture label (items with
    the same label share one image content, so they are copies of each other)."""
    for code in getattr(case, "errors", None) or ():
        con.execute(query("rules.sql", "selftest_error"), [RUN_ID, item_id, code])
    for hit in getattr(case, "registry", None) or ():
        con.execute(
            query("rules.sql", "selftest_registry_hit"),
            [RUN_ID, hit.request_id, item_id, hit.kind, hit.subject_type],
        )
    label = getattr(case, "image", None)
    if label is not None:
        uri = f"selftest-image://{label}"
        con.execute(query("rules.sql", "selftest_image"), [uri, label])
        con.execute(query("rules.sql", "selftest_item_image"), [uri, item_id])


def _evaluate(
    rules: list[LoadedRule],
    items: list[Fixture],
    extra_names: set[str],
    cases: dict[str, Any] | None = None,
) -> dict[str, Hits]:
    """Evaluate ``rules`` over a fresh in-memory store of ``items``:
    {rule_id: {item_id: (evidence, action)}}."""
    con = open_memory()
    try:
        for name in sorted(extra_names):
            con.execute(query("rules.sql", "selftest_extra_column"), [name])
        for fields, findings in items:
            insert_item(con, fields)
            for f in findings:
                insert_finding(con, fields["item_id"], f)
            if cases and fields["item_id"] in cases:
                insert_case_context(con, fields["item_id"], cases[fields["item_id"]])
        evaluate_rules(con, RuleSet(rules, "selftest", ""), RUN_ID, measure=False)
        out: dict[str, Hits] = {r.rule.id: {} for r in rules}
        for rule_id, item_id, evidence, action in con.execute(
            query("rules.sql", "selftest_flagged_actions"), [RUN_ID]
        ).fetchall():
            out[rule_id][item_id] = (evidence, action)
        return out
    finally:
        con.close()


def _case_name(index: int, case: ItemCase | GroupCase) -> str:
    if case.name:
        return case.name
    return f"#{index} expect {case.expect}" if isinstance(case, ItemCase) else f"#{index} group"


def _check_item_case(index: int, case: ItemCase, flagged: Hits, item_id: str) -> CaseResult:
    got = item_id in flagged
    ok = got == (case.expect == "match")
    detail = "" if ok else ("flagged: " + flagged[item_id][0] if got else "not flagged")
    if ok and got and case.expect_action and flagged[item_id][1] != case.expect_action:
        ok, detail = False, f"action {flagged[item_id][1]}, expected {case.expect_action}"
    return CaseResult(index, _case_name(index, case), ok, detail)


def _check_group_case(index: int, case: GroupCase, flagged: Hits) -> CaseResult:
    want, got = set(case.expect_flagged), set(flagged)
    parts = []
    if want - got:
        parts.append(f"not flagged: {', '.join(sorted(want - got))}")
    if got - want:
        parts.append(f"unexpectedly flagged: {', '.join(sorted(got - want))}")
    for item_id, action in sorted((case.expect_actions or {}).items()):
        if item_id in flagged and flagged[item_id][1] != action:
            parts.append(f"{item_id}: action {flagged[item_id][1]}, expected {action}")
    return CaseResult(index, _case_name(index, case), not parts, "; ".join(parts))


def coverage_problems(loaded: LoadedRule) -> list[str]:
    """Why a rule's tests are not enough: it needs ≥1 match and ≥1 no_match case."""
    match = no_match = False
    for case in loaded.rule.tests:
        if isinstance(case, ItemCase):
            match |= case.expect == "match"
            no_match |= case.expect == "no_match"
        else:
            match |= bool(case.expect_flagged)
            no_match |= len(case.expect_flagged) < len(case.items)
    out = []
    if not match:
        out.append("needs at least one test case that matches")
    if not no_match:
        out.append("needs at least one test case that does not match")
    return out


def _item_id(index: int, case: ItemCase) -> str:
    given = case.item.get("item_id")
    return str(given) if given is not None else f"case-{index}"


def run_selftests(ruleset: RuleSet) -> list[RuleResult]:
    """Run the test cases of every rule in the pack.

    Item cases of item-level rules share one store (ids prefixed per rule, so a rule's
    flags on other rules' items are ignored); cases of aggregate rules and group cases get
    a store each, because there other items change the outcome.
    """
    results = {r.rule.id: RuleResult(r.rule.id, problems=coverage_problems(r)) for r in ruleset}
    compiled = {r.rule.id: compile_rule(r) for r in ruleset}
    shared_rules: list[LoadedRule] = []
    shared_items: list[Fixture] = []
    shared_checks: list[tuple[str, int, ItemCase, str]] = []
    shared_cases: dict[str, ItemCase] = {}
    for loaded in ruleset:
        rule_id, comp = loaded.rule.id, compiled[loaded.rule.id]
        for n, case in enumerate(loaded.rule.tests, start=1):
            if isinstance(case, GroupCase):
                fixtures = [(item.fields, list(item.findings)) for item in case.items]
                extras = {item.item_id: item for item in case.items}
                hits = _evaluate([loaded], fixtures, comp.extra_names, extras)[rule_id]
                results[rule_id].cases.append(_check_group_case(n, case, hits))
            elif comp.is_aggregate:
                item_id = _item_id(n, case)
                hits = _evaluate(
                    [loaded],
                    [({**case.item, "item_id": item_id}, list(case.findings))],
                    comp.extra_names,
                    {item_id: case},
                )
                results[rule_id].cases.append(_check_item_case(n, case, hits[rule_id], item_id))
            else:
                item_id = f"{rule_id}/{_item_id(n, case)}"
                shared_items.append(({**case.item, "item_id": item_id}, list(case.findings)))
                shared_cases[item_id] = case
                shared_checks.append((rule_id, n, case, item_id))
                if not shared_rules or shared_rules[-1] is not loaded:
                    shared_rules.append(loaded)
    if shared_rules:
        extra = set().union(*(compiled[r.rule.id].extra_names for r in shared_rules))
        hits = _evaluate(shared_rules, shared_items, extra, shared_cases)
        for rule_id, n, case, item_id in shared_checks:
            results[rule_id].cases.append(_check_item_case(n, case, hits[rule_id], item_id))
    for result in results.values():
        result.cases.sort(key=lambda c: c.index)
    return list(results.values())


def failing_rule(ruleset: RuleSet, results: list[RuleResult]) -> str | None:
    """One line naming the first rule whose own tests fail (None when all pass), e.g.
    ``rules/pii/x.yaml:1: rule pii.x fails its own test case #2 'a phone': expected match``."""
    by_id = {r.rule.id: r for r in ruleset}
    for result in results:
        if result.ok:
            continue
        loaded = by_id[result.rule_id]
        failed = [c for c in result.cases if not c.ok]
        what = (
            f"test case #{failed[0].index} '{failed[0].name}': {failed[0].detail}"
            if failed
            else "tests: " + "; ".join(result.problems)
        )
        return f"{loaded.file}:{loaded.line}: rule {result.rule_id} fails its own {what}"
    return None
