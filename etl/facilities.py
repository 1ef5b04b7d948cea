"""Facility surveys (any format) into the facility table: checked rows, rejects, idempotent upsert."""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from functools import cache, lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError
from sqlalchemy import Connection, text

from etl.coords import (
    VN2000_ZONES,
    describe_zones,
    in_viet_nam,
    likely_zones,
    looks_projected,
    parse_crs,
    transformer_to_wgs84,
)
from etl.errors import LoadRefusedError
from etl.lineage import (
    LoadResult,
    batch_writes,
    file_sha256,
    find_earlier_batch,
)
from etl.models import FacilityRow
from etl.names import fold_place_name, fold_text
from etl.readers import RawTable, read_table
from etl.validate import (
    ColumnMap,
    RowIssue,
    map_columns,
    parse_amount,
    parse_coordinate_cell,
    parse_count,
    parse_geopoint,
    parse_year,
    row_attributes,
)
from etl.vocabulary import Vocabulary, load_vocabulary
from sql import queries
from sql.bulk import batch_audit, copy_rows

_STAGE_COLUMNS = (
    "n",
    "external_id",
    "name",
    "type",
    "technology",
    "status",
    "installed_year",
    "n_horns",
    "watts",
    "radius_m",
    "note",
    "source_crs",
    "attributes",
    "lon",
    "lat",
    "swap_candidate",
    "commune_typed",
    "commune_folded",
    "province_folded",
    "village_folded",
    "commune_code",
    "swap_code",
    "ord",
)
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
) -> LoadResult:
    """Load a facility survey into ``facility`` in this transaction, one ``load_batch`` per file.

    Rows that break a rule are rejected (kept in ``load_reject`` and the CSV report in ``report_dir``);
    the rest load. The same file again changes nothing; a changed file updates facilities by external id
    (without one: the same type within 5 m). ``strict`` refuses the file if any row is rejected;
    ``dry_run`` writes nothing.
    Coordinates are WGS 84 degrees unless ``crs`` names the VN-2000 system they are in (EPSG:N).
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
) -> LoadResult:
    vocabulary = load_vocabulary(mapping)
    epsg = parse_crs(crs) if crs else None
    table = read_table(path, sheet=sheet, encoding=encoding, vocabulary=vocabulary)
    sha256 = file_sha256(path)
    result = LoadResult(
        skip_reason="not facility rows",
        file=str(path),
        kind="facilities",
        format=table.format,
        rows=len(table.rows),
        dry_run=dry_run,
        notes=list(table.notes),
    )
    earlier = find_earlier_batch(conn, "facilities", sha256)
    if earlier is not None:
        result.already_loaded, result.unchanged = earlier, result.rows
        return result
    columns = map_columns(table.headers, vocabulary)
    _require_columns(table, columns)
    _require_communes(conn)
    rows = _read_rows(conn, table, columns, vocabulary, epsg, result, today or date.today())
    params = {
        "crs": crs, "sheet": table.sheet, "mapping": str(mapping) if mapping else None, "encoding": encoding,
        "strict": strict, "source": columns.source,
    }
    with batch_writes(conn, result, sha256=sha256, params=params, loaded_by=loaded_by,
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


def _read_rows(
    conn: Connection,
    table: RawTable,
    columns: ColumnMap,
    vocabulary: Vocabulary,
    epsg: int | None,
    result: LoadResult,
    today: date,
) -> list[FacilityRow]:
    """Check every row; return the typed rows that passed the checks that need no database.

    Column by column, each distinct cell text parsed once: survey columns repeat a few values (types,
    statuses, years) over thousands of rows, so this keeps a 200,000-row file to a few seconds (bench/etl.py).
    """
    source_epsg = _source_epsg(table, columns, epsg)
    column = _column_reader(table, columns)
    kept = _without_note_rows(table, columns, column, result)
    if kept is not table:
        table, column = kept, _column_reader(kept, columns)
    lines = [line for line, _ in table.rows]
    values: dict[str, list[Any]] = {}
    bad: set[int] = set()
    for name in ("external_id", "name", "note", "commune", "province", "village"):
        values[name] = [v or None for v in column(name)]
    for name, parse in _parsers(vocabulary, today).items():
        values[name] = _parse_column(column, columns, name, parse, lines, result, bad)
    _check_type_and_status(column, columns, lines, result, bad)
    _check_repeated_ids(columns, values["external_id"], lines, result, bad)
    positions: dict[int, _Position] = {}
    fields: dict[int, dict[str, Any]] = {}
    quick = _plain_lonlat(table, columns, column)
    for index, (line, cells) in enumerate(table.rows):
        position = quick[index] if quick is not None else None
        if position is None:
            issues: list[RowIssue] = []
            position = _row_position(table, columns, index, line, cells, issues)
            result.issues.extend(issues)
        if position is None or line in bad:
            continue
        positions[line] = position
        fields[line] = {
            "external_id": values["external_id"][index],
            "name": values["name"][index],
            "note": values["note"][index],
            "commune_typed": values["commune"][index],
            "province_typed": values["province"][index],
            "village_typed": values["village"][index],
            "type": values["type"][index],
            "status": values["status"][index] or "operational",
            "technology": values["technology"][index],
            "installed_year": values["installed_year"][index],
            "n_horns": values["n_horns"][index],
            "watts": values["watts"][index],
            "radius_m": values["radius_m"][index],
            "attributes": row_attributes(table, columns, cells) if columns.unmapped else {},
        }
    _refuse_undeclared_projection(conn, table, columns, positions, source_epsg)
    lonlat = _to_wgs84(table, columns, positions, source_epsg, result)
    return _typed_rows(fields, lonlat, source_epsg, columns, result)


_Parse = Callable[[str], tuple[Any, str | None, str]]  # cell -> (value, reason or None, severity)


def _parsers(vocabulary: Vocabulary, today: date) -> dict[str, _Parse]:
    def checked(parse: Callable[[str], Any]) -> _Parse:
        def run(raw: str) -> tuple[Any, str | None, str]:
            try:
                return parse(raw), None, "reject"
            except ValueError as exc:
                return None, str(exc), "reject"

        return run

    def vocab(section: str, prefix: bool, reason: str, severity: str) -> _Parse:
        def run(raw: str) -> tuple[Any, str | None, str]:
            code = vocabulary.lookup_prefix(section, raw) if prefix else vocabulary.lookup(section, raw)
            return code, (None if code else reason), severity

        return run

    return {
        "type": vocab(
            "types",
            True,
            "is not a known facility type (such as Cụm loa truyền thanh, Đài truyền "
            "thanh cấp xã, Nhà văn hóa); add the word to a --mapping file if it is one",
            "reject",
        ),
        "status": vocab(
            "statuses",
            False,
            "is not a known status (Hoạt động, Xuống cấp, Hư hỏng, Đã thanh lý, Dự kiến)",
            "reject",
        ),
        "technology": vocab(
            "technologies",
            False,
            "is not a known technology (có dây, không dây FM, IP); stored without one",
            "warning",
        ),
        "installed_year": checked(lambda t: parse_year(t, today=today)),
        "n_horns": checked(parse_count),
        "watts": checked(lambda t: parse_amount(t, "watts")),
        "radius_m": checked(lambda t: parse_amount(t, "metres", 100_000)),  # 100 km: beyond any horn
    }


_Columns = Callable[[str], list[str]]  # field name -> the stripped cell of each row ("" where none)


def _column_reader(table: RawTable, columns: ColumnMap) -> _Columns:
    """:func:`_column` of this table, each field read once however often it is asked for."""
    return cache(lambda name: _column(table, columns, name))


def _column(table: RawTable, columns: ColumnMap, name: str) -> list[str]:
    spot = columns.fields.get(name)
    if spot is None:
        return [""] * len(table.rows)
    i = spot[0]
    rows = [cells for _, cells in table.rows]
    if min(map(len, rows), default=0) > i:  # the usual full rows: itemgetter and strip run in C
        return list(map(str.strip, map(itemgetter(i), rows)))
    return [cells[i].strip() if i < len(cells) else "" for cells in rows]


def _parse_column(
    column: _Columns,
    columns: ColumnMap,
    name: str,
    parse: _Parse,
    lines: list[int],
    result: LoadResult,
    bad: set[int],
) -> list[Any]:
    raw_cells = column(name)
    memo: dict[str, tuple[Any, str | None, str]] = {}
    out: list[Any] = []
    for line, raw in zip(lines, raw_cells, strict=True):
        if not raw:
            out.append(None)
            continue
        parsed = memo.get(raw)
        if parsed is None:
            parsed = memo[raw] = parse(raw)
        value, reason, severity = parsed
        if reason is not None:
            result.issues.append(RowIssue(line, columns.header(name), raw, reason, severity))
            if severity == "reject":
                bad.add(line)
        out.append(value)
    return out


def _without_note_rows(
    table: RawTable, columns: ColumnMap, column: _Columns, result: LoadResult
) -> RawTable:
    """Skip rows with no type, no id and no coordinates: a total, a signature or a note under the table."""
    if table.geometries is not None:
        return table
    kept: list[tuple[int, list[str]]] = []
    marks = [column(f) for f in ("lon", "lat", "x", "y", "geopoint", "type", "external_id")
             if columns.has(f)]
    for index, (line, cells) in enumerate(table.rows):
        if any(mark[index] for mark in marks):
            kept.append((line, cells))
            continue
        result.skipped += 1
        result.issues.append(RowIssue(line, "", "", "skipped: no type, id or coordinates (a total, a "
                                      "signature or a note, not a facility)", "warning"))
    return replace(table, rows=kept) if result.skipped else table


def _check_type_and_status(
    column: _Columns,
    columns: ColumnMap,
    lines: list[int],
    result: LoadResult,
    bad: set[int],
) -> None:
    """An empty type is a rejection; an empty status is stored as operational, with a warning."""
    raw_status = column("status") if columns.has("status") else None
    raw_type = column("type")
    for index, line in enumerate(lines):
        if not raw_type[index]:
            result.issues.append(
                RowIssue(line, columns.header("type"), "", "is empty: every facility needs a type")
            )
            bad.add(line)
        if raw_status is not None and not raw_status[index]:
            result.issues.append(
                RowIssue(
                    line,
                    columns.header("status"),
                    "",
                    "is empty; stored as Hoạt động (operational)",
                    "warning",
                )
            )


def _check_repeated_ids(
    columns: ColumnMap, refs: list[Any], lines: list[int], result: LoadResult, bad: set[int]
) -> None:
    seen: dict[str, int] = {}
    for line, ref in zip(lines, refs, strict=True):
        if not ref:
            continue
        if ref in seen:
            result.issues.append(
                RowIssue(
                    line,
                    columns.header("external_id"),
                    ref,
                    f"repeats the id of row {seen[ref]} (the later row is rejected)",
                )
            )
            bad.add(line)
        else:
            seen[ref] = line


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


def _plain_lonlat(table: RawTable, columns: ColumnMap, column: _Columns) -> list[_Position | None] | None:
    """Positions of the rows whose lon and lat cells are plain finite decimals, read a column at a time.

    The usual cell ('103.0512') is what :func:`parse_coordinate_cell` reads with float() too; any other row
    (empty, comma decimal, DMS, NaN, '_') is None here and goes through :func:`_row_position`, which reads it
    and reports its problem exactly as before.
    """
    if table.geometries is not None or not (columns.has("lon") and columns.has("lat")):
        return None
    fields = f"{columns.fields['lon'][1]}/{columns.fields['lat'][1]}"
    out: list[_Position | None] = []
    isfinite = math.isfinite
    for a, b in zip(column("lon"), column("lat"), strict=True):
        try:
            if "_" in a or "_" in b:
                raise ValueError(a)
            x, y = float(a), float(b)
        except ValueError:
            out.append(None)
            continue
        out.append(_Position(x, y, fields, f"{a}, {b}") if isfinite(x) and isfinite(y) else None)
    return out


def _row_position(
    table: RawTable,
    columns: ColumnMap,
    index: int,
    line: int,
    cells: Sequence[str],
    issues: list[RowIssue],
) -> _Position | None:
    """Read the position of one row as (x, y) in the file's CRS; None (with an issue) when there is none."""
    try:
        if table.geometries is not None:
            geom = table.geometries[index]
            if geom is None or geom.is_empty:
                issues.append(RowIssue(line, "geometry", "", "has no coordinates"))
                return None
            point = geom.geoms[0] if geom.geom_type == "MultiPoint" else geom
            return _Position(point.x, point.y, "geometry", f"{point.x} {point.y}")
        if columns.has("lon") and columns.has("lat"):
            return _pair(columns, cells, line, "lon", "lat", issues)
        if columns.has("x") and columns.has("y"):
            return _pair(columns, cells, line, "x", "y", issues)
        raw = columns.cell(cells, "geopoint")
        if not raw:
            issues.append(RowIssue(line, columns.header("geopoint"), "", "is empty: missing coordinates"))
            return None
        lat, lon = parse_geopoint(raw)
        return _Position(lon, lat, columns.header("geopoint"), raw)
    except ValueError as exc:
        field = columns.header("geopoint") if columns.has("geopoint") else "geometry"
        issues.append(RowIssue(line, field, columns.cell(cells, "geopoint"), str(exc)))
        return None


