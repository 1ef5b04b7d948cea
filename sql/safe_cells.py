"""Text written to a spreadsheet never becomes a formula (issue 14 item 6, CWE-1236 "CSV injection").

A facility name, a citizen's report or a rejected survey cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return is run as a formula by Excel or LibreOffice when the CSV is opened, and an openpyxl string
starting with ``=`` is saved as a live formula. Every CSV and XLSX writer (etl, analysis, app) passes its cells
through here: CSV text starting with one of those characters gets a leading ``'`` (what Excel shows as text);
XLSX cells are stored as strings, never formulas. Numbers stay numbers, and so does text that is only a number
("-5", "+84.5"): it cannot run anything. This module sits in sql/ because it is the one layer both etl and
analysis may import.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def is_formula_like(value: Any) -> bool:
    """True for text that a spreadsheet would run: starts with = + - @ tab or CR and is not just a number."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(value)


def csv_cell(value: Any) -> Any:
    """``value`` for a CSV cell: formula-like text prefixed with ``'``; anything else unchanged."""
    return "'" + value if is_formula_like(value) else value


def csv_row(values: Any) -> list[Any]:
    """A row of CSV cells, each through :func:`csv_cell`."""
    return [csv_cell(v) for v in values]


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text columns are safe to write as CSV (number columns are not touched)."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(csv_cell)
    return safe


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as CSV for Excel: UTF-8 with BOM, CRLF rows (RFC 4180, so a CR inside a text is quoted,
    not a row break), text through :func:`csv_cell`."""
    csv_frame(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def text_only_workbook(book: Any) -> Any:
    """Store every cell of an openpyxl workbook that openpyxl took for a formula as the text it is; return it.

    Call it last, before ``book.save`` (or before a pandas ExcelWriter closes): nothing phusong writes is meant
    to be a formula, so any cell of type 'f' came from someone's text.
    """
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    return book
