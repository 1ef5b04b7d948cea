"""`python -m bench.app_load`: 50 simulated inspectors saving inspections for 60 s against the real server.

Loopback only. The server is `phusong serve` (one process, a thread per request) on the Điện Biên demo in a
throwaway PostGIS cluster (or PHUSONG_BENCH_DATABASE_URL). Each inspector logs in once, then saves inspections
through the very callback the Kiểm tra page calls (POST /_dash-update-component), each save appending one
inspection and recomputing its commune's coverage before the answer. Between two saves an inspector spends
5–15 s (walking to the next loudspeaker and tapping the form: a person does not save faster); one save in
twenty is sent twice with the same submission id, as a retry over a weak 3G link would.

Baseline, measured in the same run: one inspector alone saving 10 times in a row.
Pass: p95 < 500 ms and every inspection stored exactly once (no loss, no duplicate).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field

import requests
from PIL import Image
from sqlalchemy import create_engine, text

from app.auth import add_user
from bench._support import bench_database, coverage_after, load_demo, log_in, percentile, served_app

PASSWORD = "bench-password"
STATUSES = ("operational", "degraded", "broken")


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)   # submission ids the server said it saved
    retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _save_callback_key(session: requests.Session, base: str) -> str:
    """The save callback's output key, as the browser learns it from /_dash-dependencies."""
    session.get(f"{base}/kiem-tra", timeout=30)
    for dependency in session.get(f"{base}/_dash-dependencies", timeout=30).json():
        if "insp-pending.data" in dependency["output"]:  # the save (other callbacks also write insp-result)
            return str(dependency["output"])
    raise RuntimeError("the save callback was not found in /_dash-dependencies")


