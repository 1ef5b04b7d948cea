"""Browser fixtures: the real app served from a subprocess on a free port, driven by Debian's Chromium."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, make_url

from sql.cluster import free_loopback_port
from sql.settings import APP_ROLE, PROJECT_ROOT, get_settings

CHROMIUM = "/usr/bin/chromium"
DEMO_COMMUNES = PROJECT_ROOT / "gis_data" / "dien_bien" / "communes_2025.geojson"
SCREENSHOTS = PROJECT_ROOT / "out" / "screenshots"
# The demo logins `phusong demo` creates (app/demo.py).
LOGINS = {"planner": ("quyhoach", "quyhoach-demo"), "inspector": ("kiemtra", "kiemtra-demo"),
          "budget": ("taichinh", "taichinh-demo"), "admin": ("quantri", "quantri-demo")}
# Chromium in a closed network: without these it keeps trying to reach Google's hosts.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


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


@pytest.fixture()
def demo_env(demo_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The session's demo database as the settings' database (in-process app code reads it)."""
    monkeypatch.setenv("PHUSONG_DATABASE_URL", demo_database)
    get_settings.cache_clear()
    yield demo_database
    get_settings.cache_clear()


@pytest.fixture()
def demo_communes(use_database: str, capsys: pytest.CaptureFixture[str]) -> Iterator[Engine]:
    """This test's own database holding only the demo's 45 communes, loaded and not analysed yet: no other
    process (the app served for the browser tests) works on it."""
    from app.cli import main

    assert main(["load", "boundaries", str(DEMO_COMMUNES), "--version", "2025", "--level", "commune",
                 "--no-refresh"]) == 0
    capsys.readouterr()
    engine = create_engine(use_database)
    yield engine
    engine.dispose()


def as_app_role(url: str) -> str:
    """The same database reached as phusong_app, the web app's least-rights role (on the suite's own cluster,
    which trusts loopback, as the embedded cluster does; a given server keeps its URL)."""
    if os.environ.get("PHUSONG_TEST_DATABASE_URL"):
        return url
    return make_url(url).set(username=APP_ROLE, password=None).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def app_url(demo_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served by `phusong serve` against the demo database, connected as phusong_app as in production."""
    port = free_loopback_port()
    log = tmp_path_factory.mktemp("app") / "serve.log"
    env = {**os.environ, "PHUSONG_DATABASE_URL": as_app_role(demo_database), "PHUSONG_PORT": str(port)}
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


def log_in(browser: Any, app_url: str, role: str, **context: Any) -> Any:
    """A new page in its own browser context, logged in as the demo user of ``role``; outside requests refused."""
    page = browser.new_context(**context).new_page()
    page.blocked = []  # any request leaving the machine would fail in the field: recorded and refused
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(app_url)
               else (page.blocked.append(route.request.url), route.abort()))
    page.goto(f"{app_url}/login")
    name, password = LOGINS[role]
    page.fill("#login-name", name)
    page.fill("#login-password", password)
    page.click("#login-submit")
    page.wait_for_selector("#nav-logout", state="attached", timeout=30_000)
    return page


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page PNG under out/screenshots/ for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def page_module(name: str) -> Any:
    """A page of the app as Dash loaded it from the pages folder (`pages.<name>`, once an app is made): importing
    `app.pages.<name>` instead registers the page's path a second time, and every app made afterwards in the
    process answers 500 (Dash's duplicate-path check on its first request)."""
    return sys.modules[f"pages.{name}"]


@pytest.fixture()
def flask_client(demo_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The app in this process against the demo database, for calling routes and callbacks as another user."""
    monkeypatch.setenv("PHUSONG_DATABASE_URL", demo_database)
    get_settings.cache_clear()
    from app.app import create_app

    app = create_app()
    app.server.config["TESTING"] = True
    client = app.server.test_client()
    client.dash_app = app  # type: ignore[attr-defined]
    client.get("/login")  # Dash moves the pages' callbacks into the app on its first request
    yield client
    get_settings.cache_clear()


def csrf_of(html_text: str) -> str:
    """The CSRF token of a page's form (the hidden csrf_token field)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html_text)
    assert found, "no CSRF token in the page"
    return found.group(1)


def form_login(client: Any, name: str, password: str, *, next_path: str | None = None, **kwargs: Any) -> Any:
    """Log in through the login form as a browser does: fetch the form (and its CSRF token), then post it."""
    url = f"/login?next={next_path}" if next_path else "/login"
    token = csrf_of(client.get(url, **kwargs).get_data(as_text=True))
    return client.post(url, data={"name": name, "password": password, "csrf_token": token}, **kwargs)


def session_as(client: Any, name: str) -> str:
    """Make ``client`` a logged-in ``name`` without the password: a real server-side session, as a login makes
    (for tests that act as many users in turn). Returns the session id."""
    from app.sessions import start_session
    from sql.engine import connect

    with connect() as conn:
        session_id = start_session(conn, name, ip="127.0.0.1", user_agent="pytest")
    with client.session_transaction() as session:
        session.clear()
        session["sid"] = session_id
    return session_id


def wait_until(page: Any, expression: str, *, arg: Any = None, timeout: float = 30_000) -> None:
    """Wait until ``expression`` (JavaScript, optionally a function of ``arg``) is true in the page.

    Playwright's wait_for_function evaluates its predicate with eval inside the page, which the app's
    Content-Security-Policy refuses (as it should); page.evaluate goes through the DevTools protocol instead.
    """
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout / 1000:.0f} s waiting for: {expression}")
        page.wait_for_timeout(100)
