"""A password reset by an administrator ("đổi mật khẩu ở lần đăng nhập sau") stops the user's personal access
tokens too, not only their pages: /ogcapi and /tiles answer 401 with WWW-Authenticate, like a revoked token,
at once in the process that made the reset (its token-check cache is emptied), audited as a refusal, until the
user sets their own password."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

from app.auth import add_user, change_own_password, reset_password
from app.live_gis import shared_tiles, tiles
from app.live_gis.tokens import create_token

pytestmark = [pytest.mark.db]

ITEMS = "/ogcapi/collections/communes/items?limit=2"
TILE = "/tiles/communes/0/0/0.mvt"


def _refusals(name: str) -> list[Any]:
    from sql.engine import connect

    with connect() as conn:
        return conn.execute(text("SELECT entity_id, after FROM audit_log WHERE action = 'refused' AND \"user\" = :n "
                                 "ORDER BY id"), {"n": name}).all()


def test_a_reset_users_token_is_refused_until_they_change_the_password(flask_client: Any) -> None:
    from sql.engine import connect

    name = f"t-gis-{uuid.uuid4().hex[:8]}"
    with connect() as conn:
        add_user(conn, name, "mat-khau-dai", role="planner", actor="test")
        token, _ = create_token(conn, name, name="QGIS", actor="test")
    bearer = {"Authorization": f"Bearer {token}"}
    shared_tiles._cache(shared_tiles._directory()).clear()
    tiles._TILES.clear()
    assert flask_client.get(ITEMS, headers=bearer).status_code == 200
    assert flask_client.get(TILE, headers=bearer).status_code == 200
    warm = flask_client.get(TILE, headers=bearer)  # answered before Flask from now on, with the cached check
    assert warm.status_code == 200 and warm.headers["X-Cache"] == "hit, early"

    with connect() as conn:
        temporary = reset_password(conn, name, actor="quantri")
    for path, basic in ((ITEMS, False), (TILE, False), (ITEMS, True), (TILE, True)):
        headers = {"Authorization": f"Basic {_basic(name, token)}"} if basic else bearer
        refused = flask_client.get(path, headers=headers)
        assert refused.status_code == 401, (path, refused.status_code)
        assert "Bearer" in refused.headers["WWW-Authenticate"]
        assert "mật khẩu" in refused.get_json()["description"] or "password" in refused.get_json()["description"]
    said = _refusals(name)
    assert said and {row[0] for row in said} <= {ITEMS.split("?")[0], TILE}
    assert all(row[1]["status"] == 401 and row[1]["token_id"] for row in said)
    assert len(said) <= 4  # one row per token, service and minute: a tile storm does not flood the log

    with connect() as conn:
        change_own_password(conn, name, temporary, "mat-khau-moi-1")
    assert flask_client.get(ITEMS, headers=bearer).status_code == 200  # their own password again: the token works


def _basic(name: str, token: str) -> str:
    import base64

    return base64.b64encode(f"{name}:{token}".encode()).decode()
