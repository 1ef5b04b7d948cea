"""Exports: gap analysis and scenarios as XLSX/CSV/GeoPackage, a PDF report and a standalone HTML map."""

from __future__ import annotations

import flask


def register_routes(server: flask.Flask) -> None:
    """Nothing yet."""
