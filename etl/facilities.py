"""Facility surveys (any format) into the facility table: checked rows, rejects, idempotent upsert."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, get_args, overload

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import ValidationError
from sqlalchemy import Connection, text

from etl.coords import (
    VN2000_ZONES,
    VN_LAT,
    VN_LON,
    describe_zones,
    likely_zones,
    looks_projected,
    parse_crs,
    transformer_to_wgs84,
)
from etl.errors import CellRefused, LoadRefusedError
from etl.lineage import (
    LoadResult,
    batch_writes,
    begin_load,
    reading_options,
)
from etl.messages import pydantic_reason
from etl.models import FacilityRow, FacilityType, Status, Technology
from etl.names import fold_place_name, fold_text
from etl.readers import RawTable, read_table
from etl.validate import (
    TOTAL_LABEL,
    ColumnMap,
    RowIssue,
    doubtful_option,
    map_columns,
    parse_amount,
    parse_count,
    parse_geopoint,
    parse_status,
    parse_year,
    read_coordinate_pair,
    row_attributes,
)
from etl.vocabulary import Vocabulary, load_vocabulary
from sql import queries
from sql.bulk import COPY_CHUNK_ROWS, EWKB_POINT_HEX, batch_audit, copy_columns, ewkb_points_hex

_PROJECTED_SHARE = 0.5  # more than half the positions in metres: the file is projected, not a few typos


@dataclass(frozen=True)
class _Position:
    """A row's position as read: x/y in ``epsg`` (easting/northing or lon/lat), and where it came from."""

    x: float
    y: float
    field: str
    value: str


def preview_facilities(conn: Connection, path: Path, **options: Any) -> LoadResult:
    """Check a facility file against the database without writing anything (the upload page's preview).

    Takes the options of :func:`load_facilities`; ``result.accepted`` holds the rows that would load and
    ``result.issues`` every rejection and warning.
    """
    return load_facilities(conn, path, **{**options, "dry_run": True})


def load_facilities(
    conn: Connection,
    path: Path,
    *,
    crs: str | None = None,
    sheet: str | None = None,
    mapping: Path | None = None,
    encoding: str | None = None,
    strict: bool = False,
    dry_run: bool = False,
    loaded_by: str = "cli",
    report_dir: Path | None = None,
    today: date | None = None,
    doubtful_as: str = "reject",
) -> LoadResult:
    """Load a facility survey into ``facility`` in this transaction, one ``load_batch`` per file.

    Rows that break a rule are rejected (kept in ``load_reject`` and the CSV report in ``report_dir``);
    the rest load. The same file again changes nothing; a changed file updates facilities by external id
    (without one: the same type within 5 m). ``strict`` refuses the file if any row is rejected;
    ``dry_run`` writes nothing.
    Coordinates are WGS 84 degrees unless ``crs`` names the VN-2000 system they are in (EPSG:N).
    A doubtful status ('ok?') is rejected, or kept as 'unknown' with ``doubtful_as='unknown'``.
    """
    with _cyclic_gc_paused():
        return _load_facilities(
            conn,
            path,
            crs=crs,
            sheet=sheet,
            mapping=mapping,
            encoding=encoding,
            strict=strict,
            dry_run=dry_run,
            loaded_by=loaded_by,
            report_dir=report_dir,
            today=today,
            doubtful_as=doubtful_as,
        )


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector for a load (reference counting still frees everything at once).

    A survey load makes millions of small acyclic objects (cells, rows, typed rows); each of them counts
    towards the collector's thresholds, and its full passes over an ever larger heap took ~40% of a
    100,000-row load (bench/etl.py). Nothing a load makes needs the cycle collector; whatever cycles the
    rest of the process makes meanwhile are collected once it is back on. Restored as it was, error or not.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load_facilities(
    conn: Connection,
    path: Path,
    *,
    crs: str | None,
    sheet: str | None,
    mapping: Path | None,
    encoding: str | None,
    strict: bool,
    dry_run: bool,
    loaded_by: str,
    report_dir: Path | None,
    today: date | None,
    doubtful_as: str,
) -> LoadResult:
    vocabulary = load_vocabulary(mapping)
    epsg = parse_crs(crs) if crs else None
    table = read_table(path, sheet=sheet, encoding=encoding, vocabulary=vocabulary)
    reading = reading_options(sheet=table.sheet, encoding=encoding, mapping=mapping, crs=crs,
                              **doubtful_option(doubtful_as))
    result, sha256 = begin_load(conn, "facilities", path, table, reading, dry_run=dry_run,
                                skip_reason="not facility rows")
    if result.already_loaded is not None:
        return result
    columns = map_columns(table.headers, vocabulary)
    _require_columns(table, columns)
    _require_communes(conn)
    rows = _read_rows(conn, table, columns, vocabulary, epsg, result, today or date.today(), doubtful_as)
    params = reading | {"mapping": str(mapping) if mapping else None, "strict": strict, "source": columns.source}
    with batch_writes(conn, result, table="facility", sha256=sha256, params=params, loaded_by=loaded_by,
                      strict=strict, dry_run=dry_run, report_dir=report_dir):
        _locate_and_write(conn, rows, columns, result)
    return result


def _require_columns(table: RawTable, columns: ColumnMap) -> None:
    headers = ", ".join(h for h in table.headers if h) or "none"
    if not columns.has("type"):
        raise LoadRefusedError(
            f"{table.file}: no column for the facility type (such as 'Loại thiết chế'); the "
            f"headers are {headers}: name it in a --mapping file"
        )
    located = (
        table.geometries is not None
        or columns.has("geopoint")
        or (columns.has("lon") and columns.has("lat"))
        or (columns.has("x") and columns.has("y"))
    )
    if not located:
        raise LoadRefusedError(
            f"{table.file}: no coordinate columns (such as 'Kinh độ' and 'Vĩ độ', or X and Y); "
            f"the headers are {headers}"
        )
    if table.geometries is not None:
        kinds = {g.geom_type for g in table.geometries if g is not None and not g.is_empty}
        bad = kinds - {"Point", "MultiPoint"}
        multi = any(
            g is not None and g.geom_type == "MultiPoint" and len(g.geoms) != 1 for g in table.geometries
        )
        if bad or multi:
            raise LoadRefusedError(
                f"{table.file}: facilities must be points, but the file holds "
                f"{', '.join(sorted(bad or {'multi-point'}))} geometries"
            )


