"""Security headers on every response (issue 14 item 7): a Content-Security-Policy of this site only, no framing,
no MIME sniffing, no referrer to other sites, and geolocation and camera for this site alone.

Dash's index page carries inline scripts (the renderer's start, the clientside callbacks, a notice for old
browsers): they are allowed by their SHA-256 hashes, taken from the page as sent, never by 'unsafe-inline'.
Styles keep 'unsafe-inline': React and the map set style attributes, and a style cannot run code. The standalone
map (/download/map.html) is a file to save and open from disk, sent as an attachment: these headers do not apply
to it there.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

import flask
from dash import Dash

from sql.settings import get_settings

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", re.S)
STATIC_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(self), camera=(self), microphone=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def content_security_policy(script_hashes: list[str], tile_url: str | None = None) -> str:
    """The policy: everything from this site; inline scripts only by hash; images also from the tile server."""
    tiles = _origin(tile_url)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *([tiles] if tiles else [])],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _origin(url: str | None) -> str | None:
    """scheme://host[:port] of a tile URL template such as https://tile.example.org/{z}/{x}/{y}.png."""
    if not url:
        return None
    parts = urlsplit(url.replace("{s}.", ""))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def inline_script_hashes(page: str) -> list[str]:
    """The CSP hashes of a page's inline scripts (those without src that a browser runs: not JSON data)."""
    return [f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
            for body in _INLINE_SCRIPT.findall(page)]


def install(app: Dash) -> None:
    """Add the headers to every response of ``app``'s server."""

    def add_headers(response: flask.Response) -> flask.Response:
        hashes: list[str] = []
        # Dash's index page: its inline scripts (the renderer's start, the clientside callbacks, the old-browser
        # notice) are hashed from the page itself, so the policy always matches what was sent.
        if response.mimetype == "text/html" and not response.direct_passthrough \
                and "Content-Encoding" not in response.headers:
            hashes = inline_script_hashes(response.get_data(as_text=True))
        response.headers["Content-Security-Policy"] = content_security_policy(hashes, get_settings().online_tile_url)
        for name, value in STATIC_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    app.server.after_request(add_headers)
