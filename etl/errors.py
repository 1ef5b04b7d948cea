"""Errors the loaders raise; app/cli.py turns them into one clean message and exit code 1."""

from __future__ import annotations

from sql.errors import InputRefused


class LoadRefusedError(InputRefused):
    """The file as a whole cannot be loaded (nothing was written); the message says why.

    A reader's refusal is a reason ``code`` of etl/messages.py with its ``values``: ``str(exc)`` is the English
    sentence after the file's path (and, for the command line only, ``cli_hint``), ``render(lang)`` the sentence
    alone in either language (no path: the web app names the file as the user named it), ``vi`` the Vietnamese
    sentence after the path.
    """

    def __init__(self, message: str = "", *, code: str | None = None, path: object = None, cli_hint: str = "",
                 **values: object) -> None:
        self.code = code
        self.values = values
        self.cli_hint = cli_hint
        self.where = "" if path is None else str(path)
        if code is not None:
            message = self._located(self.render("en")) + (f" ({cli_hint})" if cli_hint else "")
            self.vi = self._located(self.render("vi"))
        super().__init__(message)

    def _located(self, sentence: str) -> str:
        return f"{self.where}: {sentence}" if self.where else sentence

    def render(self, lang: str = "en") -> str:
        """The refusal in ``lang`` without the file's path (a refusal without a code: its English message)."""
        if self.code is None:
            return str(self)
        from etl.messages import render

        return render(self.code, self.values, lang)


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
