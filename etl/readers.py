"""Readers per file format: every survey file becomes a RawTable of text cells with spreadsheet row numbers.

CSV (`,` `;` tab; UTF-8 with or without BOM, UTF-16, cp1258 on request), XLSX (header found below title rows,
the data sheet picked), GeoJSON, GeoPackage and zipped Shapefiles (checked before unpacking). Any failure of a
parser becomes a LoadRefusedError with one sentence: no input may escape as another exception.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from itertools import zip_longest
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pyarrow as pa

from etl.errors import LoadRefusedError
from etl.limits import check_cells, check_size, check_workbook, check_zip_directory
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
        raise LoadRefusedError(
            f"{path}: old Excel .xls files are not read; save it as .xlsx or CSV and load that"
        )
    else:
        reader = lambda: _read_csv(path, encoding, vocabulary)  # noqa: E731
    try:
        table = reader()
    except LoadRefusedError:
        raise
    except Exception as exc:  # parsers raise many kinds of errors on broken input: one sentence for all
        raise LoadRefusedError(
            f"{path}: cannot be read as {suffix.lstrip('.') or 'CSV'} "
            f"({type(exc).__name__}: {_first_line(exc)})"
        ) from exc
    if not table.headers or not any(h.strip() for h in table.headers):
        raise LoadRefusedError(f"{path}: the file is empty")
    # Only just under the header: further down, 1, 2, 3 ... may be real data.
    first = [cells for _, cells in table.take(np.arange(min(3, len(table)))).rows]
    numbers = [i for i, cells in enumerate(first) if _is_column_number_row(cells)]
    if numbers:
        table = table.take(np.setdiff1d(np.arange(len(table)), numbers))
    if not len(table):
        raise LoadRefusedError(f"{path}: has a header but no data rows")
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
        raise LoadRefusedError(f"{path}: no such file")
    if not path.is_file():
        raise LoadRefusedError(f"{path}: is not a file")
    size = path.stat().st_size
    if size == 0:
        raise LoadRefusedError(f"{path}: the file is empty")
    check_size(path, size)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else "no detail"


# --- CSV ----------------------------------------------------------------------------------------------------


def _decode(data: bytes, path: Path, encoding: str | None) -> tuple[str, bytes | None]:
    """Decode CSV bytes: the given encoding, else a BOM's, else UTF-8; refuse anything else. Also the text's
    UTF-8 bytes when they are the file's own (UTF-8, its BOM left out), so they need not be encoded again."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise LoadRefusedError(
                f"{path}: unknown encoding {encoding!r} (try utf-8, utf-16 or cp1258)"
            ) from exc
        return _decode_or_refuse(data, encoding, path), None
    if data.startswith(codecs.BOM_UTF8):
        return _decode_or_refuse(data[3:], "utf-8", path), data[3:]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_or_refuse(data, "utf-16", path), None
    if len(data) >= 4 and data[1] == 0 and data[3] == 0 and data[0] != 0:  # UTF-16 LE without a BOM
        return _decode_or_refuse(data, "utf-16-le", path), None
    try:
        return data.decode("utf-8"), data
    except UnicodeDecodeError as exc:
        raise LoadRefusedError(
            f"{path}: is not UTF-8 (byte {exc.start}); if it is a legacy Vietnamese file, load it again with "
            "--encoding cp1258, or save it from Excel as 'CSV UTF-8'"
        ) from exc


def _decode_or_refuse(data: bytes, encoding: str, path: Path) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise LoadRefusedError(
            f"{path}: is not valid {encoding} (byte {exc.start} cannot be decoded)"
        ) from exc


