"""Phản ánh của người dân: the citizen feedback register. List with filters and the overdue count, a map layer,
the entry form and the status actions (assign, answer, close). Every callback re-checks the user's role and
scope on the server through etl.feedback, which also hides reporter contacts from everyone but an admin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash
import dash_bootstrap_components as dbc
import dash_leaflet as dl
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from pydantic import ValidationError

from app.auth import AccessDenied, current_user, require
from app.components.common import tolerance_for_zoom
from etl.feedback import (
    CATEGORY_LABELS,
    CHANNEL_LABELS,
    OVERDUE_DAYS,
    OVERDUE_LABEL,
    STATUS_LABELS,
    VN_TZ,
    FeedbackError,
    FeedbackFilter,
    FeedbackIn,
    Viewer,
    answer_feedback,
    assign_feedback,
    close_feedback,
    count_overdue,
    get_feedback,
    list_feedback,
    record_feedback,
)
from sql import queries
from sql.engine import connect
from sql.settings import get_settings

ROLES = ("admin", "planner", "inspector", "budget")
RECORDING_ROLES = ("admin", "planner", "inspector")
dash.register_page(__name__, path="/phan-anh", name="Phản ánh của người dân", title="Phản ánh của người dân — phusong",
                   roles=ROLES, order=5)

LIST_LIMIT = 300
STATUS_COLOURS = {"received": "#2c7fb8", "assigned": "#8856a7", "answered": "#31a354", "closed": "#969696"}
OVERDUE_COLOUR = "#d7301f"
# Outlines only frame the reports: the coverage map's outlines simplified ahead for zoom 8 (half a pixel there,
# ≈ 0.0027°, commune_map_geometry) are read as they are instead of simplifying full-size outlines on each request.
OUTLINE_ZOOM = 8


def current_viewer() -> Viewer | None:
    """The logged-in user as the register sees them, or None. Uses the app's auth (issue 6) when present."""
    user = current_user()
    return None if user is None else Viewer(user.name, user.role, tuple(user.scope_codes))


def _options(labels: dict[str, tuple[str, str]]) -> list[dict[str, str]]:
    return [{"label": vi, "value": code} for code, (vi, _) in labels.items()]


def layout(overdue: str | None = None, **_: Any) -> Any:
    """The register; ``?overdue=1`` (the 'Quá hạn' link of the map and admin pages) shows only overdue reports."""
    viewer = current_viewer()
    if viewer is None or viewer.role not in ROLES:
        return dbc.Alert("Bạn cần đăng nhập để xem phản ánh của người dân.", color="warning", id="fb-no-access")
    return html.Div([
        dcc.Store(id="fb-version", data=0),
        html.Div([
            html.H4("Phản ánh của người dân", className="mb-1 me-3 d-inline-block"),
            dbc.Badge(id="fb-overdue", color="danger", className="align-top"),
        ]),
        dbc.Row([
            dbc.Col(dcc.Dropdown(id="fb-filter-status", options=_options(STATUS_LABELS), placeholder="Trạng thái"),
                    md=3),
            dbc.Col(dcc.Dropdown(id="fb-filter-category", options=_options(CATEGORY_LABELS),
                                 placeholder="Loại phản ánh"), md=3),
            dbc.Col(dbc.Input(id="fb-filter-commune", placeholder="Mã xã", debounce=True), md=2),
            dbc.Col(dbc.Checklist(id="fb-filter-overdue", switch=True, value=["overdue"] if overdue else [],
                                  options=[{"label": f"Chỉ {OVERDUE_LABEL[0].lower()}", "value": "overdue"}]),
                    md=2, className="pt-2"),
        ], className="g-2 my-2"),
        dbc.Row([
            # Filled by app/assets/phusong_feedback.js from fb-rows (a table on a desk, cards on a phone).
            dbc.Col([dcc.Store(id="fb-rows"), html.Div(id="fb-table", className="fb-list", **{"data-count": ""})],
                    lg=8),
            dbc.Col(dl.Map(_base_layers() + [
                dl.GeoJSON(id="fb-map-communes", style={"color": "#1f4e79", "weight": 1, "fillOpacity": 0.05}),
                dl.GeoJSON(id="fb-map-points", pointToLayer={"variable": "phusong.feedback.reportPoint"})],
                id="fb-map",
                           center=[21.4, 103.0], zoom=8, style={"height": "60vh"}), lg=4),
        ], className="g-2"),
        dbc.Offcanvas(id="fb-detail", title="Phản ánh", placement="end", is_open=False),
        dbc.Row([
            dbc.Col(_entry_form(viewer), lg=6),
            dbc.Col(_action_form(viewer), lg=6),
        ], className="g-2 mt-2"),
    ])


