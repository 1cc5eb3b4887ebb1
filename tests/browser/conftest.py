"""Browser fixtures: one Chromium for the session (Debian's, never a downloaded one), a fresh kiosk server
per test, a fresh browser context per test.

A missing Chromium or Playwright skips the tests from a fixture, so that under ``SKM_REQUIRE_ALL=1``
(``.ci/run``) the skip is reported through the runtest hook of ``tests/conftest.py`` and fails the run.
"""
from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.helpers import KioskServer, init_kiosk

CHROMIUM = Path(os.environ.get("SKM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TABLET = {"width": 1024, "height": 768}
TIMEOUT_MS = 10_000


class Kiosk(KioskServer):
    """A running kiosk server and a reader of its SQLite store, to check what was really stored."""

    @property
    def db_path(self) -> Path:
        return self.instance / "kiosk.db"

    def rows(self, table: str) -> list[dict]:
        assert table in ("responses", "abandonments"), table
        conn = sqlite3.connect(self.db_path, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")]
        finally:
            conn.close()

    def wait_rows(self, table: str, count: int, timeout: float = 10) -> list[dict]:
        """The rows of ``table`` once there are at least ``count`` (a beacon lands after the page moved on)."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.rows(table)
            if len(rows) >= count or time.monotonic() > deadline:
                return rows
            time.sleep(0.05)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set SKM_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def kiosk_factory(tmp_path):
    """Start a kiosk server with a fresh instance (the demo office) and the given settings."""
    servers: list[Kiosk] = []

    def start(**settings) -> Kiosk:
        instance = init_kiosk(tmp_path / f"instance-{len(servers)}")
        server = Kiosk(instance, {"MIN_SURVEY_SECONDS": 0, **settings}).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def kiosk(kiosk_factory) -> Kiosk:
    return kiosk_factory()


def watch(page) -> list[str]:
    """Collect uncaught script errors, Content-Security-Policy refusals and requests to any host but the
    kiosk (no CDN: the office LAN may have no internet): each is a bug on any page of any test."""
    problems: list[str] = []

    def offsite(request) -> None:
        url = urlsplit(request.url)
        if url.scheme not in ("data", "blob", "about") and url.hostname != "127.0.0.1":
            problems.append(f"request to another host: {request.url}")

    page.on("request", offsite)
    page.on("pageerror", lambda error: problems.append(f"uncaught script error: {error}"))
    page.on("console", lambda message: problems.append(f"console: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text else None)
    return problems


@pytest.fixture
def new_page(browser):
    """Open a page in a fresh context (cookies, localStorage, cache): ``new_page(java_script_enabled=False)``."""
    contexts, watched = [], []

    def make(**options):
        context = browser.new_context(**{"viewport": TABLET, **options})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        watched.append(watch(page))
        return page

    yield make
    for context in contexts:
        context.close()
    problems = [p for w in watched for p in w]
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(new_page):
    return new_page()
