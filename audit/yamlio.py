"""Safe YAML parsing, with libyaml's C parser where PyYAML was built with it.

The C parser is ~9x faster than PyYAML's own: the 17 mapping presets every ingest parses take
6 ms instead of 50, a rule pack ~0.03 s instead of ~0.2 s. Its error messages are terser
("did not find expected ',' or '}'" where PyYAML says "... but got '['"), and policy teams
read them, so a text the fast parser refuses is parsed again by PyYAML's own, which raises
its usual error with the same line. Both use the safe constructors only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import yaml

#: The safe loader to try first: the C one if PyYAML has it.
FAST_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

T = TypeVar("T")


def with_clear_errors(parse: Callable[[type], T]) -> T:
    """``parse(loader_class)`` with the fast loader; on a YAML error, again with PyYAML's
    own loader, so that the error raised (or, should they ever disagree, the result) is
    PyYAML's."""
    try:
        return parse(FAST_LOADER)
    except yaml.YAMLError:
        return parse(yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load(text)``, faster (see the module docstring)."""
    return with_clear_errors(lambda loader: yaml.load(text, Loader=loader))
