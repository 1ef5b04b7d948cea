"""The floor of bench.live_gis: a WSGI app that answers every request with 34 kB of bytes (a zoom-8 national tile's
size) and does nothing else, served by the same gunicorn settings as `phusong serve --workers 2 --threads 16`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

BODY = b"\0" * 34_000


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "application/vnd.mapbox-vector-tile"),
                              ("Content-Length", str(len(BODY)))])
    return [BODY]