def _pair(
    columns: ColumnMap, cells: Sequence[str], line: int, first: str, second: str, issues: list[RowIssue]
) -> _Position | None:
    parsed: list[float] = []
    raws = (columns.cell(cells, first), columns.cell(cells, second))
    for name, raw in zip((first, second), raws, strict=True):
        if not raw:
            issues.append(RowIssue(line, columns.header(name), "", "is empty: missing coordinates"))
            return None
        try:
            parsed.append(parse_coordinate_cell(raw))
        except ValueError as exc:
            issues.append(RowIssue(line, columns.header(name), raw, str(exc)))
            return None
    a, b = parsed
    shown = f"{raws[0]}, {raws[1]}"
    fields = f"{columns.fields[first][1]}/{columns.fields[second][1]}"
    if first == "x":
        # Vietnamese surveying writes X = northing, Y = easting (DOMAIN.md §5.4): easting first for PROJ.
        return _Position(b, a, fields, shown) if looks_projected(a, b) else _Position(a, b, fields, shown)
    return _Position(a, b, fields, shown)


def _refuse_undeclared_projection(
    conn: Connection,
    table: RawTable,
    columns: ColumnMap,
    positions: dict[int, _Position],
    epsg: int | None,
) -> None:
    if epsg is not None or not positions:
        return
    projected = [p for p in positions.values() if looks_projected(p.x, p.y)]
    if len(projected) <= _PROJECTED_SHARE * len(positions):
        return
    lon = _typed_communes_lon(conn, table, columns)
    sample = projected[0]
    raise LoadRefusedError(
        f"{table.file}: the coordinates look projected (e.g. {sample.value}), not degrees: give the "
        f"VN-2000 system they are in with --crs, likely {describe_zones(likely_zones(lon))}"
    )