def _sniff_delimiter(sample: str) -> str:
    """Pick , ; or tab: the one that splits the first lines into the same, largest number of fields."""
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    best, best_score = ",", -1
    for delimiter in (",", ";", "\t"):
        counts = [len(next(csv.reader([line], delimiter=delimiter))) for line in lines]
        if not counts or counts[0] < 2:
            continue
        score = counts[0] * 10 + sum(1 for c in counts if c == counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(path: Path, encoding: str | None, vocabulary: Vocabulary | None) -> RawTable:
    data = path.read_bytes()
    text, utf8 = _decode(data, path, encoding)
    if (b"\x00" in utf8) if utf8 is not None else ("\x00" in text):
        raise LoadRefusedError(f"{path}: is a binary file, not CSV text")
    if text.startswith("\ufeff"):
        text, utf8 = text[1:], None
    if not unicodedata.is_normalized("NFC", text):
        # cp1258 and some Mac exports give decomposed Vietnamese: store and show the composed (NFC) form.
        text, utf8 = unicodedata.normalize("NFC", text), None
    delimiter = _sniff_delimiter(text[:20000])
    fmt = {",": "csv", ";": "csv;", "\t": "tsv"}[delimiter]
    headers, body_at, header_row, below_titles = _csv_header(text, delimiter, vocabulary)
    headers = _one_line(headers)
    check_cells(path, data.count(b"\n") + 1, len(headers))  # before the rows are parsed into cells
    body = utf8[len(text[:body_at].encode("utf-8")):] if utf8 is not None else text[body_at:].encode("utf-8")
    found = _csv_by_columns(body, delimiter, len(headers), header_row + 1)
    if found is None:
        rows = _csv_by_rows(text[body_at:], delimiter, header_row)
        table = RawTable.from_rows(str(path), fmt, headers, rows)
    else:
        lines, cells = found
        table = RawTable(file=str(path), format=fmt, headers=headers, lines=lines, cells=cells)
    if below_titles:
        table.notes.append(f"header found on row {header_row}")
    return _without_blank_rows(table)


_HEADER_SEARCH_CHARS = 1 << 20  # the header is in the first lines; reading the whole file for it costs 0.05 s


def _csv_header(
    text: str, delimiter: str, vocabulary: Vocabulary | None, limit: int = _HEADER_SEARCH_CHARS
) -> tuple[list[str], int, int, bool]:
    """The header: the first record with a filled cell, unless a record below it among the first ones names more
    known columns (title rows above the header, as a spreadsheet saved as CSV keeps them). Its cells, where the
    records after it start, its spreadsheet row (records counted as a spreadsheet opens the file: an empty line
    is a row, a cell over two lines is not), and whether filled rows above it were passed over."""
    head = text[:limit]
    handle = io.StringIO(head, newline="")
    filled: list[tuple[int, list[str], int]] = []  # (row, cells, where the next record starts)
    for row, record in enumerate(csv.reader(handle, delimiter=delimiter), start=1):
        if handle.tell() == len(head) < len(text):  # the record may go on past the part read
            break
        cells = [cell.strip() for cell in record]
        if any(cells):
            filled.append((row, cells, handle.tell()))
        if row >= _HEADER_SCAN_ROWS and filled:
            break
    if not filled:
        return _csv_header(text, delimiter, vocabulary, len(text)) if len(head) < len(text) else ([], len(text), 0,
                                                                                                False)
    header = filled[0]
    if vocabulary is not None:
        best = max(filled, key=lambda candidate: _header_score(candidate[1], vocabulary))
        if _header_score(best[1], vocabulary) > _header_score(header[1], vocabulary):
            header = best
    row, cells, end = header
    return cells, end, row, header is not filled[0]


def _csv_by_columns(
    data: bytes, delimiter: str, width: int, first_row: int
) -> tuple[np.ndarray[Any, Any], list[pa.Array]] | None:
    """The records of ``data`` (UTF-8) read by arrow's CSV reader straight into columns (C++, both cores), with
    their spreadsheet rows counted from ``first_row``; None unless every record has ``width`` cells.

    Read this way a 200,000-row survey takes 0.1 s where Python's csv module takes 0.4 s (bench/etl.py). A file
    with a short or long row (hand-edited, or a trailing delimiter) is read by :func:`_csv_by_rows`, which keeps
    every cell of every row; both give the same table wherever this one answers (tests/etl/test_fuzz_readers.py).
    """
    import pyarrow.csv as pacsv

    irregular: list[Any] = []

    def note_irregular(row: Any) -> str:
        irregular.append(row)
        return "skip"

    if not data:
        return np.zeros(0, dtype=np.int64), [pa.array([], type=pa.string()) for _ in range(width)]
    names = [f"c{j}" for j in range(width)]
    try:
        read = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names),
            # Empty lines kept as rows of empty cells (dropped later), so record k is spreadsheet row k.
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False,
                                             invalid_row_handler=note_irregular),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowException:
        return None
    if irregular:
        return None
    return (np.arange(first_row, first_row + read.num_rows, dtype=np.int64),
            [read.column(j).combine_chunks() for j in range(width)])


def _csv_by_rows(body: str, delimiter: str, header_row: int) -> list[tuple[int, list[str]]]:
    """Every record of ``body`` (the records after the header, on spreadsheet row ``header_row``) with its row:
    an empty line counts as a row, a cell over two lines does not, as when a spreadsheet opens the file."""
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    return [(header_row + row, record) for row, record in enumerate(reader, start=1) if record]


def _without_blank_rows(table: RawTable) -> RawTable:
    """The table without rows whose every cell is blank (an empty line, a spreadsheet row saved as ",,,,")."""
    import pyarrow.compute as pc

    blank = np.ones(len(table), dtype=bool)
    for column in table.cells:  # most files: no blank first cell, and the rest is not looked at
        blank &= pc.equal(pc.utf8_trim_whitespace(column), "").to_numpy(zero_copy_only=False)
        if not blank.any():
            return table
    return table.take(np.flatnonzero(~blank))


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


def _read_xlsx(path: Path, sheet: str | None, vocabulary: Vocabulary | None) -> RawTable:
    # python-calamine (Rust): a 50,000-row survey in 0.5 s, where openpyxl's read-only mode took 7.4 s.
    from python_calamine import CalamineWorkbook

    if not zipfile.is_zipfile(path):
        raise LoadRefusedError(f"{path}: is not an Excel .xlsx workbook")
    check_workbook(path)  # parts, inflated size and each sheet's declared dimension, before calamine opens it
    workbook = CalamineWorkbook.from_path(str(path))
    names = list(workbook.sheet_names)
    if sheet is not None and sheet not in names:
        raise LoadRefusedError(f"{path}: has no sheet {sheet!r}; its sheets are {', '.join(names)}")
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


