"""The header catalogue: one Vietnamese and one English header per exported column, and the words for codes.

The XLSX and the "CSV cho Excel" show these headers (Vietnamese, English with ``--lang en`` or the language
switch); the standard CSV, the GeoPackage and the GeoJSON keep the ASCII snake_case keys (GeoPackage: with the
Vietnamese header as the field's alias). Words follow /work/shared/docs/GLOSSARY.md.
"""

from __future__ import annotations

from sql.table_writer import Column

CLASS_LABELS: dict[str, tuple[str, str]] = {
    "unserved": ("Chưa được phục vụ", "Unserved"),
    "underserved": ("Phục vụ chưa đầy đủ", "Underserved"),
    "served": ("Đã được phục vụ", "Served"),
}
ACTION_LABELS: dict[str, tuple[str, str]] = {
    "repair_cluster": ("Sửa chữa cụm loa", "Repair cluster"),
    "new_ip_cluster": ("Lắp mới cụm loa IP", "New IP cluster"),
    "new_fm_cluster": ("Lắp mới cụm loa FM", "New FM cluster"),
    "upgrade_station_ip": ("Nâng cấp đài lên ứng dụng CNTT-VT", "Upgrade station to IP"),
    "build_station": ("Xây dựng đài truyền thanh xã", "Build commune station"),
    "integration": ("Tích hợp đài sau sáp nhập (CV 271)", "Join a merged commune's stations (CV 271)"),
    "replace_cluster_ip": ("Thay cụm loa hết khấu hao bằng cụm IP", "Replace worn-out cluster with IP"),
}
# Budget lines of a plan over years (issue 23; analysis/planning/budget.py): the NTM programme (QĐ 263/QĐ-TTg),
# the provincial budget, other sources.
BUDGET_LINE_LABELS: dict[str, tuple[str, str]] = {
    "ntm": ("Chương trình MTQG nông thôn mới", "NTM programme"),
    "provincial": ("Ngân sách tỉnh", "Provincial budget"),
    "other": ("Nguồn khác", "Other sources"),
}
# The unit a budget line counts in (hạng mục, đơn vị, số lượng, đơn giá, thành tiền).
ACTION_UNITS: dict[str, tuple[str, str]] = {
    "repair_cluster": ("cụm", "cluster"), "new_ip_cluster": ("cụm", "cluster"),
    "new_fm_cluster": ("cụm", "cluster"), "replace_cluster_ip": ("cụm", "cluster"),
    "upgrade_station_ip": ("đài", "station"), "build_station": ("đài", "station"),
    "integration": ("bộ", "device"),
}


def _c(key: str, vi: str, en: str, kind: str = "text", **kw: object) -> Column:
    return Column(key, vi, en, kind, **kw)  # type: ignore[arg-type]


