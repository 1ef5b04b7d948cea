"""Xuất dữ liệu / Báo cáo: the gap analysis and scenarios as XLSX, CSV, GeoPackage, a PDF report and a standalone
HTML map, for one province or the whole scope, and the periodic report (Sơ kết / Tổng kết) of one province for a
period that has a coverage snapshot. The files are made by /download/ routes (app/exports.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from analysis.reports import Period, parse_period
from app.auth import current_user, require, scope_binds
from app.components.common import gate, rows, scenario_options
from app.exports import EXPORT_ROLES
from app.i18n import current_lang, fmt_int, t
from app.refresh_text import stale_alert

dash.register_page(__name__, path="/xuat-bao-cao", name="Xuất dữ liệu / Báo cáo",
                   title="Xuất dữ liệu / Báo cáo — phusong", label_key="page_exports", roles=EXPORT_ROLES, order=3)


def layout(**_: Any) -> Any:
    user = current_user()
    refused = gate(user, EXPORT_ROLES)
    if refused or user is None:
        return refused
    en = current_lang() == "en"
    provinces = rows("provinces_in_scope", scope_binds(user))
    return html.Div([
        html.H4(t("page_exports"), className="mb-2"),
        stale_alert(id="exports-stale-alert"),  # the files carry it in their metadata too
        dbc.Row([
            dbc.Col([dbc.Label(t("province"), className="small mb-0"),
                     dcc.Dropdown(id="exports-province", placeholder=t("all"),
                                  value=provinces[0]["code"] if len(provinces) == 1 else None,
                                  options=[{"label": p["name"], "value": p["code"]} for p in provinces])], md=4),
            dbc.Col([dbc.Label(t("scenario"), className="small mb-0"),
                     dcc.Dropdown(id="exports-scenario", placeholder="–", options=scenario_options(user))], md=4),
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
        ]), className="mb-3"),
        _periodic_card(en),
    ])


def snapshot_periods() -> list[Period]:
    """The periods that have a coverage snapshot, newest first (a quarter before the year that ends with it)."""
    found = [parse_period(r["period"]) for r in rows("snapshot_periods", {})]
    return sorted(found, key=lambda p: (p.end, p.start), reverse=True)


def _periodic_card(en: bool) -> Any:
    periods = [{"label": f"{p.label_vi} ({p.review_vi})", "value": p.key} for p in snapshot_periods()]
    return dbc.Card(dbc.CardBody([
        html.H6("Báo cáo định kỳ (Sơ kết / Tổng kết)" if not en else "Periodic report"),
        html.P("Một tỉnh, một kỳ báo cáo (số liệu phủ sóng chốt cuối kỳ), so với kỳ trước: xã theo mức phục vụ, "
               "tiêu chí 8.3, cụm loa, lượt kiểm tra, phản ánh, bản đồ và bảng theo xã." if not en else
               "One province, one reporting period (coverage as of its snapshot), versus a previous period: "
               "communes by class, criterion 8.3, clusters, inspections, citizen reports, a map and a table per "
               "commune.", className="small text-muted"),
        dbc.Row([
            dbc.Col([dbc.Label("Kỳ báo cáo" if not en else "Reporting period", className="small mb-0"),
                     dcc.Dropdown(id="exports-period", options=periods, clearable=False,
                                  value=periods[0]["value"] if periods else None,
                                  placeholder="Chưa có số liệu chốt kỳ" if not en else "No snapshot yet")], md=4),
            dbc.Col([dbc.Label("So với kỳ" if not en else "Compare with", className="small mb-0"),
                     dcc.Dropdown(id="exports-compare", options=periods,
                                  placeholder="Kỳ trước" if not en else "Previous period")], md=4),
        ], className="mb-2 g-2"),
        html.Div(id="exports-periodic-links", className="d-flex flex-wrap gap-2"),
    ]))


def _link(label: str, href: str, id: str) -> html.A:
    # No `download` attribute: the file comes as an attachment, and a refused or failed export shows its error
    # page (with its status) instead of being saved under the file's name.
    return html.A(f"{t('download')} {label}", href=href, id=id, className="btn btn-outline-primary btn-sm")


@callback(Output("exports-links", "children"), Output("exports-scenario-links", "children"),
          Input("exports-province", "value"), Input("exports-scenario", "value"))
def links(province: str | None, scenario: int | None) -> Any:
    user = require(*EXPORT_ROLES)
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
    found = rows("scenario_names", scope_binds(user))
    total = next((s for s in found if s["id"] == scenario), None)
    if total is None:  # not one the user may read (the links would be refused)
        return gaps, html.Span(t("no_access"), className="small text-muted")
    info = html.Span(f"{total['name']} · {total['owner']} · {fmt_int(total['budget_vnd'])} đồng",
                     className="small text-muted me-2")
    return gaps, [info] + [_link(fmt.upper(), f"/download/scenario/{int(scenario)}.{fmt}", f"exports-scenario-{fmt}")
                           for fmt in ("xlsx", "csv", "gpkg")]


@callback(Output("exports-periodic-links", "children"), Input("exports-province", "value"),
          Input("exports-period", "value"), Input("exports-compare", "value"))
def periodic_links(province: str | None, period: str | None, compare: str | None) -> Any:
    require(*EXPORT_ROLES)
    vi = current_lang() == "vi"
    if not period:
        return html.Span("Chưa có kỳ nào được chốt số liệu (phusong report snapshot)." if vi else
                         "No period has a coverage snapshot yet (phusong report snapshot).",
                         className="small text-muted")
    if not province:
        return html.Span("Chọn một tỉnh ở trên." if vi else "Choose a province above.", className="small text-muted")
    suffix = f"?{urlencode({'compare': compare})}" if compare and compare != period else ""
    base = f"/download/periodic/{quote(province, safe='')}/{quote(period, safe='')}"
    return [_link(fmt.upper(), f"{base}.{fmt}{suffix}", f"exports-periodic-{fmt}") for fmt in ("pdf", "xlsx")]
