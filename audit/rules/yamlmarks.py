"""Parse YAML while remembering the line of every key and value.

pydantic reports errors by path (``match.any.0.lt``); this maps such a path back to the
line the policy author wrote it on.
"""

from __future__ import annotations

from typing import Any

import yaml

from audit.yamlio import with_clear_errors

Path_ = tuple[Any, ...]


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], dups: list[Path_]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            if (*path, key) in lines:
                dups.append((*path, key))  # PyYAML would silently keep the last one
            # the key's own line: "severity: hi" points at the key, nested blocks too
            lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines, dups)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _walk(child, (*path, index), lines, dups)


def refuse_aliases(text: str, loader: type) -> None:
    """Raise a marked YAML error at the first alias (``*name``) in ``text``, read with ``loader``.

    Rule files have no use for anchors and aliases, and expanding nested aliases is the
    "billion laughs" attack: a few lines that take exponential time and memory to load.
    Events are scanned before anything is composed, so refusing costs one linear pass.
    """
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.MarkedYAMLError(
                problem=f"YAML aliases (*{event.anchor}) are not allowed in rule files; "
                "write the value out",
                problem_mark=event.start_mark,
            )


def load_with_lines(text: str) -> list[tuple[Any, dict[Path_, int], list[Path_]]]:
    """Parse every document of ``text``: ``[(data, {path: line}, duplicate_key_paths), ...]``.

    Raises :class:`yaml.YAMLError` (with a mark) on syntax errors and on aliases.
    """
    return with_clear_errors(lambda loader: _load_with_lines(text, loader))


def _load_with_lines(
    text: str, loader_class: type
) -> list[tuple[Any, dict[Path_, int], list[Path_]]]:
    refuse_aliases(text, loader_class)
    docs = []
    loader = loader_class(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            lines: dict[Path_, int] = {}
            dups: list[Path_] = []
            _walk(node, (), lines, dups)
            docs.append((loader.construct_document(node), lines, dups))
    finally:
        loader.dispose()
    return docs


def line_of(lines: dict[Path_, int], path: Path_) -> int:
    """The line of ``path``, or of its deepest written ancestor (for missing keys)."""
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return 1
