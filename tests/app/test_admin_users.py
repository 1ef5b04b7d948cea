"""The administrator's users tab on the server (issue 21): the role/scope editor refuses codes that are not loaded
units, and a role or scope change ends the user's sessions; the add form refuses unknown codes as well."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

from app.auth import add_user
from tests.app.conftest import session_as
from tests.app.test_auth import _as, _dash

pytestmark = pytest.mark.db

PASSWORD = "mat-khau-dai"
EDIT_OUTPUTS = [("admin-edit-message", "children"), ("admin-users", "children")]
USER_OUTPUTS = [("admin-user-message", "children"), ("admin-users", "children"), ("admin-user-name", "value"),
                ("admin-user-password", "value"), ("admin-user-scope", "value")]


def _sql(query: str, **binds: Any) -> Any:
    from sql.engine import connect

    with connect() as conn:
        return conn.execute(text(query), binds).all()


def _new_user(role: str = "inspector", scope: tuple[str, ...] = ("03160",)) -> str:
    from sql.engine import connect

    name = f"t-edit-{uuid.uuid4().hex[:8]}"
    with connect() as conn:
        add_user(conn, name, PASSWORD, role=role, scope_codes=scope, actor="test")
    return name


def _edit(client: Any, name: str, role: str, scope: list[str]) -> dict[str, Any]:
    answered = _dash(client, EDIT_OUTPUTS, [("admin-edit-save", "n_clicks", 1)],
                     [("admin-edit-user", "value", name), ("admin-edit-role", "value", role),
                      ("admin-edit-scope", "value", scope)])
    assert answered.status_code == 200, answered.get_data(as_text=True)
    return dict(answered.get_json()["response"]["admin-edit-message"]["children"]["props"])


def test_an_unknown_scope_code_is_refused_in_vietnamese(flask_client: Any) -> None:
    name = _new_user()
    _as(flask_client, "quantri")
    said = _edit(flask_client, name, "inspector", ["03160", "99999", "<script>"])
    assert said["color"] == "danger" and "99999" in said["children"] and "dữ liệu đã nạp" in said["children"]
    assert _sql("SELECT scope_codes FROM app_user WHERE name = :n", n=name) == [(["03160"],)]
    added = f"t-add-{uuid.uuid4().hex[:8]}"  # the add form checks the codes the same way
    answer = _dash(flask_client, USER_OUTPUTS,
                   [("admin-user-add", "n_clicks", 1), ("admin-user-confirm-lock", "submit_n_clicks", None),
                    ("admin-user-activate", "n_clicks", None)],
                   [("admin-user-name", "value", added), ("admin-user-password", "value", PASSWORD),
                    ("admin-user-role", "value", "inspector"), ("admin-user-scope", "value", ["77"]),
                    ("admin-user-toggle-name", "value", None)]).get_json()["response"]
    assert answer["admin-user-message"]["children"]["props"]["color"] == "danger"
    assert _sql("SELECT 1 FROM app_user WHERE name = :n", n=added) == []


def test_a_role_or_scope_change_ends_the_sessions_and_is_audited(flask_client: Any) -> None:
    name = _new_user()
    user_client = flask_client.application.test_client()
    session_as(user_client, name)
    assert user_client.get("/kiem-tra").status_code == 200
    _as(flask_client, "quantri")
    said = _edit(flask_client, name, "inspector", ["03160", "03162"])
    assert said["color"] == "success", said
    assert _sql("SELECT scope_codes FROM app_user WHERE name = :n", n=name) == [(["03160", "03162"],)]
    assert user_client.get("/kiem-tra").status_code == 302  # sent to /login: the session ended
    assert _sql("SELECT count(*) FROM sessions WHERE user_name = :n", n=name) == [(0,)]
    audit = _sql("SELECT \"user\", action, before->'scope_codes', after->'scope_codes' FROM audit_log "
                 "WHERE entity = 'app_user' AND entity_id = :n AND action = 'update'", n=name)
    assert audit == [("quantri", "update", ["03160"], ["03160", "03162"])]
    session_as(user_client, name)  # the same role and scope again: nothing written, the session lives on
    assert _edit(flask_client, name, "inspector", ["03162", "03160"])["color"] == "secondary"
    assert user_client.get("/kiem-tra").status_code == 200
    assert _edit(flask_client, name, "planner", ["11"])["color"] == "success"  # a province, by its code
    assert user_client.get("/kiem-tra").status_code == 302
    assert _sql("SELECT role, scope_codes FROM app_user WHERE name = :n", n=name) == [("planner", ["11"])]


def test_the_editor_is_filled_from_the_user_and_refused_to_a_planner(flask_client: Any) -> None:
    name = _new_user(scope=("03162",))
    _as(flask_client, "quantri")
    filled = _dash(flask_client, [("admin-edit-role", "value"), ("admin-edit-scope", "value")],
                   [("admin-edit-user", "value", name)]).get_json()["response"]
    assert filled == {"admin-edit-role": {"value": "inspector"}, "admin-edit-scope": {"value": ["03162"]}}
    _as(flask_client, "quyhoach")
    refused = _dash(flask_client, EDIT_OUTPUTS, [("admin-edit-save", "n_clicks", 1)],
                    [("admin-edit-user", "value", name), ("admin-edit-role", "value", "admin"),
                     ("admin-edit-scope", "value", [])])
    assert refused.status_code == 403
    assert _sql("SELECT role FROM app_user WHERE name = :n", n=name) == [("inspector",)]


# ------------------------------------------------------------------------------------ password reset (step 2)

RESET_OUTPUTS = [("admin-reset-message", "children"), ("admin-users", "children")]


def _reset(client: Any, name: str) -> Any:
    return _dash(client, RESET_OUTPUTS, [("admin-reset-confirm", "submit_n_clicks", 1)],
                 [("admin-edit-user", "value", name)])


def _temporary(answered: Any) -> str:
    alert = answered.get_json()["response"]["admin-reset-message"]["children"]["props"]["children"]
    return str(next(part["props"]["children"] for part in alert if part["props"].get("id") == "admin-reset-password"))


def test_a_reset_password_must_be_changed_before_anything_else(flask_client: Any) -> None:
    from tests.app.conftest import csrf_of, form_login

    name = _new_user()
    user_client = flask_client.application.test_client()
    user_client.dash_app = flask_client.dash_app
    session_as(user_client, name)
    _as(flask_client, "quyhoach")
    assert _reset(flask_client, name).status_code == 403  # only an admin resets
    _as(flask_client, "quantri")
    temporary = _temporary(_reset(flask_client, name))
    assert len(temporary) >= 12 and temporary not in str(_sql("SELECT * FROM app_user WHERE name = :n", n=name))
    assert user_client.get("/kiem-tra").status_code == 302  # the old session ended with the reset
    assert _sql("SELECT must_change_password FROM app_user WHERE name = :n", n=name) == [(True,)]
    assert ("quantri", "password_reset") in _sql('SELECT "user", action FROM audit_log WHERE entity_id = :n', n=name)
    assert form_login(user_client, name, PASSWORD).status_code == 401  # the old password stopped working

    landed = form_login(user_client, name, temporary)
    assert landed.status_code == 302 and landed.headers["Location"].startswith("/doi-mat-khau?next=/kiem-tra")
    # Until changed: every page leads to the form, every callback and download is refused.
    assert user_client.get("/kiem-tra").headers["Location"].startswith("/doi-mat-khau")
    search = _dash(user_client, [("map-search-hits", "children")], [("map-search", "value", "muong")])
    assert search.status_code == 403
    assert user_client.get("/download/kobo-form.xlsx").status_code == 403
    form = user_client.get("/doi-mat-khau?next=/kiem-tra").get_data(as_text=True)
    assert "đặt lại mật khẩu" in form and 'id="password-form"' in form

    def change(current: str, new: str, again: str) -> Any:
        return user_client.post("/doi-mat-khau?next=/kiem-tra", data={
            "csrf_token": csrf_of(form), "password": current, "new_password": new, "new_password_again": again})

    assert "không đúng" in change("sai-mat-khau", "mat-khau-moi-1", "mat-khau-moi-1").get_data(as_text=True)
    assert "không giống" in change(temporary, "mat-khau-moi-1", "mat-khau-moi-2").get_data(as_text=True)
    assert change(temporary, "ngan", "ngan").status_code == 400
    done = change(temporary, "mat-khau-moi-1", "mat-khau-moi-1")
    assert done.status_code == 302 and done.headers["Location"] == "/kiem-tra"
    assert user_client.get("/kiem-tra").status_code == 200  # the new session works at once
    assert _dash(user_client, [("map-search-hits", "children")], [("map-search", "value", "muong")]).status_code == 200
    assert _sql("SELECT must_change_password FROM app_user WHERE name = :n", n=name) == [(False,)]
    assert (name, "password_changed") in _sql('SELECT "user", action FROM audit_log WHERE entity_id = :n', n=name)


# ------------------------------------------------------------------------------------ lock by typed name (step 3)

LOCK_ASK = [("admin-user-confirm-lock", "message"), ("admin-user-confirm-lock", "displayed")]


def _lock(client: Any, typed: str) -> dict[str, Any]:
    answered = _dash(client, USER_OUTPUTS,
                     [("admin-user-add", "n_clicks", None), ("admin-user-confirm-lock", "submit_n_clicks", 1),
                      ("admin-user-activate", "n_clicks", None)],
                     [("admin-user-name", "value", None), ("admin-user-password", "value", None),
                      ("admin-user-role", "value", "inspector"), ("admin-user-scope", "value", []),
                      ("admin-user-toggle-name", "value", typed)],
                     changed="admin-user-confirm-lock.submit_n_clicks")
    assert answered.status_code == 200, answered.get_data(as_text=True)
    return dict(answered.get_json()["response"]["admin-user-message"]["children"]["props"])


def test_lock_finds_the_typed_name_as_names_are_compared(flask_client: Any) -> None:
    """The name typed to lock someone is compared as user names are: NFC and without case ("KHOA.HÀ" typed with
    a combining accent is Khoa.Hà); the dialog names the account found, and the admin's own name in other case
    is still refused."""
    import unicodedata

    from sql.engine import connect

    name = f"Khoa.Hà-{uuid.uuid4().hex[:6]}"
    with connect() as conn:
        add_user(conn, name, PASSWORD, role="planner", actor="test")
    typed = unicodedata.normalize("NFD", name.upper())
    user_client = flask_client.application.test_client()
    session_as(user_client, name)
    assert user_client.get("/").status_code == 200
    _as(flask_client, "quantri")
    asked = _dash(flask_client, LOCK_ASK, [("admin-user-deactivate", "n_clicks", 1)],
                  [("admin-user-toggle-name", "value", f"  {typed} ")]).get_json()["response"]
    assert asked["admin-user-confirm-lock"]["displayed"] is True
    assert name in asked["admin-user-confirm-lock"]["message"]
    said = _lock(flask_client, typed)
    assert said["color"] == "success" and name in said["children"], said
    assert _sql("SELECT active FROM app_user WHERE name = :n", n=name) == [(False,)]
    assert user_client.get("/").status_code == 302  # their session ended with the lock
    audit = _sql("SELECT \"user\", before->'active', after->'active' FROM audit_log "
                 "WHERE entity = 'app_user' AND entity_id = :n AND action = 'update'", n=name)
    assert audit == [("quantri", True, False)]
    own = _lock(flask_client, "QUANTRI")
    assert own["color"] == "danger" and "tự khóa" in own["children"]
    assert _sql("SELECT active FROM app_user WHERE name = 'quantri'") == [(True,)]
    unknown = _dash(flask_client, LOCK_ASK, [("admin-user-deactivate", "n_clicks", 1)],
                    [("admin-user-toggle-name", "value", "khong-co-ai")]).get_json()["response"]
    assert "Không có người dùng tên 'khong-co-ai'" in unknown["admin-user-confirm-lock"]["message"]
