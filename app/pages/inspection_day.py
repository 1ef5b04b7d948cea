"""Parts of the Kiểm tra page added by issue 21: the small map with "vị trí của tôi", the undo of a save, the
inspector's own inspections of the day and their correction, the visit time and the character counters.

The writes (undo, correction) are etl/inspection_corrections.py's; the commune is then brought current by the
same worker as a save (app/coverage_refresh.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
import dash_leaflet as dl
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

from app.auth import AccessDenied, require, scope_binds
from app.components.common import rows, zoom_for_bounds
from app.coverage_refresh import REFRESHER
from app.i18n import current_lang, fmt_date, status_word, t, type_word
from app.inspections import INSPECTING_ROLES, location_from_store
from etl.inspection_corrections import (
    CORRECTABLE_STATUSES,
    LOCAL_TIME,
    MAX_NOTE_CHARS,
    UNDO_MINUTES,
    CorrectionRefused,
    InspectionNotCorrectable,
    check_visit_time,
    correct_inspection,
    facility_of_inspection,
    own_inspections_today,
    undo_inspection,
)
from sql.engine import connect
from sql.settings import get_settings

MAP_LIMIT = 300  # markers on the small map: the list's filters, nearest or most urgent first
TEXTS: dict[str, tuple[str, str]] = {
    "locate": ("📍 Vị trí của tôi", "📍 My location"),
    "visited_at": ("Thời điểm kiểm tra", "Visit time"),
    "undo": ("Hoàn tác", "Undo"),
    "undo_hint": (f"Có thể hoàn tác trong {UNDO_MINUTES} phút.", f"Can be undone for {UNDO_MINUTES} minutes."),
    "undone": ("Đã hoàn tác lần kiểm tra", "Inspection undone"),
    "confirm_title": ("Xác nhận “Đã thanh lý”?", "Confirm “Decommissioned”?"),
    "confirm_body": ("Thiết chế sẽ bị đánh dấu đã thanh lý và không còn được tính vào vùng phủ sóng. "
                     f"Có thể hoàn tác trong {UNDO_MINUTES} phút sau khi lưu.",
                     "The facility will be marked decommissioned and no longer counted in the coverage. "
                     f"It can be undone for {UNDO_MINUTES} minutes after saving."),
    "confirm_yes": ("Đúng, đã thanh lý", "Yes, decommissioned"),
    "confirm_no": ("Không, quay lại", "No, go back"),
    "my_day": ("Kiểm tra của tôi hôm nay", "My inspections today"),
    "my_day_none": ("Hôm nay bạn chưa lưu lần kiểm tra nào.", "You have saved no inspection today."),
    "correct": ("Sửa", "Correct"),
    "correct_title": ("Sửa lần kiểm tra", "Correct the inspection"),
    "corrected": ("Đã sửa lần kiểm tra", "Inspection corrected"),
    "withdrawn": ("đã hoàn tác/đã sửa", "undone/corrected"),
    "correction_of": ("bản sửa", "correction"),
    "visit_time_bad": ("Thời điểm kiểm tra không hợp lệ.", "The visit time is not valid."),
    "photo_too_big": ("Ảnh quá lớn (hơn 25 MB); chọn ảnh khác hoặc chụp lại.",
                      "The photo is too large (over 25 MB); choose another or take it again."),
    "save": ("Lưu", "Save"),
    "cancel": ("Huỷ", "Cancel"),
    "status": ("Tình trạng", "Status"),
    "note": ("Ghi chú", "Note"),
    "facility_page": ("Lịch sử thiết chế", "Facility history"),
}


def tx(key: str) -> str:
    vi, en = TEXTS[key]
    return en if current_lang() == "en" else vi


def t_history() -> str:
    return tx("facility_page")


def now_local_input() -> str:
    """Now in Viet Nam as a datetime-local input's value (minutes)."""
    return datetime.now(LOCAL_TIME).strftime("%Y-%m-%dT%H:%M")


def parse_visit_time(value: str | None) -> datetime | None:
    """A datetime-local value (Viet Nam time) as an aware datetime, checked (not in the future); None when empty."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value).replace(tzinfo=LOCAL_TIME)
    except ValueError as exc:
        raise CorrectionRefused(tx("visit_time_bad")) from exc
    check_visit_time(when)
    return when


# ------------------------------------------------------------------------------------------------ layout parts
def map_card() -> Any:
    """A small map of the facilities the list shows, with the inspector's position; tap a point to inspect it."""
    tile_url = get_settings().tile_url
    layers = [dl.TileLayer(url=tile_url)] if tile_url else []
    return html.Div([
        dl.Map([*layers, dl.LayerGroup(id="insp-map-points"), dl.LayerGroup(id="insp-map-me")], id="insp-map",
               center=[21.4, 103.0], zoom=9, style={"height": "220px"}, className="mb-1 inspection-map"),
        dbc.Button(tx("locate"), id="insp-locate", color="secondary", outline=True, size="sm", className="mb-2"),
    ])