def _typed_communes_lon(conn: Connection, table: RawTable, columns: ColumnMap) -> float | None:
    if not columns.has("commune"):
        return None
    names = sorted({fold_place_name(columns.cell(c, "commune")) for _, c in table.rows[:500]} - {""})
    value = conn.execute(
        text("SELECT avg(ST_X(ST_PointOnSurface(geom))) FROM commune WHERE name_folded = ANY(:names)"),
        {"names": names},
    ).scalar_one()
    return float(value) if value is not None else None


def _to_wgs84(
    table: RawTable,
    columns: ColumnMap,
    positions: dict[int, _Position],
    epsg: int | None,
    result: LoadResult,
) -> dict[int, tuple[float, float]]:
    """Transform every position to WGS 84 lon/lat at once (EPSG:6960 for VN-2000); reject what cannot be."""
    lines = list(positions)
    if not lines:
        return {}
    xs = np.array([positions[n].x for n in lines], dtype=float)
    ys = np.array([positions[n].y for n in lines], dtype=float)
    if epsg is not None and epsg != 4326:
        projected = epsg in VN2000_ZONES and VN2000_ZONES[epsg][0] is not None
        if projected:
            # Easting and northing given the GIS way round (X = easting): northing is always the larger in VN.
            flipped = ys < xs
            for n in np.array(lines)[flipped & (np.abs(xs) > 1000)]:
                result.issues.append(
                    RowIssue(
                        int(n),
                        positions[int(n)].field,
                        positions[int(n)].value,
                        "has X and Y the GIS way round (X is the northing in VN-2000); read as Y, X",
                        "warning",
                    )
                )
            xs, ys = np.where(flipped, ys, xs), np.where(flipped, xs, ys)
        xs, ys = transformer_to_wgs84(epsg).transform(xs, ys)
    out: dict[int, tuple[float, float]] = {}
    for n, lon, lat in zip(lines, xs.tolist(), ys.tolist(), strict=True):
        position = positions[n]
        if not (np.isfinite(lon) and np.isfinite(lat)):
            result.issues.append(
                RowIssue(
                    n,
                    position.field,
                    position.value,
                    f"cannot be converted from EPSG:{epsg} to WGS 84 (is --crs right?)",
                )
            )
            continue
        out[n] = (lon, lat)
    return out


