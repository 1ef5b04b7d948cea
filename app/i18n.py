"""The interface's words in Vietnamese (default) and English, and Vietnamese number and date formats.

Words follow docs/GLOSSARY.md exactly. The language is kept in the Flask session (switch at /lang/<code>).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import flask

from analysis.outputs.catalogue import ACTION_LABELS
from sql.percent import percent

LANGUAGES = ("vi", "en")
VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # times are shown as the user's clock shows them (UTC+7)

# key: (Tiếng Việt, English). Keep GLOSSARY.md's words; add a key rather than reword one in place.
WORDS: dict[str, tuple[str, str]] = {
    "app_title": ("Phủ sóng thông tin cơ sở", "Grassroots information coverage"),
    "page_map": ("Bản đồ phủ sóng", "Coverage map"),
    "page_inspection": ("Kiểm tra thiết chế", "Facility inspection"),
    "page_planning": ("Kế hoạch đầu tư", "Investment plan"),
    "page_exports": ("Xuất dữ liệu / Báo cáo", "Exports / Reports"),
    "page_admin": ("Quản trị", "Administration"),
    # Pages that name themselves in Vietnamese without a label key (app/pages/feedback.py).
    "Phản ánh của người dân": ("Phản ánh của người dân", "Citizen feedback"),
    "login": ("Đăng nhập", "Log in"),
    "logout": ("Đăng xuất", "Log out"),
    "form_expired": ("Biểu mẫu đã hết hạn hoặc không đến từ trang này. Vui lòng tải lại trang và thử lại.",
                     "The form has expired or did not come from this site. Please reload the page and try again."),
    "confirm_deactivate": ("Khóa tài khoản {name}? Người này sẽ bị đăng xuất ngay và không thể đăng nhập nữa.",
                           "Deactivate {name}? They are logged out at once and can no longer log in."),
    "user_name": ("Tên đăng nhập", "User name"),
    "password": ("Mật khẩu", "Password"),
    "role_planner": ("Cán bộ quy hoạch", "Planner"),
    "role_inspector": ("Cán bộ kiểm tra", "Inspector"),
    "role_budget": ("Cán bộ tài chính", "Budget officer"),
    "role_admin": ("Quản trị viên", "Administrator"),
    "save": ("Lưu", "Save"),
    "cancel": ("Hủy", "Cancel"),
    "upload": ("Tải lên", "Upload"),
    "download": ("Tải xuống", "Download"),
    "search": ("Tìm kiếm", "Search"),
    "search_commune_placeholder": ("Tên xã, phường (gõ không dấu được)", "Commune name (diacritics optional)"),
    "filter": ("Lọc", "Filter"),
    "preview": ("Xem trước", "Preview"),
    "confirm_load": ("Xác nhận nhập dữ liệu", "Confirm load"),
    "audit_log": ("Nhật ký thay đổi", "Audit log"),
    "province": ("Tỉnh", "Province"),
    "commune": ("Xã", "Commune"),
    "commune_code": ("Mã xã", "Commune code"),
    "village": ("Thôn", "Village"),
    "village_reached": ("Thôn có loa", "Village reached"),
    "village_not_reached": ("Thôn chưa có loa", "Village not reached"),
    "coverage": ("Phủ sóng", "Coverage"),
    "covered_area": ("Vùng phủ sóng", "Covered area"),
    "covered_area_km2": ("Diện tích được phủ sóng", "Covered area (km²)"),
    "people_reached": ("Dân số được phủ sóng", "People reached"),
    "share_reached": ("Tỷ lệ dân số được phủ sóng", "Share of people reached"),
    "population": ("Dân số", "Population"),
    "class_unserved": ("Chưa được phục vụ", "Unserved"),
    "class_underserved": ("Phục vụ chưa đầy đủ", "Underserved"),
    "class_served": ("Đã được phục vụ", "Served"),
    "class_none": ("Chưa phân tích", "Not analysed"),
    "reason": ("Lý do", "Reason"),
    "ntm_8_3": ("Tiêu chí 8.3", "Criterion 8.3"),
    "passed": ("Đạt", "Passed"),
    "not_passed": ("Chưa đạt", "Not yet passed"),
    "passes_ntm_under": ("Đạt NTM theo", "Passes NTM under"),
    "provisional": ("tạm tính", "provisional"),
    "ntm_rule_sets": ("Nông thôn mới (các chỉ tiêu phusong xét)", "New-rural criteria (indicators phusong assesses)"),
    "type": ("Loại thiết chế", "Facility type"),
    "status": ("Tình trạng", "Status"),
    "technology": ("Công nghệ", "Technology"),
    "facilities": ("Thiết chế", "Facilities"),
    "last_inspected": ("Lần kiểm tra gần nhất", "Last inspected"),
    "never_inspected": ("Chưa kiểm tra", "Never inspected"),
    "note": ("Ghi chú", "Note"),
    "photo": ("Ảnh", "Photo"),
    "current_location": ("Vị trí hiện tại", "Current location"),
    "colour_by": ("Tô màu theo", "Colour by"),
    "by_class": ("Mức phục vụ", "Service class"),
    "layers": ("Lớp bản đồ", "Layers"),
    "layer_facilities": ("Thiết chế", "Facilities"),
    "layer_discs": ("Vùng phủ sóng", "Covered area"),
    "layer_villages": ("Thôn có loa / chưa có loa", "Villages reached / not"),
    "all": ("Tất cả", "All"),
    "no_access": ("Bạn không có quyền xem trang này.", "You are not allowed to see this page."),
    "refused": ("Không được phép", "Not allowed"),
    "budget_vnd": ("Ngân sách (đồng)", "Budget (VND)"),
    "unit_cost": ("Đơn giá", "Unit cost"),
    "scenario": ("Phương án", "Scenario"),
    "compare_scenarios": ("So sánh phương án", "Compare scenarios"),
    "people_newly_reached": ("Số dân được phủ sóng thêm", "People newly reached"),
    "villages_newly_reached": ("Số thôn có loa thêm", "Villages newly reached"),
    "optimal_solution": ("Lời giải tối ưu", "Optimal solution"),
    "optimality_gap": ("Khoảng cách tối ưu", "Optimality gap"),
    "users": ("Người dùng", "Users"),
    "cost_vnd": ("Chi phí (đồng)", "Cost (VND)"),
    "action": ("Hạng mục", "Action"),
    "unit_cost_vnd": ("Đơn giá (đồng)", "Unit cost (VND)"),
    "only_in": ("Chỉ có trong", "Only in"),
    "role": ("Vai trò", "Role"),
    "scope": ("Phạm vi", "Scope"),
    "whole_country": ("Toàn quốc", "Whole country"),
    "language_switch": ("English", "Tiếng Việt"),
    # Coverage kept current (issue 15): app/refresh_text.py.
    "refreshed": ("đã tính lại {n} xã trong {s} s", "recomputed {n} communes in {s} s"),
    "refresh_nothing": ("không có xã nào cần tính lại", "no commune needed recomputing"),
    "stale_notice": ("Số liệu phủ sóng của {n} xã đã cũ từ {since}", "Coverage figures of {n} communes are "
                     "stale since {since}"),
    "stale_fix_web": ("đang được tính lại tự động; bản đồ tự cập nhật khi xong",
                      "they are being recomputed automatically; the map updates itself when done"),
    "stale_fix_cli": ("chạy `phusong analyse` (hoặc `phusong analyse --province MÃ`) để tính lại",
                      "run `phusong analyse` (or `phusong analyse --province CODE`) to bring them current"),
    "status_current": ("đã cập nhật", "current"),
    "status_line": ("Phủ sóng tính lúc {at}; {stale}", "Coverage computed at {at}; {stale}"),
    # Issue 21: a session that ended while a form was open (app/assets/phusong_session.js).
    "session_expired": ("Phiên đăng nhập đã hết hạn – đăng nhập lại; dữ liệu đã nhập vẫn được giữ",
                        "Your session has expired – log in again; what you entered is kept"),
    "session_login_unavailable": ("Không mở được trang đăng nhập. Kiểm tra kết nối rồi thử lại.",
                                  "The login form cannot be opened. Check the connection and try again."),
    # Issue 21: the inspectors' list and form.
    "survey_code": ("Mã khảo sát", "Survey code"),
    "search_facility_placeholder": ("Tên hoặc mã khảo sát (gõ không dấu được)",
                                    "Name or survey code (diacritics optional)"),
    "all_communes": ("Tất cả các xã", "All communes"),
    "all_types": ("Mọi loại thiết chế", "All facility types"),
    "all_statuses": ("Mọi tình trạng", "All statuses"),
    "previous_page": ("‹ Trước", "‹ Previous"),
    "next_page": ("Sau ›", "Next ›"),
    "photo_pick": ("Chụp hoặc chọn ảnh", "Take or choose a photo"),
    "photo_remove": ("Bỏ ảnh", "Remove photo"),
    "photo_not_image": ("Tệp đã chọn không phải là ảnh; chọn ảnh JPEG hoặc PNG.",
                        "The chosen file is not a photo; choose a JPEG or PNG image."),
    "choose_status": ("Chọn tình trạng.", "Choose a status."),
    "inspection_saved": ("Đã lưu kết quả kiểm tra", "Inspection saved"),
    "inspection_saved_before": ("Đã lưu trước đó", "Already saved"),
    "far_from_facility": ("Bạn đang cách thiết chế {distance}: kiểm tra lại đúng thiết chế chưa.",
                          "You are {distance} from the facility: check it is the right one."),
    "distance_to_facility": ("Khoảng cách đến thiết chế", "Distance to the facility"),
    # Issue 21: the communes' table beside the map.
    "commune_table": ("Bảng các xã", "Communes"),
    "priority": ("Ưu tiên", "Priority"),
    "priority_hint": ("Điểm ưu tiên 0–1: dân chưa được phủ sóng, tỷ lệ còn thiếu, thôn chưa có loa, thiếu đài",
                      "Priority 0-1: people not reached, share missing, villages not reached, no station"),
    "export_filtered_rows": ("Tải các dòng đang lọc (CSV)", "Download the filtered rows (CSV)"),
    # Issue 21: the plan form's checks.
    "plan_refused": ("Chưa chạy tối ưu: sửa các ô sau.", "The planner did not run: correct these fields."),
    "must_be_above_zero": ("phải là một số lớn hơn 0", "must be a number above 0"),
    "must_be_zero_or_more": ("phải là một số từ 0 trở lên", "must be a number of 0 or more"),
    "empty": ("để trống", "empty"),
    # The account page (app/pages/account.py): personal access tokens for QGIS/GDAL (issue 19).
    "page_account": ("Tài khoản", "Account"),
    "tokens": ("Mã truy cập cho phần mềm GIS", "Access tokens for GIS software"),
    "tokens_help": ("Dùng trong QGIS/GDAL: tên đăng nhập và mã truy cập làm mật khẩu (xác thực Basic). "
                    "Mã chỉ hiện một lần; phusong chỉ lưu bản băm.",
                    "For QGIS/GDAL: your user name with the token as password (Basic authentication). "
                    "A token is shown once; phusong keeps only its hash."),
    "token_name": ("Tên mã (ví dụ: QGIS máy bàn)", "Token name (e.g. QGIS desktop)"),
    "token_expires_days": ("Hết hạn sau (ngày)", "Expires after (days)"),
    "token_add": ("Tạo mã mới", "New token"),
    "token_revoke": ("Thu hồi", "Revoke"),
    "token_shown_once": ("Mã truy cập mới (sao chép ngay, sẽ không hiện lại):",
                         "New token (copy it now, it will not be shown again):"),
    "token_revoked": ("Đã thu hồi mã", "Token revoked"),
    "token_live": ("Đang dùng", "Live"),
    "token_expired": ("Hết hạn", "Expired"),
    "created": ("Tạo lúc", "Created"),
    "expires": ("Hết hạn", "Expires"),
    "last_used": ("Dùng lần cuối", "Last used"),
    "state": ("Trạng thái", "State"),
    "never": ("Không", "Never"),
    # The offline inspector page (issue 20), linked from the Kiểm tra page.
    "offline_page_link": ("📴 Làm việc không có sóng: trang thực địa", "📴 Work without signal: the field page"),
    # Inspection plans (issue 23): the planner's page and the inspector's "Việc của tôi".
    "page_inspection_plan": ("Kế hoạch kiểm tra", "Inspection plan"),
    "my_tasks": ("Việc của tôi", "My tasks"),
    "my_tasks_count": ("{n} việc · quá hạn: {late}", "{n} tasks · overdue: {late}"),
    "my_tasks_more": ("Xem thêm {n} việc", "{n} more tasks"),
    "plan_no_inspector_here": ("Không có cán bộ kiểm tra nào phụ trách xã này: hãy giao phạm vi cho một cán bộ "
                               "(trang Quản trị) rồi giao lại.",
                               "No inspector's scope holds this commune: give one the scope (Administration) "
                               "and reassign."),
    "my_tasks_none": ("Không có việc nào được giao trong kế hoạch kiểm tra.", "No task assigned to you in a plan."),
    "due_date": ("Hạn", "Due"),
    "overdue": ("Quá hạn", "Overdue"),
    "plan_due": ("Phải kiểm tra", "Due"),
    "plan_done": ("Đã kiểm tra", "Done"),
    "plan_open": ("Chưa đến hạn", "Not yet due"),
    "plan_unassigned": ("Chưa giao", "Unassigned"),
    "plan_removed": ("Đã bỏ", "Removed"),
    "inspector": ("Cán bộ kiểm tra", "Inspector"),
    "facility": ("Thiết chế", "Facility"),
    "plan_choose_inspector": ("Chọn cán bộ kiểm tra để giao.", "Choose the inspector to give it to."),
    "plan_by_commune": ("Tiến độ theo xã", "Progress by commune"),
    "plan_by_inspector": ("Tiến độ theo cán bộ kiểm tra", "Progress by inspector"),
    "plan_assignments": ("Danh sách việc", "Assignments"),
    "plan_reassign": ("Giao lại", "Reassign"),
    "plan_remove": ("Bỏ khỏi kế hoạch", "Remove from plan"),
    "plan_pick_row": ("Chọn một dòng để giao lại hoặc bỏ.", "Pick a row to reassign or remove it."),
    "plan_none": ("Chưa có kế hoạch kiểm tra nào trong phạm vi của bạn.", "No inspection plan in your scope yet."),
    "plan_changed": ("Đã cập nhật kế hoạch", "Plan updated"),
    "priority_feedback": ("Có phản ánh", "Citizen report"),
    "priority_broken": ("Báo hư hỏng", "Reported broken"),
}

STATUS_WORDS: dict[str, tuple[str, str]] = {
    "operational": ("Hoạt động", "Operational"),
    "degraded": ("Xuống cấp", "Degraded"),
    "broken": ("Hư hỏng", "Broken"),
    "decommissioned": ("Đã thanh lý", "Decommissioned"),
    "planned": ("Dự kiến", "Planned"),
    "unknown": ("Chưa rõ", "Unknown"),
}

TYPE_WORDS: dict[str, tuple[str, str]] = {
    "commune_radio_station": ("Đài truyền thanh cấp xã", "Commune radio station"),
    "loudspeaker_cluster": ("Cụm loa truyền thanh", "Loudspeaker cluster"),
    "district_radio_tv": ("Đài Truyền thanh - Truyền hình cấp huyện", "District radio-TV station"),
    "mobile_propaganda_team": ("Đội tuyên truyền lưu động", "Mobile propaganda team"),
    "post_culture_point": ("Điểm Bưu điện - Văn hóa xã", "Post-office cultural point"),
    "legal_bookcase": ("Tủ sách pháp luật", "Legal bookcase"),
    "community_info_cluster": ("Cụm thông tin cơ sở", "Community information cluster"),
    "cultural_house": ("Nhà văn hóa", "Cultural house"),
    "learning_centre": ("Trung tâm học tập cộng đồng", "Community learning centre"),
    "library": ("Thư viện", "Library"),
    "e_bulletin_board": ("Bảng tin điện tử công cộng", "Public electronic bulletin board"),
}

# The plan actions' words are the exports catalogue's (one list for the page, the XLSX and the PDF).
ACTION_WORDS = ACTION_LABELS


def current_lang() -> str:
    """The language of this request: the session's choice, Vietnamese by default (and outside a request)."""
    if flask.has_request_context():
        lang = flask.session.get("lang", "vi")
        return lang if lang in LANGUAGES else "vi"
    return "vi"


