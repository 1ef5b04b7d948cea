"""User names for non-developers (issue 21): one Unicode form (NFC) for names and passwords, and a name that
differs from another only by case is the same person, refused as a second user."""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Connection

from app.auth import UserError, add_user, authenticate
from etl.feedback import VN_TZ

pytestmark = pytest.mark.db


def test_a_name_differing_only_by_case_is_taken(db_conn: Connection) -> None:
    add_user(db_conn, "KiemTra.An", "mat-khau-dai", role="inspector", scope_codes=["11"])
    with pytest.raises(UserError, match="exists already"):
        add_user(db_conn, "kiemtra.an", "mat-khau-khac", role="planner")


def test_names_and_passwords_are_nfc_normalised(db_conn: Connection) -> None:
    decomposed_name = unicodedata.normalize("NFD", "Hà.Giang")
    decomposed_password = unicodedata.normalize("NFD", "mật-khẩu-dài")
    user = add_user(db_conn, decomposed_name, decomposed_password, role="planner")
    assert user.name == "Hà.Giang" and user.name != decomposed_name
    logged = authenticate(db_conn, "Hà.Giang", "mật-khẩu-dài", address="127.0.0.1").user  # typed composed
    assert logged is not None and logged.name == "Hà.Giang"
    with pytest.raises(UserError, match="exists already"):
        add_user(db_conn, "hà.giang", "mat-khau-dai", role="planner")


def test_the_users_table_shows_the_last_login(flask_client: Any) -> None:
    """The admin sees when each user last logged in ('chưa đăng nhập' for someone who never did)."""
    from app.pages.admin_users import users_table
    from tests.app.conftest import form_login

    assert form_login(flask_client, "kiemtra", "kiemtra-demo").status_code == 302
    with flask_client.dash_app.server.test_request_context("/quan-tri"):
        shown = str(users_table())
    today = datetime.now(VN_TZ).strftime("%d/%m/%Y")
    kiemtra = shown.split("kiemtra", 1)[1].split("Tr(", 1)[0]
    assert today in kiemtra, kiemtra


def test_the_admin_page_refuses_in_vietnamese_without_flags(flask_client: Any) -> None:
    """An inspector without a scope, added on the page: a Vietnamese sentence, not the CLI's '--scope' advice."""
    from tests.app.test_auth import _as, _dash

    _as(flask_client, "quantri")
    answered = _dash(flask_client, [("admin-user-message", "children"), ("admin-users", "children"),
                                    ("admin-user-name", "value"), ("admin-user-password", "value"),
                                    ("admin-user-scope", "value")],
                     [("admin-user-add", "n_clicks", 1), ("admin-user-confirm-lock", "submit_n_clicks", None),
                      ("admin-user-activate", "n_clicks", None)],
                     [("admin-user-name", "value", "kiemtra.moi"), ("admin-user-password", "value", "mat-khau-dai"),
                      ("admin-user-role", "value", "inspector"), ("admin-user-scope", "value", ""),
                      ("admin-user-toggle-name", "value", None)])
    said = json.dumps(answered.get_json(), ensure_ascii=False)
    assert "Cán bộ kiểm tra cần phạm vi" in said and "--scope" not in said
