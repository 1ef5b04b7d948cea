"""Helpers the pages share: run a named query, show a refusal, format a small table, the overdue reports link."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from app.auth import User, may_see_page, scope_binds
from app.i18n import current_lang, fmt_date, fmt_int, t
from app.outlines_ahead import tolerance_for_level
from etl.feedback import OVERDUE_DAYS, Viewer, count_overdue
from sql import queries
from sql.engine import connect

EMPTY_COLLECTION: dict[str, Any] = {"type": "FeatureCollection", "features": []}
VIETNAM_BOUNDS = [[8.2, 102.1], [23.4, 109.5]]


def rows(name: str, binds: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run the named query in its own transaction; return its rows as dicts."""
    with connect() as conn:
        return [dict(r) for r in conn.execute(queries.load(name), binds or {}).mappings()]


def scalar(name: str, binds: dict[str, Any] | None = None) -> Any:
    with connect() as conn:
        return conn.execute(queries.load(name), binds or {}).scalar()


def no_access() -> dbc.Alert:
    return dbc.Alert(t("no_access"), color="warning", className="mt-3", id="page-no-access")


def gate(user: User | None, roles: Sequence[str]) -> dbc.Alert | None:
    """An alert when the user may not see a page with these roles, else None."""
    return None if may_see_page(user, roles) else no_access()


def tolerance_for_zoom(zoom: float | None) -> float:
    """Half a screen pixel in degrees at this web-mercator zoom: simplifying below it changes nothing visible."""
    return tolerance_for_level(6 if zoom is None else max(4, min(16, int(zoom))))


def zoom_for_bounds(bounds: Sequence[Sequence[float]], *, width_px: int = 800) -> int:
    """The web-mercator zoom at which ``[[s, w], [n, e]]`` fills about ``width_px``."""
    span = max(bounds[1][1] - bounds[0][1], (bounds[1][0] - bounds[0][0]) * 1.2, 1e-4)
    return max(4, min(16, int(math.log2(width_px * 360 / (256 * span)))))


def map_view(bounds: Sequence[Sequence[float]]) -> dict[str, Any]:
    """dl.Map keywords to open on ``[[s, w], [n, e]]``: the map fits the bounds, and the centre is given too
    because dash-leaflet's viewport tracking compares against it on every move (without one each pan or zoom
    throws "Cannot read properties of undefined (reading 'equals')" and the map never reports its zoom)."""
    (south, west), (north, east) = bounds
    return {"bounds": [list(bounds[0]), list(bounds[1])], "center": [(south + north) / 2, (west + east) / 2]}


def small_table(header: Sequence[str], body: Sequence[Sequence[Any]], *, id: str | None = None,
                stacked: bool = False) -> dbc.Table:
    """A compact striped table; ``stacked``: on a phone each row becomes a card of "header: value" lines
    (app/assets/phusong.css, .table-stacked) instead of a table wider than the screen."""
    props: dict[str, Any] = {"id": id} if id else {}
    def cell(value: Any, label: str) -> Any:  # stacked: the label beside one block of the value (a CSS grid)
        return html.Td(html.Div(value), **{"data-label": label}) if stacked else html.Td(value)

    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in header])),
                      html.Tbody([html.Tr([cell(c, h) for c, h in zip(r, header, strict=False)]) for r in body])],
                     size="sm", striped=True, bordered=False, className="small" + (" table-stacked" if stacked else ""),
                     **props)


# Past this zoom only what is in view is sent (a province fills the screen around zoom 8); below it the whole
# scope is sent once per zoom level with outlines simplified ahead (commune_map_geometry, migration 0040).
VIEW_ONLY_FROM_ZOOM = 9


def map_binds(user: User, *, province: str | None = None, zoom: float | None = None,
              bounds: Sequence[Sequence[float]] | None = None, snap: bool = False) -> dict[str, Any]:
    """Binds of the map queries: the user's scope, a province, the view (past zoom 9) and the detail level.
    ``snap``: the envelope widened to a grid of the view's size (a power of two of degrees), so that nearby
    views ask the same question and can share one kept answer (app/shared_answers.py)."""
    level = 6 if zoom is None else max(4, min(16, int(zoom)))
    binds: dict[str, Any] = {**scope_binds(user), "province": province or None, "xmin": None, "ymin": None,
                             "xmax": None, "ymax": None, "tolerance": tolerance_for_zoom(level),
                             "zoom_level": level if level < VIEW_ONLY_FROM_ZOOM else None,
                             "decimals": 3 if level <= 6 else (4 if level <= 9 else 5)}
    if level >= VIEW_ONLY_FROM_ZOOM and bounds:
        (south, west), (north, east) = bounds
        pad_x, pad_y = (east - west) / 2, (north - south) / 2  # half a screen around: panning shows no holes
        envelope = (west - pad_x, south - pad_y, east + pad_x, north + pad_y)
        if snap:
            step = 2.0 ** math.floor(math.log2(max(east - west, north - south, 1e-6)))
            envelope = (math.floor(envelope[0] / step) * step, math.floor(envelope[1] / step) * step,
                        math.ceil(envelope[2] / step) * step, math.ceil(envelope[3] / step) * step)
        binds.update(xmin=envelope[0], ymin=envelope[1], xmax=envelope[2], ymax=envelope[3])
    return binds


def communes_geojson(user: User, *, province: str | None = None, zoom: float | None = None,
                     bounds: Sequence[Sequence[float]] | None = None) -> dict[str, Any]:
    """The communes the user may see as GeoJSON, simplified for ``zoom``, with class and share reached."""
    return communes_geojson_of(map_binds(user, province=province, zoom=zoom, bounds=bounds))


def communes_geojson_of(binds: dict[str, Any]) -> dict[str, Any]:
    """The communes GeoJSON for the binds of ``map_binds``."""
    with connect() as conn:
        if binds["zoom_level"] is not None:
            conn.execute(queries.load("fill_commune_map_geometry"),
                         {"zoom_level": binds["zoom_level"], "tolerance": binds["tolerance"]})
        collection = conn.execute(queries.load("map_communes_geojson"), binds).scalar()
    return collection or EMPTY_COLLECTION


def scenario_options(user: User) -> list[dict[str, Any]]:
    """The saved scenarios the user may read, newest first, as picker options: the value is the scenario's id,
    the label says whose it is ("Phương án 2027 · quyhoach · 01/12/2026")."""
    return [{"label": f"{s['name']} · {s['owner']} · {fmt_date(s['created_at'])}", "value": s["id"]}
            for s in rows("scenario_names", scope_binds(user))]


OVERDUE_HREF = "/phan-anh?overdue=1"


def overdue_link(user: User) -> html.A:
    """'Quá hạn: N phản ánh': citizen reports in the user's scope not answered within OVERDUE_DAYS (etl.feedback),
    a link to the register showing only those."""
    with connect() as conn:
        count = count_overdue(conn, Viewer(user.name, user.role, tuple(user.scope_codes)))
    label = (f"Quá hạn: {fmt_int(count)} phản ánh" if current_lang() == "vi"
             else f"Overdue: {fmt_int(count)} citizen reports")
    hint = (f"Phản ánh chưa trả lời sau {OVERDUE_DAYS} ngày" if current_lang() == "vi"
            else f"Citizen reports not answered within {OVERDUE_DAYS} days")
    return html.A(dbc.Badge(label, color="danger" if count else "secondary"), href=OVERDUE_HREF, id="overdue-link",
                  title=hint, className="text-decoration-none")
