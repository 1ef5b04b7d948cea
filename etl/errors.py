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


class CellRefused(InputRefused):
    """One cell cannot be read: a reason code of etl/messages.py and the values its templates name.

    Its text is the English sentence (it is still a ValueError, so the cell parsers' callers catch it as one).
    """

    def __init__(self, code: str, **values: object) -> None:
        from etl.messages import render

        self.code = code
        self.values = values
        super().__init__(render(code, values, "en"))