def _typed_rows(
    fields: dict[int, dict[str, Any]],
    lonlat: dict[int, tuple[float, float]],
    epsg: int | None,
    columns: ColumnMap,
    result: LoadResult,
) -> list[FacilityRow]:
    rows: list[FacilityRow] = []
    source_crs = f"EPSG:{epsg or 4326}"
    for n, (lon, lat) in lonlat.items():
        swap = False
        if not in_viet_nam(lon, lat):
            swap = in_viet_nam(lat, lon)
            if not swap:
                result.issues.append(
                    RowIssue(
                        n,
                        "",
                        "",
                        f"point (lon {lon:.6g}, lat {lat:.6g}) is outside Viet "
                        "Nam; check the coordinates and --crs",
                    )
                )
                continue
        try:
            values = fields[n]  # made for this row alone: completed in place, validated as one dict
            values.update(row=n, lon=lon, lat=lat, source_crs=source_crs, swap_candidate=swap)
            rows.append(FacilityRow.model_validate(values))
        except ValidationError as exc:  # the cell parsers enforce every rule first: this is a safety net
            error = exc.errors()[0]
            field = str(error["loc"][0]) if error["loc"] else ""
            result.issues.append(RowIssue(n, field, str(error.get("input", "")), error["msg"]))
    return rows


