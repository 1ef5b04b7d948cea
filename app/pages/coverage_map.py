"""Bản đồ phủ sóng: the loaded communes on a map (no tile server unless PHUSONG_TILE_URL is set)."""

from __future__ import annotations

from typing import Any

import dash
import dash_leaflet as dl
from dash import html

from sql import queries
from sql.engine import connect
from sql.settings import get_settings

dash.register_page(__name__, path="/", name="Bản đồ phủ sóng", title="Bản đồ phủ sóng — phusong")

# Simplify for the whole-map view: ~0.001° (≈ 100 m) is below a pixel at province zoom.
SIMPLIFY_DEGREES = 0.001


def communes_geojson() -> dict[str, Any]:
    """Return the 2025 communes as a GeoJSON FeatureCollection with code, name and province."""
    with connect() as conn:
        collection = conn.execute(queries.load("commune_polygons_geojson"),
                                  {"tolerance": SIMPLIFY_DEGREES}).scalar_one()
    return collection or {"type": "FeatureCollection", "features": []}


def layout(**_: Any) -> html.Div:
    settings = get_settings()
    collection = communes_geojson()
    children: list[Any] = []
    if settings.tile_url:
        children.append(dl.TileLayer(url=settings.tile_url))
    children.append(dl.GeoJSON(
        data=collection, id="map-communes",
        style={"color": "#1f4e79", "weight": 1, "fillColor": "#9ecae1", "fillOpacity": 0.5},
        hoverStyle={"weight": 3, "color": "#c0392b"},
    ))
    bounds = _bounds(collection)
    count = len(collection["features"])
    return html.Div([
        html.H4("Bản đồ phủ sóng", className="mb-1"),
        html.P(f"{count:,} xã/phường/đặc khu đã nạp".replace(",", "."), id="map-commune-count",
               className="text-muted small mb-2"),
        dl.Map(children, id="map", bounds=bounds, style={"height": "75vh", "background": "#f4f6f8"}),
    ])


def _bounds(collection: dict[str, Any]) -> list[list[float]]:
    bbox = collection.get("bbox")
    if not bbox:
        return [[8.2, 102.1], [23.4, 109.5]]  # Viet Nam
    return [[bbox[1], bbox[0]], [bbox[3], bbox[2]]]
