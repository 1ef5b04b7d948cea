"""Coordinates of a survey: lon/lat, X/Y, geopoints and drawn geometries, their CRS, into WGS 84."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from etl.coords import (
    VN2000_ZONES,
    VN_LAT,
    VN_LON,
    describe_zones,
    likely_zones,
    looks_projected,
    transformer_to_wgs84,
)
from etl.errors import LoadRefusedError
from etl.facilities.rows import _Columns
from etl.names import fold_place_name
from etl.readers import RawTable
from etl.validate import (
    ColumnMap,
    RowIssue,
    parse_geopoint,
    read_coordinate_pair,
)
from sql import queries

_PROJECTED_SHARE = 0.5  # more than half the positions in metres: the file is projected, not a few typos


@dataclass(frozen=True)
class _Position:
    """A row's position as read: x/y in ``epsg`` (easting/northing or lon/lat), and where it came from."""

    x: float
    y: float
    field: str
    value: str


def _source_epsg(table: RawTable, columns: ColumnMap, epsg: int | None) -> int | None:
    if table.geometries is not None and table.crs and epsg is None:
        from pyproj import CRS

        found = CRS.from_user_input(table.crs).to_epsg()
        if found is None:
            raise LoadRefusedError(code="crs_no_epsg", path=table.file, crs=str(table.crs)[:200],
                                   cli_hint="give it with --crs EPSG:N")
        return found
    return epsg


_Described = dict[int, tuple[str, str]]  # row index -> (field, value as read) of a position read row by row


def _positions(
    table: RawTable, columns: ColumnMap, column: _Columns, lines: list[int], issues: list[RowIssue]
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
        return _geometry_positions(table.geometries, lines, issues)
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
        position = _row_position(columns, lines[index], rows[index][1], issues)
        if position is not None:
            xs[index], ys[index], located[index] = position.x, position.y, True
            described[index] = (position.field, position.value)
    return xs, ys, located, described


def _geometry_positions(
    geometries: list[Any], lines: list[int], issues: list[RowIssue]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], _Described]:
    """:func:`_positions` of a GIS file's points (a multi-point of one point counts as its point; the file was
    refused if it holds anything else), read at once with shapely."""
    import shapely

    shapes = np.array(geometries, dtype=object)
    missing = shapely.is_missing(shapes) | shapely.is_empty(shapes)
    points = np.where(shapely.get_type_id(shapes) == 4, shapely.get_geometry(shapes, 0), shapes)  # 4: multi
    xs, ys = shapely.get_x(points), shapely.get_y(points)
    for index in np.flatnonzero(missing).tolist():
        issues.append(RowIssue(lines[index], "geometry", "", "no_coordinates"))
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
    projected = np.flatnonzero(_in_metres(xs, ys))
    if len(projected) <= _PROJECTED_SHARE * len(indexes):
        return
    lon = _typed_communes_lon(conn, column) if columns.has("commune") else None
    _, sample = _describe(columns, column, described, int(indexes[projected[0]]))
    raise LoadRefusedError(code="coordinates_projected", path=table.file, sample=sample,
                           zones=describe_zones(likely_zones(lon)), cli_hint="give it with --crs")


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
        queries.load("mean_lon_of_communes_named"),
        {"names": names},
    ).scalar_one()
    return float(value) if value is not None else None


def _in_metres(xs: np.ndarray[Any, Any], ys: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Which positions look projected (:func:`looks_projected`, a column at once)."""
    metres: np.ndarray[Any, Any] = (np.abs(xs) > 1000) | (np.abs(ys) > 1000)
    return metres


def _to_wgs84(
    xs: np.ndarray[Any, Any], ys: np.ndarray[Any, Any], located: np.ndarray[Any, Any], epsg: int | None
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The located positions in WGS 84 lon/lat at once (EPSG:6960 for VN-2000; NaN or infinite where there is
    none or it cannot be made), and which were given the GIS way round (X = easting: swapped before)."""
    flipped = np.zeros(len(xs), dtype=bool)
    if epsg is None or epsg == 4326:
        return xs.copy(), ys.copy(), flipped  # copies: a confirmed swap changes a row's point in place
    x, y = xs[located], ys[located]
    if epsg in VN2000_ZONES and VN2000_ZONES[epsg][0] is not None:
        # Easting and northing given the GIS way round (X = easting): northing is always the larger in VN.
        flipped[located] = y < x
        x, y = np.where(y < x, y, x), np.where(y < x, x, y)
    lon, lat = np.full(len(xs), np.nan), np.full(len(xs), np.nan)
    if len(x):
        lon[located], lat[located] = transformer_to_wgs84(epsg).transform(x, y)
    return lon, lat, flipped


def _in_viet_nam(lon: np.ndarray[Any, Any], lat: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """:func:`in_viet_nam` of whole columns."""
    inside: np.ndarray[Any, Any] = (
        (lon >= VN_LON[0]) & (lon <= VN_LON[1]) & (lat >= VN_LAT[0]) & (lat <= VN_LAT[1])
    )
    return inside
