"""User-facing errors: each names the file, row and field, so the CLI can print it without a traceback."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem in an input file.

    ``row`` counts data rows from 1 (the header is not a row); ``line`` is the line in
    the file as a text editor shows it (header = line 1). Either may be ``None`` when
    the problem concerns the whole file or column.
    """

    file: str
    row: int | None
    column: str | None
    message: str
    label: str = "column"  # what ``column`` names: a CSV column, or a scenario "key"
    line: int | None = None  # the line in the file, when known (blank lines and quoted newlines counted)

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row} (line {self.line if self.line is not None else self.row + 1})"
        elif self.line is not None:
            where += f" line {self.line}"
        if self.column:
            where += f", {self.label} '{self.column}'"
        return f"{where}: {self.message}"


class InputError(Exception):
    """Invalid input data or scenario; carries every problem found. CLI exit code 2."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("input", None, None, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class InfeasibleError(Exception):
    """A scenario no plan can satisfy; ``reasons`` say why in words. CLI exit code 3."""

    exit_code = 3

    def __init__(self, reasons: list[str], result=None):
        self.reasons = reasons
        self.result = result
        super().__init__("; ".join(reasons))


class ValidationFailure(AssertionError):
    """A proposal broke a rule or a score did not re-compute: a bug, never silently passed."""
