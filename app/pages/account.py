"""Tài khoản: the logged-in user's own page — their role and scope, and their personal access tokens for QGIS and
GDAL (issue 19): listed, made (shown once), revoked. Each user sees and revokes only their own tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html, no_update

from app.auth import ROLES, User, current_user, require
from app.components.common import gate, small_table
from app.errors import error_text
from app.i18n import current_lang, fmt_date, t
from app.live_gis.tokens import TokenError, create_token, list_tokens, revoke_token
from sql.engine import connect

dash.register_page(__name__, path="/tai-khoan", name="Tài khoản", title="Tài khoản — phusong",
                   label_key="page_account", roles=ROLES, order=9)
EXPIRY_DAYS = (30, 90, 365)


def layout(**_: Any) -> Any:
    user = current_user()
    refused = gate(user, ROLES)
    if refused or user is None:
        return refused
    return html.Div([
        html.H5(f"{user.name} · {t('role_' + user.role)}", className="mt-2", id="account-user"),
        html.P(f"{t('scope')}: {', '.join(user.scope_codes) or t('whole_country')}", className="small"),
        # Issue 21: the user's own change of password (the same form a reset by an admin leads to).
        html.A("Đổi mật khẩu" if current_lang() == "vi" else "Change the password", href="/doi-mat-khau",
               id="account-change-password", className="small"),
        html.H6(t("tokens"), className="mt-3"),
        html.P(t("tokens_help"), className="small text-muted"),
        dbc.Row([
            dbc.Col(dbc.Input(id="account-token-name", placeholder=t("token_name"), size="sm", maxLength=80), md=4),
            dbc.Col(dbc.Select(id="account-token-days", value="90", size="sm",
                               options=[{"label": f"{t('token_expires_days')}: {d}", "value": str(d)}
                                        for d in EXPIRY_DAYS]), md=3),
            dbc.Col(dbc.Button(t("token_add"), id="account-token-add", size="sm", color="primary"), md="auto"),
        ], className="g-2"),
        html.Div(id="account-token-message", className="mt-2"),
        html.Div(_tokens_table(user), id="account-tokens", className="mt-2"),
    ])


def _tokens_table(user: User) -> Any:
    with connect() as conn:
        found = list_tokens(conn, user.name)
    now = datetime.now(UTC)

    def state(r: dict[str, Any]) -> Any:
        if r["revoked_at"]:
            return t("token_revoked")
        if r["expires_at"] and r["expires_at"] <= now:
            return t("token_expired")
        return html.Span([t("token_live"), " ", dbc.Button(t("token_revoke"), size="sm", color="link",
                                                          className="p-0 ms-2",
                                                          id={"type": "account-token-revoke", "id": r["id"]})])

    return small_table(
        ["#", t("token_name").split(" (")[0], "", t("created"), t("expires"), t("last_used"), t("state")],
        [[r["id"], r["name"], html.Code(r["prefix"] + "…"), fmt_date(r["created_at"]),
          fmt_date(r["expires_at"]) if r["expires_at"] else t("never"),
          fmt_date(r["last_used_at"]) if r["last_used_at"] else t("never"), state(r)] for r in found],
        id="account-tokens-table", stacked=True)


@callback(Output("account-token-message", "children"), Output("account-tokens", "children"),
          Input("account-token-add", "n_clicks"), State("account-token-name", "value"),
          State("account-token-days", "value"), prevent_initial_call=True)
def add_token(_n: int | None, name: str | None, days: str | None) -> Any:
    user = require(*ROLES)
    expires = int(days) if days and days.isdigit() and int(days) in EXPIRY_DAYS else 90
    try:
        with connect() as conn:
            token, _row = create_token(conn, user.name, name=name or "", expires_in=timedelta(days=expires),
                                       actor=user.name)
    except TokenError as exc:
        return dbc.Alert(error_text(exc), color="danger", className="py-1"), no_update
    shown = dbc.Alert([html.Div(t("token_shown_once")), html.Code(token, id="account-new-token")],
                      color="success", className="py-2")
    return shown, _tokens_table(user)


@callback(Output("account-token-message", "children", allow_duplicate=True),
          Output("account-tokens", "children", allow_duplicate=True),
          Input({"type": "account-token-revoke", "id": dash.ALL}, "n_clicks"), prevent_initial_call=True)
def revoke(clicks: list[int | None]) -> Any:
    user = require(*ROLES)
    if not any(clicks) or not isinstance(dash.ctx.triggered_id, dict):
        return no_update, no_update
    try:
        with connect() as conn:
            row = revoke_token(conn, int(dash.ctx.triggered_id["id"]), user_name=user.name, actor=user.name)
    except TokenError as exc:
        return dbc.Alert(error_text(exc), color="danger", className="py-1"), no_update
    return dbc.Alert(f"{t('token_revoked')} #{row['id']}", color="secondary", className="py-1"), _tokens_table(user)
