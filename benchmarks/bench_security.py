"""Record security: a 50-row list page with the security predicate against the same page without it.

    python benchmarks/bench_security.py [--url URL] [--records N] [--users N] [--rules N] [--runs N]

Targets (issue: security model), each against the same query without the predicate, same run:

* a manager with a deep subordinate tree, who receives sharing rules and sits on record teams:
  the first list page (50 rows, default sequence) ≤ 2× the page without security;
* a user who reaches ≤ 0.01% of the rows: ≤ 5× the unrestricted page;
* moving a manager (their department, so their chain changes): the closures recomputed and
  written in the same transaction, ≤ 1 s;
* one record update through the pipeline, whose criteria-rule shares follow in its transaction.

The org: ``--users`` users in 50 departments five levels deep, heads as default managers, every
user on the manager role except a few; ``--rules`` owner-based and criteria-based sharing rules
between departments; 10% of records with a team member. Records are written with Core (the
pipeline is not what is measured here). SQLite in a temporary directory unless ``--url``.
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
from runtime.records.context import SYSTEM  # noqa: E402
from runtime.security import SecurityPolicy  # noqa: E402
from runtime.security import org as org_module  # noqa: E402
from runtime.security import shares as shares_module  # noqa: E402
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
features: {owner: true, team: true, recycle_bin: true}
fields:
  - {api_name: name, type: text, label: {en: Name}, max_length: 100, required: true}
  - {api_name: amount, type: number, label: {en: Amount}}
  - {api_name: stage, type: picklist, label: {en: Stage}, values: [{api_name: open, label: {en: Open}}, {api_name: won, label: {en: Won}}]}
"""
PROFILES = """\
profiles:
  - api_name: bench_rep
    label: {en: Rep}
    default: true
    default_permissions: {create: true, read: true, edit: true, delete: true}
"""
DEPARTMENTS = 50
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def department_tree() -> list[int | None]:
    """Parents of 50 departments: a chain of five levels, then the rest spread below it."""
    parents: list[int | None] = [None, 0, 1, 2, 3]
    rng = random.Random(7)
    while len(parents) < DEPARTMENTS:
        parents.append(rng.randrange(len(parents)))
    return parents


def rules_yaml(count: int, rng: random.Random) -> str:
    lines = ["sharing_rules:"]
    for index in range(count):
        source, target = rng.randrange(DEPARTMENTS), rng.randrange(DEPARTMENTS)
        lines.append(f"  - api_name: rule_{index}")
        lines.append(f"    label: {{en: Rule {index}}}")
        lines.append("    object: bench_deal")
        if index % 4 == 3:
            lines.append(f"    filter: {{amount: {{gte: {990_000 + index}}}}}")
        else:
            lines.append(f"    owners: {{departments: [dep_{source}]}}")
        lines.append(f"    share_with: {{departments: [dep_{target}]}}")
        lines.append(f"    access: {'read' if index % 2 else 'read_write'}")
    return "\n".join(lines) + "\n"


def write_package(directory: Path, rules: int) -> Path:
    root = directory / "bench"
    (root / "objects").mkdir(parents=True)
    (root / "security").mkdir()
    (root / "package.yaml").write_text(PACKAGE, encoding="utf-8")
    (root / "objects" / "bench_deal.yaml").write_text(OBJECT, encoding="utf-8")
    (root / "security" / "profiles.yaml").write_text(PROFILES, encoding="utf-8")
    (root / "security" / "sharing_rules.yaml").write_text(rules_yaml(rules, random.Random(11)), encoding="utf-8")
    return root


