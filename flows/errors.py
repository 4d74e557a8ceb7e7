"""Errors a person can meet, each saying where the problem is and what was expected."""

from __future__ import annotations

from dataclasses import dataclass


class ChisoError(Exception):
    """Base for errors that are reported to a person, never as a traceback."""


@dataclass
class Problem:
    """One thing wrong in an extract: where it is and what was expected there."""

    file: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str = ""
    sheet: str | None = None
    kind: str | None = None  # missing_required, not_a_number, bad_code, out_of_range, ...

    def where(self) -> str:
        parts = [self.file + (f" [{self.sheet}]" if self.sheet else "")]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        got = f": got {self.value!r}" if self.value is not None else ""
        return f"{self.where()}{got}; expected {self.expected}"


class ExtractError(ChisoError):
    """An extract that cannot be loaded; carries the problems found in it."""

    def __init__(self, file: str, problems: list[Problem], summary: str | None = None):
        self.file = file
        self.problems = problems
        self.summary = summary or (str(problems[0]) if problems else f"{file}: cannot be read")
        super().__init__(self.summary)


class PlanError(ChisoError):
    """A plan file that does not validate; the message names the key."""


class ConfigError(ChisoError):
    """A missing or wrong setting (paths, environment)."""
