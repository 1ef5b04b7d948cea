"""Users, passwords, sessions and the server-side role and scope checks (no browser)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Connection, text

from app.auth import UserError, add_user, authenticate, update_user, wait_after_failures
from app.pages.admin_upload import PREVIEW_OUTPUTS
from tests.app.conftest import csrf_of, form_login, session_as

pytestmark = pytest.mark.db


def test_passwords_are_hashed_and_checked(db_conn: Connection) -> None:
    add_user(db_conn, "lan", "mat-khau-dai", role="planner", scope_codes=["11"])
    stored = db_conn.execute(text("SELECT password_hash FROM app_user WHERE name = 'lan'")).scalar_one()
    assert stored.startswith("scrypt:") and "mat-khau-dai" not in stored
    assert authenticate(db_conn, "lan", "mat-khau-dai").user.role == "planner"  # type: ignore[union-attr]
    assert authenticate(db_conn, "lan", "sai").user is None
    assert authenticate(db_conn, "nobody", "mat-khau-dai").user is None


def test_five_failures_make_the_name_wait(db_conn: Connection) -> None:
    add_user(db_conn, "hoa", "mat-khau-dai", role="budget")
    for _ in range(5):
        assert authenticate(db_conn, "hoa", "sai").user is None
    refused = authenticate(db_conn, "hoa", "mat-khau-dai")
    assert refused.user is None and 1 <= refused.wait_s <= 15  # even the right password waits
    later = datetime.now(UTC) + timedelta(seconds=16)
    assert authenticate(db_conn, "hoa", "mat-khau-dai", now=later).user is not None
    assert db_conn.execute(text("SELECT failed_logins FROM app_user WHERE name = 'hoa'")).scalar_one() == 0
    assert [wait_after_failures(n) for n in (4, 5, 6, 20)] == [0, 15, 30, 900]


def test_users_are_checked_and_audited(db_conn: Connection) -> None:
    with pytest.raises(UserError, match="inspector needs a scope"):
        add_user(db_conn, "an", "mat-khau-dai", role="inspector")
    with pytest.raises(UserError, match="role 'boss'"):
        add_user(db_conn, "an", "mat-khau-dai", role="boss")
    add_user(db_conn, "an", "mat-khau-dai", role="inspector", scope_codes=["03160"], actor="quantri")
    with pytest.raises(UserError, match="exists already"):
        add_user(db_conn, "an", "mat-khau-dai", role="planner")
    update_user(db_conn, "an", active=False, actor="quantri")
    assert authenticate(db_conn, "an", "mat-khau-dai").user is None
    audit = db_conn.execute(text("""SELECT "user", action, after FROM audit_log
                                 WHERE entity = 'app_user' AND entity_id = 'an' ORDER BY id""")).all()
    assert [(a[0], a[1]) for a in audit] == [("quantri", "insert"), ("quantri", "update"), ("login", "update")]
    assert "password_hash" not in audit[0][2]


def _as(client: Any, name: str) -> None:
    session_as(client, name)


def _output(name: str) -> tuple[str, str]:
    """("component", "property") of a "component.property" name."""
    component, prop = name.split(".")
    return component, prop


def _dash(client: Any, outputs: list[tuple[str, str]], inputs: list[tuple[str, str, Any]],
          state: list[tuple[str, str, Any]] = (), changed: str | None = None,  # type: ignore[assignment]
          **request: Any) -> Any:
    """POST a callback the way the browser does; the output key is looked up in the app's callback map."""
    wanted = [f"{i}.{p}" for i, p in outputs]
    key = next(k for k in client.dash_app.callback_map
               if [part.split("@")[0] for part in k.strip(".").split("...")] == wanted)
    listed = [{"id": i, "property": p} for i, p in outputs]
    payload = {
        "output": key, "outputs": listed if len(outputs) > 1 else listed[0],
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
        "changedPropIds": [changed or f"{inputs[0][0]}.{inputs[0][1]}"],
    }
    return client.post("/_dash-update-component", json=payload, **request)


def test_session_cookie_is_httponly_and_lax(flask_client: Any) -> None:
    response = form_login(flask_client, "quyhoach", "quyhoach-demo")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires" not in cookie and "Max-Age" not in cookie  # ends with the browser
    assert flask_client.get("/").status_code == 200
    _log_out(flask_client)
    assert flask_client.get("/").status_code == 302


