"""Exports for budget staff: the gap analysis and scenarios as XLSX/CSV/GeoPackage, a PDF report (map image and
tables, Vietnamese text as TrueType so it renders and can be searched) and a standalone folium map whose
scripts and styles are inlined (it opens with no internet). Served under /download/, each route checked for role
and scope; the tables come from analysis/ (coverage_gaps, scenario_actions), the rendering stays here (PDF through
app.pdf). The periodic report (app.reports) is served here too: /download/periodic/<province>/<period>.<fmt>.
"""

from __future__ import annotations

import html
import io
import json
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import flask
import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection

from analysis.gaps import CLASS_VI, HEADERS_VI, coverage_gaps, gaps_metadata, write_gaps
from analysis.outputs.plans import locate_actions, scenario_parameters, write_plan
from analysis.planning_geo import PlanningInputError, ScenarioHeader, find_scenario, scenario_actions
from analysis.reports import ReportError
from app.auth import AccessDenied, User, communes_in_scope, require
from app.errors import error_page
from app.i18n import VIETNAM_TZ, action_word, current_lang, fmt_int, fmt_share
from app.pdf import CLASS_COLOURS, NO_DATA_COLOUR, Document, map_png
from app.reports import FORMATS as REPORT_FORMATS
from app.reports import MIME_TYPES as REPORT_MIME_TYPES
from app.reports import report_bytes
from sql.engine import connect
from sql.errors import InputRefused
from sql.safe_cells import text_only_workbook

EXPORT_ROLES = ("planner", "budget", "admin")
GAP_FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv", "gpkg": "application/geopackage+sqlite3"}
LEAFLET_DIR = Path(__file__).resolve().parent / "export_assets" / "leaflet-1.9.4"
ACTION_HEADERS_VI = {"action": "Hạng mục", "facility_id": "Mã thiết chế", "lon": "Kinh độ", "lat": "Vĩ độ",
                     "commune_code": "Mã xã", "commune_name": "Xã", "cost_vnd": "Chi phí (đồng)",
                     "added_population": "Số dân được phủ sóng thêm", "added_villages": "Số thôn có loa thêm"}


class ExportEmptyError(InputRefused):
    """Nothing to export: no analysis stored for these communes."""


# --------------------------------------------------------------------------------------------- data

def gaps_for_user(conn: Connection, user: User, province_code: str | None) -> gpd.GeoDataFrame:
    """The gap table limited to the communes the user may see (and to one province when given)."""
    gaps = coverage_gaps(conn, province_code=province_code or None)
    if not user.whole_country and len(gaps):
        allowed = communes_in_scope(user, gaps["commune_code"].astype(str).tolist(), conn=conn)
        gaps = gaps[gaps["commune_code"].isin(allowed)]
    if gaps.empty:
        raise ExportEmptyError("chưa có kết quả phân tích cho phạm vi này (no analysis stored for this scope)")
    return gaps


def provinces_table(gaps: pd.DataFrame) -> pd.DataFrame:
    """Totals per province: communes by class, people and villages reached, communes passing 8.3."""
    grouped = gaps.groupby(["province_code", "province_name"], dropna=False)
    table = grouped.agg(communes=("commune_code", "count"), pop_total=("pop_total", "sum"),
                        pop_covered=("pop_covered", "sum"), villages_total=("villages_total", "sum"),
                        villages_reached=("villages_reached", "sum"), ntm_8_3_passed=("ntm_8_3", "sum")).reset_index()
    table["pop_covered_share"] = (table["pop_covered"] / table["pop_total"].where(table["pop_total"] > 0)).round(4)
    for cls in ("unserved", "underserved", "served"):
        table[cls] = grouped["class"].apply(lambda s, c=cls: int((s == c).sum())).to_numpy()
    return table


def readable_scenario(conn: Connection, user: User, scenario_id: int) -> ScenarioHeader:
    """The scenario ``scenario_id`` when the user's scope covers it: its province (a whole-country scenario needs
    a whole-country user). AccessDenied (403) otherwise, ExportEmptyError (404) when there is no such scenario."""
    try:
        header = find_scenario(conn, int(scenario_id))
    except PlanningInputError as exc:
        raise ExportEmptyError(f"không có phương án số {scenario_id} (no scenario {scenario_id})") from exc
    if not may_read_scenario(user, header):
        raise AccessDenied(f"{user.name}: scenario {header.id} is outside their scope")
    return header


