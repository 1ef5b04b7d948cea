"""The audit log as an administrator searches it (issue 21): filters by date range (Viet Nam days), user and object
(type and id), pages of 50 rows read on the server, and the filtered rows as XLSX at /download/audit.xlsx (admin
only) through sql/table_writer.py: Vietnamese headers, typed date-time cells, the filters and the data date in the
"Tham số" sheet."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

import flask
import pandas as pd

from app.audit_words import ACTIONS, ENTITIES, change_text, word
from app.auth import require
from app.downloads import content_disposition
from app.errors import error_page, error_text
from app.i18n import VIETNAM_TZ, current_lang
from sql import queries
from sql.engine import connect
from sql.errors import InputRefused
from sql.table_writer import Column, Table, write_workbook

PAGE_ROWS = 50
EXPORT_MAX_ROWS = 100_000  # one sheet stays readable; the parameters sheet says when the export was cut
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = [
    Column("at", "Thời điểm", "When", kind="datetime"),
    Column("user", "Người thực hiện", "User"),
    Column("action", "Thao tác", "Action", labels=ACTIONS),
    Column("entity", "Loại đối tượng", "Object type", labels=ENTITIES),
    Column("entity_id", "Mã đối tượng", "Object id", kind="code"),
    Column("change", "Thay đổi", "Change"),
    Column("address", "Địa chỉ máy", "Client address"),
]


class AuditFilterError(InputRefused):
    """A filter of the audit log that cannot be read (a date that is not a date, a range ending before it starts)."""

    def __init__(self, message: str, vi: str) -> None:
        super().__init__(message)
        self.vi = vi


@dataclass(frozen=True)
class AuditFilters:
    since: date | None = None  # first day, Viet Nam time, included
    until: date | None = None  # last day, Viet Nam time, included
    user: str | None = None
    entity: str | None = None
    entity_id: str | None = None

    @classmethod
    def read(cls, values: Mapping[str, Any]) -> AuditFilters:
        """From the tab's fields or a URL's query (the same names); empty fields drop their filter."""
        def text(key: str) -> str | None:
            value = values.get(key)
            return str(value).strip()[:300] or None if value is not None else None

        found = cls(_day(text("since")), _day(text("until")), text("user"), text("entity"), text("entity_id"))
        if found.since and found.until and found.until < found.since:
            raise AuditFilterError("the date range ends before it starts",
                                   "Ngày kết thúc đứng trước ngày bắt đầu.")
        return found

    def binds(self) -> dict[str, Any]:
        def midnight(day: date | None) -> datetime | None:
            return datetime.combine(day, time(0), VIETNAM_TZ) if day else None

        after = self.until + timedelta(days=1) if self.until else None
        return {"since": midnight(self.since), "until": midnight(after), "user": self.user,
                "entity": self.entity, "entity_id": self.entity_id}

    def query(self) -> str:
        """The URL query of these filters (for the export link)."""
        pairs = {"since": self.since, "until": self.until, "user": self.user, "entity": self.entity,
                 "entity_id": self.entity_id}
        return urlencode({k: str(v) for k, v in pairs.items() if v})


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise AuditFilterError(f"not a date: {value!r} (expected YYYY-MM-DD)",
                               f"'{value}' không phải là ngày (cần dạng năm-tháng-ngày).") from exc


def audit_page(filters: AuditFilters, page: int) -> tuple[list[dict[str, Any]], int]:
    """Rows of page ``page`` (0-based, PAGE_ROWS each) and how many rows the filters hold."""
    with connect() as conn:
        counted = conn.execute(queries.load("audit_log_count"), filters.binds()).mappings().one()
        found = conn.execute(queries.load("audit_log_page"), {
            **filters.binds(), "limit": PAGE_ROWS, "offset": max(0, page) * PAGE_ROWS}).mappings()
        return [dict(r) for r in found], int(counted["total"])


# --------------------------------------------------------------------------------------------- XLSX

def register_routes(server: flask.Flask) -> None:
    server.add_url_rule("/download/audit.xlsx", "download_audit", _download_audit)


def _download_audit() -> Any:
    user = require("admin")
    lang = current_lang()
    try:
        filters = AuditFilters.read(flask.request.args)
    except AuditFilterError as exc:
        return error_page(error_text(exc), 400)
    stamp = datetime.now(VIETNAM_TZ).strftime("%Y%m%d_%H%M")
    response = flask.Response(audit_workbook(filters, lang, made_by=user.name).getvalue(), mimetype=XLSX)
    response.headers["Content-Disposition"] = content_disposition(f"phusong_nhat_ky_{stamp}.xlsx")
    return response


def audit_workbook(filters: AuditFilters, lang: str, *, made_by: str) -> io.BytesIO:
    """The filtered audit rows (newest first, at most EXPORT_MAX_ROWS) as one sheet and the parameters sheet."""
    with connect() as conn:
        counted = conn.execute(queries.load("audit_log_count"), filters.binds()).mappings().one()
        found = [dict(r) for r in conn.execute(queries.load("audit_log_page"), {
            **filters.binds(), "limit": EXPORT_MAX_ROWS, "offset": 0}).mappings()]
    frame = pd.DataFrame([{**{k: r[k] for k in ("at", "user", "action", "entity", "entity_id", "address")},
                           "change": "\n".join(change_text(r["before"], r["after"]))} for r in found],
                         columns=[c.key for c in COLUMNS])
    vi = lang != "en"
    everyone = "Tất cả" if vi else "All"
    parameters: list[tuple[str, Any]] = [
        ("Từ ngày" if vi else "From", filters.since or everyone),
        ("Đến ngày" if vi else "To", filters.until or everyone),
        ("Người thực hiện" if vi else "User", filters.user or everyone),
        ("Loại đối tượng" if vi else "Object type", word(ENTITIES, filters.entity, lang) or everyone),
        ("Mã đối tượng" if vi else "Object id", filters.entity_id or everyone),
        ("Số dòng" if vi else "Rows", len(found)),
        ("Số dòng khớp bộ lọc" if vi else "Rows matching the filters", int(counted["total"])),
        ("Số liệu tính đến" if vi else "Data as of", counted["newest"] or ""),
        ("Người xuất" if vi else "Exported by", made_by),
    ]
    target = io.BytesIO()
    write_workbook(target, [Table("Nhật ký thay đổi", "Audit log", COLUMNS, frame)], parameters, lang=lang)
    return target
