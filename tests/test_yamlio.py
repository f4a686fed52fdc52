"""YAML parsing: the fast (C) loader reads what PyYAML reads, and errors stay PyYAML's."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from audit.rules import RuleLoadError, load_rules
from audit.rules.yamlmarks import load_with_lines
from audit.yamlio import FAST_LOADER, safe_load

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_YAML = sorted(
    [*(ROOT / "audit" / "ingest" / "mappings").glob("*.yaml"), *(ROOT / "rules").rglob("*.yaml")]
)


def test_the_c_loader_is_used_where_pyyaml_has_it() -> None:
    assert BUNDLED_YAML  # the comparisons below are not vacuous
    if yaml.__with_libyaml__:
        assert FAST_LOADER is yaml.CSafeLoader


@pytest.mark.parametrize("path", BUNDLED_YAML, ids=lambda p: p.name)
def test_bundled_files_load_as_pyyaml_loads_them(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert safe_load(text) == yaml.safe_load(text)
    docs = load_with_lines(text)
    assert [d[0] for d in docs] == list(yaml.safe_load_all(text))
    lines = docs[0][1]
    first_key = next(iter(docs[0][0]))
    # the line of the first key is where it is written
    assert text.splitlines()[lines[(first_key,)] - 1].lstrip().startswith(f"{first_key}:")


def test_an_error_carries_pyyamls_own_message_and_line() -> None:
    # libyaml says only "did not find expected ',' or '}'"
    text = "a: 1\nmatch: {field: extra.labels[0].val, eq: 1}\n"
    with pytest.raises(yaml.MarkedYAMLError) as info:
        safe_load(text)
    assert "but got '['" in str(info.value.problem)
    assert info.value.problem_mark is not None and info.value.problem_mark.line == 1


def test_a_rule_with_an_unquoted_bracket_path_gets_the_quoting_hint(tmp_path: Path) -> None:
    # The hint reads the offending line from the error's mark, which only PyYAML's has.
    (tmp_path / "r.yaml").write_text(
        "id: t.x\ntitle: t\nstatus: stable\nseverity: low\naction: review\n"
        "description: d\nrationale: r\nmatch: {field: extra.labels[0].val, eq: 1}\n"
    )
    with pytest.raises(RuleLoadError) as info:
        load_rules(tmp_path)
    (problem,) = info.value.problems
    assert problem.line == 8
    assert "needs quotes" in problem.message and "but got '['" in problem.message
