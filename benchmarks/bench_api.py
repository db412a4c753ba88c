"""The web API against the record pipeline called directly, and against raw SQLAlchemy Core.

    python benchmarks/bench_api.py [--url URL] [--reads N] [--creates N] [--import-rows N] [--scratch DIR]

Measured in the same run, on a 12-field object (a formula, a validation rule, a picklist):

* GET one record and a 50-row sorted page through the whole HTTP stack (uvicorn in its own process
  on loopback, a keep-alive client: HTTP parsing, routing, the identity middleware resolving the
  bearer token and the user, JSON encoding) against ``RecordService.get`` / ``find`` called
  directly for the same actor: the cost of the web layer;
* creates per second through the same server (one POST, one pipeline transaction and commit per
  request, one request at a time) against one-row Core INSERT + COMMIT per row (target ≥ 0.5×)
  and against the bare server below doing the same insert (target ≥ 0.8×);
* a CSV import of N rows (default 10,000; parsed, mapped, through the pipeline, one transaction)
  against Core ``executemany`` of the same, already-typed rows (target ≥ 0.3×).

The client is the standard library's ``http.client`` on one keep-alive connection: the figure is
the server's, and a heavier client (httpx costs about 0.5 ms of its own per request here) would
only add its own time to every request on a 2-core machine. Creates and imports are measured in
interleaved rounds (API, pipeline, Core; then again), and the ratios are the median of the
rounds' ratios, so a disk or a neighbour that slows down for a while weighs on both sides alike.

SQLite (a new file in a temporary directory) unless ``--url`` names another database, whose
tables are dropped and recreated.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import http.client
import io
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from admin_ui.web.app import create_app  # noqa: E402
from admin_ui.web.settings import Settings  # noqa: E402
from metadata.registry import SYSTEM_PACKAGE  # noqa: E402
from runtime.auth import AuthSettings  # noqa: E402
from runtime.ids import new_id  # noqa: E402
from runtime.records.context import SYSTEM, Actor  # noqa: E402
from runtime.site import init_site  # noqa: E402
from runtime.transfer import import_csv  # noqa: E402

PACKAGE = """\
name: apibench
namespace: apibench
version: 1.0.0
label: {en: API bench, zh: 接口基准}
depends: [{name: system, version: ">=1.0"}]
"""

OBJECT = """\
api_name: apibench_ticket
label: {en: Ticket, zh: 工单}
plural_label: {en: Tickets, zh: 工单}
name_field: name
features: {owner: true, history: true, recycle_bin: true}
fields:
  - {api_name: name, type: text, label: {en: Name, zh: 名称}, required: true}
  - {api_name: code, type: text, label: {en: Code, zh: 代码}, max_length: 40}
  - {api_name: email, type: email, label: {en: Email, zh: 邮箱}}
  - {api_name: quantity, type: integer, label: {en: Quantity, zh: 数量}, min_value: 0}
  - {api_name: score, type: integer, label: {en: Score, zh: 分数}, indexed: true}
  - {api_name: price, type: currency, label: {en: Price, zh: 价格}}
  - {api_name: due_on, type: date, label: {en: Due, zh: 到期}}
  - {api_name: active, type: checkbox, label: {en: Active, zh: 有效}, default: true}
  - api_name: status
    type: picklist
    label: {en: Status, zh: 状态}
    default: open
    values:
      - {api_name: open, label: {en: Open, zh: 打开}}
      - {api_name: closed, label: {en: Closed, zh: 关闭}}
  - {api_name: total, type: formula, label: {en: Total, zh: 合计}, return_type: currency, expression: "price * quantity"}
validation_rules:
  - api_name: price_needs_quantity
    condition: "price > 0 && quantity = 0"
    message: {en: A priced ticket needs a quantity., zh: 有价格的工单必须有数量。}
