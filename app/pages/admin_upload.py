"""Quản trị, the upload tab (administrators): choose a file → check its columns and encoding → preview (rows
fine / warnings / rejects with reasons, downloadable as XLSX) → confirm load, through the ETL's own loaders; the
latest loads, each undoable while nothing came after it (issue 21; moved out of app/pages/admin.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, dcc, html, no_update

from analysis.refresh import bring_current
from app.auth import require
from app.components.common import rows
from app.components.upload_columns import (
    COLUMN,
    ENCODING_NOTE,
    chosen_columns,
    columns_note,
    columns_view,
    encoding_options,
    missing_choices,
)
from app.components.uploads import (
    as_uploaded,
    discard_upload,
    keep_upload,
    kept_upload,
    preview_view,
    refusal_text,
)
from app.coverage_refresh import REFRESHER
from app.errors import error_text
from app.i18n import current_lang, fmt_date, fmt_int, t
from app.refresh_text import refresh_line
from etl.column_mapping import FileColumns, file_columns, mapping_from_choices
from etl.errors import LoadRefusedError
from etl.facilities import load_facilities
from etl.inspections import load_inspections
from etl.limits import MAX_UPLOAD_BYTES
from etl.load_undo import UNDOABLE, UndoResult, undo_load
from etl.reject_workbook import rejects_workbook
from etl.villages import load_villages
from sql.bulk import set_actor
from sql.engine import connect, get_engine

ADMIN = ("admin",)
LOADERS = {"facilities": load_facilities, "villages": load_villages, "inspections": load_inspections}
KIND_LABELS = {
    "facilities": ("Khảo sát thiết chế", "Facility survey"),
    "villages": ("Danh sách thôn/bản", "Villages"),
    "inspections": ("Kết quả kiểm tra (Kobo/ODK)", "Inspections (Kobo/ODK)"),
}
SUFFIXES = (".csv", ".xlsx", ".xls", ".geojson", ".json", ".gpkg", ".zip", ".kml", ".shp")
RECENT_LOADS = 8
# The outputs a new file, type or encoding fills (the preview, the kept file, the confirm button, the column step).
PREVIEW_OUTPUTS = (
    "admin-preview.children",
    "admin-upload-token.data",
    "admin-confirm.disabled",
    "admin-load-result.children",
    "admin-columns.children",
    "admin-columns-read.data",
    "admin-mapping.data",
)


def upload_tab(en: bool) -> Any:
    return html.Div(
        [
            dcc.Store(id="admin-upload-token"),
            dcc.Store(id="admin-columns-read"),  # the file's headers and what the loader recognised
            dcc.Store(id="admin-mapping"),  # the column choice as the loader's mapping (None: as recognised)
            dcc.Store(id="admin-undo-batch"),
            # The language of the page, for the load that runs in a background process (no session there).
            dcc.Store(id="admin-lang", data=current_lang()),
            _choices_row(en),
            dcc.Upload(
                id="admin-upload",
                multiple=False,
                max_size=MAX_UPLOAD_BYTES,
                className="mb-2",
                children=html.Div(
                    [
                        "Kéo thả hoặc bấm để chọn tệp (CSV, XLSX, GeoJSON, GPKG, ZIP)"
                        if not en
                        else "Drop or click to choose a file (CSV, XLSX, GeoJSON, GPKG, ZIP)"
                    ],
                    className="border border-2 rounded p-4 text-center text-muted",
                    style={"borderStyle": "dashed"},
                ),
            ),
            html.Div(id="admin-columns"),
            dcc.Loading(html.Div(id="admin-preview")),
            dcc.Download(id="admin-rejects-file"),
            dbc.Button(t("confirm_load"), id="admin-confirm", color="primary", disabled=True, className="mt-2"),
            html.Div(id="admin-load-progress", className="small text-muted mt-1"),
            html.Div(id="admin-load-result", className="mt-2"),
            html.H6("Các lần tải gần đây" if not en else "Latest loads", className="mt-3"),
            html.Div(loads_view(), id="admin-loads"),
            dcc.ConfirmDialog(id="admin-undo-confirm"),
            html.Div(id="admin-undo-result", className="mt-2"),
        ]
    )


def _choices_row(en: bool) -> Any:
    """The kind of file and the encoding (CSV only; the note says what to do with TCVN3/VNI)."""
    return dbc.Row(
        [
            dbc.Col(
                dbc.RadioItems(
                    id="admin-kind",
                    value="facilities",
                    inline=True,
                    className="small",
                    options=[{"label": pair[1] if en else pair[0], "value": k} for k, pair in KIND_LABELS.items()],
                ),
                md=7,
            ),
            dbc.Col(
                [
                    dbc.InputGroup(
                        [
                            dbc.InputGroupText("Bảng mã" if not en else "Encoding"),
                            dbc.Select(id="admin-encoding", value="", options=encoding_options(en)),
                        ],
                        size="sm",
                    ),
                    html.Div(ENCODING_NOTE[en], className="small text-muted"),
                ],
                md=5,
            ),
        ],
        className="my-2 g-2",
    )


# The file chosen, as every step after the upload reads it again (the kept file, its name, type and encoding).
CHOSEN_FILE = ("admin-upload-token.data", "admin-upload.filename", "admin-kind.value", "admin-encoding.value")


def _outputs(*, duplicate: bool) -> list[Output]:
    return [Output(*name.split("."), allow_duplicate=duplicate) for name in PREVIEW_OUTPUTS]


def _states(*names: str) -> list[State]:
    """States from "component-id.property" names, in the order the callback's function takes them."""
    return [State(*name.split(".")) for name in names]