# --- writing ------------------------------------------------------------------------------------------------


def _locate_and_write(
    conn: Connection, rows: list[FacilityRow], columns: ColumnMap, result: LoadResult
) -> None:
    """Stage the rows, place them in communes, decide the location problems, then update and insert."""
    # The planner's cost guesses for geometry functions make PostgreSQL JIT-compile these set-based queries,
    # which takes longer (~0.5 s each) than running them: off for this load, restored after.
    jit = conn.execute(text("SELECT current_setting('jit')")).scalar_one()
    conn.execute(text("SELECT set_config('jit', 'off', true)"))
    conn.execute(text("DROP TABLE IF EXISTS etl_facility_stage, etl_facility_located"))
    conn.execute(queries.load("create_facility_staging"))
    places, order = _place_in_communes(conn, rows)
    copy_rows(
        conn,
        "etl_facility_stage",
        _STAGE_COLUMNS,
        # In insert order already: the sort of the insert (ORDER BY ord) then finds its input presorted.
        (_stage_tuple(rows[i], places[i], rank) for rank, i in enumerate(order)),
    )
    conn.execute(text("ANALYZE etl_facility_stage (external_id, commune_code, swap_code)"))
    conn.execute(queries.load("locate_staged_facilities"))
    rejected, swapped = _decide_locations(conn, columns, result)
    if rejected:
        conn.execute(text("DELETE FROM etl_facility_located WHERE n = ANY(:n)"), {"n": rejected})
    if swapped:
        conn.execute(
            text(
                "UPDATE etl_facility_located SET lon = lat, lat = lon, commune_code = swap_code "
                "WHERE n = ANY(:n)"
            ),
            {"n": swapped},
        )
    conn.execute(queries.load("match_staged_facilities"))
    updated = conn.execute(
        queries.load("update_facilities_from_staging"), {"batch_id": result.batch_id}
    ).all()
    result.updated = len(updated)
    result.updated_refs = [str(r.ref) for r in updated]
    assert result.batch_id is not None
    with batch_audit(conn, result.batch_id):  # one audit row for the batch's inserts (migration 0013)
        result.loaded = conn.execute(
            queries.load("insert_facilities_from_staging"), {"batch_id": result.batch_id}
        ).rowcount
    matched = conn.execute(
        text("SELECT count(*) FROM etl_facility_located WHERE match_id IS NOT NULL")
    ).scalar_one()
    result.unchanged = int(matched) - result.updated
    placed = set(rejected)
    result.accepted = [r for r in rows if r.row not in placed]
    conn.execute(text("DROP TABLE IF EXISTS etl_facility_stage, etl_facility_located"))
    conn.execute(text("SELECT set_config('jit', :jit, true)"), {"jit": jit})