def _require_communes(conn: Connection) -> None:
    if conn.execute(text("SELECT NOT EXISTS (SELECT 1 FROM commune)")).scalar_one():
        raise LoadRefusedError(
            "no 2025 communes are loaded, so no facility can be placed in one: run "
            "`phusong load boundaries FILE --version 2025` first"
        )


# --- reading rows -------------------------------------------------------------------------------------------


@dataclass
class _Rows:
    """The rows that passed the checks that need no database, column by column: element i is one row.

    Made from whole columns (numpy arrays; object arrays hold the cells' Python values), without a Python
    object per row; :class:`FacilityRow` is built only for the rows the upload page looks at
    (``result.accepted``, see :class:`_AcceptedRows`) and for a row whose vocabulary codes it must check.
    """

    n: np.ndarray[Any, Any]  # row numbers (int)
    lon: np.ndarray[Any, Any]
    lat: np.ndarray[Any, Any]
    swap: np.ndarray[Any, Any]  # lon/lat outside Viet Nam but inside it when swapped
    values: dict[str, np.ndarray[Any, Any]]  # FacilityRow field -> object array of its values
    attributes: list[dict[str, str]] | None  # None: no row has any (no unmapped column)
    source_crs: str

    def __len__(self) -> int:
        return len(self.n)

    def as_placed(self, which: Any = slice(None)) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """The points of rows ``which`` as they are placed: a swap candidate (in Viet Nam only with lon and lat
        swapped) taken swapped."""
        swap, lon, lat = self.swap[which], self.lon[which], self.lat[which]
        return np.where(swap, lat, lon), np.where(swap, lon, lat)

    def typed(self, i: int) -> dict[str, Any]:
        """Row ``i`` as the fields of a :class:`FacilityRow`."""
        out = {name: column[i] for name, column in self.values.items()}
        out.update(
            row=int(self.n[i]),
            lon=float(self.lon[i]),
            lat=float(self.lat[i]),
            swap_candidate=bool(self.swap[i]),
            source_crs=self.source_crs,
            attributes=self.attributes[i] if self.attributes is not None else {},
        )
        return out


class _AcceptedRows(Sequence[FacilityRow]):
    """``result.accepted`` of a facility load: the typed rows, each made the first time it is asked for.

    A load of 200,000 rows only counts them; the upload page's preview reads a few.
    """

    def __init__(self, rows: _Rows, indexes: np.ndarray[Any, Any]) -> None:
        self._rows = rows
        self._indexes = indexes.tolist()
        self._made: dict[int, FacilityRow] = {}

    def __len__(self) -> int:
        return len(self._indexes)

    @overload
    def __getitem__(self, index: int) -> FacilityRow: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[FacilityRow]: ...

    def __getitem__(self, index: int | slice) -> FacilityRow | Sequence[FacilityRow]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        i = self._indexes[index]
        made = self._made.get(i)
        if made is None:
            made = self._made[i] = FacilityRow.model_validate(self._rows.typed(i))
        return made


def _read_rows(
    conn: Connection,
    table: RawTable,
    columns: ColumnMap,
    vocabulary: Vocabulary,
    epsg: int | None,
    result: LoadResult,
    today: date,
    doubtful_as: str,
) -> _Rows:
    """Check every row; return the rows that passed the checks that need no database, as columns.

    Column by column, each distinct cell text parsed once: survey columns repeat a few values (types,
    statuses, years) over thousands of rows, so this keeps a 200,000-row file to a few seconds (bench/etl.py).
    Issues are made only for the rows that have one, in the order a row-by-row pass would make them.
    """
    source_epsg = _source_epsg(table, columns, epsg)
    column = _column_reader(table, columns)
    kept = _without_note_rows(table, columns, column, result)
    if kept is not table:
        table, column = kept, _column_reader(kept, columns)
    lines = table.lines.tolist()
    count = len(lines)
    values: dict[str, np.ndarray[Any, Any]] = {}
    bad = np.zeros(count, dtype=bool)
    for name, field, repeats in (("external_id", "external_id", False), ("name", "name", False),
                                 ("note", "note", True), ("commune", "commune_typed", True),
                                 ("province", "province_typed", True), ("village", "village_typed", True)):
        values[field] = (_or_none(column(name), repeats) if columns.has(name)
                         else np.full(count, None, dtype=object))
    for name, parse in _parsers(vocabulary, today, doubtful_as).items():
        values[name] = _parse_column(column, columns, name, parse, lines, result, bad)
    _check_type_and_status(column, columns, lines, result, bad)
    _check_repeated_ids(columns, column("external_id"), lines, result, bad)
    xs, ys, located, described = _positions(table, columns, column, lines, result)
    ok = np.flatnonzero(located & ~bad)
    _refuse_undeclared_projection(conn, table, columns, xs[ok], ys[ok], ok, described, column, source_epsg)
    ok, lon, lat = _to_wgs84(columns, xs[ok], ys[ok], ok, described, column, lines, source_epsg, result)
    status = values["status"]
    status[_isnone(status)] = "operational"
    return _kept_rows(table, columns, values, ok, lon, lat, lines, source_epsg, result)


