"""Downloads for budget staff, served under /download/, each route checked for role and scope: the gap analysis
and scenarios (XLSX, CSV, CSV cho Excel, GeoPackage, GeoJSON), the gap report (XLSX, PDF), the standalone map and
the periodic report (/download/periodic/<province>/<period>.<fmt>). Every file is built in analysis/outputs/; this
module only picks the rows the user may see, names the file (ASCII with đ -> d, and the UTF-8 name in
``filename*``) and sends it. A failed export is an error page, never a file.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import flask
import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, Engine

from analysis.gaps import coverage_gaps, gaps_metadata, write_gaps
from analysis.outputs.gap_report import write_report_pdf, write_report_xlsx
from analysis.outputs.gaps import SUFFIXES
from analysis.outputs.periodic import FORMATS as REPORT_FORMATS
from analysis.outputs.periodic import MIME_TYPES as REPORT_MIME_TYPES
from analysis.outputs.periodic import report_bytes
from analysis.outputs.plans import locate_actions, scenario_parameters, scenario_phases, write_plan
from analysis.outputs.web_map import write_standalone_map
from analysis.planning import PlanningInputError, ScenarioHeader, find_scenario, scenario_actions
from analysis.reports import ReportError
from app.auth import AccessDenied, User, communes_in_scope, require
from app.coverage_refresh import refresh_in_web
from app.downloads import ascii_name, content_disposition, file_word, opened_and_unlinked
from app.errors import error_page
from app.i18n import VIETNAM_TZ, current_lang
from app.shared_answers import data_version, scope_key
from sql import queries
from sql.engine import connect
from sql.errors import InputRefused

EXPORT_ROLES = ("planner", "budget", "admin")
GAP_FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv", "csv-excel": "text/csv", "gpkg": "application/geopackage+sqlite3",
               "geojson": "application/geo+json"}
# With `phusong worker` apart from the web (issue 22), every PDF and every export of more than this many communes
# is made by the worker: a province's workbook or PDF held a web process's CPU for seconds under the mixed load,
# and every other user of that process waited. A few communes (an inspector's or a district's) still come at once.
WORKER_ROWS_ENV, WORKER_ROWS = "PHUSONG_EXPORT_WORKER_ROWS", 20
ALWAYS_BY_WORKER = ("report_pdf",)
EMPTY_ACTIONS = ("action", "facility_id", "lon", "lat", "commune_code", "commune_name", "cost_vnd", "added_population",
                 "added_villages", "reason")


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
        return "", pd.DataFrame(columns=list(EMPTY_ACTIONS))
    header = readable_scenario(conn, user, scenario_id)
    return header.name, scenario_actions(conn, header.id)


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


def _place(gaps: pd.DataFrame, province: str | None) -> str:
    """The province's name for a file name (its code when unnamed), "ca_nuoc" for everything."""
    if province and len(gaps):
        return file_word(str(gaps["province_name"].iloc[0] or province))
    return "ca_nuoc"


def _stamp() -> str:
    return datetime.now(VIETNAM_TZ).strftime("%Y%m%d")


def _send(path: Path, name: str, mimetype: str) -> Any:
    response = flask.send_file(opened_and_unlinked(path), mimetype=mimetype, as_attachment=True,
                               download_name=ascii_name(name), max_age=0)
    response.headers["Content-Disposition"] = content_disposition(name)
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
    if fmt not in GAP_FORMATS:
        raise AccessDenied(f"unknown format {fmt!r}", status=404)
    return _deliver("gaps", fmt)


def _download_report_xlsx() -> Any:
    return _deliver("report_xlsx", "xlsx")


def _download_report_pdf() -> Any:
    return _deliver("report_pdf", "pdf")


def _download_map() -> Any:
    return _deliver("map", "html")


def _deliver(kind: str, fmt: str) -> Any:
    """Check the role and scope, then send the file made here, or, for a large export with separate workers,
    queue it and send the browser to the job's page (app/export_jobs.py)."""
    user, province, scenario = _request_scope()
    request = ExportRequest(kind, fmt, province, scenario, current_lang())
    with connect() as conn:
        version = data_version(conn)  # before the data: a job kept under it is never older than the data
        if scenario is not None:
            readable_scenario(conn, user, scenario)  # the scenario's scope first: 403 before 404
        gaps = gaps_for_user(conn, user, province)
        if made_by_worker(len(gaps), kind):
            job_id = queue_export(conn, user, request, version)
            return flask.redirect(f"/download/job/{job_id}", code=303)
    built = build_export(user, request, gaps=gaps)
    return _send(built.path, built.name, built.mime_type)


@dataclass(frozen=True)
class ExportRequest:
    """One download of the gap analysis: ``kind`` gaps, report_xlsx, report_pdf or map, in ``fmt``, for one
    province (None: the user's whole scope) with an optional scenario, in ``lang``."""
    kind: str
    fmt: str
    province: str | None
    scenario: int | None
    lang: str


