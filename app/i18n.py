"""The interface's words in Vietnamese (default) and English, and Vietnamese number and date formats.

Words follow docs/GLOSSARY.md exactly. The language is kept in the Flask session (switch at /lang/<code>).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import flask

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
}

STATUS_WORDS: dict[str, tuple[str, str]] = {
    "operational": ("Hoạt động", "Operational"),
    "degraded": ("Xuống cấp", "Degraded"),
    "broken": ("Hư hỏng", "Broken"),
    "decommissioned": ("Đã thanh lý", "Decommissioned"),
    "planned": ("Dự kiến", "Planned"),
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

ACTION_WORDS: dict[str, tuple[str, str]] = {
    "repair_cluster": ("Sửa chữa cụm loa", "Repair cluster"),
    "new_ip_cluster": ("Lắp mới cụm loa IP", "New IP cluster"),
    "new_fm_cluster": ("Lắp mới cụm loa FM", "New FM cluster"),
    "upgrade_station_ip": ("Nâng cấp đài lên ứng dụng CNTT-VT", "Upgrade station to IP"),
    "build_station": ("Xây dựng đài truyền thanh xã", "Build commune station"),
    "integration": ("Tích hợp đài sau sáp nhập (CV 271)", "Join a merged commune's stations (CV 271)"),
    "replace_cluster_ip": ("Thay cụm loa hết khấu hao bằng cụm IP", "Replace worn-out cluster with IP"),
}


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
    """0.853 -> '85,3 %' (Vietnamese) or '85.3 %'."""
    return "–" if value is None else f"{fmt_decimal(float(value) * 100, 1, lang)} %"


def fmt_date(value: date | datetime | None) -> str:
    """Dates as 26/11/2026 in both languages (the glossary's format); times as 26/11/2026 14:05."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(VIETNAM_TZ)
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")
