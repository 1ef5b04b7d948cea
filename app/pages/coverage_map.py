"""Bản đồ phủ sóng: communes coloured by service class or share reached, facilities, covered areas, villages,
filters, a commune search and a panel with the commune's figures and 8.3 verdict.

Speed of the national view (3,321 communes): the communes come as one GeoJSON simplified to half a screen pixel
at the current zoom (``tolerance_for_zoom``) and drawn on a canvas; past zoom 9 only the communes in view are
sent. bench/map_paint.py measures it against vector tiles (ST_AsMVT) and the reasons for the choice are there.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import dash
import dash_bootstrap_components as dbc
import dash_leaflet as dl
import numpy as np
import pandas as pd
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

from analysis.gaps import score_gap_priority
from app.auth import User, current_user, require, scope_binds
from app.components.common import (
    EMPTY_COLLECTION,
    VIETNAM_BOUNDS,
    VIEW_ONLY_FROM_ZOOM,
    gate,
    map_binds,
    map_view,
    overdue_link,
    rows,
    scalar,
    zoom_for_bounds,
)
from app.components.coverage_views import (
    commune_panel,
    commune_table,
    folding_legend,
    map_filters,
    table_columns,
    table_row,
)
from app.components.map_answers import MAP_ROLES, communes_urls
from app.components.map_layers import base_layers, colour_legend, facility_popup, layer_legends
from app.components.rules_view import legend, panel_verdicts, summary_badge
from app.dash_json import to_json
from app.i18n import (
    class_word,
    current_lang,
    fmt_int,
)
from app.province_parts import passing, scope_parts
from app.refresh_text import current_coverage_version, stale_alert
from app.shared_answers import answer
from etl.names import fold_place_name
from sql import queries
from sql.engine import connect
from sql.safe_cells import csv_frame

ROLES = MAP_ROLES  # in one place with the map's data routes (app/map_data.py)
dash.register_page(__name__, path="/", name="Bản đồ phủ sóng", title="Bản đồ phủ sóng — phusong",
                   label_key="page_map", roles=ROLES, order=0)

FACILITY_LIMIT = 20_000
POLL_MS = 1_500  # a recompute after a save lands within ~0.1 s: the open map shows it within ~2 s
VERSION_KEPT_S = 0.5  # how long a process answers the polls with the version it read (coverage_version_kept)
_version_kept: tuple[float, list[int]] | None = None
VILLAGE_LIMIT = 5_000
PANELS_KEPT = 512  # commune panels this process keeps, by what they are made of (_panel_of)
_panels: OrderedDict[Hashable, Any] = OrderedDict()
_panels_lock = threading.Lock()


def layout(**_: Any) -> Any:
    user = current_user()
    refused = gate(user, ROLES)
    if refused or user is None:
        return refused
    provinces = rows("provinces_in_scope", scope_binds(user))
    bounds = _initial_bounds(user)
    zoom = zoom_for_bounds(bounds)
    urls, count = communes_urls(user, zoom=zoom)
    children: list[Any] = [
        base_layers("map"),
        # Filled in the browser from map-communes-url's outlines and classes (app/map_data.py; the clientside
        # callback at the end joins them).
        dl.GeoJSON(data=EMPTY_COLLECTION, id="map-communes", style={"variable": "phusong.map.communeStyle"},
                   onEachFeature={"variable": "phusong.map.communeTooltip"},
                   hideout=_hideout("class", None), zoomToBoundsOnClick=False),
        dl.GeoJSON(data=EMPTY_COLLECTION, id="map-discs", style={"variable": "phusong.map.discStyle"},
                   interactive=False),
        dl.GeoJSON(data=EMPTY_COLLECTION, id="map-villages", pointToLayer={"variable": "phusong.map.villagePoint"}),
        dl.GeoJSON(data=EMPTY_COLLECTION, id="map-facilities", cluster=True, zoomToBoundsOnClick=True,
                   pointToLayer={"variable": "phusong.map.facilityPoint"},
                   clusterToLayer={"variable": "phusong.map.facilityCluster"},
                   superClusterOptions={"radius": 60, "maxZoom": 13}),
        dl.GeoJSON(data=EMPTY_COLLECTION, id="map-labels", interactive=False,
                   pointToLayer={"variable": "phusong.map.communeLabel"}),
        dl.ScaleControl(position="bottomright", imperial=False),
    ]
    en = current_lang() == "en"
    return dbc.Row([
        dbc.Col([html.Div(dbc.Button("✕", id="map-filters-close", size="sm", color="link",
                                     title="Close" if en else "Đóng"), className="d-md-none text-end"),
                 map_filters(provinces)], md=3, lg=2, className="mb-2 map-filters", id="map-filters"),
        dbc.Col([html.Div([
            dbc.Button("☰ " + ("Filters" if en else "Bộ lọc"), id="map-filters-open", size="sm", color="secondary",
                       outline=True, className="d-md-none mb-1"),
            html.Div(stale_alert(id="map-stale-alert"), id="map-stale"),
            html.Div([html.Span(_hint(count), className="text-muted small me-2", id="map-commune-count"),
                      overdue_link(user)], className="d-flex justify-content-between align-items-center"),
            html.Div(id="map-rules-count", className="mb-1"),
            html.Div([
                dl.Map(children, id="map-main", **map_view(bounds), preferCanvas=True, minZoom=4, maxZoom=17,
                       style={"height": "60vh", "background": "#e9eef2"}),
                html.Div([dbc.Button("✕", id="map-facility-close", size="sm", color="link",
                                     className="float-end p-0"), html.Div(id="map-facility-body")],
                         id="map-facility-info", className="map-identify", hidden=True),
                folding_legend(_legend("class", ["facilities"])),
            ], className="map-wrap"),
        ]), commune_table()], md=6, lg=7),
        dbc.Col([html.Div(dbc.Button("✕", id="map-sheet-close", size="sm", color="link",
                                     title="Close" if en else "Đóng"), className="d-md-none text-end sheet-handle"),
                 html.Div(html.P(_panel_hint(), className="text-muted small"), id="map-panel",
                          className="commune-panel")], md=3, lg=3, id="map-sheet", className="map-sheet"),
        dcc.Store(id="map-selected"),
        dcc.Store(id="map-detail-zoom", data=zoom),
        dcc.Store(id="map-communes-url", data=urls),
        # Redraw when the coverage worker has stored new figures (issue 15): a cheap version polled, no reload.
        dcc.Store(id="map-coverage-version", data=current_coverage_version()),
        dcc.Interval(id="map-coverage-poll", interval=POLL_MS),
    ], className="g-2")


def _hint(communes: int) -> str:
    count = fmt_int(communes)
    return f"{count} communes on the map" if current_lang() == "en" else f"{count} xã/phường/đặc khu trên bản đồ"


def _panel_hint() -> str:
    if current_lang() == "en":
        return "Click a commune on the map or search for it by name."
    return "Bấm vào một xã trên bản đồ hoặc tìm theo tên."


def _initial_bounds(user: User) -> list[list[float]]:
    extent = rows("map_scope_extent", scope_binds(user))
    if extent and extent[0]["xmin"] is not None:
        e = extent[0]
        return [[e["ymin"], e["xmin"]], [e["ymax"], e["xmax"]]]
    return VIETNAM_BOUNDS


def _legend(mode: str, layers: list[str]) -> list[Any]:
    """A legend for every visible layer: the communes' colouring, then each overlay switched on."""
    communes = (html.Div(legend(mode.removeprefix("rules:")), className="legend-section",
                         **{"data-layer": "communes"}) if mode.startswith("rules:") else colour_legend(mode))
    return [communes, *layer_legends(layers)]


