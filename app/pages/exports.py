"""Xuất dữ liệu / Báo cáo: the gap analysis and scenarios as XLSX, CSV, GeoPackage, a PDF report and a standalone
HTML map, for one province or the whole scope. The files are made by /download/ routes (app/exports.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from app.auth import current_user, require, scope_binds
from app.components.common import gate, rows
from app.exports import EXPORT_ROLES
from app.i18n import current_lang, fmt_date, fmt_int, t

dash.register_page(__name__, path="/xuat-bao-cao", name="Xuất dữ liệu / Báo cáo",
                   title="Xuất dữ liệu / Báo cáo — phusong", label_key="page_exports", roles=EXPORT_ROLES, order=3)


def layout(**_: Any) -> Any:
    user = current_user()
    refused = gate(user, EXPORT_ROLES)
    if refused or user is None:
        return refused
    en = current_lang() == "en"
    provinces = rows("provinces_in_scope", scope_binds(user))
    scenarios = rows("scenario_names", {})
    return html.Div([
        html.H4(t("page_exports"), className="mb-2"),
        dbc.Row([
            dbc.Col([dbc.Label(t("province"), className="small mb-0"),
                     dcc.Dropdown(id="exports-province", placeholder=t("all"),
                                  value=provinces[0]["code"] if len(provinces) == 1 else None,
                                  options=[{"label": p["name"], "value": p["code"]} for p in provinces])], md=4),
            dbc.Col([dbc.Label(t("scenario"), className="small mb-0"),
                     dcc.Dropdown(id="exports-scenario", placeholder="–",
                                  options=[{"label": f"{s['name']} ({fmt_date(s['created_at'])})",
                                            "value": s["name"]} for s in scenarios])], md=4),
        ], className="mb-3 g-2"),
        dbc.Card(dbc.CardBody([
            html.H6("Phân tích khoảng trống phủ sóng" if not en else "Coverage gap analysis"),
            html.P("Mỗi xã một dòng: dân số được phủ sóng, thôn có loa, tiêu chí 8.3, mức phục vụ và lý do; kèm "
                   "tham số và ngày dữ liệu." if not en else "One row per commune: people reached, villages "
                   "reached, criterion 8.3, class and reason; with parameters and data date.",
                   className="small text-muted"),
            html.Div(id="exports-links", className="d-flex flex-wrap gap-2"),
        ]), className="mb-3"),
        dbc.Card(dbc.CardBody([
            html.H6(t("scenario")),
            html.Div(id="exports-scenario-links", className="d-flex flex-wrap gap-2"),
        ])),
    ])


def _link(label: str, href: str, id: str) -> html.A:
    return html.A(f"{t('download')} {label}", href=href, id=id, className="btn btn-outline-primary btn-sm",
                  download="")


@callback(Output("exports-links", "children"), Output("exports-scenario-links", "children"),
          Input("exports-province", "value"), Input("exports-scenario", "value"))
def links(province: str | None, scenario: str | None) -> Any:
    require(*EXPORT_ROLES)
    query = urlencode({k: v for k, v in (("province", province), ("scenario", scenario)) if v})
    suffix = f"?{query}" if query else ""
    gaps = [
        _link("XLSX (báo cáo)" if current_lang() == "vi" else "XLSX (report)", f"/download/report.xlsx{suffix}",
              "exports-xlsx"),
        _link("CSV", f"/download/gaps.csv{suffix}", "exports-csv"),
        _link("GeoPackage", f"/download/gaps.gpkg{suffix}", "exports-gpkg"),
        _link("PDF", f"/download/report.pdf{suffix}", "exports-pdf"),
        _link("HTML (bản đồ)" if current_lang() == "vi" else "HTML (map)", f"/download/map.html{suffix}",
              "exports-map"),
    ]
    if not scenario:
        chosen = html.Span("Chọn một phương án ở trên." if current_lang() == "vi" else "Choose a scenario above.",
                           className="small text-muted")
        return gaps, chosen
    name = quote(scenario, safe="")
    found = rows("scenario_names", {})
    total = next((s for s in found if s["name"] == scenario), None)
    info = html.Span(f"{fmt_int(total['budget_vnd'])} đồng" if total else "", className="small text-muted me-2")
    return gaps, [info] + [_link(fmt.upper(), f"/download/scenario/{name}.{fmt}", f"exports-scenario-{fmt}")
                           for fmt in ("xlsx", "csv", "gpkg")]
