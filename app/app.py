"""The Dash application: one page per file in app/pages/, all scripts and styles served from app/assets/."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import dash
import dash_bootstrap_components as dbc
import diskcache
from dash import Dash, DiskcacheManager, Input, Output, State, clientside_callback, dcc, html

from app import auth, basemap, dash_json, downloads, errors, live_gis, login, map_data, offline, security_headers
from app.i18n import current_lang, t
from sql.settings import Settings, get_settings

APP_DIR = Path(__file__).resolve().parent


class OneJobPerAsk(DiskcacheManager):
    """Dash's manager keys a background job's result by a hash of the callback and its inputs, and deletes the
    result once a page has read it. Two asks with the same inputs — two planners running the same plan, two
    pages of one user — shared that key: the first page to poll took the result (possibly the other user's, of
    a scope they may not read) and the other waited forever (seen in the suite: a plan run never answered). A job
    keyed by a random token is read only by the page that started it (its poll carries the signed key)."""

    def build_cache_key(self, *_: Any) -> str:
        return secrets.token_hex(32)


def create_app(settings: Settings | None = None) -> Dash:
    """Build the app. No CDN: Dash serves its own bundles and app/assets/ (Bootstrap included)."""
    settings = settings or get_settings()
    dash_json.install()  # callback answers encoded by orjson without plotly's Python walk of the tree
    # Long work (planning, exports, loads) runs in background callbacks: a separate process per job, results
    # kept in a disk cache, so the page keeps answering and shows progress.
    cache_dir = settings.out_dir / "callback-cache"
    cache_dir.mkdir(parents=True, exist_ok=True)
    manager = OneJobPerAsk(diskcache.Cache(str(cache_dir)))
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(APP_DIR / "pages"),
        assets_folder=str(APP_DIR / "assets"),
        serve_locally=True,
        title="phusong — Phủ sóng thông tin cơ sở",
        update_title=None,
        suppress_callback_exceptions=True,
        background_callback_manager=manager,
        # gzip on the wire (flask-compress): the national map's 1.1 MB of GeoJSON travels as ~170 kB on 3G.
        compress=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
        on_error=errors.on_callback_error,
    )
    app.server.config["PHUSONG_SETTINGS"] = settings
    login.install(app.server, settings)
    downloads.install(app.server)
    errors.install(app.server)
    security_headers.install(app)
    live_gis.install(app.server)  # /ogcapi and /tiles for GIS clients, with personal access tokens
    offline.install(app.server)  # /thuc-dia/: the offline inspector page, its area pack and sync (issue 20)
    map_data.install(app.server)  # /map-data/: the coverage map's communes, gzipped once per data version
    basemap.install(app.server)  # /basemap/: a user-supplied MBTiles base map (PHUSONG_BASEMAP_MBTILES)
    app.layout = _layout
    return app


def _layout(**_: Any) -> html.Div:
    """The frame around every page, built per request: the menu shows only the pages the user's role may use."""
    user = auth.current_user()
    links = []
    for page in dash.page_registry.values():
        roles = page.get("roles", ())
        if user is not None and user.role in roles:
            links.append(dbc.NavItem(dbc.NavLink(t(page.get("label_key", page["name"])), href=page["relative_path"],
                                                 id=f"nav-{page['module'].rsplit('.', 1)[-1]}")))
    right = []
    if user is not None:
        right = [
            dbc.NavItem(html.Span(f"{user.name} · {t('role_' + user.role)}", id="nav-user",
                                  className="navbar-text small me-3"), className="ms-lg-auto"),
            dbc.NavItem(html.A(t("language_switch"), href="/lang/" + ("en" if current_lang() == "vi" else "vi"),
                               className="nav-link", id="nav-lang")),
            # Logging out is a POST with the CSRF token: a link or an image on another site cannot do it.
            dbc.NavItem(html.Form([
                dcc.Input(type="hidden", name=auth.CSRF_FIELD, value=auth.csrf_token(), id="nav-logout-token"),
                html.Button(t("logout"), type="submit", id="nav-logout", className="nav-link btn btn-link"),
            ], method="POST", action="/logout", className="m-0")),
        ]
    nav = dbc.Navbar(
        dbc.Container([
            dbc.NavbarBrand("phusong", href="/", className="me-3"),
            dbc.NavbarToggler(id="nav-toggler"),
            dbc.Collapse(dbc.Nav(links + right, navbar=True, className="w-100"), id="nav-collapse", navbar=True),
        ], fluid=True),
        color="primary", dark=True, className="py-1",
    )
    failed = dbc.Alert(id=errors.ERROR_ALERT_ID, is_open=False, color="danger", dismissable=True, className="m-2")
    return html.Div([nav, dcc.Location(id="url"), failed, _session_texts(user),
                     dbc.Container(dash.page_container, fluid=True, className="pt-2")], lang=current_lang())


def _session_texts(user: auth.User | None) -> html.Div:
    """Words for app/assets/phusong_session.js, which logs a user back in without leaving the page when the
    session has ended (issue 21): in the user's language, with the name to log in again as."""
    return html.Div(id="session-texts", hidden=True, **{
        "data-expired": t("session_expired"), "data-failed": t("session_login_unavailable"),
        "data-user": user.name if user is not None else ""})


# The menu button on a phone opens and closes the menu in the browser, without a round trip.
clientside_callback("function(n, open) { return n ? !open : open; }", Output("nav-collapse", "is_open"),
                    Input("nav-toggler", "n_clicks"), State("nav-collapse", "is_open"), prevent_initial_call=True)


def serve(settings: Settings | None = None, *, debug: bool = False) -> None:
    """Serve the app on the configured host and port (127.0.0.1:8050 by default).

    A production WSGI server (waitress, pure Python) rather than Flask's development server: a department runs
    this as its service. ``debug`` keeps Dash's development server with its reloader for work on the app itself.
    """
    settings = settings or get_settings()
    app = create_app(settings)
    if debug:
        app.run(host=settings.host, port=settings.port, debug=True, threaded=True)
        return
    from waitress import serve as waitress_serve

    waitress_serve(app.server, host=settings.host, port=settings.port, threads=16, ident="phusong")
