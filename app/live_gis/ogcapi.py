"""OGC API – Features, Part 1 (Core, GeoJSON), under /ogcapi: landing page, conformance, API definition,
collections and their items (bbox, limit/offset with next and prev links, property filters, single items).
Coordinates are CRS84 (longitude, latitude); every answer is limited to the user's role and scope."""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import flask

from app.auth import User
from app.live_gis import ahead, audit_read, pages, problem, readable_collection, request_user
from app.live_gis.collections import Collection, readable_collections
from app.live_gis.extent import scope_extent
from app.live_gis.replica import read_connect
from app.live_gis.tiles import CACHE_CONTROL, CACHE_HEADER
from sql import queries
from sql.errors import InputRefused

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
GEOJSON = "application/geo+json"
DEFAULT_LIMIT = 100
GZIP_FROM_BYTES = 1400   # below one packet gzip saves nothing
MAX_LIMIT = 10_000   # the standard lets a server cap limit; a client asking more gets this many and a next link
# Parameters every items request may carry; f picks the format (JSON only), datetime is accepted and has no
# effect because no collection has a temporal extent (Core: a collection without one ignores it).
STANDARD_PARAMS = {"limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "f"}
TRUE_WORDS, FALSE_WORDS = {"true", "1", "yes"}, {"false", "0", "no"}


class BadRequest(InputRefused):
    """A query parameter the client must fix: answered 400 with the parameter and value named."""


def register_routes(server: flask.Flask) -> None:
    server.add_url_rule("/ogcapi", "ogcapi_landing", _landing)
    server.add_url_rule("/ogcapi/", "ogcapi_landing_slash", _landing)
    server.add_url_rule("/ogcapi/conformance", "ogcapi_conformance", _conformance)
    server.add_url_rule("/ogcapi/api", "ogcapi_api", _api)
    server.add_url_rule("/ogcapi/collections", "ogcapi_collections", _collections)
    server.add_url_rule("/ogcapi/collections/<cid>", "ogcapi_collection", _collection)
    server.add_url_rule("/ogcapi/collections/<cid>/items", "ogcapi_items", _items)
    server.add_url_rule("/ogcapi/collections/<cid>/items/<fid>", "ogcapi_item", _item)


def _root() -> str:
    return flask.request.url_root.rstrip("/") + "/ogcapi"


def _json(body: Any, mimetype: str = "application/json") -> flask.Response:
    return flask.Response(json.dumps(body, ensure_ascii=False, default=str), mimetype=mimetype)


def _landing() -> flask.Response:
    root = _root()
    return _json({
        "title": "phusong — Phủ sóng thông tin cơ sở",
        "description": "OGC API – Features: communes, facilities, villages, coverage, gaps and plans, live from "
                       "PostGIS, limited to your account's scope.",
        "links": [
            {"href": root, "rel": "self", "type": "application/json", "title": "this document"},
            {"href": f"{root}/api", "rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0",
             "title": "the API definition"},
            {"href": f"{root}/conformance", "rel": "conformance", "type": "application/json",
             "title": "conformance classes"},
            {"href": f"{root}/collections", "rel": "data", "type": "application/json", "title": "collections"},
        ]})


def _conformance() -> flask.Response:
    return _json({"conformsTo": CONFORMANCE})


def _collection_body(c: Collection, extent: list[float] | None) -> dict[str, Any]:
    href = f"{_root()}/collections/{c.id}"
    tiles = flask.request.url_root.rstrip("/") + f"/tiles/{c.id}.json"
    body: dict[str, Any] = {
        "id": c.id, "title": c.title, "description": c.description, "itemType": "feature",
        "crs": [CRS84], "storageCrs": CRS84,
        "links": [
            {"href": href, "rel": "self", "type": "application/json", "title": c.title},
            {"href": f"{href}/items", "rel": "items", "type": GEOJSON, "title": c.title},
            {"href": tiles, "rel": "describedby", "type": "application/json", "title": "TileJSON (vector tiles)"},
        ]}
    if extent is not None:
        body["extent"] = {"spatial": {"bbox": [extent], "crs": CRS84}}
    return body


def _collections() -> flask.Response:
    user = request_user()
    extent = scope_extent(user)
    root = _root()
    return _json({
        "links": [{"href": f"{root}/collections", "rel": "self", "type": "application/json"}],
        "collections": [_collection_body(c, extent) for c in readable_collections(user)]})


def _readable(cid: str) -> Collection | flask.Response:
    return readable_collection(cid, noun="collection", hint=f"; see {_root()}/collections")


def _collection(cid: str) -> flask.Response:
    c = _readable(cid)
    if isinstance(c, flask.Response):
        return c
    return _json(_collection_body(c, scope_extent(request_user())))


def _items(cid: str) -> flask.Response:
    c = _readable(cid)
    if isinstance(c, flask.Response):
        return c
    try:
        binds = _item_binds(c, flask.request.args)
    except BadRequest as exc:
        return problem(400, "InvalidParameterValue", str(exc))
    args = {k: v for k, v in flask.request.args.items() if k != "offset"}
    if c.version_query is not None:
        return _kept_items(c, args, binds["offset"])
    parts, _ = _page_parts(c, _root(), args, binds, request_user())
    audit_read("ogcapi", c.id)
    return _geojson(parts)


def _kept_items(c: Collection, args: dict[str, str], offset: int) -> flask.Response:
    """An items page of a collection with a data version, from the pages kept gzipped (app/live_gis/pages.py)."""
    version = pages.data_version(c.version_query or "")
    request = pages.PageRequest(c, _root(), tuple(sorted(args.items())), offset, request_user(), version)
    if flask.request.if_none_match.contains_weak(request.etag()):
        audit_read("ogcapi", c.id)
        return _kept_answer(flask.Response(status=304), request.etag(), "hit")
    if flask.request.cache_control.only_if_cached and pages.kept(request) is None:
        # RFC 9111 5.2.1.7: a client asking only for a kept answer gets one or a 504 (nothing is made for it).
        return problem(504, "NotKept", "this page is not made yet; ask again without only-if-cached")
    ahead.asked(request, _make_page)
    (etag, gzipped, _), kept = pages.page(request, _make_page)
    audit_read("ogcapi", c.id)
    if "gzip" in flask.request.headers.get("Accept-Encoding", "").lower():
        response = flask.Response(gzipped, mimetype=GEOJSON)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = flask.Response(pages.unpacked(gzipped), mimetype=GEOJSON)
    return _kept_answer(response, etag, "hit" if kept else "miss")


def _kept_answer(response: flask.Response, etag: str, cache: str) -> flask.Response:
    # Weak: the gzipped and the plain answer are the same page (RFC 9110 8.8.1), so either one's ETag matches.
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers[CACHE_HEADER] = cache
    response.vary.add("Accept-Encoding")
    return response


def _make_page(request: pages.PageRequest) -> tuple[list[bytes], int | None]:
    """pages.Maker: the page the request names, outside any Flask request (also made ahead in the background)."""
    args = dict(request.args)
    binds = _item_binds(request.collection, {**args, "offset": str(request.offset)})
    return _page_parts(request.collection, request.root, args, binds, request.user)


def _page_parts(c: Collection, root: str, args: dict[str, str], binds: dict[str, Any],
                user: User) -> tuple[list[bytes], int | None]:
    """The FeatureCollection of one page as parts, and the offset of the next page (None on the last)."""
    matched, features = _run(c, binds, user)
    limit, offset = binds["limit"], binds["offset"]
    returned = max(0, min(limit, matched - offset))
    next_offset = offset + limit if offset + returned < matched else None
    return _feature_collection(c, root, args, binds, matched, returned, features), next_offset


def _item(cid: str, fid: str) -> flask.Response:
    c = _readable(cid)
    if isinstance(c, flask.Response):
        return c
    if c.numeric_id and not fid.isdigit():
        return problem(404, "NotFound", f"no feature {fid!r} in {cid!r}")
    binds = _empty_binds(c) | {"fid": fid, "limit": 1, "offset": 0}
    matched, features = _run(c, binds, request_user())
    audit_read("ogcapi", c.id)
    if not matched:
        # Outside the user's scope looks the same as absent: the id tells nothing about what exists elsewhere.
        return problem(404, "NotFound", f"no feature {fid!r} in {cid!r}")
    feature = features[1:-1]  # the one feature of the JSON array, as PostgreSQL wrote it
    href = f"{_root()}/collections/{c.id}"
    links = json.dumps([{"href": f"{href}/items/{fid}", "rel": "self", "type": GEOJSON},
                        {"href": href, "rel": "collection", "type": "application/json"}])
    return flask.Response(feature[:-1] + f', "links": {links}}}', mimetype=GEOJSON)


def _run(c: Collection, binds: dict[str, Any], user: User) -> tuple[int, str]:
    binds = binds | {"whole_country": user.whole_country, "scope": list(user.scope_codes),
                     "simplify_deg": c.simplify_deg}
    with read_connect() as conn:
        row = conn.execute(queries.load(c.items_query), binds).one()
    return int(row.matched), row.features


def _empty_binds(c: Collection) -> dict[str, Any]:
    return {"fid": None, "xmin": None, "ymin": None, "xmax": None, "ymax": None} | {k: None for k in c.filters}


def _item_binds(c: Collection, args: Any) -> dict[str, Any]:
    """Bind values from the query string; a BadRequest names the parameter and value it refuses."""
    unknown = sorted(set(args) - STANDARD_PARAMS - set(c.filters))
    if unknown:
        raise BadRequest(f"unknown parameter {unknown[0]!r}: {c.id} filters on "
                         f"{', '.join(sorted(c.filters))}; also limit, offset, bbox")
    if args.get("f", "json") not in ("json", "geojson"):
        raise BadRequest(f"f={args['f']!r}: only json (GeoJSON) is offered")
    for name in ("crs", "bbox-crs"):
        if args.get(name, CRS84) != CRS84:
            raise BadRequest(f"{name}={args[name]!r}: only {CRS84} is offered")
    binds = _empty_binds(c) | {"limit": min(_integer(args, "limit", DEFAULT_LIMIT, 1), MAX_LIMIT),
                               "offset": _integer(args, "offset", 0, 0)}
    if "bbox" in args:
        binds.update(zip(("xmin", "ymin", "xmax", "ymax"), _bbox(args["bbox"]), strict=True))
    for name, kind in c.filters.items():
        if name in args:
            binds[name] = _boolean(name, args[name]) if kind == "bool" else args[name]
    return binds


def _integer(args: Any, name: str, default: int, lowest: int) -> int:
    text = args.get(name)
    if text is None:
        return default
    if not text.isdigit() or int(text) < lowest:
        raise BadRequest(f"{name}={text!r}: expected a whole number of at least {lowest}")
    return int(text)


def _bbox(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values) or values[1] > values[3]:
        raise BadRequest(f"bbox={text!r}: expected four numbers lon_min,lat_min,lon_max,lat_max")
    return values


def _boolean(name: str, text: str) -> bool:
    if text.lower() in TRUE_WORDS | FALSE_WORDS:
        return text.lower() in TRUE_WORDS
    raise BadRequest(f"{name}={text!r}: expected true or false")


def _page_href(c: Collection, root: str, args: dict[str, str], offset: int) -> str:
    return f"{root}/collections/{c.id}/items?{urlencode({**args, 'offset': str(offset)})}"


def _feature_collection(c: Collection, root: str, args: dict[str, str], binds: dict[str, Any], matched: int,
                        returned: int, features: str) -> list[bytes]:
    """The FeatureCollection around the features PostgreSQL wrote as JSON text (not parsed again here), as
    parts; ``args`` are the request's query parameters but offset."""
    limit, offset = binds["limit"], binds["offset"]
    links = [{"href": _page_href(c, root, args, offset), "rel": "self", "type": GEOJSON, "title": "this page"},
             {"href": f"{root}/collections/{c.id}", "rel": "collection", "type": "application/json"}]
    if offset + returned < matched:
        links.append({"href": _page_href(c, root, args, offset + limit), "rel": "next", "type": GEOJSON,
                      "title": "next page"})
    if offset > 0:
        links.append({"href": _page_href(c, root, args, max(0, offset - limit)), "rel": "prev", "type": GEOJSON,
                      "title": "previous page"})
    head = json.dumps({"type": "FeatureCollection", "numberMatched": matched, "numberReturned": returned,
                       "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                       "links": links}, ensure_ascii=False)
    return [(head[:-1] + ', "features": ').encode(), features.encode(), b"}"]


def _geojson(parts: list[bytes]) -> flask.Response:
    """A GeoJSON answer of ``parts`` (sent one after another, never joined into one more copy), gzipped on the
    way out when the client accepts it (GDAL and QGIS do; a national page of 10 MB travels as about 3 MB)."""
    size = sum(len(p) for p in parts)
    if size < GZIP_FROM_BYTES or "gzip" not in flask.request.headers.get("Accept-Encoding", "").lower():
        response = flask.Response(parts, mimetype=GEOJSON)
    else:
        response = flask.Response(_gzipped(parts), mimetype=GEOJSON)
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def _gzipped(parts: list[bytes]) -> Iterator[bytes]:
    """gzip of ``parts`` a megabyte at a time, at level 1: the client receives (and unpacks) the first megabyte
    while the server packs the next; level 1 packs national GeoJSON to 31 % at a fifth of level 6's time."""
    packer = zlib.compressobj(level=pages.GZIP_LEVEL, wbits=31)
    for part in parts:
        yield from filter(None, (packer.compress(chunk) for chunk in pages.in_chunks(part)))
    yield packer.flush()


def _api() -> flask.Response:
    """A small OpenAPI 3.0 definition of these paths (the landing page's service-desc)."""
    root = _root()
    # limit's bounds as the standard's OpenAPI fragment for it declares them (GDAL 3.12's OAPIF driver still
    # pages by 1,000 with them: one page of 20 for the schema, then 1,000 at a time).
    limit = {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}
    params = [{"name": n, "in": "query", "required": False, "schema": schema} for n, schema in (
        ("limit", limit), ("offset", {"type": "integer", "minimum": 0}), ("bbox", {"type": "string"}))]
    paths: dict[str, Any] = {
        "/": {"get": {"summary": "landing page", "responses": {"200": {"description": "links"}}}},
        "/conformance": {"get": {"summary": "conformance classes", "responses": {"200": {"description": "list"}}}},
        "/collections": {"get": {"summary": "collections", "responses": {"200": {"description": "list"}}}},
    }
    for c in readable_collections(request_user()):
        filters = [{"name": n, "in": "query", "required": False, "schema": {"type": "boolean" if k == "bool"
                                                                           else "string"}}
                   for n, k in c.filters.items()]
        paths[f"/collections/{c.id}"] = {"get": {"summary": c.title, "responses": {"200": {"description": "it"}}}}
        paths[f"/collections/{c.id}/items"] = {"get": {"summary": c.description, "parameters": params + filters,
                                                       "responses": {"200": {"description": "GeoJSON"}}}}
        paths[f"/collections/{c.id}/items/{{featureId}}"] = {"get": {
            "summary": "one feature", "parameters": [{"name": "featureId", "in": "path", "required": True,
                                                      "schema": {"type": "string"}}],
            "responses": {"200": {"description": "GeoJSON"}, "404": {"description": "no such feature"}}}}
    return _json({"openapi": "3.0.3", "info": {"title": "phusong OGC API – Features", "version": "1.0"},
                  "servers": [{"url": root}], "paths": paths}, "application/vnd.oai.openapi+json;version=3.0")