@callback(Output("map-coverage-version", "data"), Output("map-stale", "children"),
          Input("map-coverage-poll", "n_intervals"), State("map-coverage-version", "data"),
          State("map-province", "value"), prevent_initial_call=True)
def follow_coverage(_n: int, shown: list[int] | None, province: str | None) -> Any:
    """Tell the map when stored coverage changed (a recompute, or a change waiting for one)."""
    require(*ROLES)
    version = coverage_version_kept()
    if version == shown:
        return no_update, no_update
    return version, stale_alert(province, id="map-stale-alert")


def coverage_version_kept() -> list[int]:
    """The coverage version as this process read it less than ``VERSION_KEPT_S`` ago, or read now: every open map
    polls it every ``POLL_MS`` (300 planners: 200 polls a second), and a version a poll late is shown 0.5 s later."""
    global _version_kept
    now, kept = time.monotonic(), _version_kept
    if kept is not None and now - kept[0] < VERSION_KEPT_S:
        return kept[1]
    version = current_coverage_version()
    _version_kept = (now, version)
    return version


@callback(Output("map-communes-url", "data"), Output("map-commune-count", "children"),
          Output("map-detail-zoom", "data"),
          Input("map-main", "zoom"), Input("map-main", "bounds"), Input("map-province", "value"),
          Input("map-coverage-version", "data"), State("map-detail-zoom", "data"), prevent_initial_call=True)
