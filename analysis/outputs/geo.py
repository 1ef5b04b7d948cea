"""GeoPackage 1.2 and RFC 7946 GeoJSON from a typed table (sql/table_writer.py Columns).

GeoPackage: version 1.2 (QGIS on Debian 12, GDAL 3.6, warns about 1.4), ASCII snake_case field names with the
Vietnamese header of each column as its alias in ``gpkg_data_columns`` (the schema extension), an optional QGIS
``layer_styles`` row so a layer opens styled, the parameters as a ``metadata`` key/value table and as GDAL
dataset metadata. GeoJSON: WGS 84 longitude/latitude, counter-clockwise outer rings (clockwise holes), no repeated
consecutive points, coordinates to 6 decimals (about 0.1 m), valid geometries, no ``crs`` member.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from sql.table_writer import Column, Table, iso_vietnam, standard_parameters, typed_rows

GPKG_VERSION = "1.2"
GEOJSON_DIGITS = 6
_SCHEMA_EXTENSION = ("gpkg_data_columns", None, "gpkg_schema", "http://www.geopackage.org/spec/#extension_schema",
                     "read-write")


def _plain_frame(table: Table, lang: str) -> pd.DataFrame:
    """The table's typed values with machine keys, labels in ``lang``, dates as ISO text in Viet Nam time."""
    rows = typed_rows(table, lang)
    frame = pd.DataFrame(rows, columns=[c.key for c in table.columns])
    for column in table.columns:
        values = frame[column.key]
        if column.kind in ("int", "people", "money") and not column.labels:
            frame[column.key] = values.astype("Int64")
        elif column.kind in ("share", "number") and not column.labels:
            frame[column.key] = values.astype(float)
        elif column.kind in ("date", "datetime"):
            frame[column.key] = values.map(_iso)
    return frame


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return iso_vietnam(value)
    return value.isoformat() if isinstance(value, date) else None


def write_gpkg(path: Path, table: Table, geometry: gpd.GeoSeries, *, layer: str,
               parameters: Sequence[tuple[str, Any]], style_qml: str | None = None, lang: str = "vi") -> Path:
    """Write ``table`` with ``geometry`` as layer ``layer`` of a GeoPackage 1.2 at ``path`` (replaced)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    frame = gpd.GeoDataFrame(_plain_frame(table, lang), geometry=list(geometry.to_crs(4326)), crs=4326)
    params = [(str(k), "" if v is None else str(v)) for k, v in standard_parameters(parameters, lang)]
    pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG", dataset_options={"VERSION": GPKG_VERSION},
                            dataset_metadata={_ascii_key(k): v for k, v in params[:50]})
    pyogrio.write_dataframe(pd.DataFrame(params, columns=["key", "value"]), path, layer="metadata",
                            driver="GPKG", append=True)
    with sqlite3.connect(path) as db:
        _data_columns(db, layer, table.columns, lang)
        if style_qml:
            _layer_style(db, layer, style_qml)
    return path


def _ascii_key(text: str) -> str:
    """A GDAL metadata key: ASCII snake case ("Số liệu tính đến" -> "so_lieu_tinh_den")."""
    import re
    import unicodedata

    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_") or "key"


def _data_columns(db: sqlite3.Connection, layer: str, columns: Sequence[Column], lang: str) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
               "name TEXT, title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT, "
               "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), "
               "CONSTRAINT gdc_tn UNIQUE (table_name, name))")
    db.execute("INSERT OR IGNORE INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) "
               "VALUES (?, ?, ?, ?, ?)", _SCHEMA_EXTENSION)
    db.executemany("INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title, description) "
                   "VALUES (?, ?, ?, ?, ?)",
                   [(layer, c.key, c.header(lang), c.header(lang), c.en) for c in columns])


def _layer_style(db: sqlite3.Connection, layer: str, qml: str) -> None:
    """A QGIS ``layer_styles`` row (the table QGIS itself writes) so the layer opens with this style."""
    db.execute("CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog "
               "TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256), "
               "styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, "
               "owner TEXT(30), ui TEXT(30), update_time DATETIME DEFAULT CURRENT_TIMESTAMP)")
    db.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
               "styleName, styleQML, styleSLD, useAsDefault, description, owner) "
               "VALUES ('', '', ?, 'geometry', ?, ?, '', 1, 'phusong', 'phusong')", (layer, layer, qml))
    db.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier) "
               "VALUES ('layer_styles', 'attributes', 'layer_styles')")


def categorized_qml(field: str, categories: Sequence[tuple[str, str, str]]) -> str:
    """A QGIS style (QML) filling polygons by the value of ``field``: (value, label, #rrggbb) per category."""
    cats = "".join(f'<category render="true" symbol="{i}" value="{v}" label="{lab}"/>'
                   for i, (v, lab, _) in enumerate(categories))
    symbols = "".join(
        f'<symbol type="fill" name="{i}" alpha="0.8"><layer class="SimpleFill">'
        f'<prop k="color" v="{_rgb(c)},255"/><prop k="outline_color" v="68,68,68,255"/>'
        f'<prop k="outline_width" v="0.2"/></layer></symbol>' for i, (_, _, c) in enumerate(categories))
    return (f'<!DOCTYPE qgis PUBLIC \'http://mrcc.com/qgis.dtd\' \'SYSTEM\'><qgis version="3.28">'
            f'<renderer-v2 type="categorizedSymbol" attr="{field}"><categories>{cats}</categories>'
            f'<symbols>{symbols}</symbols></renderer-v2></qgis>')


def _rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4))