def _pick(pair: tuple[str, str], lang: str | None) -> str:
    return pair[1] if (lang or current_lang()) == "en" else pair[0]


def t(key: str, lang: str | None = None) -> str:
    """The word for ``key`` in the current language (the key itself when it is missing, so it shows)."""
    pair = WORDS.get(key)
    return _pick(pair, lang) if pair else key


def status_word(code: str | None, lang: str | None = None) -> str:
    return _pick(STATUS_WORDS[code], lang) if code in STATUS_WORDS else (code or "")


def type_word(code: str | None, lang: str | None = None) -> str:
    return _pick(TYPE_WORDS[code], lang) if code in TYPE_WORDS else (code or "")


def action_word(code: str | None, lang: str | None = None) -> str:
    return _pick(ACTION_WORDS[code], lang) if code in ACTION_WORDS else (code or "")


def class_word(code: str | None, lang: str | None = None) -> str:
    return t(f"class_{code}" if code in ("unserved", "underserved", "served") else "class_none", lang)


def fmt_int(value: Any, lang: str | None = None) -> str:
    """1234567 -> '1.234.567' in Vietnamese, '1,234,567' in English; None -> '–'."""
    if value is None:
        return "–"
    text = f"{round(float(value)):,}"
    return text if (lang or current_lang()) == "en" else text.replace(",", ".")


def fmt_decimal(value: Any, digits: int = 1, lang: str | None = None) -> str:
    """12345.67 -> '12.345,7' in Vietnamese, '12,345.7' in English."""
    if value is None:
        return "–"
    text = f"{float(value):,.{digits}f}"
    if (lang or current_lang()) == "en":
        return text
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def fmt_share(value: Any, lang: str | None = None) -> str:
    """0.853 -> '85,3 %' (Vietnamese) or '85.3 %', rounded down (sql/percent.py: the one rule)."""
    shown = percent(value, 1)
    return "–" if shown is None else f"{fmt_decimal(shown, 1, lang)} %"


def fmt_date(value: date | datetime | None) -> str:
    """Dates as 26/11/2026 in both languages (the glossary's format); times as 26/11/2026 14:05."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(VIETNAM_TZ)
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")
