"""The offline page's server side (issue 20): the area pack (scoped, versioned, ETag, gzip), the sync (each UUID
stored once however often it is sent, a send cut after the commit included; CSRF; scope; audit; coverage) and
conflicts between two inspectors who worked from the same pack."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text

from app.auth import add_user
from tests.app.conftest import session_as
from tests.app.offline_helpers import facility_in, inspection, jpeg, stored, sync, token_of

pytestmark = pytest.mark.db


def test_the_area_pack_is_the_scope_versioned_with_an_etag_and_gzipped(flask_client: Any) -> None:
    session_as(flask_client, "kiemtra")
    first = flask_client.get("/thuc-dia/api/pack", headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers.get("Content-Encoding") == "gzip"
    raw = gzip.decompress(first.get_data())
    pack = json.loads(raw)
    assert {c["code"] for c in pack["communes"]} == {"03160", "03162"}
    assert pack["facilities"] and {f["commune_code"] for f in pack["facilities"]} <= {"03160", "03162"}
    assert {"id", "status", "version", "lon", "lat", "last_inspected_at"} <= set(pack["facilities"][0])
    assert {s["code"] for s in pack["statuses"]} >= {"operational", "broken"} and pack["types"]
    assert len(raw) < 1_000_000, f"a two-commune pack of {len(raw)} bytes"
    etag = first.headers["ETag"]
    assert pack["version"] in etag
    again = flask_client.get("/thuc-dia/api/pack", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.get_data() and again.headers["X-CSRF-Token"]
    # outside the scope: refused, and the refusal is audited
    assert flask_client.get("/thuc-dia/api/pack?communes=03127").status_code == 403
    session_as(flask_client, "quyhoach")
    assert flask_client.get("/thuc-dia/api/pack").status_code == 403


def test_the_same_inspection_sent_twice_or_at_once_is_stored_once(flask_client: Any, demo_database: str) -> None:
    session_as(flask_client, "kiemtra")
    facility = facility_in(demo_database, "03160")
    item = inspection(facility["id"], "degraded", base_version=facility["version"])
    photos = {item["uuid"]: [jpeg(), jpeg(32, 32)]}
    first = sync(flask_client, [item], photos=photos)
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.json["results"][0]["state"] == "stored"
    second = sync(flask_client, [item], photos=photos)
    assert second.json["results"][0]["state"] == "duplicate"
    assert second.json["results"][0]["id"] == first.json["results"][0]["id"]
    assert stored(demo_database, item["uuid"]) == (1, 2)
    # two sends of one UUID at the same moment (a double tap on two connections): one row
    twin = inspection(facility["id"], "operational", base_version=facility["version"])
    token = token_of(flask_client)
    answers: list[int] = []

    def send() -> None:
        client = flask_client.application.test_client()
        with flask_client.session_transaction() as mine, client.session_transaction() as theirs:
            theirs.update(mine)
        answers.append(sync(client, [twin], token=token).status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert answers == [200, 200] and stored(demo_database, twin["uuid"]) == (1, 0)
    engine = create_engine(demo_database)
    with engine.connect() as conn:
        audited = conn.execute(text("SELECT count(*) FROM audit_log WHERE entity = 'inspection' "
                                    "AND action = 'insert' AND after->>'client_uuid' = :u"), {"u": item["uuid"]})
        assert audited.scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM audit_log WHERE entity = 'inspection_photo' "
                                 "AND action = 'insert' AND after->>'inspection_id' = :i"),
                            {"i": str(first.json["results"][0]["id"])}).scalar() == 2
        assert conn.execute(text("SELECT count(*) FROM coverage_stale WHERE commune_code = '03160'")).scalar() == 0
    engine.dispose()


def test_a_send_cut_after_the_server_stored_it_is_stored_once_when_sent_again(app_url: str, demo_database: str,
                                                                            flask_client: Any) -> None:
    """The phone's connection drops after the request went out: the server stores it, the answer never arrives;
    the page sends it again later and the server answers 'duplicate'."""
    session_as(flask_client, "kiemtra")
    facility = facility_in(demo_database, "03162")
    item = inspection(facility["id"], "broken", base_version=facility["version"])
    token = token_of(flask_client)
    cookie = flask_client.get_cookie("phusong_session").value
    body = (f'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--b\r\nContent-Disposition: form-data; name="inspections"\r\n\r\n{json.dumps([item])}\r\n--b--\r\n'
            ).encode()
    host = urlsplit(app_url)
    with socket.create_connection((host.hostname, host.port)) as sock:
        sock.sendall(b"POST /thuc-dia/api/sync HTTP/1.1\r\nHost: " + host.netloc.encode() +
                     b"\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: " +
                     str(len(body)).encode() + b"\r\nCookie: phusong_session=" + cookie.encode() +
                     b"\r\nSec-Fetch-Site: same-origin\r\n\r\n" + body)
        sock.shutdown(socket.SHUT_WR)  # cut: nothing of the answer is read
    deadline = time.monotonic() + 20
    while stored(demo_database, item["uuid"])[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stored(demo_database, item["uuid"]) == (1, 0)
    again = sync(flask_client, [item], token=token)
    assert again.json["results"][0]["state"] == "duplicate" and stored(demo_database, item["uuid"]) == (1, 0)


def test_the_sync_refuses_other_sites_a_missing_token_and_facilities_outside_the_scope(
        flask_client: Any, demo_database: str) -> None:
    session_as(flask_client, "kiemtra")
    facility = facility_in(demo_database, "03160")
    item = inspection(facility["id"])
    assert sync(flask_client, [item], token="").status_code == 400
    assert sync(flask_client, [item], headers={"Origin": "https://evil.example",
                                               "Sec-Fetch-Site": "cross-site"}).status_code == 403
    outside = facility_in(demo_database, "03127")
    refused = sync(flask_client, [item, inspection(outside["id"])])
    assert refused.status_code == 403 and len(refused.json["refused"]) == 1
    assert stored(demo_database, item["uuid"]) == (0, 0)  # nothing of a refused request is stored
    session_as(flask_client, "quyhoach")
    assert sync(flask_client, [item], token=token_of_any(flask_client)).status_code == 403


def token_of_any(client: Any) -> str:
    """A planner's session has a CSRF token too (any page makes one); the role is what refuses."""
    page = client.get("/login?next=/").get_data(as_text=True)
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0] if 'csrf_token" value="' in page else ""


