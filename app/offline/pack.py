"""The area pack of the offline page: the communes asked for (default: the user's scope) with their outlines and
service class, their villages and facilities (status, version, last inspection, conflicts seen by this user) and
the words for statuses and types. One JSON document, versioned by the hash of its content (the ETag)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from analysis.inspection_plans import my_assignments
from app.auth import AccessDenied, User, communes_in_scope, scope_binds
from app.i18n import class_word
from sql import queries
from sql.engine import connect
from sql.errors import InputRefused

PACK_FORMAT = 1
OUTLINE_TOLERANCE_DEG = 0.0002  # ~20 m: the outline drawn on a phone without a base layer
MAX_PACK_COMMUNES = 60  # a whole province is not a day's work; ask for communes


class PackRefused(InputRefused):
    """No communes to pack (a whole-country user who named none, or too many)."""


def pack_communes(user: User, asked: list[str]) -> list[str]:
    """The commune codes to pack: those asked for (each in scope, else ``AccessDenied``), or the user's scope."""
    with connect() as conn:
        if asked:
            allowed = communes_in_scope(user, asked, conn=conn)
            if not allowed >= set(asked):
                raise AccessDenied(f"{user.name}: commune(s) {', '.join(sorted(set(asked) - allowed))} outside "
                                   "their scope")
            codes = sorted(set(asked))
        elif user.whole_country:
            raise PackRefused("Hãy chọn xã cần tải (choose the communes to download: ?communes=…)")
        else:
            codes = [row.code for row in conn.execute(queries.load("scope_communes"), scope_binds(user))]
    if len(codes) > MAX_PACK_COMMUNES:
        raise PackRefused(f"Tối đa {MAX_PACK_COMMUNES} xã một gói (at most {MAX_PACK_COMMUNES} communes a pack)")
    return codes


def build_pack(user: User, codes: list[str]) -> tuple[bytes, str]:
    """(the pack as UTF-8 JSON, its version): the same content gives the same version, whenever it is built."""
    binds = {"codes": codes}
    with connect() as conn:
        communes = [_commune(r) for r in conn.execute(queries.load("offline_pack_communes"),
                                                      {**binds, "tolerance": OUTLINE_TOLERANCE_DEG}).mappings()]
        villages = [dict(r) for r in conn.execute(queries.load("offline_pack_villages"), binds).mappings()]
        facilities = [dict(r) for r in conn.execute(queries.load("offline_pack_facilities"),
                                                    {**binds, "user": user.name}).mappings()]
        words = [dict(r) for r in conn.execute(queries.load("offline_pack_vocabulary")).mappings()]
        tasks = _tasks(conn, user, codes)
    statuses = [{k: v for k, v in w.items() if k != "kind"} for w in words if w["kind"] == "status"]
    types = [{k: v for k, v in w.items() if k != "kind"} for w in words if w["kind"] == "type"]
    content = {"format": PACK_FORMAT, "user": user.name, "communes": communes, "villages": villages,
               "facilities": facilities, "statuses": statuses, "types": types, "assignments": tasks}
    body = json.dumps(content, ensure_ascii=False, separators=(",", ":"), default=_json_value)
    version = hashlib.sha256(body.encode()).hexdigest()[:20]
    stamped = {"version": version, "built_at": datetime.now(UTC).isoformat(timespec="seconds"), **content}
    return json.dumps(stamped, ensure_ascii=False, separators=(",", ":"), default=_json_value).encode(), version


def _tasks(conn: Any, user: User, codes: list[str]) -> list[dict[str, Any]]:
    """Issue 23: the user's open assignments in the packed communes ("Việc của tôi" offline); the page judges
    overdue on the phone's own date, so the pack says only the due date (ISO)."""
    wanted = set(codes)
    return [{"facility_id": r["facility_id"], "due_date": r["due_date"].isoformat(), "priority": r["priority"],
             "period": r["period"]} for r in my_assignments(conn, user.name) if r["commune_code"] in wanted]


def _commune(row: Any) -> dict[str, Any]:
    found = dict(row)
    found["outline"] = json.loads(found["outline"]) if found["outline"] else None
    found["class_label"] = class_word(found["class"], "vi")
    return found


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return float(value)  # Decimal (rounded coordinates)
