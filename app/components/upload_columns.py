"""The upload page's column step ("Cột nào là Loại thiết chế?") and the encoding choice (issue 21).

After a file is chosen its header is read the way the loader reads it; every field of the kind of file is shown
with a list of the file's columns, the recognised one chosen. A change re-runs the preview with the choice
(etl/column_mapping.py turns it into the loader's mapping). The encodings offered are those the CSV reader
decodes exactly (etl/readers/delimited.py); TCVN3 and VNI are not offered: no maintained Python codec exists
and the page says how to convert such a file instead.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from etl.column_mapping import FIELDS, REQUIRED, FileColumns

COLUMN = "admin-column"  # the pattern id's type: {"type": COLUMN, "field": <field>}
NO_COLUMN = "-"  # a value the list shows (an empty one reads as no choice at all)

# (value, Vietnamese, English): "" is the reader's own choice (a BOM, else UTF-8, else refused with a hint).
ENCODINGS = (("", "Tự nhận", "Detect"), ("utf-8", "UTF-8", "UTF-8"), ("utf-16", "UTF-16", "UTF-16"),
             ("cp1258", "Windows-1258 (cp1258)", "Windows-1258 (cp1258)"))
ENCODING_NOTE = ("Chỉ áp dụng cho tệp CSV. Tệp mã TCVN3 (ABC) hoặc VNI: mở bằng Excel rồi lưu lại dưới dạng "
                 "“CSV UTF-8”.",
                 "CSV files only. A TCVN3 (ABC) or VNI file: open it in Excel and save it as “CSV UTF-8”.")

# The fields always shown (the others only when a column was recognised for them, else folded).
MAIN: dict[str, tuple[str, ...]] = {
    "facilities": ("type", "name", "external_id", "status", "commune", "lon", "lat"),
    "villages": ("name", "village", "commune", "lon", "lat", "population"),
    "inspections": ("external_id", "status", "inspected_at", "inspector"),
}
FIELD_WORDS: dict[str, tuple[str, str]] = {
    "type": ("Loại thiết chế", "Facility type"), "name": ("Tên", "Name"),
    "external_id": ("Mã khảo sát (mã thiết chế)", "Survey code"), "status": ("Trạng thái", "Status"),
    "commune": ("Xã, phường", "Commune"), "village": ("Thôn, bản", "Village"),
    "province": ("Tỉnh, thành phố", "Province"), "lon": ("Kinh độ", "Longitude"), "lat": ("Vĩ độ", "Latitude"),
    "x": ("Toạ độ X (VN-2000)", "X (VN-2000)"), "y": ("Toạ độ Y (VN-2000)", "Y (VN-2000)"),
    "geopoint": ("Toạ độ GPS (một cột)", "GPS point (one column)"), "technology": ("Công nghệ", "Technology"),
    "installed_year": ("Năm đưa vào sử dụng", "Year in use"), "n_horns": ("Số loa", "Horns"),
    "watts": ("Công suất (W)", "Power (W)"), "radius_m": ("Bán kính phủ sóng (m)", "Radius (m)"),
    "note": ("Ghi chú", "Note"), "population": ("Dân số", "Population"), "households": ("Số hộ", "Households"),
    "village_kind": ("Loại thôn", "Village kind"), "facility_id": ("Số phusong của thiết chế", "phusong id"),
    "inspected_at": ("Ngày kiểm tra", "Inspected on"), "inspector": ("Người kiểm tra", "Inspector"),
    "submission_id": ("Mã bản ghi Kobo/ODK", "Kobo/ODK submission id"),
}


def field_word(field: str, en: bool) -> str:
    pair = FIELD_WORDS.get(field, (field, field))
    return pair[1] if en else pair[0]


def encoding_options(en: bool) -> list[dict[str, str]]:
    return [{"label": e if en else v, "value": value} for value, v, e in ENCODINGS]


def columns_view(columns: FileColumns, kind: str, en: bool) -> Any:
    """The column step: a warning naming the required fields not recognised, then one list per field."""
    required = {f for group in REQUIRED.get(kind, ()) for f in group}
    order = sorted(FIELDS[kind], key=lambda f: f not in required)  # required first, the rest as listed
    options = [{"label": "— không dùng —" if not en else "— not used —", "value": NO_COLUMN}] + [
        {"label": h, "value": h} for h in columns.headers]
    parts: list[Any] = [html.Div(columns_note(columns.missing(kind), en), id="admin-columns-note")]
    shown = [f for f in order if f in MAIN.get(kind, ()) or columns.recognised.get(f)]
    more = [f for f in order if f not in shown]
    parts.append(_field_lists(shown, required, options, columns, en))
    if more:  # the fields no column was recognised for, folded (a phone would scroll past 17 lists)
        parts.append(html.Details([html.Summary(f"Các trường khác ({len(more)})" if not en
                                                else f"Other fields ({len(more)})", className="small"),
                                   _field_lists(more, required, options, columns, en)], id="admin-columns-more"))
    return dbc.Card(dbc.CardBody([html.H6("Cột trong tệp" if not en else "Columns of the file", className="mb-1"),
                                  *parts]), className="mb-2", id="admin-columns-card")


def columns_note(missing: list[str], en: bool) -> Any:
    """Above the lists: the required fields no column is chosen for yet, else how the step works."""
    if missing:
        names = ", ".join(field_word(f, en) for f in missing)
        return dbc.Alert(
            (f"Chưa nhận ra cột {names} trong tệp: hãy chọn cột đúng ở dưới, bản xem trước sẽ chạy lại." if not en
             else f"No column was recognised as {names}: choose it below and the preview runs again."),
            color="warning", className="py-1 small", id="admin-columns-missing")
    return html.Div("Kiểm tra cột nào là trường nào; chọn lại nếu sai, bản xem trước sẽ chạy lại." if not en
                    else "Check which column is which field; change a choice and the preview runs again.",
                    className="small text-muted mb-1", id="admin-columns-complete")


def missing_choices(kind: str, chosen: dict[str, str | None]) -> list[str]:
    """The required fields (the first of each group) the user's choice leaves without a column."""
    return [group[0] for group in REQUIRED.get(kind, ()) if not any(chosen.get(f) for f in group)]


def _field_lists(fields: list[str], required: set[str], options: list[dict[str, str]], columns: FileColumns,
                 en: bool) -> Any:
    return dbc.Row([dbc.Col(html.Div([
        dbc.Label(("Cột nào là " + field_word(f, en) + "?") if not en else f"Which column is {field_word(f, en)}?",
                  html_for=f"{COLUMN}-{f}", className="small mb-0" + (" fw-bold" if f in required else "")),
        dbc.Select(id={"type": COLUMN, "field": f}, options=options, size="sm",
                   value=columns.recognised.get(f) or NO_COLUMN),
    ]), xs=12, md=4, lg=3, className="mb-1") for f in fields], className="g-2")


def chosen_columns(values: list[str | None], ids: list[dict[str, str]]) -> dict[str, str | None]:
    """The pattern-matched lists' values as {field: header or None}."""
    return {i["field"]: (v if v and v != NO_COLUMN else None) for v, i in zip(values, ids, strict=False)}