def _base_layers() -> list[Any]:
    tile_url = get_settings().tile_url
    return [dl.TileLayer(url=tile_url)] if tile_url else []


def _entry_form(viewer: Viewer) -> Any:
    if viewer.role not in RECORDING_ROLES:
        return html.Div()
    return dbc.Card(dbc.CardBody([
        html.H6("Tiếp nhận phản ánh"),
        dbc.Row([
            dbc.Col(dcc.Dropdown(id="fb-new-channel", options=_options(CHANNEL_LABELS), value="hotline",
                                 clearable=False), md=6),
            dbc.Col(dcc.Dropdown(id="fb-new-category", options=_options(CATEGORY_LABELS), value="loudspeaker_broken",
                                 clearable=False), md=6),
        ], className="g-2 mb-2"),
        dbc.Row([
            dbc.Col(dcc.Dropdown(id="fb-new-commune", placeholder="Xã (gõ tên)", options=commune_options(viewer)),
                    md=4),
            dbc.Col(dbc.Input(id="fb-new-lon", placeholder="Kinh độ", type="number"), md=3),
            dbc.Col(dbc.Input(id="fb-new-lat", placeholder="Vĩ độ", type="number"), md=3),
            dbc.Col(dbc.Input(id="fb-new-facility", placeholder="Mã thiết chế", type="number"), md=2),
        ], className="g-2 mb-2"),
        dbc.Textarea(id="fb-new-text", placeholder="Nội dung phản ánh", rows=2, className="mb-2", maxLength=5000),
        dbc.Input(id="fb-new-contact", placeholder="Liên hệ người phản ánh (chỉ quản trị viên xem được)",
                  className="mb-2", maxLength=200),
        dbc.Button("Lưu", id="fb-new-save", color="primary"),
        html.Div(id="fb-new-result", className="mt-2"),
    ]))


def _action_form(viewer: Viewer) -> Any:
    """Shown to the roles that act on reports; present (hidden) for the others so a row click opens the drawer."""
    manage = viewer.role in ("admin", "planner")
    return dbc.Card(className="d-none" if viewer.role not in RECORDING_ROLES else "", children=dbc.CardBody([
        html.H6("Xử lý phản ánh"),
        dbc.Row([
            dbc.Col(dbc.Input(id="fb-act-id", placeholder="Mã phản ánh (hoặc bấm vào một dòng)", type="number"),
                    md=4),
            dbc.Col(dcc.Dropdown(id="fb-act-assignee", placeholder="Người được phân công (chọn trong danh sách)",
                                 disabled=not manage), md=8),
        ], className="g-2 mb-2"),
        dbc.Textarea(id="fb-act-answer", placeholder="Nội dung trả lời", rows=2, className="mb-2", maxLength=5000),
        dbc.ButtonGroup([
            dbc.Button("Phân công", id="fb-act-assign", color="secondary", disabled=not manage),
            dbc.Button("Trả lời", id="fb-act-reply", color="success"),
            dbc.Button("Đóng", id="fb-act-close", color="dark", disabled=not manage),
        ]),
        html.Div(id="fb-act-result", className="mt-2"),
    ]))


