"""The audit tab on the server (issue 21): filters by Viet Nam day, user and object, pages of 50 rows, and the
XLSX export of the filtered rows (read back with openpyxl), refused to everyone but an administrator."""

from __future__ import annotations

import io
import json
import uuid
from datetime import datetime
from typing import Any

import openpyxl
import pytest
from sqlalchemy import text

from tests.app.test_auth import _as, _dash

pytestmark = pytest.mark.db

OUTPUTS = [("admin-audit", "children"), ("admin-audit-page", "data"), ("admin-audit-pages", "children"),
           ("admin-audit-export", "href"), ("admin-audit-refused", "children")]


@pytest.fixture()
def actor() -> str:
    """A user name of this test alone with 55 download rows today and two rows around one Viet Nam midnight."""
    from sql.engine import connect

    name = f"t-audit-{uuid.uuid4().hex[:8]}"
    with connect() as conn:
        conn.execute(text("""INSERT INTO audit_log ("user", action, entity, entity_id)
                             SELECT :n, 'download', 'download', '/download/gaps.csv?n=' || i
                               FROM generate_series(1, 55) i"""), {"n": name})
        conn.execute(text("""INSERT INTO audit_log (at, "user", action, entity, entity_id, before, after) VALUES
                             ('2020-01-15 23:30+07', :n, 'update', 'facility', '7', '{"status": "working"}',
                              '{"status": "broken"}'),
                             ('2020-01-16 00:30+07', :n, 'update', 'facility', '8', NULL, NULL)"""), {"n": name})
    return name


def _post(client: Any, page: int = 0, clicked: str | None = None, **filters: Any) -> Any:
    """POST the audit tab's callback as the browser does (every input, the changed one named)."""
    inputs = [("admin-tabs", "active_tab", "admin-tab-audit")] + [
        (f"admin-audit-{key.replace('_', '-')}", "value", filters.get(key))
        for key in ("since", "until", "user", "entity", "entity_id")] + [
        ("admin-audit-prev", "n_clicks", None), ("admin-audit-next", "n_clicks", 1 if clicked else None)]
    return _dash(client, OUTPUTS, inputs, [("admin-audit-page", "data", page)],
                 changed=f"admin-audit-{clicked}.n_clicks" if clicked else "admin-audit-user.value")


def _show(client: Any, page: int = 0, clicked: str | None = None, **filters: Any) -> dict[str, Any]:
    answered = _post(client, page, clicked, **filters)
    assert answered.status_code == 200, answered.get_data(as_text=True)[:500]
    return dict(answered.get_json()["response"])


def _rows(answer: dict[str, Any]) -> int:
    table = answer["admin-audit"]["children"]["props"]["children"]
    return len(table[1]["props"]["children"])


def test_filters_and_pages_of_fifty(flask_client: Any, actor: str) -> None:
    _as(flask_client, "quantri")
    first = _show(flask_client, user=actor.upper())  # the user's name in any case
    assert _rows(first) == 50 and first["admin-audit-pages"]["children"] == "Trang 1/2 · 57 dòng"
    assert first["admin-audit-export"]["href"] == f"/download/audit.xlsx?user={actor.upper()}"
    second = _show(flask_client, page=0, clicked="next", user=actor)
    assert _rows(second) == 7 and second["admin-audit-page"]["data"] == 1
    assert _rows(_show(flask_client, page=1, clicked="next", user=actor)) == 7  # past the end: the last page
    one = _show(flask_client, user=actor, entity="download", entity_id="/download/gaps.csv?n=3")
    assert _rows(one) == 1 and "Tải xuống" in json.dumps(one, ensure_ascii=False)
    day = _show(flask_client, user=actor, since="2020-01-15", until="2020-01-15")  # 23:30 in, 00:30 next day out
    shown = json.dumps(day, ensure_ascii=False)
    assert _rows(day) == 1 and "status: working → broken" in shown and "Thiết chế 7" in shown
    refused = _show(flask_client, since="2020-02-01", until="2020-01-01")["admin-audit-refused"]["children"]
    assert "Ngày kết thúc" in refused["props"]["children"]
    _as(flask_client, "quyhoach")
    assert _post(flask_client, user=actor).status_code == 403


def test_the_export_holds_the_filtered_rows_for_an_admin_only(flask_client: Any, actor: str) -> None:
    url = f"/download/audit.xlsx?user={actor}&since=2020-01-01&until=2020-01-31"
    assert flask_client.get(url).status_code == 401
    _as(flask_client, "quyhoach")
    assert flask_client.get(url).status_code == 403
    _as(flask_client, "quantri")
    answered = flask_client.get(url)
    assert answered.status_code == 200 and "phusong_nhat_ky_" in answered.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(answered.data))
    sheet = book["Nhật ký thay đổi"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Thời điểm", "Người thực hiện", "Thao tác", "Loại đối tượng", "Mã đối tượng", "Thay đổi",
                       "Địa chỉ máy")
    assert len(rows) == 3  # the two January 2020 rows, newest first
    assert rows[1][0] == datetime(2020, 1, 16, 0, 30) and rows[2][0] == datetime(2020, 1, 15, 23, 30)  # VN time
    assert sheet["A2"].number_format == "dd/mm/yyyy hh:mm"
    assert rows[2][1:6] == (actor, "Sửa", "Thiết chế", "7", "status: working → broken")
    parameters = dict(book["Tham số"].iter_rows(min_row=2, values_only=True))
    assert parameters["Người thực hiện"] == actor and parameters["Từ ngày"] == datetime(2020, 1, 1)
    assert parameters["Số dòng"] == 2 and parameters["Số liệu tính đến"] == datetime(2020, 1, 16, 0, 30)
    assert flask_client.get("/download/audit.xlsx?since=2020-13-01").status_code == 400