def may_read_scenario(user: User, header: ScenarioHeader) -> bool:
    """Scope over a scenario: the whole country, or its province among the user's scope codes."""
    return user.whole_country or (header.province_code is not None and header.province_code in user.scope_codes)


def _actions(conn: Connection, user: User, scenario_id: int | None) -> tuple[str, pd.DataFrame]:
    """The name and actions of a scenario the user may read (no scenario: empty)."""
    if scenario_id is None:
        return "", pd.DataFrame(columns=list(ACTION_HEADERS_VI))
    header = readable_scenario(conn, user, scenario_id)
    return header.name, scenario_actions(conn, header.id)


# --------------------------------------------------------------------------------------------- XLSX

def write_report_xlsx(path: Path, gaps: gpd.GeoDataFrame, actions: pd.DataFrame,
                      metadata: list[tuple[str, str]]) -> Path:
    """One workbook, sheets communes, provinces, actions, parameters; Vietnamese headers (GLOSSARY.md)."""
    communes = pd.DataFrame(gaps.drop(columns="geometry", errors="ignore"))
    for col in ("data_date", "computed_at"):
        if col in communes:
            communes[col] = communes[col].astype(str).replace({"None": "", "NaT": ""})
    communes["class"] = communes["class"].map(CLASS_VI).fillna(communes["class"])
    provinces = provinces_table(gaps).rename(columns={
        "province_code": "Mã tỉnh", "province_name": "Tỉnh", "communes": "Số xã", "pop_total": "Dân số",
        "pop_covered": "Dân số được phủ sóng", "pop_covered_share": "Tỷ lệ dân số được phủ sóng",
        "villages_total": "Số thôn", "villages_reached": "Thôn có loa", "ntm_8_3_passed": "Số xã đạt tiêu chí 8.3",
        "unserved": CLASS_VI["unserved"], "underserved": CLASS_VI["underserved"], "served": CLASS_VI["served"]})
    shown_actions = actions.copy()
    if len(shown_actions):
        shown_actions["action"] = shown_actions["action"].map(lambda a: action_word(a, "vi"))
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        communes.rename(columns=HEADERS_VI).to_excel(writer, sheet_name="communes", index=False)
        provinces.to_excel(writer, sheet_name="provinces", index=False)
        shown_actions.rename(columns=ACTION_HEADERS_VI).to_excel(writer, sheet_name="actions", index=False)
        pd.DataFrame(metadata, columns=["Tham số", "Giá trị"]).to_excel(writer, sheet_name="parameters",
                                                                        index=False)
        for sheet in writer.sheets.values():
            sheet.freeze_panes = "A2"
            for column in sheet.columns:
                width = max(len(str(c.value or "")) for c in list(column)[:50])
                sheet.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 60)
        text_only_workbook(writer.book)
    return path


# --------------------------------------------------------------------------------------------- PDF

def write_report_pdf(path: Path, gaps: gpd.GeoDataFrame, actions: pd.DataFrame, *, title: str,
                     metadata: list[tuple[str, str]]) -> Path:
    """A PDF (app.pdf): the communes map coloured by class with a legend and totals, then the tables."""
    today = datetime.now(VIETNAM_TZ).strftime("%d/%m/%Y")
    pdf = Document(title, f"{title} · lập ngày {today} bởi phusong")
    pdf.add_page()
    pdf.title_block(title, f"Ngày lập: {today} · {len(gaps)} xã/phường · phusong")
    # Simplified to ~100 m: finer than the printed page shows, and the PDF stays small.
    pdf.map_image("Bản đồ mức phục vụ", map_png(
        gaps.geometry.simplify(0.001, preserve_topology=True), gaps["class"].map(CLASS_COLOURS).fillna(
            NO_DATA_COLOUR).tolist(), [(CLASS_VI[c], CLASS_COLOURS[c]) for c in ("unserved", "underserved", "served")],
        legend_title="Mức phục vụ"), max_h_mm=150)
    pdf.section("Tổng hợp")
    pdf.paragraph("\n".join(_summary_lines(gaps, actions)))
    pdf.add_page(orientation="L")  # the reasons need the width
    pdf.section("Các xã theo mức ưu tiên")
    pdf.data_table(["Xã", "Tỉnh", "Mức phục vụ", "Tỷ lệ dân số", "Thôn có loa", "Tiêu chí 8.3", "Lý do"], [
        [r["commune_name"], r["province_name"] or "", CLASS_VI.get(r["class"], r["class"]),
         fmt_share(r["pop_covered_share"], "vi"), f"{r['villages_reached']}/{r['villages_total']}",
         "Đạt" if r["ntm_8_3"] else "Chưa đạt", str(r["reason"])]
        for r in gaps.sort_values("priority_score", ascending=False).to_dict("records")],
        widths=(32, 24, 32, 20, 18, 20, 131), font_size=7)
    if len(actions):
        pdf.section("Phương án đầu tư")
        pdf.data_table(["Hạng mục", "Xã", "Chi phí (đồng)", "Số dân được phủ sóng thêm"], [
            [action_word(a["action"], "vi"), a["commune_name"] or a["commune_code"], fmt_int(a["cost_vnd"], "vi"),
             fmt_int(a["added_population"], "vi")] for a in actions.to_dict("records")],
            widths=(110, 70, 45, 52), font_size=8)
    pdf.section("Tham số")
    pdf.data_table(["Tham số", "Giá trị"], [[k, str(v)] for k, v in metadata], widths=(60, 217), font_size=8)
    path.write_bytes(pdf.to_bytes())
    return path


