"""An end-user list page against the API list call for the same rows, over many records.

    python benchmarks/bench_pages.py [--url URL] [--records N] [--repeat N]

The shipped packages are installed and N accounts (default 100,000) are written straight into
the table with Core. Then, in the same run and through the same HTTP stack (Starlette's test
client, a bearer token resolved by the identity middleware on every request):

* the list page ``/app/sales/account`` (HTML: query, reference names, per-locale formatting,
  filters and columns from metadata, the Jinja template), 50 rows sorted by name;
* its ``.json`` twin (the same data without the template);
* the API call ``/api/v1/objects/account/records`` for the same 50 rows and sort — the baseline.

Target: the page within 2× the API call. SQLite in a temporary directory unless ``--url``
names another database (its tables are dropped first).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import warnings
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from admin_ui.web.app import create_app  # noqa: E402
from admin_ui.web.settings import Settings  # noqa: E402
from metadata.registry import shipped_packages  # noqa: E402
from runtime.auth import AuthSettings  # noqa: E402
from runtime.ids import new_id  # noqa: E402
from runtime.records.context import SYSTEM  # noqa: E402
from runtime.site import init_site  # noqa: E402

INDUSTRIES = ["agriculture", "mining", "manufacturing", "utilities", "construction"]


def seed(site, owner: str, count: int) -> None:
    table = site.tables["account"]
    now = dt.datetime.now(dt.timezone.utc)
    chunk = []
    with site.begin() as connection:
        for index in range(count):
            chunk.append(
                {
                    "id": new_id(), "name": f"Account {index:07d}", "account_number": f"ACC-{index:07d}",
                    "industry": INDUSTRIES[index % len(INDUSTRIES)], "status": None, "level": None, "source": None,
                    "owner": owner, "business_type": "enterprise", "created_by": owner, "updated_by": owner,
                    "created_at": now, "updated_at": now, "version": 1, "deleted_at": None,
                }
            )
            if len(chunk) == 5000:
                connection.execute(sa.insert(table), chunk)
                chunk = []
        if chunk:
            connection.execute(sa.insert(table), chunk)


def timed(work, repeat: int) -> float:
    """Seconds per call, best of three rounds of ``repeat`` calls."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeat):
            work()
        best = min(best, (time.perf_counter() - start) / repeat)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: SQLite in a temporary directory)")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        url = args.url or f"sqlite:///{Path(scratch) / 'bench.sqlite'}"
        engine = sa.create_engine(url)
        if args.url:
            meta = sa.MetaData()
            meta.reflect(engine)
            meta.drop_all(engine)
        site = init_site(engine, shipped_packages())
        auth = AuthSettings(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1)
        app = create_app(Settings(auth=auth), site=site)
        services = app.state.services
        user = services.records.create(SYSTEM, "user", {"username": "bench", "name": "Bench", "user_kind": "internal"})
        services.auth.set_password(user["id"], "bench")
        from runtime.security import ADMINISTRATOR, assign

        assign(site, user["id"], roles=[ADMINISTRATOR], profiles=[ADMINISTRATOR])
        started = time.perf_counter()
        seed(site, user["id"], args.records)
        print(f"seeded {args.records:,} accounts in {time.perf_counter() - started:.1f} s ({engine.dialect.name})")

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from starlette.testclient import TestClient

        with TestClient(app) as client:
            token = client.post("/api/v1/auth/token", json={"username": "bench", "password": "bench"}).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}", "Accept-Language": "zh"}
            page_params = {"sort": "name"}
            api_params = {"sort": "name", "limit": "50"}
            page = client.get("/app/sales/account.json", params=page_params, headers=headers).json()
            api = client.get("/api/v1/objects/account/records", params=api_params, headers=headers).json()
            page_ids = [row["id"] for row in page["rows"]]
            assert page_ids == [record["id"] for record in api["records"]] and len(page_ids) == 50, "the page and the API must show the same rows"
            html = client.get("/app/sales/account", params=page_params, headers=headers)
            assert html.status_code == 200 and "Account 0000049" in html.text

            api_seconds = timed(lambda: client.get("/api/v1/objects/account/records", params=api_params, headers=headers), args.repeat)
            twin_seconds = timed(lambda: client.get("/app/sales/account.json", params=page_params, headers=headers), args.repeat)
            html_seconds = timed(lambda: client.get("/app/sales/account", params=page_params, headers=headers), args.repeat)
        site.dispose()

    print(f"{'case':<34}{'time':>12}{'ratio to API':>15}")
    print(f"{'API list call (baseline)':<34}{api_seconds * 1e3:>9.2f} ms{1:>14.2f}×")
    print(f"{'list page, .json twin':<34}{twin_seconds * 1e3:>9.2f} ms{twin_seconds / api_seconds:>14.2f}×")
    print(f"{'list page, HTML (target ≤ 2×)':<34}{html_seconds * 1e3:>9.2f} ms{html_seconds / api_seconds:>14.2f}×")


if __name__ == "__main__":
    main()
