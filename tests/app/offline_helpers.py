"""Helpers of the offline page's tests (issue 20): a JPEG, a sync POST as the page sends it, database counts."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from PIL import Image
from sqlalchemy import create_engine, text


def jpeg(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def inspection(facility_id: int, status: str = "broken", *, at: datetime | None = None,
               base_version: int | None = None, **extra: Any) -> dict[str, Any]:
    return {"uuid": str(uuid.uuid4()), "facility_id": facility_id, "status": status,
            "inspected_at": (at or datetime.now(UTC)).isoformat(), "note": "kiểm tra thử", "lon": 102.9,
            "lat": 22.2, "accuracy_m": 12.5, "base_version": base_version, **extra}


def token_of(client: Any) -> str:
    """The session's CSRF token, as the page gets it: in the pack's answer."""
    answer = client.get("/thuc-dia/api/pack?communes=03160")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return str(answer.headers["X-CSRF-Token"])


def sync(client: Any, items: list[dict[str, Any]], *, photos: dict[str, list[bytes]] | None = None,
         token: str | None = None, **kwargs: Any) -> Any:
    data: dict[str, Any] = {"csrf_token": token if token is not None else token_of(client),
                            "inspections": json.dumps(items)}
    for key, blobs in (photos or {}).items():
        for n, blob in enumerate(blobs, start=1):
            data[f"photo:{key}:{n}"] = (io.BytesIO(blob), f"anh-{n}.jpg")
    return client.post("/thuc-dia/api/sync", data=data, content_type="multipart/form-data", **kwargs)


def stored(url: str, client_uuid: str) -> tuple[int, int]:
    """(inspections stored with this client UUID, their photos)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(
                "SELECT count(DISTINCT i.id), count(p.id) FROM inspection i "
                "LEFT JOIN inspection_photo p ON p.inspection_id = i.id "
                "WHERE i.client_uuid = CAST(:u AS uuid)"), {"u": client_uuid}).one()  # type: ignore[return-value]
    finally:
        engine.dispose()


def facility_in(url: str, commune: str, pick: int = 0) -> dict[str, Any]:
    """A facility of ``commune`` (the ``pick``-th by id): tests that must not meet each other's inspections pick
    different ones."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            # Facilities no earlier test of the session inspected in the last hour: a test that dates its
            # inspections "30 minutes ago" must not meet a newer one that another test recorded.
            row = conn.execute(text("SELECT id, version, status FROM facility f WHERE commune_code = :c "
                                    "AND status <> 'decommissioned' AND NOT EXISTS (SELECT 1 FROM inspection i "
                                    "WHERE i.facility_id = f.id AND i.inspected_at > now() - interval '1 hour') "
                                    "ORDER BY id OFFSET :p LIMIT 1"),
                               {"c": commune, "p": pick})
            return dict(row.mappings().one())
    finally:
        engine.dispose()