def preview_upload(
    contents: str | None, filename: str | None, kind: str, encoding: str | None, previous: str | None
) -> Any:
    """Keep the file on the server, read its header (the column step) and show what loading it would do, row by
    row, without writing anything."""
    user = require(*ADMIN)
    discard_upload(previous)  # a new file replaces the one previewed before
    if not contents or not filename:
        return no_update, None, True, None, None, None, None
    token, path = None, None
    try:
        token, path = keep_upload(contents, filename, SUFFIXES)
        columns = file_columns(path, kind, encoding=encoding or None)
    except (LoadRefusedError, ValueError) as exc:
        said = refusal_text(exc, filename, path)  # before the file goes: the message may look at it
        discard_upload(token)
        return dbc.Alert(said, color="danger", id="admin-preview-refused"), None, True, None, None, None, None
    preview, disabled = _preview(user.name, token, filename, kind, encoding, None)
    read = {"headers": list(columns.headers), "recognised": columns.recognised}
    return preview, token, disabled, None, columns_view(columns, kind, current_lang() == "en"), read, None


def _preview(
    user: str, token: str, filename: str, kind: str, encoding: str | None, mapping: dict[str, Any] | None
) -> tuple[Any, bool]:
    """The dry run of the kept file with the chosen encoding and columns: the preview and whether to keep the
    confirm button off (a refusal, or nothing to load)."""
    path = kept_upload(token)
    try:
        with connect() as conn:
            result = LOADERS[kind](conn, path, dry_run=True, loaded_by=user, encoding=encoding or None, mapping=mapping)
    except (LoadRefusedError, ValueError) as exc:
        return dbc.Alert(refusal_text(exc, filename, path), color="danger", id="admin-preview-refused"), True
    view = preview_view(as_uploaded(result, filename), "admin")
    if result.issues:
        view = html.Div(
            [
                view,
                dbc.Button(
                    "Tải các dòng bị loại và cảnh báo (XLSX)"
                    if current_lang() != "en"
                    else "Download the rejected rows and warnings (XLSX)",
                    id="admin-rejects-download",
                    size="sm",
                    color="secondary",
                    outline=True,
                ),
            ]
        )
    return view, result.loaded + result.updated == 0