def refresh_communes(zoom: float | None, bounds: Any, province: str | None, _version: Any,
                     shown_zoom: int | None) -> Any:
    """New URLs of the communes (app/map_data.py: the view's outlines, the scope's classes) when the detail level
    (zoom) or, past zoom 9, the view changes, or coverage was recomputed; else nothing. The browser fetches what it
    does not hold yet (the clientside callback below): after a recompute, only the classes."""
    user = require(*ROLES)
    level = None if zoom is None else int(zoom)
    if ctx.triggered_id == "map-main" and (level is None or level < VIEW_ONLY_FROM_ZOOM) and level == shown_zoom:
        return no_update, no_update, no_update  # the map reporting its view, or a pan: all is already drawn
    urls, count = communes_urls(user, province=province, zoom=zoom, bounds=_plain_bounds(bounds))
    return urls, _hint(count), level


@callback(Output("map-rules-count", "children"), Input("map-province", "value"),
          Input("map-coverage-version", "data"))
def count_communes_passing(province: str | None, _version: Any) -> Any:
    """Province summary: communes passing under each NTM rule set (again when coverage was recomputed). Every
    open map asks again at each new coverage version: the counts are summed from per-province parts
    (app/province_parts.py), of which only the recomputed province's is judged again."""
    return rules_summary(require(*ROLES), province)


def rules_summary(user: User, province: str | None) -> Any:
    """``province_summary`` of ``user``'s scope as of now, summed from the scope's per-province parts (each kept
    under its own province's version: a recompute in one province judges that province again), the badge kept
    per scope, province, language and parts (their tag: the same tag, the same counts)."""
    parts = scope_parts(user, province)
    return answer("map_rules_summary", user, (province, current_lang()), parts.tag,
                  lambda: summary_badge(passing(parts)))


@callback(Output("map-communes", "hideout"), Output("map-legend", "children"),
          Input("map-colour-by", "value"), Input("map-selected", "data"), Input("map-layers", "value"))
def restyle_communes(mode: str, selected: str | None, layers: list[str] | None) -> Any:
    return _hideout(mode or "class", selected), _legend(mode or "class", layers or [])


def _hideout(mode: str, selected: str | None) -> dict[str, Any]:
    """What the communes' style and tooltips read in the browser: colouring, selection, class words."""
    labels = {c or "none": class_word(c) for c in ("unserved", "underserved", "served", None)}
    return {"mode": mode, "selected": selected, "labels": labels}


@callback(Output("map-facilities", "data"), Input("map-layers", "value"), Input("map-types", "value"),
          Input("map-statuses", "value"), Input("map-province", "value"), Input("map-main", "bounds"),
          State("map-main", "zoom"))
