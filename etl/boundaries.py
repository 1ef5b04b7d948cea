"""Load administrative boundaries of either era from any OGR source into admin_unit (upsert by key)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from sqlalchemy import Connection

from etl.errors import LoadRefusedError
from etl.messages import user_lang
from etl.names import fold_place_name
from etl.validate import RowIssue
from sql import queries
from sql.bulk import analyze_after_load, copy_rows, set_actor

VERSIONS = ("2025", "pre2025")
LEVELS = ("province", "district", "commune")


@dataclass(frozen=True)
class BoundaryFields:
    """Which source fields hold the code, name, parent unit's code, province code and unit type."""

    code: str
    name: str
    parent: str | None = None
    province: str | None = None
    unit_type: str | None = None


# The fields of the shared files (../shared/data, SOURCES.md), recognised without options.
KNOWN_FIELDS: dict[tuple[str, str], BoundaryFields] = {
    ("2025", "commune"): BoundaryFields("ward_code", "ward_name", "province_code", "province_code",
                                        "unit_type"),
    ("2025", "province"): BoundaryFields("province_code", "province_name", None, "province_code",
                                         "unit_type"),
    ("pre2025", "commune"): BoundaryFields("commune_id", "commune_vn", "district_id", "province_id"),
    ("pre2025", "district"): BoundaryFields("district_id", "district_vn", "province_id", "province_id"),
    ("pre2025", "province"): BoundaryFields("province_id", "province_vn", None, "province_id"),
}


@dataclass
class BoundaryLoadResult:
    file: str
    version: str
    level: str
    rows: int
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    repaired: int = 0
    issues: list[RowIssue] = field(default_factory=list)  # ``row`` is the feature number, from 1
    batch_id: int | None = None

    @property
    def rejected(self) -> list[str]:
        """The rejected features, one line each, in the user's language (etl.messages.user_lang)."""
        return self._lines("reject")

    @property
    def warned(self) -> list[str]:
        return self._lines("warning")

    def _lines(self, severity: str) -> list[str]:
        lang = user_lang()
        feature = "đối tượng" if lang == "vi" else "feature"
        return [f"{feature} {i.row}: {i.text(lang)}" for i in self.issues if i.severity == severity]


def detect_level(columns: list[str]) -> str:
    """Guess the level from the field names of the shared files; raise when they do not say."""
    cols = set(columns)
    if {"ward_code", "commune_id"} & cols:
        return "commune"
    if "district_id" in cols:
        return "district"
    if {"province_code", "province_id"} & cols:
        return "province"
    raise LoadRefusedError(code="boundary_level_unknown", cli_hint="give --level")


def resolve_fields(
    columns: list[str], version: str, level: str, *, code: str | None, name: str | None, parent: str | None
) -> BoundaryFields:
    """Combine the built-in field names with the user's overrides and check they exist in the file."""
    known = KNOWN_FIELDS.get((version, level))
    chosen = BoundaryFields(
        code=code or (known.code if known else ""),
        name=name or (known.name if known else ""),
        parent=parent or (known.parent if known else None),
        province=known.province if known else None,
        unit_type=known.unit_type if known else None,
    )
    missing = [f for f in (chosen.code, chosen.name) if not f or f not in columns]
    if missing:
        raise LoadRefusedError(code="boundary_fields_missing", fields=[repr(m) for m in missing if m] or ["code/name"],
                               columns=list(columns), cli_hint="name them with --code-field and --name-field")
    for optional in ("parent", "province", "unit_type"):
        if getattr(chosen, optional) and getattr(chosen, optional) not in columns:
            chosen = BoundaryFields(**{**chosen.__dict__, optional: None})
    return chosen


def read_boundaries(path: Path) -> gpd.GeoDataFrame:
    """Read any OGR source with pyogrio, in EPSG:4326; refuse unreadable, empty or non-polygon files."""
    if not path.exists():
        raise LoadRefusedError(code="file_missing", path=path)
    try:
        gdf = pyogrio.read_dataframe(path)
    except Exception as exc:  # pyogrio raises several error types for unreadable input
        raise LoadRefusedError(code="gis_unreadable", path=path, cli_hint=str(exc).splitlines()[0]) from exc
    if gdf.empty:
        raise LoadRefusedError(code="gis_no_features", path=path)
    kinds = set(gdf.geom_type.dropna())
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise LoadRefusedError(code="boundaries_not_polygons", path=path, kinds=sorted(kinds))
    if gdf.crs is None:
        raise LoadRefusedError(code="gis_no_crs", path=path)
    return gdf.to_crs(4326) if gdf.crs.to_epsg() != 4326 else gdf


def repair_polygons(geoms: gpd.GeoSeries) -> tuple[gpd.GeoSeries, int]:
    """Make invalid polygons valid (only their polygonal parts) as MultiPolygons; count the repairs."""
    values = geoms.values
    invalid = ~shapely.is_valid(values)
    fixed = values.copy()
    if invalid.any():
        fixed[invalid] = shapely.make_valid(values[invalid])
        fixed[invalid] = [_polygonal_part(g) for g in fixed[invalid]]
    multi = [g if g is None or g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g]) for g in fixed]
    return gpd.GeoSeries(multi, index=geoms.index, crs=geoms.crs), int(invalid.sum())


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry | None:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