def recheck_upload(
    kind: str, encoding: str | None, contents: str | None, filename: str | None, previous: str | None
) -> Any:
    """Changing the type (facilities/villages/inspections) or the encoding re-checks the file already chosen."""
    return preview_upload(contents, filename, kind, encoding, previous)


def choose_columns(
    values: list[str | None],
    ids: list[dict[str, str]],
    token: str | None,
    filename: str | None,
    kind: str,
    encoding: str | None,
    read: dict[str, Any] | None,
    current: dict[str, Any] | None = None,
) -> Any:
    """A column chosen for a field: the preview runs again with the choice, which the load then uses."""
    user = require(*ADMIN)
    if not token or not read or not values or not filename:
        return no_update, no_update, no_update, no_update
    columns = FileColumns(headers=tuple(read["headers"]), recognised=dict(read["recognised"]))
    chosen = chosen_columns(values, ids)
    mapping = mapping_from_choices(chosen, columns)
    if mapping == (current or None):
        # The lists were just drawn (Dash calls back for new components) or nothing changed: the preview shown
        # already used this choice; reading the file again would only make the page flicker.
        return no_update, no_update, no_update, no_update
    preview, disabled = _preview(user.name, token, filename, kind, encoding, mapping)
    return preview, disabled, mapping, columns_note(missing_choices(kind, chosen), current_lang() == "en")


def download_preview_rejects(
    n_clicks: int | None,
    token: str | None,
    filename: str | None,
    kind: str,
    encoding: str | None,
    mapping: dict[str, Any] | None,
) -> Any:
    """The preview's rejected rows and warnings as a workbook (the file checked again, as previewed)."""
    user = require(*ADMIN)
    if not n_clicks or not token or not filename:
        return no_update
    with connect() as conn:
        result = LOADERS[kind](
            conn, kept_upload(token), dry_run=True, loaded_by=user.name, encoding=encoding or None, mapping=mapping
        )
    data = rejects_workbook(result.issues, file=filename, batch=None, lang=current_lang())
    return dcc.send_bytes(data, f"dong_bi_loai_{filename.rsplit('.', 1)[0]}.xlsx")


def confirm_load(
    set_progress: Any,
    n_clicks: int | None,
    token: str | None,
    kind: str,
    lang: str | None,
    encoding: str | None,
    mapping: dict[str, Any] | None,
) -> Any:
    """Load the previewed file for real (one transaction, read as previewed), then recompute the communes it
    changed."""
    user = require(*ADMIN)
    if not n_clicks:
        return no_update, no_update
    set_progress("Đang nạp dữ liệu…" if lang != "en" else "Loading…")
    path = None
    try:
        path = kept_upload(token)
        with connect() as conn:
            set_actor(conn, user.name)
            result = LOADERS[kind](conn, path, loaded_by=user.name, encoding=encoding or None, mapping=mapping)
        recomputing = "Đang tính lại vùng phủ sóng" if lang != "en" else "Recomputing coverage"
        set_progress(recomputing + "…")
        coverage = bring_current(
            get_engine(), progress=lambda done, total: set_progress(f"{recomputing}: {done}/{total}")
        )
    except (LoadRefusedError, ValueError) as exc:
        set_progress("")
        return dbc.Alert(error_text(exc, path.name if path else "", path), color="danger"), False
    finally:
        discard_upload(token)  # loaded or refused, the file is not kept
    set_progress("")
    return dbc.Alert(
        [
            html.Div(as_uploaded(result, path.name).summary(lang or current_lang())),
            html.Div(refresh_line(coverage, lang), className="small"),
        ],
        color="success",
        id="admin-load-done",
    ), True


# --------------------------------------------------------------------------------------------- latest loads


