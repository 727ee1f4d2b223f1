"""User-facing errors: each names the file, row and field, so the CLI can print it without a traceback.

Messages are :class:`~optimizer.text.Msg` (a catalogue key and its values): the CLI writes them
in the language of the run, ``str()`` in English.
"""

from __future__ import annotations

from dataclasses import dataclass

from .text import Msg, say


@dataclass(frozen=True)
class Problem:
    """One problem in an input file (or an option, or a scenario key).

    ``row`` counts data rows from 1 (the header is not a row); ``line`` is the line in
    the file as a text editor shows it (header = line 1). Either may be ``None`` when
    the problem concerns the whole file or column.
    """

    file: str
    row: int | None
    column: str | None
    message: Msg | str
    label: str = "column"  # what ``column`` names: a CSV column, or a scenario "key"
    line: int | None = None  # the line in the file, when known (blank lines and quoted newlines counted)

    @property
    def shown_line(self) -> int | None:
        """The line to show: the one recorded, else the row's (header = line 1)."""
        return self.line if self.line is not None else (self.row + 1 if self.row is not None else None)

    def render(self, lang: str = "en") -> str:
        """The problem in one line of ``lang``: where, then what."""
        if self.row is not None:
            where = Msg("problem.at_row", file=self.file, row=self.row, line=self.shown_line)
        elif self.line is not None:
            where = Msg("problem.at_line", file=self.file, line=self.line)
        else:
            where = Msg("problem.at_file", file=self.file)
        if self.column:
            where = Msg("problem.with_" + ("key" if self.label == "key" else "column"), where=where, name=self.column)
        return say(Msg("problem.line", where=where, message=self.message), lang)

    def __str__(self) -> str:
        return self.render("en")


class InputError(Exception):
    """Invalid input data or scenario; carries every problem found. CLI exit code 2."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | Msg | str):
        if isinstance(problems, (str, Msg)):
            problems = [Problem("input", None, None, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class InfeasibleError(Exception):
    """A scenario no plan can satisfy; ``reasons`` say why (:class:`~optimizer.text.Msg`). CLI exit code 3."""

    exit_code = 3

    def __init__(self, reasons: list, result=None):
        self.reasons = reasons
        self.result = result
        super().__init__("; ".join(str(r) for r in reasons))


class ValidationFailure(AssertionError):
    """A proposal broke a rule or a score did not re-compute: a bug, never silently passed."""
