"""What the app benchmarks share: a throwaway migrated database (or the one PHUSONG_BENCH_DATABASE_URL names), the demo
loaded into it, `phusong serve` on a loopback port, a browser-like log-in and percentiles."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from sql import cluster
from sql.cluster import free_loopback_port
from sql.migrate import migrate
from sql.settings import PROJECT_ROOT, to_psycopg2_url


@contextmanager
def bench_database(prepare: Callable[[str], None]) -> Iterator[str]:
    """Yield a database URL: the given one as it is, or a private cluster's migrated database after ``prepare``."""
    given = os.environ.get("PHUSONG_BENCH_DATABASE_URL")
    if given:
        yield to_psycopg2_url(given)
        return
    with cluster.throwaway("phusong-bench-pg-") as port:
        admin = create_engine(f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres",
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('CREATE DATABASE "phusong_bench"'))
        admin.dispose()
        url = f"postgresql+psycopg2://postgres@127.0.0.1:{port}/phusong_bench"
        engine = create_engine(url)
        migrate(engine)
        engine.dispose()
        prepare(url)
        yield url


def load_demo(url: str) -> None:
    """`phusong demo --no-serve` into the database at ``url``."""
    env = {**os.environ, "PHUSONG_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "app.cli", "demo", "--no-serve"], env=env, cwd=PROJECT_ROOT,
                   check=True, capture_output=True, timeout=900)


@contextmanager
def served_app(url: str, args: tuple[str, ...] = (), root: Path = PROJECT_ROOT) -> Iterator[str]:
    """`phusong serve` (with ``args``, e.g. ("--workers", "2")) on a free loopback port; yields its base URL.
    ``root``: the source tree to serve (another checkout, to compare with in the same run)."""
    port = free_loopback_port()
    env = {**os.environ, "PHUSONG_DATABASE_URL": url, "PHUSONG_PORT": str(port)}
    env.pop("PHUSONG_TILE_URL", None)
    log = open(Path(tempfile.gettempdir()) / f"phusong-bench-serve-{port}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", *args], env=env, cwd=root,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=90)  # gunicorn lets requests in flight finish (graceful_timeout 30 s)
        log.close()


def wait_for_port(port: int, seconds: float = 60) -> None:
    """Return once something listens on 127.0.0.1:``port``, or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)


def log_in(base: str, name: str, password: str) -> requests.Session:
    """Log in through the login form as a browser does: its CSRF token first, then the name and password."""
    session = requests.Session()
    for _ in range(3):  # a login form answered with an error under the log-in rush: said, then asked again
        got = session.get(f"{base}/login", timeout=30)
        if 'name="csrf_token" value="' in got.text:
            break
        print(f"login form for {name}: HTTP {got.status_code} {got.text[:200]!r}", file=sys.stderr, flush=True)
        time.sleep(1)
    token = got.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = session.post(f"{base}/login", data={"name": name, "password": password, "csrf_token": token},
                          allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        raise RuntimeError(f"login of {name} failed: {answer.status_code}")
    return session


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")
