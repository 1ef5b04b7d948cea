"""Errors the loaders raise; app/cli.py turns them into one clean message and exit code 1."""

from __future__ import annotations

from sql.errors import InputRefused


class LoadRefusedError(InputRefused):
    """The file as a whole cannot be loaded (nothing was written); the message says why."""


class SurveyValidationError(LoadRefusedError):
    """Rows of a file break the rules and the caller asked for all-or-nothing; lists every problem found."""

    def __init__(self, file: str, problems: list[str]) -> None:
        self.file = file
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{file}: {len(problems)} problem(s):\n{shown}{more}")
