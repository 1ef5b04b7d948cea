"""What the admin upload page says about a refused file (issue 21): Vietnamese, the file as the user named it,
no server path, no command-line flag, and an accurate reason (a header a,b,c with one row of column numbers is
not "no data rows" at all)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.app.test_auth import _as
from tests.app.test_exposure import _upload

pytestmark = pytest.mark.db


def _said(flask_client: Any, name: str, data: bytes) -> str:
    answered = _upload(flask_client, name, data)
    assert answered.status_code == 200, answered.status_code
    return json.dumps(answered.get_json()["response"], ensure_ascii=False)


def test_refusals_are_vietnamese_accurate_and_without_flags(flask_client: Any) -> None:
    _as(flask_client, "quantri")
    legacy = _said(flask_client, "xa_cu.csv", "Tên,Loa\nNhà văn hóa,Có\n".encode("cp1258"))
    assert "xa_cu.csv: Tệp không phải mã UTF-8" in legacy and "--encoding" not in legacy
    numbered = _said(flask_client, "abc.csv", b"a,b,c\n1,2,3\n")
    assert "số hoặc chữ cái đánh thứ tự cột" in numbered and "no data rows" not in numbered
    header_only = _said(flask_client, "tieu_de.csv", b"a,b,c\n")
    assert "chỉ có dòng tiêu đề" in header_only and "/uploads/" not in header_only
