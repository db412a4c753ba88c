"""Plans first: each metadata change → the exact operations the planner lists (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from metadata.registry import SYSTEM_PACKAGE, load_registry
from runtime.errors import MigrationError
from runtime.migrations import ArchiveField, ArchiveObject, diff

ZOO_PACKAGE = Path(__file__).parent / "fixtures" / "zoo"
TEXT = {"en": "T"}


@pytest.fixture(scope="module")
def registry():
    return load_registry([SYSTEM_PACKAGE, ZOO_PACKAGE])


def _field(objects, object_name, field_name):
    return next(field for field in objects[object_name]["fields"] if field["api_name"] == field_name)


def _remove(objects, object_name, *field_names):
    objects[object_name]["fields"] = [f for f in objects[object_name]["fields"] if f["api_name"] not in field_names]


def add_number(objects, zoo):
    objects["zoo_animal"]["fields"].append({"api_name": "height", "type": "number", "label": TEXT})


def add_indexed(objects, zoo):
    objects["zoo_animal"]["fields"].append({"api_name": "chip", "type": "text", "max_length": 30, "indexed": True, "label": TEXT})


def add_unique(objects, zoo):
    objects["zoo_animal"]["fields"].append({"api_name": "chip", "type": "text", "max_length": 30, "unique": True, "label": TEXT})


def add_lookup(objects, zoo):
    objects["zoo_animal"]["fields"].append({"api_name": "mother", "type": "lookup", "to": "zoo_animal", "label": TEXT})


def add_geolocation(objects, zoo):
    objects["zoo_enclosure"]["fields"].append({"api_name": "gate", "type": "geolocation", "scale": 4, "label": TEXT})


def rename_field(objects, zoo):
    _field(objects, "zoo_animal", "nickname").update(api_name="alias", renamed_from="nickname")


def rename_unique_field(objects, zoo):
    _field(objects, "zoo_animal", "code").update(api_name="serial", renamed_from="code")


def text_to_integer(objects, zoo):
    field = _field(objects, "zoo_animal", "nickname")
    del field["max_length"]
    field["type"] = "integer"


def longer_text(objects, zoo):
    _field(objects, "zoo_animal", "nickname")["max_length"] = 80


def text_to_email(objects, zoo):
    _field(objects, "zoo_animal", "nickname")["type"] = "email"


def wider_number(objects, zoo):
    _field(objects, "zoo_animal", "weight").update(precision=12, scale=3)


def rename_and_retype(objects, zoo):
    field = _field(objects, "zoo_animal", "legs")
    field.update(api_name="leg_text", renamed_from="legs", type="text", max_length=10)


def remove_field(objects, zoo):
    _remove(objects, "zoo_animal", "notes")


def field_becomes_formula(objects, zoo):
    _remove(objects, "zoo_animal", "nickname")
    objects["zoo_animal"]["fields"].append(
        {"api_name": "nickname", "type": "formula", "return_type": "text", "expression": "name", "label": TEXT}
    )


def remove_object(objects, zoo):
    zoo["objects"].remove(objects["zoo_meal"])
    _remove(objects, "zoo_animal", "meal_count", "food_total", "last_meal")


def add_object(objects, zoo):
    zoo["objects"].append(
        {
            "api_name": "zoo_bird",
            "label": TEXT,
            "plural_label": TEXT,
            "fields": [{"api_name": "name", "type": "text", "label": TEXT}, {"api_name": "nest", "type": "lookup", "to": "zoo_enclosure", "label": TEXT}],
        }
    )


def rename_object(objects, zoo):
    objects["zoo_enclosure"].update(api_name="zoo_pen", renamed_from="zoo_enclosure")
    _field(objects, "zoo_animal", "enclosure")["to"] = "zoo_pen"
    _field(objects, "zoo_meal", "visitor")["to"] = ["zoo_animal", "zoo_pen"]


def change_on_delete(objects, zoo):
    _field(objects, "zoo_animal", "enclosure")["on_delete"] = "set_null"


def drop_unique(objects, zoo):
    _field(objects, "zoo_animal", "code")["unique"] = False


def index_existing(objects, zoo):
    _field(objects, "zoo_animal", "legs")["indexed"] = True


def owner_feature_on(objects, zoo):
    objects["zoo_enclosure"]["features"] = {"owner": True}


def labels_only(objects, zoo):
    _field(objects, "zoo_animal", "legs")["label"] = {"en": "Number of legs", "zh": "腿数"}


def unique_group(objects, zoo):
    objects["zoo_animal"]["unique"] = [["name", "enclosure"]]


def unique_group_with_new_field(objects, zoo):
    add_number(objects, zoo)
    objects["zoo_animal"]["unique"] = [["name", "height"]]


def unique_group_field_retyped(objects, zoo):
    objects["zoo_animal"]["unique"] = [["nickname", "legs"]]
    longer_text(objects, zoo)


def unique_group_field_renamed(objects, zoo):
    objects["zoo_animal"]["unique"] = [["alias", "legs"]]
    rename_field(objects, zoo)


PLANS = [
    (unique_group, ["add unique index ux_zoo_animal_name_enclosure on zoo_animal (name, enclosure together)"]),
    (
        unique_group_with_new_field,
        ["add field zoo_animal.height (NUMERIC(18,2))", "add unique index ux_zoo_animal_name_height on zoo_animal (name, height together)"],
    ),
    (add_number, ["add field zoo_animal.height (NUMERIC(18,2))"]),
    (add_indexed, ["add field zoo_animal.chip (VARCHAR(30))", "add index ix_zoo_animal_chip on zoo_animal.chip"]),
    (add_unique, ["add field zoo_animal.chip (VARCHAR(30))", "add unique constraint uq_zoo_animal_chip on zoo_animal.chip"]),
    (
        add_lookup,
        [
            "add field zoo_animal.mother (VARCHAR(32))",
            "add index ix_zoo_animal_mother on zoo_animal.mother",
            "add foreign key fk_zoo_animal_mother: zoo_animal.mother → zoo_animal.id on delete set null",
        ],
    ),
    (add_geolocation, ["add field zoo_enclosure.gate (gate__lat NUMERIC(7,4), gate__lng NUMERIC(7,4))"]),
    (rename_field, ["rename field zoo_animal.nickname → alias (data kept)"]),
    (
        rename_unique_field,
        [
            "drop unique constraint uq_zoo_animal_code on zoo_animal.code",
            "rename field zoo_animal.code → serial (data kept)",
            "add unique constraint uq_zoo_animal_serial on zoo_animal.serial",
        ],
    ),
    (text_to_integer, ["change field zoo_animal.nickname: text VARCHAR(40) → integer BIGINT (values converted)"]),
    (longer_text, ["change field zoo_animal.nickname: text VARCHAR(40) → text VARCHAR(80) (values converted)"]),
    (text_to_email, ["change field zoo_animal.nickname: text VARCHAR(40) → email VARCHAR(40) (values checked)"]),
    (wider_number, ["change field zoo_animal.weight: number NUMERIC(10,2) → number NUMERIC(12,3) (values converted)"]),
    (
        rename_and_retype,
        [
            "rename field zoo_animal.legs → leg_text (data kept)",
            "change field zoo_animal.leg_text: integer BIGINT → text VARCHAR(10) (values converted)",
        ],
    ),
    (remove_field, ["archive field zoo_animal.notes (values moved to an archive, restorable)"]),
    (field_becomes_formula, ["archive field zoo_animal.nickname (values moved to an archive, restorable)"]),
    (
        remove_object,
        [
            "archive field zoo_animal.meal_count (values moved to an archive, restorable)",
            "archive field zoo_animal.food_total (values moved to an archive, restorable)",
            "archive field zoo_animal.last_meal (values moved to an archive, restorable)",
            "archive object zoo_meal (rows moved to an archive, restorable)",
        ],
    ),
    (add_object, ["add object zoo_bird"]),
    (
        rename_object,
        [
            "drop foreign key fk_zoo_animal_enclosure on zoo_animal.enclosure",
            "rename object zoo_enclosure → zoo_pen (data kept)",
            "add index ix_zoo_pen_deleted_at on zoo_pen.deleted_at",
            "add index ix_zoo_pen_name on zoo_pen.name",
            "add foreign key fk_zoo_animal_enclosure: zoo_animal.enclosure → zoo_pen.id on delete restrict",
            "add foreign key fk_zoo_pen_created_by: zoo_pen.created_by → user.id",
            "add foreign key fk_zoo_pen_updated_by: zoo_pen.updated_by → user.id",
        ],
    ),
    (
        change_on_delete,
        [
            "drop foreign key fk_zoo_animal_enclosure on zoo_animal.enclosure",
            "add foreign key fk_zoo_animal_enclosure: zoo_animal.enclosure → zoo_enclosure.id on delete set null",
        ],
    ),
    (drop_unique, ["drop unique constraint uq_zoo_animal_code on zoo_animal.code"]),
    (index_existing, ["add index ix_zoo_animal_legs on zoo_animal.legs"]),
    (
        owner_feature_on,
        [
            "add field zoo_enclosure.owner (VARCHAR(32))",
            "add index ix_zoo_enclosure_owner on zoo_enclosure.owner",
            "add foreign key fk_zoo_enclosure_owner: zoo_enclosure.owner → user.id",
        ],
    ),
    (labels_only, []),
]


@pytest.mark.parametrize(("change", "expected"), PLANS, ids=[change.__name__ for change, _ in PLANS])
def test_plan(registry, changed, change, expected):
    plan = diff(registry, changed(registry, change))
    assert [operation.describe() for operation in plan.operations] == expected
    assert plan.metadata_changed


def test_no_change_no_plan(registry):
    plan = diff(registry, registry)
    assert plan.operations == [] and not plan.metadata_changed and not plan
    assert str(plan) == "no schema changes; nothing to do"


def test_metadata_only_plan_still_updates_the_store(registry, changed):
    plan = diff(registry, changed(registry, labels_only))
    assert plan and str(plan) == "no schema changes; the metadata store is updated"


def test_plan_prints_numbered_lines_and_marks_data_loss(registry, changed):
    def change(objects, zoo):
        remove_field(objects, zoo)
        add_number(objects, zoo)

    plan = diff(registry, changed(registry, change))
    assert str(plan).splitlines() == [
        "  1. archive field zoo_animal.notes (values moved to an archive, restorable)  [archives data]",
        "  2. add field zoo_animal.height (NUMERIC(18,2))",
    ]
    assert [type(operation) for operation in plan.data_loss] == [ArchiveField]


def test_removing_an_object_is_data_loss(registry, changed):
    plan = diff(registry, changed(registry, remove_object))
    assert ArchiveObject in {type(operation) for operation in plan.data_loss}


def test_renames_are_never_guessed(registry, changed):
    def change(objects, zoo):
        _field(objects, "zoo_animal", "nickname")["api_name"] = "alias"  # no renamed_from

    plan = diff(registry, changed(registry, change))
    assert [operation.describe() for operation in plan.operations] == [
        "archive field zoo_animal.nickname (values moved to an archive, restorable)",
        "add field zoo_animal.alias (VARCHAR(40))",
    ]


def test_changing_the_number_of_columns_in_place_is_refused(registry, changed):
    def change(objects, zoo):
        objects["zoo_animal"]["fields"] = [
            {"api_name": "location", "type": "text", "label": TEXT} if f["api_name"] == "location" else f
            for f in objects["zoo_animal"]["fields"]
        ]

    with pytest.raises(MigrationError, match="zoo_animal.location .* different numbers of columns"):
        diff(registry, changed(registry, change))


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (unique_group, lambda objects, zoo: objects["zoo_animal"].pop("unique"), ["drop unique index ux_zoo_animal_name_enclosure on zoo_animal (name, enclosure)"]),
        (
            lambda objects, zoo: objects["zoo_animal"].update(unique=[["nickname", "legs"]]),
            unique_group_field_retyped,
            [
                "drop unique index ux_zoo_animal_nickname_legs on zoo_animal (nickname, legs)",
                "change field zoo_animal.nickname: text VARCHAR(40) → text VARCHAR(80) (values converted)",
                "add unique index ux_zoo_animal_nickname_legs on zoo_animal (nickname, legs together)",
            ],
        ),
        (
            lambda objects, zoo: objects["zoo_animal"].update(unique=[["nickname", "legs"]]),
            unique_group_field_renamed,
            [
                "drop unique index ux_zoo_animal_nickname_legs on zoo_animal (nickname, legs)",
                "rename field zoo_animal.nickname → alias (data kept)",
                "add unique index ux_zoo_animal_alias_legs on zoo_animal (alias, legs together)",
            ],
        ),
    ],
    ids=["removed", "field retyped", "field renamed"],
)
def test_unique_group_changes_rebuild_their_index(registry, changed, before, after, expected):
    start = changed(registry, before)
    plan = diff(start, changed(start, after))
    assert [operation.describe() for operation in plan.operations] == expected
