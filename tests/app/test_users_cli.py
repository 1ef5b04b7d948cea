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
