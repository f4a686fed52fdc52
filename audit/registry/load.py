"""Read consent registry files (CSV or JSONL) into checked requests; bad rows are errors.

A registry file has the columns ``request_id, kind, subject_type, subject, platform,
received_at`` (docs/REGISTRY.md; the names are fixed by the project's design). Every row
becomes a :class:`Request` or a :class:`Problem` naming its file and line; a load with any
problem raises :class:`RegistryError` listing all of them (one line each, exit code 2),
because a request that is silently dropped is a person whose data stays in the corpus.

What needs the database (is the subject a readable URL, domain or e-mail address? — decided
by the same SQL macros that read the corpus, audit/registry/normalise.py) and what needs an
image model (a reference photo without a face) is checked later by the same error type.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from audit.errors import InputError
from audit.yamlio import safe_load

COLUMNS: Final = ("request_id", "kind", "subject_type", "subject", "platform", "received_at")
REQUIRED: Final = ("request_id", "kind", "subject_type", "subject")
KINDS: Final = ("opt_out", "erasure", "objection")
SUBJECT_TYPES: Final = ("author", "url", "domain", "email", "image", "face")
#: Subject types whose subject is a file (a path relative to the registry file).
FILE_SUBJECTS: Final = ("image", "face")
#: Reference files larger than this are refused (they are photos, not archives).
MAX_SUBJECT_BYTES: Final = 64 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    """One bad row (or file): where, which column, what is wrong."""

    file: str
    line: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.column}: {self.message}"


class RegistryError(InputError):
    """Registry rows that cannot be honoured as written (exit 2, one line per bad row)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        noun = "row" if len(problems) == 1 else "rows"
        super().__init__(
            f"consent registry: {len(problems)} bad {noun} (fix them; no request is ignored):\n"
            + "\n".join(f"  {p}" for p in problems)
        )


@dataclass(frozen=True, slots=True)
class Request:
    """One checked request, as written (normalisation happens in SQL)."""

    source_file: str
    source_line: int
    request_id: str
    kind: str
    subject_type: str
    subject: str
    platform: str | None
    received_at: dt.datetime | None
    subject_path: Path | None = None  # image / face: the resolved file
    subject_sha256: str | None = None


@dataclass(frozen=True)
class RegistryFile:
    """A loaded file: where, its content hash and how many requests it holds."""

    path: str
    sha256: str
    rows: int


@dataclass
class Registry:
    """Every request of every registry file of a scan."""

    requests: list[Request] = field(default_factory=list)
    files: list[RegistryFile] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.files)

    def of_type(self, *subject_types: str) -> list[Request]:
        """The requests whose subject is one of ``subject_types``."""
        return [r for r in self.requests if r.subject_type in subject_types]


