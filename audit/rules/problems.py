"""Rule problems located at file:line, and the exception that carries all of them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audit.errors import InputError


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a rule file, in words a policy author understands."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class RuleLoadError(InputError):
    """Rule files that cannot be used; ``problems`` lists every one found in a single pass."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} {noun} in rule files:\n{lines}")


def display_path(path: Path) -> str:
    """A path as short as possible: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