def test_two_inspectors_from_one_pack_both_are_kept_and_the_later_decides(flask_client: Any,
                                                                          demo_database: str) -> None:
    engine = create_engine(demo_database)
    with engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM app_user WHERE name = 'kiemtra2'")).first() is None:
            add_user(conn, "kiemtra2", "kiemtra2-demo", role="inspector", scope_codes=["03160"])
    facility = facility_in(demo_database, "03160", pick=5)
    now = datetime.now(UTC)
    early = inspection(facility["id"], "broken", at=now - timedelta(minutes=30), base_version=facility["version"])
    late = inspection(facility["id"], "operational", at=now - timedelta(minutes=10), base_version=facility["version"])
    session_as(flask_client, "kiemtra")  # the earlier inspection reaches the server first
    first = sync(flask_client, [early]).json["results"][0]
    assert first["outcome"]["conflict"] is None
    session_as(flask_client, "kiemtra2")
    second = sync(flask_client, [late]).json["results"][0]
    assert second["outcome"]["conflict"]["by"] == "kiemtra" and second["outcome"]["conflict"]["decides"] == "yours"
    assert second["outcome"]["status"] == "operational"
    session_as(flask_client, "kiemtra")  # the earlier one's pack says who decided, and when
    mine = next(f for f in flask_client.get("/thuc-dia/api/pack").json["facilities"] if f["id"] == facility["id"])
    assert mine["status"] == "operational" and mine["conflict_by"] == "kiemtra2"
    # the other order: the earlier inspection arrives last; it is kept, the status stays the later one's
    older = inspection(facility["id"], "degraded", at=now - timedelta(minutes=50), base_version=facility["version"])
    third = sync(flask_client, [older]).json["results"][0]
    assert third["outcome"]["conflict"] == {**third["outcome"]["conflict"], "by": "kiemtra2", "decides": "theirs"}
    assert third["outcome"]["status"] == "operational"
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT count(*) FROM inspection WHERE client_uuid IN "
                                 "(CAST(:a AS uuid), CAST(:b AS uuid), CAST(:c AS uuid))"),
                            {"a": early["uuid"], "b": late["uuid"], "c": older["uuid"]}).scalar()
    engine.dispose()
    assert kept == 3
