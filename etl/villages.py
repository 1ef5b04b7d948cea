"""Village files (thôn/bản/ấp/tổ dân phố; points or polygons) into the village table, commune by location."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pydantic import ValidationError
from sqlalchemy import Connection

from etl.coords import in_viet_nam, parse_crs, transformer_to_wgs84
from etl.errors import LoadRefusedError
from etl.lineage import LoadResult, batch_writes, begin_load, reading_options
from etl.messages import pydantic_reason
from etl.models import VillageRow
from etl.names import fold_place_name
from etl.readers import RawTable, read_table
from etl.validate import (
    TOTAL_LABEL,
    ColumnMap,
    RowIssue,
    map_columns,
    parse_count,
    read_coordinate_pair,
    row_attributes,
)
from etl.vocabulary import MappingSource, Vocabulary, load_vocabulary
from sql import queries
from sql.bulk import batch_audit, copy_rows

_ALLOWED = {"Point", "Polygon", "MultiPolygon"}



def preview_villages(conn: Connection, path: Path, **options: Any) -> LoadResult:
    """Check a village file against the database without writing anything (the upload page's preview)."""
    return load_villages(conn, path, **{**options, "dry_run": True})


def load_villages(
    conn: Connection,
    path: Path,
    *,
    crs: str | None = None,
    sheet: str | None = None,
    mapping: MappingSource | None = None,
    encoding: str | None = None,
    strict: bool = False,
    dry_run: bool = False,
    loaded_by: str = "cli",
    report_dir: Path | None = None,
) -> LoadResult:
    """Load villages (points or polygons, with name and optional population/households) in this transaction.

    The commune comes from the location; a row in no loaded commune is rejected. A changed file updates
    villages by external id, else by the same name in the same commune.
    """
    vocabulary = load_vocabulary(mapping)
    table = read_table(path, sheet=sheet, encoding=encoding, vocabulary=vocabulary)
    columns = map_columns(table.headers, vocabulary)
    if not columns.has("name"):
        columns = _village_name_column(table, columns, vocabulary)
    reading = reading_options(sheet=table.sheet, encoding=encoding, mapping=mapping, crs=crs)
    result, sha256 = begin_load(conn, "villages", path, table, reading, dry_run=dry_run, skip_reason="totals")
    if result.already_loaded is not None:
        return result
    if conn.execute(queries.load("no_communes_loaded")).scalar_one():
        raise LoadRefusedError(code="communes_not_loaded", version="2025",
                               cli_hint="run `phusong load boundaries FILE --version 2025` first")
    geoms = _geometries(table, columns, parse_crs(crs) if crs else None, result)
    rows = _typed_rows(table, columns, vocabulary, geoms, result)
    params = reading
    with batch_writes(conn, result, table="village", sha256=sha256, params=params, loaded_by=loaded_by,
                      strict=strict, dry_run=dry_run, report_dir=report_dir):
        _write(conn, rows, result)
    return result


def _village_name_column(table: RawTable, columns: ColumnMap, vocabulary: Vocabulary) -> ColumnMap:
    # A village file's name column is often headed "Thôn/Bản" or "Tên thôn", which a facility survey uses for
    # the village a facility stands in; here it is the name itself.
    if columns.has("village"):
        columns.fields["name"] = columns.fields["village"]
        return columns
    raise LoadRefusedError(code="village_name_column_missing", path=table.file,
                           headers=[h for h in table.headers if h])


def _geometries(table: RawTable, columns: ColumnMap, epsg: int | None, result: LoadResult) -> dict[int, Any]:
    """Each row's geometry in EPSG:4326 by row number; rows without a usable one get an issue."""
    out: dict[int, Any] = {}
    if table.geometries is not None:
        kinds = {g.geom_type for g in table.geometries if g is not None}
        if not kinds <= _ALLOWED | {"MultiPoint"}:
            raise LoadRefusedError(code="village_geometry_kinds", path=table.file, kinds=sorted(kinds - _ALLOWED))
        source = epsg
        if source is None and table.crs:
            from pyproj import CRS

            source = CRS.from_user_input(table.crs).to_epsg()
        for (line, _), geom in zip(table.rows, table.geometries, strict=True):
            if geom is None or geom.is_empty:
                result.issues.append(RowIssue(line, "geometry", "", "no_geometry"))
                continue
            if geom.geom_type == "MultiPoint":
                geom = geom.geoms[0]
            if source not in (None, 4326):
                geom = shapely.transform(geom, _to_wgs84(int(source)))
            out[line] = shapely.make_valid(geom) if not geom.is_valid else geom
        return out
    if not (columns.has("lon") and columns.has("lat")):
        raise LoadRefusedError(code="village_no_position", path=table.file)
    to_wgs84 = _to_wgs84(epsg) if epsg not in (None, 4326) else None
    for line, cells in table.rows:
        position = _lon_lat(columns, line, cells, result)
        if position is not None:
            point = shapely.Point(*position)
            out[line] = shapely.transform(point, to_wgs84) if to_wgs84 is not None else point
    return out


def _lon_lat(columns: ColumnMap, line: int, cells: Sequence[str], result: LoadResult) -> tuple[float, float] | None:
    """A row's lon and lat as read; None, with the issue of the first cell that fails, when there are none.

    A row without coordinates whose cells hold a total ("Tổng cộng" under a form's table) is skipped with a
    warning, not rejected."""
    if not (columns.cell(cells, "lon") and columns.cell(cells, "lat")) \
            and any(_TOTAL.match(cell.strip()) for cell in cells):
        result.skipped += 1
        result.issues.append(RowIssue(line, "", "", "village_total", severity="warning"))
        return None
    return read_coordinate_pair(columns, cells, line, "lon", "lat", result.issues)


_TOTAL = re.compile(TOTAL_LABEL)


def _to_wgs84(epsg: int) -> Callable[[np.ndarray], np.ndarray]:
    transformer = transformer_to_wgs84(epsg)
    return lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))


