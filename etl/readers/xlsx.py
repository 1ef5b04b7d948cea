"""XLSX workbooks into a RawTable: the data sheet picked, the header found below title rows."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from itertools import zip_longest
from pathlib import Path

import pyarrow as pa

from etl.errors import LoadRefusedError
from etl.limits import check_workbook
from etl.readers.table import _HEADER_SCAN_ROWS, RawTable, _cell_text, _header_score, _one_line
from etl.vocabulary import Vocabulary

# Arrow's default allocator (mimalloc) maps fresh pages for a first big file: a cold 200,000-row read and check
# took 0.34-0.63 s with it, 0.37 s steadily with the C library's allocator, which reuses what the process has.
pa.set_memory_pool(pa.system_memory_pool())


def _read_xlsx(path: Path, sheet: str | None, vocabulary: Vocabulary | None) -> RawTable:
    # python-calamine (Rust): a 50,000-row survey in 0.5 s, where openpyxl's read-only mode took 7.4 s.
    from python_calamine import CalamineWorkbook

    if not zipfile.is_zipfile(path):
        raise LoadRefusedError(code="not_xlsx", path=path)
    check_workbook(path)  # parts, inflated size and each sheet's declared dimension, before calamine opens it
    workbook = CalamineWorkbook.from_path(str(path))
    names = list(workbook.sheet_names)
    if sheet is not None and sheet not in names:
        raise LoadRefusedError(code="no_such_sheet", path=path, sheet=sheet, sheets=names)
    best: tuple[int, int, str, int, list[list[str]]] | None = None
    for name in [sheet] if sheet else names:
        assert name is not None
        # From A1 (skip_empty_area=False), so that grid row i is spreadsheet row i + 1.
        cells = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        grid = [[_cell_text(v) for v in row] for row in cells]
        header_at, score = _find_header(grid, vocabulary)
        data_rows = sum(1 for r in grid[header_at + 1 :] if any(r))
        key = (score, data_rows)
        if best is None or key > (best[0], best[1]):
            best = (score, data_rows, name, header_at, grid)
    assert best is not None
    _, _, name, header_at, grid = best
    headers = grid[header_at] if grid else []
    if header_at + 1 < len(grid) and _is_sub_header(grid[header_at + 1], vocabulary):
        # A two-row header: "Tọa độ" merged over "Kinh độ | Vĩ độ". The lower row names its columns.
        headers = [sub or top for top, sub in zip_longest(headers, grid[header_at + 1], fillvalue="")]
        header_at += 1
    headers = _one_line(headers)
    while headers and not headers[-1]:
        headers = headers[:-1]
    rows = [(i + 1, r) for i, r in enumerate(grid) if i > header_at and any(c for c in r)]
    notes = [f"header found on row {header_at + 1} of sheet {name!r}"] if header_at else []
    return RawTable.from_rows(str(path), "xlsx", headers, rows, sheet=name, notes=notes)


def _is_sub_header(cells: Sequence[str], vocabulary: Vocabulary | None) -> bool:
    """True when the row under a header is more header (known column names, no numbers), not data."""
    if vocabulary is None:
        return False
    filled = [c for c in cells if c]
    known = _header_score(filled, vocabulary)
    numeric = sum(1 for c in filled if c.replace(".", "", 1).replace(",", "", 1).lstrip("-").isdigit())
    return known >= 1 and numeric == 0 and known * 2 >= len(filled)


def _find_header(grid: list[list[str]], vocabulary: Vocabulary | None) -> tuple[int, int]:
    """The row (0-based) among the first ones that most looks like a header: most known column names."""
    best_at, best_score = 0, -1
    for i, row in enumerate(grid[:_HEADER_SCAN_ROWS]):
        filled = sum(1 for c in row if c)
        if filled < 2:
            continue
        score = _header_score(row, vocabulary) * 100 + filled
        if score > best_score:
            best_at, best_score = i, score
    return best_at, max(best_score, 0)
