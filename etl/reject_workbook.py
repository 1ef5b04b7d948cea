"""The rejected and warned rows of a load (or of a preview) as a workbook a person fixes in Excel (issue 21):
row number, field, value, the reason in the user's language and its code, through the one writer
(sql/table_writer.py: typed cells, formula-safe, a "Tham số" sheet naming the file and the load)."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Connection

from etl.messages import field_text
from etl.validate import RowIssue
from sql import queries
from sql.table_writer import Column, Table, standard_parameters, write_workbook

SEVERITY = {"reject": ("Bị loại", "Rejected"), "warning": ("Cảnh báo", "Warning")}
COLUMNS = [
    Column("row", "Dòng trong tệp", "Row in the file", "int"),
    Column("field", "Trường", "Field"),
    Column("value", "Giá trị", "Value"),
    Column("reason", "Lý do", "Reason"),
    Column("code", "Mã lý do", "Reason code", "code"),
    Column("severity", "Mức", "Severity", labels=SEVERITY),
]


def rejects_workbook(issues: Sequence[RowIssue], *, file: str, batch: int | None, lang: str = "vi") -> bytes:
    """The issues, rejected rows first then warnings, each in file order, as XLSX bytes."""
    ordered = sorted(issues, key=lambda i: (i.severity != "reject", i.row))
    frame = pd.DataFrame([{"row": i.row, "field": field_text(i.field, lang), "value": i.value,
                           "reason": i.text(lang), "code": i.code, "severity": i.severity} for i in ordered],
                         columns=[c.key for c in COLUMNS])
    vi = lang != "en"
    rejected = len({i.row for i in issues if i.severity == "reject"})
    parameters = [("Tệp" if vi else "File", file),
                  ("Lần tải" if vi else "Load", batch if batch is not None else ("xem trước" if vi else "preview")),
                  ("Số dòng bị loại" if vi else "Rows rejected", rejected),
                  ("Số cảnh báo" if vi else "Warnings", sum(1 for i in issues if i.severity != "reject"))]
    buffer = io.BytesIO()
    write_workbook(buffer, [Table("Dòng bị loại", "Rejected rows", COLUMNS, frame)],
                   standard_parameters(parameters, lang), lang=lang)
    return buffer.getvalue()


def batch_issues(conn: Connection, batch: int) -> tuple[str, list[RowIssue]] | None:
    """The file and the stored issues of load ``batch`` (load_reject), or None when there is no such load."""
    file = conn.execute(queries.load("load_batch_file"), {"batch": batch}).scalar_one_or_none()
    if file is None:
        return None
    found = conn.execute(queries.load("load_rejects_of_batch"), {"batch": batch}).mappings()
    return file, [RowIssue(r["row"] or 0, r["field"] or "", r["value"] or "", r["code"] or "invalid_value",
                           _values(r["reason_values"]), r["severity"]) for r in found]


def _values(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):
        return dict(json.loads(raw))
    return dict(raw or {})
