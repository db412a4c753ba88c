"""The record pipeline and the query layer, against raw SQLAlchemy Core on the same table.

    python benchmarks/bench_records.py [--url URL] [--bulk N] [--rows N] [--gets N]

Targets (issue: records and queries), each measured against raw Core in the same run:

* bulk create through the full pipeline (coercion, business-type rules, defaults, two validation
  rules, a formula field, auto-number, history, one transaction per batch) of a 20-field object:
  ≥ 0.30× the throughput of Core ``executemany`` inserting the same, already-typed rows;
* get by id: ≤ 2× a Core ``SELECT … WHERE id = ?`` of the same columns;
* a 50-row filtered, sorted page over 1M rows (first page and a keyset page): ≤ 2× the same
  Core SELECT (same WHERE, ORDER BY and LIMIT) written by hand.

SQLite (a new file in a temporary directory) unless ``--url`` names another database, whose
tables are dropped and recreated.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from metadata.registry import SYSTEM_PACKAGE  # noqa: E402
from runtime.ids import new_id  # noqa: E402
from runtime.records import Actor, RecordService  # noqa: E402
from runtime.site import init_site  # noqa: E402

PACKAGE = """\
name: bench
namespace: bench
version: 1.0.0
label: {en: Bench, zh: 基准}
depends: [{name: system, version: ">=1.0"}]
"""

OBJECT = """\
api_name: bench_item
label: {en: Item, zh: 条目}
plural_label: {en: Items, zh: 条目}
name_field: name
features: {owner: true, history: true, recycle_bin: true}
fields:
  - {api_name: name, type: text, label: {en: Name, zh: 名称}, required: true}
  - {api_name: code, type: text, label: {en: Code, zh: 代码}, max_length: 40}
  - {api_name: city, type: text, label: {en: City, zh: 城市}, max_length: 80}
  - {api_name: email, type: email, label: {en: Email, zh: 邮箱}}
  - {api_name: phone, type: phone, label: {en: Phone, zh: 电话}}
  - {api_name: notes, type: textarea, label: {en: Notes, zh: 备注}}
  - {api_name: quantity, type: integer, label: {en: Quantity, zh: 数量}, min_value: 0}
  - {api_name: rank, type: integer, label: {en: Rank, zh: 排名}}
  - {api_name: score, type: integer, label: {en: Score, zh: 分数}}
  - {api_name: amount, type: currency, label: {en: Amount, zh: 金额}, indexed: true, track_history: true}
  - {api_name: price, type: currency, label: {en: Price, zh: 价格}}
  - {api_name: weight, type: number, label: {en: Weight, zh: 重量}, scale: 3}
  - {api_name: share, type: percent, label: {en: Share, zh: 占比}}
  - {api_name: due_on, type: date, label: {en: Due, zh: 到期}}
  - {api_name: started_on, type: date, label: {en: Started, zh: 开始}}
  - {api_name: seen_at, type: datetime, label: {en: Seen, zh: 查看时间}}
  - {api_name: active, type: checkbox, label: {en: Active, zh: 有效}, default: true}
  - {api_name: flagged, type: checkbox, label: {en: Flagged, zh: 标记}}
  - api_name: status
    type: picklist
    label: {en: Status, zh: 状态}
    default: open
    track_history: true
    values:
      - {api_name: open, label: {en: Open, zh: 打开}}
      - {api_name: closed, label: {en: Closed, zh: 关闭}}
      - {api_name: held, label: {en: Held, zh: 搁置}}
  - api_name: tier
    type: picklist
    label: {en: Tier, zh: 等级}
    values:
      - {api_name: gold, label: {en: Gold, zh: 金}}
      - {api_name: silver, label: {en: Silver, zh: 银}}
  - {api_name: total, type: formula, label: {en: Total, zh: 合计}, return_type: currency, expression: "price * quantity"}
validation_rules:
  - api_name: price_needs_quantity
    condition: "price > 0 && quantity = 0"
    message: {en: A priced item needs a quantity., zh: 有价格的条目必须有数量。}
  - api_name: closed_needs_due
    condition: "ISPICKVAL(status, 'closed') && ISBLANK(due_on)"
    message: {en: Closed items need a due date., zh: 已关闭条目必须有到期日。}