def build(site, args) -> dict:
    rng = random.Random(3)
    tables, platform = site.tables, site.platform
    parents = department_tree()
    department_ids = [f"dep{index:04d}" for index in range(DEPARTMENTS)]
    user_ids = [f"usr{index:05d}" for index in range(args.users)]
    # users spread over departments; the first user of each department heads it
    members: dict[int, list[int]] = {}
    user_department = []
    for index in range(args.users):
        department = index if index < DEPARTMENTS else rng.randrange(DEPARTMENTS)
        user_department.append(department)
        members.setdefault(department, []).append(index)
    with site.begin() as connection:
        connection.execute(sa.insert(tables["department"]), [
            {"id": department_ids[i], "name": f"Dep {i}", "code": f"dep_{i}", "department_kind": "internal", "created_at": NOW, "updated_at": NOW}
            for i in range(DEPARTMENTS)
        ])
        connection.execute(sa.insert(tables["user"]), [
            {"id": user_ids[i], "username": f"user{i}", "name": f"User {i}", "active": True, "user_kind": "internal",
             "department": department_ids[user_department[i]], "created_at": NOW, "updated_at": NOW}
            for i in range(args.users)
        ])
        # the narrow reader: no department (so no rule reaches them), the default role (own records)
        connection.execute(sa.insert(tables["user"]).values(id="usrnarrow", username="narrow", name="Narrow", active=True, user_kind="internal", created_at=NOW, updated_at=NOW))
        for i, parent in enumerate(parents):
            connection.execute(sa.update(tables["department"]).where(tables["department"].c.id == department_ids[i]).values(
                parent=None if parent is None else department_ids[parent], head=user_ids[members[i][0]]))
        # everyone a manager (their subordinates) except the narrow reader, who holds the default role
        connection.execute(sa.insert(platform[t.USER_ROLE]), [{"user_id": user_id, "role": "manager"} for user_id in user_ids])
        start = time.perf_counter()
        org_module.refresh(connection, site)
        closure_time = time.perf_counter() - start
    # records: owners drawn from everyone; a few narrow users own a handful
    narrow = "usrnarrow"
    batch = []
    deal = tables["bench_deal"]
    team_rows = []
    with site.begin() as connection:
        for index in range(args.records):
            owner = narrow if index % (args.records // 10) == 0 else user_ids[rng.randrange(DEPARTMENTS, args.users)]
            record_id = f"rec{index:08d}"
            batch.append({"id": record_id, "name": f"Deal {index}", "owner": owner, "amount": rng.randrange(1_000_000), "stage": "open",
                          "created_at": NOW, "updated_at": NOW})
            if rng.random() < 0.10:
                team_rows.append({"object": "bench_deal", "record_id": record_id, "user_id": user_ids[rng.randrange(args.users)], "access": "read"})
            if len(batch) == 5000:
                connection.execute(sa.insert(deal), batch)
                batch = []
        if batch:
            connection.execute(sa.insert(deal), batch)
        # a record's team holds one member at most here; keep the first per (record, user)
        unique = {(row["record_id"], row["user_id"]): row for row in team_rows}
        connection.execute(sa.insert(platform[t.RECORD_TEAM]), list(unique.values()))
        # the records were written around the pipeline: compute the rule shares as a rule change does
        start = time.perf_counter()
        shares_module.refresh(connection, site)
        shares_time = time.perf_counter() - start
    if site.engine.dialect.name == "postgresql":
        with site.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    else:
        with site.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    # the manager measured: not the head of the root department (everyone reports to them, so
    # they see nearly all), but the head of the department below it, with a deep tree of their own
    closure = platform[t.MANAGER_CLOSURE]
    with site.engine.connect() as connection:
        sizes = dict(connection.execute(sa.select(closure.c.manager_id, sa.func.count()).group_by(closure.c.manager_id)).all())
    manager = user_ids[members[1][0]]
    # a department in another branch: the manager moves there and takes their whole tree along
    def ancestors(department):
        found = []
        while department is not None:
            found.append(department)
            department = parents[department]
        return found

    elsewhere = next(d for d in range(2, DEPARTMENTS) if 1 not in ancestors(d))
    return {"manager": manager, "middle": user_ids[members[3][0]], "narrow": narrow, "elsewhere": elsewhere, "subordinates": sizes.get(manager, 0) - 1, "closure_time": closure_time,
            "team_rows": len(unique), "shares_time": shares_time, "user_ids": user_ids, "department_ids": department_ids}


def timed(calls: dict, runs: int) -> dict[str, float]:
    """Median time of each call, taken round-robin so drift on a busy machine hits all alike."""
    for call in calls.values():
        call()  # warm: statement caches, the principal cache
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
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--rules", type=int, default=100)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        root = write_package(Path(directory), args.rules)
        url = args.url or f"sqlite:///{Path(directory) / 'bench.sqlite'}"
        engine = sa.create_engine(url)
        if args.url:
            with engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        site = init_site(engine, [SYSTEM_PACKAGE, root])
        print(f"building: {args.records:,} records, {args.users:,} users, {DEPARTMENTS} departments, {args.rules} rules ({engine.dialect.name})")
        info = build(site, args)
        policy = SecurityPolicy(site)
        secure, raw = RecordService(site, access=policy), RecordService(site)
        manager, narrow = Actor(user_id=info["manager"]), Actor(user_id=info["narrow"])
        with site.engine.connect() as connection:
            shares = connection.execute(sa.select(sa.func.count()).select_from(site.platform[t.GROUP_CLOSURE])).scalar()
            reach = {
                name: connection.execute(sa.select(sa.func.count()).select_from(site.tables["bench_deal"]).where(policy.predicate(actor, "bench_deal", site.tables["bench_deal"], "read"))).scalar()
                for name, actor in (("manager", manager), ("narrow", narrow), ("middle", Actor(user_id=info["middle"])))
            }
        with site.engine.connect() as connection:
            rule_rows = connection.execute(sa.select(sa.func.count()).select_from(site.platform[t.RULE_SHARE])).scalar()
        print(f"org closures computed and written in {info['closure_time'] * 1000:.0f} ms; {shares:,} group/rule membership rows; {info['team_rows']:,} team rows")
        print(f"criteria-rule shares computed and written in {info['shares_time'] * 1000:.0f} ms; {rule_rows:,} rule share rows")
        print(f"manager: {info['subordinates']} subordinates, reaches {reach['manager']:,} records; narrow user reaches {reach['narrow']:,} ({reach['narrow'] / args.records:.4%})")

        assert [r["id"] for r in secure.find(manager, "bench_deal").records] != []
        # a new Actor per page, as each request builds one (its permissions are read once per Actor)
        def page(service, user_id, **query):
            return lambda: service.find(Actor(user_id=user_id), "bench_deal", limit=50, **query)

        pages = timed(
            {
                "baseline": page(raw, info["manager"]),
                "manager": page(secure, info["manager"]),
                "middle": page(secure, info["middle"]),
                "narrow": page(secure, info["narrow"]),
            },
            args.runs,
        )
        baseline, with_manager, with_middle, with_narrow = (pages[name] for name in ("baseline", "manager", "middle", "narrow"))
        sorts = timed({"baseline": page(raw, info["manager"], sort=["-amount"]), "manager": page(secure, info["manager"], sort=["-amount"])}, max(5, args.runs // 3))
        sorted_base, sorted_manager = sorts["baseline"], sorts["manager"]
        print()
        print("| case | target | measured | baseline (no predicate) | ratio |")
        print("|---|---|---|---|---|")
        print(f"| manager, first page of 50 | ≤ 2× | {with_manager * 1000:.1f} ms | {baseline * 1000:.1f} ms | {with_manager / baseline:.2f}× |")
        print(f"| manager of a smaller tree ({reach['middle'] / args.records:.1%} of records), first page | ≤ 2× | {with_middle * 1000:.1f} ms | {baseline * 1000:.1f} ms | {with_middle / baseline:.2f}× |")
        print(f"| narrow user (≤ 0.01%), first page | ≤ 5× | {with_narrow * 1000:.1f} ms | {baseline * 1000:.1f} ms | {with_narrow / baseline:.2f}× |")
        print(f"| manager, sorted by amount (no index) | — | {sorted_manager * 1000:.1f} ms | {sorted_base * 1000:.1f} ms | {sorted_manager / sorted_base:.2f}× |")

        # a write through the pipeline: the criteria-rule shares of the record follow in its transaction
        record_id = "rec00000001"
        amounts = iter(range(10**6))
        writes = timed({"update": lambda: secure.update(SYSTEM, "bench_deal", record_id, {"amount": 995_000 + next(amounts) % 10_000})}, args.runs)
        print(f"| update one record (pipeline, rule shares kept) | — | {writes['update'] * 1000:.1f} ms | — | — |")

        # moving a manager: a head changes department, their whole chain moves with them
        mover = info["manager"]
        service = RecordService(site, access=policy)
        start = time.perf_counter()
        service.update(SYSTEM, "user", mover, {"department": info["department_ids"][info["elsewhere"]]})
        moved = time.perf_counter() - start
        with site.engine.connect() as connection:
            after = connection.execute(sa.select(sa.func.count()).select_from(site.tables["bench_deal"]).where(policy.predicate(manager, "bench_deal", site.tables["bench_deal"], "read"))).scalar()
        print(f"| move a manager (update + closures, one transaction) | ≤ 1 s | {moved * 1000:.0f} ms | — | — |")
        with site.engine.connect() as connection:
            above = connection.execute(sa.select(sa.func.count()).select_from(site.platform[t.MANAGER_CLOSURE]).where(site.platform[t.MANAGER_CLOSURE].c.user_id == mover)).scalar()
        print(f"\nafter the move the manager reaches {after:,} records (was {reach['manager']:,}); {above - 1} managers above them now")
        engine.dispose()


if __name__ == "__main__":
    main()
