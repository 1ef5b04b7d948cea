"""Issue 14, the authentication half, tried as an attacker would: forged cookies, replayed sessions, cross-site
requests, lock-outs by strangers, tampering with the audit log, and one click that locks the admins out.

Every test drives the real Flask server (its test client, or `phusong` as a subprocess) against the real
PostgreSQL of the suite; each fails on the code before issue 14 (the report of the branch says how).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import flask
import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import DBAPIError

from app.auth import UserError, add_user, update_user
from app.pages.admin_upload import PREVIEW_OUTPUTS
from sql import cluster
from sql.errors import SettingsError
from sql.migrate import migrate
from sql.settings import APP_ROLE, PROJECT_ROOT, Settings, get_settings, secret_key_of, to_psycopg2_url
from tests.app.conftest import csrf_of, form_login, session_as
from tests.app.test_auth import _dash, _output

pytestmark = pytest.mark.db

OLD_CONSTANT_KEY = "phusong-dev-secret-change-me"  # sql/settings.py's default before issue 14
PASSWORD = "mat-khau-dai"
# The user-management callback's outputs (the add form is emptied after adding: name, password, scope).
USER_OUTPUTS = [("admin-user-message", "children"), ("admin-users", "children"), ("admin-user-name", "value"),
                ("admin-user-password", "value"), ("admin-user-scope", "value")]
COOKIE = "phusong_session"
MAP_OUTPUTS = [("map-panel", "children"), ("map-main", "viewport")]


def _new_user(role: str = "planner", scope: tuple[str, ...] = ()) -> str:
    """A user of this test alone in the demo database (committed: the served app reads it)."""
    from sql.engine import connect

    name = f"t-{role[:4]}-{uuid.uuid4().hex[:8]}"
    with connect() as conn:
        add_user(conn, name, PASSWORD, role=role, scope_codes=scope, actor="test")
    return name


def _cookie(client: Any) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return str(cookie.value)


def _replayed(client: Any, cookie: str) -> Any:
    """What a thief who copied ``cookie`` gets: a fresh browser carrying only that cookie asks for a download."""
    thief = client.application.test_client()
    thief.set_cookie(COOKIE, cookie)
    return thief.get("/download/gaps.csv?province=11")


def _sql(query: str, **binds: Any) -> Any:
    from sql.engine import connect

    with connect() as conn:
        return conn.execute(text(query), binds).all()


# ------------------------------------------------------------------------------------------ 1. the secret key

def test_a_cookie_forged_with_the_old_constant_key_is_refused(flask_client: Any) -> None:
    forger = flask.Flask("forger")
    forger.secret_key = OLD_CONSTANT_KEY
    serializer = forger.session_interface.get_signing_serializer(forger)  # type: ignore[attr-defined]
    for forged in ({"user": "quantri"}, {"user": "quantri", "sid": "guessed"}):
        flask_client.set_cookie(COOKIE, serializer.dumps(forged))
        assert flask_client.get("/download/gaps.csv?province=11").status_code == 401
        page = flask_client.get("/quan-tri")
        assert page.status_code == 302 and page.headers["Location"].startswith("/login")


def test_each_install_makes_its_own_private_key_once_and_a_given_key_wins(tmp_path: Path) -> None:
    first, second = Settings(out_dir=tmp_path / "a"), Settings(out_dir=tmp_path / "b")
    key = secret_key_of(first)
    stored = tmp_path / "a" / "secret_key"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert len(key.encode()) >= 32 and key != OLD_CONSTANT_KEY
    assert secret_key_of(first) == key  # reused at the next start
    assert secret_key_of(second) != key  # another install, another key
    given = "k" * 40
    assert secret_key_of(Settings(out_dir=tmp_path / "c", secret_key=given)) == given
    assert not (tmp_path / "c").exists()
    with pytest.raises(SettingsError, match="at least 32 bytes"):
        secret_key_of(Settings(out_dir=tmp_path / "d", secret_key="short-key"))


def test_serve_refuses_a_short_key_in_one_sentence(tmp_path: Path) -> None:
    env = {**os.environ, "PHUSONG_SECRET_KEY": "only-20-bytes-long..", "PHUSONG_OUT_DIR": str(tmp_path),
           "PHUSONG_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "PHUSONG_PORT": "1"}
    done = subprocess.run([sys.executable, "-m", "app.cli", "serve"], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "PHUSONG_SECRET_KEY is too short" in done.stderr


# ------------------------------------------------------------------------------------------ 2. sessions

def test_a_cookie_copied_before_logout_is_refused_after_it(flask_client: Any) -> None:
    name = _new_user()
    assert form_login(flask_client, name, PASSWORD).status_code == 302
    stolen = _cookie(flask_client)
    assert _replayed(flask_client, stolen).status_code == 200  # the thief's copy works while the user is in
    token = csrf_of(flask_client.get("/login").get_data(as_text=True))
    assert flask_client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert _replayed(flask_client, stolen).status_code == 401


@pytest.mark.parametrize("change", ["password", "deactivate", "role", "scope"])
def test_changing_a_user_ends_their_sessions(flask_client: Any, change: str) -> None:
    from sql.engine import connect

    name = _new_user("planner", ("11",))
    form_login(flask_client, name, PASSWORD)
    stolen = _cookie(flask_client)
    assert _replayed(flask_client, stolen).status_code == 200
    with connect() as conn:
        update_user(conn, name, actor="quantri", **{
            "password": {"password": "mat-khau-moi"}, "deactivate": {"active": False},
            "role": {"role": "budget"}, "scope": {"scope_codes": ["12"]}}[change])
        if change == "deactivate":  # and back: the old cookie must not come back to life with the account
            update_user(conn, name, active=True, actor="quantri")
    assert _replayed(flask_client, stolen).status_code == 401
    assert flask_client.get("/").status_code == 302


def test_users_set_disable_and_users_sessions_end_end_every_session(flask_client: Any, demo_database: str) -> None:
    name = _new_user()
    browsers = [flask_client.application.test_client() for _ in range(2)]
    for number, browser in enumerate(browsers):
        form_login(browser, name, PASSWORD, headers={"User-Agent": f"Browser-{number}"})
    env = {**os.environ, "PHUSONG_DATABASE_URL": demo_database}

    def phusong(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "app.cli", "users", *args], env=env, cwd=PROJECT_ROOT,
                              capture_output=True, text=True, timeout=120)

    listed = phusong("sessions", name)
    assert listed.returncode == 0, listed.stderr
    assert f"{name}: 2 live session(s)" in listed.stdout
    assert "Browser-0" in listed.stdout and "Browser-1" in listed.stdout and "127.0.0.1" in listed.stdout
    ended = phusong("sessions", name, "--end")
    assert ended.returncode == 0 and f"{name}: 2 session(s) ended" in ended.stdout
    assert all(b.get("/download/gaps.csv?province=11").status_code == 401 for b in browsers)
    assert "0 live session(s)" in phusong("sessions", name).stdout
    form_login(browsers[0], name, PASSWORD)
    assert phusong("set", name, "--disable").returncode == 0
    assert browsers[0].get("/download/gaps.csv?province=11").status_code == 401
    unknown = phusong("sessions", "no-such-user")
    assert unknown.returncode == 1 and unknown.stderr.strip() == "phusong: no user named 'no-such-user'"


def test_sessions_end_after_8_hours_idle_and_24_hours_in_all(flask_client: Any) -> None:
    name = _new_user()
    form_login(flask_client, name, PASSWORD)
    stolen = _cookie(flask_client)
    (lifetime,) = _sql("SELECT expires_at - created_at FROM sessions WHERE user_name = :n", n=name)[0]
    assert lifetime.total_seconds() == 24 * 3600
    _sql("UPDATE sessions SET last_seen_at = now() - interval '8 hours 1 minute' WHERE user_name = :n "
         "RETURNING 1", n=name)
    assert _replayed(flask_client, stolen).status_code == 401  # idle for more than 8 h
    form_login(flask_client, name, PASSWORD)
    stolen = _cookie(flask_client)
    _sql("UPDATE sessions SET created_at = now() - interval '24 hours', expires_at = now() - interval '1 second' "
         "WHERE user_name = :n RETURNING 1", n=name)
    assert _replayed(flask_client, stolen).status_code == 401  # used all along, but older than 24 h


def test_the_cookie_is_secure_when_the_public_address_is_https(demo_database: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from app.app import create_app

    monkeypatch.setenv("PHUSONG_DATABASE_URL", demo_database)
    monkeypatch.setenv("PHUSONG_PUBLIC_URL", "https://phusong.example.vn")
    get_settings.cache_clear()
    try:
        client = create_app().server.test_client()
        response = client.get("/login", base_url="https://phusong.example.vn")
        assert response.status_code == 200 and "Secure" in response.headers.get("Set-Cookie", "")
    finally:
        get_settings.cache_clear()
    assert Settings(public_url="http://10.0.0.5:8050").secure_cookies is False
    assert Settings(public_url="http://10.0.0.5:8050", cookie_secure=True).secure_cookies is True


# ------------------------------------------------------------------------------------------ 3. CSRF

def test_a_logout_link_or_image_on_another_page_logs_nobody_out(flask_client: Any) -> None:
    form_login(flask_client, _new_user(), PASSWORD)
    fetched = flask_client.get("/logout")  # <img src="http://phusong/logout"> on any page
    assert fetched.status_code != 302  # (only Dash's page-not-found: the logout route takes POST alone)
    assert flask_client.get("/download/gaps.csv?province=11").status_code == 200
    assert flask_client.post("/logout").status_code == 400  # a form on another site, without the token
    assert flask_client.post("/logout", data={"csrf_token": "guessed"}).status_code == 400
    assert flask_client.get("/download/gaps.csv?province=11").status_code == 200  # still logged in
    # The navbar's logout is a form that posts the token (Dash draws it in the browser from the layout).
    logout = _component(flask_client.get("/_dash-layout").get_json(), lambda p: p.get("action") == "/logout")
    token = _component(logout, lambda p: p.get("name") == "csrf_token")["props"]["value"]
    assert logout["props"]["method"] == "POST"
    assert flask_client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert flask_client.get("/download/gaps.csv?province=11").status_code == 401


def _component(tree: Any, wanted: Callable[[dict[str, Any]], bool]) -> Any:
    """The first component of a Dash layout (JSON) whose props satisfy ``wanted``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict) and wanted(props):
                return node
            stack.extend(node.values())
    raise AssertionError("no such component in the layout")


