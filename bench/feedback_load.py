"""`python -m bench.feedback_load`: how fast the citizen feedback page (/phan-anh) opens, against baselines.

One command, one run, one table. The bundled Điện Biên demo (`phusong demo --no-serve`: 45 communes, 60 citizen
reports) is loaded into a throwaway cluster (or PHUSONG_BENCH_DATABASE_URL names a database that has it), then
the real app is served by `phusong serve` as the web app's role (phusong_app) and opened in headless Debian
Chromium, logged in as the demo planner, at 1366×768 and 390×844 (a phone). Measured per load, after one warm-up
load per page and size: from navigation start to the page being ready, the first frame after

- the feedback page: the register's rows or cards, the overdue badge, and the reports and commune outlines
  drawn on the map;
- the baselines in the same run: the coverage map (/) with its communes on the canvas and the commune table's
  rows, and the feedback page of the old version (``--old``, default main before this work, 81b6e92) served
  from a `git archive` of that commit against the same database.

The table gives the median and the spread of ``--loads`` loads, the callbacks the page made (count, the slowest
request start → response end, bytes of their answers) and the 1-minute load average before and after, which
matters on shared cores.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from bench._support import bench_database
from sql.cluster import free_loopback_port
from sql.settings import APP_ROLE, PROJECT_ROOT

OLD_REF = "81b6e92"
LOGIN = ("quyhoach", "quyhoach-demo")  # the demo planner (app/demo.py), whole country
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SIZES = {"1366×768": {"viewport": {"width": 1366, "height": 768}},
         "390×844": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}}

# Ready when these hold (evaluated through the DevTools protocol every frame: the CSP forbids eval in the page).
FEEDBACK_READY = """() => {
  const list = document.querySelector('#fb-table .fb-row, #fb-table .fb-card, #fb-table .alert');
  const badge = document.querySelector('#fb-overdue');
  const pane = document.querySelector('#fb-map .leaflet-overlay-pane');
  const drawn = pane && pane.querySelectorAll('path').length >= 2;
  return Boolean(list && badge && badge.textContent && drawn);
}"""
COVERAGE_READY = """() => Boolean(document.querySelector('#map-main .leaflet-overlay-pane canvas') &&
  document.querySelector('#map-table .ag-row'))"""
# Polls ``ready`` every animation frame; answers the time of the first frame painted after it held.
TIME_TO_READY = """async () => {
  const check = READY;
  const frame = () => new Promise(r => requestAnimationFrame(() => r()));
  const deadline = performance.now() + 60000;
  while (!check()) { if (performance.now() > deadline) { return -1; } await frame(); }
  await frame(); await frame();
  return performance.now();
}"""


@dataclass
class Result:
    label: str
    size: str
    seconds: list[float] = field(default_factory=list)
    callbacks: list[tuple[int, float, int]] = field(default_factory=list)  # count, slowest s, bytes


def _load_demo(url: str) -> None:
    env = {**os.environ, "PHUSONG_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "app.cli", "demo", "--no-serve"], env=env, cwd=PROJECT_ROOT, check=True,
                   capture_output=True)


def _as_app_role(url: str) -> str:
    return make_url(url).set(username=APP_ROLE, password=None).render_as_string(hide_password=False)


@contextmanager
def served(root: Path, url: str) -> Iterator[str]:
    """`phusong serve` of the code in ``root`` on a free loopback port; yields its base URL."""
    port = free_loopback_port()
    env = {**os.environ, "PHUSONG_DATABASE_URL": _as_app_role(url), "PHUSONG_PORT": str(port),
           "PYTHONPATH": str(root)}
    env.pop("PHUSONG_TILE_URL", None)
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve"], env=env, cwd=root,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"bench.feedback_load: the app in {root} exited early")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def old_checkout(ref: str) -> Iterator[Path]:
    """The code of ``ref`` (git archive) in a temporary folder."""
    archive = subprocess.run(["git", "archive", "--format=tar", ref], cwd=PROJECT_ROOT, check=True,
                             capture_output=True).stdout
    with tempfile.TemporaryDirectory(prefix="phusong-old-") as folder:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        yield Path(folder)


def measure(browser: Any, base: str, path: str, ready: str, result: Result, loads: int) -> None:
    """``loads`` timed loads of ``base + path`` (after one warm-up) in a fresh logged-in context."""
    context = browser.new_context(**SIZES[result.size])
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#login-name", LOGIN[0])
    page.fill("#login-password", LOGIN[1])
    page.click("#login-submit")
    page.wait_for_selector("#nav-logout", state="attached")
    seen: list[Any] = []
    page.on("requestfinished", lambda r: seen.append(r) if "_dash-update-component" in r.url else None)
    for n in range(loads + 1):
        seen.clear()
        page.goto(f"{base}{path}", wait_until="commit")
        painted = page.evaluate(TIME_TO_READY.replace("READY", ready))
        if painted < 0:
            raise SystemExit(f"bench.feedback_load: {path} was not ready within 60 s")
        page.wait_for_load_state("networkidle")
        if n == 0:
            continue  # warm-up: the server's caches and the browser's
        result.seconds.append(painted / 1000)
        slowest = max((r.timing["responseEnd"] for r in seen), default=0.0) / 1000
        size = sum(r.sizes()["responseBodySize"] for r in seen)
        result.callbacks.append((len(seen), slowest, size))
    context.close()


def load_average() -> float:
    return os.getloadavg()[0]


def run(url: str, loads: int, old_ref: str | None) -> tuple[list[Result], float, float]:
    from playwright.sync_api import sync_playwright

    before = load_average()
    results: list[Result] = []
    with ExitStack() as stack:
        ours = stack.enter_context(served(PROJECT_ROOT, url))
        old = stack.enter_context(served(stack.enter_context(old_checkout(old_ref)), url)) if old_ref else None
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                             args=CHROMIUM_ARGS)
        pages = [("feedback page (this branch)", ours, "/phan-anh", FEEDBACK_READY),
                 ("coverage map / (baseline)", ours, "/", COVERAGE_READY)]
        if old:
            pages.append((f"feedback page at {old_ref} (baseline)", old, "/phan-anh", FEEDBACK_READY))
        for size in SIZES:
            for label, base, path, ready in pages:
                result = Result(label, size)
                measure(browser, base, path, ready, result, loads)
                results.append(result)
        browser.close()
    return results, before, load_average()


def table(results: list[Result], before: float, after: float) -> str:
    lines = [f"{'page':<40} {'size':<9} {'median s':>8} {'min–max s':>11} {'callbacks':>9} "
             f"{'slowest s':>9} {'kB':>6}"]
    for r in results:
        count, slowest, size = (statistics.median(x[i] for x in r.callbacks) for i in range(3))
        lines.append(f"{r.label:<40} {r.size:<9} {statistics.median(r.seconds):>8.2f} "
                     f"{min(r.seconds):>5.2f}–{max(r.seconds):<5.2f} {count:>9.0f} {slowest:>9.2f} "
                     f"{size / 1024:>6.0f}")
    lines.append(f"load average (1 min): {before:.2f} before, {after:.2f} after; {os.cpu_count()} cores")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.feedback_load", description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5, help="timed loads per page and size (default 5)")
    parser.add_argument("--old", default=OLD_REF, help=f"the old version to compare with (default {OLD_REF}); "
                                                       "'none' to skip it")
    args = parser.parse_args(argv)
    with bench_database(_load_demo) as url:
        results, before, after = run(url, args.loads, None if args.old == "none" else args.old)
    print(f"navigation start -> page ready in headless Chromium, {args.loads} loads each (after one warm-up)")
    print(table(results, before, after))
    return 0


if __name__ == "__main__":
    sys.exit(main())