"""

STATUSES = ["open", "closed", "held"]


def make_package(root: Path) -> Path:
    package = root / "bench"
    (package / "objects").mkdir(parents=True)
    (package / "package.yaml").write_text(PACKAGE, encoding="utf-8")
    (package / "objects" / "bench_item.yaml").write_text(OBJECT, encoding="utf-8")
    return package


def json_row(index: int, rng: random.Random) -> dict:
    """One record as an API client would send it (JSON values)."""
    status = STATUSES[index % 3]
    return {
        "name": f"Item {index}",
        "code": f"C{index:07d}",
        "city": rng.choice(["Shanghai", "Beijing", "Chengdu", "Lyon"]),
        "email": f"user{index}@example.org",
        "phone": "+86 21 5555 0000",
        "notes": "Some notes about the item.",
        "quantity": rng.randint(1, 50),
        "rank": index % 100,
        "score": rng.randint(0, 1000),
        "amount": f"{rng.randint(0, 1_000_000) / 100:.2f}",
        "price": f"{rng.randint(1, 10_000) / 100:.2f}",
        "weight": rng.randint(0, 100_000) / 1000,
        "share": rng.randint(0, 100),
        "due_on": "2026-05-01",
        "started_on": "2026-01-15",
        "seen_at": "2026-03-01T10:00:00Z",
        "active": True,
        "flagged": index % 7 == 0,
        "status": status,
        "tier": "gold" if index % 2 else "silver",
    }


def typed_row(index: int, rng: random.Random, now: dt.datetime) -> dict:
    """The same record as the columns hold it, with system columns: what raw Core inserts."""
    data = json_row(index, rng)
    return {
        **data,
        "id": new_id(),
        "amount": Decimal(data["amount"]),
        "price": Decimal(data["price"]),
        "weight": Decimal(str(data["weight"])).quantize(Decimal("0.001")),
        "share": Decimal(data["share"]).quantize(Decimal("0.01")),
        "due_on": dt.date(2026, 5, 1),
        "started_on": dt.date(2026, 1, 15),
        "seen_at": now,
        "owner": None,
        "created_by": None,
        "updated_by": None,
        "created_at": now,
        "updated_at": now,
        "business_type": None,
        "version": 1,
        "deleted_at": None,
    }


def timed(function, repeat: int = 3) -> float:
    """The best of ``repeat`` runs, in seconds."""
    results = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        results.append(time.perf_counter() - start)
    return min(results)


def compare(ours, theirs, calls: int) -> tuple[float, float]:
    """Median seconds per call of ``ours`` and ``theirs``, called alternately so that whatever
    else the machine is doing weighs on both alike."""
    ours(), theirs()  # warm caches and statement compilation
    mine, raw = [], []
    for _ in range(calls):
        start = time.perf_counter()
        ours()
        middle = time.perf_counter()
        theirs()
        mine.append(middle - start)
        raw.append(time.perf_counter() - middle)
    return statistics.median(mine), statistics.median(raw)


def clear(site, table: sa.Table) -> None:
    with site.begin() as connection:
        connection.execute(sa.delete(site.platform.history))
        connection.execute(sa.delete(site.platform.counter))
        connection.execute(sa.delete(table))


def bench_bulk(site, service, table, count: int, batch: int) -> tuple[float, float]:
    rng = random.Random(1)
    actor = Actor()
    payload = [json_row(i, rng) for i in range(count)]
    now = dt.datetime.now(dt.timezone.utc)
    rng = random.Random(1)
    typed = [typed_row(i, rng, now) for i in range(count)]

    def pipeline():
        clear(site, table)
        for start in range(0, count, batch):
            service.bulk_create(actor, "bench_item", payload[start : start + batch])

    def raw():
        clear(site, table)
        for start in range(0, count, batch):
            rows = [{**row, "id": new_id()} for row in typed[start : start + batch]]
            with site.begin() as connection:
                connection.execute(sa.insert(table), rows)

    # Alternate, so both see the same machine state, and keep each side's best run; the clearing
    # is inside both timings.
    ours, theirs = [], []
    for _ in range(3):
        ours.append(timed(pipeline, repeat=1))
        theirs.append(timed(raw, repeat=1))
    return min(ours), min(theirs)


def bench_gets(site, service, table, gets: int) -> tuple[float, float]:
    actor = Actor()
    with site.engine.connect() as connection:
        ids = list(connection.execute(sa.select(table.c.id).limit(gets)).scalars())
    # the hand-written equivalent: every column, the formula as plain SQL, the row as a dict
    columns = [*table.c, (table.c.price * table.c.quantity).label("total")]
    statement = sa.select(*columns).where(table.c.id == sa.bindparam("record_id"), table.c.deleted_at.is_(None))
    chosen = iter(ids * 2)

    def pipeline():
        service.get(actor, "bench_item", next(chosen))

    def raw():
        with site.engine.connect() as connection:
            dict(connection.execute(statement, {"record_id": next(chosen)}).mappings().first())

    return compare(pipeline, raw, len(ids) - 1)


def fill(site, table, rows: int) -> None:
    clear(site, table)
    rng = random.Random(2)
    now = dt.datetime.now(dt.timezone.utc)
    template = typed_row(0, rng, now)
    chunk = 50_000
    for start in range(0, rows, chunk):
        batch = []
        for index in range(start, min(rows, start + chunk)):
            row = dict(template)
            row.update(
                id=new_id(),
                name=f"Item {index}",
                status=STATUSES[rng.randrange(3)],
                amount=Decimal(rng.randint(0, 10_000_000)) / 100,
                city=rng.choice(["Shanghai", "Beijing", "Chengdu", "Lyon"]),
            )
            batch.append(row)
        with site.begin() as connection:
            connection.execute(sa.insert(table), batch)
    with site.begin() as connection:
        # an index an admin would add for this list view (status, then amount, id for the keyset)
        sa.Index("ix_bench_item_status_amount_id", table.c.status, table.c.amount, table.c.id).create(connection)
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE bench_item")
        else:
            connection.exec_driver_sql("ANALYZE")


def bench_page(site, service, table, repeats: int = 200) -> dict[str, tuple[float, float]]:
    actor = Actor()
    query = {"filter": {"status": "open", "amount": {"gte": 1000}}, "sort": ["-amount"], "limit": 50}
    # The hand-written equivalent: the same columns (the formula as plain SQL), WHERE, ORDER BY
    # and LIMIT, rows turned into dicts as any caller would.
    columns = [*table.c, (table.c.price * table.c.quantity).label("total")]
    where = [table.c.deleted_at.is_(None), table.c.status == "open", table.c.amount >= 1000]
    order = [table.c.amount.desc(), table.c.id.desc()]

    first = service.find(actor, "bench_item", **query)
    last = first.records[-1]

    def pipeline_first():
        service.find(actor, "bench_item", **query)

    def raw_first():
        with site.engine.connect() as connection:
            [dict(row) for row in connection.execute(sa.select(*columns).where(*where).order_by(*order).limit(51)).mappings()]

    def pipeline_next():
        service.find(actor, "bench_item", cursor=first.next_cursor, **query)

    # amount >= 1000 rules NULLs out, so the keyset condition is a plain range on the index
    after = sa.and_(
        table.c.amount <= last["amount"],
        sa.or_(table.c.amount < last["amount"], sa.and_(table.c.amount == last["amount"], table.c.id < last["id"])),
    )

    def raw_next():
        with site.engine.connect() as connection:
            [dict(row) for row in connection.execute(sa.select(*columns).where(*where, after).order_by(*order).limit(51)).mappings()]

    return {
        "first page": compare(pipeline_first, raw_first, repeats),
        "next page (cursor)": compare(pipeline_next, raw_next, repeats),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a new SQLite file)")
    parser.add_argument("--bulk", type=int, default=20_000, help="records bulk-created (default 20000)")
    parser.add_argument("--batch", type=int, default=1000, help="records per bulk_create call")
    parser.add_argument("--gets", type=int, default=2000, help="records read by id")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the table the page is cut from")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        engine = sa.create_engine(url)
        if args.url:
            with engine.begin() as connection:
                for name in reversed(sa.inspect(connection).get_table_names()):
                    connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}" CASCADE')
        site = init_site(engine, [SYSTEM_PACKAGE, make_package(Path(folder))])
        service = RecordService(site)
        table = site.table("bench_item")
        print(f"database: {engine.dialect.name}, Python {sys.version.split()[0]}")

        pipeline, raw = bench_bulk(site, service, table, args.bulk, args.batch)
        rate, raw_rate = args.bulk / pipeline, args.bulk / raw
        print(f"bulk create {args.bulk} × 20 fields: pipeline {rate:,.0f} rec/s, raw Core {raw_rate:,.0f} rec/s, "
              f"ratio {rate / raw_rate:.2f}× (target ≥ 0.30×)")

        per_get, per_raw = bench_gets(site, service, table, args.gets)
        print(f"get by id: pipeline {per_get * 1e6:,.0f} µs, raw Core {per_raw * 1e6:,.0f} µs, "
              f"ratio {per_get / per_raw:.2f}× (target ≤ 2×)")

        start = time.perf_counter()
        fill(site, table, args.rows)
        print(f"filled {args.rows:,} rows in {time.perf_counter() - start:.1f} s")
        for case, (ours, theirs) in bench_page(site, service, table).items():
            print(f"50-row filtered sorted page, {case}: pipeline {ours * 1e3:.2f} ms, raw Core {theirs * 1e3:.2f} ms, "
                  f"ratio {ours / theirs:.2f}× (target ≤ 2×)")
        site.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