def _typed_rows(
    table: RawTable,
    columns: ColumnMap,
    vocabulary: Vocabulary,
    geoms: dict[int, Any],
    result: LoadResult,
) -> list[VillageRow]:
    rows: list[VillageRow] = []
    for line, cells in table.rows:
        geom = geoms.get(line)
        if geom is None:
            continue
        name = columns.cell(cells, "name")
        issues: list[RowIssue] = []
        if not name:
            issues.append(RowIssue(line, columns.header("name"), "", "village_name_empty"))
        point = geom.representative_point()
        if not in_viet_nam(point.x, point.y):
            issues.append(
                RowIssue(line, "", "", "village_outside_vn", {"lon": point.x, "lat": point.y})
            )
        counts = {k: _count(columns, cells, line, k, issues) for k in ("population", "households")}
        result.issues.extend(issues)
        if issues:
            continue
        raw_kind = columns.cell(cells, "village_kind") or name
        kind = vocabulary.lookup_prefix("village_kinds", raw_kind) or "other"
        try:
            rows.append(
                VillageRow(
                    row=line,
                    external_id=columns.cell(cells, "external_id") or None,
                    name=name,
                    kind=kind,  # type: ignore[arg-type]
                    geom_wkb_hex=shapely.to_wkb(shapely.set_srid(geom, 4326), hex=True, include_srid=True),
                    commune_typed=columns.cell(cells, "commune") or None,
                    attributes=row_attributes(table, columns, cells),
                    **counts,
                )
            )
        except ValidationError as exc:
            result.issues.append(RowIssue(line, "", "", *pydantic_reason(exc.errors()[0])))
    return rows


def _count(
    columns: ColumnMap, cells: Sequence[str], line: int, name: str, issues: list[RowIssue]
) -> int | None:
    raw = columns.cell(cells, name)
    if not raw:
        return None
    try:
        return parse_count(raw)
    except ValueError as exc:
        issues.append(RowIssue.of(line, columns.header(name), raw, exc))
        return None


def _write(conn: Connection, rows: list[VillageRow], result: LoadResult) -> None:
    conn.execute(queries.load("drop_village_stage"))
    conn.execute(queries.load("create_village_staging"))
    copy_rows(
        conn,
        "etl_village_stage",
        ("n", "external_id", "name", "name_folded", "kind", "geom", "population", "households"),
        (
            (
                r.row,
                r.external_id,
                r.name,
                fold_place_name(r.name),
                r.kind,
                r.geom_wkb_hex,
                r.population,
                r.households,
            )
            for r in rows
        ),
    )
    conn.execute(queries.load("locate_and_match_staged_villages"))
    unplaced = conn.execute(queries.load("staged_villages_in_no_commune")).all()
    for r in unplaced:
        result.issues.append(RowIssue(r.n, "", "", "village_in_no_commune",
                                      {"name": r.name, "lon": float(r.lon), "lat": float(r.lat)}))
    assert result.batch_id is not None
    with batch_audit(conn, result.batch_id):  # new villages: one audit row for the batch (migration 0013)
        counts = conn.execute(queries.load("upsert_villages_from_staging"), {"batch_id": result.batch_id}).one()
    result.loaded, result.updated = int(counts.inserted), int(counts.updated)
    matched = conn.execute(
        queries.load("matched_staged_village_count")
    ).scalar_one()
    result.unchanged = int(matched) - result.updated
    result.accepted = rows
    conn.execute(queries.load("drop_village_stage"))