def _isnone(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.asarray(pd.isna(values), dtype=bool)


def _or_none(cells: pa.Array, repeats: bool) -> np.ndarray[Any, Any]:
    """The cells as an object array, None where empty. A column whose values ``repeats`` (place names, notes)
    is made from its distinct values: one Python string per value, not one per row."""
    if repeats:
        encoded = cells.dictionary_encode()
        distinct = encoded.dictionary.to_numpy(zero_copy_only=False)
        distinct[distinct == ""] = None
        return distinct[encoded.indices.to_numpy(zero_copy_only=False)]
    out = cells.to_numpy(zero_copy_only=False)
    out[_empty(cells)] = None
    return out


def _empty(cells: pa.Array) -> np.ndarray[Any, Any]:
    """Which cells are empty, as a bool array."""
    return np.asarray(pc.equal(cells, "").to_numpy(zero_copy_only=False), dtype=bool)


_Reason = tuple[str, dict[str, Any]]  # a reason code of etl/messages.py and its values
_Parse = Callable[[str], tuple[Any, _Reason | None, str]]  # cell -> (value, reason or None, severity)


def _parsers(vocabulary: Vocabulary, today: date, doubtful_as: str) -> dict[str, _Parse]:
    def checked(parse: Callable[[str], Any]) -> _Parse:
        def run(raw: str) -> tuple[Any, _Reason | None, str]:
            try:
                return parse(raw), None, "reject"
            except CellRefused as exc:
                return None, (exc.code, dict(exc.values)), "reject"

        return run

    def vocab(section: str, prefix: bool, reason: _Reason, severity: str) -> _Parse:
        def run(raw: str) -> tuple[Any, _Reason | None, str]:
            code = vocabulary.lookup_prefix(section, raw) if prefix else vocabulary.lookup(section, raw)
            return code, (None if code else reason), severity

        return run

    return {
        "type": vocab(
            "types",
            True,
            ("unknown_facility_type",
             {"examples": ["Cụm loa truyền thanh", "Đài truyền thanh cấp xã", "Nhà văn hóa"]}),
            "reject",
        ),
        "status": lambda raw: parse_status(vocabulary, raw, doubtful_as=doubtful_as),
        "technology": vocab(
            "technologies",
            False,
            ("unknown_technology", {"accepted": ["có dây", "không dây FM", "IP"]}),
            "warning",
        ),
        "installed_year": checked(lambda t: parse_year(t, today=today)),
        "n_horns": checked(parse_count),
        "watts": checked(lambda t: parse_amount(t, "watts")),
        "radius_m": checked(lambda t: parse_amount(t, "metres", 100_000)),  # 100 km: beyond any horn
    }


_Columns = Callable[[str], pa.Array]  # field name -> the stripped cell of each row ("" where none)


def _column_reader(table: RawTable, columns: ColumnMap) -> _Columns:
    """Each field's column of this table (the stripped cell of each row, "" where none), read once."""

    def column(name: str) -> pa.Array:
        spot = columns.fields.get(name)
        if spot is None:
            return pa.array(np.full(len(table), "", dtype=object), type=pa.string())
        return pc.utf8_trim_whitespace(table.cells[spot[0]])

    return cache(column)


def _parse_column(
    column: _Columns,
    columns: ColumnMap,
    name: str,
    parse: _Parse,
    lines: list[int],
    result: LoadResult,
    bad: np.ndarray[Any, Any],
) -> np.ndarray[Any, Any]:
    """Parse a column once per distinct cell; the values as an object array (None where empty or wrong)."""
    raw_cells = column(name)
    encoded = raw_cells.dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    parsed = [parse(raw) if raw else (None, None, "reject") for raw in encoded.dictionary.to_pylist()]
    values = np.empty(len(parsed), dtype=object)
    values[:] = [value for value, _, _ in parsed]
    wrong = [k for k, (_, reason, _) in enumerate(parsed) if reason is not None]
    if wrong:
        header = columns.header(name)
        for i in np.flatnonzero(np.isin(codes, wrong)).tolist():
            _, reason, severity = parsed[codes[i]]
            assert reason is not None
            result.issues.append(RowIssue(lines[i], header, raw_cells[i].as_py(), reason[0], reason[1], severity))
            if severity == "reject":
                bad[i] = True
    return values[codes]


def _without_note_rows(
    table: RawTable, columns: ColumnMap, column: _Columns, result: LoadResult
) -> RawTable:
    """Skip rows with no type, no id and no coordinates: a total, a signature or a note under the table.

    A coordinate cell without a digit is no coordinate: "Người lập biểu" written under the latitude column of
    a form is a signature, not a facility with a broken position; "Tổng cộng" in the id column (merged over
    the first columns of a form) is no id.
    """
    if table.geometries is not None:
        return table
    named = [_empty(column("type"))]
    if not named[0].any():  # the usual survey: a type in every row
        return table
    if columns.has("external_id"):
        ids = column("external_id")
        named.append(_empty(ids) | np.asarray(
            pc.match_substring_regex(ids, TOTAL_LABEL).to_numpy(zero_copy_only=False), dtype=bool))
    if any(not empty.any() for empty in named):  # an id in every row
        return table
    marked = np.zeros(len(table), dtype=bool)
    for empty in named:
        marked |= ~empty
    for name in ("lon", "lat", "x", "y", "geopoint"):
        if columns.has(name):
            marked |= np.asarray(pc.match_substring_regex(column(name), r"\d").to_numpy(zero_copy_only=False),
                                 dtype=bool)
    if marked.all():
        return table
    for index in np.flatnonzero(~marked).tolist():
        result.skipped += 1
        result.issues.append(RowIssue(int(table.lines[index]), "", "", "not_a_facility_row",
                                      severity="warning"))
    return table.take(np.flatnonzero(marked))


def _check_type_and_status(
    column: _Columns,
    columns: ColumnMap,
    lines: list[int],
    result: LoadResult,
    bad: np.ndarray[Any, Any],
) -> None:
    """An empty type is a rejection; an empty status is stored as operational, with a warning."""
    no_type = _empty(column("type"))
    no_status = (
        _empty(column("status"))
        if columns.has("status")
        else np.zeros(len(lines), dtype=bool)
    )
    for index in np.flatnonzero(no_type | no_status).tolist():
        line = lines[index]
        if no_type[index]:
            result.issues.append(
                RowIssue(line, columns.header("type"), "", "type_empty")
            )
            bad[index] = True
        if no_status[index]:
            result.issues.append(
                RowIssue(
                    line,
                    columns.header("status"),
                    "",
                    "status_empty",
                    severity="warning",
                )
            )


def _check_repeated_ids(
    columns: ColumnMap, refs: pa.Array, lines: list[int], result: LoadResult, bad: np.ndarray[Any, Any]
) -> None:
    if not columns.has("external_id") or pc.count_distinct(refs).as_py() == len(refs):  # usual: all distinct
        return
    codes = refs.dictionary_encode().indices.to_numpy(zero_copy_only=False)
    _, first = np.unique(codes, return_index=True)  # codes count up from 0 in order of first appearance
    repeated = np.ones(len(refs), dtype=bool)
    repeated[first] = False
    repeated &= ~_empty(refs)
    for index in np.flatnonzero(repeated).tolist():
        ref = refs[index].as_py()
        result.issues.append(
            RowIssue(
                lines[index],
                columns.header("external_id"),
                ref,
                "repeated_id",
                {"first_row": lines[int(first[codes[index]])]},
            )
        )
        bad[index] = True


def _source_epsg(table: RawTable, columns: ColumnMap, epsg: int | None) -> int | None:
    if table.geometries is not None and table.crs and epsg is None:
        from pyproj import CRS

        found = CRS.from_user_input(table.crs).to_epsg()
        if found is None:
            raise LoadRefusedError(
                f"{table.file}: its coordinate system ({table.crs}) has no EPSG code: "
                "give it with --crs EPSG:N"
            )
        return found
    return epsg


_Described = dict[int, tuple[str, str]]  # row index -> (field, value as read) of a position read row by row


def _positions(
    table: RawTable, columns: ColumnMap, column: _Columns, lines: list[int], result: LoadResult
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], _Described]:
    """Every row's position as read: x and y in the file's CRS, whether there is one, and for the rows read
    one by one where they came from (the others: the lon and lat columns, see :func:`_describe`).

    Point geometries and plain decimal lon and lat columns are read a column at a time
    (:func:`_geometry_positions`, :func:`_plain_floats`); any other row (empty, comma decimal, DMS, NaN, '_',
    X/Y, a geopoint) goes through :func:`_row_position`, which reads it and reports its problem.
    """
    count = len(lines)
    xs, ys = np.full(count, np.nan), np.full(count, np.nan)
    located = np.zeros(count, dtype=bool)
    if table.geometries is not None:
        return _geometry_positions(table.geometries, lines, result)
    if columns.has("lon") and columns.has("lat"):
        xs, x_ok = _plain_floats(column("lon"))
        ys, y_ok = _plain_floats(column("lat"))
        located = x_ok & y_ok
        slow = np.flatnonzero(~located).tolist()
    else:
        slow = list(range(count))
    described: _Described = {}
    rows = table.rows if slow else []  # made once, for the rows read one by one
    for index in slow:
        issues: list[RowIssue] = []
        position = _row_position(columns, lines[index], rows[index][1], issues)
        result.issues.extend(issues)
        if position is not None:
            xs[index], ys[index], located[index] = position.x, position.y, True
            described[index] = (position.field, position.value)
    return xs, ys, located, described


