"""The coverage map's communes as answers the web processes share (issue 22). Moving the map was the hottest
planner callback: each move read the communes' GeoJSON from PostGIS, decoded it and judged every commune of the
scope under each NTM rule set — about nine tenths of the web processes' time under bench.mixed_load.

Now two answers, each made once per version and kept (app/shared_answers.py):
- the outlines (code, name, province, simplified geometry) per scope and view — zoom level, province, and past
  zoom 9 the envelope snapped to a grid so nearby views ask the same — under the boundaries' version;
- the classes, shares and verdicts of the whole scope under the coverage version (every recompute changes it).
A request joins the two (a few milliseconds for the 3,321 communes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.auth import User, scope_binds
from app.components.common import map_binds, rows
from app.components.rules_view import scope_verdicts
from app.shared_answers import answer, data_version
from sql import queries
from sql.engine import connect

EMPTY: dict[str, Any] = {"type": "FeatureCollection", "features": []}


def map_communes(user: User, *, province: str | None = None, zoom: float | None = None,
                 bounds: Sequence[Sequence[float]] | None = None) -> dict[str, Any]:
    """The communes the user may see in this view as GeoJSON, with class, share reached and ``pass_<set>`` per
    NTM rule set (null: not analysed)."""
    binds = map_binds(user, province=province, zoom=zoom, bounds=bounds, snap=True)
    with connect() as conn:
        version = data_version(conn)  # before the data it keys (sql/queries/data_version.sql)
    view = tuple(binds[k] for k in ("province", "zoom_level", "tolerance", "decimals", "xmin", "ymin", "xmax",
                                    "ymax"))
    outlines = answer("map_outlines", user, view, version.boundaries, lambda: _outlines(binds))
    if not outlines["features"]:
        return EMPTY
    classes = answer("map_classes", user, None, version.coverage, lambda: _classes(user))
    blank = dict.fromkeys(classes["fields"])
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": f["geometry"],
         "properties": {**f["properties"], **classes["by_code"].get(f["properties"]["code"], blank)}}
        for f in outlines["features"]]}


def _outlines(binds: dict[str, Any]) -> dict[str, Any]:
    with connect() as conn:
        if binds["zoom_level"] is not None:
            conn.execute(queries.load("fill_commune_map_geometry"),
                         {"zoom_level": binds["zoom_level"], "tolerance": binds["tolerance"]})
        return conn.execute(queries.load("map_commune_outlines_geojson"), binds).scalar() or EMPTY


def _classes(user: User) -> dict[str, Any]:
    """{"fields": the property names, "by_code": code -> {class, share, pass_<set>...}} for the user's scope."""
    verdicts = scope_verdicts(user)
    fields = ["class", "share", *(f"pass_{name}" for name in verdicts)]
    by_code = {r["code"]: {"class": r["class"], "share": r["share"],
                           **{f"pass_{name}": passes.get(r["code"]) for name, passes in verdicts.items()}}
               for r in rows("map_commune_classes", scope_binds(user))}
    return {"fields": fields, "by_code": by_code}