def load_boundaries(
    conn: Connection,
    path: Path,
    *,
    version: str,
    level: str | None = None,
    code_field: str | None = None,
    name_field: str | None = None,
    parent_field: str | None = None,
    loaded_by: str = "cli",
) -> BoundaryLoadResult:
    """Upsert the units of ``path`` into admin_unit as (version, level, code) in this transaction.

    Rows without a code or name, with a code repeated in the file, or with no usable geometry are rejected
    and listed; the rest load. Names get a folded form for search; areas are geodesic (km²).
    """
    if version not in VERSIONS:
        raise LoadRefusedError(code="boundary_version_unknown", versions=list(VERSIONS), version=version)
    gdf = read_boundaries(path)
    columns = [c for c in gdf.columns if c != "geometry"]
    level = level or detect_level(columns)
    if level not in LEVELS or (version == "2025" and level == "district"):
        raise LoadRefusedError(code="boundary_level_invalid", level=level, version=version)
    fields = resolve_fields(columns, version, level, code=code_field, name=name_field, parent=parent_field)
    geoms, repaired = repair_polygons(gdf.geometry)
    result = BoundaryLoadResult(file=str(path), version=version, level=level, rows=len(gdf),
                                repaired=repaired)
    staged = _stage_rows(gdf, geoms, fields, version, level, result)
    set_actor(conn, loaded_by)
    batch_id = _record_batch(conn, path, result)
    conn.execute(queries.load("create_staging_admin_unit"))
    copy_rows(conn, "staging_admin_unit", _STAGE_COLUMNS, staged)
    counts = conn.execute(queries.load("upsert_admin_units_from_staging"), {"batch_id": batch_id}).one()
    result.inserted, result.updated = int(counts.inserted), int(counts.updated)
    result.unchanged = len(staged) - result.inserted - result.updated
    result.batch_id = batch_id
    conn.execute(
        queries.load("update_boundaries_batch_counts"),
        {"l": result.inserted, "u": result.updated, "n": result.unchanged, "r": len(result.rejected),
         "w": len(result.warned), "id": batch_id},
    )
    _record_rejects(conn, batch_id, result.issues)
    conn.execute(
        queries.load("audit_boundaries_load"),
        {"v": version, "l": level, "after": json.dumps(_summary(result))},
    )
    conn.execute(queries.load("drop_staging_admin_unit"))
    # Without statistics the planner took the 3,321 new communes for one row (issue 24).
    analyze_after_load(conn, "admin_unit", result.inserted + result.updated)
    return result


_STAGE_COLUMNS = ("version", "level", "code", "name", "name_folded", "unit_type", "parent_code",
                  "province_code", "geom", "attributes")


def _stage_rows(
    gdf: gpd.GeoDataFrame, geoms: gpd.GeoSeries, fields: BoundaryFields, version: str, level: str,
    result: BoundaryLoadResult,
) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    seen: dict[str, int] = {}
    attrs = gdf.drop(columns="geometry")
    for position, (idx, record) in enumerate(attrs.iterrows()):
        line = position + 1  # features are counted from 1, as in QGIS's attribute table
        code, name = _clean(record[fields.code]), _clean(record[fields.name])
        geom = geoms.loc[idx]
        if not code:
            result.issues.append(RowIssue(line, fields.code, "", "boundary_no_code",
                                          {"field": fields.code, "name": name}))
            continue
        if not name:
            # Kept rather than rejected: the polygon is real (the 2009 set has two unnamed ones) and its code
            # identifies it; the placeholder says plainly that the name is missing.
            name = f"Chưa có tên ({code})"
            result.issues.append(RowIssue(line, fields.name, "", "boundary_no_name",
                                          {"code": code, "field": fields.name, "stored": name}, "warning"))
        if code in seen:
            result.issues.append(RowIssue(line, fields.code, code, "boundary_repeated_code",
                                          {"code": code, "first": seen[code]}))
            continue
        if geom is None or geom.is_empty:
            result.issues.append(RowIssue(line, "geometry", code, "boundary_no_geometry", {"code": code}))
            continue
        seen[code] = line
        rows.append((
            version, level, code, name, fold_place_name(name),
            _clean(record[fields.unit_type]) if fields.unit_type else None,
            _clean(record[fields.parent]) if fields.parent else None,
            _clean(record[fields.province]) if fields.province else None,
            shapely.to_wkb(shapely.set_srid(geom, 4326), hex=True, include_srid=True),
            json.dumps({k: _jsonable(v) for k, v in record.items()}, ensure_ascii=False),
        ))
    return rows


def _clean(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _jsonable(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value if isinstance(value, (int, float, bool, str)) else str(value)


def _record_batch(conn: Connection, path: Path, result: BoundaryLoadResult) -> int:
    sha = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
    return int(conn.execute(
        queries.load("insert_boundaries_batch"),
        {"f": str(path), "s": sha, "fmt": path.suffix.lstrip(".").lower(), "r": result.rows,
         "p": json.dumps({"version": result.version, "level": result.level, "repaired": result.repaired})},
    ).scalar_one())


def _record_rejects(conn: Connection, batch_id: int, issues: list[RowIssue]) -> None:
    if issues:
        conn.execute(
            queries.load("insert_boundaries_reject"),
            [{"b": batch_id, "row": i.row, "r": f"feature {i.row}: {i.reason}", "s": i.severity, "code": i.code,
              "v": json.dumps(i.values, ensure_ascii=False, default=str)} for i in issues],
        )


def _summary(result: BoundaryLoadResult) -> dict[str, object]:
    counts = {"rejected": len(result.rejected), "warned": len(result.warned)}
    return {k: v for k, v in result.__dict__.items() if k != "issues"} | counts