def _log_out(client: Any) -> None:
    token = csrf_of(client.get("/login").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


@pytest.mark.parametrize("name,home", [("kiemtra", "/kiem-tra"), ("taichinh", "/xuat-bao-cao"), ("quyhoach", "/")])
def test_each_role_lands_where_its_work_starts_unless_a_page_was_asked(flask_client: Any, name: str,
                                                                       home: str) -> None:
    landed = form_login(flask_client, name, f"{name}-demo")
    assert landed.status_code == 302 and urlsplit(landed.headers["Location"]).path == home
    _log_out(flask_client)
    asked = form_login(flask_client, name, f"{name}-demo", next_path="/phan-anh")
    assert urlsplit(asked.headers["Location"]).path == "/phan-anh"


def test_nothing_without_a_login(flask_client: Any) -> None:
    assert flask_client.get("/kiem-tra").headers["Location"].startswith("/login?next=/kiem-tra")
    assert _dash(flask_client, [("map-panel", "children"), ("map-main", "viewport")],
                 [("map-selected", "data", "03160")]).status_code == 401
    assert flask_client.get("/login").status_code == 200


def test_inspector_is_refused_a_commune_outside_their_scope(flask_client: Any) -> None:
    _as(flask_client, "kiemtra")  # scope: 03160, 03162
    outputs = [("map-panel", "children"), ("map-main", "viewport")]
    assert _dash(flask_client, outputs, [("map-selected", "data", "03160")]).status_code == 200
    refused = _dash(flask_client, outputs, [("map-selected", "data", "03127")])
    assert refused.status_code == 403 and "03127" in refused.get_json()["detail"]


def test_saving_an_inspection_checks_role_and_scope(flask_client: Any, demo_database: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(demo_database)
    with engine.connect() as conn:
        outside = conn.execute(text("SELECT id FROM facility WHERE commune_code = '03127' LIMIT 1")).scalar_one()
        inside = conn.execute(text("SELECT id FROM facility WHERE commune_code = '03160' LIMIT 1")).scalar_one()
        before = conn.execute(text("SELECT count(*) FROM inspection")).scalar_one()
    outputs = [("insp-result", "children"), ("insp-saved-count", "data"), ("insp-selected", "data"),
               ("insp-form-error", "children"), ("insp-pending", "data"), ("insp-poll", "disabled"),
               ("insp-poll", "max_intervals"), ("insp-confirm", "is_open"), ("insp-last-saved", "data")]
    save = [("insp-save", "n_clicks", 1), ("insp-confirm-yes", "n_clicks", None), ("insp-confirm-no", "n_clicks", None)]
    state = lambda fid: [("insp-selected", "data", fid), ("insp-status", "value", "degraded"),  # noqa: E731
                         ("insp-note", "value", "thử"), ("insp-photo-data", "data", None),
                         ("insp-location", "data", None), ("insp-submission", "data", None),
                         ("insp-saved-count", "data", 0), ("insp-visited", "value", None)]
    _as(flask_client, "kiemtra")
    assert _dash(flask_client, outputs, save, state(outside)).status_code == 403
    _as(flask_client, "taichinh")  # a budget officer never edits facilities
    assert _dash(flask_client, outputs, save, state(inside)).status_code == 403
    _as(flask_client, "quyhoach")
    assert _dash(flask_client, outputs, save, state(inside)).status_code == 403
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM inspection")).scalar_one() == before
    engine.dispose()


def test_downloads_and_admin_callbacks_check_the_role(flask_client: Any) -> None:
    assert flask_client.get("/download/gaps.csv").status_code == 401
    _as(flask_client, "kiemtra")  # an inspector does not export
    assert flask_client.get("/download/report.xlsx?province=11").status_code == 403
    _as(flask_client, "taichinh")
    csv = flask_client.get("/download/gaps.csv?province=11")
    assert csv.status_code == 200 and "Mường Nhé" in csv.get_data(as_text=True)
    upload = [_output(name) for name in PREVIEW_OUTPUTS]
    state = [("admin-upload", "filename", "x.csv"), ("admin-kind", "value", "facilities"),
             ("admin-encoding", "value", ""), ("admin-upload-token", "data", None)]
    for name in ("taichinh", "quyhoach", "kiemtra"):  # only an admin uploads
        _as(flask_client, name)
        assert _dash(flask_client, upload, [("admin-upload", "contents", "data:text/csv;base64,YQ==")],
                     state).status_code == 403
    users = [("admin-user-message", "children"), ("admin-users", "children"), ("admin-user-name", "value"),
             ("admin-user-password", "value"), ("admin-user-scope", "value")]
    _as(flask_client, "quyhoach")  # only an admin manages users
    assert _dash(flask_client, users, [("admin-user-add", "n_clicks", 1),
                                       ("admin-user-confirm-lock", "submit_n_clicks", None),
                                       ("admin-user-activate", "n_clicks", None)],
                 [("admin-user-name", "value", "x"), ("admin-user-password", "value", "mat-khau-dai"),
                  ("admin-user-role", "value", "admin"), ("admin-user-scope", "value", ""),
                  ("admin-user-toggle-name", "value", None)]).status_code == 403


def test_periodic_report_download_checks_the_province_scope(flask_client: Any, demo_database: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(demo_database)
    with engine.begin() as conn:
        period = conn.execute(text("SELECT period FROM coverage_snapshot ORDER BY period LIMIT 1")).scalar_one()
        for name, scope in (("quyhoach12", ["12"]), ("quyhoach11", ["11"]), ("quyhoachxa", ["03160"])):
            if conn.execute(text("SELECT 1 FROM app_user WHERE name = :n"), {"n": name}).first() is None:
                add_user(conn, name, "mat-khau-dai", role="planner", scope_codes=scope)
    engine.dispose()
    url = f"/download/periodic/11/{period}"
    _as(flask_client, "kiemtra")  # an inspector does not export
    assert flask_client.get(f"{url}.xlsx").status_code == 403
    for name in ("quyhoach12", "quyhoachxa"):  # another province; a commune scope is not the whole province
        _as(flask_client, name)
        refused = flask_client.get(f"{url}.pdf")
        assert refused.status_code == 403 and "outside your scope" in refused.get_json()["detail"]
    _as(flask_client, "quyhoach11")
    xlsx = flask_client.get(f"{url}.xlsx")
    assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")
    assert f"phusong_bao_cao_dinh_ky_11_{period}.xlsx" in xlsx.headers["Content-Disposition"]
    assert flask_client.get("/download/periodic/11/2019-Q1.xlsx").status_code == 404  # no snapshot of that period
    assert flask_client.get(f"{url}.docx").status_code == 404
