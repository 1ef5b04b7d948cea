"""The coverage map's communes as GETs the browser's clientside callback fetches (issue 22, mixed load).

``/map-data/communes.geojson?zoom=..&province=..&bbox=..&v=..``: the outlines of one view, and
``/map-data/classes.json?v=..``: the classes, shares and NTM verdicts of every commune of the scope — both for the
logged-in user's own scope and role (as the map's callbacks check them), never for whatever the URL says: ``v``
only makes a new URL when the data changed. Each answer is gzipped once per data version
(app/components/map_answers.py) and sent with an ETag and ``Cache-Control: private, no-cache``: the browser asks
again with If-None-Match and gets 304 (app/assets/phusong_map.js keeps the outlines and joins the two).
"""

from __future__ import annotations

import zlib

import flask

from app.auth import require, scope_binds
from app.components.common import rows
from app.components.map_answers import (
    CLASSES_ROUTE,
    COMMUNES_ROUTE,
    MAP_ROLES,
    classes_gzip,
    outlines_gzip,
    view_binds,
)
from sql.errors import NotAllowed


def install(server: flask.Flask) -> None:
    server.add_url_rule(COMMUNES_ROUTE, "map_communes_geojson", _communes)
    server.add_url_rule(CLASSES_ROUTE, "map_communes_classes", _classes)


def _communes() -> flask.Response:
    user = require(*MAP_ROLES)
    province = flask.request.args.get("province") or None
    if province and not user.whole_country and province not in {
            r["code"] for r in rows("provinces_in_scope", scope_binds(user))}:
        raise NotAllowed(f"{user.name}: province {province} outside their scope")
    tag, packed = outlines_gzip(user, view_binds(user, flask.request.args))
    return _packed(tag, packed, "application/geo+json")


def _classes() -> flask.Response:
    tag, packed = classes_gzip(require(*MAP_ROLES))
    return _packed(tag, packed, "application/json")


def _packed(tag: str, packed: bytes, mimetype: str) -> flask.Response:
    """A gzipped answer as it is (or unpacked for a client without gzip), with its ETag: 304 when unchanged."""
    gzip_ok = "gzip" in (flask.request.headers.get("Accept-Encoding") or "")
    response = flask.Response(packed if gzip_ok else zlib.decompress(packed, wbits=31),
                              mimetype=mimetype)
    if gzip_ok:
        response.headers["Content-Encoding"] = "gzip"  # flask-compress leaves an encoded answer as it is
    response.headers["Vary"] = "Accept-Encoding, Cookie"
    response.headers["Cache-Control"] = "private, no-cache"  # asked again each time: the session is checked
    response.set_etag(tag)
    return response.make_conditional(flask.request)
