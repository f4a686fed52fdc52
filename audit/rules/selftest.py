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

from audit.rules.compile import compile_rule
from audit.rules.evaluate import evaluate_rules
from audit.rules.loader import LoadedRule, RuleSet
from audit.rules.model import Finding, GroupCase, ItemCase
from audit.schema import all_item_columns
from audit.store import open_memory, query

RUN_ID = "selftest"
_DEFAULT_ENTITY = {
    "pii": "PERSON",
    "faces": "FACE",
    "minor_cues": "AGE_CUE",
    "media_meta": "GPS_LOCATION",
}
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


def _insert_item(con: duckdb.DuckDBPyConnection, fields: dict[str, Any]) -> None:
    params: dict[str, Any] = dict.fromkeys(all_item_columns())
    extra = {}
    for name, value in fields.items():
        if name.startswith("extra."):
            extra[name[len("extra.") :]] = value
        else:
            params[name] = value.isoformat() if hasattr(value, "isoformat") else value
    params["extra"] = json.dumps(extra, default=str) if extra else None
    con.execute(query("rules.sql", "selftest_item"), params)


def _insert_finding(con: duckdb.DuckDBPyConnection, item_id: str, f: Finding) -> None:
    bbox = None
    if f.detector == "faces":
        side = f.size_px or _DEFAULT_FACE_PX
        bbox = [0, side, side, 0]  # [top, right, bottom, left]
    start = f.start if f.start is not None else (None if f.detector == "faces" else 0)
    end = f.end if f.end is not None else (None if start is None else start + 10)
    entity = f.entity_type or _DEFAULT_ENTITY[f.detector]
    attributes = json.dumps(f.attributes) if f.attributes is not None else None
    con.execute(
        query("rules.sql", "selftest_finding"),
        [item_id, f.detector, entity, f.score, start, end, bbox, attributes],
    )


def _store(extra_names: set[str]) -> duckdb.DuckDBPyConnection:
    con = open_memory()
    for name in sorted(extra_names):
        con.execute(query("rules.sql", "selftest_extra_column"), [name])
    return con


def _flagged(con: duckdb.DuckDBPyConnection, loaded: LoadedRule) -> dict[str, str]:
    evaluate_rules(con, RuleSet([loaded], loaded.file, ""), RUN_ID)
    return dict(
        con.execute(query("rules.sql", "selftest_flagged"), [RUN_ID, loaded.rule.id]).fetchall()
    )


def _case_name(index: int, case: ItemCase | GroupCase) -> str:
    if case.name:
        return case.name
    return f"#{index} expect {case.expect}" if isinstance(case, ItemCase) else f"#{index} group"


def _check_item_case(
    index: int, case: ItemCase, flagged: dict[str, str], item_id: str
) -> CaseResult:
    got = item_id in flagged
    ok = got == (case.expect == "match")
    detail = "" if ok else ("flagged: " + flagged[item_id] if got else "not flagged")
    return CaseResult(index, _case_name(index, case), ok, detail)


def _check_group_case(index: int, case: GroupCase, flagged: dict[str, str]) -> CaseResult:
    want, got = set(case.expect_flagged), set(flagged)
    ok = want == got
    detail = ""
    if not ok:
        parts = []
        if want - got:
            parts.append(f"not flagged: {', '.join(sorted(want - got))}")
        if got - want:
            parts.append(f"unexpectedly flagged: {', '.join(sorted(got - want))}")
        detail = "; ".join(parts)
    return CaseResult(index, _case_name(index, case), ok, detail)


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


def test_rule(loaded: LoadedRule) -> RuleResult:
    """Run every test case of one rule."""
    result = RuleResult(loaded.rule.id, problems=coverage_problems(loaded))
    compiled = compile_rule(loaded)
    cases = list(enumerate(loaded.rule.tests, start=1))
    shared = None if compiled.is_aggregate else _store(compiled.extra_names)
    item_cases = [(n, c) for n, c in cases if isinstance(c, ItemCase)]
    if shared is not None and item_cases:
        for n, case in item_cases:
            _insert_item(shared, {**case.item, "item_id": _item_id(n, case)})
            for f in case.findings:
                _insert_finding(shared, _item_id(n, case), f)
        flagged = _flagged(shared, loaded)
    for n, case in cases:
        if isinstance(case, ItemCase):
            if shared is None:
                con = _store(compiled.extra_names)
                _insert_item(con, {**case.item, "item_id": _item_id(n, case)})
                for f in case.findings:
                    _insert_finding(con, _item_id(n, case), f)
                flagged = _flagged(con, loaded)
                con.close()
            result.cases.append(_check_item_case(n, case, flagged, _item_id(n, case)))
        else:
            con = _store(compiled.extra_names)
            for item in case.items:
                _insert_item(con, item.fields)
                for f in item.findings:
                    _insert_finding(con, item.item_id, f)
            result.cases.append(_check_group_case(n, case, _flagged(con, loaded)))
            con.close()
    if shared is not None:
        shared.close()
    return result


def run_selftests(ruleset: RuleSet) -> list[RuleResult]:
    """Run the test cases of every rule in the pack."""
    return [test_rule(loaded) for loaded in ruleset]