def spec_registry_files(corpus: str) -> list[Path]:
    """The ``registry:`` list of a corpus spec YAML (paths relative to the spec); [] otherwise."""
    path = Path(corpus)
    if path.suffix.lower() not in (".yaml", ".yml") or not path.is_file():
        return []
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []  # the ingest stage reports an unreadable spec
    listed = data.get("registry") if isinstance(data, dict) else None
    if listed is None:
        return []
    if isinstance(listed, str):
        listed = [listed]
    if not isinstance(listed, list) or not all(isinstance(p, str) for p in listed):
        raise InputError(f"{path}: `registry:` is a list of registry file paths")
    return [p if p.is_absolute() else path.parent / p for p in map(Path, listed)]


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line where the record starts, record) of every CSV record after the header."""
    reader = csv.DictReader(io.StringIO(text, newline=""), skipinitialspace=True)
    start = 2
    for row in reader:
        yield start, {(k.strip() if isinstance(k, str) else k): v for k, v in row.items()}
        start = reader.line_num + 1


def _jsonl_rows(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"not JSON: {exc.msg}"
            continue
        yield number, value if isinstance(value, dict) else "a line must be a JSON object"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _received(value: str | None) -> dt.datetime:
    assert value is not None
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


class _FileChecker:
    """Checks the rows of one file, collecting problems."""

    def __init__(self, path: Path, seen: dict[str, str]) -> None:
        self.path = path
        self.name = str(path)
        self.seen = seen  # request_id -> "file:line" of its first row
        self.problems: list[Problem] = []

    def problem(self, line: int | None, column: str, message: str) -> None:
        self.problems.append(Problem(self.name, line, column, message))

    def header(self, fields: list[str] | None) -> bool:
        if not fields:
            self.problem(1, "header", f"a CSV registry needs a header: {', '.join(COLUMNS)}")
            return False
        unknown = [f for f in fields if f not in COLUMNS]
        missing = [c for c in REQUIRED if c not in fields]
        if unknown:
            self.problem(1, "header", f"unknown column(s) {', '.join(unknown)}; "
                         f"the columns are {', '.join(COLUMNS)}")  # fmt: skip
        if missing:
            self.problem(1, "header", f"missing column(s) {', '.join(missing)}")
        return not (unknown or missing)

    def row(self, line: int, raw: dict[str, Any]) -> Request | None:
        before = len(self.problems)
        unknown = [k for k in raw if k not in COLUMNS]
        if unknown:
            self.problem(line, unknown[0], f"unknown column; the columns are {', '.join(COLUMNS)}")
        values = {c: _text(raw.get(c)) for c in COLUMNS}
        for column in REQUIRED:
            if values[column] is None:
                self.problem(line, column, "missing (every request needs one)")
        request_id = values["request_id"]
        if request_id is not None:
            if request_id in self.seen:
                self.problem(
                    line, "request_id", f"{request_id!r} already used at {self.seen[request_id]}"
                )
            else:
                self.seen[request_id] = f"{self.name}:{line}"
        for column, allowed in (("kind", KINDS), ("subject_type", SUBJECT_TYPES)):
            if values[column] is not None and values[column] not in allowed:
                self.problem(line, column, f"{values[column]!r} is not one of {', '.join(allowed)}")
        received = None
        if values["received_at"] is not None:
            try:
                received = _received(values["received_at"])
            except ValueError:
                self.problem(
                    line, "received_at", f"{values['received_at']!r} is not an ISO date or time"
                )
        subject_path, subject_sha = None, None
        if values["subject_type"] in FILE_SUBJECTS and values["subject"] is not None:
            subject_path, subject_sha = self._subject_file(line, values["subject"])
        if len(self.problems) > before:
            return None
        return Request(
            source_file=self.name,
            source_line=line,
            request_id=str(request_id),
            kind=str(values["kind"]),
            subject_type=str(values["subject_type"]),
            subject=str(values["subject"]),
            platform=values["platform"],
            received_at=received,
            subject_path=subject_path,
            subject_sha256=subject_sha,
        )

    def _subject_file(self, line: int, subject: str) -> tuple[Path | None, str | None]:
        target = Path(subject)
        if not target.is_absolute():
            target = self.path.parent / target
        if not target.is_file():
            self.problem(line, "subject", f"no such file {subject!r} (paths are relative to "
                         "the registry file)")  # fmt: skip
            return None, None
        size = target.stat().st_size
        if size == 0 or size > MAX_SUBJECT_BYTES:
            self.problem(line, "subject", f"{subject!r} has {size:,} bytes; not a photo")
            return None, None
        return target, hashlib.sha256(target.read_bytes()).hexdigest()


def _read_file(path: Path, seen: dict[str, str]) -> tuple[list[Request], list[Problem], str]:
    checker = _FileChecker(path, seen)
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
    except OSError as exc:
        checker.problem(None, "file", f"cannot read: {exc.strerror or exc}")
        return [], checker.problems, ""
    except UnicodeDecodeError as exc:
        checker.problem(None, "file", f"not UTF-8 text ({exc.reason} at byte {exc.start})")
        return [], checker.problems, ""
    digest = hashlib.sha256(data).hexdigest()
    requests: list[Request] = []
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        for line, value in _jsonl_rows(text):
            if isinstance(value, str):
                checker.problem(line, "line", value)
            elif (request := checker.row(line, value)) is not None:
                requests.append(request)
    else:
        first = next(csv.reader(io.StringIO(text, newline="")), None)
        if checker.header([f.strip() for f in first] if first else None):
            for line, raw in _csv_rows(text):
                if None in raw:  # more cells than header columns
                    checker.problem(line, "row", f"{len(raw) - 1 + len(raw[None])} cells for "
                                    f"{len(raw) - 1} columns")  # fmt: skip
                    continue
                if (request := checker.row(line, raw)) is not None:
                    requests.append(request)
    if not requests and not checker.problems:
        checker.problem(None, "file", "holds no request")
    return requests, checker.problems, digest


def read_registry(paths: list[Path]) -> tuple[Registry, list[Problem]]:
    """Read and check every file: the requests of the good rows and every bad row's problem."""
    registry = Registry()
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in paths:
        requests, found, digest = _read_file(Path(path), seen)
        problems.extend(found)
        registry.requests.extend(requests)
        registry.files.append(RegistryFile(str(path), digest, len(requests)))
    return registry, problems


def load_registry(paths: list[Path]) -> Registry:
    """Read and check every file; raises :class:`RegistryError` listing every bad row."""
    registry, problems = read_registry(paths)
    if problems:
        raise RegistryError(problems)
    return registry
