"""Remember which rule packs passed their own test cases, so a re-scan skips them.

A pack's self-tests take seconds (each case runs through the real compiler and sandbox) and
their outcome depends only on the rule files and on the code that compiles and runs them.
The key is therefore the pack's content digest plus a fingerprint of the installed engine:
every ``.py`` and ``.sql`` file of the ``audit`` package and the registered detectors'
declarations (plug-ins change what rules may name). Any change to either runs the
tests again; only passes are remembered, in the audit database (``rule_selftest_passes``).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import duckdb

from audit.rules.loader import RuleSet
from audit.store import query

_PACKAGE = Path(__file__).resolve().parents[1]  # the audit package


@cache
def engine_fingerprint() -> str:
    """sha256 of the audit package's code and SQL and of the registered detectors."""
    from audit.detectors.registry import specs

    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*")):
        if path.suffix in {".py", ".sql"} and path.is_file():
            digest.update(str(path.relative_to(_PACKAGE)).encode())
            digest.update(path.read_bytes())
    declared = specs()
    for name in sorted(declared):
        digest.update(repr(declared[name]).encode())  # every declaration, plug-ins' too
    return digest.hexdigest()


def pack_key(ruleset: RuleSet) -> str:
    """The key a pack's self-test pass is remembered by."""
    return hashlib.sha256(f"{ruleset.digest}:{engine_fingerprint()}".encode()).hexdigest()


def passed_before(con: duckdb.DuckDBPyConnection, ruleset: RuleSet) -> bool:
    """Whether this exact pack passed its self-tests on this exact engine before."""
    ((count,),) = con.execute(query("scan.sql", "selftests_passed"), [pack_key(ruleset)]).fetchall()
    return bool(count)


def record_pass(con: duckdb.DuckDBPyConnection, ruleset: RuleSet) -> None:
    """Remember that the pack passed."""
    con.execute(query("scan.sql", "record_selftests_passed"), [pack_key(ruleset)])
