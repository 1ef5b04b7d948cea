"""Downloads (exports, reports, standalone map) as Flask routes under /download/, each checked for role and scope."""

from __future__ import annotations

import flask


def install(server: flask.Flask) -> None:
    """Register the download routes (filled in by app/exports.py)."""
    from app import exports, inspection_files

    exports.register_routes(server)
    inspection_files.register_routes(server)  # an inspection's photo, the Kobo/ODK form (issue 21)