def loads_view() -> Any:
    """The latest loads, one item each (readable on a phone too): number, file, type, who and when, counts, the
    rejected rows as XLSX, and "Hoàn tác lần tải này" for a load of facilities, villages or inspections not undone
    yet."""
    en = current_lang() == "en"
    items = [_load_item(b, en) for b in rows("recent_load_batches", {"limit": RECENT_LOADS})]
    if not items:
        return html.Div("Chưa có lần tải nào." if not en else "No load yet.", className="small text-muted")
    return dbc.ListGroup(items, id="admin-loads-list", className="small")


def _load_item(b: dict[str, Any], en: bool) -> Any:
    counts = (f"mới {fmt_int(b['loaded'])} · cập nhật {fmt_int(b['updated'])} · bị loại {fmt_int(b['rejected'])}"
              if not en else
              f"new {fmt_int(b['loaded'])} · updated {fmt_int(b['updated'])} · rejected {fmt_int(b['rejected'])}")
    action: Any = None
    if b["undone_at"] is not None:
        action = html.Span(("Đã hoàn tác " if not en else "Undone ") + fmt_date(b["undone_at"]),
                           className="text-muted")
    elif b["kind"] in UNDOABLE and b["loaded"] + b["updated"]:  # nothing written: nothing to undo
        action = dbc.Button("Hoàn tác lần tải này" if not en else "Undo this load", size="sm", color="warning",
                            outline=True, id={"type": "admin-undo", "batch": b["id"]})
    rejects = (html.A("Dòng bị loại (XLSX)" if not en else "Rejected rows (XLSX)",
                      href=f"/download/load-rejects/{b['id']}.xlsx", id=f"admin-load-rejects-{b['id']}")
               if b["rejected"] or b["warned"] else None)
    kind = KIND_LABELS.get(b["kind"], (b["kind"], b["kind"]))[en]
    return dbc.ListGroupItem([
        html.Div([html.Strong(f"{'Lần' if not en else 'Load'} {b['id']}"), " · ",
                  html.Span(Path(b["file"]).name, className="text-break")]),
        html.Div(f"{kind} · {b['loaded_by']} · {fmt_date(b['loaded_at'])} · {counts}", className="text-muted"),
        html.Div([part for part in (rejects, action) if part is not None],
                 className="d-flex flex-wrap gap-2 align-items-center mt-1"),
    ], className="py-1", id=f"admin-load-{b['id']}")


def ask_to_undo(clicks: list[int | None]) -> Any:
    """The undo button only asks; the undo happens when the dialog is confirmed."""
    require(*ADMIN)
    trigger = dash.ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks):
        return no_update, False, no_update
    batch = int(trigger["batch"])
    return (
        (
            f"Hoàn tác lần tải {batch}? Thiết chế hoặc thôn lần tải này thêm sẽ bị xoá, những gì được sửa trở lại "
            "như trước, các lần kiểm tra được rút lại."
            if current_lang() != "en"
            else f"Undo load {batch}? The facilities or villages it added are removed, those it changed go back as "
            "they were, its inspections are withdrawn."
        ),
        True,
        batch,
    )


def undo_batch(submitted: int | None, batch: int | None) -> Any:
    """Undo the load asked for (etl/load_undo.py: refused when anything came after it), then bring its communes
    current through the coverage worker."""
    user = require(*ADMIN)
    if not submitted or batch is None:
        return no_update, no_update
    en = current_lang() == "en"
    try:
        with connect() as conn:
            done = undo_load(conn, int(batch), actor=user.name)
    except LoadRefusedError as exc:
        return dbc.Alert(exc.render(current_lang()), color="danger", id="admin-undo-refused"), loads_view()
    REFRESHER.notify()  # the communes it touched are stale now; the worker brings them current
    return dbc.Alert(_undone_said(done, en), color="success", id="admin-undo-done"), loads_view()


