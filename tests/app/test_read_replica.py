"""Issue 22: with PHUSONG_READ_DATABASE_URL, /ogcapi and /tiles read from the replica it names, while the token is
still checked (and its use audited) on the primary."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import create_engine

from app.live_gis.replica import READ_URL_ENV
from app.live_gis.tokens import create_token

pytestmark = [pytest.mark.db]


def test_live_gis_reads_go_to_the_named_replica(flask_client: Any, demo_database: str,
                                                fresh_database: Callable[[], str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine(demo_database)
    with engine.begin() as conn:
        token, _ = create_token(conn, "quyhoach", name="replica test", actor="test")
    engine.dispose()
    headers = {"Authorization": f"Bearer {token}"}
    url = "/ogcapi/collections/communes/items?limit=5"
    primary = flask_client.get(url, headers=headers)
    assert primary.status_code == 200 and primary.get_json()["numberMatched"] == 45  # the demo's communes

    # A "replica" that has the tables but none of the rows: what is read comes from it, the token from the primary.
    monkeypatch.setenv(READ_URL_ENV, fresh_database())
    replica = flask_client.get(url, headers=headers)
    assert replica.status_code == 200, replica.get_data(as_text=True)[:300]
    assert replica.get_json()["numberMatched"] == 0
