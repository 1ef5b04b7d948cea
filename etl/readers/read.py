"""read_table: any survey file to a RawTable, by its suffix; a failing parser becomes one LoadRefusedError sentence."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

from etl.errors import LoadRefusedError
from etl.limits import check_size
from etl.readers.delimited import _read_csv
from etl.readers.geo import _read_geo, _read_zip
from etl.readers.table import GEO_SUFFIXES, RawTable, _first_line
from etl.readers.xlsx import _read_xlsx
from etl.vocabulary import Vocabulary

# Arrow's default allocator (mimalloc) maps fresh pages for a first big file: a cold 200,000-row read and check
# took 0.34-0.63 s with it, 0.37 s steadily with the C library's allocator, which reuses what the process has.
pa.set_memory_pool(pa.system_memory_pool())


def read_table(
    path: Path, *, sheet: str | None = None, encoding: str | None = None, vocabulary: Vocabulary | None = None
) -> RawTable:
    """Read any supported survey file; raise LoadRefusedError for a file that cannot be read as a whole."""
    _check_file(path)
    suffix = path.suffix.lower()
    reader: Callable[[], RawTable]
    if suffix in (".xlsx", ".xlsm"):
        reader = lambda: _read_xlsx(path, sheet, vocabulary)  # noqa: E731
    elif suffix == ".zip":
        reader = lambda: _read_zip(path, encoding, vocabulary)  # noqa: E731
    elif suffix in GEO_SUFFIXES:
        reader = lambda: _read_geo(path, sheet)  # noqa: E731
    elif suffix == ".xls":
        raise LoadRefusedError(code="old_xls", path=path)
    else:
        reader = lambda: _read_csv(path, encoding, vocabulary)  # noqa: E731
    try:
        table = reader()
    except LoadRefusedError:
        raise
    except Exception as exc:  # parsers raise many kinds of errors on broken input: one sentence for all
        raise LoadRefusedError(code="file_unreadable", path=path, kind=suffix.lstrip(".") or "CSV",
                               cli_hint=f"{type(exc).__name__}: {_first_line(exc)}") from exc
    if not table.headers or not any(h.strip() for h in table.headers):
        raise LoadRefusedError(code="file_empty", path=path)
    # Only just under the header: further down, 1, 2, 3 ... may be real data.
    first = [cells for _, cells in table.take(np.arange(min(3, len(table)))).rows]
    numbers = [i for i, cells in enumerate(first) if _is_column_number_row(cells)]
    if numbers:
        table = table.take(np.setdiff1d(np.arange(len(table)), numbers))
    if not len(table):
        raise LoadRefusedError(code="no_data_rows", path=path)
    return table


_COLUMN_NUMBER = re.compile(r"^[(\[]?(\d{1,2}|[A-Z])[)\]]?$")


def _is_column_number_row(cells: list[str]) -> bool:
    """True for the row of column numbers ('(1)', '(2)' ... or 1, 2, 3 ...) forms put under a header."""
    filled = [c.strip() for c in cells if c and c.strip()]
    if len(filled) < 3 or not all(_COLUMN_NUMBER.match(c) for c in filled):
        return False
    digits = [int(c.strip("()[]")) for c in filled if c.strip("()[]").isdigit()]
    return len(digits) == len(filled) and digits == list(range(digits[0], digits[0] + len(digits)))


def _check_file(path: Path) -> None:
    if not path.exists():
        raise LoadRefusedError(code="file_missing", path=path)
    if not path.is_file():
        raise LoadRefusedError(code="not_a_file", path=path)
    size = path.stat().st_size
    if size == 0:
        raise LoadRefusedError(code="file_empty", path=path)
    check_size(path, size)
