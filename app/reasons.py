"""What a load found, in the user's language: the ETL's row reasons and its one-line summary.

etl/ writes its reasons in English (the CLI, the reject-report CSV and the ETL tests read them as they are), so
the app turns them into Vietnamese here: each reason is matched against an ordered list of patterns, one per
template the loaders write, and the values in it (row numbers, commune names, codes, years, EPSG codes, units)
are carried into a Vietnamese template with GLOSSARY.md's words. A reason no pattern knows stays in English:
shown as written, never lost.
"""

from __future__ import annotations

import re

from app.i18n import current_lang, fmt_int
from etl.feedback import CATEGORY_LABELS, CHANNEL_LABELS, STATUS_LABELS
from etl.lineage import LoadResult

# A point as the facility and village loaders write it: "point (lon 105.8, lat 21)".
_POINT = r"\(lon (?P<lon>[^,]+), lat (?P<lat>[^)]+)\)"
_VI_POINT = "(kinh độ {lon}, vĩ độ {lat})"
_COORDINATE_EXAMPLE = "105°53'12.5\"E"

# (English template as a regular expression matched against the whole reason, Vietnamese template). Group names
# say how a value is carried over (see _carried): num* are whole numbers, unit a unit, inner a reason inside a
# reason, codes feedback codes, what a feedback field, choices the codes a typed row allows; others as written.
_TEMPLATES: tuple[tuple[str, str], ...] = (
    # Cells (etl/validate.py): counts, amounts, years, coordinates, geopoints, dates.
    (r"is not a number \(expected a whole number such as 2\)", "không phải là số (cần một số nguyên, ví dụ 2)"),
    (r"is not a whole number", "không phải là số nguyên"),
    (r"is negative \(expected 0 or more\)", "là số âm (cần từ 0 trở lên)"),
    (r"is implausibly large \(more than (?P<num>\d[\d,]*)\); a typo\?",
     "lớn bất thường (quá {num}); có gõ nhầm không?"),
    (r"is not a number \(expected (?P<unit>\w+), such as 30 or 30\.5\)",
     "không phải là số (cần một số tính bằng {unit}, ví dụ 30 hoặc 30,5)"),
    (r"is not a finite number of (?P<unit>\w+)", "không phải là một số hữu hạn tính bằng {unit}"),
    (r"is negative \(expected 0 or more (?P<unit>\w+)\)", "là số âm (cần từ 0 {unit} trở lên)"),
    (r"is implausibly large \(more than (?P<num>\d[\d,]*) (?P<unit>\w+)\); a typo\?",
     "lớn bất thường (quá {num} {unit}); có gõ nhầm không?"),
    (r"is not a year \(expected four digits such as 2019\)", "không phải là năm (cần bốn chữ số, ví dụ 2019)"),
    (r"is in the future \(this is (?P<year>\d+)\)", "là năm trong tương lai (năm nay là {year})"),
    (r"is before (?P<year>\d{4})", "sớm hơn năm {year}"),
    (r"is not a finite number \(NaN or infinity\)", "không phải là số hữu hạn (NaN hoặc vô cực)"),
    (r"is not a number \(use a dot: (?P<fixed>.+)\); expected decimal degrees such as 106\.7 or "
     + re.escape(_COORDINATE_EXAMPLE),
     "không phải là số (hãy dùng dấu chấm: {fixed}); cần tọa độ theo độ thập phân, ví dụ 106.7 hoặc "
     + _COORDINATE_EXAMPLE),
    (r"is not a number; expected decimal degrees such as 106\.7 or " + re.escape(_COORDINATE_EXAMPLE),
     "không phải là số; cần tọa độ theo độ thập phân, ví dụ 106.7 hoặc " + _COORDINATE_EXAMPLE),
    (r"is not a geopoint \(expected 'latitude longitude altitude accuracy'\)",
     "không phải là vị trí GPS (cần dạng 'vĩ độ kinh độ độ cao độ chính xác')"),
    (r"is not a date \(expected 26/11/2026 or 2026-11-26T08:30:00\+07:00\)",
     "không phải là ngày (cần dạng 26/11/2026 hoặc 2026-11-26T08:30:00+07:00)"),
    (r"is in the future", "là thời điểm trong tương lai"),
    # Facility surveys (etl/facilities.py).
    (r"is not a known facility type \(such as Cụm loa truyền thanh, Đài truyền thanh cấp xã, Nhà văn hóa\); add "
     r"the word to a --mapping file if it is one",
     "không phải là loại thiết chế đã biết (ví dụ Cụm loa truyền thanh, Đài truyền thanh cấp xã, Nhà văn hóa); "
     "nếu đúng là một loại thiết chế, hãy thêm từ này vào tệp --mapping"),
    (r"is not a known status \(Hoạt động, Xuống cấp, Hư hỏng, Đã thanh lý, Dự kiến\)",
     "không phải là tình trạng đã biết (Hoạt động, Xuống cấp, Hư hỏng, Đã thanh lý, Dự kiến)"),
    (r"is not a known status \(unknown_status: a doubtful answer is not a fact\); accepted: (?P<accepted>[^;]+); "
     r"--doubtful-as unknown "
     r"loads it as Chưa rõ \(unknown\)",
     "là tình trạng chưa chắc chắn, không thể coi là sự thật; chỉ nhận: {accepted}; có thể nạp với tình trạng "
     "Chưa rõ (--doubtful-as unknown)"),
    (r"is a doubtful status \(unknown_status\): loaded as Chưa rõ \(unknown\), counted as not working and listed "
     r"for inspection",
     "là tình trạng chưa chắc chắn: đã nạp với tình trạng Chưa rõ, coi như không hoạt động và đưa vào danh sách "
     "cần kiểm tra"),
    (r"is not a known technology \(có dây, không dây FM, IP\); stored without one",
     "không phải là công nghệ đã biết (có dây, không dây FM, IP); vẫn lưu thiết chế, để trống công nghệ"),
    (r"skipped: no type, id or coordinates \(a total, a signature or a note, not a facility\)",
     "bỏ qua: không có loại thiết chế, mã hay tọa độ (là dòng tổng cộng, chữ ký hoặc ghi chú, không phải thiết chế)"),
    (r"is empty: every facility needs a type", "bỏ trống: thiết chế nào cũng phải có loại thiết chế"),
    (r"is empty; stored as Hoạt động \(operational\)", "bỏ trống; lưu với tình trạng Hoạt động"),
    (r"repeats the id of row (?P<num>\d+) \(the later row is rejected\)",
     "trùng mã với dòng {num} (dòng sau bị loại)"),
    (r"has no coordinates", "không có tọa độ"),
    (r"is empty: missing coordinates", "bỏ trống: thiếu tọa độ"),
    (r"has X and Y the GIS way round \(X is the northing in VN-2000\); read as Y, X",
     "X và Y ghi theo thứ tự của phần mềm GIS (theo VN-2000, X là tọa độ hướng bắc); đã đọc đảo lại thành Y, X"),
    (r"cannot be converted from EPSG:(?P<epsg>\d+) to WGS 84 \(is --crs right\?\)",
     "không chuyển được từ EPSG:{epsg} sang WGS 84 (tham số --crs có đúng không?)"),
    (rf"point {_POINT} is outside Viet Nam; check the coordinates and --crs",
     f"điểm {_VI_POINT} nằm ngoài Việt Nam; hãy kiểm tra tọa độ và tham số --crs"),
    (rf"point {_POINT} lies inside no loaded commune \(load the province's 2025 communes, or check the "
     r"coordinates\)",
     f"điểm {_VI_POINT} không nằm trong xã, phường nào đã nạp (hãy nạp danh sách xã, phường năm 2025 của tỉnh, "
     "hoặc kiểm tra tọa độ)"),
    (r"is not the commune the point lies in \((?P<name>.+), code (?P<code>\w+)\); the location decides: stored "
     r"in (?P<stored>.+)",
     "không phải xã, phường nơi điểm nằm ({name}, mã {code}); theo vị trí, thiết chế được lưu vào {stored}"),
    (rf"point {_POINT} is outside Viet Nam; were lat/lon swapped\? \(swapped it would lie in (?P<name>.+), not the "
     r"row's declared place\)",
     f"điểm {_VI_POINT} nằm ngoài Việt Nam; kinh độ và vĩ độ có bị đảo không? (nếu đảo lại, điểm nằm ở {{name}}, "
     "không phải nơi dòng này khai báo)"),
    (rf"point {_POINT} is outside Viet Nam; were lat/lon swapped\?",
     f"điểm {_VI_POINT} nằm ngoài Việt Nam; kinh độ và vĩ độ có bị đảo không?"),
    (rf"point {_POINT}: longitude and latitude were swapped; read as lon (?P<lon2>[^,]+), lat (?P<lat2>[^,]+), "
     r"which lies in (?P<name>.+), the row's own commune or province",
     f"điểm {_VI_POINT}: kinh độ và vĩ độ bị đảo; đã đọc thành kinh độ {{lon2}}, vĩ độ {{lat2}}, nằm ở {{name}}, "
     "đúng xã hoặc tỉnh dòng này khai báo"),
    # Villages (etl/villages.py).
    (r"has no geometry", "không có vị trí (điểm hoặc vùng)"),
    (r"skipped: a total, not a village", "bỏ qua: dòng tổng cộng, không phải thôn"),
    (r"is empty: every village needs a name", "bỏ trống: thôn nào cũng phải có tên"),
    (rf"point {_POINT} is outside Viet Nam", f"điểm {_VI_POINT} nằm ngoài Việt Nam"),
    (rf"'(?P<name>.*)' at {_POINT} lies inside no loaded commune \(load its 2025 communes, or check the location\)",
     f"thôn '{{name}}' tại {_VI_POINT} không nằm trong xã, phường nào đã nạp (hãy nạp danh sách xã, phường năm 2025 "
     "nơi đó, hoặc kiểm tra vị trí)"),
    # Inspections (etl/inspections.py).
    (r"is empty: which facility was inspected\?", "bỏ trống: cần mã của thiết chế được kiểm tra"),
    (r"repeats the submission of row (?P<num>\d+): skipped", "trùng bản gửi của dòng {num}: bỏ qua"),
    (r"is empty: when was the facility inspected\?", "bỏ trống: cần ngày kiểm tra thiết chế"),
    (r"(?P<inner>.+); the inspection is kept without its position",
     "{inner}; vẫn ghi nhận lần kiểm tra, không kèm vị trí"),
    (r"is outside Viet Nam; kept without its position", "nằm ngoài Việt Nam; vẫn ghi nhận, không kèm vị trí"),
    (r"is not the id of any loaded facility", "không phải mã của thiết chế nào đã nạp"),
    (r"was loaded before: skipped", "đã nạp trước đây: bỏ qua"),
    (r"is a facility of (?P<commune>.+), outside the communes you inspect",
     "là thiết chế của {commune}, ngoài các xã bạn phụ trách kiểm tra"),
    # Citizen reports (etl/feedback_import.py, etl/feedback.py).
    (r"is empty \(expected the date the report was received, such as 26/11/2026\)",
     "bỏ trống (cần ngày tiếp nhận phản ánh, ví dụ 26/11/2026)"),
    (r"is empty \(expected one of (?P<codes>.+)\)", "bỏ trống (cần một trong các giá trị: {codes})"),
    (r"is not a known (?P<what>\w+) \(expected one of (?P<codes>.+)\)",
     "không phải là {what} đã biết (cần một trong các giá trị: {codes})"),
    (r"is empty \(expected what the citizen reported\)", "bỏ trống (cần nội dung người dân phản ánh)"),
    (r"says the report was answered, but the answer or its date is missing",
     "ghi là phản ánh đã được trả lời, nhưng thiếu nội dung trả lời hoặc ngày trả lời"),
    (r"is before the report was received \((?P<date>.+)\)", "trước ngày tiếp nhận phản ánh ({date})"),
    (r"is not the id of a loaded facility \(expected its code, such as DB-LOA-001\)",
     "không phải mã của thiết chế nào đã nạp (cần mã thiết chế, ví dụ DB-LOA-001)"),
    (r"is empty and the row has no coordinates or facility to place it",
     "bỏ trống, và dòng này không có tọa độ hay thiết chế để xác định vị trí"),
    (r"is not a loaded 2025 commune \(expected its code or its name, such as Mường Nhé\)",
     "không phải là xã, phường năm 2025 đã nạp (cần mã hoặc tên xã, ví dụ Mường Nhé)"),
    (r"names (?P<num>\d+) communes \((?P<list>.+)\); give the code", "khớp với {num} xã ({list}); hãy ghi mã xã"),
    (r"the point \(lon (?P<lon>[^,]+), lat (?P<lat>[^)]+)\) is in no loaded commune; were longitude and latitude "
     r"swapped\?",
     f"điểm {_VI_POINT} không thuộc xã nào đã nạp; kinh độ và vĩ độ có bị đảo không?"),
    (r"no facility with id (?P<id>\d+)", "không có thiết chế mã {id}"),
    (r"no 2025 commune with code (?P<code>.+)", "không có xã năm 2025 mã {code}"),
    (r"commune (?P<given>.+) given, but the point lies in (?P<code>\S+) (?P<name>.+): point used",
     "ghi xã {given}, nhưng điểm nằm ở {code} {name}: lấy theo điểm"),
    (r"the received date is in the future", "ngày tiếp nhận ở tương lai"),
    (r"give both longitude and latitude, or neither", "cần cả kinh độ và vĩ độ, hoặc bỏ trống cả hai"),
    (r"a report needs a place: a point, a commune or a facility",
     "phản ánh cần có địa điểm: một điểm, một xã hoặc một thiết chế"),
    # A typed row's own checks (pydantic, etl/models.py and FeedbackIn): reached by --mapping codes or limits.
    (r"coordinate must be finite", "tọa độ phải là số hữu hạn"),
    (r"Value error, (?P<inner>.+)", "{inner}"),
    (r"Input should be greater than or equal to (?P<limit>\S+)", "phải lớn hơn hoặc bằng {limit}"),
    (r"Input should be less than or equal to (?P<limit>\S+)", "phải nhỏ hơn hoặc bằng {limit}"),
    (r"Input should be (?P<choices>'.+)", "phải là một trong các mã {choices}"),
    (r"String should have at most (?P<num>\d+) characters?", "dài quá {num} ký tự"),
)
_RULES = tuple((re.compile(pattern), template) for pattern, template in _TEMPLATES)

