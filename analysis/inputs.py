"""What the coverage analysis reads from the database: a scope's communes, facilities and villages as frames.

``read_coverage_inputs(conn, province_code=..., commune_codes=...)`` is what analysis.store and the planner
call before :func:`analysis.assessment.assess_communes`.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Connection

from sql import queries
from sql.copy_out import copy_query_binary, copy_query_csv

# The columns of communes_for_coverage.sql, in its order, with their types (read through a binary COPY).
_COMMUNE_COLUMNS = (
    ("code", "text"),
    ("name", "text"),
    ("province_code", "text"),
    ("province_name", "text"),
    ("area_km2", "float8"),
    ("population", "float8"),
    ("population_source", "text"),
    ("commune_group", "int4"),
    ("geom_wkb", "bytea"),
)


def read_coverage_inputs(
    conn: Connection, *, province_code: str | None = None, commune_codes: list[str] | None = None
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame]:
    """Read what :func:`assess_communes` takes: (communes, facilities, villages) of a province, some
    communes, or every commune (both None)."""
    binds = {"province_code": province_code, "commune_codes": commune_codes}
    return read_communes(conn, binds), _read_facilities(conn, binds), _read_villages(conn, binds)


def read_communes(conn: Connection, binds: dict[str, Any]) -> gpd.GeoDataFrame:
    # Through a binary COPY: the 25 MB of WKB come as they are (a row fetch brings them as hex text, a CSV
    # COPY too), from the row tuples, named by the query's columns (a dict per row cost 0.05 s nationally).
    rows = copy_query_binary(conn, queries.load("communes_for_coverage"), binds, [t for _, t in _COMMUNE_COLUMNS])
    frame = pd.DataFrame(rows, columns=[name for name, _ in _COMMUNE_COLUMNS])
    geoms = shapely.from_wkb(frame.pop("geom_wkb").tolist())
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=4326)


def _read_facilities(conn: Connection, binds: dict[str, Any]) -> pd.DataFrame:
    """The facilities frame :func:`assess_communes` takes (columns of ``facilities_for_coverage``).

    Through COPY: 200,000 rows as Python objects cost 0.9 s, as CSV parsed by pandas 0.35 s. ``data_date``
    is an ISO date string.
    """
    frame = pd.read_csv(
        copy_query_csv(conn, queries.load("facilities_for_coverage"), binds),
        dtype={"type": str, "technology": str, "commune_code": str, "status": str, "data_date": str},
        true_values=["t"],
        false_values=["f"],
    )
    frame["village_id"] = frame["village_id"].astype("Int64")
    return frame


def _read_villages(conn: Connection, binds: dict[str, Any]) -> gpd.GeoDataFrame:
    rows = conn.execute(queries.load("villages_for_coverage"), binds).all()
    frame = pd.DataFrame([(r.id, r.commune_code) for r in rows], columns=["id", "commune_code"])
    geoms = shapely.from_wkb([bytes(r.geom_wkb) for r in rows]) if rows else []
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=4326), crs=4326)
