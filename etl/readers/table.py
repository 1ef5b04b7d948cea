"""RawTable, what every reader returns: cells as text with spreadsheet row numbers; helpers the readers share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa

from etl.vocabulary import Vocabulary, fold_key

# Arrow's default allocator (mimalloc) maps fresh pages for a first big file: a cold 200,000-row read and check
# took 0.34-0.63 s with it, 0.37 s steadily with the C library's allocator, which reuses what the process has.
pa.set_memory_pool(pa.system_memory_pool())


_HEADER_SCAN_ROWS = 30  # title rows above the header of a workbook or a CSV: rarely more than a few


GEO_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".kml"}  # KML: Google Earth placemarks


@dataclass
class RawTable:
    """A file's cells as text, column by column: ``cells[j]`` holds cell j of every row ("" where a row has
    none), ``lines`` each row's spreadsheet row number; GIS files add geometries.

    Columns, not rows: a 200,000-row survey is eleven arrow arrays the loader checks a column at a time, not
    2.2 million Python strings (bench/etl.py). :attr:`rows` gives the row-by-row view to loaders of small files.
    """

    file: str
    format: str
    headers: list[str]
    lines: np.ndarray[Any, Any]  # int64
    cells: list[pa.Array]  # pa.string() arrays, one per column, as long as ``lines``
    geometries: list[Any] | None = None  # shapely geometries, one per row, in ``crs``
    crs: str | None = None
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_rows(cls, file: str, format: str, headers: list[str], rows: Sequence[tuple[int, Sequence[str]]],
                  **more: Any) -> RawTable:
        """The table of ``rows`` (spreadsheet row number, cells); short rows are padded with ""."""
        width = max([len(headers), *(len(cells) for _, cells in rows)])
        full = [cells if len(cells) == width else [*cells, *[""] * (width - len(cells))] for _, cells in rows]
        columns = list(zip(*full, strict=True)) if full else [() for _ in range(width)]
        return cls(file=file, format=format, headers=headers,
                   lines=np.array([line for line, _ in rows], dtype=np.int64),
                   cells=[pa.array(column, type=pa.string()) for column in columns], **more)

    def __len__(self) -> int:
        return len(self.lines)

    @cached_property
    def rows(self) -> list[tuple[int, list[str]]]:
        """(spreadsheet row number, cells) of every row, made when first asked for."""
        columns = [column.to_pylist() for column in self.cells]
        return list(zip(self.lines.tolist(), map(list, zip(*columns, strict=True)), strict=True))

    def take(self, indexes: np.ndarray[Any, Any]) -> RawTable:
        """The table of rows ``indexes``, in that order."""
        picked = pa.array(indexes, type=pa.int64())
        geometries = [self.geometries[i] for i in indexes.tolist()] if self.geometries is not None else None
        return replace(self, lines=self.lines[indexes], cells=[column.take(picked) for column in self.cells],
                       geometries=geometries)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else "no detail"


# --- XLSX ---------------------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\x00", "").strip()   # PostgreSQL text cannot hold NUL
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _one_line(headers: Sequence[str]) -> list[str]:
    """Headers with their line breaks and runs of spaces as one space: "Kinh độ⏎(độ)", typed with Alt+Enter in a
    form's header cell, is named "Kinh độ (độ)" in messages."""
    return [" ".join(header.split()) for header in headers]


def _header_score(cells: Sequence[str], vocabulary: Vocabulary | None) -> int:
    if vocabulary is None:
        return sum(1 for c in cells if c)
    words = vocabulary.sections["headers"]
    return sum(1 for c in cells if c and fold_key(c) in words)