_fold_place = lru_cache(maxsize=65536)(fold_place_name)


def _place_in_communes(
    conn: Connection, rows: list[FacilityRow]
) -> tuple[list[str | None], list[int]]:
    """The code of the 2025 commune each row's point lies in (a swap candidate: its swapped point), or None;
    and the order to insert the rows in (indexes into ``rows``): by commune, then in ~500 m strips west to
    east, so that neighbouring rows go to the same pages of the GiST and commune indexes (a third faster
    than file order).

    Point in polygon in GEOS (shapely, prepared polygons) over the communes near the points, fetched once as
    WKB: ~1 µs a point, where the same join in PostGIS over ST_Subdivide'd communes took ~25 µs a point and
    0.6 s to cut the communes (bench/etl.py). Communes are tried in code order and the first that holds the
    point wins (boundary included, as ST_Intersects), so a point on a shared border always gets the same
    (lowest) code.
    """
    if not rows:
        return [], []
    swap = np.fromiter((r.swap_candidate for r in rows), dtype=bool, count=len(rows))
    lon = np.fromiter((r.lon for r in rows), dtype=float, count=len(rows))
    lat = np.fromiter((r.lat for r in rows), dtype=float, count=len(rows))
    xs, ys = np.where(swap, lat, lon), np.where(swap, lon, lat)  # the point to place, swapped if a candidate

    def box(mask: np.ndarray[Any, Any]) -> list[float | None]:
        if not mask.any():
            return [None] * 4
        return [float(xs[mask].min()), float(ys[mask].min()), float(xs[mask].max()), float(ys[mask].max())]

    plain, swapped = box(~swap), box(swap)
    communes = conn.execute(
        queries.load("communes_near_points"),
        dict(zip(("xmin", "ymin", "xmax", "ymax"), plain, strict=True))
        | dict(zip(("swap_xmin", "swap_ymin", "swap_xmax", "swap_ymax"), swapped, strict=True)),
    ).all()
    found = np.full(len(rows), len(communes))
    if communes:
        _point_in_polygons(communes, xs, ys, found)
    codes = [str(c.code) for c in communes] + [None]
    order = np.lexsort((xs, np.floor(ys * 200), found))
    return [codes[i] for i in found.tolist()], order.tolist()