GAP_CATALOGUE: dict[str, Column] = {c.key: c for c in (
    _c("commune_code", "Mã xã", "Commune code", "code"),
    _c("commune_name", "Xã", "Commune"),
    _c("province_code", "Mã tỉnh", "Province code", "code"),
    _c("province_name", "Tỉnh", "Province"),
    _c("area_km2", "Diện tích (km²)", "Area (km²)", "number"),
    _c("covered_area_km2", "Diện tích được phủ sóng (km²)", "Area covered (km²)", "number"),
    _c("covered_area_share", "Tỷ lệ diện tích được phủ sóng", "Share of area covered", "share"),
    _c("pop_total", "Dân số", "Population", "people"),
    _c("pop_covered", "Dân số được phủ sóng", "People covered", "people"),
    _c("pop_covered_share", "Tỷ lệ dân số được phủ sóng", "Share of people covered", "share"),
    _c("villages_total", "Số thôn", "Villages", "int"),
    _c("villages_reached", "Thôn có loa", "Villages reached", "int"),
    _c("station_operational", "Đài truyền thanh hoạt động", "Station working", "bool"),
    _c("ntm_8_3", "Tiêu chí 8.3", "NTM criterion 8.3", "bool"),
    _c("class", "Phân loại", "Class", labels=CLASS_LABELS),
    _c("reason", "Lý do", "Reason"),
    _c("pop_uncovered", "Dân số chưa được phủ sóng", "People not covered", "people"),
    _c("villages_not_reached", "Thôn chưa có loa", "Villages not reached", "int"),
    _c("clusters_working", "Cụm loa hoạt động", "Clusters working", "int"),
    _c("clusters_broken", "Cụm loa hư hỏng / không hoạt động", "Clusters broken", "int"),
    _c("ntm_8_1", "Tiêu chí 8.1", "NTM criterion 8.1", "bool"),
    _c("ntm_6_3_share", "Tiêu chí 6.3: tỷ lệ thôn có nhà văn hóa", "Criterion 6.3: share of villages with a "
       "cultural house", "share"),
    _c("priority_score", "Điểm ưu tiên", "Priority score", "number", digits=3),
    _c("reason_en", "Lý do (tiếng Anh)", "Reason (English)"),
    _c("population_method", "Nguồn dân số", "Population source"),
    _c("rule_version", "Bộ tiêu chí", "Rule version"),
    _c("data_date", "Ngày dữ liệu", "Data date", "date"),
    _c("computed_at", "Thời điểm tính", "Computed at", "datetime"),
    _c("run_id", "Mã lần tính", "Run id", "code"),
    _c("commune_group", "Nhóm xã (QĐ 51/2025/QĐ-TTg)", "Commune group (Decision 51/2025)"),
    _c("rules_provisional", "Ngưỡng tạm tính", "Provisional thresholds", "bool"),
)}

PLAN_CATALOGUE: dict[str, Column] = {c.key: c for c in (
    _c("action", "Hạng mục", "Action", labels=ACTION_LABELS),
    _c("action_code", "Mã hạng mục", "Action code", "code"),
    _c("facility_code", "Mã khảo sát thiết chế", "Facility survey code", "code"),
    _c("facility_name", "Tên thiết chế", "Facility name"),
    _c("village_name", "Thôn gần nhất", "Nearest village"),
    _c("village_distance_m", "Cách thôn (m)", "Distance to village (m)", "int"),
    _c("commune_code", "Mã xã", "Commune code", "code"),
    _c("commune_name", "Xã", "Commune"),
    _c("province_code", "Mã tỉnh", "Province code", "code"),
    _c("province_name", "Tỉnh", "Province"),
    _c("lon", "Kinh độ", "Longitude", "number", digits=6),
    _c("lat", "Vĩ độ", "Latitude", "number", digits=6),
    _c("cost_vnd", "Chi phí (đồng)", "Cost (VND)", "money"),
    _c("added_population", "Số dân được phủ sóng thêm", "People newly covered", "people"),
    _c("added_villages", "Số thôn có loa thêm", "Villages newly reached", "int"),
    _c("reason", "Lý do", "Reason"),
    _c("actions", "Số hạng mục", "Actions", "int"),
    _c("class_before", "Phân loại trước", "Class before", labels=CLASS_LABELS),
    _c("class_after", "Phân loại sau", "Class after", labels=CLASS_LABELS),
    _c("year", "Năm", "Year", "year"),
    _c("budget_line", "Nguồn vốn", "Budget line", labels=BUDGET_LINE_LABELS),
    _c("budget_vnd", "Kế hoạch vốn (đồng)", "Budget (VND)", "money"),
    _c("remaining_vnd", "Còn lại (đồng)", "Remaining (VND)", "money"),
)}

COST_COLUMNS = (
    _c("commune", "Xã", "Commune"),
    _c("item", "Hạng mục", "Item"),
    _c("unit", "Đơn vị", "Unit"),
    _c("quantity", "Số lượng", "Quantity", "int"),
    _c("unit_price", "Đơn giá (đồng)", "Unit price (VND)", "money"),
    _c("amount", "Thành tiền (đồng)", "Amount (VND)", "money"),
)