def _photo_data_url() -> str:
    import base64

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 120, 60)).save(buffer, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def _payload(key: str, facility_id: int, status: str, submission: str, photo: str | None) -> dict[str, object]:
    """The save callback's request as the Kiểm tra page sends it (outputs, inputs and states in its order)."""
    outputs = [{"id": i, "property": p} for i, p in (
        ("insp-result", "children"), ("insp-saved-count", "data"), ("insp-selected", "data"),
        ("insp-form-error", "children"), ("insp-pending", "data"), ("insp-poll", "disabled"),
        ("insp-poll", "max_intervals"), ("insp-confirm", "is_open"), ("insp-last-saved", "data"))]
    state = (("insp-selected", "data", facility_id), ("insp-status", "value", status),
             ("insp-note", "value", "bench"), ("insp-photo-data", "data", {"contents": photo} if photo else None),
             ("insp-location", "data", None), ("insp-submission", "data", submission),
             ("insp-saved-count", "data", 0), ("insp-visited", "value", None))
    inputs = [{"id": "insp-save", "property": "n_clicks", "value": 1},
              {"id": "insp-confirm-yes", "property": "n_clicks", "value": None},
              {"id": "insp-confirm-no", "property": "n_clicks", "value": None}]
    return {"output": key, "outputs": outputs, "inputs": inputs,
            "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
            "changedPropIds": ["insp-save.n_clicks"]}


def _save(session: requests.Session, base: str, key: str, facility: int, submission: str, photo: str | None,
          tally: Tally, *, record: bool = True) -> None:
    start = time.perf_counter()
    try:
        answer = session.post(f"{base}/_dash-update-component",
                              json=_payload(key, facility, random.choice(STATUSES), submission, photo), timeout=60)
        elapsed = (time.perf_counter() - start) * 1000
        # Dash escapes non-ASCII in its JSON: read it back before looking for the confirmation.
        ok = answer.status_code == 200 and "Đã lưu" in json.dumps(answer.json(), ensure_ascii=False)
    except requests.RequestException as exc:
        elapsed, ok, answer = (time.perf_counter() - start) * 1000, False, None
        with tally.lock:
            tally.errors.append(type(exc).__name__)
    with tally.lock:
        if record:
            tally.latencies_ms.append(elapsed)
        if ok:
            tally.acknowledged.add(submission)
        elif answer is not None:
            tally.errors.append(f"HTTP {answer.status_code}")


def _inspector(base: str, name: str, key: str, facilities: list[int], until: float, run: str, tally: Tally,
               think_s: tuple[float, float], seed: int) -> None:
    rng = random.Random(seed)
    session = log_in(base, name, PASSWORD)
    photo = _photo_data_url()
    count = 0
    time.sleep(rng.uniform(0, think_s[1]))  # inspectors do not all start at the same second
    while time.monotonic() < until:
        count += 1
        submission = f"bench:{run}:{name}:{count}"
        facility = rng.choice(facilities)
        _save(session, base, key, facility, submission, photo if count % 5 == 0 else None, tally)
        if rng.random() < 0.05:  # a retry of the same submission, as over a weak link
            with tally.lock:
                tally.retries += 1
            _save(session, base, key, facility, submission, None, tally, record=False)
        time.sleep(rng.uniform(*think_s))


def run(inspectors: int, seconds: float, think_s: tuple[float, float]) -> int:
    with bench_database(load_demo) as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            facilities = [int(i) for i in conn.execute(text(
                "SELECT f.id FROM facility f JOIN commune c ON c.code = f.commune_code "
                "WHERE c.province_code = '11' AND f.type IN ('loudspeaker_cluster', 'commune_radio_station')"))
                .scalars()]
            existing = set(conn.execute(text("SELECT name FROM app_user")).scalars())
            for i in range(inspectors + 1):
                name = f"bench{i:02d}"
                if name not in existing:
                    add_user(conn, name, PASSWORD, role="inspector", scope_codes=["11"], actor="bench")
        engine.dispose()
        with served_app(url) as base:
            key = _save_callback_key(log_in(base, "bench00", PASSWORD), base)
            run_id = uuid.uuid4().hex[:8]
            # Baseline: one inspector alone, 10 saves in a row.
            alone = Tally()
            session = log_in(base, "bench00", PASSWORD)
            for k in range(10):
                _save(session, base, key, random.choice(facilities), f"bench:{run_id}:alone:{k}", None, alone)
            # The load: N inspectors for the given time.
            tally = Tally()
            until = time.monotonic() + seconds
            threads = [threading.Thread(target=_inspector, args=(base, f"bench{i:02d}", key, facilities, until,
                                                                 run_id, tally, think_s, i))
                       for i in range(1, inspectors + 1)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall_s = time.perf_counter() - started
        rows, distinct, lags, _ = coverage_after(url, f"bench:{run_id}:")
    expected = len(tally.acknowledged) + len(alone.acknowledged)
    p95 = percentile(tally.latencies_ms, 95)
    print(f"{'case':<34} {'saves':>6} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} "
          f"{'saves/s':>7}")
    for label, t, span in (("1 inspector alone (baseline)", alone, None),
                           (f"{inspectors} inspectors, {seconds:.0f} s", tally, wall_s)):
        rate = f"{len(t.latencies_ms) / span:7.1f}" if span else f"{'':>7}"
        print(f"{label:<34} {len(t.latencies_ms):>6} {len(t.errors):>6} {percentile(t.latencies_ms, 50):>7.0f} "
              f"{percentile(t.latencies_ms, 95):>7.0f} {percentile(t.latencies_ms, 99):>7.0f} "
              f"{max(t.latencies_ms, default=float('nan')):>7.0f} {rate}")
    print(f"retries with the same submission id: {tally.retries}; acknowledged saves: {expected}; "
          f"inspections stored: {rows} ({distinct} distinct submission ids)")
    if lags:
        print(f"commune coverage recomputed after a save: p50 {percentile(lags, 50):.2f} s, "
              f"p95 {percentile(lags, 95):.2f} s, max {max(lags):.2f} s ({len(lags)} of {rows} inspections)")
    exactly_once = rows == distinct == expected
    print(f"p95 < 500 ms: {'yes' if p95 < 500 else 'NO'}; every inspection stored exactly once: "
          f"{'yes' if exactly_once else 'NO'}")
    if tally.errors:
        print(f"errors: {sorted(set(tally.errors))[:5]}")
    if tally.latencies_ms:
        print(f"mean {statistics.fmean(tally.latencies_ms):.0f} ms over {len(tally.latencies_ms)} saves")
    return 0 if p95 < 500 and exactly_once and not tally.errors else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.app_load", description=__doc__.splitlines()[0],
                                     epilog="Example:\n  python -m bench.app_load --inspectors 50 --seconds 60")
    parser.add_argument("--inspectors", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think-min-s", type=float, default=5.0)
    parser.add_argument("--think-max-s", type=float, default=15.0)
    args = parser.parse_args(argv)
    return run(args.inspectors, args.seconds, (args.think_min_s, args.think_max_s))


if __name__ == "__main__":
    sys.exit(main())