def _point_in_polygons(
    communes: Sequence[Any], xs: np.ndarray[Any, Any], ys: np.ndarray[Any, Any], found: np.ndarray[Any, Any]
) -> None:
    """Set ``found[i]`` to the index of the first commune (WKB rows) holding point i; others stay as they are."""
    import shapely

    unset = len(communes)
    geoms = shapely.from_wkb([bytes(c.wkb) for c in communes])
    shapely.prepare(geoms)
    bounds = shapely.bounds(geoms)
    order = np.argsort(xs, kind="stable")
    sorted_xs = xs[order]
    for i, geom in enumerate(geoms):
        xmin, ymin, xmax, ymax = bounds[i]
        lo = int(np.searchsorted(sorted_xs, xmin, side="left"))
        hi = int(np.searchsorted(sorted_xs, xmax, side="right"))
        near = order[lo:hi]
        near = near[(found[near] == unset) & (ys[near] >= ymin) & (ys[near] <= ymax)]
        if len(near):
            inside = near[shapely.intersects_xy(geom, xs[near], ys[near])]
            found[inside] = i


def _stage_tuple(row: FacilityRow, place: str | None, order: int) -> tuple[Any, ...]:
    return (
        row.row,
        row.external_id,
        row.name,
        row.type,
        row.technology,
        row.status,
        row.installed_year,
        row.n_horns,
        row.watts,
        row.radius_m,
        row.note,
        row.source_crs,
        json.dumps(row.attributes, ensure_ascii=False) if row.attributes else "{}",
        row.lon,
        row.lat,
        row.swap_candidate,
        row.commune_typed,
        _fold_place(row.commune_typed) if row.commune_typed else None,
        _fold_place(row.province_typed) if row.province_typed else None,
        _fold_place(row.village_typed) if row.village_typed else None,
        None if row.swap_candidate else place,
        place if row.swap_candidate else None,
        order,
    )


def _decide_locations(
    conn: Connection, columns: ColumnMap, result: LoadResult
) -> tuple[list[int], list[int]]:
    """Reject rows in no commune, fix swaps the row's own commune or province confirms, warn on names."""
    rejected: list[int] = []
    swapped: list[int] = []
    commune_field = columns.header("commune") if columns.has("commune") else ""
    for r in conn.execute(queries.load("facility_location_problems")).all():
        point = f"point (lon {r.lon:.6g}, lat {r.lat:.6g})"
        if r.swap_candidate:
            confirmed = r.swap_code is not None and (
                _same_place(r.commune_typed, r.swap_name, r.swap_name_folded)
                or (r.province_folded is not None and r.province_folded == r.swap_province_folded)
            )
            if confirmed:
                swapped.append(r.n)
                result.issues.append(
                    RowIssue(
                        r.n,
                        "",
                        "",
                        f"{point}: longitude and latitude were swapped; read as "
                        f"lon {r.lat:.6g}, lat {r.lon:.6g}, which lies in {r.swap_name}, the "
                        "row's own commune or province",
                        "warning",
                    )
                )
            else:
                rejected.append(r.n)
                where = (
                    f" (swapped it would lie in {r.swap_name}, not the row's declared place)"
                    if r.swap_code
                    else ""
                )
                result.issues.append(
                    RowIssue(r.n, "", "", f"{point} is outside Viet Nam; were lat/lon swapped?{where}")
                )
            continue
        if r.commune_code is None:
            rejected.append(r.n)
            result.issues.append(
                RowIssue(
                    r.n,
                    "",
                    "",
                    f"{point} lies inside no loaded commune (load the "
                    "province's 2025 communes, or check the coordinates)",
                )
            )
            continue
        if _same_place(r.commune_typed, r.commune_name, r.commune_name_folded):
            continue
        result.issues.append(
            RowIssue(
                r.n,
                commune_field,
                r.commune_typed or "",
                f"is not the commune the point lies in ({r.commune_name}, code "
                f"{r.commune_code}); the location decides: stored in {r.commune_name}",
                "warning",
            )
        )
    return rejected, swapped


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
