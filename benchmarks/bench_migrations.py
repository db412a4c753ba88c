"""Migrations and site creation, against raw SQLAlchemy Core doing the same DDL in the same run.

    python benchmarks/bench_migrations.py [--url URL] [--rows N]

Targets (issue: runtime), each printed with its raw baseline:

* adding a field to a 1M-row table: ≤ 1 s for the whole ``apply_plan`` — the plan's DDL, the
  metadata store update and the drift check, in one transaction — against a bare
  ``ALTER TABLE … ADD COLUMN`` on an identical table;
* installing the standard packages (system and CRM) on an empty SQLite database: ≤ 2 s for
  ``init_site`` — loading and checking every package, creating every table, writing the metadata
  store — against ``MetaData.create_all`` of the same tables alone.

A rename of a field on the same table is printed too (no target: it should cost what adding
does). ``--rows`` makes a quicker run; the figures in benchmarks/README.md use the default.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import datetime as dt  # noqa: E402
import random  # noqa: E402

from bench_records import make_package, typed_row  # noqa: E402
from runtime.ids import new_id  # noqa: E402
from metadata.registry import SYSTEM_PACKAGE, load_registry, registry_from_documents, shipped_packages  # noqa: E402
from runtime.migrations import apply_plan, diff  # noqa: E402
from runtime.schema import build_platform_tables, build_tables, new_metadata  # noqa: E402
from runtime.site import init_site  # noqa: E402
from runtime.store import documents_of  # noqa: E402

LABEL = {"en": "Added", "zh": "新增"}


def changed(registry, change):
    """``registry`` with ``change(bench_item document)`` applied to the bench package."""
    documents = copy.deepcopy(documents_of(registry.packages))
    bench = next(package for package in documents if package["manifest"]["name"] == "bench")
    change(next(item for item in bench["objects"] if item["api_name"] == "bench_item"))
    return registry_from_documents(documents)


def timed_once(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def fill(connection: sa.Connection, table: sa.Table, rows: int) -> None:
    rng = random.Random(3)
    template = typed_row(0, rng, dt.datetime.now(dt.timezone.utc))
    chunk = 50_000
    for start in range(0, rows, chunk):
        connection.execute(sa.insert(table), [{**template, "id": new_id(), "name": f"Item {index}"} for index in range(start, min(rows, start + chunk))])


def raw_table(site, folder: Path) -> tuple[sa.Engine, sa.Table]:
    """A table like bench_item outside the site (the site's drift check would see it otherwise):
    another SQLite file, or another schema of the same PostgreSQL database."""
    if site.engine.dialect.name == "sqlite":
        engine, schema = sa.create_engine(f"sqlite:///{folder / 'raw.sqlite'}"), None
    else:
        engine, schema = sa.create_engine(site.engine.url), "tessera_bench_raw"
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    table = site.table("bench_item").to_metadata(sa.MetaData(), schema=schema)
    for constraint in list(table.foreign_key_constraints):  # the users it points at are not there
        table.constraints.discard(constraint)
    for column in table.columns:
        column.foreign_keys.clear()
    table.create(engine)
    return engine, table


def bench_add_field(site, rows: int, folder: Path) -> tuple[float, float, float]:
    """(apply_plan adding a field, the bare ALTER TABLE on a copy, apply_plan renaming a field)."""
    with site.begin() as connection:
        fill(connection, site.table("bench_item"), rows)
    engine, raw_copy = raw_table(site, folder)
    with engine.begin() as connection:
        fill(connection, raw_copy, rows)
    if site.engine.dialect.name == "postgresql":
        for target in (site.engine, engine):
            with target.connect() as connection:
                connection.exec_driver_sql("COMMIT")
                connection.exec_driver_sql("VACUUM ANALYZE")

    plan = diff(site.registry, changed(site.registry, lambda item: item["fields"].append({"api_name": "added", "type": "text", "max_length": 40, "label": LABEL})))
    assert [step.describe() for step in plan.operations] == ["add field bench_item.added (VARCHAR(40))"], plan.operations
    ours = timed_once(lambda: apply_plan(site, plan))

    quoted = engine.dialect.identifier_preparer.format_table(raw_copy)

    def raw():
        with engine.begin() as connection:
            connection.exec_driver_sql(f"ALTER TABLE {quoted} ADD COLUMN added VARCHAR(40)")

    theirs = timed_once(raw)
    engine.dispose()

    def rename(item):
        field = next(field for field in item["fields"] if field["api_name"] == "added")
        field.update(api_name="renamed", renamed_from="added")

    plan = diff(site.registry, changed(site.registry, rename))
    renaming = timed_once(lambda: apply_plan(site, plan))
    return ours, theirs, renaming


def bench_install(folder: Path, runs: int) -> tuple[float, float]:
    """Median seconds of init_site with the shipped packages on a new SQLite file, and of
    create_all of the same tables (the packages already loaded) on another."""
    ours, theirs = [], []
    registry = load_registry(shipped_packages())
    for run in range(runs):
        url = f"sqlite:///{folder / f'install_{run}.sqlite'}"
        start = time.perf_counter()
        init_site(url).dispose()
        ours.append(time.perf_counter() - start)

        engine = sa.create_engine(f"sqlite:///{folder / f'raw_{run}.sqlite'}")
        metadata = new_metadata()
        build_platform_tables(metadata)
        build_tables(registry, metadata)
        start = time.perf_counter()
        with engine.begin() as connection:
            metadata.create_all(connection)
        theirs.append(time.perf_counter() - start)
        engine.dispose()
    return statistics.median(ours), statistics.median(theirs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL for the add-field case (default: a new SQLite file)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the table a field is added to")
    parser.add_argument("--installs", type=int, default=5, help="runs of the install case (median shown)")
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
        ours, theirs, renaming = bench_add_field(site, args.rows, folder)
        print(
            f"add a field to a {args.rows:,}-row table: apply_plan {ours * 1e3:,.0f} ms (target ≤ 1 s), "
            f"bare ALTER TABLE {theirs * 1e3:,.1f} ms, ratio {ours / theirs:.1f}×"
        )
        print(f"rename that field: apply_plan {renaming * 1e3:,.0f} ms")
        site.dispose()

        ours, theirs = bench_install(folder, args.installs)
        print(
            f"install the standard packages on an empty SQLite: init_site {ours * 1e3:,.0f} ms (target ≤ 2 s), "
            f"create_all of the same tables {theirs * 1e3:,.0f} ms, ratio {ours / theirs:.1f}×"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