def test_a_login_forced_from_another_site_is_refused(flask_client: Any) -> None:
    name = _new_user()
    forced = flask_client.post("/login", data={"name": name, "password": PASSWORD})  # no token: login CSRF
    assert forced.status_code == 400 and "hết hạn" in forced.get_data(as_text=True)
    assert flask_client.get("/download/gaps.csv?province=11").status_code == 401
    token = csrf_of(flask_client.get("/login").get_data(as_text=True))
    cross = flask_client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token},
                              headers={"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    assert form_login(flask_client, name, PASSWORD).status_code == 302


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                                     {"Origin": "null"}, {"Sec-Fetch-Site": "same-site"}])
def test_a_callback_posted_from_another_site_is_refused(flask_client: Any, headers: dict[str, str]) -> None:
    session_as(flask_client, "kiemtra")
    refused = _dash(flask_client, MAP_OUTPUTS, [("map-selected", "data", "03160")], headers=headers)
    assert refused.status_code == 403
    own = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    assert _dash(flask_client, MAP_OUTPUTS, [("map-selected", "data", "03160")], headers=own).status_code == 200


# ------------------------------------------------------------------------------------------ 8. lock-out abuse

def test_a_stranger_cannot_lock_a_user_out_from_another_address(flask_client: Any) -> None:
    victim = _new_user("admin")
    attacker = {"REMOTE_ADDR": "203.0.113.66"}
    for _ in range(6):
        assert form_login(flask_client, victim, "doan-mo", environ_base=attacker).status_code == 401
    throttled = form_login(flask_client, victim, PASSWORD, environ_base=attacker)
    assert throttled.status_code == 401 and "thử lại sau" in throttled.get_data(as_text=True)
    office = flask_client.application.test_client()  # the victim's own browser, from their own address
    assert form_login(office, victim, PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 302
    # The attacker's own address is still made to wait: the victim's login cleared only their pair.
    again = form_login(flask_client, victim, PASSWORD, environ_base=attacker)
    assert again.status_code == 401 and "thử lại sau" in again.get_data(as_text=True)


def test_failures_from_many_addresses_raise_one_alarm(flask_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    started = datetime.now(UTC)
    (recent,) = _sql("SELECT count(*) FROM audit_log WHERE action = 'login_failed' "
                     "AND at > now() - interval '15 minutes'")[0]
    monkeypatch.setenv("PHUSONG_LOGIN_ALARM_FAILURES", str(recent + 5))
    get_settings.cache_clear()
    alarms = "SELECT after FROM audit_log WHERE action = 'login_alarm' AND at >= :t"
    for n in range(5):
        assert _sql(alarms, t=started) == []
        form_login(flask_client, "quantri", f"doan-{n}", environ_base={"REMOTE_ADDR": f"198.51.100.{n + 1}"})
    raised = _sql(alarms, t=started)
    assert len(raised) == 1 and raised[0][0]["failures"] >= recent + 5 and raised[0][0]["addresses"] >= 5
    form_login(flask_client, "quantri", "doan-6", environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert len(_sql(alarms, t=started)) == 1  # one alarm per window, not one per failure


# ------------------------------------------------------------------------------------------ 9. audit

def test_logins_logouts_refusals_downloads_and_user_changes_are_audited_with_the_address(flask_client: Any) -> None:
    where = {"REMOTE_ADDR": "192.0.2.44"}
    name = _new_user("budget")
    form_login(flask_client, name, "sai-mat-khau", environ_base=where)
    form_login(flask_client, name, PASSWORD, environ_base=where)
    flask_client.get("/download/gaps.csv?province=11", environ_base=where)
    flask_client.get("/download/gaps.xlsx?province=11", environ_base=where)
    _dash(flask_client, [_output(name) for name in PREVIEW_OUTPUTS],  # 403: only an admin uploads
          [("admin-upload", "contents", "data:text/csv;base64,YQ==")],
          [("admin-upload", "filename", "x.csv"), ("admin-kind", "value", "facilities"),
           ("admin-encoding", "value", ""), ("admin-upload-token", "data", None)], environ_base=where)
    token = csrf_of(flask_client.get("/login", environ_base=where).get_data(as_text=True))
    flask_client.post("/logout", data={"csrf_token": token}, environ_base=where)
    flask_client.get("/download/gaps.csv", environ_base=where)  # 401: nobody
    session_as(flask_client, "quantri")
    added = f"t-new-{uuid.uuid4().hex[:6]}"
    _dash(flask_client, USER_OUTPUTS,
          [("admin-user-add", "n_clicks", 1), ("admin-user-confirm-lock", "submit_n_clicks", None),
           ("admin-user-activate", "n_clicks", None)],
          [("admin-user-name", "value", added), ("admin-user-password", "value", PASSWORD),
           ("admin-user-role", "value", "planner"), ("admin-user-scope", "value", ""),
           ("admin-user-toggle-name", "value", None)], environ_base=where)
    rows = _sql('SELECT "user", action, entity, entity_id, after FROM audit_log WHERE address = :a ORDER BY id',
                a="192.0.2.44")
    seen = [(r[0], r[1]) for r in rows]
    events = [(r[0], r[1]) for r in rows if r[2] != "app_user"]  # app_user rows: the trigger's (failed_logins)
    assert events[:2] == [(name, "login_failed"), (name, "login")]
    assert (name, "download") in seen and (name, "logout") in seen
    assert [r[3] for r in rows if r[1] == "download"] == ["/download/gaps.csv", "/download/gaps.xlsx"]
    refusals = [(r[0], r[4]["status"]) for r in rows if r[1] == "refused"]
    assert refusals == [(name, 403), ("anonymous", 401)]
    assert ("quantri", "insert") in seen and any(r[2] == "app_user" and r[3] == added for r in rows)


def test_the_app_role_may_not_rewrite_the_audit_log_and_owns_nothing(db_conn: Connection) -> None:
    db_conn.execute(text("INSERT INTO audit_log (\"user\", action, entity) VALUES ('t', 'test', 't')"))
    owner = db_conn.execute(text("SELECT current_user")).scalar_one()
    # A table a later migration adds (run by the owner): phusong_app may use it without a GRANT of its own.
    db_conn.execute(text("CREATE TABLE later_migration_table (id bigserial PRIMARY KEY, note text)"))
    db_conn.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
    assert db_conn.execute(text("SELECT count(*) FROM facility")).scalar_one() >= 0
    db_conn.execute(text("INSERT INTO audit_log (\"user\", action, entity) VALUES ('app', 'test', 't')"))
    db_conn.execute(text("INSERT INTO later_migration_table (note) VALUES ('ok')"))
    for attack in ("UPDATE audit_log SET \"user\" = 'someone else'", "DELETE FROM audit_log", "TRUNCATE audit_log",
                   "DROP TABLE facility", "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
                   "CREATE TABLE app_made (id int)"):
        with pytest.raises(DBAPIError, match="permission denied|must be owner"):
            with db_conn.begin_nested():
                db_conn.execute(text(attack))
    db_conn.execute(text("RESET ROLE"))
    assert db_conn.execute(text("SELECT current_user")).scalar_one() == owner
    # Even a role that was given UPDATE and DELETE is stopped by the trigger: only the owner rewrites audit rows.
    tamper = f"audit_tamper_{uuid.uuid4().hex[:6]}"
    db_conn.execute(text(f"CREATE ROLE {tamper}; GRANT UPDATE, DELETE, SELECT ON audit_log TO {tamper}"))
    db_conn.execute(text(f"SET LOCAL ROLE {tamper}"))
    for attack in ("UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="audit_log is append-only"):
            with db_conn.begin_nested():
                db_conn.execute(text(attack))
    db_conn.execute(text("RESET ROLE"))


def test_serve_connects_as_the_app_role_on_the_embedded_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.commands.serve import _as_app_role

    monkeypatch.delenv("PHUSONG_DATABASE_URL", raising=False)
    monkeypatch.setenv("PHUSONG_EMBEDDED_USER", "postgres")  # undone after the test, whatever serve sets
    get_settings.cache_clear()
    try:
        assert "//postgres@" in get_settings().sqlalchemy_url  # the owner migrates ...
        assert f"//{APP_ROLE}@127.0.0.1" in _as_app_role(get_settings()).sqlalchemy_url  # ... the app serves
        assert f"//{APP_ROLE}@" in get_settings().sqlalchemy_url  # every connection of the process
    finally:
        get_settings.cache_clear()
    external = Settings(database_url="postgresql://owner@db.example.vn/phusong")
    assert _as_app_role(external) is external  # another server: its URL says who connects


def test_a_migration_by_a_user_who_may_not_create_roles_warns_in_one_sentence_and_goes_on() -> None:
    """A foreign server where phusong_app does not exist and the migrating user is no superuser."""
    with cluster.throwaway("phusong-test-foreign-pg-") as port:
        admin = create_engine(to_psycopg2_url(f"postgresql://postgres@127.0.0.1:{port}/postgres"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE ROLE owner_only LOGIN"))
            conn.execute(text("CREATE DATABASE foreign_db OWNER owner_only"))
        admin.dispose()
        superuser = create_engine(to_psycopg2_url(f"postgresql://postgres@127.0.0.1:{port}/foreign_db"))
        with superuser.begin() as conn:  # PostGIS is not a trusted extension: the DBA creates it
            conn.execute(text("CREATE EXTENSION postgis"))
        superuser.dispose()
        engine = create_engine(to_psycopg2_url(f"postgresql://owner_only@127.0.0.1:{port}/foreign_db"))
        try:
            result = migrate(engine)
            assert len(result.warnings) == 1
            assert "may not create the role phusong_app" in result.warnings[0]
            assert "\n" not in result.warnings[0]
            assert migrate(engine).applied == []
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM app_user")).scalar_one() == 0
        finally:
            engine.dispose()


# ------------------------------------------------------------------------------------------ 11. lock-out by one click

def test_nobody_locks_out_themselves_or_the_last_admin(db_conn: Connection) -> None:
    db_conn.execute(text("UPDATE app_user SET active = false WHERE role = 'admin'"))  # none but this test's
    add_user(db_conn, "admin-a", PASSWORD, role="admin")
    with pytest.raises(UserError, match="yourself"):
        update_user(db_conn, "admin-a", active=False, actor="admin-a")
    for change in ({"active": False}, {"role": "planner"}):
        with pytest.raises(UserError, match="admin-a is the last active administrator"):
            update_user(db_conn, "admin-a", actor="cli", **change)  # type: ignore[arg-type]
    add_user(db_conn, "admin-b", PASSWORD, role="admin")
    with pytest.raises(UserError, match="yourself"):
        update_user(db_conn, "admin-b", role="planner", actor="admin-b")
    update_user(db_conn, "admin-a", active=False, actor="admin-b")  # another admin remains: allowed
    with pytest.raises(UserError, match="admin-b is the last active administrator"):
        update_user(db_conn, "admin-b", active=False, actor="cli")
    update_user(db_conn, "admin-a", active=True, actor="admin-b")
    assert db_conn.execute(text("SELECT count(*) FROM app_user WHERE role = 'admin' AND active")).scalar_one() == 2


def test_the_lock_button_only_asks_and_the_admin_cannot_lock_themselves(flask_client: Any) -> None:
    target = _new_user()
    session_as(flask_client, "quantri")
    asked = _dash(flask_client, [("admin-user-confirm-lock", "message"), ("admin-user-confirm-lock", "displayed")],
                  [("admin-user-deactivate", "n_clicks", 1)], [("admin-user-toggle-name", "value", target)])
    assert asked.status_code == 200
    dialog = asked.get_json()["response"]["admin-user-confirm-lock"]
    assert dialog["displayed"] is True and target in dialog["message"]
    assert _sql("SELECT active FROM app_user WHERE name = :n", n=target) == [(True,)]  # nothing locked yet

    def confirm(name: str) -> Any:
        return _dash(flask_client, USER_OUTPUTS,
                     [("admin-user-add", "n_clicks", None), ("admin-user-confirm-lock", "submit_n_clicks", 1),
                      ("admin-user-activate", "n_clicks", None)],
                     [("admin-user-name", "value", None), ("admin-user-password", "value", None),
                      ("admin-user-role", "value", "inspector"), ("admin-user-scope", "value", None),
                      ("admin-user-toggle-name", "value", name)],
                     changed="admin-user-confirm-lock.submit_n_clicks").get_json()["response"]

    assert confirm(target)["admin-user-message"]["children"]["props"]["color"] == "success"
    assert _sql("SELECT active FROM app_user WHERE name = :n", n=target) == [(False,)]
    refused = confirm("quantri")["admin-user-message"]["children"]["props"]
    assert refused["color"] == "danger" and "tự khóa" in refused["children"]  # the page speaks Vietnamese
    assert _sql("SELECT active FROM app_user WHERE name = 'quantri'") == [(True,)]


def test_the_app_role_reads_the_ledger_of_migrations_without_creating_it(postgis_url: str) -> None:
    """`phusong serve` and `phusong users` migrate first: as phusong_app on a migrated database that does nothing."""
    from tests.app.conftest import as_app_role

    engine = create_engine(as_app_role(postgis_url))
    try:
        assert migrate(engine).applied == []
    finally:
        engine.dispose()


def test_in_the_browser_a_lock_is_confirmed_first_and_logging_out_is_a_button(browser: Any, app_url: str,
                                                                               demo_database: str) -> None:
    from tests.app.conftest import log_in

    engine = create_engine(demo_database)
    target = f"t-lock-{uuid.uuid4().hex[:6]}"
    with engine.begin() as conn:
        add_user(conn, target, PASSWORD, role="planner", actor="test")

    def active() -> bool:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT active FROM app_user WHERE name = :n"), {"n": target}).scalar_one())

    page = log_in(browser, app_url, "admin")
    page.goto(f"{app_url}/quan-tri")
    page.click("text=Người dùng")
    page.fill("#admin-user-toggle-name", target)
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("#admin-user-deactivate")
    page.wait_for_timeout(1500)
    assert asked and target in asked[0] and active()  # dismissed: nothing locked
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#admin-user-deactivate")
    page.wait_for_selector("#admin-user-message .alert-success", timeout=30_000)
    assert not active()
    page.click("#nav-logout")
    page.wait_for_url(f"{app_url}/login", timeout=30_000)
    page.goto(f"{app_url}/quan-tri")
    assert "/login" in page.url
    page.context.close()
    engine.dispose()
