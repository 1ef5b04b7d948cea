"""Quản trị → Nhật ký thay đổi (issue 21): the audit log in words (Vietnamese action and object names, "field:
before → after"), filtered by date range, user and object (type, id), 50 rows a page read on the server, and the
filtered rows as XLSX (/download/audit.xlsx, app/audit_export.py)."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from app.audit_export import PAGE_ROWS, AuditFilterError, AuditFilters, audit_page
from app.audit_words import ACTIONS, ENTITIES, change_text, word
from app.auth import require
from app.components.common import small_table
from app.errors import error_text
from app.i18n import current_lang, fmt_date

ADMIN = ("admin",)
FILTERS = ("since", "until", "user", "entity", "entity_id")
_CALLBACKS: list[tuple[Any, tuple[Any, ...], dict[str, Any]]] = []


def _on(*dependencies: Any, **options: Any) -> Any:
    """Keep a callback of this tab for ``register_callbacks`` (a decorator like dash.callback)."""
    def keep(function: Any) -> Any:
        _CALLBACKS.append((function, dependencies, options))
        return function
    return keep


def register_callbacks() -> None:
    """Give the app being built this tab's callbacks (see app/pages/admin_users.py: the page module runs anew for
    every app, this one is imported once)."""
    for function, dependencies, options in _CALLBACKS:
        callback(*dependencies, **options)(function)


def _w(vi: str, en: str) -> str:
    return en if current_lang() == "en" else vi


def audit_tab() -> Any:
    lang = current_lang()
    kinds = ("facility", "inspection", "village", "app_user", "scenario", "feedback", "login", "session", "download",
             "request", "api_token")
    return html.Div([
        dbc.Row([
            dbc.Col(dbc.InputGroup([dbc.InputGroupText(_w("Từ", "From")),
                                    dbc.Input(id="admin-audit-since", type="date")], size="sm"), xs=6, md=2),
            dbc.Col(dbc.InputGroup([dbc.InputGroupText(_w("Đến", "To")),
                                    dbc.Input(id="admin-audit-until", type="date")], size="sm"), xs=6, md=2),
            dbc.Col(dbc.Input(id="admin-audit-user", size="sm", debounce=True,
                              placeholder=_w("Người thực hiện", "User")), xs=6, md=2),
            dbc.Col(dbc.Select(id="admin-audit-entity", value="", size="sm", options=[
                {"label": _w("Mọi đối tượng", "Every object"), "value": ""}] + [
                {"label": word(ENTITIES, e, lang), "value": e} for e in kinds]), xs=6, md=2),
            dbc.Col(dbc.Input(id="admin-audit-entity-id", size="sm", debounce=True,
                              placeholder=_w("Mã đối tượng", "Object id")), xs=6, md=2),
            dbc.Col(html.A(_w("Tải XLSX", "Download XLSX"), id="admin-audit-export", href="/download/audit.xlsx",
                           className="btn btn-sm btn-outline-primary"), xs=6, md=2),
        ], className="g-2 my-2"),
        html.Div(id="admin-audit-refused"),
        html.Div(id="admin-audit", className="table-responsive"),
        dcc.Store(id="admin-audit-page", data=0),
        html.Div([
            dbc.Button("‹ " + _w("Trang trước", "Previous"), id="admin-audit-prev", size="sm", color="secondary",
                       outline=True),
            html.Span(id="admin-audit-pages", className="small mx-2"),
            dbc.Button(_w("Trang sau", "Next") + " ›", id="admin-audit-next", size="sm", color="secondary",
                       outline=True),
        ], className="d-flex align-items-center my-2"),
    ])


@_on(Output("admin-audit", "children"), Output("admin-audit-page", "data"), Output("admin-audit-pages", "children"),
     Output("admin-audit-export", "href"), Output("admin-audit-refused", "children"),
     Input("admin-tabs", "active_tab"), Input("admin-audit-since", "value"), Input("admin-audit-until", "value"),
     Input("admin-audit-user", "value"), Input("admin-audit-entity", "value"), Input("admin-audit-entity-id", "value"),
     Input("admin-audit-prev", "n_clicks"), Input("admin-audit-next", "n_clicks"), State("admin-audit-page", "data"))
def show_audit(tab: str | None, since: str | None, until: str | None, user: str | None, entity: str | None,
               entity_id: str | None, _prev: int | None, _next: int | None, page: int | None) -> Any:
    """One page of the filtered log; a changed filter goes back to the first page."""
    require(*ADMIN)
    if tab != "admin-tab-audit":
        return (no_update,) * 5
    try:
        filters = AuditFilters.read(dict(zip(FILTERS, (since, until, user, entity, entity_id), strict=True)))
    except AuditFilterError as exc:
        return no_update, no_update, no_update, no_update, dbc.Alert(error_text(exc), color="danger", className="py-1")
    trigger = dash.ctx.triggered_id
    page = int(page or 0) + {"admin-audit-prev": -1, "admin-audit-next": 1}.get(str(trigger), 0)
    if trigger not in ("admin-audit-prev", "admin-audit-next"):
        page = 0
    found, total = audit_page(filters, max(0, page))
    pages = max(1, -(-total // PAGE_ROWS))
    if page >= pages or page < 0:  # past either end: stay on the last page that has rows
        page = min(max(0, page), pages - 1)
        found, total = audit_page(filters, page)
    said = _w(f"Trang {page + 1}/{pages} · {total:,} dòng".replace(",", "."),
              f"Page {page + 1}/{pages} · {total:,} rows")
    href = "/download/audit.xlsx" + (f"?{filters.query()}" if filters.query() else "")
    return _table(found), page, said, href, None


def _table(found: list[dict[str, Any]]) -> Any:
    lang = current_lang()
    return small_table(
        [_w("Thời điểm", "When"), _w("Người", "User"), _w("Thao tác", "Action"), _w("Đối tượng", "Object"),
         _w("Thay đổi", "Change")],
        [[fmt_date(r["at"]), r["user"], word(ACTIONS, r["action"], lang),
          f"{word(ENTITIES, r['entity'], lang)} {r['entity_id'] or ''}",
          html.Div([html.Div(line) for line in change_text(r["before"], r["after"])], className="small")]
         for r in found], id="admin-audit-table", stacked=True)
