"""Several servers (and workers) on one database never serve stale metadata.

Two real ``tessera serve`` processes share one database — the first with two workers. A field
added through one is in the next answer of every other. Marked ``database`` (it takes
``cli_url``), so CI runs it on PostgreSQL too.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from runtime.records.context import SYSTEM
from runtime.security import ADMINISTRATOR, assign
from runtime.site import open_site

PASSWORD = "correct horse"
SERVE = [sys.executable, "-c", "from admin_ui.cli import main; main()", "serve"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"{base} did not start")


@pytest.fixture
def admin_site(cli_url):
    from admin_ui.web.app import build_services
    from admin_ui.web.settings import Settings
    from runtime.auth import AuthSettings

    site = open_site(cli_url)
    services = build_services(Settings(database_url=cli_url, auth=AuthSettings(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1)), site)
    user = services.records.create(SYSTEM, "user", {"username": "setup_admin", "name": "Admin", "language": "en"})
    services.auth.set_password(user["id"], PASSWORD)
    assign(site, user["id"], roles=[ADMINISTRATOR], profiles=[ADMINISTRATOR])
    site.dispose()
    return cli_url


def test_a_change_through_one_server_is_seen_by_the_next_request_of_every_other(admin_site):
    servers = []
    try:
        for workers in (2, 1):
            port = free_port()
            process = subprocess.Popen([*SERVE, "--db", admin_site, "--port", str(port), "--workers", str(workers)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            servers.append((f"http://127.0.0.1:{port}", process))
        for base, process in servers:
            wait_until_up(base, process)
        (first, _), (second, _) = servers
        token = httpx.post(f"{first}/api/v1/auth/token", json={"username": "setup_admin", "password": PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        # each server has read the metadata before the change
        for base in (first, second):
            assert httpx.get(f"{base}/api/v1/objects/user", headers=headers).status_code == 200
        user = httpx.get(f"{second}/api/v1/metadata/objects/user", headers=headers).json()
        user["fields"].append({"api_name": "badge_number", "type": "text", "label": {"en": "Badge Number"}})
        changed = httpx.put(f"{second}/api/v1/metadata/objects/user", json=user, headers=headers, timeout=60)
        assert changed.status_code == 200, changed.text
        for base in (first, first, first, second):  # the first server's two workers answer in turn
            described = httpx.get(f"{base}/api/v1/objects/user", headers=headers).json()
            assert "badge_number" in {field["api_name"] for field in described["fields"]}, base
            paths = httpx.get(f"{base}/api/v1/openapi.json").json()["components"]["schemas"]
            assert any("badge_number" in str(schema) for schema in paths.values()), base
    finally:
        for _, process in servers:
            process.terminate()
            process.wait(timeout=20)
            process.stderr.close()