"""

SERVER = """
import sys
import uvicorn
from admin_ui.web.app import create_app
from admin_ui.web.settings import Settings
uvicorn.run(create_app(Settings(database_url=sys.argv[1], initialise=False)), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", timeout_keep_alive=600)
"""

# The floor: the least a Python web server can do for one create, on the same machine, database,
# table and uvicorn: read the body, parse the JSON, one Core INSERT + COMMIT on a worker thread,
# answer 201 with the row as JSON. No authentication, validation, history or read-back. What
# the API costs above it is the platform's; what this costs above a Core commit is the web's.
# Both servers keep an idle connection for 10 minutes (uvicorn's default is 5 s): the client's
# one connection waits while the direct measurements run, longer than that on a busy machine.
BARE_SERVER = """
import asyncio, concurrent.futures, datetime as dt, json, sys
from decimal import Decimal
import sqlalchemy as sa
import uvicorn
from runtime.ids import new_id
from runtime.site import configure_engine

engine = configure_engine(sys.argv[1])
insert = sa.insert(sa.Table("apibench_ticket", sa.MetaData(), autoload_with=engine))
owner = sys.argv[3]
pool = concurrent.futures.ThreadPoolExecutor(4)

def write(data):
    now = dt.datetime.now(dt.timezone.utc)
    row = dict(data, price=Decimal(data["price"]), due_on=dt.date.fromisoformat(data["due_on"]), id=new_id(), owner=owner,
               business_type=None, created_by=owner, updated_by=owner, created_at=now, updated_at=now, version=1, deleted_at=None)
    with engine.begin() as connection:
        connection.execute(insert, row)
    return row

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    row = await asyncio.get_running_loop().run_in_executor(pool, write, json.loads(body))
    answer = json.dumps(row, default=str).encode()
    await send({"type": "http.response.start", "status": 201,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]})
    await send({"type": "http.response.body", "body": answer})

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", timeout_keep_alive=600)
"""

FIELDS = ["name", "code", "email", "quantity", "score", "price", "due_on", "active", "status"]


def json_row(index: int) -> dict:
    return {
        "name": f"Ticket {index}",
        "code": f"T{index:07d}",
        "email": f"user{index}@example.org",
        "quantity": 1 + index % 50,
        "score": (index * 7919) % 1000,
        "price": f"{(index % 997) + 0.5:.2f}",
        "due_on": "2026-05-01",
        "active": index % 3 != 0,
        "status": "open" if index % 4 else "closed",
    }


def typed_row(index: int, user_id: str, now: dt.datetime) -> dict:
    from decimal import Decimal

    data = json_row(index)
    data.update(price=Decimal(data["price"]), due_on=dt.date(2026, 5, 1))
    return {
        **data,
        "id": new_id(),
        "owner": user_id,
        "business_type": None,
        "created_by": user_id,
        "updated_by": user_id,
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "deleted_at": None,
    }


class Client:
    """One keep-alive HTTP/1.1 connection sending JSON (the standard library's, the lightest at hand)."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port)
        self.headers = {"Accept-Language": "en"}

    def request(self, method: str, path: str, body=None) -> tuple[int, dict]:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        return response.status, json.loads(payload) if payload else {}

    def close(self) -> None:
        self.connection.close()


def timed(work, repeat: int) -> float:
    """Seconds per call, best of three rounds of ``repeat`` calls."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeat):
            work()
        best = min(best, (time.perf_counter() - start) / repeat)
    return best


def per_second(work, items: list) -> float:
    """How many of ``items`` ``work`` handles per second, one after another."""
    start = time.perf_counter()
    for item in items:
        work(item)
    return len(items) / (time.perf_counter() - start)


def poster(client: Client, path: str):
    """POST one JSON body to ``path``, expecting 201."""

    def post(body: dict) -> None:
        status, answer = client.request("POST", path, body)
        assert status == 201, answer

    return post


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(script: str, *args: str) -> tuple[subprocess.Popen, int]:
    """A uvicorn server running ``script`` in its own process, once it accepts connections."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", script, args[0], str(port), *args[1:]], cwd=str(Path(__file__).resolve().parent.parent))
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, port
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise SystemExit("a benchmark server did not start") from None
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: SQLite in a temporary directory)")
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--creates", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds the creates are split into")
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--import-rounds", type=int, default=3)
    parser.add_argument(
        "--scratch", help="directory for the SQLite file (default: the system's temporary directory); "
        "a memory file system (/dev/shm) takes the disk's commit time out and leaves what the code costs",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.scratch) as scratch:
        root = Path(scratch)
        package = root / "apibench"
        (package / "objects").mkdir(parents=True)
        (package / "package.yaml").write_text(PACKAGE, encoding="utf-8")
        (package / "objects" / "apibench_ticket.yaml").write_text(OBJECT, encoding="utf-8")
        url = args.url or f"sqlite:///{root / 'bench.sqlite'}"
        engine = sa.create_engine(url)
        if args.url:
            meta = sa.MetaData()
            meta.reflect(engine)
            meta.drop_all(engine)
        site = init_site(engine, [SYSTEM_PACKAGE, package])
        auth = AuthSettings(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1)
        app = create_app(Settings(auth=auth), site=site)
        services = app.state.services
        records = services.records
        user = records.create(SYSTEM, "user", {"username": "bench", "name": "Bench"})
        services.auth.set_password(user["id"], "bench")
        try:
            from runtime.security import ADMINISTRATOR, assign

            assign(site, user["id"], roles=[ADMINISTRATOR], profiles=[ADMINISTRATOR])
        except ImportError:
            pass
        actor = Actor(user_id=user["id"], language="en")
        ids = records.bulk_create(actor, "apibench_ticket", [json_row(index) for index in range(2000)])

        # the servers in processes of their own, as deployed: client and server do not share a GIL
        server, port = start_server(SERVER, url)
        bare, bare_port = start_server(BARE_SERVER, url, user["id"])
        try:
            client = Client(port)
            bare_client = Client(bare_port)
            token = client.request("POST", "/api/v1/auth/token", {"username": "bench", "password": "bench"})[1]["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            results = []
            target = ids[len(ids) // 2]
            one = f"/api/v1/objects/apibench_ticket/records/{target}"
            assert client.request("GET", one)[0] == 200
            http_get = timed(lambda: client.request("GET", one), args.reads)
            direct_get = timed(lambda: records.get(actor, "apibench_ticket", target), args.reads)
            results.append(("GET one record", http_get, direct_get, "RecordService.get"))
            page = "/api/v1/objects/apibench_ticket/records?sort=-score&limit=50&filter=" + quote('{"status": "open"}')
            assert len(client.request("GET", page)[1]["records"]) == 50
            http_list = timed(lambda: client.request("GET", page), args.reads // 3)
            direct_list = timed(lambda: records.find(actor, "apibench_ticket", filter={"status": "open"}, sort=["-score"], limit=50), args.reads // 3)
            results.append(("GET a 50-row page", http_list, direct_list, "RecordService.find"))

            # creates, in interleaved rounds: through the API (one POST, one pipeline transaction
            # and commit each), through RecordService.create directly, through the bare server
            # (one POST, one Core INSERT + COMMIT each) and Core INSERT + COMMIT
            table = site.tables["apibench_ticket"]
            now = dt.datetime.now(dt.timezone.utc)
            per_round = max(1, args.creates // args.rounds)
            serial = iter(range(1_000_000, 10_000_000))
            rounds = []

            def core_commit(row: dict) -> None:
                with engine.begin() as connection:
                    connection.execute(sa.insert(table), row)

            for _ in range(args.rounds):
                api_rate = per_second(poster(client, "/api/v1/objects/apibench_ticket/records"), [json_row(next(serial)) for _ in range(per_round)])
                direct_rate = per_second(lambda body: records.create(actor, "apibench_ticket", body), [json_row(next(serial)) for _ in range(per_round)])
                bare_rate = per_second(poster(bare_client, "/"), [json_row(next(serial)) for _ in range(per_round)])
                core_rate = per_second(core_commit, [typed_row(next(serial), user["id"], now) for _ in range(per_round)])
                rounds.append((api_rate, direct_rate, bare_rate, core_rate))
            client.close()
            bare_client.close()
        finally:
            for process in (server, bare):
                process.terminate()
                process.wait()

        # CSV import against Core executemany, in interleaved rounds
        imports = []
        for _ in range(args.import_rounds):
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(FIELDS)
            for _ in range(args.import_rows):
                row = json_row(next(serial))
                writer.writerow([("true" if row[name] else "false") if name == "active" else row[name] for name in FIELDS])
            data = buffer.getvalue().encode("utf-8")
            start = time.perf_counter()
            result = import_csv(records, actor, "apibench_ticket", data)
            import_seconds = time.perf_counter() - start
            assert result.created == args.import_rows, result
            typed = [typed_row(next(serial), user["id"], now) for _ in range(args.import_rows)]
            start = time.perf_counter()
            with engine.begin() as connection:
                connection.execute(sa.insert(table), typed)
            core_seconds = time.perf_counter() - start
            imports.append((args.import_rows / import_seconds, args.import_rows / core_seconds))
        site.dispose()

    import importlib.util

    # uvicorn picks httptools and uvloop when installed (project dependencies), else h11 and asyncio
    parser_name = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop_name = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    print(f"database: {engine.dialect.name}; server: uvicorn with {parser_name} and {loop_name}")
    print(f"{'case':<24}{'through the API':>18}{'direct':>14}{'ratio':>9}  baseline")
    for name, http_seconds, direct_seconds, baseline in results:
        print(f"{name:<24}{http_seconds * 1e3:>15.2f} ms{direct_seconds * 1e3:>11.2f} ms{http_seconds / direct_seconds:>8.2f}×  {baseline}")
    median = statistics.median
    api, direct, bare_rate, core = (median(values) for values in zip(*rounds))
    print(f"creates: {args.rounds} rounds of {per_round}; rates are medians, ratios the median of the rounds' ratios")
    print(f"{'creates per second':<24}{api:>18.0f}{core:>14.0f}{median(a / c for a, _, _, c in rounds):>8.2f}×  Core INSERT + COMMIT per row (target ≥ 0.5×)")
    print(f"{'  (pipeline alone)':<24}{direct:>18.0f}{core:>14.0f}{median(d / c for _, d, _, c in rounds):>8.2f}×  RecordService.create per row, no HTTP")
    print(f"{'  (bare server)':<24}{bare_rate:>18.0f}{core:>14.0f}{median(b / c for _, _, b, c in rounds):>8.2f}×  the floor: JSON in, one Core INSERT + COMMIT, JSON out")
    print(f"{'creates, API / bare':<24}{api:>18.0f}{bare_rate:>14.0f}{median(a / b for a, _, b, _ in rounds):>8.2f}×  the bare server, same database and uvicorn (target ≥ 0.8×)")
    print("  rounds (API / pipeline / bare server / Core per second): " + "; ".join(f"{a:.0f} / {d:.0f} / {b:.0f} / {c:.0f}" for a, d, b, c in rounds))
    import_rate, core_import_rate = (median(values) for values in zip(*imports))
    print(f"{'CSV import rows/s':<24}{import_rate:>18.0f}{core_import_rate:>14.0f}{median(i / c for i, c in imports):>8.2f}×  Core executemany (target ≥ 0.3×)")
    print("  rounds (import / Core rows per second): " + "; ".join(f"{i:.0f} / {c:.0f}" for i, c in imports))

if __name__ == "__main__":
    main()