def refresh_facilities(layers: list[str], types: list[str] | None, statuses: list[str] | None,
                       province: str | None, bounds: Any, zoom: float | None) -> Any:
    user = require(*ROLES)
    if "facilities" not in (layers or []):
        return EMPTY_COLLECTION
    binds = map_binds(user, province=province, zoom=zoom, bounds=_plain_bounds(bounds))
    binds.update(types=types or None, statuses=statuses or None, limit=FACILITY_LIMIT)
    return scalar("map_facilities_geojson", binds) or EMPTY_COLLECTION


@callback(Output("map-discs", "data"), Output("map-villages", "data"), Input("map-layers", "value"),
          Input("map-province", "value"), Input("map-main", "bounds"), State("map-main", "zoom"))
def refresh_overlays(layers: list[str], province: str | None, bounds: Any, zoom: float | None) -> Any:
    user = require(*ROLES)
    layers = layers or []
    binds = map_binds(user, province=province, zoom=zoom, bounds=_plain_bounds(bounds))
    discs = scalar("map_coverage_geojson", binds) if "discs" in layers else None
    villages = scalar("map_villages_geojson", {**binds, "limit": VILLAGE_LIMIT}) if "villages" in layers else None
    return discs or EMPTY_COLLECTION, villages or EMPTY_COLLECTION


@callback(Output("map-search-hits", "children"), Input("map-search", "value"), prevent_initial_call=True)
def search_communes(text: str | None) -> Any:
    """Find communes by name without diacritics and with or without "xã/phường" ('Muong Nhe', 'xa muong' and
    'Xã Mường Nhé' find 'Mường Nhé'), or by commune code ('03160')."""
    user = require(*ROLES)
    folded = fold_place_name(text or "")
    if len(folded) < 2:
        return []
    digits = folded.replace(" ", "")
    hits = rows("search_communes", {**scope_binds(user), "folded": folded, "alt": _without_unit_word(folded),
                                     "code": digits if digits.isdigit() else None})
    if not hits:
        return html.Div("—", className="small text-muted")
    return dbc.ListGroup([
        dbc.ListGroupItem(f"{h['name']} · {h['province_name'] or ''} · {h['code']}", action=True,
                          className="py-1 small", id={"type": "map-search-hit", "code": h["code"]})
        for h in hits], className="mt-1")


def _without_unit_word(folded: str) -> str | None:
    """The folded text without a leading unit word ('xa muong' -> 'muong'), or None when it has none."""
    rest = re.sub(r"^(?:xa|phuong|thi tran|dac khu)\s+", "", folded, count=1)
    return rest if rest != folded and len(rest) >= 2 else None


@callback(Output("map-selected", "data"), Input("map-communes", "clickData"),
          Input({"type": "map-search-hit", "code": ALL}, "n_clicks"), Input("map-table", "cellClicked"),
          prevent_initial_call=True)
def select_commune(click: dict[str, Any] | None, _hits: list[int | None], cell: dict[str, Any] | None) -> Any:
    trigger = ctx.triggered_id
    if isinstance(trigger, dict) and trigger.get("type") == "map-search-hit":
        if not any(_hits):
            return no_update
        return trigger["code"]
    if trigger == "map-table":
        return (cell or {}).get("rowId") or no_update
    if click and click.get("properties", {}).get("code"):
        return click["properties"]["code"]
    return no_update


@callback(Output("map-table", "rowData"), Output("map-table-count", "children"), Input("map-province", "value"))
def fill_commune_table(province: str | None) -> Any:
    """One row per commune in scope (and province): its class, share reached, 8.3, villages not reached and a
    priority score (analysis/gaps.py, relative to the worst commune listed)."""
    user = require(*ROLES)
    table = _table_rows(user, province)
    count = fmt_int(len(table))
    return table, (f"{count} communes" if current_lang() == "en" else f"{count} xã")