def visit_time_field() -> Any:
    return html.Div([
        dbc.Label(tx("visited_at"), html_for="insp-visited", className="mb-1 mt-2"),
        dbc.Input(id="insp-visited", type="datetime-local", className="mb-2"),
    ])


def counter(target: str) -> Any:
    return html.Div(id=f"{target}-count", className="small text-muted text-end char-counter")


def confirm_modal() -> Any:
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle(tx("confirm_title"))),
        dbc.ModalBody(tx("confirm_body")),
        dbc.ModalFooter([dbc.Button(tx("confirm_no"), id="insp-confirm-no", color="secondary"),
                         dbc.Button(tx("confirm_yes"), id="insp-confirm-yes", color="danger")]),
    ], id="insp-confirm", is_open=False, centered=True)


def my_day_card() -> Any:
    """The inspector's inspections of today, each correctable (status, note, visit time)."""
    statuses = [{"label": status_word(s), "value": s} for s in CORRECTABLE_STATUSES]
    return html.Div([
        dcc.Store(id="insp-last-saved"),
        dcc.Store(id="insp-correct-id"),
        dcc.Store(id="insp-photo-messages", data={"too_big": tx("photo_too_big"), "not_image": t("photo_not_image")}),
        dbc.Card(dbc.CardBody([html.H6(tx("my_day"), className="mb-2"), html.Div(id="insp-my-day")]),
                 className="mt-3"),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle(tx("correct_title"))),
            dbc.ModalBody([
                html.Div(id="insp-correct-facility", className="small text-muted mb-2"),
                dbc.Label(tx("status"), className="mb-1"),
                dbc.RadioItems(id="insp-correct-status", options=statuses, className="mb-2"),
                dbc.Label(tx("note"), html_for="insp-correct-note", className="mb-1"),
                dbc.Textarea(id="insp-correct-note", rows=2, maxLength=MAX_NOTE_CHARS),
                counter("insp-correct-note"),
                dbc.Label(tx("visited_at"), html_for="insp-correct-visited", className="mb-1"),
                dbc.Input(id="insp-correct-visited", type="datetime-local"),
                html.Div(id="insp-correct-error", className="mt-2"),
            ]),
            dbc.ModalFooter([dbc.Button(tx("cancel"), id="insp-correct-cancel", color="secondary"),
                             dbc.Button(tx("save"), id="insp-correct-save", color="primary")]),
        ], id="insp-correct-modal", is_open=False, centered=True),
    ])


def undo_button() -> Any:
    return html.Div([dbc.Button(tx("undo"), id="insp-undo", color="warning", size="sm", className="me-2"),
                     html.Span(tx("undo_hint"), className="small")], className="mt-1")


def _status_colour(status: str) -> str:
    return {"operational": "#2ca02c", "degraded": "#ff7f0e", "broken": "#d62728"}.get(status, "#7f7f7f")


def _viewport(found: list[dict[str, Any]], lon: float | None, lat: float | None) -> Any:
    if lon is not None and lat is not None:
        return {"center": [lat, lon], "zoom": 14}
    placed = [f for f in found if f["lat"] is not None]
    if not placed:
        return no_update
    south, north = min(f["lat"] for f in placed), max(f["lat"] for f in placed)
    west, east = min(f["lon"] for f in placed), max(f["lon"] for f in placed)
    pad = 0.1 * max(north - south, east - west, 0.002)  # the points stay off the edges
    bounds = [[south - pad, west - pad], [north + pad, east + pad]]
    return {"center": [(south + north) / 2, (west + east) / 2], "zoom": zoom_for_bounds(bounds, width_px=340)}


def _facility_checked(inspection_id: int) -> dict[str, Any]:
    """The inspection's facility when its commune is in the user's scope; AccessDenied otherwise."""
    with connect() as conn:
        facility = facility_of_inspection(conn, inspection_id)
    if facility is None:
        raise AccessDenied(f"inspection {inspection_id} does not exist")
    require(*INSPECTING_ROLES, communes=[facility["commune_code"]])
    return facility


