"""The XLSForm an inspector loads into KoboToolbox or ODK Collect to inspect offline (issue 21, "Tải mẫu biểu
Kobo/ODK"). Its fields are named so that the export comes back through the inspection loader unchanged
(etl/inspections.py, matched by etl/vocabulary.yaml): ma_thiet_che -> external_id, tinh_trang -> status,
ngay_kiem_tra -> inspected_at, ghi_chu -> note, vi_tri -> geopoint, username -> inspector, the meta instanceID ->
submission_id; the photo field ``anh`` names the attachment etl/inspection_media.py imports with the row.
The facility choices are the inspector's facilities with a survey code. No start/end metadata: the loader takes
the first date-like column as the visit time, and that must be the inspector's own answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl

from sql.safe_cells import text_only_workbook

FORM_ID = "phusong_kiem_tra"
PHOTO_FIELD = "anh"  # the image question: its answer is the attachment's file name in the export
STATUS_CHOICES = (("operational", "Hoạt động"), ("degraded", "Xuống cấp"), ("broken", "Hư hỏng"),
                  ("decommissioned", "Đã thanh lý"))
NOTE_MAX_CHARS = 2000
_CHOICE_NAME = re.compile(r"^[A-Za-z0-9_.\-:]+$")  # what ODK accepts as a choice name without trouble

SURVEY = (
    ("type", "name", "label", "required", "constraint", "constraint_message", "hint", "appearance", "parameters"),
    ("username", "username", "", "", "", "", "", ""),
    ("select_one thiet_che", "ma_thiet_che", "Thiết chế được kiểm tra", "yes", "", "", "Gõ tên hoặc mã để tìm",
     "autocomplete"),
    ("select_one tinh_trang", "tinh_trang", "Tình trạng", "yes", "", "", "", ""),
    ("dateTime", "ngay_kiem_tra", "Thời điểm kiểm tra", "yes", ". <= now()",
     "Thời điểm kiểm tra không thể ở tương lai", "", ""),
    ("text", "ghi_chu", "Ghi chú", "", f"string-length(.) <= {NOTE_MAX_CHARS}",
     f"Tối đa {NOTE_MAX_CHARS} ký tự", "", "multiline"),
    ("image", PHOTO_FIELD, "Ảnh thiết chế", "", "", "", "Chụp ảnh thiết chế", "", "max-pixels=1600"),
    ("geopoint", "vi_tri", "Vị trí", "", "", "", "", ""),
)


def choice_name(code: str) -> str | None:
    """A survey code usable as a choice name, or None (then the facility is left out of the list)."""
    code = code.strip()
    return code if _CHOICE_NAME.match(code) else None


def write_kobo_form(path: Path, facilities: Iterable[Mapping[str, Any]], *, version: str | None = None) -> int:
    """Write the XLSForm (survey, choices, settings sheets) to ``path``; return the number of facility choices.

    ``facilities``: rows with external_id, name, commune_name (sql/queries/facility_codes_in_scope.sql).
    """
    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    for row in SURVEY:
        survey.append(list(row))
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    for code, label in STATUS_CHOICES:
        choices.append(["tinh_trang", code, label])
    count = 0
    for f in facilities:
        name = choice_name(str(f["external_id"] or ""))
        if name is None:
            continue
        choices.append(["thiet_che", name, f"{f['name'] or name} · {f['commune_name']} ({name})"])
        count += 1
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "version"])
    settings.append(["Kiểm tra thiết chế — phusong", FORM_ID, version or datetime.now().strftime("%Y%m%d%H%M")])
    text_only_workbook(book).save(path)
    return count