def _table_rows(user: User, province: str | None) -> list[dict[str, Any]]:
    found = rows("commune_table", {**scope_binds(user), "province": province or None})
    table = [table_row(r) for r in found]
    if table:
        scores = score_gap_priority(
            np.array([max(0.0, float(r["pop_total"] or 0) - float(r["pop_covered"] or 0)) for r in found]),
            np.array([np.nan if r["pop_covered_share"] is None else float(r["pop_covered_share"]) for r in found]),
            np.array([(r["villages_total"] - r["villages_reached"]) / r["villages_total"]
                      if r["villages_total"] else 0.0 for r in found]),
            np.array([bool(r["station_operational"]) for r in found]))
        for row, score in zip(table, scores, strict=True):
            row["priority"] = round(float(score), 4)
    return table


@callback(Output("map-table-download", "data"), Input("map-table-export", "n_clicks"),
          State("map-table", "virtualRowData"), State("map-province", "value"), prevent_initial_call=True)
def export_commune_table(n: int | None, shown: list[dict[str, Any]] | None, province: str | None) -> Any:
    """The rows the table's filters leave, in its order, as a formula-safe CSV (sql/safe_cells.py). The rows are
    read again for the user's scope: codes the browser sends outside it are not in the file."""
    user = require(*ROLES)
    if not n:
        return no_update
    by_code = {r["code"]: r for r in _table_rows(user, province)}
    picked = [by_code[c] for c in (str((r or {}).get("code")) for r in shown or []) if c in by_code]
    headers = {c["field"]: c["headerName"] for c in table_columns()}
    frame = csv_frame(pd.DataFrame(picked, columns=list(headers)).rename(columns=headers))
    data = frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
    return dcc.send_bytes(data, "phusong_xa.csv", type="text/csv")


# The selected commune, wherever it was chosen (map, search, table), is the selected row, scrolled into view.
clientside_callback(
    """function(code) {
        if (!code) { return [window.dash_clientside.no_update, window.dash_clientside.no_update]; }
        return [{ids: [code]}, {rowId: code, rowPosition: "middle"}];
    }""",
    Output("map-table", "selectedRows"), Output("map-table", "scrollTo"), Input("map-selected", "data"),
    prevent_initial_call=True,
)


@callback(Output("map-panel", "children"), Output("map-main", "viewport"), Input("map-selected", "data"),
          prevent_initial_call=True)
def show_commune(code: str | None) -> Any:
    """The panel of one commune: figures, the 8.3 verdict and reason, facilities, villages not reached."""
    if not code:
        return no_update, no_update
    panel, summary = _panel_of(code)
    if summary is None:
        return panel, no_update
    viewport = {"bounds": [[summary["ymin"], summary["xmin"]], [summary["ymax"], summary["xmax"]]],
                "transition": "flyToBounds"} if ctx.triggered_id == "map-selected" else no_update
    return panel, viewport


@callback(Output("map-panel", "children", allow_duplicate=True), Input("map-coverage-version", "data"),
          State("map-selected", "data"), prevent_initial_call=True)
def redraw_commune(_version: Any, code: str | None) -> Any:
    """Redraw the open commune's panel when its coverage may have been recomputed (the map stays where it is)."""
    if not code:
        return no_update
    return _panel_of(code)[0]