_UNITS = {"watts": "W", "metres": "mét"}
_FEEDBACK_FIELDS = {"channel": "kênh tiếp nhận", "category": "loại phản ánh", "status": "trạng thái"}
_FEEDBACK_CODES = {code: pair[0] for labels in (CHANNEL_LABELS, CATEGORY_LABELS, STATUS_LABELS)
                   for code, pair in labels.items()}
# LoadResult.skip_reason, as the loaders set it.
_SKIP_REASONS = {"seen before": "đã có từ trước", "not facility rows": "không phải dòng thiết chế",
                 "totals": "dòng tổng cộng"}


# The fields a loader names itself (a file's own headers are shown as the file writes them).
_LOADER_FIELDS = {"geometry": "Vị trí (hình học)", "gps": "Vị trí GPS", "commune": "Xã, phường"}


def field_text(field: str, lang: str | None = None) -> str:
    """The field of a row issue: a header of the user's file as written, a field the loader names in ``lang``."""
    if (lang or current_lang()) == "en":
        return field
    return _LOADER_FIELDS.get(field, field)


def reason_text(reason: str, lang: str | None = None) -> str:
    """A row issue's reason in ``lang`` (default: the request's): Vietnamese, or the English as the ETL wrote it.

    A reason no template matches is shown in English rather than hidden.
    """
    if (lang or current_lang()) == "en":
        return reason
    vietnamese = _vietnamese(reason)
    return vietnamese[:1].upper() + vietnamese[1:] if vietnamese else reason