def _undone_said(done: UndoResult, en: bool) -> str:
    """What an undo did, one sentence per kind of load."""
    communes = fmt_int(len(done.communes))
    if done.kind == "inspections":
        return (f"Đã hoàn tác lần tải {done.batch}: rút lại {fmt_int(done.withdrawn)} lần kiểm tra; đang tính lại "
                f"{communes} xã." if not en else
                f"Load {done.batch} undone: {fmt_int(done.withdrawn)} inspections withdrawn; recomputing {communes} "
                "communes.")
    what = ("thôn", "villages") if done.kind == "villages" else ("thiết chế", "facilities")
    return (f"Đã hoàn tác lần tải {done.batch}: xoá {fmt_int(done.deleted)} {what[0]}, khôi phục "
            f"{fmt_int(done.restored)}; đang tính lại {communes} xã." if not en else
            f"Load {done.batch} undone: {fmt_int(done.deleted)} {what[1]} removed, {fmt_int(done.restored)} "
            f"restored; recomputing {communes} communes.")


def refresh_loads(_result: Any) -> Any:
    """A load done (or refused): the list shows it."""
    require(*ADMIN)
    return loads_view()


# long: only Dash callback definitions, each its own short function, registered together per app.
def register_callbacks() -> None:
    """Define the upload tab's callbacks; called by the page module (app/pages/admin.py), which Dash runs anew
    for every app it makes (a callback defined at import would belong to the first app only)."""

    callback(
        *_outputs(duplicate=False),
        Input("admin-upload", "contents"),
        *_states("admin-upload.filename", "admin-kind.value", "admin-encoding.value", "admin-upload-token.data"),
        prevent_initial_call=True,
    )(preview_upload)
    callback(
        *_outputs(duplicate=True),
        Input("admin-kind", "value"),
        Input("admin-encoding", "value"),
        *_states("admin-upload.contents", "admin-upload.filename", "admin-upload-token.data"),
        prevent_initial_call=True,
    )(recheck_upload)
    callback(
        Output("admin-preview", "children", allow_duplicate=True),
        Output("admin-confirm", "disabled", allow_duplicate=True),
        Output("admin-mapping", "data", allow_duplicate=True),
        Output("admin-columns-note", "children"),
        Input({"type": COLUMN, "field": ALL}, "value"),
        State({"type": COLUMN, "field": ALL}, "id"),
        *_states(*CHOSEN_FILE, "admin-columns-read.data", "admin-mapping.data"),
        prevent_initial_call=True,
    )(choose_columns)
    callback(
        Output("admin-rejects-file", "data"),
        Input("admin-rejects-download", "n_clicks"),
        *_states(*CHOSEN_FILE, "admin-mapping.data"),
        prevent_initial_call=True,
    )(download_preview_rejects)
    callback(
        Output("admin-load-result", "children", allow_duplicate=True),
        Output("admin-confirm", "disabled", allow_duplicate=True),
        Input("admin-confirm", "n_clicks"),
        *_states("admin-upload-token.data", "admin-kind.value", "admin-lang.data", "admin-encoding.value",
                 "admin-mapping.data"),
        background=True,
        prevent_initial_call=True,
        running=[(Output("admin-confirm", "disabled"), True, False)],
        progress=[Output("admin-load-progress", "children")],
    )(confirm_load)
    callback(
        Output("admin-undo-confirm", "message"),
        Output("admin-undo-confirm", "displayed"),
        Output("admin-undo-batch", "data"),
        Input({"type": "admin-undo", "batch": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )(ask_to_undo)
    callback(
        Output("admin-undo-result", "children"),
        Output("admin-loads", "children"),
        Input("admin-undo-confirm", "submit_n_clicks"),
        State("admin-undo-batch", "data"),
        prevent_initial_call=True,
    )(undo_batch)
    callback(
        Output("admin-loads", "children", allow_duplicate=True),
        Input("admin-load-result", "children"),
        prevent_initial_call=True,
    )(refresh_loads)
