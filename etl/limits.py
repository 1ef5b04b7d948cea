"""How big an input may be, checked before it is read (issue 14 item 5): one place for the CLI and the app.

A 1.5 kB workbook can declare a sheet of A1:XFD1048576 and a 1 MB zip can inflate to gigabytes; each is refused
from its directory (zip central directory, sheet <dimension>) before a byte of content is parsed. Each refusal
is one sentence naming the limit, in English (the CLI) and Vietnamese (the app: ``LimitExceededError.vi``).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO

from etl.errors import LoadRefusedError

MAX_FILE_BYTES = 500 * 1024 * 1024  # a file named on the command line (issue 3)
MAX_UPLOAD_BYTES = 30 * 1024 * 1024  # a file sent through the web app
MAX_ARCHIVE_INFLATED_BYTES = 200 * 1024 * 1024  # a zip's (or workbook's) parts, all together, once unpacked
MAX_ARCHIVE_RATIO = 100  # one entry's inflated / compressed size
MAX_ARCHIVE_ENTRIES = 2_000  # a Shapefile has 4-8 parts; an ODK "all data" zip a CSV per repeat and the media
# 200,000 survey rows x 30 columns (bench/etl.py) with room to spare; 10 times the cells a workbook of that
# size holds, and still under a second of memory checks.
MAX_CELLS = 20_000_000
MAX_COLUMNS = 1_000
UPLOAD_MAX_AGE_S = 24 * 3600  # an upload not confirmed within a day is deleted

_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?\"")
_SHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$")
# A cell's reference (r="AB12"); a row's r="12" has no letters and is not matched.
_CELL_REF = re.compile(rb" r=\"([A-Z]{1,3})([0-9]{1,7})\"")


class LimitExceededError(LoadRefusedError):
    """An input over one of the limits above: a code of etl/messages.py, like every whole-file refusal."""


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.0f} MB"


def check_size(path: Path, size: int, limit: int | None = None) -> None:
    """Refuse a file of ``size`` bytes over ``limit`` (MAX_FILE_BYTES when None)."""
    limit = MAX_FILE_BYTES if limit is None else limit
    if size > limit:
        raise LimitExceededError(code="file_too_large", path=path, size=_mb(size), limit=_mb(limit))


def check_zip_directory(path: Path) -> list[zipfile.ZipInfo]:
    """Check a zip from its central directory only: entry count, names inside it, inflated size and ratio."""
    if not zipfile.is_zipfile(path):
        raise LoadRefusedError(code="not_zip", path=path)
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
    if len(entries) > MAX_ARCHIVE_ENTRIES:
        raise LimitExceededError(code="archive_too_many_files", path=path, count=len(entries),
                                 maximum=MAX_ARCHIVE_ENTRIES)
    inflated = 0
    for entry in entries:
        name = entry.filename
        if name.startswith(("/", "\\")) or ".." in PurePosixPath(name.replace("\\", "/")).parts or ":" in name:
            raise LoadRefusedError(code="archive_entry_outside", path=path, entry=name)
        inflated += entry.file_size
        if entry.compress_size and entry.file_size / entry.compress_size > MAX_ARCHIVE_RATIO:
            ratio = entry.file_size / entry.compress_size
            raise LimitExceededError(code="archive_entry_bomb", path=path, entry=name, count=round(ratio),
                                     maximum=MAX_ARCHIVE_RATIO)
    if inflated > MAX_ARCHIVE_INFLATED_BYTES:
        raise LimitExceededError(code="archive_too_large", path=path, size=_mb(inflated),
                                 limit=_mb(MAX_ARCHIVE_INFLATED_BYTES))
    return entries


def check_cells(path: Path, rows: int, columns: int, *, where: str = "") -> None:
    """Refuse a table of ``rows`` x ``columns`` over MAX_CELLS, or wider than MAX_COLUMNS."""
    if columns > MAX_COLUMNS or rows * columns > MAX_CELLS:
        raise LimitExceededError(code="table_too_large", path=f"{path}{where}", count=rows, total=columns,
                                 maximum=MAX_CELLS, outside=MAX_COLUMNS)


def check_workbook(path: Path) -> None:
    """Check an .xlsx before it is opened: its zip directory, then the grid each sheet would make.

    The reader builds each sheet as a grid from A1 to its farthest cell, so one cell at XFD1048576 in a 5 kB
    file asks for 17 billion cells (the reader aborts the whole process asking for 512 GB). The grid is measured
    from the sheet's XML without parsing it: the declared dimension first (refused at once), then every cell
    reference, streamed in 1 MB pieces (the part's size is already bounded by the zip check).
    """
    entries = check_zip_directory(path)
    with zipfile.ZipFile(path) as archive:
        for entry in entries:
            if _SHEET_PART.match(entry.filename):
                with archive.open(entry) as part:
                    rows, columns = _sheet_extent(part, path, PurePosixPath(entry.filename).stem)
                check_cells(path, rows, columns, where=f" ({PurePosixPath(entry.filename).stem})")


def _sheet_extent(part: IO[bytes], path: Path, sheet: str) -> tuple[int, int]:
    """(rows, columns) from A1 to the farthest cell a sheet's XML names; the declared dimension checked first."""
    head = part.read(4096)
    declared = _DIMENSION.search(head)
    if declared is not None and declared.group(3) is not None:
        check_cells(path, int(declared.group(4)), _column_number(declared.group(3).decode()), where=f" ({sheet})")
    rows = columns = 0
    chunk, tail = head, b""
    while chunk:
        text = tail + chunk
        refs = _CELL_REF.findall(text)
        if refs:  # few distinct column letters and one longest row number: cheap to reduce in bulk
            columns = max(columns, *(_column_number(c.decode()) for c in {c for c, _ in refs}))
            rows = max(rows, max(int(r) for r in {r for _, r in refs}))
        tail = text[-64:]  # a reference cut between two pieces is found whole in the next
        chunk = part.read(1 << 20)
    return rows, columns


def _column_number(letters: str) -> int:
    """'A' -> 1, 'XFD' -> 16384."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number