def _vietnamese(reason: str) -> str | None:
    for pattern, template in _RULES:
        match = pattern.fullmatch(reason)
        if match:
            return template.format(**{name: _carried(name, value) for name, value in match.groupdict().items()})
    return None


def _carried(name: str, value: str) -> str:
    """A value of the English reason as the Vietnamese one shows it."""
    if name.startswith("num"):
        return fmt_int(int(value.replace(",", "")), "vi")  # 10,000 -> 10.000 (GLOSSARY.md)
    if name == "unit":
        return _UNITS.get(value, value)
    if name == "inner":
        return _vietnamese(value) or value
    if name == "codes":
        return ", ".join(_FEEDBACK_CODES.get(code, code) for code in value.split(", "))
    if name == "what":
        return _FEEDBACK_FIELDS.get(value, value)
    if name == "choices":
        return value.replace("' or '", "' hoặc '")
    return value


def summary_text(result: LoadResult, lang: str | None = None) -> str:
    """The one line of what a load did (or would do): LoadResult.summary() in English; in Vietnamese made from
    the same counts (not from the English line, so a change of its wording cannot break it)."""
    if (lang or current_lang()) == "en":
        return result.summary()
    rows = fmt_int(result.rows, "vi")
    if result.already_loaded is not None:
        return (f"{result.file}: tệp này đã được nạp (lô {result.already_loaded}), nạp lại không thay đổi gì "
                f"(đọc {rows} dòng, nạp mới 0, cập nhật 0, không đổi {rows})")
    verb = "xem trước, chưa ghi gì: sẽ nạp mới" if result.dry_run else "đã nạp mới"
    skip_reason = _SKIP_REASONS.get(result.skip_reason, result.skip_reason)
    skipped = f", bỏ qua {fmt_int(result.skipped, 'vi')} ({skip_reason})" if result.skipped else ""
    report = f"; báo cáo dòng bị loại: {result.report}" if result.report else ""
    return (f"{result.file}: đọc {rows} dòng; {verb} {fmt_int(result.loaded, 'vi')}, "
            f"cập nhật {fmt_int(result.updated, 'vi')}, không đổi {fmt_int(result.unchanged, 'vi')}{skipped}, "
            f"cảnh báo {fmt_int(result.warned, 'vi')}, bị loại {fmt_int(result.rejected, 'vi')}{report}")