def _geometry_positions(
    geometries: list[Any], lines: list[int], result: LoadResult
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], _Described]:
    """:func:`_positions` of a GIS file's points (a multi-point of one point counts as its point; the file was
    refused if it holds anything else), read at once with shapely."""
    import shapely

    shapes = np.array(geometries, dtype=object)
    missing = shapely.is_missing(shapes) | shapely.is_empty(shapes)
    points = np.where(shapely.get_type_id(shapes) == 4, shapely.get_geometry(shapes, 0), shapes)  # 4: multi
    xs, ys = shapely.get_x(points), shapely.get_y(points)
    for index in np.flatnonzero(missing).tolist():
        result.issues.append(RowIssue(lines[index], "geometry", "", "no_coordinates"))
    xs[missing], ys[missing] = np.nan, np.nan
    located = ~missing
    described = {int(index): ("geometry", f"{x} {y}") for index, x, y in
                 zip(np.flatnonzero(located).tolist(), xs[located].tolist(), ys[located].tolist(), strict=True)}
    return xs, ys, located, described


_PLAIN_DECIMAL = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def _plain_floats(cells: pa.Array) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Plain decimal cells (105.5, -0.5e3: what :func:`parse_coordinate_cell` reads with float()) as floats, and
    which are finite; any other cell (empty, a comma decimal, DMS) is NaN, for the slow path."""
    try:
        out = np.array(pc.cast(cells, pa.float64()), dtype=float)  # a copy: rows read one by one are set in it
    except pa.ArrowInvalid:  # some cell is not a plain decimal: read the ones that are
        plain = pc.match_substring_regex(cells, _PLAIN_DECIMAL)
        out = np.full(len(cells), np.nan)
        mask = np.asarray(plain.to_numpy(zero_copy_only=False), dtype=bool)
        out[mask] = pc.cast(cells.filter(plain), pa.float64()).to_numpy(zero_copy_only=False)
    return out, np.isfinite(out)


def _describe(columns: ColumnMap, column: _Columns, described: _Described, index: int) -> tuple[str, str]:
    """The field and value a row's position was read from (for its messages)."""
    found = described.get(index)
    if found is not None:
        return found
    return (
        f"{columns.fields['lon'][1]}/{columns.fields['lat'][1]}",
        f"{column('lon')[index].as_py()}, {column('lat')[index].as_py()}",
    )


def _row_position(columns: ColumnMap, line: int, cells: Sequence[str], issues: list[RowIssue]) -> _Position | None:
    """Read the position of one row as (x, y) in the file's CRS; None (with an issue) when there is none."""
    try:
        if columns.has("lon") and columns.has("lat"):
            return _pair(columns, cells, line, "lon", "lat", issues)
        if columns.has("x") and columns.has("y"):
            return _pair(columns, cells, line, "x", "y", issues)
        raw = columns.cell(cells, "geopoint")
        if not raw:
            issues.append(RowIssue(line, columns.header("geopoint"), "", "coordinates_missing"))
            return None
        lat, lon = parse_geopoint(raw)
        return _Position(lon, lat, columns.header("geopoint"), raw)
    except ValueError as exc:
        issues.append(RowIssue.of(line, columns.header("geopoint"), columns.cell(cells, "geopoint"), exc))
        return None


def _pair(
    columns: ColumnMap, cells: Sequence[str], line: int, first: str, second: str, issues: list[RowIssue]
) -> _Position | None:
    pair = read_coordinate_pair(columns, cells, line, first, second, issues)
    if pair is None:
        return None
    a, b = pair
    shown = f"{columns.cell(cells, first)}, {columns.cell(cells, second)}"
    fields = f"{columns.fields[first][1]}/{columns.fields[second][1]}"
    if first == "x":
        # Vietnamese surveying writes X = northing, Y = easting (DOMAIN.md §5.4): easting first for PROJ.
        return _Position(b, a, fields, shown) if looks_projected(a, b) else _Position(a, b, fields, shown)
    return _Position(a, b, fields, shown)


