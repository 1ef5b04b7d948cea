"""The sync of the offline page: inspections saved on the phone, sent in small batches (multipart: a JSON list
and the photos), each stored exactly once by its UUID, in its own transaction, after the role and scope checks;
then the communes they touch are brought current on the same path as the Kiểm tra page's save."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from analysis.refresh import bring_current
from app.auth import AccessDenied, User, audit_event, client_address, communes_in_scope
from app.inspections import INSPECTING_ROLES
from etl.inspection_writes import (
    MAX_PHOTOS,
    InspectionInputError,
    OfflineInspection,
    facility_for_inspection,
    offline_outcome,
    parse_client_uuid,
    store_offline_inspection,
)
from sql import queries
from sql.engine import connect, get_engine

MAX_BATCH = 20  # inspections a request; the page sends at most 10 (40 MB a request: 10 × 3 photos of ≤ 1 MB)

__all__ = ["INSPECTING_ROLES", "MAX_BATCH", "parse_batch", "sync_batch"]


def parse_batch(listed: str, files: Mapping[str, Any]) -> list[OfflineInspection]:
    """The inspections of a request: ``listed`` is the JSON list of their fields, photos come as files named
    ``photo:<uuid>:<1..3>``. Raise ``InspectionInputError`` for anything malformed (nothing is stored)."""
    try:
        items = json.loads(listed or "[]")
    except json.JSONDecodeError as exc:
        raise InspectionInputError("dữ liệu gửi lên không đọc được (unreadable inspections)") from exc
    if not isinstance(items, list) or not 0 < len(items) <= MAX_BATCH:
        raise InspectionInputError(f"gửi 1 đến {MAX_BATCH} phiếu một lần (send 1 to {MAX_BATCH} inspections)")
    return [_item(raw, files) for raw in items]


def _item(raw: Any, files: Mapping[str, Any]) -> OfflineInspection:
    if not isinstance(raw, dict):
        raise InspectionInputError("phiếu không hợp lệ (malformed inspection)")
    uuid = parse_client_uuid(raw.get("uuid"))
    photos = tuple(files[key].read() for n in range(1, MAX_PHOTOS + 1) if (key := f"photo:{uuid}:{n}") in files)
    try:
        return OfflineInspection(
            client_uuid=uuid, facility_id=int(raw["facility_id"]), status=str(raw["status"]),
            inspected_at=datetime.fromisoformat(str(raw["inspected_at"]).replace("Z", "+00:00")),
            note=str(raw["note"]) if raw.get("note") else None, photos=photos,
            lon=_number(raw.get("lon")), lat=_number(raw.get("lat")), accuracy_m=_number(raw.get("accuracy_m")),
            base_version=int(raw["base_version"]) if raw.get("base_version") is not None else None)
    except (KeyError, ValueError, TypeError) as exc:
        raise InspectionInputError(f"phiếu {uuid} thiếu hoặc sai trường (missing or bad field)") from exc


def _number(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)


def sync_batch(user: User, items: Sequence[OfflineInspection]) -> dict[str, Any]:
    """Store each inspection once (each in its own transaction: one refused does not hold back the others);
    bring the communes they touch current; return each one's outcome and the communes' classes.

    Every facility is checked against the user's scope before anything is stored: one outside it refuses the
    whole request (``AccessDenied``, naming the refused UUIDs so the page keeps them aside)."""
    communes = _communes_checked(user, items)
    address = client_address()
    results, touched = [], set()
    for item in items:
        try:
            with connect() as conn:
                inspection_id, new = store_offline_inspection(conn, user.name, item, address=address)
        except InspectionInputError as exc:
            results.append({"uuid": item.client_uuid, "state": "refused", "message": str(exc)})
            continue
        touched.add(communes[item.facility_id])
        results.append({"uuid": item.client_uuid, "state": "stored" if new else "duplicate", "id": inspection_id})
    if touched:  # their communes only (~0.03 s each): the same path as the Kiểm tra page's save
        bring_current(get_engine(), communes=sorted(touched))
    with connect() as conn:
        for result in results:
            if result["state"] != "refused":
                result["outcome"] = _outcome(conn, result["uuid"])
        classes = [{"code": code, **dict(conn.execute(queries.load("commune_class"), {"code": code}).mappings().one())}
                   for code in sorted(touched)]
        audit_event(conn, user.name, "offline_sync", "inspection", None, address, {
            state: [r["uuid"] for r in results if r["state"] == state] for state in ("stored", "duplicate", "refused")})
    return {"results": results, "communes": classes}


def _communes_checked(user: User, items: Sequence[OfflineInspection]) -> dict[int, str]:
    """Each facility's commune; ``AccessDenied`` when one does not exist or lies outside the user's scope."""
    communes: dict[int, str] = {}
    refused: list[str] = []
    with connect() as conn:
        for item in items:
            if item.facility_id in communes:
                continue
            facility = facility_for_inspection(conn, item.facility_id)
            if facility is None:
                refused.append(item.client_uuid)
            else:
                communes[item.facility_id] = facility["commune_code"]
        allowed = communes_in_scope(user, sorted(set(communes.values())), conn=conn)
    refused += [i.client_uuid for i in items if i.facility_id in communes and communes[i.facility_id] not in allowed]
    if refused:
        error = AccessDenied(f"{user.name}: facilities outside their scope ({len(refused)} inspection(s))")
        error.refused = refused  # type: ignore[attr-defined]
        raise error
    return communes


def _outcome(conn: Any, client_uuid: str) -> dict[str, Any]:
    found = offline_outcome(conn, client_uuid) or {}
    other = found.get("other_inspector")
    return {"facility_id": found.get("facility_id"), "status": found.get("facility_status"),
            "version": found.get("facility_version"),
            "conflict": None if other is None else {
                "by": other, "at": found["other_at"].isoformat(), "status": found["other_status"],
                "decides": "theirs" if found["other_decides"] else "yours"}}
