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
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import zip_longest
from pathlib import Path, PurePosixPath
from typing import Any

from etl.errors import LoadRefusedError
from etl.vocabulary import Vocabulary, fold_key

MAX_FILE_BYTES = 500 * 1024 * 1024  # issue 3: files over 500 MB are refused
MAX_ARCHIVE_INFLATED_BYTES = 200 * 1024 * 1024
MAX_ARCHIVE_RATIO = 100
_HEADER_SCAN_ROWS = 30  # title rows above a workbook's header: rarely more than a few
GEO_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".kml"}  # KML: Google Earth placemarks


@dataclass
class RawTable:
    """A file's cells as text: ``rows`` holds (spreadsheet row number, cells); GIS files add geometries."""

    file: str
    format: str
    headers: list[str]
    rows: list[tuple[int, list[str]]]
    geometries: list[Any] | None = None  # shapely geometries, one per row, in ``crs``
    crs: str | None = None
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)


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
        reader = lambda: _read_zip(path, encoding)  # noqa: E731
    elif suffix in GEO_SUFFIXES:
        reader = lambda: _read_geo(path, sheet)  # noqa: E731
    elif suffix == ".xls":
        raise LoadRefusedError(
            f"{path}: old Excel .xls files are not read; save it as .xlsx or CSV and load that"
        )
    else:
        reader = lambda: _read_csv(path, encoding)  # noqa: E731
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
    table.rows = [r for i, r in enumerate(table.rows) if i > 2 or not _is_column_number_row(r[1])]
    if not table.rows:
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
    if size > MAX_FILE_BYTES:
        raise LoadRefusedError(f"{path}: {size / 1e6:,.0f} MB is over the 500 MB limit; split the file")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else "no detail"


# --- CSV ----------------------------------------------------------------------------------------------------


def decode_text(data: bytes, path: Path, encoding: str | None) -> str:
    """Decode CSV bytes: the given encoding, else a BOM's, else UTF-8; refuse anything else."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise LoadRefusedError(
                f"{path}: unknown encoding {encoding!r} (try utf-8, utf-16 or cp1258)"
            ) from exc
        return _decode_or_refuse(data, encoding, path)
    if data.startswith(codecs.BOM_UTF8):
        return _decode_or_refuse(data[3:], "utf-8", path)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_or_refuse(data, "utf-16", path)
    if len(data) >= 4 and data[1] == 0 and data[3] == 0 and data[0] != 0:  # UTF-16 LE without a BOM
        return _decode_or_refuse(data, "utf-16-le", path)
    try:
        return data.decode("utf-8")
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


def _read_csv(path: Path, encoding: str | None) -> RawTable:
    text = decode_text(path.read_bytes(), path, encoding)
    if "\x00" in text:
        raise LoadRefusedError(f"{path}: is a binary file, not CSV text")
    # cp1258 and some Mac exports give decomposed Vietnamese: store and show the composed (NFC) form.
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff"))
    delimiter = _sniff_delimiter(text[:20000])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    for record in reader:
        line = reader.line_num
        if not headers:
            if any(cell.strip() for cell in record):
                headers = [cell.strip() for cell in record]
            continue
        if "".join(record).strip():  # not a blank line (one join in C, not a strip per cell)
            rows.append((line, record))
    fmt = {",": "csv", ";": "csv;", "\t": "tsv"}[delimiter]
    return RawTable(file=str(path), format=fmt, headers=headers, rows=rows)


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
    while headers and not headers[-1]:
        headers = headers[:-1]
    rows = [(i + 1, r) for i, r in enumerate(grid) if i > header_at and any(c for c in r)]
    notes = [f"header found on row {header_at + 1} of sheet {name!r}"] if header_at else []
    return RawTable(file=str(path), format="xlsx", headers=headers, rows=rows, sheet=name, notes=notes)


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
    """Check a zip before unpacking: no '..' or absolute names, at most 200 MB inflated, ratio <= 100."""
    if not zipfile.is_zipfile(path):
        raise LoadRefusedError(f"{path}: is not a zip archive")
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
    inflated = 0
    for entry in entries:
        name = entry.filename
        if (
            name.startswith(("/", "\\"))
            or ".." in PurePosixPath(name.replace("\\", "/")).parts
            or ":" in name
        ):
            raise LoadRefusedError(f"{path}: refused, the archive entry {name!r} points outside the archive")
        inflated += entry.file_size
        if entry.compress_size and entry.file_size / entry.compress_size > MAX_ARCHIVE_RATIO:
            raise LoadRefusedError(
                f"{path}: refused, entry {name!r} inflates {entry.file_size / entry.compress_size:,.0f}"
                f" times (more than {MAX_ARCHIVE_RATIO}): a zip bomb?"
            )
    if inflated > MAX_ARCHIVE_INFLATED_BYTES:
        raise LoadRefusedError(
            f"{path}: refused, the archive inflates to {inflated / 1e6:,.0f} MB "
            f"(limit {MAX_ARCHIVE_INFLATED_BYTES // 1_000_000} MB)"
        )
    return [e.filename for e in entries]


def _read_zip(path: Path, encoding: str | None) -> RawTable:
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
                table = _read_csv(Path(unpacked), encoding)
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
    values = (
        gdf[headers].astype(object).where(gdf[headers].notna(), None).values.tolist()
        if headers
        else ([[] for _ in range(len(gdf))])
    )
    rows = [(i + 1, [_cell_text(v) for v in record]) for i, record in enumerate(values)]
    crs = gdf.crs.to_string() if gdf.crs is not None else None
    return RawTable(
        file=str(shown),
        format=fmt,
        headers=headers or ["geometry"],
        rows=rows,
        geometries=list(gdf.geometry.values),
        crs=crs,
    )
