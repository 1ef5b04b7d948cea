"""Tiles answered in front of Flask (issue 19: 100 GIS clients, p95 under 100 ms; issue 22: 20 GIS clients are
most of a national deployment's requests).

A profile of one warm tile through Flask (cProfile, test client, 2,000 requests) put 3.3 ms a request into the
request context, the session cookie, the app's before/after-request hooks and the response object, and 0.45 ms
into the tile route itself. This WSGI middleware answers a tile request with a valid token right after the token
check, with the same answer the route gives (body, ETag/304, Cache-Control, the security headers): the kept tile
(`X-Cache: hit, early`) or one made now (`miss, early`: a miss spent ~2 ms of the process's CPU in Flask besides
the tile's SQL, and read the tile versions twice). Everything else goes to Flask unchanged: a request without a
token (a browser session), an unknown, revoked or expired token (Flask answers 401), a collection the role may
not read (403), a tile outside the grid (404), a tile that could not be made here (Flask tries and answers).

The token check is the same cached one (app/live_gis/tokens.py), so a revoked token stops here exactly when it
stops in the route; each use is audited the same way (one row per token, collection and minute).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from werkzeug.http import parse_etags

from app.live_gis.collections import COLLECTIONS
from app.live_gis.tiles import CACHE_CONTROL, CACHE_HEADER, MVT, tile_for, valid_tile
from app.live_gis.tokens import audit_use, authenticate_header
from app.security_headers import STATIC_HEADERS, content_security_policy
from sql.settings import get_settings

_TILE_PATH = re.compile(r"/tiles/([a-z-]{1,40})/(\d{1,2})/(\d{1,6})/(\d{1,6})\.mvt")
_log = logging.getLogger(__name__)
Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class WarmTiles:
    """WSGI middleware: a GET of a tile with a valid token is answered here; anything else goes on."""

    def __init__(self, app: Wsgi) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET" and "HTTP_AUTHORIZATION" in environ:
            match = _TILE_PATH.fullmatch(environ.get("PATH_INFO", ""))
            answer = _warm_answer(environ, *match.groups()) if match else None
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return [body]
        return self.app(environ, start_response)


def _warm_answer(environ: dict[str, Any], cid: str, z: str, x: str,
                 y: str) -> tuple[str, list[tuple[str, str]], bytes] | None:
    holder = authenticate_header(environ["HTTP_AUTHORIZATION"])
    collection = COLLECTIONS.get(cid)
    if holder is None or collection is None or not collection.readable_by(holder.user) or \
            not valid_tile(int(z), int(x), int(y)):
        return None
    try:
        (etag, body), cached = tile_for(collection, int(z), int(x), int(y), holder.user)
    except Exception:  # the database away: Flask's route tries again and answers as the app does
        _log.warning("tile %s/%s/%s/%s not made before Flask", cid, z, x, y, exc_info=True)
        return None
    audit_use(holder, service="tiles", collection=collection.id)
    headers = [("ETag", f'"{etag}"'), ("Cache-Control", CACHE_CONTROL),
               (CACHE_HEADER, "hit, early" if cached else "miss, early"),
               *_security_headers()]
    if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains(etag):
        return "304 NOT MODIFIED", headers, b""
    return "200 OK", [("Content-Type", MVT), ("Content-Length", str(len(body))), *headers], body


def _security_headers() -> list[tuple[str, str]]:
    """What app/security_headers.py adds to every response of the app (no inline scripts in a tile)."""
    return _headers_for(get_settings().online_tile_url)


@lru_cache(maxsize=4)
def _headers_for(tile_url: str | None) -> list[tuple[str, str]]:
    return [("Content-Security-Policy", content_security_policy([], tile_url)), *STATIC_HEADERS.items()]
