"""Quản trị (administrators): three tabs, each in its own module: upload a survey → choose columns → preview →
confirm load or undo a load (app/pages/admin_upload.py); users with roles and scopes (app/pages/admin_users.py);
the audit log with filters, pages and its XLSX (app/pages/admin_audit.py)."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from app.auth import current_user
from app.components.common import gate, overdue_link
from app.i18n import current_lang, t
from app.pages.admin_audit import audit_tab
from app.pages.admin_audit import register_callbacks as register_audit_callbacks
from app.pages.admin_upload import register_callbacks as register_upload_callbacks
from app.pages.admin_upload import upload_tab
from app.pages.admin_users import register_callbacks as register_users_callbacks
from app.pages.admin_users import users_tab
from app.refresh_text import coverage_status_line

ADMIN = ("admin",)
dash.register_page(__name__, path="/quan-tri", name="Quản trị", title="Quản trị — phusong", label_key="page_admin",
                   roles=ADMIN, order=4)
# Callbacks of modules a page imports are registered per app (Dash re-runs page modules for every app it builds,
# but an imported module runs once).
register_upload_callbacks()  # the upload tab (issue 21)
register_users_callbacks()  # the users tab
register_audit_callbacks()  # the audit log tab


def layout(**_: Any) -> Any:
    user = current_user()
    refused = gate(user, ADMIN)
    if refused or user is None:
        return refused
    en = current_lang() == "en"
    return html.Div([
        html.Div([html.Span(coverage_status_line(), id="admin-coverage-status", className="small text-muted"),
                  overdue_link(user)], className="d-flex justify-content-between"),
        dbc.Tabs([
            dbc.Tab(upload_tab(en), label=f"{t('upload')} ({t('preview')})", tab_id="admin-tab-upload"),
            dbc.Tab(html.Div(id="admin-users-tab", children=users_tab(en)), label=t("users"),
                    tab_id="admin-tab-users"),
            dbc.Tab(audit_tab(), label=t("audit_log"), tab_id="admin-tab-audit"),
        ], id="admin-tabs", active_tab="admin-tab-upload", className="mt-1"),
    ])
