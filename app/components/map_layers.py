"""What the coverage and plan maps share (issue 21): the base layers and their switcher, the colour-blind-safe
palette, a legend for every visible layer and the facilities' identify popup.

Palette: service classes in ColorBrewer RdYlBu (3 classes: red, pale yellow, blue), share reached in ColorBrewer
YlGnBu (5 steps); both are marked colour-blind safe by ColorBrewer. Facilities are black-and-white symbols, the
status as a shape (app/assets/phusong_map.js draws the same SVG shapes), so they never compete with the fills.
"""

from __future__ import annotations

import base64
import io
from typing import Any
from urllib.parse import quote

import dash_leaflet as dl
from dash import html
from PIL import Image

from analysis import palette
from app.i18n import class_word, current_lang, fmt_date, status_word, t, type_word
from etl.basemap_tiles import BASEMAP_BOUNDS
from sql.settings import get_settings

CLASS_COLOURS: dict[str | None, str] = {**palette.CLASS_COLOURS, None: palette.NO_DATA_COLOUR}
SHARE_LEGEND = (("< 20 %", "#ffffcc"), ("20–40 %", "#a1dab4"), ("40–60 %", "#41b6c4"), ("60–80 %", "#2c7fb8"),
                ("≥ 80 %", "#253494"))
STATUS_SHAPES = {
    "operational": '<circle cx="8" cy="8" r="5.5" fill="#111" stroke="#fff" stroke-width="1.5"/>',
    "degraded": '<path d="M8 1.8 L14.2 13.6 L1.8 13.6 Z" fill="#111" stroke="#fff" stroke-width="1.3"/>',
    "broken": '<rect x="2.2" y="2.2" width="11.6" height="11.6" fill="#fff" stroke="#111" stroke-width="1.6"/>'
              '<path d="M4.5 4.5 L11.5 11.5 M11.5 4.5 L4.5 11.5" stroke="#111" stroke-width="1.6"/>',
    "decommissioned": '<circle cx="8" cy="8" r="5.2" fill="#fff" stroke="#555" stroke-width="1.6" '
                      'stroke-dasharray="2 1.6"/>',
    "planned": '<path d="M8 1.5 L14.5 8 L8 14.5 L1.5 8 Z" fill="#fff" stroke="#111" stroke-width="1.6"/>',
    "unknown": '<rect x="3" y="3" width="10" height="10" fill="#fff" stroke="#555" stroke-width="1.6" '
               'stroke-dasharray="2 1.6"/>',
}
OFFLINE_TILES = "/assets/basemap/{z}/{x}/{y}.png"
THUMB_PX = 160


def base_layers(prefix: str) -> Any:
    """The base layers with a switcher: the vendored offline map (always), a user-supplied MBTiles file
    (PHUSONG_BASEMAP_MBTILES) and the online tiles (only when allowed: PHUSONG_ONLINE_BASEMAP or TILE_URL)."""
    settings = get_settings()
    en = current_lang() == "en"
    layers = [dl.BaseLayer(dl.TileLayer(url=OFFLINE_TILES, minNativeZoom=5, maxNativeZoom=8, bounds=BASEMAP_BOUNDS,
                                        attribution="phusong · ranh giới tỉnh 2025", id=f"{prefix}-base-offline"),
                           name="Offline base map" if en else "Nền ngoại tuyến", checked=True)]
    if settings.basemap_mbtiles:
        layers.append(dl.BaseLayer(dl.TileLayer(url="/basemap/{z}/{x}/{y}.png", id=f"{prefix}-base-mbtiles"),
                                   name="MBTiles", checked=False))
    if settings.online_tile_url:
        layers.append(dl.BaseLayer(dl.TileLayer(url=settings.online_tile_url, id=f"{prefix}-base-online",
                                                attribution="© OpenStreetMap contributors"),
                                   name="OpenStreetMap (online)" if en else "OpenStreetMap (trực tuyến)",
                                   checked=False))
    layers.append(dl.BaseLayer(dl.LayerGroup(), name="No base map" if en else "Không có nền", checked=False))
    return dl.LayersControl(layers, position="topright", id=f"{prefix}-layers-control")


