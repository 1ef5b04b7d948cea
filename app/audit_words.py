"""The audit log in words an administrator reads (issue 21): actions and objects in Vietnamese (English with the
language switch), and a change as "field: before → after" rather than JSON."""

from __future__ import annotations

import json
from typing import Any

ACTIONS = {
    "insert": ("Thêm mới", "Added"), "update": ("Sửa", "Changed"), "delete": ("Xóa", "Deleted"),
    "bulk_insert": ("Nạp tệp", "File loaded"), "login": ("Đăng nhập", "Logged in"),
    "login_failed": ("Đăng nhập sai", "Failed login"), "logout": ("Đăng xuất", "Logged out"),
    "sessions_ended": ("Kết thúc phiên", "Sessions ended"), "download": ("Tải xuống", "Download"),
    "refused": ("Bị từ chối", "Refused"),
    "password_reset": ("Đặt lại mật khẩu", "Password reset"), "password_changed": ("Đổi mật khẩu", "Password changed"),
    "login_alarm": ("Cảnh báo đăng nhập sai", "Failed-login alarm"),
}
ENTITIES = {
    "facility": ("Thiết chế", "Facility"), "inspection": ("Kiểm tra", "Inspection"), "village": ("Thôn", "Village"),
    "app_user": ("Người dùng", "User"), "scenario": ("Phương án", "Scenario"), "feedback": ("Phản ánh", "Feedback"),
    "login": ("Đăng nhập", "Login"), "session": ("Phiên làm việc", "Session"), "download": ("Tải xuống", "Download"),
    "request": ("Yêu cầu", "Request"), "api_token": ("Khóa truy cập", "Access token"),
}
_HIDDEN = ("updated_at", "geom")
_LONGEST = 60


def word(table: dict[str, tuple[str, str]], code: str | None, lang: str) -> str:
    """A code's name in the page's language; an unknown code as it is."""
    names = table.get(code or "")
    return (names[0] if lang == "vi" else names[1]) if names else (code or "")


def change_text(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """One line per changed field: "status: Hoạt động → Hỏng"; an insert or delete lists the values it had."""
    before, after = before or {}, after or {}
    keys = [k for k in sorted(set(before) | set(after)) if k not in _HIDDEN and before.get(k) != after.get(k)]
    lines = []
    for key in keys:
        old, new = _shown(before.get(key)), _shown(after.get(key))
        if before and after:
            lines.append(f"{key}: {old} → {new}")
        else:
            lines.append(f"{key}: {new if after else old}")
    return lines


def _shown(value: Any) -> str:
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value) or "–"
    text = "–" if value is None else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _LONGEST else text[:_LONGEST - 1] + "…"