def _refuse_undeclared_projection(
    conn: Connection,
    table: RawTable,
    columns: ColumnMap,
    xs: np.ndarray[Any, Any],
    ys: np.ndarray[Any, Any],
    indexes: np.ndarray[Any, Any],
    described: _Described,
    column: _Columns,
    epsg: int | None,
) -> None:
    if not len(indexes) or not _is_geographic(epsg):  # no CRS given: degrees, as the issue's files are
        return
    projected = np.flatnonzero((np.abs(xs) > 1000) | (np.abs(ys) > 1000))  # looks_projected, a column at once
    if len(projected) <= _PROJECTED_SHARE * len(indexes):
        return
    lon = _typed_communes_lon(conn, column) if columns.has("commune") else None
    _, sample = _describe(columns, column, described, int(indexes[projected[0]]))
    raise LoadRefusedError(
        f"{table.file}: the coordinates look projected (e.g. {sample}), not degrees: give the "
        f"VN-2000 system they are in with --crs, likely {describe_zones(likely_zones(lon))}"
    )


@cache
def _is_geographic(epsg: int | None) -> bool:
    """Degrees: no CRS given, or a geographic one. A GeoJSON without a "crs" member reads as EPSG:4326 (RFC 7946),
    so a file of VN-2000 metres that says nothing is caught here as surely as a CSV."""
    if epsg is None:
        return True
    from pyproj import CRS

    return bool(CRS.from_epsg(epsg).is_geographic)


def _typed_communes_lon(conn: Connection, column: _Columns) -> float | None:
    names = sorted({fold_place_name(name) for name in column("commune")[:500].to_pylist()} - {""})
    value = conn.execute(
        text("SELECT avg(ST_X(ST_PointOnSurface(geom))) FROM commune WHERE name_folded = ANY(:names)"),
        {"names": names},
    ).scalar_one()
    return float(value) if value is not None else None


