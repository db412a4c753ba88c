"""Aggregates and search over many opportunity-like rows, each against the raw query in the same run.

    python benchmarks/bench_analytics.py [--url URL] [--records N] [--users N] [--runs N]

Targets (issue: analytics), SQLite unless ``--url``:

* a summary aggregate grouped by owner and stage (sum of amount, count), for a manager through
  the security predicate and field security: ≤ 2× the raw ``GROUP BY`` without security, p50 ≤ 1.5 s
  at 1,000,000 rows;
* a search for a two-character Chinese word (a brand in 0.1% of the names): p50 ≤ 50 ms at
  1,000,000 rows, and ≥ 20× faster than the ``LIKE '%…%'`` scan it replaces (the old global
  search: LIKE, newest first, five rows).

The default is 200,000 rows so a run takes minutes; ``--records 1000000`` for the full size (the
figures recorded in benchmarks/README.md say which). The org: ``--users`` users in 50 departments
five levels deep, every user a manager of their department's tree; rows written with Core, the
search index then built by :func:`runtime.search.sync_indexes` (its time is printed too).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from metadata.registry import SYSTEM_PACKAGE  # noqa: E402
from runtime.records import Actor, RecordService  # noqa: E402
from runtime.search import sync_indexes  # noqa: E402
from runtime.security import SecurityPolicy  # noqa: E402
from runtime.security import org as org_module  # noqa: E402
from runtime.security import tables as t  # noqa: E402
from runtime.site import init_site  # noqa: E402

PACKAGE = """\
name: bench
namespace: bench
version: 1.0.0
label: {en: Bench}
depends: [{name: system, version: ">=1.0"}]
"""
OBJECT = """\
api_name: bench_deal
label: {en: Deal}
plural_label: {en: Deals}
name_field: name
features: {owner: true, team: true, recycle_bin: true, search: true}
fields:
  - {api_name: name, type: text, label: {en: Name}, max_length: 100, required: true}
  - {api_name: amount, type: currency, label: {en: Amount}}
  - api_name: stage
    type: picklist
    label: {en: Stage}
    values:
      - {api_name: prospect, label: {en: Prospect}}
      - {api_name: qualify, label: {en: Qualify}}
      - {api_name: propose, label: {en: Propose}}
      - {api_name: negotiate, label: {en: Negotiate}}
      - {api_name: won, label: {en: Won}}
      - {api_name: lost, label: {en: Lost}}
"""
PROFILES = """\
profiles:
  - api_name: bench_rep
    label: {en: Rep}
    default: true
    default_permissions: {create: true, read: true, edit: true, delete: true}
