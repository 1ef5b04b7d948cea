"""`phusong users`: add, refuse, list, deactivate; clean one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sql.settings import PROJECT_ROOT

pytestmark = pytest.mark.db


def _phusong(url: str, *args: str, password: str | None = "mat-khau-dai") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PHUSONG_DATABASE_URL": url}
    if password:
        env["PHUSONG_NEW_PASSWORD"] = password
    return subprocess.run([sys.executable, "-m", "app.cli", "users", *args], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)


def test_users_add_list_and_refuse(postgis_url: str) -> None:
    added = _phusong(postgis_url, "add", "cli-lan", "--role", "inspector", "--scope", "03160,03162")
    assert added.returncode == 0, added.stderr
    assert "cli-lan added: inspector, scope 03160,03162" in added.stdout
    refused = _phusong(postgis_url, "add", "cli-an", "--role", "inspector")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.strip() == "phusong: an inspector needs a scope: --scope with commune or province codes"
    again = _phusong(postgis_url, "add", "cli-lan", "--role", "planner")
    assert again.returncode == 1 and "exists already" in again.stderr
    assert _phusong(postgis_url, "set", "cli-lan", "--deactivate").returncode == 0
    listed = _phusong(postgis_url, "list").stdout
    assert any(line.split()[:3] == ["cli-lan", "inspector", "no"] for line in listed.splitlines())


def test_users_reset_password_prints_a_temporary_password_once(postgis_url: str) -> None:
    """The admin page's reset from the command line: the same library function, so the same effects."""
    from sqlalchemy import create_engine, text

    from app.auth import authenticate
    from app.sessions import start_session

    assert _phusong(postgis_url, "add", "cli-reset", "--role", "planner").returncode == 0
    engine = create_engine(postgis_url)
    with engine.begin() as conn:
        start_session(conn, "cli-reset", ip="127.0.0.1", user_agent="pytest")
    done = _phusong(postgis_url, "reset-password", "--user", "CLI-Reset", password=None)  # names ignore case
    assert done.returncode == 0, done.stderr
    temporary = done.stdout.splitlines()[1].strip()
    letters = temporary.replace("-", "")
    assert len(letters) == 12 and set(letters) <= set("abcdefghjkmnpqrstuvwxyz23456789"), temporary
    assert done.stdout.count(temporary) == 1 and "cli-reset" in done.stdout.splitlines()[0]
    with engine.begin() as conn:
        row = conn.execute(text("SELECT must_change_password, password_hash FROM app_user "
                                "WHERE name = 'cli-reset'")).one()
        assert row[0] is True and temporary not in row[1]
        assert conn.execute(text("SELECT count(*) FROM sessions WHERE user_name = 'cli-reset'")).scalar() == 0
        audit = conn.execute(text("SELECT \"user\", action FROM audit_log WHERE entity_id = 'cli-reset' "
                                  "AND action IN ('password_reset', 'sessions_ended') ORDER BY id")).all()
        assert audit == [("cli", "sessions_ended"), ("cli", "password_reset")]
        logged = authenticate(conn, "cli-reset", temporary, address="127.0.0.1").user
        assert logged is not None and logged.must_change_password
    engine.dispose()
    # The other commands find a typed name the same way (NFC, without case) and answer with the stored one.
    assert "cli-reset: 0 live session(s)" in _phusong(postgis_url, "sessions", "Cli-Reset", password=None).stdout
    assert _phusong(postgis_url, "set", "CLI-RESET", "--deactivate").stdout.strip() == "user cli-reset changed"
    unknown = _phusong(postgis_url, "reset-password", "--user", "cli-nobody", password=None)
    assert unknown.returncode == 1 and unknown.stderr.strip() == "phusong: no user named 'cli-nobody'"
    helped = _phusong(postgis_url, "reset-password", "--help", password=None)
    assert helped.returncode == 0 and "đặt lại mật khẩu" in helped.stdout.lower() and "--user" in helped.stdout
    assert "reset-password" in _phusong(postgis_url, "--help", password=None).stdout
