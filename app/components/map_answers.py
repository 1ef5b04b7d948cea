"""The coverage map's communes as answers the web processes share (issue 22). Moving the map was the hottest
planner callback: each move read the communes' GeoJSON from PostGIS, decoded it and judged every commune of the
scope under each NTM rule set — about nine tenths of the web processes' time under bench.mixed_load.

Now two answers, each made once per version and kept (app/shared_answers.py):
- the outlines (code, name, province, simplified geometry) per scope and view — zoom level, province, and past
  zoom 9 the envelope snapped to a grid so nearby views ask the same — under the boundaries' version;
- the classes, shares and verdicts of the whole scope under the coverage version (every recompute changes it).
A request joins the two (a few milliseconds for the 3,321 communes).

The browser does not get the communes through the communes callback (Dash's encoder and the response's compression
cost ~0.1 s of CPU for each 1.5-3 MB answer): the callback gives it two URLs (``communes_urls``), which
app/map_data.py serves encoded and gzipped once per version, with an ETag (asked again: 304 without a body):
- the view's outlines, named by the view and the boundaries' version only (``outlines_gzip``): a recompute does not
  touch them, so the browser keeps them (app/assets/phusong_map.js) and never asks for them again;
- the classes of the user's whole scope, named by the coverage version (``classes_gzip``, ~30 kB gzipped for the
  country): the one answer every view of a scope shares, made once per version instead of once per view.
The browser joins the two as ``map_communes`` does (the same properties per commune). Under bench.mixed_load the
coverage version moves every second or so (each save is recomputed at once): with the classes and outlines in one
answer per view, every new version had each process join, encode and gzip every view asked again (~0.1 s each)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import orjson

from app import province_parts
from app.auth import User
from app.components.common import map_binds
from app.live_gis.pages import gzipped
from app.province_parts import current_tag, scope_parts
from app.shared_answers import answer, data_version, scope_key
from sql import queries
from sql.engine import connect
from sql.errors import InputRefused

EMPTY: dict[str, Any] = {"type": "FeatureCollection", "features": []}
COMMUNES_ROUTE = "/map-data/communes.geojson"  # the outlines of a view (the name the browser has always asked)
CLASSES_ROUTE = "/map-data/classes.json"  # the classes, shares and verdicts of the user's scope
MAP_ROLES = ("planner", "budget", "admin", "inspector")  # the coverage map's roles (its page, callbacks and data)
_VIEW_KEYS = ("province", "zoom_level", "tolerance", "decimals", "xmin", "ymin", "xmax", "ymax")


def map_communes(user: User, *, province: str | None = None, zoom: float | None = None,
                 bounds: Sequence[Sequence[float]] | None = None) -> dict[str, Any]:
    """The communes the user may see in this view as GeoJSON, with class, share reached and ``pass_<set>`` per
    NTM rule set (null: not analysed)."""
    binds = map_binds(user, province=province, zoom=zoom, bounds=bounds, snap=True)
    with connect() as conn:
        version = data_version(conn)  # before the data it keys (sql/queries/data_version.sql)
    return _joined(user, binds, version.boundaries)


def _joined(user: User, binds: dict[str, Any], boundaries: int) -> dict[str, Any]:
    outlines = _outlines_of(user, binds, boundaries)
    if not outlines["features"]:
        return EMPTY
    classes = province_parts.classes(scope_parts(user))
    blank = dict.fromkeys(classes["fields"])
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": f["geometry"],
         "properties": {**f["properties"], **classes["by_code"].get(f["properties"]["code"], blank)}}
        for f in outlines["features"]]}


def _outlines_of(user: User, binds: dict[str, Any], boundaries: int) -> dict[str, Any]:
    """The view's outlines under the boundaries' version ``boundaries`` (data_change, migration 0255)."""
    return answer("map_outlines", user, tuple(binds[k] for k in _VIEW_KEYS), boundaries,
                  lambda: _outlines(binds))


def communes_urls(user: User, *, province: str | None = None, zoom: float | None = None,
                  bounds: Sequence[Sequence[float]] | None = None) -> tuple[dict[str, str], int]:
    """The URLs of this view's communes for the browser (app/map_data.py) — {"outlines": the view's outlines,
    "classes": the scope's classes} — and how many communes the view holds. The outlines' URL names the detail
    level, the province, the snapped envelope (past zoom 9) and the boundaries' version; the classes' URL the
    tag of the scope's parts (app/province_parts.py): the same data is the same URL, which the browser keeps or
    asks again with its ETag. One read of the versions for both (the boundaries' among the provinces')."""
    binds = map_binds(user, province=province, zoom=zoom, bounds=bounds, snap=True)
    boundaries, tag = current_tag(user)
    count = len(_outlines_of(user, binds, boundaries)["features"])
    query: dict[str, Any] = {"zoom": 6 if zoom is None else max(4, min(16, int(zoom)))}
    if province:
        query["province"] = province
    if binds["xmin"] is not None:
        query["bbox"] = ",".join(repr(float(binds[k])) for k in ("xmin", "ymin", "xmax", "ymax"))
    query["v"] = str(boundaries)
    return {"outlines": f"{COMMUNES_ROUTE}?{urlencode(query)}",
            "classes": f"{CLASSES_ROUTE}?{urlencode({'v': tag})}"}, count


def view_binds(user: User, args: Mapping[str, str]) -> dict[str, Any]:
    """The binds of a view named by ``communes_url``'s query, for ``user``'s own scope (never the URL's word on
    whose communes): zoom (4-16), province, bbox (four finite numbers, west < east, south < north)."""
    zoom = args.get("zoom", "6")
    if not zoom.isdigit():
        raise InputRefused("zoom must be a whole number")
    binds = map_binds(user, province=args.get("province") or None, zoom=float(zoom))
    if binds["zoom_level"] is None and args.get("bbox"):
        try:
            west, south, east, north = (float(v) for v in args["bbox"].split(","))
        except ValueError as exc:
            raise InputRefused("bbox must be four numbers: west,south,east,north") from exc
        if not all(math.isfinite(v) for v in (west, south, east, north)) or west >= east or south >= north:
            raise InputRefused("bbox must be four numbers: west,south,east,north")
        binds.update(xmin=west, ymin=south, xmax=east, ymax=north)
    return binds


def outlines_gzip(user: User, binds: dict[str, Any]) -> tuple[str, bytes]:
    """(ETag, the gzipped GeoJSON of the outlines: code, name, province, geometry) of a view for ``user``'s scope
    under the current boundaries' version: encoded and packed once per version by the machine's processes."""
    with connect() as conn:
        version = data_version(conn)  # before the data it keys
    view = tuple(binds[k] for k in _VIEW_KEYS)
    return _tag("outlines", user, view, version.boundaries), answer(
        "map_outlines_gzip", user, view, version.boundaries,
        lambda: gzipped(orjson.dumps(_outlines_of(user, binds, version.boundaries))))


def classes_gzip(user: User) -> tuple[str, bytes]:
    """(ETag, the gzipped JSON {"fields": [...], "by_code": {code: {class, share, pass_<set>...}}}) of ``user``'s
    whole scope, assembled from its per-province parts (app/province_parts.py): one answer for every view of the
    scope, encoded and packed once per set of parts by the machine's processes."""
    parts = scope_parts(user)
    return _tag("classes", user, None, parts.tag), answer(
        "map_classes_gzip", user, None, parts.tag, lambda: gzipped(orjson.dumps(province_parts.classes(parts))))


def _tag(name: str, user: User, view: Hashable, version: Hashable) -> str:
    return hashlib.sha256(repr((name, scope_key(user), view, version)).encode()).hexdigest()[:32]


def _outlines(binds: dict[str, Any]) -> dict[str, Any]:
    with connect() as conn:
        if binds["zoom_level"] is not None:
            conn.execute(queries.load("fill_commune_map_geometry"),
                         {"zoom_level": binds["zoom_level"], "tolerance": binds["tolerance"]})
        return conn.execute(queries.load("map_commune_outlines_geojson"), binds).scalar() or EMPTY
