"""'Tải mẫu biểu Kobo/ODK' (issue 21): the XLSForm an inspector downloads converts with pyxform (ODK's own
converter), offers exactly their facilities, and what Kobo exports from it goes back through the inspection
loader. On today's main there is no form to download (404)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pyxform.xls2xform import convert
from sqlalchemy import create_engine, text

from etl.inspections import load_inspections
from tests.app.conftest import session_as

pytestmark = pytest.mark.db


def _download(flask_client: Any, who: str) -> Any:
    session_as(flask_client, who)
    return flask_client.get("/download/kobo-form.xlsx")


def test_the_form_converts_offers_the_inspectors_facilities_and_its_export_loads(
        flask_client: Any, demo_database: str, tmp_path: Path) -> None:
    answer = _download(flask_client, "kiemtra")
    assert answer.status_code == 200 and answer.data[:2] == b"PK"
    form = tmp_path / "mau.xlsx"
    form.write_bytes(answer.data)
    warnings: list[str] = []
    xml = convert(str(form), warnings=warnings).xform
    assert "<h:title>Kiểm tra thiết chế — phusong</h:title>" in xml and 'jr:constraintMsg' in xml
    book = openpyxl.load_workbook(form)
    assert book.sheetnames == ["survey", "choices", "settings"]
    offered = {r[1] for r in book["choices"].iter_rows(min_row=2, values_only=True) if r[0] == "thiet_che"}
    engine = create_engine(demo_database)
    with engine.connect() as conn:
        expected = set(conn.execute(text(
            "SELECT external_id FROM facility WHERE commune_code IN ('03160', '03162') "
            "AND external_id IS NOT NULL AND status <> 'decommissioned'")).scalars())
    engine.dispose()
    assert offered == expected and len(offered) > 25
    # A KoboToolbox CSV export of two submissions of this form loads through the inspection path.
    fields = [r[1] for r in book["survey"].iter_rows(min_row=2, values_only=True)]
    header = [*fields, "_vi_tri_latitude", "_vi_tri_longitude", "meta/instanceID", "_id", "_uuid",
              "_submission_time"]
    codes = sorted(offered)[:2]
    rows = [["kiemtra", codes[0], "broken", "2026-11-30T08:15:00.000+07:00", "Mất tín hiệu", "", "22.1 102.4 0 5",
             "22.1", "102.4", "uuid:form-a", "1", "form-a", "2026-11-30T09:00:00"],
            ["kiemtra", codes[1], "operational", "2026-11-30T09:40:00.000+07:00", "", "", "", "", "",
             "uuid:form-b", "2", "form-b", "2026-11-30T10:00:00"]]
    export = tmp_path / "phusong_kiem_tra.csv"
    with export.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    with create_engine(demo_database).connect() as conn:
        result = load_inspections(conn, export, dry_run=True, loaded_by="kiemtra", scope=["03160", "03162"])
    assert result.loaded == 2, [i.reason for i in result.issues]
    assert [r.status_found for r in result.accepted] == ["broken", "operational"]
    assert result.accepted[0].inspected_at.isoformat() == "2026-11-30T08:15:00+07:00"  # the visit, not the upload
    assert result.accepted[0].note == "Mất tín hiệu"


def test_the_form_is_for_inspectors_and_admins_only(flask_client: Any) -> None:
    assert _download(flask_client, "quyhoach").status_code == 403
    admin = _download(flask_client, "quantri")
    book = openpyxl.load_workbook(io.BytesIO(admin.data))
    assert book["settings"]["B2"].value == "phusong_kiem_tra"
