"""The house rules a newcomer relies on, over the whole code base (issue 16): small files and small functions.

No Python file in sql/, etl/, analysis/, app/, bench/ or gis_data/ (tests and vendored assets aside) is over ~500
lines, and no function is over ~60 lines unless the line just before its ``def`` (or its first decorator) says why
with a ``# long: <reason>`` comment, or its docstring has a ``long: <reason>`` line.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sql", "etl", "analysis", "app", "bench", "gis_data")
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 60
MARKER = "long:"


def _sources() -> list[Path]:
    return [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
            if not {"vendor", "assets", "tests"} & set(path.relative_to(ROOT).parts)]


def _says_why(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> bool:
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    before = lines[first - 2].strip() if first >= 2 else ""
    docstring = ast.get_docstring(node) or ""
    reason_before = before.startswith(f"# {MARKER}") and len(before) > len(f"# {MARKER}") + 3
    reason_in_doc = any(line.strip().lower().startswith(MARKER) and len(line.strip()) > len(MARKER) + 3
                        for line in docstring.splitlines())
    return reason_before or reason_in_doc


def long_functions() -> list[tuple[str, str, int]]:
    found = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_FUNCTION_LINES and not _says_why(node, lines):
                    found.append((str(path.relative_to(ROOT)), node.name, size))
    return found


def test_the_rules_see_every_package() -> None:
    assert all((ROOT / package).is_dir() for package in PACKAGES)
    assert len(_sources()) > 100


def test_no_python_file_is_over_500_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in _sources()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES}
    assert not long


def test_no_function_is_over_60_lines_unless_it_says_why() -> None:
    assert not long_functions()


def test_a_long_function_without_a_reason_is_found(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(70))
    lines = f"def f():\n{body}\n".splitlines()
    node = ast.parse("\n".join(lines)).body[0]
    assert isinstance(node, ast.FunctionDef) and not _says_why(node, lines)
    marked = ["# long: one table of cases read top to bottom", *lines]
    node = ast.parse("\n".join(marked)).body[0]
    assert isinstance(node, ast.FunctionDef) and _says_why(node, marked)
    bare = ["# long:", *lines]
    node = ast.parse("\n".join(bare)).body[0]
    assert isinstance(node, ast.FunctionDef) and not _says_why(node, bare)