def _my_day_item(r: dict[str, Any]) -> Any:
    withdrawn = r["withdrawn_at"] is not None
    badges = [dbc.Badge(tx("withdrawn"), color="secondary", className="ms-1")] if withdrawn else []
    if r["corrects_id"]:
        badges.append(dbc.Badge(tx("correction_of"), color="info", className="ms-1"))
    action = [] if withdrawn else [dbc.Button(tx("correct"), id={"type": "insp-correct", "id": r["id"]},
                                              size="sm", color="link", className="p-0 ms-2")]
    return dbc.ListGroupItem([
        html.Div([html.B(r["facility_name"] or type_word(r["type"])), *badges]),
        html.Div([f"{fmt_date(r['inspected_at'])} · {status_word(r['status_found'])}"
                  + (f" · {r['note'][:60]}" if r["note"] else ""), *action], className="small"),
        dcc.Link(tx("facility_page"), href=f"/co-so/{r['facility_id']}", className="small"),
    ], className="py-1 my-day-item" + (" text-muted" if withdrawn else ""))


# long: only Dash callback definitions, each its own short function, registered together per app.
def register_callbacks() -> None:
    """Define this part's callbacks; called by the page module (app/pages/inspection.py), which Dash runs anew
    for every app it builds, so that each app gets them."""
    # ---------------------------------------------------------------------------------------------------- the map
    @callback(Output("insp-map-points", "children"), Output("insp-map-me", "children"),
              Output("insp-map", "viewport"),
              Input("insp-location", "data"), Input("insp-saved-count", "data"), Input("insp-search", "value"),
              Input("insp-filter-commune", "value"), Input("insp-filter-type", "value"),
              Input("insp-filter-status", "value"))
    def map_facilities(location: Any, _saved: int | None, search: str | None, commune: str | None, kind: str | None,
                       status: str | None) -> Any:
        """The facilities of the list's filters in the user's scope (the queue's query), and where the user stands."""
        from etl.names import fold_text

        user = require(*INSPECTING_ROLES)
        lon, lat = location_from_store(location)
        found = rows("inspection_queue", {**scope_binds(user), "lon": lon, "lat": lat, "commune": commune or None,
                                          "folded": fold_text(search or "") or None, "types": [kind] if kind else None,
                                          "statuses": [status] if status else None, "limit": MAP_LIMIT, "offset": 0})
        points = [dl.CircleMarker(center=[f["lat"], f["lon"]], radius=7, color="#1f4e79", weight=2, fillOpacity=0.7,
                                  className="insp-point",
                                  fillColor=_status_colour(f["status"]), id={"type": "insp-map-item", "id": f["id"]},
                                  children=dl.Tooltip(_point_label(f)))
                  for f in found if f["lat"] is not None]
        me = [] if lon is None else [dl.CircleMarker(center=[lat, lon], radius=9, color="#d62728", weight=3,
                                                     fillOpacity=0.9, id="insp-map-me-point", className="insp-me",
                                                     children=dl.Tooltip(tx("locate")))]
        return points, me, _viewport(found, lon, lat)






    @callback(Output("insp-selected", "data", allow_duplicate=True),
              Output("insp-submission", "data", allow_duplicate=True),
              Input({"type": "insp-map-item", "id": ALL}, "n_clicks"), prevent_initial_call=True)
    def choose_on_map(clicks: list[int | None]) -> Any:
        """A tapped point opens its form (open_form checks the facility's scope)."""
        import uuid

        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks):
            return no_update, no_update
        return trigger["id"], f"app:{uuid.uuid4()}"


    # "Vị trí của tôi": ask the browser again (the first answer may have been refused or too old).
    clientside_callback(
        """
        function(n) {
            return new Promise(function(resolve) {
                if (!n || !navigator.geolocation) { resolve(window.dash_clientside.no_update); return; }
                navigator.geolocation.getCurrentPosition(
                    function(p) { resolve({lon: p.coords.longitude, lat: p.coords.latitude,
                                           accuracy_m: p.coords.accuracy}); },
                    function() { resolve(null); },
                    {enableHighAccuracy: true, timeout: 8000, maximumAge: 0});
            });
        }
        """,
        Output("insp-location", "data", allow_duplicate=True),
        Input("insp-locate", "n_clicks"), prevent_initial_call=True,
    )

    # Character counters where the text is cut (the note's maxLength).
    for _target in ("insp-note", "insp-correct-note"):
        clientside_callback(
            f"function(v) {{ return (v || '').length + ' / {MAX_NOTE_CHARS}'; }}",
            Output(f"{_target}-count", "children"), Input(_target, "value"),
        )


    # ------------------------------------------------------------------------------------------- undo and correct
    @callback(Output("insp-result", "children", allow_duplicate=True),
              Output("insp-saved-count", "data", allow_duplicate=True),
              Input("insp-undo", "n_clicks"), State("insp-last-saved", "data"), State("insp-saved-count", "data"),
              prevent_initial_call=True)
    def undo_last_save(n_clicks: int | None, inspection_id: int | None, saved: int | None) -> Any:
        """Withdraw the inspection just saved (its inspector, within UNDO_MINUTES); the facility's status goes back."""
        user = require(*INSPECTING_ROLES)
        if not n_clicks or not inspection_id:
            return no_update, no_update
        facility = _facility_checked(int(inspection_id))
        try:
            with connect() as conn:
                undo_inspection(conn, user.name, int(inspection_id))
        except InspectionNotCorrectable as exc:
            return dbc.Alert(str(exc), color="danger", id="insp-undo-refused"), no_update
        REFRESHER.notify()  # the commune is brought current as after a save
        return (dbc.Alert(f"{tx('undone')}: {facility['facility_name'] or ''}", color="info", id="insp-undone"),
                (saved or 0) + 1)




    @callback(Output("insp-my-day", "children"), Input("insp-saved-count", "data"))
    def list_my_day(_saved: int | None) -> Any:
        """The user's own inspections saved in the app today (their name from the session, never the request)."""
        user = require(*INSPECTING_ROLES)
        with connect() as conn:
            found = own_inspections_today(conn, user.name)
        if not found:
            return html.Div(tx("my_day_none"), className="small text-muted", id="insp-my-day-empty")
        return dbc.ListGroup([_my_day_item(r) for r in found], id="insp-my-day-items")




    @callback(Output("insp-correct-modal", "is_open"), Output("insp-correct-id", "data"),
              Output("insp-correct-facility", "children"), Output("insp-correct-status", "value"),
              Output("insp-correct-note", "value"), Output("insp-correct-visited", "value"),
              Output("insp-correct-visited", "max"), Output("insp-correct-error", "children"),
              Input({"type": "insp-correct", "id": ALL}, "n_clicks"), Input("insp-correct-cancel", "n_clicks"),
              prevent_initial_call=True)
    def open_correction(clicks: list[int | None], _cancel: int | None) -> Any:
        """Open the correction of one of the user's own inspections of today, filled with what was saved."""
        user = require(*INSPECTING_ROLES)
        trigger = ctx.triggered_id
        if trigger == "insp-correct-cancel":
            return False, None, no_update, no_update, no_update, no_update, no_update, None
        if not isinstance(trigger, dict) or not isinstance(clicks, list) or not any(clicks):  # a forged request
            return (no_update,) * 8
        _facility_checked(int(trigger["id"]))
        with connect() as conn:
            mine = {r["id"]: r for r in own_inspections_today(conn, user.name)}
        r = mine.get(int(trigger["id"]))
        if r is None or r["withdrawn_at"] is not None:
            raise AccessDenied(f"inspection {trigger['id']} is not {user.name}'s of today")
        visited = r["inspected_at"].astimezone(LOCAL_TIME).strftime("%Y-%m-%dT%H:%M")
        return (True, r["id"], f"{r['facility_name'] or type_word(r['type'])} · {r['commune_name']}",
                r["status_found"] if r["status_found"] in CORRECTABLE_STATUSES else None, r["note"] or "", visited,
                now_local_input(), None)


    @callback(Output("insp-correct-modal", "is_open", allow_duplicate=True),
              Output("insp-correct-error", "children", allow_duplicate=True),
              Output("insp-result", "children", allow_duplicate=True),
              Output("insp-saved-count", "data", allow_duplicate=True),
              Input("insp-correct-save", "n_clicks"), State("insp-correct-id", "data"),
              State("insp-correct-status", "value"), State("insp-correct-note", "value"),
              State("insp-correct-visited", "value"), State("insp-saved-count", "data"), prevent_initial_call=True)
    def save_correction(n_clicks: int | None, inspection_id: int | None, status: str | None, note: str | None,
                        visited: str | None, saved: int | None) -> Any:
        """Replace the inspection by its correction (audited); the commune is brought current as after a save."""
        user = require(*INSPECTING_ROLES)
        if not n_clicks or not inspection_id:
            return (no_update,) * 4
        facility = _facility_checked(int(inspection_id))
        try:
            when = parse_visit_time(visited)
            if when is None or not status:
                raise CorrectionRefused(tx("visit_time_bad") if when is None else status_word(None))
            with connect() as conn:
                correct_inspection(conn, user.name, int(inspection_id), status=status, note=note, inspected_at=when)
        except (CorrectionRefused, InspectionNotCorrectable) as exc:
            return no_update, dbc.Alert(str(exc), color="danger", className="py-1", id="insp-correct-refused"), \
                no_update, no_update
        REFRESHER.notify()
        done = dbc.Alert(f"{tx('corrected')}: {facility['facility_name'] or ''} · {status_word(status)}",
                         color="success", id="insp-corrected")
        return False, None, done, (saved or 0) + 1


def _point_label(f: dict[str, Any]) -> str:
    return f"{f['name'] or type_word(f['type'])} · {status_word(f['status'])}"
