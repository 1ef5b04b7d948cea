"""`python -m bench.offline_sync`: the offline inspector page's traffic (issue 20), against the real server.

Loopback only: `phusong serve` on the Điện Biên demo in a throwaway PostGIS cluster (or PHUSONG_BENCH_DATABASE_URL).
1. The area pack of one commune, of the demo inspector's two communes: JSON size, size on the wire (gzip), time
   to build and download it (median of 5) and to answer "unchanged" (304); the time it would take over a weak
   3G link (1 Mbit/s, 300 ms round trip) is computed from the size on the wire.
2. The sync of 50 inspections saved offline, each with one photo shrunk as the phone does (1600 × 1200 JPEG),
   sent as the page sends them (batches of 10, multipart, CSRF token), then all 50 sent again (a retried send):
   stored exactly once each is the pass condition.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime

import requests
from PIL import Image
from sqlalchemy import create_engine, text

from bench._support import bench_database, load_demo, log_in, served_app

INSPECTOR, PASSWORD = "kiemtra", "kiemtra-demo"  # the demo's inspector (communes 03160, 03162)
WEAK_3G_BITS_S, WEAK_3G_RTT_S = 1_000_000, 0.3
PENDING, BATCH = 50, 10


def _pack_row(session: requests.Session, base: str, communes: str) -> list[str]:
    url = f"{base}/thuc-dia/api/pack?communes={communes}"
    times, answer = [], None
    for _ in range(5):
        start = time.perf_counter()
        answer = session.get(url, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=60)
        wire = answer.raw.read()  # the bytes as sent (gzip), before requests decodes them
        times.append(time.perf_counter() - start)
    assert answer is not None and answer.status_code == 200, answer
    body = gzip.decompress(wire) if answer.headers.get("Content-Encoding") == "gzip" else wire
    pack = json.loads(body)
    start = time.perf_counter()
    unchanged = session.get(url, headers={"If-None-Match": answer.headers["ETag"]}, timeout=60)
    not_modified_ms = (time.perf_counter() - start) * 1000
    assert unchanged.status_code == 304
    weak_3g = len(wire) * 8 / WEAK_3G_BITS_S + 2 * WEAK_3G_RTT_S
    return [communes, f"{len(pack['facilities'])}", f"{len(pack['villages'])}", f"{len(body) / 1024:.0f} kB",
            f"{len(wire) / 1024:.0f} kB", f"{statistics.median(times) * 1000:.0f} ms", f"{not_modified_ms:.0f} ms",
            f"{weak_3g:.1f} s"]


def _photo() -> bytes:
    """A 1600 × 1200 JPEG at the page's quality, with enough detail to weigh what a phone photo weighs."""
    rng = random.Random(20)
    image = Image.new("RGB", (160, 120))
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(160 * 120)])
    buffer = io.BytesIO()
    image.resize((1600, 1200), Image.Resampling.BICUBIC).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _sync(session: requests.Session, base: str, items: list[dict[str, object]], photo: bytes) -> float:
    token = session.get(f"{base}/thuc-dia/api/pack", timeout=60).headers["X-CSRF-Token"]
    start = time.perf_counter()
    for first in range(0, len(items), BATCH):
        batch = items[first:first + BATCH]
        files = [(f"photo:{item['uuid']}:1", ("anh-1.jpg", photo, "image/jpeg")) for item in batch]
        answer = session.post(f"{base}/thuc-dia/api/sync", data={"csrf_token": token,
                              "inspections": json.dumps(batch)}, files=files, timeout=120)
        assert answer.status_code == 200, answer.text
    return time.perf_counter() - start


def run() -> int:
    with bench_database(load_demo) as url, served_app(url) as base:
        session = log_in(base, INSPECTOR, PASSWORD)
        rows = [_pack_row(session, base, c) for c in ("03162", "03160", "03160,03162")]
        engine = create_engine(url)
        with engine.connect() as conn:
            facilities = conn.execute(text("SELECT id, version FROM facility WHERE commune_code IN "
                                           "('03160', '03162') AND status <> 'decommissioned' ORDER BY id")).all()
        now = datetime.now(UTC).isoformat()
        items: list[dict[str, object]] = [
            {"uuid": str(uuid.uuid4()), "facility_id": f.id, "status": ("operational", "degraded", "broken")[n % 3],
             "inspected_at": now, "note": "bench", "lon": 102.9, "lat": 22.2, "accuracy_m": 8.0,
             "base_version": f.version} for n, f in enumerate(facilities[:PENDING])]
        photo = _photo()
        first_s = _sync(session, base, items, photo)
        again_s = _sync(session, base, items, photo)
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*), count(DISTINCT client_uuid) FROM inspection "
                                       "WHERE client_uuid::text = ANY(:u)"), {"u": [i["uuid"] for i in items]}).one()
        engine.dispose()
    heads = ["communes", "facilities", "villages", "pack JSON", "on the wire", "download", "304", "weak 3G"]
    print("Area pack (median of 5 downloads on loopback; weak 3G computed: 1 Mbit/s, 2 round trips of 300 ms)")
    print(" | ".join(heads))
    for row in rows:
        print(" | ".join(row))
    print(f"\nSync of {len(items)} pending inspections, one {len(photo) / 1024:.0f} kB photo each, "
          f"batches of {BATCH}")
    print(f"first send: {first_s:.2f} s ({first_s / len(items) * 1000:.0f} ms an inspection) | "
          f"sent again: {again_s:.2f} s | stored: {stored[0]} rows, {stored[1]} UUIDs")
    ok = stored[0] == stored[1] == len(items)
    print("PASS: each stored exactly once" if ok else "FAIL: not stored exactly once")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(run())
