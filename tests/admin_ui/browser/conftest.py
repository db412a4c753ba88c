"""A real browser against the app served by uvicorn: Debian's chromium driven by Playwright.

Playwright cannot download its own browsers here, so the tests use ``/usr/bin/chromium``. Without
it they are skipped with the reason, unless ``TESSERA_REQUIRE_BROWSER=1`` (set by ``.ci/run``),
which makes a missing browser a failure. The site is a SQLite file of the test session's own (no
``engine`` fixture), so the PostgreSQL leg (``pytest -m database``) does not run these again.
Screenshots go to ``$TESSERA_BROWSER_ARTIFACTS`` (default: the pytest temporary directory).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
PASSWORD = "browser pass 1"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/admin_ui/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real browser (chromium) against the served app")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not CHROMIUM.exists():
        if os.environ.get("TESSERA_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and TESSERA_REQUIRE_BROWSER=1: install it with apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); browser tests need Debian's chromium")
    return str(CHROMIUM)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory, chromium_path):
    """The web app with the shipped packages and two users, served on a free local port."""
    import uvicorn

    from admin_ui.web.app import create_app
    from admin_ui.web.settings import Settings
    from metadata.registry import shipped_packages
    from runtime.auth import AuthSettings
    from runtime.records.context import SYSTEM
    from runtime.security import assign
    from runtime.site import init_site

    database = tmp_path_factory.mktemp("browser") / "site.sqlite"
    site = init_site(f"sqlite:///{database}", shipped_packages())
    fast = AuthSettings(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1, max_failures=50, lockout=dt.timedelta(minutes=1))
    app = create_app(Settings(auth=fast), site=site)
    services = app.state.services
    def person(username: str, name: str, roles: list[str], profiles: list[str], **values):
        user = services.records.create(SYSTEM, "user", {"username": username, "name": name, "user_kind": "internal", "language": "en", **values})
        services.auth.set_password(user["id"], PASSWORD)
        assign(site, user["id"], roles=roles, profiles=profiles)
        return user

    # the demo's people: a sales manager, a rep reporting to them, and a rep of another team
    manager = person("wang", "Wang Fang", ["manager"], ["sales_manager"])
    rep = person("li", "Li Lei", ["standard_user"], ["sales_rep"], manager=manager["id"])
    other = person("zhao", "Zhao Min", ["standard_user"], ["sales_rep"])
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="none")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not instance.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    yield {"url": f"http://127.0.0.1:{port}", "services": services, "rep": rep, "manager": manager, "other": other}
    instance.should_exit = True
    thread.join(timeout=10)
    site.dispose()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    chosen = os.environ.get("TESSERA_BROWSER_ARTIFACTS")
    path = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def page_for(browser, server):
    """``page_for(username, viewport=None)``: a signed-in page, with CSP violations and errors recorded."""
    contexts = []

    def open_page(username: str = "li", viewport: dict | None = None):
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, locale="en-US")
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("console", lambda message: page.problems.append(message.text) if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
        page.on("pageerror", lambda error: page.problems.append(str(error)))
        page.on("response", lambda response: page.problems.append(f"{response.status} {response.url}") if response.status >= 400 and response.status != 422 else None)
        page.goto(server["url"] + "/login?next=/app")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(server["url"] + "/app")
        page.problems.clear()  # the sign-in page is the app core's; from here on, pages are ours
        return page

    yield open_page
    for context in contexts:
        context.close()