def _summary_lines(gaps: pd.DataFrame, actions: pd.DataFrame) -> list[str]:
    counts = gaps["class"].value_counts()
    passed = int(gaps["ntm_8_3"].astype(bool).sum())
    lines = [
        f"Dân số: {fmt_int(gaps['pop_total'].sum(), 'vi')} · Dân số được phủ sóng: "
        f"{fmt_int(gaps['pop_covered'].sum(), 'vi')} "
        f"({fmt_share(gaps['pop_covered'].sum() / max(gaps['pop_total'].sum(), 1), 'vi')})",
        " · ".join(f"{CLASS_VI[c]}: {int(counts.get(c, 0))} xã" for c in ("unserved", "underserved", "served")),
        f"Tiêu chí 8.3 — Đạt: {passed} xã · Chưa đạt: {len(gaps) - passed} xã",
    ]
    if len(actions):
        lines.append(f"Phương án: {len(actions)} hạng mục, {fmt_int(actions['cost_vnd'].sum(), 'vi')} đồng, "
                     f"thêm {fmt_int(actions['added_population'].sum(), 'vi')} người được phủ sóng")
    return lines


# --------------------------------------------------------------------------------------------- HTML map

def write_standalone_map(path: Path, gaps: gpd.GeoDataFrame, *, title: str) -> Path:
    """A folium map of the communes coloured by class, with every script and style inlined (no internet)."""
    import folium

    frame = gaps[["commune_code", "commune_name", "province_name", "class", "pop_covered_share",
                  "villages_reached", "villages_total", "reason", "geometry"]].copy()
    frame["geometry"] = frame.geometry.simplify(0.0005, preserve_topology=True)
    frame["lop"] = frame["class"].map(CLASS_VI).fillna("")
    frame["ty_le"] = frame["pop_covered_share"].map(lambda v: fmt_share(v, "vi"))
    frame["thon"] = frame["villages_reached"].astype(str) + "/" + frame["villages_total"].astype(str)
    minx, miny, maxx, maxy = frame.total_bounds
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=False)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    # Only Leaflet is needed (no markers, no Bootstrap, no jQuery): the rest of folium's defaults are dropped.
    fmap.default_js = [("leaflet", "phusong-inline:leaflet.js")]
    fmap.default_css = [("leaflet_css", "phusong-inline:leaflet.css")]
    folium.GeoJson(
        json.loads(frame.drop(columns=["pop_covered_share"]).to_json(na="null", drop_id=True)),
        name="Xã",
        style_function=lambda f: {"fillColor": CLASS_COLOURS.get(f["properties"]["class"], NO_DATA_COLOUR),
                                  "color": "#444", "weight": 0.6, "fillOpacity": 0.7},
        tooltip=folium.GeoJsonTooltip(fields=["commune_name", "province_name", "lop", "ty_le", "thon", "reason"],
                                      aliases=["Xã", "Tỉnh", "Mức phục vụ", "Tỷ lệ dân số được phủ sóng",
                                               "Thôn có loa", "Lý do"], sticky=True),
    ).add_to(fmap)
    legend = "".join(f'<div><span style="display:inline-block;width:14px;height:10px;background:{CLASS_COLOURS[c]};'
                     f'margin-right:4px"></span>{CLASS_VI[c]}</div>' for c in ("unserved", "underserved", "served"))
    fmap.get_root().html.add_child(folium.Element(
        f'<div style="position:fixed;top:10px;left:50px;z-index:1000;background:#fff;padding:6px 10px;'
        f'font:13px sans-serif;box-shadow:0 0 4px #888"><b>{html.escape(title)}</b>{legend}</div>'))
    fmap.get_root().header.add_child(folium.Element('<meta charset="utf-8">'))
    page = fmap.get_root().render()
    path.write_text(inline_assets(page), encoding="utf-8")
    return path