# --- GIS files ----------------------------------------------------------------------------------------------


def check_archive(path: Path) -> list[str]:
    """Check a zip before unpacking (etl.limits: entries, names, inflated size, ratio); return its names."""
    return [entry.filename for entry in check_zip_directory(path)]


def _read_zip(path: Path, encoding: str | None, vocabulary: Vocabulary | None) -> RawTable:
    """A zipped Shapefile, or an ODK Central "all data" download (its form's CSV beside the repeats' CSVs and the
    media): checked before anything is unpacked."""
    names = check_archive(path)
    shapefiles = [n for n in names if n.lower().endswith(".shp")]
    tables = sorted((n for n in names if n.lower().endswith(".csv") and not n.startswith("__MACOSX/")),
                    key=lambda n: (len(PurePosixPath(n).stem), n))
    if not shapefiles and not tables:
        raise LoadRefusedError(f"{path}: the archive holds no .shp or .csv file")
    with tempfile.TemporaryDirectory(prefix="phusong-zip-") as tmp:
        with zipfile.ZipFile(path) as archive:
            if shapefiles:
                archive.extractall(tmp)
                return _read_ogr(Path(tmp) / shapefiles[0], path, "shapefile")
            # ODK Central names the form's table <form>.csv and each repeat <form>-<repeat>.csv: the shortest.
            main = tables[0]
            unpacked = archive.extract(main, tmp)
            try:
                table = _read_csv(Path(unpacked), encoding, vocabulary)
            except LoadRefusedError as exc:  # named by the archive the user gave, not our temporary copy
                raise LoadRefusedError(str(exc).replace(unpacked, f"{path} ({main})")) from exc
    others = f"; not read: {', '.join(tables[1:])}" if len(tables) > 1 else ""
    table.file, table.notes = str(path), [*table.notes, f"{main} from the archive{others}"]
    return table


def _read_geo(path: Path, layer: str | None = None) -> RawTable:
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        try:
            json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError) as exc:
            raise LoadRefusedError(f"{path}: is not valid JSON ({_first_line(exc)})") from exc
    fmt = {".gpkg": "gpkg", ".shp": "shapefile", ".kml": "kml"}.get(suffix, "geojson")
    return _read_ogr(path, path, fmt, layer)


def _layer(shown: Path, layers: list[tuple[str, str]], asked: str | None) -> str | None:
    """The layer to read: the one asked for (--sheet), else of several the first of points (surveys are points;
    a GeoPackage often carries the communes beside them), else the first."""
    names = [name for name, _ in layers]
    if asked is not None:
        if asked not in names:
            raise LoadRefusedError(f"{shown}: has no layer {asked!r}; its layers are {', '.join(names)}")
        return asked
    points = [name for name, kind in layers if "point" in kind.lower()]
    return (points or names)[0] if names else None


# How Google Earth draws a placemark, and the id it gives it: never a facility's data (its own code is in its
# ExtendedData, e.g. "ma", or its name).
_KML_STYLE_FIELDS = {"id", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude", "visibility",
                     "drawOrder", "icon", "snippet"}


def _read_ogr(source: Path, shown: Path, fmt: str, layer: str | None = None) -> RawTable:
    import pyogrio

    try:
        layers = [(str(name), str(kind)) for name, kind in pyogrio.list_layers(source)]
        chosen = _layer(shown, layers, layer)
        gdf = pyogrio.read_dataframe(source, layer=chosen)
    except LoadRefusedError:
        raise
    except Exception as exc:
        raise LoadRefusedError(f"{shown}: cannot be read as a GIS file ({_first_line(exc)})") from exc
    skipped = _KML_STYLE_FIELDS if fmt == "kml" else set()
    headers = [str(c) for c in gdf.columns if c != "geometry" and c not in skipped]
    cells = [_attribute_texts(gdf[header]) for header in headers] or [pa.array([""] * len(gdf), type=pa.string())]
    crs = gdf.crs.to_string() if gdf.crs is not None else None
    return RawTable(file=str(shown), format=fmt, headers=headers or ["geometry"],
                    lines=np.arange(1, len(gdf) + 1, dtype=np.int64), cells=cells,
                    geometries=list(gdf.geometry.values), crs=crs)


def _attribute_texts(values: Any) -> pa.Array:
    """A GIS attribute column as text (:func:`_cell_text`, "" where missing), each distinct value made once."""
    import pandas as pd

    codes, distinct = pd.factorize(values.astype(object).where(values.notna(), None))  # missing: code -1
    texts = np.array([_cell_text(value) for value in distinct] + [""], dtype=object)
    return pa.array(texts[codes], type=pa.string())
