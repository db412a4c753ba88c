"""Sites: init creates everything in one transaction, open rebuilds it from the metadata store."""

from __future__ import annotations

from pathlib import Path

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

import runtime.site as site_module
from metadata.errors import PackageError
from metadata.registry import SYSTEM_PACKAGE
from runtime.errors import SiteError
from runtime.schema import build_tables, new_metadata
from runtime.site import configure_engine, init_site, is_initialised, open_site

FIXTURES = Path(__file__).parent / "fixtures"
ZOO_PACKAGE = FIXTURES / "zoo"


def test_init_creates_platform_and_object_tables(site):
    names = set(sa.inspect(site.engine).get_table_names())
    assert {"tessera_package", "tessera_counter", "tessera_history", "tessera_archive"} <= names
    assert set(site.registry.objects) <= names
    with site.engine.connect() as connection:
        rows = connection.execute(sa.select(site.platform.package.c.name, site.platform.package.c.version)).all()
    assert sorted(rows) == [("system", "1.0.0"), ("zoo", "1.0.0")]


def test_open_rebuilds_registry_and_tables_from_the_store(site):
    reopened = open_site(site.engine)
    assert set(reopened.registry.objects) == set(site.registry.objects)
    assert reopened.registry.object("zoo_animal") == site.registry.object("zoo_animal")
    # compared with fresh tables: create_all marks the foreign keys of table cycles (user ↔
    # department) to be added by ALTER, which changes how CreateTable prints them
    fresh = build_tables(site.registry, new_metadata())
    assert [str(sa.schema.CreateTable(table)) for table in reopened.tables.values()] == [
        str(sa.schema.CreateTable(table)) for table in fresh.values()
    ]


def test_open_reads_the_store_not_the_files(engine, tmp_path):
    import shutil

    copy = tmp_path / "zoo"
    shutil.copytree(ZOO_PACKAGE, copy)
    init_site(engine, [SYSTEM_PACKAGE, copy])
    shutil.rmtree(copy)
    assert "zoo_animal" in open_site(engine).tables


def test_init_twice_is_a_clear_error(site):
    with pytest.raises(SiteError, match="already a Tessera site"):
        init_site(site.engine, [SYSTEM_PACKAGE, ZOO_PACKAGE])


def test_open_an_empty_database_is_a_clear_error(engine):
    with pytest.raises(SiteError, match="not a Tessera site; run 'tessera db init'"):
        open_site(engine)


def test_bad_url_is_a_site_error():
    with pytest.raises(SiteError, match="not a usable database URL"):
        configure_engine("nosuchdialect://x")


def test_unreachable_database_is_a_site_error(tmp_path):
    with pytest.raises(SiteError, match="cannot connect"):
        is_initialised(configure_engine(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.sqlite'}"))


def test_broken_packages_leave_the_database_empty(engine, tmp_path):
    broken = tmp_path / "broken"
    (broken / "objects").mkdir(parents=True)
    (broken / "package.yaml").write_text("name: broken\nversion: 1.0.0\nlabel: {en: B}\n")
    (broken / "objects" / "thing.yaml").write_text("api_name: thing\nlabel: {en: T}\n")
    with pytest.raises(PackageError):
        init_site(engine, [SYSTEM_PACKAGE, broken])
    assert sa.inspect(engine).get_table_names() == []


def test_init_is_one_transaction(engine, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("store write failed")

    monkeypatch.setattr(site_module, "write_packages", fail)
    with pytest.raises(RuntimeError, match="store write failed"):
        init_site(engine, [SYSTEM_PACKAGE, ZOO_PACKAGE])
    # the tables created before the failure were rolled back with it (transactional DDL, SQLite too)
    assert sa.inspect(engine).get_table_names() == []


def test_foreign_keys_are_enforced(site, insert_rows, select_rows):
    with pytest.raises(sa.exc.IntegrityError):
        insert_rows(site, "zoo_animal", [{"name": "Rex", "enclosure": "0" * 26}])
    assert select_rows(site, "zoo_animal") == []


def test_master_detail_cascades_when_a_parent_row_is_purged(site, insert_rows, select_rows):
    (animal,) = insert_rows(site, "zoo_animal", [{"name": "Rex"}])
    insert_rows(site, "zoo_meal", [{"name": "hay", "animal": animal, "grams": Decimal("250.5")}])
    table = site.tables["zoo_animal"]
    with site.begin() as connection:
        connection.execute(table.delete().where(table.c.id == animal))
    assert select_rows(site, "zoo_meal") == []


def test_restrict_lookup_blocks_purging_the_target(site, insert_rows):
    (pen,) = insert_rows(site, "zoo_enclosure", [{"name": "North"}])
    insert_rows(site, "zoo_animal", [{"name": "Rex", "enclosure": pen}])
    table = site.tables["zoo_enclosure"]
    with pytest.raises(sa.exc.IntegrityError), site.begin() as connection:
        connection.execute(table.delete().where(table.c.id == pen))


def test_every_type_round_trips_through_a_site(site, insert_rows, select_rows):
    values = {
        "name": "Rex",
        "legs": 4,
        "weight": Decimal("120.50"),
        "born_on": dt.date(2020, 5, 1),
        "checked_at": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
        "feeding_time": dt.time(7, 30),
        "vaccinated": True,
        "diet": "carnivore",
        "habitats": ["forest", "savanna"],
        "location__lat": Decimal("31.230416"),
        "location__lng": Decimal("121.473701"),
        "photos": [{"id": "f1", "name": "rex.png"}],
        "labels": ["big"],
        "code": "R-1",
    }
    insert_rows(site, "zoo_animal", [values])
    (row,) = select_rows(site, "zoo_animal", *values)
    assert dict(zip(values, row[1:])) == values


def test_formula_functions_hook_runs_on_each_sqlite_connection(engine, monkeypatch):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    seen = []
    monkeypatch.setattr(site_module, "_register_formula_functions", seen.append)
    configured = configure_engine(engine)
    with configured.connect() as connection:
        foreign_keys = connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one()
    assert len(seen) == 1 and foreign_keys == 1


def test_fixture_packages_are_not_crm_names():
    assert sorted(path.name for path in FIXTURES.iterdir() if path.is_dir()) == ["zoo"]
