"""The metadata API and the per-request freshness check, against raw baselines in the same run.

    python benchmarks/bench_setup.py [--url URL] [--rows N] [--reads N]

Targets (issue: setup), each printed with its baseline:

* adding a field to a 1M-row table through the metadata API (``PUT /api/v1/metadata/objects/…``:
  validation, the plan, the DDL, the site layer, the change set, the drift check, one
  transaction) ≤ 1 s — beside ``apply_plan`` of the same change (the migration figure of
  bench_migrations.py) and a bare ``ALTER TABLE … ADD COLUMN`` on an identical table;
* after a change, the per-request metadata freshness check (``Site.refresh`` when nothing moved:
  one single-row read) ≤ 2 % of a record GET — against the GET through the API in the same
  process, and against ``RecordService.get`` alone (the stricter ratio).

The first request after a change also reads the store again and rebuilds what is cached per
metadata version; that one-off cost is printed too.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_migrations import LABEL, changed, fill, raw_table, timed_once  # noqa: E402
from bench_records import make_package  # noqa: E402
from admin_ui.web.app import create_app  # noqa: E402
from admin_ui.web.settings import Settings  # noqa: E402
from metadata.registry import SYSTEM_PACKAGE  # noqa: E402
from runtime.auth import AuthSettings  # noqa: E402
from runtime.migrations import apply_plan, diff  # noqa: E402
from runtime.records.context import SYSTEM, Actor  # noqa: E402
from runtime.security import ADMINISTRATOR, assign  # noqa: E402
from runtime.site import init_site  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def median_seconds(work, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a new SQLite file)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the table a field is added to")
    parser.add_argument("--reads", type=int, default=500, help="samples of the freshness check and of the GET")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        url = args.url or f"sqlite:///{folder / 'bench.sqlite'}"
        engine = sa.create_engine(url)
        if args.url:
            with engine.begin() as connection:
                for table in reversed(sa.inspect(connection).get_table_names()):
                    connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')
        print(f"database: {engine.dialect.name}, Python {sys.version.split()[0]}")
        site = init_site(engine, [SYSTEM_PACKAGE, make_package(folder)])
        app = create_app(Settings(auth=AuthSettings(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1)), site=site)
        services = app.state.services
        user = services.records.create(SYSTEM, "user", {"username": "bench", "name": "Bench"})
        services.auth.set_password(user["id"], "bench")
        assign(site, user["id"], roles=[ADMINISTRATOR], profiles=[ADMINISTRATOR])
        with site.begin() as connection:
            fill(connection, site.table("bench_item"), args.rows)
        raw_engine, raw_copy = raw_table(site, folder)
        with raw_engine.begin() as connection:
            fill(connection, raw_copy, args.rows)
        if engine.dialect.name == "postgresql":
            for target in (engine, raw_engine):
                with target.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.exec_driver_sql("VACUUM ANALYZE")

        with TestClient(app) as client:
            token = client.post("/api/v1/auth/token", json={"username": "bench", "password": "bench"}).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"

            # the same kind of change three ways: the API, apply_plan, a bare ALTER TABLE
            body = client.get("/api/v1/metadata/objects/bench_item").json()
            body["fields"].append({"api_name": "added_by_api", "type": "text", "max_length": 40, "label": LABEL})
            start = time.perf_counter()
            response = client.put("/api/v1/metadata/objects/bench_item", json=body)
            through_api = time.perf_counter() - start
            assert response.status_code == 200, response.text
            assert response.json()["plan"]["operations"] == ["add field bench_item.added_by_api (VARCHAR(40))"], response.text

            plan = diff(site.registry, changed(site.registry, lambda item: item["fields"].append({"api_name": "added", "type": "text", "max_length": 40, "label": LABEL})))
            migration = timed_once(lambda: apply_plan(site, plan))
            quoted = raw_engine.dialect.identifier_preparer.format_table(raw_copy)

            def bare():
                with raw_engine.begin() as connection:
                    connection.exec_driver_sql(f"ALTER TABLE {quoted} ADD COLUMN added VARCHAR(40)")

            alter = timed_once(bare)
            raw_engine.dispose()
            print(
                f"add a field to a {args.rows:,}-row table: metadata API PUT {through_api * 1e3:,.0f} ms (target ≤ 1 s), "
                f"apply_plan {migration * 1e3:,.0f} ms, bare ALTER TABLE {alter * 1e3:,.1f} ms; "
                f"ratio API/apply_plan {through_api / migration:.2f}×, API/ALTER {through_api / alter:.1f}×"
            )

            # after a change: the next request pays one reload, every later one only the check
            record_id = services.records.bulk_create(Actor(user_id=user["id"], language="en"), "bench_item", [{"name": "Probe"}])[0]
            path = f"/api/v1/objects/bench_item/records/{record_id}"
            with engine.begin() as connection:  # as another server's change would: the version moves
                connection.exec_driver_sql("UPDATE tessera_metadata_version SET version = version + 1")
            start = time.perf_counter()
            assert client.get(path).status_code == 200
            first_after_change = time.perf_counter() - start
            actor = Actor(user_id=user["id"], language="en")
            get_api = median_seconds(lambda: client.get(path), args.reads)
            get_direct = median_seconds(lambda: services.records.get(actor, "bench_item", record_id), args.reads)
            check = median_seconds(site.refresh, args.reads)
            print(
                f"freshness check per request: {check * 1e6:,.0f} µs; GET one record through the API {get_api * 1e6:,.0f} µs "
                f"(ratio {check / get_api:.1%}, target ≤ 2 %), RecordService.get {get_direct * 1e6:,.0f} µs (ratio {check / get_direct:.1%})"
            )
            print(f"first request after another server's change (reads the store, rebuilds caches): {first_after_change * 1e3:,.0f} ms")
        site.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
