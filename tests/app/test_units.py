"""Pure pieces of the app: Vietnamese formats, photo checks by content, map detail levels (no database)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from PIL import Image

from analysis.outputs.web_map import inline_assets
from app.auth import User, parse_scope, wait_after_failures
from app.components.common import map_binds, tolerance_for_zoom, zoom_for_bounds
from app.i18n import fmt_date, fmt_decimal, fmt_int, fmt_share, t
from app.inspections import MAX_PHOTO_BYTES, InspectionInputError, check_photo, decode_upload


def _image(fmt: str, size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 30)).save(buffer, fmt)
    return buffer.getvalue()


def test_vietnamese_numbers_and_dates() -> None:
    assert fmt_int(1234567, "vi") == "1.234.567" and fmt_int(1234567, "en") == "1,234,567"
    assert fmt_decimal(12345.67, 1, "vi") == "12.345,7"
    assert fmt_share(0.853, "vi") == "85,3 %"
    assert fmt_date(date(2026, 11, 26)) == "26/11/2026"
    assert fmt_date(datetime(2026, 11, 26, 17, 30, tzinfo=UTC)) == "27/11/2026 00:30"  # shown in UTC+7
    assert t("page_map", "vi") == "Bản đồ phủ sóng" and t("page_map", "en") == "Coverage map"


def test_photos_are_checked_by_content() -> None:
    assert check_photo(_image("JPEG")) == "image/jpeg"
    assert check_photo(_image("PNG")) == "image/png"
    with pytest.raises(InspectionInputError, match="JPEG hoặc PNG"):
        check_photo(b"GIF89a" + b"\0" * 100)
    with pytest.raises(InspectionInputError, match="JPEG hoặc PNG"):
        check_photo(b"<html>not a photo</html>")
    with pytest.raises(InspectionInputError, match="hỏng"):
        check_photo(b"\xff\xd8\xff" + b"\0" * 100)  # a JPEG signature on garbage
    with pytest.raises(InspectionInputError, match="quá lớn"):
        check_photo(b"\xff\xd8\xff" + b"\0" * MAX_PHOTO_BYTES)
    assert decode_upload("data:image/png;base64,aGVsbG8=") == b"hello"
    assert decode_upload(None) is None


def test_map_detail_follows_the_zoom() -> None:
    assert tolerance_for_zoom(5) == pytest.approx(360 / 256 / 32 / 2)
    planner = User("a", "planner", ())
    national = map_binds(planner, zoom=5.4)
    assert national["zoom_level"] == 5 and national["xmin"] is None and national["decimals"] == 3
    close = map_binds(planner, zoom=12, bounds=[[21.0, 103.0], [21.2, 103.4]])
    assert close["zoom_level"] == 12 and close["xmin"] == pytest.approx(102.8)  # stored outlines, in view
    closer = map_binds(planner, zoom=13, bounds=[[21.0, 103.0], [21.05, 103.1]])
    assert closer["zoom_level"] is None and closer["xmin"] == pytest.approx(102.95)  # simplified per view
    assert 5 <= zoom_for_bounds([[8.2, 102.1], [23.4, 109.5]]) <= 6


def test_scopes_and_waits() -> None:
    assert parse_scope(" 11, 03160;03162 ,") == ["11", "03160", "03162"]
    assert User("k", "inspector", ()).whole_country is False
    assert User("p", "planner", ()).whole_country is True
    assert wait_after_failures(7) == 60


def test_the_standalone_map_refuses_remote_scripts() -> None:
    page = '<script src="phusong-inline:leaflet.js"></script><a href="https://leafletjs.com">Leaflet</a>'
    assert "<script src" not in inline_assets(page)
    with pytest.raises(RuntimeError, match="still links"):
        inline_assets('<script src="https://cdn.example/leaflet.js"></script>')


def test_download_names_keep_the_d_of_dien_bien_and_carry_the_utf8_name() -> None:
    """Issue 17: "Điện Biên" became "ien_Bien" (the marks were dropped and đ with them)."""
    from app.downloads import ascii_name, content_disposition

    assert ascii_name("phusong_khoang_trong_Điện_Biên_20261204.csv") == "phusong_khoang_trong_Dien_Bien_20261204.csv"
    assert ascii_name("Phương án đường/Đồi 1") == "Phuong_an_duong_Doi_1"
    header = content_disposition("phusong_Điện_Biên.xlsx")
    assert header.startswith('attachment; filename="phusong_Dien_Bien.xlsx"; ')
    assert "filename*=UTF-8''phusong_%C4%90i%E1%BB%87n_Bi%C3%AAn.xlsx" in header