def symbol(status: str, size: int = 14) -> html.Img:
    """A facility status shape as a small image (data: SVG, allowed by the CSP's img-src)."""
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="{size}" height="{size}">'
           f'{STATUS_SHAPES[status]}</svg>')
    return html.Img(src="data:image/svg+xml;charset=utf-8," + quote(svg), width=size, height=size,
                    className="legend-symbol", alt="")


def _swatches(title: str, items: list[tuple[str, str]], section: str) -> html.Div:
    return html.Div([html.B(title)] + [html.Div([html.Span(className="swatch", style={"background": colour}),
                                                 label]) for label, colour in items],
                    className="legend-section", **{"data-layer": section})


def colour_legend(mode: str) -> html.Div:
    if mode == "share":
        return _swatches(t("share_reached"), list(SHARE_LEGEND), "communes")
    return _swatches(t("by_class"), [(class_word(c), CLASS_COLOURS[c])
                                     for c in ("unserved", "underserved", "served", None)], "communes")


def layer_legends(layers: list[str]) -> list[Any]:
    """A legend section for every overlay switched on (facilities, covered areas, villages)."""
    en = current_lang() == "en"
    parts: list[Any] = []
    if "facilities" in layers:
        parts.append(html.Div([html.B(t("layer_facilities"))] + [
            html.Div([symbol(code), status_word(code)]) for code in STATUS_SHAPES] + [
            html.Div([symbol("operational", 20), type_word("commune_radio_station")]),
            html.Div([symbol("operational", 12), ("Other facilities" if en else "Thiết chế khác")])],
            className="legend-section", **{"data-layer": "facilities"}))
    if "discs" in layers:
        parts.append(_swatches(t("layer_discs"), [(t("layer_discs"), "#6baed6")], "discs"))
    if "villages" in layers:
        parts.append(html.Div([html.B(t("layer_villages")),
                               html.Div([html.Span(className="ring", style={"borderColor": CLASS_COLOURS["served"]}),
                                         "Được phủ sóng" if not en else "Reached"]),
                               html.Div([html.Span(className="ring", style={"borderColor": CLASS_COLOURS["unserved"]}),
                                         "Chưa được phủ sóng" if not en else "Not reached"])],
                              className="legend-section", **{"data-layer": "villages"}))
    return parts


def thumbnail(photo: bytes | None) -> str | None:
    """A small JPEG of a photo as a data: URI (≤ THUMB_PX px), or None when there is none or it cannot be read."""
    if not photo:
        return None
    try:
        with Image.open(io.BytesIO(photo)) as image:
            image.thumbnail((THUMB_PX, THUMB_PX))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=80)
    except (OSError, ValueError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


def facility_popup(f: dict[str, Any]) -> html.Div:
    """The identify popup: name, survey code, type, status (with its symbol), last inspection, photo."""
    en = current_lang() == "en"
    thumb = thumbnail(f["photo"])
    lines = [
        html.B(f["name"] or type_word(f["type"]), id="map-facility-name"),
        html.Div(type_word(f["type"]), className="text-muted"),
        html.Div([("Survey code: " if en else "Mã khảo sát: "), html.Span(f["survey_code"] or "–",
                                                                         id="map-facility-code")]),
        html.Div([symbol(f["status"]) if f["status"] in STATUS_SHAPES else None,
                  html.Span(status_word(f["status"]), id="map-facility-status")]),
        html.Div([t("last_inspected") + ": ", html.Span(fmt_date(f["last_inspected_at"])
                                                          if f["last_inspected_at"] else t("never_inspected"),
                                                          id="map-facility-inspected")]),
        html.Div(f"{f['commune_name'] or ''} · {f['commune_code']}", className="text-muted"),
    ]
    if thumb:
        lines.append(html.Img(src=thumb, id="map-facility-photo", className="facility-thumb mt-1",
                              alt=("Photo of the last inspection" if en else "Ảnh lần kiểm tra gần nhất")))
    return html.Div(lines, className="small facility-popup", id="map-facility-popup")