# --- what the callbacks do, as plain functions of a Viewer (tested without a browser) ---------------------------

def register_view(viewer: Viewer, *, status: str | None = None, category: str | None = None,
                  commune: str | None = None, overdue_only: bool = False,
                  as_of: datetime | None = None) -> tuple[list[dict[str, Any]], int]:
    """The reports the viewer may see under these filters, and the overdue count of their whole scope."""
    filters = FeedbackFilter(status=status or None, category=category or None,
                             commune_code=(commune or "").strip() or None, overdue_only=overdue_only)
    with connect() as conn:
        rows = list_feedback(conn, viewer, filters, as_of=as_of, limit=LIST_LIMIT)
        overdue = count_overdue(conn, viewer, as_of=as_of)
    return rows, overdue


def communes_outline(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The outlines of the communes of the listed reports (already in the viewer's scope)."""
    codes = sorted({r["commune_code"] for r in rows if r.get("commune_code")})
    zoom = {"zoom_level": OUTLINE_ZOOM, "tolerance": tolerance_for_zoom(OUTLINE_ZOOM)}
    with connect() as conn:
        conn.execute(queries.load("fill_commune_map_geometry"), zoom)  # only the first time at this zoom
        return dict(conn.execute(queries.load("communes_outline_geojson"), {"codes": codes, **zoom}).scalar_one())


def save_entry(viewer: Viewer, form: dict[str, Any]) -> tuple[bool, str]:
    """Record a report from the form; (ok, message in Vietnamese)."""
    try:
        entry = FeedbackIn(channel=form.get("channel"), category=form.get("category"), text=form.get("text") or "",
                           commune_code=form.get("commune") or None, facility_id=form.get("facility") or None,
                           lon=form.get("lon"), lat=form.get("lat"), reporter_contact=form.get("contact") or None)
    except ValidationError as exc:
        return False, "Chưa lưu: " + "; ".join(_vi_problem(e) for e in exc.errors())
    try:
        with connect() as conn:
            new_id = record_feedback(conn, viewer, entry)
    except FeedbackError as exc:
        return False, f"Chưa lưu: {exc.vi}"
    return True, f"Đã tiếp nhận phản ánh số {new_id}."


_FIELDS_VI = {"text": "Nội dung phản ánh", "lon": "Kinh độ", "lat": "Vĩ độ", "channel": "Kênh tiếp nhận",
              "category": "Loại phản ánh", "commune_code": "Mã xã", "facility_id": "Mã thiết chế",
              "reporter_contact": "Liên hệ"}


def _vi_problem(error: Any) -> str:
    """A form problem in Vietnamese (pydantic's English in brackets for what we do not translate)."""
    message = str(error["msg"])
    if "needs a place" in message:
        return "cần vị trí: nhập mã xã, tọa độ hoặc mã thiết chế"
    if "both longitude and latitude" in message:
        return "nhập cả kinh độ và vĩ độ"
    field = _FIELDS_VI.get(str(error["loc"][0]) if error["loc"] else "", "")
    if error["type"] in ("string_too_short", "missing"):
        return f"chưa nhập {field.lower()}"
    return f"{field} không hợp lệ ({message})" if field else message


def apply_action(viewer: Viewer, action: str, feedback_id: int | None, *, assignee: str | None = None,
                 answer: str | None = None) -> tuple[bool, str]:
    """Assign, answer or close a report; (ok, message in Vietnamese)."""
    if not feedback_id:
        return False, "Nhập mã phản ánh."
    try:
        with connect() as conn:
            if action == "assign":
                assign_feedback(conn, viewer, int(feedback_id), (assignee or "").strip())
            elif action == "answer":
                answer_feedback(conn, viewer, int(feedback_id), answer or "")
            elif action == "close":
                close_feedback(conn, viewer, int(feedback_id))
            else:
                return False, f"Thao tác không rõ: {action}"
    except FeedbackError as exc:
        return False, f"Không thực hiện được: {exc.vi}"
    done = {"assign": STATUS_LABELS["assigned"][0], "answer": STATUS_LABELS["answered"][0],
            "close": STATUS_LABELS["closed"][0]}[action]
    return True, f"Phản ánh số {feedback_id}: {done.lower()}."


REGISTER_HEADER = ("Mã", "Ngày tiếp nhận", "Xã", "Kênh", "Loại", "Nội dung", "Trạng thái", "Số ngày", "Người xử lý")


def register_rows(rows: list[dict[str, Any]], *, show_contact: bool) -> dict[str, Any]:
    """The reports as plain text for app/assets/phusong_feedback.js, which draws them as a table (desktop) and as
    cards (phone) and makes a click or Enter on one select it. Sent as data, not as ~1,200 Dash components: the
    renderer spent seconds on those (bench/feedback_load.py)."""
    header = [*REGISTER_HEADER, *(["Liên hệ"] if show_contact else [])]
    body = []
    for r in rows:
        place = r["commune_name"] or r["commune_code"] or ""
        cells = [str(r["id"]), _date(r["received_at"]), place, CHANNEL_LABELS[r["channel"]][0],
                 CATEGORY_LABELS[r["category"]][0], r["text"][:120], STATUS_LABELS[r["status"]][0],
                 str(r["days_open"]), r["assigned_to"] or ""]
        if show_contact:
            cells.append(r["reporter_contact"] or "")
        body.append({"id": r["id"], "cells": cells, "overdue": bool(r["overdue"]), "title": f"#{r['id']} {place}",
                     "meta": f"{_date(r['received_at'])} · {CATEGORY_LABELS[r['category']][0]}",
                     "text": r["text"][:160]})
    return {"header": header, "rows": body, "status_column": REGISTER_HEADER.index("Trạng thái"),
            "overdue_label": OVERDUE_LABEL[0], "empty": "Không có phản ánh nào."}


def _status(r: dict[str, Any]) -> Any:
    status = STATUS_LABELS[r["status"]][0]
    return html.Span([status, " ", dbc.Badge(OVERDUE_LABEL[0], color="danger")] if r["overdue"] else status)


def commune_options(viewer: Viewer) -> list[dict[str, str]]:
    """The communes of the viewer's scope, by name (the code shown for homonyms)."""
    with connect() as conn:
        found = conn.execute(queries.load("scope_communes"), {"whole_country": viewer.whole_country,
                                                              "scope": list(viewer.scope_codes)}).all()
    return [{"label": f"{name} ({code})", "value": code} for code, name in found]


def report_detail(viewer: Viewer, feedback_id: int) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """One report in the viewer's scope and who it may be assigned to; NotAllowed (403) outside the scope."""
    with connect() as conn:
        try:
            report = get_feedback(conn, viewer, int(feedback_id))
        except FeedbackError as exc:
            raise AccessDenied(exc.vi) from exc
        people = conn.execute(queries.load("feedback_assignees"), {"feedback_id": int(feedback_id)}).all()
    role_vi = {"inspector": "kiểm tra", "planner": "quy hoạch", "admin": "quản trị"}
    return report, [{"label": f"{name} ({role_vi.get(role, role)})", "value": name} for name, role in people]


def detail_for(report: dict[str, Any]) -> Any:
    """The drawer's content: every field of the report a user may see."""
    fields = [("Mã", report["id"]), ("Ngày tiếp nhận", _date(report["received_at"])),
              ("Xã", report["commune_name"] or report["commune_code"] or ""),
              ("Kênh", CHANNEL_LABELS[report["channel"]][0]), ("Loại", CATEGORY_LABELS[report["category"]][0]),
              ("Trạng thái", _status(report)), ("Số ngày", report["days_open"]),
              ("Người xử lý", report["assigned_to"] or "—"), ("Trả lời", report["answer"] or "—")]
    if report.get("reporter_contact"):
        fields.append(("Liên hệ", report["reporter_contact"]))
    return html.Div([html.P(report["text"], className="fw-semibold", id="fb-detail-text"),
                     html.Dl([part for label, value in fields for part in (html.Dt(label), html.Dd(value))])])


def points_for(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The reports as one GeoJSON layer (drawn by phusong.feedback.reportPoint in app/assets/phusong_feedback.js):
    a circle at the report's point, else (dashed, smaller) inside its commune; its colour is the status's."""
    features = []
    for r in rows:
        if r.get("map_lon") is None:
            continue
        exact = r.get("lon") is not None
        tip = (f"#{r['id']} {r['commune_name'] or r['commune_code']}: {CATEGORY_LABELS[r['category']][0]} — "
               f"{STATUS_LABELS[r['status']][0]}{' (' + OVERDUE_LABEL[0] + ')' if r['overdue'] else ''}"
               f"{'' if exact else ' · vị trí theo xã'}")
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["map_lon"], r["map_lat"]]},
                         "properties": {"id": r["id"], "exact": exact, "tooltip": tip,
                                        "colour": OVERDUE_COLOUR if r["overdue"] else STATUS_COLOURS[r["status"]]}})
    return {"type": "FeatureCollection", "features": features}


def bounds_for(rows: list[dict[str, Any]]) -> list[list[float]] | None:
    """The map's view around the listed reports (a little margin), or None to leave it."""
    points = [(r["map_lat"], r["map_lon"]) for r in rows if r.get("map_lon") is not None]
    if not points:
        return None
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    pad = 0.05
    return [[min(lats) - pad, min(lons) - pad], [max(lats) + pad, max(lons) + pad]]


def _date(value: datetime | None) -> str:
    return "" if value is None else f"{value.astimezone(VN_TZ):%d/%m/%Y}"


# --- callbacks -----------------------------------------------------------------------------------------------------

def _require_viewer(roles: tuple[str, ...] = ROLES) -> Viewer:
    """The viewer when their role is one of ``roles``; a refusal (401/403, app.auth) otherwise, never a 500."""
    user = require(*roles)
    return Viewer(user.name, user.role, tuple(user.scope_codes))


@callback(
    Output("fb-rows", "data"), Output("fb-overdue", "children"), Output("fb-map-points", "data"),
    Output("fb-map", "bounds"), Output("fb-map-communes", "data"),
    Input("fb-filter-status", "value"), Input("fb-filter-category", "value"), Input("fb-filter-commune", "value"),
    Input("fb-filter-overdue", "value"), Input("fb-version", "data"),
)
def _refresh(status: str | None, category: str | None, commune: str | None, overdue: list[str] | None,
             _version: int) -> tuple[dict[str, Any], str, dict[str, Any], Any, dict[str, Any]]:
    viewer = _require_viewer()
    rows, overdue_count = register_view(viewer, status=status, category=category, commune=commune,
                                        overdue_only=bool(overdue))
    badge = f"{OVERDUE_LABEL[0]}: {overdue_count} (quá {OVERDUE_DAYS} ngày chưa trả lời)"
    return (register_rows(rows, show_contact=viewer.is_admin), badge, points_for(rows), bounds_for(rows) or no_update,
            communes_outline(rows))


_CLEARED = (None, None, None, None, "", "")  # commune, lon, lat, facility, text, contact


@callback(
    Output("fb-new-result", "children"), Output("fb-version", "data", allow_duplicate=True),
    Output("fb-new-commune", "value"), Output("fb-new-lon", "value"), Output("fb-new-lat", "value"),
    Output("fb-new-facility", "value"), Output("fb-new-text", "value"), Output("fb-new-contact", "value"),
    Input("fb-new-save", "n_clicks"),
    State("fb-new-channel", "value"), State("fb-new-category", "value"), State("fb-new-commune", "value"),
    State("fb-new-lon", "value"), State("fb-new-lat", "value"), State("fb-new-facility", "value"),
    State("fb-new-text", "value"), State("fb-new-contact", "value"), State("fb-version", "data"),
    prevent_initial_call=True,
)
def _save(_clicks: int, channel: str, category: str, commune: str | None, lon: float | None, lat: float | None,
          facility: int | None, text: str | None, contact: str | None, version: int) -> tuple[Any, ...]:
    """Record the report; once saved the form is emptied, so a second click cannot record it twice."""
    viewer = _require_viewer(RECORDING_ROLES)
    ok, message = save_entry(viewer, {"channel": channel, "category": category, "commune": commune, "lon": lon,
                                      "lat": lat, "facility": facility, "text": text, "contact": contact})
    if not ok:
        return (dbc.Alert(message, color="danger"), no_update, *([no_update] * len(_CLEARED)))
    return (dbc.Alert(message, color="success", id="fb-new-saved"), (version or 0) + 1, *_CLEARED)


# The register drawn from fb-rows; a click (or Enter) on a row or card sets fb-act-id, which show_report checks.
clientside_callback(ClientsideFunction(namespace="phusong_feedback", function_name="render"),
                    Output("fb-table", "data-count"), Input("fb-rows", "data"))


@callback(
    Output("fb-detail", "children"), Output("fb-detail", "is_open"), Output("fb-act-assignee", "options"),
    Input("fb-act-id", "value"),
    prevent_initial_call=True,
)
def show_report(feedback_id: int | None) -> tuple[Any, bool, list[dict[str, str]]]:
    """The selected report in the side drawer, and the people it may be assigned to."""
    viewer = _require_viewer()
    if not feedback_id:
        return no_update, False, []
    report, people = report_detail(viewer, int(feedback_id))
    return detail_for(report), True, people


@callback(
    Output("fb-new-lon", "value", allow_duplicate=True), Output("fb-new-lat", "value", allow_duplicate=True),
    Output("fb-new-commune", "value", allow_duplicate=True),
    Input("fb-map", "clickData"),
    prevent_initial_call=True,
)
def pick_place(click: dict[str, Any] | None) -> tuple[Any, Any, Any]:
    """A click on the map fills the report's coordinates and, when one in scope holds the point, its commune."""
    viewer = _require_viewer()
    latlng = (click or {}).get("latlng") or {}
    if latlng.get("lat") is None or latlng.get("lng") is None:
        return no_update, no_update, no_update
    lon, lat = round(float(latlng["lng"]), 6), round(float(latlng["lat"]), 6)
    with connect() as conn:
        found = conn.execute(queries.load("commune_at_point"), {"lon": lon, "lat": lat}).first()
    in_scope = found is not None and (viewer.whole_country or found.code in viewer.scope_codes
                                      or found.province_code in viewer.scope_codes)
    return lon, lat, found.code if in_scope else None


@callback(
    Output("fb-act-result", "children"), Output("fb-version", "data", allow_duplicate=True),
    Input("fb-act-assign", "n_clicks"), Input("fb-act-reply", "n_clicks"), Input("fb-act-close", "n_clicks"),
    State("fb-act-id", "value"), State("fb-act-assignee", "value"), State("fb-act-answer", "value"),
    State("fb-version", "data"),
    prevent_initial_call=True,
)
def _act(_a: int, _r: int, _c: int, feedback_id: int | None, assignee: str | None, answer: str | None,
         version: int) -> tuple[Any, Any]:
    viewer = _require_viewer(RECORDING_ROLES)
    action = {"fb-act-assign": "assign", "fb-act-reply": "answer", "fb-act-close": "close"}[ctx.triggered_id]
    ok, message = apply_action(viewer, action, feedback_id, assignee=assignee, answer=answer)
    return dbc.Alert(message, color="success" if ok else "danger"), (version or 0) + 1 if ok else no_update
