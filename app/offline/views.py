"""Routes of the offline page. The page and its files carry no data (the service worker keeps them for use
without signal); the pack and the sync check role and scope, and the sync is a same-origin POST with the
session's CSRF token (sent to the page in the pack's X-CSRF-Token header), like every Flask form of the app."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

import flask

from analysis.outputs.web_map import LEAFLET_DIR
from app.auth import AccessDenied, audit_event, client_address, csrf_token, require
from app.offline.pack import PackRefused, build_pack, pack_communes
from app.offline.sync import INSPECTING_ROLES, parse_batch, sync_batch
from etl.inspection_writes import InspectionInputError
from sql.engine import connect

STATIC = Path(__file__).resolve().parent / "static"
LEAFLET = LEAFLET_DIR  # the one vendored Leaflet, shared with the standalone map
BASE = "/thuc-dia"
bp = flask.Blueprint("offline", __name__)


def install(server: flask.Flask) -> None:
    server.register_blueprint(bp)


@cache
def shell_version() -> str:
    """A hash of the page's files: a new one makes the browser install the new service worker and its cache."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


@bp.get(f"{BASE}/")
def page() -> Any:
    require(*INSPECTING_ROLES)
    return _static("index.html", "text/html; charset=utf-8")


@bp.get(f"{BASE}/sw.js")
def service_worker() -> Any:
    """The service worker at the page's own path (its scope is /thuc-dia/), stamped with the files' version."""
    text = (STATIC / "sw.js").read_text(encoding="utf-8").replace("__VERSION__", shell_version())
    response = flask.Response(text, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get(f"{BASE}/manifest.webmanifest")
def manifest() -> Any:
    return _static("manifest.webmanifest", "application/manifest+json")


@bp.get(f"{BASE}/static/<path:name>")
def static_file(name: str) -> Any:
    if name.startswith("leaflet/"):
        return flask.send_from_directory(LEAFLET, name.removeprefix("leaflet/"), max_age=0)
    return flask.send_from_directory(STATIC, name, max_age=0)


def _static(name: str, mimetype: str) -> Any:
    response = flask.send_from_directory(STATIC, name, mimetype=mimetype, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get(f"{BASE}/api/pack")
def pack() -> Any:
    """The area pack: 304 when the phone has this version already (If-None-Match); gzip on the wire."""
    user = require(*INSPECTING_ROLES)
    asked = [c.strip() for c in flask.request.args.get("communes", "").split(",") if c.strip()]
    try:
        codes = pack_communes(user, asked)
    except PackRefused as exc:
        return flask.jsonify({"error": str(exc)}), 400
    body, version = build_pack(user, codes)
    etag = f'"pack-{version}"'
    seen = flask.request.headers.get("If-None-Match", "")
    response = flask.Response(status=304) if f"pack-{version}" in seen else flask.Response(
        body, mimetype="application/json")
    response.headers.update({"ETag": etag, "Cache-Control": "private, no-cache", "X-Pack-Version": version,
                             "X-CSRF-Token": csrf_token(), "Vary": "Cookie"})
    return response


@bp.post(f"{BASE}/api/sync")
def sync() -> Any:
    """Store the inspections sent (each once); answer each one's outcome. CSRF: app.auth checked the same-origin
    headers and the form's csrf_token before this runs."""
    user = require(*INSPECTING_ROLES)
    try:
        items = parse_batch(flask.request.form.get("inspections", ""), flask.request.files)
        return flask.jsonify(sync_batch(user, items))
    except InspectionInputError as exc:
        return flask.jsonify({"error": str(exc)}), 400
    except AccessDenied as exc:
        refused = getattr(exc, "refused", [])
        with connect() as conn:
            audit_event(conn, user.name, "refused", "request", flask.request.path, client_address(),
                        {"status": 403, "detail": str(exc)[:300], "refused": refused[:50]})
        return flask.jsonify({"error": str(exc), "refused": refused}), 403