"""
DEPARTMENTS = 50
STAGES = ["prospect", "qualify", "propose", "negotiate", "won", "lost"]
CITIES = ["北京", "上海", "深圳", "杭州", "广州", "成都", "武汉", "南京", "苏州", "西安", "重庆", "天津", "长沙", "青岛", "厦门", "宁波", "合肥", "郑州", "济南", "大连"]
# common characters of company names; the measured brand (华为) is put in 0.1% of the names
CHARACTERS = "安邦宝诚达鼎东方丰福富冠广国海航和恒弘宏鸿华汇佳嘉健金锦京精聚君凯康科蓝力利联隆茂美明铭南能鹏普齐启强庆荣瑞盛世泰腾天通同万伟信兴旭亚洋业益银永优宇元源远跃云长正中众卓"
SUFFIXES = ["科技有限公司", "贸易有限公司", "电子股份有限公司", "软件有限公司", "实业集团", "Trading Co.", "Technology Ltd."]
BRAND = "华为"
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def department_tree() -> list[int | None]:
    parents: list[int | None] = [None, 0, 1, 2, 3]
    rng = random.Random(7)
    while len(parents) < DEPARTMENTS:
        parents.append(rng.randrange(len(parents)))
    return parents


def company(rng: random.Random, index: int) -> str:
    middle = "".join(rng.choice(CHARACTERS) for _ in range(rng.randrange(2, 4)))
    if index % 1000 == 0:
        middle = BRAND + middle[:1]
    return rng.choice(CITIES) + middle + rng.choice(SUFFIXES)


def write_package(directory: Path) -> Path:
    root = directory / "bench"
    (root / "objects").mkdir(parents=True)
    (root / "security").mkdir()
    (root / "package.yaml").write_text(PACKAGE, encoding="utf-8")
    (root / "objects" / "bench_deal.yaml").write_text(OBJECT, encoding="utf-8")
    (root / "security" / "profiles.yaml").write_text(PROFILES, encoding="utf-8")
    return root


def build(site, records: int, users: int) -> str:
    """Org and rows; returns the id of the manager measured (head of a department with a deep tree)."""
    rng = random.Random(3)
    tables, platform = site.tables, site.platform
    parents = department_tree()
    department_ids = [f"dep{index:04d}" for index in range(DEPARTMENTS)]
    user_ids = [f"usr{index:05d}" for index in range(users)]
    user_department = [index if index < DEPARTMENTS else rng.randrange(DEPARTMENTS) for index in range(users)]
    with site.begin() as connection:
        connection.execute(sa.insert(tables["department"]), [
            {"id": department_ids[i], "name": f"Dep {i}", "code": f"dep_{i}", "department_kind": "internal", "created_at": NOW, "updated_at": NOW}
            for i in range(DEPARTMENTS)
        ])
        connection.execute(sa.insert(tables["user"]), [
            {"id": user_ids[i], "username": f"user{i}", "name": f"User {i}", "active": True, "user_kind": "internal",
             "department": department_ids[user_department[i]], "created_at": NOW, "updated_at": NOW}
            for i in range(users)
        ])
        for i, parent in enumerate(parents):
            connection.execute(sa.update(tables["department"]).where(tables["department"].c.id == department_ids[i]).values(
                parent=None if parent is None else department_ids[parent], head=user_ids[i]))
        connection.execute(sa.insert(platform[t.USER_ROLE]), [{"user_id": user_id, "role": "manager"} for user_id in user_ids])
        org_module.refresh(connection, site)
    deal = tables["bench_deal"]
    batch = []
    with site.begin() as connection:
        for index in range(records):
            batch.append({
                "id": f"rec{index:08d}", "name": company(rng, index), "owner": user_ids[rng.randrange(DEPARTMENTS, users)],
                "amount": rng.randrange(100_000_00) / 100, "stage": rng.choice(STAGES), "version": 1,
                "created_at": NOW, "updated_at": NOW - dt.timedelta(minutes=index),
            })
            if len(batch) == 10_000:
                connection.execute(sa.insert(deal), batch)
                batch = []
        if batch:
            connection.execute(sa.insert(deal), batch)
    return user_ids[1]  # head of department 1: the tree below the root's first child


def analyse(site) -> None:
    if site.engine.dialect.name == "postgresql":
        with site.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    else:
        with site.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


def timed(calls: dict, runs: int) -> dict[str, float]:
    """Median time of each call, taken round-robin so drift on a busy machine hits all alike."""
    for call in calls.values():
        call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url")
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        root = write_package(Path(directory))
        url = args.url or f"sqlite:///{Path(directory) / 'bench.sqlite'}"
        engine = sa.create_engine(url)
        if args.url:
            with engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        site = init_site(engine, [SYSTEM_PACKAGE, root])
        print(f"building: {args.records:,} records, {args.users} users ({engine.dialect.name})")
        start = time.perf_counter()
        manager = build(site, args.records, args.users)
        print(f"rows written in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        with site.begin() as connection:
            sync_indexes(connection, site.registry, site.tables, force=["bench_deal"])
        print(f"search index built in {time.perf_counter() - start:.1f} s")
        analyse(site)
        policy = SecurityPolicy(site)
        secure = RecordService(site, access=policy)
        deal = site.tables["bench_deal"]
        with site.engine.connect() as connection:
            reach = connection.execute(sa.select(sa.func.count()).select_from(deal).where(policy.predicate(Actor(user_id=manager), "bench_deal", deal, "read"))).scalar()
        print(f"the manager reaches {reach:,} of {args.records:,} records ({reach / args.records:.0%})")

        raw_group = (
            sa.select(deal.c.owner, deal.c.stage, sa.func.sum(deal.c.amount), sa.func.count())
            .where(deal.c.deleted_at.is_(None)).group_by(deal.c.owner, deal.c.stage)
        )
        spec = {"group_by": ["owner", "stage"], "measures": [{"fn": "sum", "field": "amount"}, {"fn": "count"}], "limit": 10_000}

        def raw_aggregate():
            with site.engine.connect() as connection:
                return connection.execute(raw_group).all()

        def secure_aggregate():
            return secure.aggregate(Actor(user_id=manager), "bench_deal", spec)

        groups = timed({"raw": raw_aggregate, "secure": secure_aggregate}, args.runs)
        raw_like = (
            sa.select(deal.c.id, deal.c.name).where(deal.c.deleted_at.is_(None), deal.c.name.like(f"%{BRAND}%"))
            .order_by(deal.c.updated_at.desc()).limit(5)
        )

        def like_scan():
            with site.engine.connect() as connection:
                return connection.execute(raw_like).all()

        def indexed(text):
            return lambda: secure.search_records(Actor(user_id=manager), text, ["bench_deal"], limit=5)

        searches = timed({"like": like_scan, "brand": indexed(BRAND), "city": indexed("北京")}, args.runs * 3)
        found = len(indexed(BRAND)())
        assert found == 5, found
        print()
        print(f"| case ({args.records:,} rows, {engine.dialect.name}) | target | measured (p50) | baseline | ratio |")
        print("|---|---|---|---|---|")
        print(f"| aggregate by owner and stage, sum + count, manager with security | ≤ 2×, ≤ 1.5 s | {groups['secure'] * 1000:.0f} ms | raw GROUP BY {groups['raw'] * 1000:.0f} ms | {groups['secure'] / groups['raw']:.2f}× |")
        print(f"| search '{BRAND}' (0.1% of names), manager with security | ≤ 50 ms, ≥ 20× faster | {searches['brand'] * 1000:.1f} ms | LIKE scan {searches['like'] * 1000:.0f} ms | {searches['like'] / searches['brand']:.0f}× faster |")
        print(f"| search '北京' (5% of names) | — | {searches['city'] * 1000:.1f} ms | — | — |")
        engine.dispose()


if __name__ == "__main__":
    main()
