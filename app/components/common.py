"""Helpers the pages share: run a named query, show a refusal, format a small table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from app.auth import User, may_see_page
from app.i18n import t
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
    z = 6 if zoom is None else max(4, min(16, int(zoom)))
    return 360.0 / (256 * 2 ** z) / 2


def zoom_for_bounds(bounds: Sequence[Sequence[float]], *, width_px: int = 800) -> int:
    """The web-mercator zoom at which ``[[s, w], [n, e]]`` fills about ``width_px``."""
    span = max(bounds[1][1] - bounds[0][1], (bounds[1][0] - bounds[0][0]) * 1.2, 1e-4)
    return max(4, min(16, int(math.log2(width_px * 360 / (256 * span)))))


def small_table(header: Sequence[str], body: Sequence[Sequence[Any]], *, id: str | None = None) -> dbc.Table:
    props: dict[str, Any] = {"id": id} if id else {}
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in header])),
                      html.Tbody([html.Tr([html.Td(c) for c in r]) for r in body])],
                     size="sm", striped=True, bordered=False, className="small", **props)