def _panel_of(code: str) -> tuple[Any, dict[str, Any] | None]:
    """(panel, the commune's summary row or None), checking the user's scope. The panel made from the same rows,
    verdicts and language is the same panel: kept by what it is made of (every open map with a commune selected
    redraws it at each new coverage version, mostly for a commune whose rows did not change)."""
    user = require(*ROLES, communes=[code])
    with connect() as conn:  # one connection for the three (each its own checkout and transaction before)
        found, facilities, not_reached = ([dict(r) for r in conn.execute(queries.load(name), {"code": code}).mappings()]
                                          for name in ("commune_summary", "commune_facilities",
                                                       "commune_villages_not_reached"))
    if not found:
        return dbc.Alert(code, color="warning"), None
    verdicts = panel_verdicts(code, user)
    key = (current_lang(), *(tuple(tuple(r.items()) for r in rs) for rs in (found, facilities, not_reached)),
           to_json(verdicts))
    with _panels_lock:
        panel = _panels.get(key)
        if panel is not None:
            _panels.move_to_end(key)
    if panel is None:
        panel = commune_panel(found[0], facilities, not_reached)
        panel.children.insert(5, verdicts)  # after the 8.3 verdict and its reason
        with _panels_lock:
            _panels[key] = panel
            while len(_panels) > PANELS_KEPT:
                _panels.popitem(last=False)
    return panel, found[0]


def _plain_bounds(bounds: Any) -> list[list[float]] | None:
    """dash-leaflet reports bounds as [[south, west], [north, east]] (or a dict with _southWest/_northEast)."""
    if not bounds:
        return None
    if isinstance(bounds, dict):
        sw, ne = bounds.get("_southWest") or {}, bounds.get("_northEast") or {}
        return [[sw.get("lat"), sw.get("lng")], [ne.get("lat"), ne.get("lng")]] if sw and ne else None
    return [[float(bounds[0][0]), float(bounds[0][1])], [float(bounds[1][0]), float(bounds[1][1])]]


@callback(Output("map-facility-body", "children"), Output("map-facility-info", "hidden"),
          Input("map-facilities", "clickData"), prevent_initial_call=True)
def identify_facility(click: dict[str, Any] | None) -> Any:
    """The identify popup of a facility clicked on the map (its commune must be in the user's scope)."""
    require(*ROLES)
    props = (click or {}).get("properties") or {}
    if props.get("cluster") or not str(props.get("id") or "").isdigit():
        return no_update, no_update
    found = rows("facility_identify", {"id": int(props["id"])})
    if not found:
        return None, True
    require(*ROLES, communes=[found[0]["commune_code"]])
    return facility_popup(found[0]), False


# Phone: the filters in a drawer, the commune panel as a bottom sheet that opens when a commune is chosen.
clientside_callback(
    """function(open, close, code) {
        const id = window.dash_clientside.callback_context.triggered_id;
        return id === "map-filters-open" ? "mb-2 map-filters open" : "mb-2 map-filters";
    }""",
    Output("map-filters", "className"), Input("map-filters-open", "n_clicks"), Input("map-filters-close", "n_clicks"),
    Input("map-selected", "data"), prevent_initial_call=True,  # a commune chosen: the drawer gives way to the sheet
)
clientside_callback(
    """function(code, close) {
        const id = window.dash_clientside.callback_context.triggered_id;
        return (id === "map-selected" && code) ? "map-sheet open" : "map-sheet";
    }""",
    Output("map-sheet", "className"), Input("map-selected", "data"), Input("map-sheet-close", "n_clicks"),
    prevent_initial_call=True,
)
clientside_callback(
    "function(n) { return n ? true : window.dash_clientside.no_update; }",
    Output("map-facility-info", "hidden", allow_duplicate=True), Input("map-facility-close", "n_clicks"),
    prevent_initial_call=True,
)
# The communes of the view: its outlines (kept by the browser) joined with the scope's classes, fetched from the
# URLs the server gave (gzipped once per data version, ETag: 304).
clientside_callback(
    "function(urls) { return window.phusong.map.fetchCommunes(urls); }",
    Output("map-communes", "data"), Input("map-communes-url", "data"),
)
# Commune names as labels once a province fills the view (zoom 9 and more, at most LABEL_LIMIT of them).
clientside_callback(
    "function(data, zoom) { return window.phusong.map.communeLabels(data, zoom); }",
    Output("map-labels", "data"), Input("map-communes", "data"), Input("map-main", "zoom"),
)
