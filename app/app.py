"""The Dash application: one page per file in app/pages/, all scripts and styles served from app/assets/."""

from __future__ import annotations

from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import Dash, html

from sql.settings import Settings, get_settings

APP_DIR = Path(__file__).resolve().parent


def create_app(settings: Settings | None = None) -> Dash:
    """Build the app. No CDN: Dash serves its own bundles and app/assets/ (Bootstrap included)."""
    settings = settings or get_settings()
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(APP_DIR / "pages"),
        assets_folder=str(APP_DIR / "assets"),
        serve_locally=True,
        title="phusong — Phủ sóng thông tin cơ sở",
        update_title=None,
        suppress_callback_exceptions=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.server.config["PHUSONG_SETTINGS"] = settings
    app.layout = _layout()
    return app


def _layout() -> html.Div:
    nav = dbc.NavbarSimple(
        children=[dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"]))
                  for page in dash.page_registry.values()],
        brand="phusong · Phủ sóng thông tin cơ sở",
        brand_href="/",
        color="primary",
        dark=True,
        fluid=True,
    )
    return html.Div([nav, dbc.Container(dash.page_container, fluid=True, className="pt-2")], lang="vi")


def serve(settings: Settings | None = None, *, debug: bool = False) -> None:
    """Serve the app on the configured host and port (127.0.0.1:8050 by default)."""
    settings = settings or get_settings()
    create_app(settings).run(host=settings.host, port=settings.port, debug=debug)
