"""Metadata → tables: columns, system columns, constraint names, indexes and foreign keys."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from metadata.models import SYSTEM_FIELD_NAMES
from metadata.registry import SYSTEM_PACKAGE, load_registry
from runtime.schema import (
    MAX_NAME_LENGTH,
    build_tables,
    column_for,
    columns_for,
    constraint_name,
    new_metadata,
    stored_fields,
)
from runtime.types import DecimalType, UtcDateTime, describe_type

ZOO_PACKAGE = Path(__file__).parent / "fixtures" / "zoo"


@pytest.fixture(scope="module")
def registry():
    return load_registry([SYSTEM_PACKAGE, ZOO_PACKAGE])


@pytest.fixture(scope="module")
def tables(registry):
    return build_tables(registry, new_metadata())


def test_one_table_per_object_named_after_it(registry, tables):
    assert set(tables) == set(registry.objects)
    assert all(table.name == name for name, table in tables.items())


def test_system_columns(tables):
    animal = tables["zoo_animal"]
    assert SYSTEM_FIELD_NAMES <= set(animal.c.keys())
    assert animal.primary_key.columns.keys() == ["id"]
    assert describe_type(animal.c.id.type) == "VARCHAR(32)"
    assert not animal.c.version.nullable and animal.c.version.server_default is not None
    assert isinstance(animal.c.deleted_at.type, UtcDateTime) and animal.c.deleted_at.nullable
    assert animal.c.owner.nullable  # system rows need no owner; the pipeline requires one
    for name in ("owner", "created_by", "updated_by"):
        (foreign_key,) = animal.c[name].foreign_keys
        assert foreign_key.column.table.name == "user"
    # objects without the owner feature have no owner column
    assert "owner" not in tables["zoo_enclosure"].c and "owner" not in tables["user"].c


def test_one_column_per_stored_field(registry, tables):
    animal = tables["zoo_animal"]
    declared = {column for field in stored_fields(registry.object("zoo_animal")) for column in (
        [f"{field.api_name}__lat", f"{field.api_name}__lng"] if field.type == "geolocation" else [field.api_name])}
    assert set(animal.c.keys()) == SYSTEM_FIELD_NAMES | declared
    assert "heavy" not in animal.c  # formula: computed, no column
    assert [column.name for column in columns_for(animal, registry.field("zoo_animal", "location"))] == [
        "location__lat",
        "location__lng",
    ]
    assert columns_for(animal, registry.field("zoo_animal", "heavy")) == []


def test_rollup_columns_take_their_result_type(tables):
    animal = tables["zoo_animal"]
    assert describe_type(animal.c.meal_count.type) == "NUMERIC(18,0)"
    assert describe_type(animal.c.food_total.type) == "NUMERIC(12,1)"  # sum of zoo_meal.grams
    assert isinstance(animal.c.last_meal.type, UtcDateTime)  # max of a datetime


def test_references_have_indexed_foreign_keys_mirroring_on_delete(tables):
    animal, meal = tables["zoo_animal"], tables["zoo_meal"]
    (enclosure,) = animal.c.enclosure.foreign_keys
    assert enclosure.column.table.name == "zoo_enclosure" and enclosure.ondelete == "RESTRICT"
    assert enclosure.constraint.name == "fk_zoo_animal_enclosure"
    (keeper,) = animal.c.keeper.foreign_keys
    assert keeper.column.table.name == "user" and keeper.ondelete == "SET NULL"
    (parent,) = meal.c.animal.foreign_keys
    assert parent.ondelete == "CASCADE"
    assert meal.c.visitor.foreign_keys == set()  # polymorphic: no foreign key
    indexed = {index.name for index in meal.indexes}
    assert {"ix_zoo_meal_animal", "ix_zoo_meal_visitor", "ix_zoo_meal_name"} <= indexed


def test_unique_fields_and_auto_numbers_get_named_unique_constraints(tables):
    animal = tables["zoo_animal"]
    uniques = {
        constraint.name: [column.name for column in constraint.columns]
        for constraint in animal.constraints
        if isinstance(constraint, sa.UniqueConstraint)
    }
    assert uniques == {"uq_zoo_animal_code": ["code"], "uq_zoo_animal_tag_code": ["tag_code"]}
    assert {index.name for index in animal.indexes} >= {"ix_zoo_animal_owner", "ix_zoo_animal_deleted_at", "ix_zoo_animal_name"}


def test_declared_fields_are_nullable(tables):
    # 'name' is required in metadata; the record pipeline enforces it, not the column
    assert tables["zoo_animal"].c.name.nullable


def test_long_constraint_names_are_shortened_stably():
    table, column = "t" * 50, "c" * 50
    name = constraint_name("ix", table, column)
    assert len(name) == MAX_NAME_LENGTH
    assert name == constraint_name("ix", table, column)
    assert name != constraint_name("ix", table, "c" * 49 + "d")
    assert constraint_name("ix", "short", "name") == "ix_short_name"


def test_column_for(tables):
    animal = tables["zoo_animal"]
    assert column_for(animal, "weight") is animal.c.weight
    assert isinstance(column_for(animal, "weight").type, DecimalType)
    assert column_for(animal, "deleted_at") is animal.c.deleted_at
    with pytest.raises(KeyError, match="no column 'heavy'"):
        column_for(animal, "heavy")


def test_building_tables_is_pure_and_repeatable(registry):
    first, second = build_tables(registry, new_metadata()), build_tables(registry, new_metadata())
    assert [str(sa.schema.CreateTable(t)) for t in first.values()] == [str(sa.schema.CreateTable(t)) for t in second.values()]


def test_tables_create_on_the_database(engine, registry):
    metadata = new_metadata()
    build_tables(registry, metadata)
    metadata.create_all(engine)
    inspector = sa.inspect(engine)
    assert set(registry.objects) <= set(inspector.get_table_names())
    assert {fk["name"] for fk in inspector.get_foreign_keys("zoo_animal")} >= {"fk_zoo_animal_enclosure", "fk_zoo_animal_keeper"}