# --------------------------------------------------------------------------------------------- GeoJSON

def rfc7946_geometry(geom: Any) -> Any:
    """``geom`` snapped to 6 decimals, valid, without repeated points, outer rings counter-clockwise."""
    if geom is None or shapely.is_empty(geom):
        return None
    snapped = shapely.set_precision(geom, 10 ** -GEOJSON_DIGITS)
    snapped = shapely.remove_repeated_points(snapped)
    if not shapely.is_valid(snapped):
        snapped = shapely.make_valid(snapped)
    return shapely.orient_polygons(snapped, exterior_cw=False) if hasattr(shapely, "orient_polygons") \
        else _orient(snapped)


def _orient(geom: Any) -> Any:
    from shapely.geometry import GeometryCollection, MultiPolygon, Polygon
    from shapely.geometry.polygon import orient

    if isinstance(geom, Polygon):
        return orient(geom, 1.0)
    if isinstance(geom, MultiPolygon):
        return MultiPolygon([orient(p, 1.0) for p in geom.geoms])
    if isinstance(geom, GeometryCollection):
        return GeometryCollection([_orient(g) for g in geom.geoms])
    return geom


def _rounded(coords: Any) -> Any:
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return [round(float(c), GEOJSON_DIGITS) for c in coords]
    return [_rounded(c) for c in coords]


def _geometry_json(geom: Any) -> dict[str, Any] | None:
    fixed = rfc7946_geometry(geom)
    if fixed is None:
        return None
    doc = shapely.geometry.mapping(fixed)
    if doc["type"] == "GeometryCollection":
        return {"type": "GeometryCollection", "geometries": [_geometry_json(g) for g in fixed.geoms]}
    return {"type": doc["type"], "coordinates": _rounded(doc["coordinates"])}


def write_geojson(path: Path, table: Table, geometry: gpd.GeoSeries, *, parameters: Sequence[tuple[str, Any]],
                  lang: str = "vi") -> Path:
    """Write an RFC 7946 FeatureCollection; the parameters go in a foreign member ``metadata``."""
    frame = _plain_frame(table, lang)
    features = []
    for props, geom in zip(frame.to_dict("records"), geometry.to_crs(4326), strict=True):
        clean = {k: (None if v is pd.NA or (isinstance(v, float) and v != v) else v) for k, v in props.items()}
        features.append({"type": "Feature", "properties": clean, "geometry": _geometry_json(geom)})
    meta = {str(k): (_iso(v) if isinstance(v, (date, datetime)) else v)
            for k, v in standard_parameters(parameters, lang)}
    doc = {"type": "FeatureCollection", "features": features, "metadata": meta}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, default=_json_default), encoding="utf-8")
    return path


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)
