"""The etl/ house rules a newcomer relies on (issue 16): small files and functions, SQL in sql/queries/."""

from __future__ import annotations

import ast
from pathlib import Path

ETL = Path(__file__).resolve().parents[2] / "etl"
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 60
# Functions that stay longer on purpose, each with a comment in its body that says why.
LONGER_ON_PURPOSE = {("feedback_import.py", "_read_row")}


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in sorted(ETL.rglob("*.py"))]


def test_no_etl_file_is_over_500_lines() -> None:
    long = {str(p.relative_to(ETL)): n for p in ETL.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES}
    assert not long


def test_no_etl_function_is_over_60_lines_unless_it_says_why() -> None:
    long = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if size > MAX_FUNCTION_LINES and (str(path.relative_to(ETL)), node.name) not in LONGER_ON_PURPOSE:
                    long.append((str(path.relative_to(ETL)), node.name, size))
    assert not long
    for file, _name in LONGER_ON_PURPOSE:
        assert "on purpose" in (ETL / file).read_text(encoding="utf-8")


def test_no_sql_is_written_inside_etl() -> None:
    """A ``text("...")`` statement belongs in sql/queries/ (crosscheck's SQLite reads of a PyPI package aside)."""
    inline = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "text" \
                    and node.args and isinstance(node.args[0], (ast.Constant, ast.JoinedStr)):
                inline.append(f"{path.relative_to(ETL)}:{node.lineno}")
    assert not inline
    imported = [str(path.relative_to(ETL)) for path, tree in _modules() for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module == "sqlalchemy"
                and any(alias.name == "text" for alias in node.names)]
    assert not imported
