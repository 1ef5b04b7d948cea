"""Browser fixtures: the real app served from a subprocess on a free port, driven by Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from sql.settings import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
# Chromium in a closed network: without these it keeps trying to reach Google's hosts.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited early:\n{log.read_text()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the app did not listen on {port} within {timeout_s} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def demo_database(fresh_database: Callable[[], str]) -> str:
    """A database of its own with the bundled Điện Biên demo loaded through `phusong demo --no-serve`."""
    url = fresh_database()
    env = {**os.environ, "PHUSONG_DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "app.cli", "demo", "--no-serve"], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return url


@pytest.fixture(scope="session")
def app_url(demo_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served by `phusong serve` against the demo database."""
    port = _free_port()
    log = tmp_path_factory.mktemp("app") / "serve.log"
    env = {**os.environ, "PHUSONG_DATABASE_URL": demo_database, "PHUSONG_PORT": str(port)}
    env.pop("PHUSONG_TILE_URL", None)  # the tests run with no internet, as the app must
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve"], env=env, cwd=PROJECT_ROOT,
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
        create_engine(demo_database).dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
