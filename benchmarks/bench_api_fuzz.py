"""The large schemathesis run against the generated OpenAPI document (not part of the suite).

    python benchmarks/bench_api_fuzz.py [--url URL] [--examples 1000] [--objects account,department]

The same checks as tests/admin_ui/web/test_api_schemathesis.py — no server error, and every
answer's status, content type and body as documented — with ``--examples`` generated requests per
operation and per mode (valid requests from the documented schemas, and invalid ones), each sent
as an administrator and as a sales rep. The app is called in-process (ASGI); SQLite in a temporary
directory unless ``--url`` names a PostgreSQL database (a schema of its own, dropped afterwards).
Prints, per operation, the requests sent and the time taken, then the failures (none expected).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import schemathesis  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.exceptions import StarletteDeprecationWarning  # noqa: E402

from admin_ui.web.app import create_app  # noqa: E402
from admin_ui.web.settings import Settings  # noqa: E402
from runtime.auth import AuthSettings  # noqa: E402
from runtime.records.context import SYSTEM  # noqa: E402
from runtime.security import ADMINISTRATOR, assign  # noqa: E402
from runtime.site import init_site  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FAST_AUTH = AuthSettings(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1, max_failures=1000, lockout=dt.timedelta(seconds=1))


def engine_for(url: str | None, workdir: Path) -> tuple[sa.Engine, callable]:
    if not url:
        engine = sa.create_engine(f"sqlite:///{workdir / 'fuzz.sqlite'}")
        return engine, engine.dispose
    schema = f"fuzz_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={schema}"})

    def drop() -> None:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return engine, drop


def callers(app) -> dict[str, dict[str, str]]:
    services = app.state.services
    found = {}
    for name, roles, profiles in (("fuzz_admin", [ADMINISTRATOR], [ADMINISTRATOR]), ("fuzz_rep", ["standard_user"], ["sales_rep"])):
        user = services.records.create(SYSTEM, "user", {"username": name, "name": name, "language": "en"})
        services.auth.set_password(user["id"], "pw")
        assign(services.site, user["id"], roles=roles, profiles=profiles)
        with TestClient(app) as client:
            response = client.post("/api/v1/auth/token", json={"username": name, "password": "pw"})
            response.raise_for_status()
        found[name] = {"Authorization": f"Bearer {response.json()['access_token']}", "Accept-Language": "en"}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="PostgreSQL URL (default: SQLite in a temporary directory)")
    parser.add_argument("--examples", type=int, default=1000, help="generated requests per operation and mode")
    parser.add_argument("--objects", default="account,department", help="comma-separated objects whose record operations are run")
    args = parser.parse_args()
    objects = "|".join(name.strip() for name in args.objects.split(",") if name.strip().isidentifier())
    # DELETE /auth/token would revoke the run's own token
    included = rf"^/api/v1/(objects(/\{{object\}})?|objects/({objects})/.*|access/.*|auth/me)$"

    with tempfile.TemporaryDirectory() as workdir:
        engine, close = engine_for(args.url, Path(workdir))
        try:
            app = create_app(Settings(auth=FAST_AUTH), site=init_site(engine))
            headers_of = callers(app)
            api_schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app).include(path_regex=included)
            failures: list[str] = []
            total = 0
            for result in api_schema.get_all_operations():
                operation = result.ok()
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    for caller, headers in headers_of.items():
                        sent = 0

                        @settings(max_examples=args.examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
                        @given(case=operation.as_strategy(generation_mode=mode))
                        def run(case):
                            nonlocal sent
                            sent += 1
                            case.call_and_validate(headers=headers, checks=CHECKS)

                        started = time.perf_counter()
                        try:
                            run()
                        except Exception as error:  # noqa: BLE001 — reported below, the run goes on
                            failures.append(f"{operation.label} ({mode.value}, {caller}): {error}")
                        total += sent
                        print(f"{operation.label:60} {mode.value:8} {caller:10} {sent:6} requests {time.perf_counter() - started:7.1f} s", flush=True)
            print(f"\n{total} requests, {len(failures)} failing operation runs")
            for failure in failures:
                print("\n" + failure)
            if failures:
                raise SystemExit(1)
        finally:
            close()


if __name__ == "__main__":
    main()
