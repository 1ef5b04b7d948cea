"""Một thiết chế (/co-so/<id>), for every role within its scope (issue 21): what the facility is and its history
of inspections (date, inspector, status, note, photo thumbnails). Photos come from /download/inspection-photo/,
scope-checked too. A facility outside the user's scope is answered like one that does not exist."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from app.auth import ROLES, communes_in_scope, current_user
from app.components.common import gate, no_access, rows
from app.i18n import current_lang, fmt_date, status_word, type_word

# No "roles" in the registry: the page is reached from the inspection page and links, not from the menu.
dash.register_page(__name__, path_template="/co-so/<facility_id>", name="Thiết chế", title="Thiết chế — phusong")
HISTORY_LIMIT = 200
SOURCE_WORDS = {"app": ("ứng dụng", "app"), "kobo": ("Kobo", "Kobo"), "odk": ("ODK", "ODK"),
                "csv": ("tệp tải lên", "uploaded file")}
TEXTS: dict[str, tuple[str, str]] = {
    "history": ("Lịch sử kiểm tra", "Inspection history"),
    "date": ("Ngày kiểm tra", "Date"),
    "inspector": ("Người kiểm tra", "Inspector"),
    "status": ("Tình trạng", "Status"),
    "note": ("Ghi chú", "Note"),
    "photo": ("Ảnh", "Photo"),
    "source": ("Nguồn", "Source"),
    "none": ("Chưa có lần kiểm tra nào.", "No inspection yet."),
    "withdrawn": ("đã hoàn tác/đã sửa", "undone/corrected"),
    "survey_code": ("Mã khảo sát", "Survey code"),
    "commune": ("Xã/phường", "Commune"),
    "position": ("Vị trí", "Position"),
    "back": ("‹ Về danh sách kiểm tra", "‹ Back to the inspection list"),
}


def tx(key: str) -> str:
    vi, en = TEXTS[key]
    return en if current_lang() == "en" else vi


def layout(facility_id: str | None = None, **_: Any) -> Any:
    user = current_user()
    refused = gate(user, ROLES)
    if refused or user is None:
        return refused
    found = rows("facility_page", {"id": int(facility_id)}) if (facility_id or "").isdigit() else []
    if not found or not communes_in_scope(user, [found[0]["commune_code"]]):
        return no_access()  # outside the scope: as missing as a facility that does not exist
    f = found[0]
    history = rows("facility_inspection_history", {"id": f["id"], "limit": HISTORY_LIMIT})
    back = [dcc.Link(tx("back"), href="/kiem-tra", className="small")] if user.role in ("inspector", "admin") else []
    return html.Div([
        *back,
        html.H4(f["name"] or type_word(f["type"]), className="mt-2 mb-1", id="facility-name"),
        html.Div(_facts(f), className="small text-muted mb-3", id="facility-facts"),
        html.H5(tx("history"), className="mb-2"),
        _history(history),
    ], className="facility-page", style={"maxWidth": "960px"})


def _facts(f: dict[str, Any]) -> list[Any]:
    parts = [type_word(f["type"]), f"{tx('commune')}: {f['commune_name']} ({f['commune_code']})",
             f"{tx('status')}: {status_word(f['status'])}"]
    if f["external_id"]:
        parts.append(f"{tx('survey_code')}: {f['external_id']}")
    if f["lat"] is not None:
        parts.append(f"{tx('position')}: {f['lat']:.5f}, {f['lon']:.5f}")
    return [html.Span(" · ".join(parts))]


def _history(history: list[dict[str, Any]]) -> Any:
    if not history:
        return html.Div(tx("none"), className="text-muted", id="facility-history-empty")
    return html.Div([_entry(r) for r in history], id="facility-history")


def _entry(r: dict[str, Any]) -> Any:
    """One inspection as a card row: it reads on a phone (no wide table) and on a desktop."""
    en = current_lang() == "en"
    withdrawn = r["withdrawn_at"] is not None
    source = SOURCE_WORDS.get(r["source"], (r["source"], r["source"]))[1 if en else 0]
    badges = [dbc.Badge(status_word(r["status_found"]), color="secondary" if withdrawn else "primary",
                        className="ms-2")]
    if withdrawn:
        badges.append(dbc.Badge(tx("withdrawn"), color="light", text_color="dark", className="ms-1"))
    photo = []
    if r["has_photo"]:
        href = f"/download/inspection-photo/{r['id']}.jpg"
        photo = [html.A(html.Img(src=f"{href}?size=thumb", alt=tx("photo"), className="photo-thumb history-thumb"),
                        href=href, target="_blank")]
    return html.Div([
        html.Div([
            html.Div([html.B(fmt_date(r["inspected_at"])), *badges]),
            html.Div(f"{tx('inspector')}: {r['inspector']} · {tx('source')}: {source}", className="small"),
            html.Div(r["note"] or "–", className="small text-break"),
        ], className="flex-grow-1"),
        *photo,
    ], className="d-flex gap-2 border-bottom py-2 history-entry" + (" text-muted" if withdrawn else ""))
