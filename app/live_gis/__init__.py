"""Live access for GIS clients (QGIS, GDAL, ArcGIS): OGC API – Features under /ogcapi and Mapbox vector tiles
under /tiles, authenticated by personal access tokens (or the browser's session) and limited to the user's role
and scope.

Why our own implementation of the standard's paths rather than pygeoapi or TiPg (issue 19 asks to use one
"where it fits"):

- pygeoapi's Flask blueprint reads one YAML configuration when it is imported (PYGEOAPI_CONFIG) and builds one
  provider per collection from it; its PostgreSQL provider queries a configured table with its own engine and
  knows only the property filters a client sends. There is no place to add "and only the communes of this
  token's user" per request short of writing our own provider that reads Flask's request state, i.e. our own
  data access under pygeoapi's routing, plus a second configuration of the database and the collections.
- TiPg is FastAPI on asyncpg: a second server (or an ASGI bridge inside waitress) with its own pool, and it
  publishes tables and functions of a schema as found; per-user scope would again mean our own SQL functions.

Both would leave the one thing that matters here, the scope filter, in code of ours; so the paths of OGC API –
Features Part 1 (Core, GeoJSON) are implemented exactly (app/live_gis/ogcapi.py) over six fixed queries in
sql/queries/ogc_*_items.sql whose scope and filters are bind parameters (app/live_gis/collections.py), and the
tiles come from ST_AsMVT in sql/queries/ogc_*_tile.sql (app/live_gis/tiles.py).

Authentication: ``install`` puts a hook first among the server's before-request functions. On /ogcapi and
/tiles it accepts a token (HTTP Basic with the user name and the token as password, or Bearer), else the logged-in
browser session, else answers 401 with WWW-Authenticate. A token is accepted on these paths only, never by the
rest of the app. The token's user is handed to the app's own gate (app/auth.py) as this request's user.
"""

from __future__ import annotations

from typing import Any

import flask

from app import auth
from app.auth import User
from app.live_gis.collections import COLLECTIONS, Collection
from app.live_gis.tokens import TokenHolder, audit_use, authenticate_header, refused_token

PREFIXES = ("/ogcapi", "/tiles")
REALM = 'Basic realm="phusong", charset="UTF-8", Bearer realm="phusong"'


def install(server: flask.Flask) -> None:
    """Register the /ogcapi and /tiles routes and their authentication (run before the app's own gate)."""
    from app.live_gis import ogcapi, tiles
    from app.live_gis.warm import WarmTiles

    server.before_request_funcs.setdefault(None, []).insert(0, _authenticate)
    ogcapi.register_routes(server)
    tiles.register_routes(server)
    server.wsgi_app = WarmTiles(server.wsgi_app)  # type: ignore[method-assign]


def _ours(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") or path.startswith(p + ".") for p in PREFIXES)


def _authenticate() -> Any:
    if not _ours(flask.request.path):
        return None
    header = flask.request.headers.get("Authorization")
    if header:
        holder = authenticate_header(header)
        if holder is None:
            return problem(401, "Unauthorized", refused_token(header, path=flask.request.path,
                                                              method=flask.request.method,
                                                              address=auth.client_address()))
        flask.g.live_gis_token = holder
        # What auth.current_user() returns for this request, so the app's gate lets it through.
        flask.g.phusong_user = holder.user
        return None
    if auth.current_user() is None:
        return problem(401, "Unauthorized", "send a personal access token: HTTP Basic with your user name and the "
                                            "token as password, or Authorization: Bearer TOKEN")
    return None


def request_user() -> User:
    """The user of this request (set by the hook: a token's user or the session's)."""
    user = auth.current_user()
    if user is None:  # the hook answered 401 already; kept for a route reached without it
        flask.abort(401)
    return user


def audit_read(service: str, collection: str) -> None:
    """Audit a read through a token (a browser session's reads are the app's, not a token's)."""
    holder: TokenHolder | None = flask.g.get("live_gis_token")
    if holder is not None:
        audit_use(holder, service=service, collection=collection)


def problem(status: int, code: str, description: str) -> flask.Response:
    """An OGC API exception (JSON with code and description); 401s carry WWW-Authenticate."""
    response = flask.jsonify({"code": code, "description": description})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = REALM
    return response


def readable_collection(cid: str, *, noun: str, hint: str = "") -> Collection | flask.Response:
    """The collection ``cid`` when the request's user may read it; otherwise the 404 or 403 problem to answer.

    ``noun`` names it as the client knows it ("collection" for OGC API, "tile layer" for tiles).
    """
    found = COLLECTIONS.get(cid)
    if found is None:
        return problem(404, "NotFound", f"no {noun} {cid!r}{hint}")
    if not found.readable_by(request_user()):
        return problem(403, "Forbidden", f"{noun} {cid!r} is not open to your role")
    return found
