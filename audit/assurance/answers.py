"""Reviewers' answers: read and check an answers CSV, append answers (append-only).

An answers file has the columns ``item_id, category, present`` (README "Assurance"). Every
row is checked before anything is written: a bad row, an unknown category or item id, or a
row that repeats an (item, category) of the same file is an :class:`InputError` naming
``file:line`` for each problem, and nothing is recorded. A blank ``present`` is an item the
reviewer has not answered yet (the answers template has one row per item and category); it
is counted and reported, never recorded as an answer.
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from audit.errors import InputError
from audit.store import query, rollback
from audit.vocabulary import REVIEW_CATEGORIES

SQL = "assurance.sql"
REQUIRED_COLUMNS = ("item_id", "category", "present")
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "t"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "f"})
#: Problems listed in the error message before "... and N more".
MAX_LISTED = 20


@dataclass(frozen=True)
class Answer:
    """One reviewer answer: is ``category`` present in ``item_id``."""

    item_id: str
    category: str
    present: bool
    source: str  # 'FILE:LINE' or 'dashboard'


@dataclass
class ParsedAnswers:
    """The answers of one file, how many rows were left blank, the problems of its rows
    (``file:line: …``) and every row's item id (checked against the store by check_items)."""

    answers: list[Answer] = field(default_factory=list)
    blank: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    item_refs: list[tuple[int, str, str]] = field(default_factory=list)  # (line, where, item_id)


def category_keys() -> list[str]:
    """Every category a reviewer may answer (vocabulary.REVIEW_CATEGORIES)."""
    return [c.key for c in REVIEW_CATEGORIES]


def parse_present(value: str) -> bool | None:
    """``true/yes/y/1/t`` → True, ``false/no/n/0/f`` → False, blank → None; else ValueError."""
    word = value.strip().lower()
    if not word:
        return None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"present {value!r} is not true/false (or yes/no, 1/0)")


def _category_problem(category: str) -> str | None:
    keys = category_keys()
    if category in keys:
        return None
    close = difflib.get_close_matches(category, keys, n=1) or [
        k for k in keys if k.lower() == category.lower()
    ]
    hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(keys)}"
    return f"unknown category {category!r}{hint}"


def read_answers(path: Path) -> ParsedAnswers:
    """Parse and check the rows of an answers CSV; row problems are collected, not raised, so
    that :func:`check_items` reports them with the unknown item ids in one list."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read answers file: {exc.strerror or exc}") from exc
    out = ParsedAnswers()
    problems = out.problems
    seen: dict[tuple[str, str], int] = {}
    with handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        extra = [c for c in header if c not in REQUIRED_COLUMNS]
        if missing or extra:
            what = []
            if missing:
                what.append(f"missing column(s) {', '.join(missing)}")
            if extra:
                what.append(f"unexpected column(s) {', '.join(extra)}")
            raise InputError(
                f"{path}:1: {'; '.join(what)} (an answers file has exactly the columns "
                f"{', '.join(REQUIRED_COLUMNS)})"
            )
        reader.fieldnames = header
        try:
            for row in reader:
                line = reader.line_num
                if None in row or any(row.get(c) is None for c in REQUIRED_COLUMNS):
                    problems.append((line, f"{path}:{line}: expected {len(header)} fields"))
                    continue
                item_id, category = row["item_id"].strip(), row["category"].strip()
                if not item_id:
                    problems.append((line, f"{path}:{line}: empty item_id"))
                    continue
                out.item_refs.append((line, f"{path}:{line}", item_id))
                bad = _category_problem(category)
                if bad:
                    problems.append((line, f"{path}:{line}: {bad}"))
                    continue
                try:
                    present = parse_present(row["present"])
                except ValueError as exc:
                    problems.append((line, f"{path}:{line}: {exc}"))
                    continue
                if (item_id, category) in seen:
                    problems.append((line,
                        f"{path}:{line}: {item_id} / {category} is answered again "
                        f"(first at line {seen[item_id, category]})"
                    ))  # fmt: skip
                    continue
                seen[item_id, category] = line
                if present is None:
                    out.blank += 1
                    continue
                out.answers.append(Answer(item_id, category, present, f"{path.name}:{line}"))
        except (csv.Error, UnicodeDecodeError) as exc:
            problems.append(
                (reader.line_num, f"{path}:{reader.line_num}: not a readable CSV row ({exc})")
            )
    return out


def check_items(con: duckdb.DuckDBPyConnection, parsed: ParsedAnswers) -> None:
    """InputError listing, in line order, every row problem of the file and every row naming
    an item id the store does not have (file:line each); nothing is recorded then."""
    ids = sorted({item_id for _, _, item_id in parsed.item_refs})
    known = {r[0] for r in con.execute(query(SQL, "known_items"), {"item_ids": ids}).fetchall()}
    unknown = [(line, f"{where}: unknown item id {item_id!r}")
               for line, where, item_id in parsed.item_refs if item_id not in known]  # fmt: skip
    _raise_if([message for _, message in sorted([*parsed.problems, *unknown])])


def _raise_if(problems: list[str]) -> None:
    if not problems:
        return
    listed = problems[:MAX_LISTED]
    more = len(problems) - len(listed)
    tail = f"\n... and {more} more" if more else ""
    raise InputError(
        f"{len(problems)} problem(s) in the answers file; nothing was recorded:\n"
        + "\n".join(listed)
        + tail
    )


def append_answers(con: duckdb.DuckDBPyConnection, answers: list[Answer], reviewer: str) -> int:
    """Append ``answers`` in one transaction (UTC time, ``reviewer``); return how many."""
    reviewer = reviewer.strip()
    if not reviewer:
        raise InputError("a reviewer name is required (--reviewer NAME)")
    if not answers:
        return 0
    at = datetime.now(UTC).replace(tzinfo=None)
    con.execute("BEGIN TRANSACTION")
    try:
        con.executemany(
            query(SQL, "insert_answer"),
            [{"item_id": a.item_id, "category": a.category, "present": a.present,
              "reviewer": reviewer, "source": a.source, "answered_at": at} for a in answers],
        )  # fmt: skip
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise
    return len(answers)
