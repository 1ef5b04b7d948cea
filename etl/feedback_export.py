"""The feedback register as a file for the desk that answers citizens (issue 17): XLSX or CSV through the one
table writer (sql/table_writer.py). Every row carries the ticket number the citizen was given (the imported
reference, else the register's number), the facility's survey code and name, the commune and province codes and
names; dates in Viet Nam time as date cells; a "Tham số" sheet says who exported what, when and with which filters.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection

from etl.feedback import (
    CATEGORY_LABELS,
    CHANNEL_LABELS,
    OVERDUE_DAYS,
    STATUS_LABELS,
    FeedbackFilter,
    Viewer,
    list_feedback,
)
from sql.table_writer import Column, Table, write_table_csv, write_workbook


def export_columns(words: Mapping[str, Mapping[str, tuple[str, str]]]) -> list[Column]:
    """The exported columns: identifiers first, then the report and its handling."""
    return [
        Column("ticket", "Số phiếu (mã phản ánh)", "Ticket number", "code"),
        Column("id", "Số trong sổ phusong", "phusong register number", "code"),
        Column("received_at", "Ngày tiếp nhận", "Received", "datetime"),
        Column("channel", "Kênh tiếp nhận", "Channel", labels=words["channel"]),
        Column("province_code", "Mã tỉnh", "Province code", "code"),
        Column("province_name", "Tỉnh", "Province"),
        Column("commune_code", "Mã xã", "Commune code", "code"),
        Column("commune_name", "Tên xã", "Commune"),
        Column("facility_code", "Mã khảo sát thiết chế", "Facility survey code", "code"),
        Column("facility_name", "Tên thiết chế", "Facility"),
        Column("category", "Loại phản ánh", "Category", labels=words["category"]),
        Column("text", "Nội dung", "Text"),
        Column("reporter_contact", "Liên hệ người phản ánh", "Reporter contact"),
        Column("status", "Trạng thái", "Status", labels=words["status"]),
        Column("assigned_to", "Người được phân công", "Assigned to"),
        Column("answer", "Trả lời", "Answer"),
        Column("answered_at", "Ngày trả lời", "Answered", "datetime"),
        Column("closed_at", "Ngày đóng", "Closed", "datetime"),
        Column("days_open", "Số ngày", "Days open", "int"),
        Column("overdue", "Quá hạn", "Overdue", "bool"),
        Column("lon", "Kinh độ", "Longitude", "number", digits=6),
        Column("lat", "Vĩ độ", "Latitude", "number", digits=6),
    ]


def export_feedback(conn: Connection, viewer: Viewer, path: Path, *, filters: FeedbackFilter | None = None,
                    labels: Mapping[str, Mapping[str, tuple[str, str]]] | None = None, lang: str = "vi",
                    csv_dialect: str = "standard") -> int:
    """Write the reports the viewer may see to ``path`` (.xlsx, else CSV UTF-8 with BOM); return the count.

    The contact column is filled for an admin only (the register's query drops it for everyone else).
    """
    words = labels or {"channel": CHANNEL_LABELS, "category": CATEGORY_LABELS, "status": STATUS_LABELS}
    rows = list_feedback(conn, viewer, filters, limit=1_000_000)
    frame = pd.DataFrame(rows)
    if len(frame):
        frame["ticket"] = [ref or str(n) for ref, n in zip(frame["external_ref"], frame["id"], strict=True)]
    table = Table("Phản ánh", "Feedback", export_columns(words), frame)
    if path.suffix.lower() == ".xlsx":
        write_workbook(path, [table], _parameters(viewer, filters, len(rows)), lang=lang)
    else:
        write_table_csv(path, table, dialect=csv_dialect, lang=lang, human=True)
    return len(rows)


def _parameters(viewer: Viewer, filters: FeedbackFilter | None, count: int) -> list[tuple[str, Any]]:
    f = filters or FeedbackFilter()
    return [("Người xuất", viewer.name), ("Phạm vi", ", ".join(viewer.scope_codes) or "Cả nước"),
            ("Số phản ánh", count), ("Lọc theo trạng thái", f.status or "Tất cả"),
            ("Chỉ phản ánh quá hạn", "Có" if f.overdue_only else "Không"),
            ("Hạn trả lời (ngày)", OVERDUE_DAYS),
            ("Liên hệ người phản ánh", "có (quản trị)" if viewer.is_admin else "không xuất")]