def inline_assets(page: str) -> str:
    """Replace the map's script and stylesheet links with the files' contents; refuse any other remote link."""
    scripts = {"phusong-inline:leaflet.js": (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8")}
    styles = {"phusong-inline:leaflet.css": (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")}
    page = re.sub(r'<script src="(phusong-inline:[^"]+)"></script>',
                  lambda m: f"<script>{scripts[m.group(1)]}</script>", page)
    page = re.sub(r'<link rel="stylesheet" href="(phusong-inline:[^"]+)"\s*/>',
                  lambda m: f"<style>{styles[m.group(1)]}</style>", page)
    # Anything the browser would fetch: scripts, stylesheets, images (a plain <a href> is only a link).
    remote = re.findall(r'<(?:script|link|img)\b[^>]*(?:src|href)="(https?://[^"]+)"', page)
    if remote:
        raise RuntimeError(f"the standalone map still links to {remote[:3]}")
    return page


# --------------------------------------------------------------------------------------------- routes

def register_routes(server: flask.Flask) -> None:
    server.add_url_rule("/download/gaps.<fmt>", "download_gaps", _download_gaps)
    server.add_url_rule("/download/report.xlsx", "download_report_xlsx", _download_report_xlsx)
    server.add_url_rule("/download/report.pdf", "download_report_pdf", _download_report_pdf)
    server.add_url_rule("/download/map.html", "download_map", _download_map)
    # Scenarios by id: a name may hold "/" or anything else a URL path cannot carry (issue 21).
    server.add_url_rule("/download/scenario/<int:scenario_id>.<fmt>", "download_scenario", _download_scenario)
    server.add_url_rule("/download/periodic/<province>/<period>.<fmt>", "download_periodic", _download_periodic)
    # Anything else under /download/ is not found: never the app's HTML page under a file's name.
    server.add_url_rule("/download/<path:rest>", "download_unknown", _download_unknown)
    server.register_error_handler(ExportEmptyError, lambda e: error_page(str(e), 404))


def _scope_title(gaps: pd.DataFrame, province: str | None) -> str:
    if province and len(gaps):
        return f"Báo cáo phủ sóng thông tin cơ sở — tỉnh {gaps['province_name'].iloc[0]}"
    return "Báo cáo phủ sóng thông tin cơ sở"


def _stamp() -> str:
    return datetime.now(VIETNAM_TZ).strftime("%Y%m%d")


def _send(path: Path, name: str, mimetype: str) -> Any:
    response = flask.send_file(path, mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    response.call_on_close(lambda: path.unlink(missing_ok=True))
    return response


def _tmp(suffix: str) -> Path:
    handle = tempfile.NamedTemporaryFile(prefix="phusong-export-", suffix=suffix, delete=False)  # noqa: SIM115
    handle.close()
    return Path(handle.name)


def _request_scope() -> tuple[User, str | None, int | None]:
    user = require(*EXPORT_ROLES)
    province = flask.request.args.get("province") or None
    scenario = flask.request.args.get("scenario") or None
    if scenario is not None and not scenario.isdigit():
        raise ExportEmptyError(f"phương án {scenario!r}: cần số của phương án (a scenario id is needed)")
    return user, province, None if scenario is None else int(scenario)


def _download_unknown(rest: str) -> Any:
    raise ExportEmptyError("không có tệp này (no such download)")


def _download_gaps(fmt: str) -> Any:
    user, province, _ = _request_scope()
    if fmt not in GAP_FORMATS:
        raise AccessDenied(f"unknown format {fmt!r}", status=404)
    with connect() as conn:
        gaps = gaps_for_user(conn, user, province)
        metadata = gaps_metadata(conn, gaps, province_code=province)
    path = write_gaps(gaps, _tmp("." + fmt), fmt=fmt, metadata=[("exported_by", user.name), *metadata])
    return _send(path, f"phusong_khoang_trong_{province or 'all'}_{_stamp()}.{fmt}", GAP_FORMATS[fmt])


def _download_report_xlsx() -> Any:
    user, province, scenario = _request_scope()
    with connect() as conn:
        scenario_name, actions = _actions(conn, user, scenario)  # the scenario's scope first: 403 before 404
        gaps = gaps_for_user(conn, user, province)
        metadata = [("exported_by", user.name), ("scenario", scenario_name),
                    *gaps_metadata(conn, gaps, province_code=province)]
    path = write_report_xlsx(_tmp(".xlsx"), gaps, actions, metadata)
    return _send(path, f"phusong_bao_cao_{province or 'all'}_{_stamp()}.xlsx", GAP_FORMATS["xlsx"])


def _download_report_pdf() -> Any:
    user, province, scenario = _request_scope()
    with connect() as conn:
        scenario_name, actions = _actions(conn, user, scenario)  # the scenario's scope first: 403 before 404
        gaps = gaps_for_user(conn, user, province)
        metadata = [("Người xuất", user.name), ("Phương án", scenario_name or "–"),
                    *gaps_metadata(conn, gaps, province_code=province)]
    path = write_report_pdf(_tmp(".pdf"), gaps, actions, title=_scope_title(gaps, province), metadata=metadata)
    return _send(path, f"phusong_bao_cao_{province or 'all'}_{_stamp()}.pdf", "application/pdf")


def _download_map() -> Any:
    user, province, _ = _request_scope()
    with connect() as conn:
        gaps = gaps_for_user(conn, user, province)
    path = write_standalone_map(_tmp(".html"), gaps, title=_scope_title(gaps, province))
    return _send(path, f"phusong_ban_do_{province or 'all'}_{_stamp()}.html", "text/html")


def _download_scenario(scenario_id: int, fmt: str) -> Any:
    user = require(*EXPORT_ROLES)
    if fmt not in GAP_FORMATS:
        raise AccessDenied(f"unknown format {fmt!r}", status=404)
    with connect() as conn:
        name, actions = _actions(conn, user, scenario_id)
        located = locate_actions(conn, actions)
        parameters = [("Người xuất", user.name), *scenario_parameters(conn, scenario_id)]
    path = write_plan(_tmp("." + fmt), located, fmt=fmt, parameters=parameters, lang=current_lang())
    return _send(path, f"phusong_phuong_an_{scenario_id}_{_file_word(name)}.{fmt}", GAP_FORMATS[fmt])


def _file_word(text: str) -> str:
    """A name made safe for a file name: letters (Vietnamese kept), digits, '-', the rest '_'."""
    return re.sub(r"[^\w\-]+", "_", text, flags=re.UNICODE).strip("_")[:60] or "phuong_an"


def _download_periodic(province: str, period: str, fmt: str) -> Any:
    """The periodic report (Sơ kết / Tổng kết) of one province, as `phusong report` makes it (app.reports)."""
    user = require(*EXPORT_ROLES)
    if fmt not in REPORT_FORMATS:
        raise AccessDenied(f"unknown format {fmt!r}", status=404)
    compare = flask.request.args.get("compare") or None
    try:
        with connect() as conn:
            content = report_bytes(conn, province, period, compare, fmt=fmt, scope_codes=user.scope_codes,
                                   whole_country=user.whole_country)
    except ReportError as exc:
        # report_bytes refuses a province outside the scope; any other ReportError is a period with no snapshot.
        if user.whole_country or province in user.scope_codes:
            raise ExportEmptyError(str(exc)) from exc
        raise AccessDenied(f"{user.name}: {exc}") from exc
    name = f"phusong_bao_cao_dinh_ky_{province}_{period}{f'_so_voi_{compare}' if compare else ''}.{fmt}"
    return flask.send_file(io.BytesIO(content), mimetype=REPORT_MIME_TYPES[fmt], as_attachment=True,
                           download_name=name, max_age=0)