def _to_wgs84(
    columns: ColumnMap,
    xs: np.ndarray[Any, Any],
    ys: np.ndarray[Any, Any],
    indexes: np.ndarray[Any, Any],
    described: _Described,
    column: _Columns,
    lines: list[int],
    epsg: int | None,
    result: LoadResult,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Transform the positions of rows ``indexes`` to WGS 84 lon/lat at once (EPSG:6960 for VN-2000);
    reject what cannot be. Returns the row indexes that could be, and their lon and lat."""
    if not len(indexes):
        return indexes, xs, ys
    if epsg is not None and epsg != 4326:
        projected = epsg in VN2000_ZONES and VN2000_ZONES[epsg][0] is not None
        if projected:
            # Easting and northing given the GIS way round (X = easting): northing is always the larger in VN.
            flipped = ys < xs
            for index in indexes[flipped & (np.abs(xs) > 1000)].tolist():
                field, value = _describe(columns, column, described, index)
                result.issues.append(
                    RowIssue(
                        lines[index],
                        field,
                        value,
                        "xy_gis_order",
                        severity="warning",
                    )
                )
            xs, ys = np.where(flipped, ys, xs), np.where(flipped, xs, ys)
        xs, ys = transformer_to_wgs84(epsg).transform(xs, ys)
        xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    finite = np.isfinite(xs) & np.isfinite(ys)
    for index in indexes[~finite].tolist():
        field, value = _describe(columns, column, described, index)
        result.issues.append(
            RowIssue(
                lines[index],
                field,
                value,
                "crs_not_convertible",
                {"epsg": epsg},
            )
        )
    return indexes[finite], xs[finite], ys[finite]


_TYPES, _STATUSES, _TECHNOLOGIES = (frozenset(get_args(t)) for t in (FacilityType, Status, Technology))


def _in_viet_nam(lon: np.ndarray[Any, Any], lat: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """:func:`in_viet_nam` of whole columns."""
    inside: np.ndarray[Any, Any] = (
        (lon >= VN_LON[0]) & (lon <= VN_LON[1]) & (lat >= VN_LAT[0]) & (lat <= VN_LAT[1])
    )
    return inside


def _outside(codes: np.ndarray[Any, Any], allowed: frozenset[str]) -> np.ndarray[Any, Any]:
    """Which of ``codes`` (an object array; None is no code) are not in ``allowed``."""
    strange = set(codes.tolist()) - allowed - {None}
    if not strange:
        return np.zeros(len(codes), dtype=bool)
    return np.array([code in strange for code in codes.tolist()], dtype=bool)


def _kept_rows(
    table: RawTable,
    columns: ColumnMap,
    values: dict[str, np.ndarray[Any, Any]],
    indexes: np.ndarray[Any, Any],
    lon: np.ndarray[Any, Any],
    lat: np.ndarray[Any, Any],
    lines: list[int],
    epsg: int | None,
    result: LoadResult,
) -> _Rows:
    """The rows in Viet Nam (or in it swapped), as columns. The cell parsers enforce every rule of
    :class:`FacilityRow` but one: that the codes a --mapping file gives are codes of the model; a row with
    another code is checked by the model itself, which rejects it with its own message."""
    inside = _in_viet_nam(lon, lat)
    swap = ~inside & _in_viet_nam(lat, lon)
    outside = ~inside & ~swap
    every_row = len(indexes) == len(lines)  # the usual file: every row passed (indexes are 0 ... n - 1)
    picked = values if every_row else {name: values[name][indexes] for name in values}
    unknown = (_outside(picked["type"], _TYPES) | _outside(picked["status"], _STATUSES)
               | _outside(picked["technology"], _TECHNOLOGIES))
    keep = ~outside
    source_crs = f"EPSG:{epsg or 4326}"
    attributes = (
        [row_attributes(table, columns, table.rows[i][1]) for i in indexes.tolist()]
        if columns.unmapped
        else None
    )
    rows = _Rows(
        n=np.array(lines, dtype=np.int64)[indexes] if lines else np.zeros(0, dtype=np.int64),
        lon=lon,
        lat=lat,
        swap=swap,
        values=picked,
        attributes=attributes,
        source_crs=source_crs,
    )
    for k in np.flatnonzero(outside | unknown).tolist():
        n = int(rows.n[k])
        if outside[k]:
            result.issues.append(
                RowIssue(
                    n,
                    "",
                    "",
                    "point_outside_vn",
                    {"lon": float(lon[k]), "lat": float(lat[k])},
                )
            )
            continue
        try:
            FacilityRow.model_validate(rows.typed(k))
        except ValidationError as exc:
            error = exc.errors()[0]
            field = str(error["loc"][0]) if error["loc"] else ""
            header = columns.header(field) if columns.has(field) else field  # the column as the file names it
            result.issues.append(RowIssue(n, header, str(error.get("input", "")), *pydantic_reason(error)))
            keep[k] = False
    if keep.all():
        return rows
    return replace(
        rows,
        n=rows.n[keep],
        lon=lon[keep],
        lat=lat[keep],
        swap=swap[keep],
        values={name: column[keep] for name, column in picked.items()},
        attributes=[a for a, k in zip(attributes, keep.tolist(), strict=True) if k] if attributes else attributes,
    )


# --- writing ------------------------------------------------------------------------------------------------


def _locate_and_write(conn: Connection, rows: _Rows, columns: ColumnMap, result: LoadResult) -> None:
    """Place the rows in communes and decide the location problems; update the stored facilities the survey
    names, then insert the new ones.

    New rows (an external id not stored; no id and no stored id-less facility near) are COPYed straight into
    facility; only the rows that may be stored facilities go through staging and the set-based match and
    update. A first load of an area never stages. In a bulk insert (indexes built afresh after it) the new rows
    are placed chunk by chunk as they are sent: PostgreSQL stores one chunk while the next is placed.
    """
    # The planner's cost guesses for geometry functions make PostgreSQL JIT-compile these set-based queries,
    # which takes longer (~0.5 s each) than running them: off for this load, restored after.
    jit = conn.execute(text("SELECT current_setting('jit')")).scalar_one()
    conn.execute(text("SELECT set_config('jit', 'off', true)"))
    communes = _communes_near(conn, rows)
    placement = _Placement(rows, communes, columns, _Villages.fetch(conn, rows, communes))
    stored_ids = _stored_ids(conn, rows)
    maybe_stored = ~_isnone(stored_ids) | _near_idless_stored(conn, rows)
    staged, new = placement.kept(np.flatnonzero(maybe_stored)), np.flatnonzero(~maybe_stored)
    binds = {"batch_id": result.batch_id, "source_crs": rows.source_crs}
    written = placement.written
    staged_new = _stage_and_update(conn, written, placement.in_insert_order(staged), stored_ids, binds, result) \
        if len(staged) else 0
    rebuild = _indexes_rebuilt_after_insert(conn, len(new) + staged_new)
    if rebuild:
        conn.execute(text("SELECT set_aside_indexes('facility')"))
        # The indexes are built from the finished table, so the order rows go in does not matter to them.
        chunks: np.ndarray[Any, Any] | Iterator[np.ndarray[Any, Any]] = placement.kept_by_chunk(new)
    else:
        # Indexes kept up to date row by row: neighbouring rows go to the same index pages in commune and strip
        # order (a third faster than file order).
        chunks = placement.in_insert_order(placement.kept(new))
    assert result.batch_id is not None
    with batch_audit(conn, result.batch_id):  # one audit row per insert statement of the batch (migration 0013)
        fields = written.fields() | {
            "geom": placement.geom,
            "source_crs": np.full(len(rows), rows.source_crs, dtype=object),
            "batch_id": np.full(len(rows), result.batch_id, dtype=object),
        }
        result.loaded = copy_columns(conn, "facility", list(fields), list(fields.values()), chunks) \
            if len(new) else 0
        if staged_new:
            result.loaded += conn.execute(queries.load("insert_facilities_from_staging"), binds).rowcount
    if rebuild:
        conn.execute(text("SELECT restore_indexes('facility')"))
    result.issues.extend(sorted(placement.issues, key=lambda issue: issue.row))
    result.accepted = _AcceptedRows(rows, np.flatnonzero(placement.keep))
    conn.execute(text("SELECT set_config('jit', :jit, true)"), {"jit": jit})


def _stage_and_update(
    conn: Connection,
    columns_of: _Written,
    staged: np.ndarray[Any, Any],
    stored_ids: np.ndarray[Any, Any],
    binds: dict[str, Any],
    result: LoadResult,
) -> int:
    """Stage the rows that may be stored facilities, match them, update those that changed; return how many
    staged rows are new after all (left in the staging table for the insert)."""
    rows = columns_of.rows
    conn.execute(text("DROP TABLE IF EXISTS etl_facility_stage"))
    conn.execute(queries.load("create_facility_staging"))
    fields = columns_of.fields() | {"n": rows.n, "lon": rows.lon, "lat": rows.lat, "match_id": stored_ids}
    copy_columns(conn, "etl_facility_stage", list(fields), list(fields.values()), staged)
    conn.execute(text("ANALYZE etl_facility_stage (external_id, commune_code)"))
    conn.execute(queries.load("match_staged_facilities"))
    updated = conn.execute(queries.load("update_facilities_from_staging"), binds).all()
    result.updated = len(updated)
    result.updated_refs = [str(r.ref) for r in updated]
    matched, new = conn.execute(
        text("SELECT count(*) FILTER (WHERE match_id IS NOT NULL), count(*) FILTER (WHERE match_id IS NULL) "
             "FROM etl_facility_stage")
    ).one()
    result.unchanged = int(matched) - result.updated
    return int(new)


@dataclass(frozen=True)
class _Written:
    """What a survey writes of each row: its checked values, its commune and village."""

    rows: _Rows
    communes: np.ndarray[Any, Any]  # object: the commune code of each row (filled as rows are placed)
    villages: np.ndarray[Any, Any] | None  # object: the village id of each row (None: none named or found)

    def fields(self) -> dict[str, Sequence[Any] | np.ndarray[Any, Any]]:
        """The facility columns of every row, as arrays; a column empty in every row is left out (it stays
        NULL), as formatting and sending it is most of what a column costs."""
        values = self.rows.values
        fields: dict[str, Sequence[Any] | np.ndarray[Any, Any]] = {
            "type": values["type"], "status": values["status"], "commune_code": self.communes,
        }
        for name in ("external_id", "name", "technology", "installed_year", "n_horns", "watts", "radius_m",
                     "note"):
            if not _isnone(values[name]).all():
                fields[name] = values[name]
        if self.villages is not None:
            fields["village_id"] = self.villages
        attributes = self.rows.attributes
        if attributes is not None:
            fields["attributes"] = np.array(
                [json.dumps(a, ensure_ascii=False) if a else "{}" for a in attributes], dtype=object)
        return fields


def _stored_ids(conn: Connection, rows: _Rows) -> np.ndarray[Any, Any]:
    """The id of the stored facility with each row's external id (an object array, None where none)."""
    matched = np.full(len(rows), None, dtype=object)
    if not conn.execute(queries.load("facilities_with_external_ids_exist")).scalar_one():
        return matched  # a first load: nothing to look up
    ids = rows.values["external_id"]
    wanted = np.flatnonzero(~_isnone(ids))
    if not len(wanted):
        return matched
    stored = conn.execute(
        queries.load("facilities_by_external_id"), {"ids": json.dumps(ids[wanted].tolist(), ensure_ascii=False)}
    ).all()
    if stored:
        found: pd.Series[Any] = pd.Series(ids[wanted]).map(dict(stored))
        hits = found.notna().to_numpy()
        matched[wanted[hits]] = found[hits].astype(object).map(int).to_numpy()
    return matched


def _near_idless_stored(conn: Connection, rows: _Rows) -> np.ndarray[Any, Any]:
    """Which rows have no external id while stored facilities without one lie near them (all or none)."""
    idless = _isnone(rows.values["external_id"])
    if not idless.any():
        return idless
    lon, lat = rows.as_placed(idless)
    box = {"xmin": float(lon.min()), "ymin": float(lat.min()), "xmax": float(lon.max()), "ymax": float(lat.max())}
    near = conn.execute(queries.load("idless_facilities_near"), box).scalar_one()
    return idless if near else np.zeros(len(rows), dtype=bool)


@dataclass(frozen=True)
class _Villages:
    """The villages the survey's rows name (their typed thôn/bản, folded) among the communes near its points."""

    stored: pd.DataFrame | None  # commune_code, name_folded, id; None: no row names a stored village
    folded: np.ndarray[Any, Any]  # object: each row's typed village name, folded (None where none)

    @classmethod
    def fetch(cls, conn: Connection, rows: _Rows, communes: _Communes) -> _Villages:
        typed = rows.values["village_typed"]
        if _isnone(typed).all():
            return cls(None, typed)
        folded = np.array(_per_distinct(typed, _fold_place), dtype=object)
        stored = conn.execute(queries.load("villages_named_in_communes"), {
            "codes": communes.codes[:-1].tolist(), "names": sorted(set(folded[~_isnone(folded)].tolist())),
        }).all()
        return cls(pd.DataFrame(stored, columns=["commune_code", "name_folded", "id"]) if stored else None, folded)

    def ids(self, codes: np.ndarray[Any, Any], indexes: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """The village id of rows ``indexes`` lying in communes ``codes`` (None where none is named or found)."""
        assert self.stored is not None
        wanted = pd.DataFrame({"commune_code": codes, "name_folded": self.folded[indexes]})
        ids = wanted.merge(self.stored, how="left")["id"]
        return np.array([None if pd.isna(v) else int(v) for v in ids.tolist()], dtype=object)


# A load that adds at least this many rows, and at least a quarter of what is stored, builds the facility
# indexes afresh after its insert instead of updating them row by row (migration 0015): ~20 µs a row
# maintained against ~3 µs a stored row rebuilt (bench/etl.py). The table is locked for the rest of such a
# load, so small loads (an inspector's commune, a district's survey) never do it.
BULK_INSERT_REBUILDS_INDEXES_FROM = 10_000


def _indexes_rebuilt_after_insert(conn: Connection, new_rows: int) -> bool:
    if new_rows < BULK_INSERT_REBUILDS_INDEXES_FROM:
        return False
    stored = conn.execute(text("SELECT count(*) FROM facility")).scalar_one()
    return 4 * new_rows >= int(stored)


_fold_place = lru_cache(maxsize=65536)(fold_place_name)


@dataclass(frozen=True)
class _Communes:
    """The 2025 communes near a survey's points, in code order; the last entry (index ``len - 1``) is "none"."""

    codes: np.ndarray[Any, Any]  # object: code, None last
    names: list[str | None]
    names_folded: list[str | None]
    provinces_folded: list[str | None]
    geoms: np.ndarray[Any, Any]  # prepared shapely polygons (no entry for "none")
    bounds: np.ndarray[Any, Any]  # xmin, ymin, xmax, ymax of each

    @property
    def none(self) -> int:
        return len(self.codes) - 1


def _communes_near(conn: Connection, rows: _Rows) -> _Communes:
    """The communes whose box meets the points' box (a swap candidate's point taken swapped), fetched once as
    WKB and prepared for point in polygon in GEOS (shapely): ~1 µs a point, where the same join in PostGIS over
    ST_Subdivide'd communes took ~25 µs a point and 0.6 s to cut the communes (bench/etl.py)."""
    import shapely

    swap = rows.swap
    xs, ys = rows.as_placed()

    def box(mask: np.ndarray[Any, Any]) -> list[float | None]:
        if not mask.any():
            return [None] * 4
        return [float(xs[mask].min()), float(ys[mask].min()), float(xs[mask].max()), float(ys[mask].max())]

    near = conn.execute(
        queries.load("communes_near_points"),
        dict(zip(("xmin", "ymin", "xmax", "ymax"), box(~swap), strict=True))
        | dict(zip(("swap_xmin", "swap_ymin", "swap_xmax", "swap_ymax"), box(swap), strict=True)),
    ).all()
    geoms = shapely.from_wkb([bytes(c.wkb) for c in near])
    shapely.prepare(geoms)
    return _Communes(
        codes=np.array([str(c.code) for c in near] + [None], dtype=object),
        names=[c.name for c in near] + [None],
        names_folded=[c.name_folded for c in near] + [None],
        provinces_folded=[c.province_folded for c in near] + [None],
        geoms=geoms,
        bounds=shapely.bounds(geoms).reshape(-1, 4),
    )


class _Placement:
    """Where the survey's rows lie and what the location rules decide, made for some rows at a time: the
    commune each row's point lies in (a swap candidate: its swapped point), whether it is kept, its village,
    its point as hex EWKB, and the location issues."""

    def __init__(self, rows: _Rows, communes: _Communes, columns: ColumnMap, villages: _Villages) -> None:
        count = len(rows)
        self._rows, self._communes, self._columns, self._villages = rows, communes, columns, villages
        self.found = np.full(count, communes.none)
        self.keep = np.zeros(count, dtype=bool)
        self.geom = np.zeros(count, dtype=EWKB_POINT_HEX)
        self.issues: list[RowIssue] = []
        self.written = _Written(rows, np.full(count, None, dtype=object),
                                np.full(count, None, dtype=object) if villages.stored is not None else None)

    def kept(self, indexes: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Place rows ``indexes`` and decide their location problems; return those kept, in the same order."""
        rows, communes = self._rows, self._communes
        self.found[indexes] = _point_in_polygons(communes, *rows.as_placed(indexes))
        kept = indexes[_decide_locations(rows, communes, self.found, self._columns, indexes, self.issues)]
        self.keep[kept] = True
        self.written.communes[kept] = communes.codes[self.found[kept]]
        if self.written.villages is not None:
            self.written.villages[kept] = self._villages.ids(self.written.communes[kept], kept)
        self.geom[kept] = ewkb_points_hex(rows.lon[kept], rows.lat[kept], 4326)  # after any swap
        return kept

    def kept_by_chunk(self, indexes: np.ndarray[Any, Any]) -> Iterator[np.ndarray[Any, Any]]:
        """:meth:`kept` of ``indexes`` in chunks of COPY's size, each made when asked for."""
        for start in range(0, len(indexes), COPY_CHUNK_ROWS):
            yield self.kept(indexes[start : start + COPY_CHUNK_ROWS])

    def in_insert_order(self, indexes: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Placed rows ``indexes`` by commune, then in ~500 m strips west to east: neighbouring rows go to the same
        pages of the GiST and commune indexes."""
        lon, lat = self._rows.lon[indexes], self._rows.lat[indexes]
        return indexes[np.lexsort((lon, np.floor(lat * 200), self.found[indexes]))]


def _point_in_polygons(communes: _Communes, xs: np.ndarray[Any, Any], ys: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The index of the first commune holding each point (boundary included, as ST_Intersects), ``communes.none``
    for none: a point on a shared border always gets the same (lowest) code."""
    import shapely

    found = np.full(len(xs), communes.none)
    order = np.argsort(xs, kind="stable")
    sorted_xs = xs[order]
    for i, geom in enumerate(communes.geoms):
        xmin, ymin, xmax, ymax = communes.bounds[i]
        lo = int(np.searchsorted(sorted_xs, xmin, side="left"))
        hi = int(np.searchsorted(sorted_xs, xmax, side="right"))
        near = order[lo:hi]
        near = near[(found[near] == communes.none) & (ys[near] >= ymin) & (ys[near] <= ymax)]
        if len(near):
            inside = near[shapely.intersects_xy(geom, xs[near], ys[near])]
            found[inside] = i
    return found


def _per_distinct(values: np.ndarray[Any, Any], function: Callable[[str], Any]) -> list[Any]:
    """``function`` of each value (None stays None), called once per distinct value."""
    codes, distinct = pd.factorize(values)  # None: code -1
    mapped = np.empty(len(distinct) + 1, dtype=object)  # the last (index -1): None
    mapped[: len(distinct)] = [function(v) for v in distinct.tolist()]
    result: list[Any] = mapped[codes].tolist()
    return result


def _decide_locations(
    rows: _Rows,
    communes: _Communes,
    found: np.ndarray[Any, Any],
    columns: ColumnMap,
    indexes: np.ndarray[Any, Any],
    issues: list[RowIssue],
) -> np.ndarray[Any, Any]:
    """For rows ``indexes``: reject those in no commune, fix swaps the row's own commune or province confirms
    (swapping ``rows``' lon/lat in place), warn on typed commune names that are not the commune's; return the
    mask (over ``indexes``) of rows kept. The issues go to ``issues``."""
    keep = np.ones(len(rows), dtype=bool)
    typed = rows.values["commune_typed"]
    swap = rows.swap[indexes]
    for k in indexes[swap].tolist():
        issue = _decide_swap(rows, communes, int(found[k]), k)
        keep[k] = issue.severity == "warning"
        issues.append(issue)
    for k in indexes[~swap & (found[indexes] == communes.none)].tolist():
        keep[k] = False
        issues.append(RowIssue(
            int(rows.n[k]), "", "",
            "point_in_no_commune", _point(rows, k),
        ))
    named = indexes[~swap & (found[indexes] != communes.none) & ~_isnone(typed[indexes])]
    if len(named):
        commune_field = columns.header("commune") if columns.has("commune") else ""
        names, distinct_names = pd.factorize(typed[named])
        pairs, pair_of_row = np.unique(names.astype(np.int64) * (communes.none + 1) + found[named],
                                       return_inverse=True)
        differs = np.array([
            not _same_place(distinct_names[pair // (communes.none + 1)], communes.names[pair % (communes.none + 1)],
                            communes.names_folded[pair % (communes.none + 1)])
            for pair in pairs.tolist()
        ], dtype=bool)
        for k in named[differs[pair_of_row]].tolist():
            c = int(found[k])
            issues.append(RowIssue(
                int(rows.n[k]), commune_field, str(typed[k]),
                "commune_not_at_point", {"name": communes.names[c], "code": communes.codes[c]},
                "warning",
            ))
    return keep[indexes]


def _decide_swap(rows: _Rows, communes: _Communes, c: int, k: int) -> RowIssue:
    """The warning of a swap the row's own commune or province confirms (swapping its lon/lat), else the
    rejection of a point outside Viet Nam."""
    n, point = int(rows.n[k]), _point(rows, k)
    province = rows.values["province_typed"][k]
    confirmed = c != communes.none and (
        _same_place(rows.values["commune_typed"][k], communes.names[c], communes.names_folded[c])
        or (province is not None and _fold_place(province) == communes.provinces_folded[c])
    )
    if not confirmed:
        if c != communes.none:
            return RowIssue(n, "", "", "swap_elsewhere", point | {"name": communes.names[c]})
        return RowIssue(n, "", "", "swap_suspected", point)
    rows.lon[k], rows.lat[k] = rows.lat[k], rows.lon[k]
    return RowIssue(
        n, "", "",
        "swap_confirmed",
        point | {"lon2": float(rows.lon[k]), "lat2": float(rows.lat[k]), "name": communes.names[c]},
        "warning",
    )


def _point(rows: _Rows, k: int) -> dict[str, Any]:
    return {"lon": float(rows.lon[k]), "lat": float(rows.lat[k])}


def _same_place(typed: str | None, name: str | None, name_folded: str | None) -> bool:
    """Whether a typed commune name names this commune, compared folded (STYLE.md §12).

    Both sides are tried with and without a leading unit word: 'Xã Xa Dung' is the commune 'Xa Dung', whose
    stored folded name lost its first word to the unit-word rule ('dung').
    """
    if not typed or not name:
        return False
    typed_forms = {fold_place_name(typed), fold_text(typed)}
    name_forms = {fold_place_name(name), fold_text(name), name_folded or ""}
    return bool(typed_forms & name_forms)