def made_by_worker(communes: int, kind: str = "gaps") -> bool:
    """Whether an export of ``communes`` rows goes to a worker (app/export_jobs.py): only when workers run apart
    from the web (`phusong serve --workers N`), and then every PDF and anything of more than a few communes."""
    if refresh_in_web():
        return False
    return kind in ALWAYS_BY_WORKER or communes > int(os.environ.get(WORKER_ROWS_ENV, WORKER_ROWS))


def queue_export(conn: Connection, user: User, request: ExportRequest, version: str) -> int:
    """The job of ``request`` for ``user``: the one already made or being made for the same ask, scope and data
    ``version`` (so the same file is made once however often it is asked for), else a new queued one, whose
    NOTIFY wakes the workers. Returns the job's id."""
    whole, scope = scope_key(user)
    binds = {"user_name": user.name, "kind": request.kind, "fmt": request.fmt, "province_code": request.province,
             "scenario_id": request.scenario, "lang": request.lang,
             "data_version": f"{version}|{'*' if whole else ','.join(scope)}"}
    conn.execute(queries.load("export_ask_locked"), {"ask": repr(sorted(binds.items(), key=str))})
    return int(conn.execute(queries.load("reused_or_queued_export_job"), binds).scalar_one())


@dataclass(frozen=True)
class BuiltFile:
    path: Path
    name: str
    mime_type: str


def build_export(user: User, request: ExportRequest, *, gaps: gpd.GeoDataFrame | None = None,
                 engine: Engine | None = None) -> BuiltFile:
    """Write one export for ``user`` (rows of their scope only) into a temporary file: the same code for a direct
    download and for a worker's job. ``gaps``: the rows already read for this user, when the caller has them."""
    province, lang = request.province, request.lang
    with connect(engine) as conn:
        scenario_name, actions = _actions(conn, user, request.scenario)
        gaps = gaps if gaps is not None else gaps_for_user(conn, user, province)
        if request.kind in ("report_xlsx", "report_pdf"):
            actions = locate_actions(conn, actions)
        metadata = [("Người xuất", user.name), *([("Phương án", scenario_name or "–")]
                                                  if request.kind.startswith("report") else []),
                    *gaps_metadata(conn, gaps, province_code=province)]
    place = _place(gaps, province)
    if request.kind == "gaps":
        path = write_gaps(gaps, _tmp(SUFFIXES[request.fmt]), fmt=request.fmt, metadata=metadata, lang=lang)
        excel = "_excel" if request.fmt == "csv-excel" else ""
        return BuiltFile(path, f"phusong_khoang_trong_{place}_{_stamp()}{excel}{SUFFIXES[request.fmt]}",
                         GAP_FORMATS[request.fmt])
    if request.kind == "report_xlsx":
        path = write_report_xlsx(_tmp(".xlsx"), gaps, actions, metadata, lang=lang)
        return BuiltFile(path, f"phusong_bao_cao_{place}_{_stamp()}.xlsx", GAP_FORMATS["xlsx"])
    if request.kind == "report_pdf":
        path = write_report_pdf(_tmp(".pdf"), gaps, actions, title=_scope_title(gaps, province), metadata=metadata)
        return BuiltFile(path, f"phusong_bao_cao_{place}_{_stamp()}.pdf", "application/pdf")
    path = write_standalone_map(_tmp(".html"), gaps, title=_scope_title(gaps, province))
    return BuiltFile(path, f"phusong_ban_do_{place}_{_stamp()}.html", "text/html")


def _download_scenario(scenario_id: int, fmt: str) -> Any:
    user = require(*EXPORT_ROLES)
    if fmt not in GAP_FORMATS:
        raise AccessDenied(f"unknown format {fmt!r}", status=404)
    with connect() as conn:
        name, actions = _actions(conn, user, scenario_id)
        located = locate_actions(conn, actions)
        parameters = [("Người xuất", user.name), *scenario_parameters(conn, scenario_id)]
        phases = scenario_phases(conn, scenario_id, located)   # a plan over years: summary and a sheet per year
    path = write_plan(_tmp(SUFFIXES[fmt]), located, fmt=fmt, parameters=parameters, lang=current_lang(),
                      phases=phases)
    return _send(path, f"phusong_phuong_an_{scenario_id}_{file_word(name)}{SUFFIXES[fmt]}", GAP_FORMATS[fmt])


def _download_periodic(province: str, period: str, fmt: str) -> Any:
    """The periodic report (Sơ kết / Tổng kết) of one province, as `phusong report` makes it
    (analysis.outputs.periodic)."""
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
    response = flask.send_file(io.BytesIO(content), mimetype=REPORT_MIME_TYPES[fmt], as_attachment=True,
                               download_name=ascii_name(name), max_age=0)
    response.headers["Content-Disposition"] = content_disposition(name)
    return response
