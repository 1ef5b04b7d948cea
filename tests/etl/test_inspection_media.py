"""Photos of a Kobo/ODK zip export imported with their rows (issue 21). On today's main the rows load and the
photos are dropped."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Connection, text

from etl.inspections import load_inspections
from tests.etl.conftest import IN_DIEN_BIEN_PHU, IN_MUONG_PHANG

pytestmark = pytest.mark.db

HEADER = ["username", "ma_thiet_che", "tinh_trang", "ngay_kiem_tra", "ghi_chu", "anh", "meta/instanceID", "_uuid"]


def _jpeg(size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def _facilities(conn: Connection) -> None:
    for code, commune, (lon, lat) in (("KB-1", "03199", IN_MUONG_PHANG), ("KB-2", "03127", IN_DIEN_BIEN_PHU),
                                      ("KB-3", "03199", IN_MUONG_PHANG)):
        conn.execute(text(
            "INSERT INTO facility (external_id, type, status, commune_code, geom) VALUES "
            "(:e, 'loudspeaker_cluster', 'operational', :c, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"),
            {"e": code, "c": commune, "lon": lon, "lat": lat})


def _export(path: Path, media: dict[str, bytes]) -> Path:
    rows = [["kiemtra", "KB-1", "broken", "2026-11-30T08:15:00+07:00", "Cột đổ", "1764470000.jpg", "uuid:aaa111",
             "aaa111"],
            ["kiemtra", "KB-2", "degraded", "2026-11-30T09:15:00+07:00", "", "thieu.jpg", "uuid:bbb222", "bbb222"],
            ["kiemtra", "KB-3", "operational", "2026-11-30T10:15:00+07:00", "", "hong.jpg", "uuid:ccc333",
             "ccc333"]]
    table = io.StringIO()
    csv.writer(table).writerows([HEADER, *rows])
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("phusong_kiem_tra.csv", table.getvalue())
        for name, data in media.items():
            archive.writestr(name, data)
    return path


def test_kobo_attachments_come_with_their_rows(communes: Connection, tmp_path: Path) -> None:
    _facilities(communes)
    photo = _jpeg()
    export = _export(tmp_path / "kobo.zip", {
        "kiemtra/attachments/abc/aaa111/1764470000.jpg": photo,
        "kiemtra/attachments/abc/zzz999/1764470000.jpg": _jpeg((20, 20)),  # another submission's, same name
        "kiemtra/attachments/abc/ccc333/hong.jpg": b"not a photo at all"})
    result = load_inspections(communes, export, loaded_by="kiemtra")
    assert result.loaded == 3
    stored = dict(communes.execute(text(
        "SELECT f.external_id, i.photo FROM inspection i JOIN facility f ON f.id = i.facility_id "
        "WHERE f.external_id LIKE 'KB-%'")).all())
    assert bytes(stored["KB-1"]) == photo  # the file in this submission's folder
    assert stored["KB-2"] is None and stored["KB-3"] is None
    warnings = {(i.row, i.value): i.reason for i in result.issues if i.severity == "warning"}
    assert "not in the archive" in warnings[(3, "thieu.jpg")]
    assert "not a JPEG or PNG" in warnings[(4, "hong.jpg")]


def test_odk_media_folder_and_a_large_photo_shrunk(communes: Connection, tmp_path: Path) -> None:
    _facilities(communes)
    big = io.BytesIO()
    Image.frombytes("RGB", (2600, 2600), os.urandom(2600 * 2600 * 3)).save(big, "PNG", compress_level=0)
    assert len(big.getvalue()) > 5 * 1024 * 1024
    export = _export(tmp_path / "odk.zip", {"media/1764470000.jpg": big.getvalue()})
    load_inspections(communes, export, loaded_by="kiemtra")
    row = communes.execute(text(
        "SELECT i.photo, i.photo_mime FROM inspection i JOIN facility f ON f.id = i.facility_id "
        "WHERE f.external_id = 'KB-1'")).one()
    with Image.open(io.BytesIO(row.photo)) as image:
        assert image.size == (1600, 1600) and row.photo_mime == "image/jpeg"
