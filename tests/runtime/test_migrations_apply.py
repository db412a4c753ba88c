"""Applying plans on populated tables, for every migration kind, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

import runtime.migrations.apply as apply_module
from runtime.errors import ArchiveError, ConversionError, DataLossError, DriftError, MigrationError
from runtime.migrations import (
    apply_plan,
    check_drift,
    check_plan,
    diff,
    list_archives,
    purge,
    restore_field,
    restore_object,
)
from runtime.site import open_site

TEXT = {"en": "T"}


def snapshot(site) -> dict:
    """Everything a failed migration must leave as it was: tables, columns, constraints, rows."""
    inspector = sa.inspect(site.engine)
    state = {}
    with site.engine.connect() as connection:
        for name in sorted(inspector.get_table_names()):
            table = sa.Table(name, sa.MetaData(), autoload_with=connection)
            state[name] = {
                "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(name)],
                "indexes": sorted(i["name"] for i in inspector.get_indexes(name)),
                "uniques": sorted(u["name"] for u in inspector.get_unique_constraints(name)),
                "foreign_keys": sorted(f["name"] or "" for f in inspector.get_foreign_keys(name)),
                "rows": sorted(map(repr, connection.execute(sa.select(table)).all())),
            }
    return state


@pytest.fixture
def populated(site, insert_rows):
    """The zoo site with enclosures, animals and meals in it; returns the ids by kind."""
    pens = insert_rows(site, "zoo_enclosure", [{"name": "North", "capacity": 4}, {"name": "South", "capacity": 9}])
    animals = insert_rows(
        site,
        "zoo_animal",
        [
            {"name": "Rex", "nickname": "12", "legs": 4, "weight": Decimal("120.50"), "notes": "old", "enclosure": pens[0], "code": "R"},
            {"name": "Tweety", "nickname": "007", "legs": 2, "weight": Decimal("0.25"), "notes": "small", "enclosure": pens[1]},
            {"name": "Nemo", "nickname": None, "legs": 0, "weight": None, "notes": None},
        ],
    )
    meals = insert_rows(site, "zoo_meal", [{"name": "hay", "animal": animals[0], "grams": Decimal("250.5")}])
    return {"pens": pens, "animals": animals, "meals": meals}


def migrate(site, changed, change, **options):
    plan = diff(site.registry, changed(site.registry, change))
    apply_plan(site, plan, **options)
    return plan


def _field(objects, object_name, field_name):
    return next(field for field in objects[object_name]["fields"] if field["api_name"] == field_name)


def _remove(objects, object_name, *names):
    objects[object_name]["fields"] = [f for f in objects[object_name]["fields"] if f["api_name"] not in names]


def _no_drift(site):
    with site.engine.connect() as connection:
        assert check_drift(connection, site.registry) == []
    reopened = open_site(site.engine)
    assert reopened.registry.objects == site.registry.objects


# --- add --------------------------------------------------------------------------------------


def test_add_fields_to_a_populated_table(site, populated, changed, select_rows):
    def change(objects, zoo):
        objects["zoo_animal"]["fields"] += [
            {"api_name": "height", "type": "number", "label": TEXT, "indexed": True},
            {"api_name": "chip", "type": "text", "max_length": 20, "unique": True, "label": TEXT},
            {"api_name": "mother", "type": "lookup", "to": "zoo_animal", "label": TEXT},
            {"api_name": "gate", "type": "geolocation", "label": TEXT},
        ]

    migrate(site, changed, change)
    rows = select_rows(site, "zoo_animal", "name", "height", "chip", "mother", "gate__lat")
    assert sorted(row[1:] for row in rows) == [("Nemo", None, None, None, None), ("Rex", None, None, None, None), ("Tweety", None, None, None, None)]
    _no_drift(site)


def test_add_an_object(site, populated, changed, insert_rows, select_rows):
    def change(objects, zoo):
        zoo["objects"].append(
            {
                "api_name": "zoo_bird",
                "label": TEXT,
                "plural_label": TEXT,
                "fields": [{"api_name": "name", "type": "text", "label": TEXT}, {"api_name": "nest", "type": "lookup", "to": "zoo_enclosure", "label": TEXT}],
            }
        )

    migrate(site, changed, change)
    insert_rows(site, "zoo_bird", [{"name": "Polly", "nest": populated["pens"][0]}])
    assert [row[1:] for row in select_rows(site, "zoo_bird", "name", "nest")] == [("Polly", populated["pens"][0])]
    _no_drift(site)


# --- rename -----------------------------------------------------------------------------------


def test_rename_fields_keeps_their_data(site, populated, changed, select_rows):
    before = select_rows(site, "zoo_animal", "nickname", "code", "enclosure")

    def change(objects, zoo):
        _field(objects, "zoo_animal", "nickname").update(api_name="alias", renamed_from="nickname")
        _field(objects, "zoo_animal", "code").update(api_name="serial", renamed_from="code")
        _field(objects, "zoo_animal", "enclosure").update(api_name="pen", renamed_from="enclosure")

    migrate(site, changed, change)
    assert select_rows(site, "zoo_animal", "alias", "serial", "pen") == before
    _no_drift(site)


def test_rename_an_object_keeps_rows_ids_and_references(site, populated, changed, select_rows):
    pens = select_rows(site, "zoo_enclosure", "name", "capacity")
    links = select_rows(site, "zoo_animal", "enclosure")

    def change(objects, zoo):
        objects["zoo_enclosure"].update(api_name="zoo_pen", renamed_from="zoo_enclosure")
        _field(objects, "zoo_animal", "enclosure")["to"] = "zoo_pen"
        _field(objects, "zoo_meal", "visitor")["to"] = ["zoo_animal", "zoo_pen"]

    migrate(site, changed, change)
    assert "zoo_enclosure" not in sa.inspect(site.engine).get_table_names()
    assert select_rows(site, "zoo_pen", "name", "capacity") == pens
    assert select_rows(site, "zoo_animal", "enclosure") == links
    _no_drift(site)
    # the restrict reference now guards the renamed table
    table = site.tables["zoo_pen"]
    with pytest.raises(sa.exc.IntegrityError), site.begin() as connection:
        connection.execute(table.delete().where(table.c.id == populated["pens"][0]))


# --- type changes -----------------------------------------------------------------------------


def _retype(object_name, field_name, **definition):
    def change(objects, zoo):
        field = _field(objects, object_name, field_name)
        for option in ("max_length", "precision", "scale"):
            field.pop(option, None)
        field.update(definition)

    return change


@pytest.mark.parametrize(
    ("field", "definition", "expected"),
    [
        ("nickname", {"type": "integer"}, {"Rex": 12, "Tweety": 7, "Nemo": None}),
        ("weight", {"type": "text", "max_length": 20}, {"Rex": "120.50", "Tweety": "0.25", "Nemo": None}),
        ("legs", {"type": "number", "precision": 6, "scale": 1}, {"Rex": Decimal("4.0"), "Tweety": Decimal("2.0"), "Nemo": Decimal("0.0")}),
        ("legs", {"type": "text", "max_length": 5}, {"Rex": "4", "Tweety": "2", "Nemo": "0"}),
        ("weight", {"type": "number", "precision": 14, "scale": 4}, {"Rex": Decimal("120.5000"), "Tweety": Decimal("0.2500"), "Nemo": None}),
        ("nickname", {"type": "text", "max_length": 3}, {"Rex": "12", "Tweety": "007", "Nemo": None}),
    ],
)
def test_type_change_converts_values(site, populated, changed, select_rows, field, definition, expected):
    def change(objects, zoo):
        _retype("zoo_animal", field, **definition)(objects, zoo)
        if field == "weight" and definition["type"] == "text":
            # the formula reading weight must follow the type change, or the metadata is refused
            _field(objects, "zoo_animal", "heavy")["expression"] = "VALUE(weight) > 100"

    migrate(site, changed, change)
    assert {row[1]: row[2] for row in select_rows(site, "zoo_animal", "name", field)} == expected
    _no_drift(site)


def test_type_change_to_date_and_checkbox(site, insert_rows, changed, select_rows):
    insert_rows(site, "zoo_animal", [{"name": "A", "nickname": "2024-02-29", "code": "yes"}, {"name": "B", "nickname": "1999-12-31", "code": "0"}])

    def change(objects, zoo):
        _retype("zoo_animal", "nickname", type="date")(objects, zoo)
        _retype("zoo_animal", "code", type="checkbox")(objects, zoo)

    migrate(site, changed, change)
    assert sorted(row[1:] for row in select_rows(site, "zoo_animal", "name", "nickname", "code")) == [
        ("A", dt.date(2024, 2, 29), True),
        ("B", dt.date(1999, 12, 31), False),
    ]
    _no_drift(site)


@pytest.mark.parametrize(
    ("field", "definition", "fine", "bad"),
    [
        ("nickname", {"type": "integer"}, "12", {"twelve": "not a whole number", "1.5": "not a whole number"}),
        (
            "weight",
            {"type": "number", "precision": 5, "scale": 1},
            Decimal("1.50"),
            {Decimal("120.55"): "more than 1 decimal places", Decimal("12345.00"): "more than 4 digits before the decimal point"},
        ),
        ("nickname", {"type": "text", "max_length": 3}, "abc", {"twelve": "longer than 3 characters"}),
        ("nickname", {"type": "date"}, "2024-01-31", {"twelve": "not a date (YYYY-MM-DD)", "2024-02-30": "not a date (YYYY-MM-DD)"}),
        ("legs", {"type": "checkbox"}, 1, {4: "not true or false"}),
    ],
)
def test_type_change_refused_lists_rows_and_changes_nothing(site, insert_rows, changed, field, definition, fine, bad):
    good = insert_rows(site, "zoo_animal", [{"name": "ok", field: fine}])
    values = list(bad)
    rows = [{"name": f"bad{i}", field: value} for i, value in enumerate(values)]
    bad_ids = insert_rows(site, "zoo_animal", rows)
    before = snapshot(site)
    plan = diff(site.registry, changed(site.registry, _retype("zoo_animal", field, **definition)))
    with pytest.raises(ConversionError) as caught:
        check_plan(site, plan)  # the check alone, as `tessera db plan` runs it
    with pytest.raises(ConversionError) as caught:
        apply_plan(site, plan)
    error = caught.value
    assert sorted((item.record_id, item.value, item.reason) for item in error.values) == sorted(
        (record_id, value, bad[value]) for record_id, value in zip(bad_ids, values)
    )
    for record_id in bad_ids:
        assert record_id in str(error)
    assert good[0] not in str(error)
    assert snapshot(site) == before
    assert site.registry is plan.old


def test_a_large_refusal_lists_the_first_rows_and_counts_the_rest(site, insert_rows, changed):
    insert_rows(site, "zoo_animal", [{"name": f"n{i}", "nickname": f"x{i}"} for i in range(25)])
    with pytest.raises(ConversionError, match=r"25 values do not convert[\s\S]*… and 5 more") as caught:
        migrate(site, changed, _retype("zoo_animal", "nickname", type="integer"))
    assert len(caught.value.values) == 25


# --- remove and restore -----------------------------------------------------------------------


def test_removing_a_field_needs_permission(site, populated, changed):
    before = snapshot(site)
    with pytest.raises(DataLossError, match="archive field zoo_animal.notes"):
        migrate(site, changed, lambda objects, zoo: _remove(objects, "zoo_animal", "notes"))
    assert snapshot(site) == before


def test_remove_a_field_then_restore_it(site, populated, changed, select_rows):
    notes = {row[0]: row[1] for row in select_rows(site, "zoo_animal", "notes")}
    original = site.registry
    migrate(site, changed, lambda objects, zoo: _remove(objects, "zoo_animal", "notes"), allow_data_loss=True)
    assert "notes" not in {c["name"] for c in sa.inspect(site.engine).get_columns("zoo_animal")}
    (archive,) = list_archives(site)
    assert (archive.kind, archive.target, archive.row_count) == ("field", "zoo_animal.notes", 2)
    _no_drift(site)

    with pytest.raises(ArchiveError, match="declare it again"):
        restore_field(site, "zoo_animal", "notes")
    apply_plan(site, diff(site.registry, original))  # the field is declared again: empty
    assert {row[1] for row in select_rows(site, "zoo_animal", "notes")} == {None}
    result = restore_field(site, "zoo_animal", "notes")
    assert (result.restored, result.skipped) == (2, 0)
    assert {row[0]: row[1] for row in select_rows(site, "zoo_animal", "notes")} == notes
    assert list_archives(site) == []
    assert "tessera_archive_1" not in sa.inspect(site.engine).get_table_names()
    _no_drift(site)


def test_restore_keeps_values_entered_since_and_converts_to_the_new_type(site, populated, changed, select_rows):
    migrate(site, changed, lambda objects, zoo: _remove(objects, "zoo_animal", "nickname"), allow_data_loss=True)

    def back_as_integer(objects, zoo):
        objects["zoo_animal"]["fields"].append({"api_name": "nickname", "type": "integer", "label": TEXT})

    migrate(site, changed, back_as_integer)
    rex = populated["animals"][0]
    table = site.tables["zoo_animal"]
    with site.begin() as connection:
        connection.execute(table.update().where(table.c.id == rex).values(nickname=99))
    result = restore_field(site, "zoo_animal", "nickname")
    assert (result.restored, result.skipped) == (1, 1)
    values = {row[1]: row[2] for row in select_rows(site, "zoo_animal", "name", "nickname")}
    assert values == {"Rex": 99, "Tweety": 7, "Nemo": None}


def test_remove_an_object_then_restore_it(site, populated, changed, select_rows):
    meals = select_rows(site, "zoo_meal", "name", "animal", "grams")
    original = site.registry

    def change(objects, zoo):
        zoo["objects"].remove(objects["zoo_meal"])
        _remove(objects, "zoo_animal", "meal_count", "food_total", "last_meal")

    migrate(site, changed, change, allow_data_loss=True)
    assert "zoo_meal" not in sa.inspect(site.engine).get_table_names()
    kinds = sorted((archive.kind, archive.target) for archive in list_archives(site))
    assert ("object", "zoo_meal") in kinds and len(kinds) == 4
    _no_drift(site)

    apply_plan(site, diff(site.registry, original))
    result = restore_object(site, "zoo_meal")
    assert result.restored == 1
    assert select_rows(site, "zoo_meal", "name", "animal", "grams") == meals
    _no_drift(site)


def test_purge_deletes_archives_for_good(site, populated, changed):
    migrate(site, changed, lambda objects, zoo: _remove(objects, "zoo_animal", "notes", "nickname"), allow_data_loss=True)
    assert len(list_archives(site)) == 2
    purged = purge(site, object_name="zoo_animal", field_name="notes")
    assert [archive.target for archive in purged] == ["zoo_animal.notes"]
    assert [archive.target for archive in list_archives(site)] == ["zoo_animal.nickname"]
    assert purged[0].table_name not in sa.inspect(site.engine).get_table_names()
    with pytest.raises(ArchiveError, match="no archive"):
        purge(site, object_name="zoo_animal", field_name="notes")
    with pytest.raises(ArchiveError, match="no archive of field zoo_animal.notes"):
        restore_field(site, "zoo_animal", "notes")


# --- constraints ------------------------------------------------------------------------------


def test_unique_on_repeated_values_is_refused(site, insert_rows, changed):
    insert_rows(site, "zoo_animal", [{"name": "a", "nickname": "same"}, {"name": "b", "nickname": "same"}])
    before = snapshot(site)

    def change(objects, zoo):
        _field(objects, "zoo_animal", "nickname")["unique"] = True

    with pytest.raises(MigrationError, match=r"values repeat: 'same' \(2 records\)"):
        migrate(site, changed, change)
    assert snapshot(site) == before


def test_retargeting_a_lookup_refuses_dangling_references(site, populated, changed):
    before = snapshot(site)

    def change(objects, zoo):
        _field(objects, "zoo_animal", "enclosure")["to"] = "zoo_meal"

    with pytest.raises(ConversionError, match="no zoo_meal record with this id"):
        migrate(site, changed, change)
    assert snapshot(site) == before


# --- atomicity ------------------------------------------------------------------------------


@pytest.mark.parametrize("fail_at", [1, 3, 5])
def test_a_failure_half_way_changes_nothing(site, populated, changed, monkeypatch, fail_at):
    def change(objects, zoo):
        _remove(objects, "zoo_animal", "notes")
        _field(objects, "zoo_animal", "nickname").update(api_name="alias", renamed_from="nickname")
        _retype("zoo_animal", "legs", type="text", max_length=5)(objects, zoo)
        objects["zoo_animal"]["fields"].append({"api_name": "chip", "type": "text", "unique": True, "label": TEXT})
        zoo["objects"].append(
            {"api_name": "zoo_bird", "label": TEXT, "plural_label": TEXT, "fields": [{"api_name": "name", "type": "text", "label": TEXT}]}
        )

    plan = diff(site.registry, changed(site.registry, change))
    assert len(plan.operations) >= 6
    before = snapshot(site)
    applied = []
    real = apply_module.apply_operation

    def failing(runner, operation):
        if len(applied) == fail_at:
            raise sa.exc.OperationalError("injected", {}, Exception("disk on fire"))
        real(runner, operation)
        applied.append(operation)

    monkeypatch.setattr(apply_module, "apply_operation", failing)
    with pytest.raises(MigrationError, match="disk on fire; nothing was changed"):
        apply_plan(site, plan, allow_data_loss=True)
    assert len(applied) == fail_at
    assert snapshot(site) == before
    assert site.registry is plan.old
    monkeypatch.setattr(apply_module, "apply_operation", real)
    apply_plan(site, plan, allow_data_loss=True)  # and the same plan still applies cleanly
    _no_drift(site)


def test_drift_rolls_the_migration_back(site, populated, changed, monkeypatch):
    before = snapshot(site)
    monkeypatch.setattr(apply_module, "check_drift", lambda connection, registry: ["column zoo_animal.x is odd"])
    with pytest.raises(DriftError, match="column zoo_animal.x is odd"):
        migrate(site, changed, lambda objects, zoo: objects["zoo_animal"]["fields"].append({"api_name": "x", "type": "integer", "label": TEXT}))
    assert snapshot(site) == before


def test_drift_check_reports_differences(site):
    with site.begin() as connection:
        connection.execute(sa.text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
        connection.execute(sa.text("ALTER TABLE zoo_enclosure ADD COLUMN extra INTEGER"))
        connection.execute(sa.text("DROP INDEX ix_zoo_animal_name"))
    with site.engine.connect() as connection:
        assert check_drift(connection, site.registry) == [
            "table stray is not described by the metadata",
            "index ix_zoo_animal_name on zoo_animal is missing",
            "column zoo_enclosure.extra is not described by the metadata",
        ]


def test_a_stale_plan_is_refused(site, changed):
    first = diff(site.registry, changed(site.registry, lambda objects, zoo: objects["zoo_animal"]["fields"].append({"api_name": "x", "type": "integer", "label": TEXT})))
    second = diff(site.registry, changed(site.registry, lambda objects, zoo: objects["zoo_animal"]["fields"].append({"api_name": "y", "type": "integer", "label": TEXT})))
    apply_plan(site, first)
    with pytest.raises(MigrationError, match="changed since this plan was made"):
        apply_plan(site, second)


def test_metadata_only_change_updates_the_store(site, changed):
    def change(objects, zoo):
        _field(objects, "zoo_animal", "legs")["label"] = {"en": "Leg count"}

    plan = migrate(site, changed, change)
    assert plan.operations == []
    assert open_site(site.engine).registry.field("zoo_animal", "legs").label.en == "Leg count"


def test_only_tables_whose_references_can_break_are_checked(site, changed):
    def plan_of(change):
        return diff(site.registry, changed(site.registry, change))

    add = plan_of(lambda objects, zoo: objects["zoo_animal"]["fields"].append({"api_name": "x", "type": "integer", "label": TEXT}))
    assert apply_module._tables_to_check(add) == set()  # a 1M-row table gains a column without a scan

    def rename_pen(objects, zoo):
        objects["zoo_enclosure"].update(api_name="zoo_pen", renamed_from="zoo_enclosure")
        _field(objects, "zoo_animal", "enclosure")["to"] = "zoo_pen"
        _field(objects, "zoo_meal", "visitor")["to"] = ["zoo_animal", "zoo_pen"]

    assert apply_module._tables_to_check(plan_of(rename_pen)) == {"zoo_pen", "zoo_animal", "zoo_meal"}
    assert apply_module._tables_to_check(plan_of(_retype("zoo_animal", "legs", type="text", max_length=5))) == {"zoo_animal"}


def test_a_step_that_leaves_a_dangling_reference_rolls_back(site, populated, changed, monkeypatch):
    def rename_pen(objects, zoo):
        objects["zoo_enclosure"].update(api_name="zoo_pen", renamed_from="zoo_enclosure")
        _field(objects, "zoo_animal", "enclosure")["to"] = "zoo_pen"
        _field(objects, "zoo_meal", "visitor")["to"] = ["zoo_animal", "zoo_pen"]

    plan = diff(site.registry, changed(site.registry, rename_pen))
    before = snapshot(site)
    real = apply_module.apply_operation

    def losing_a_row(runner, operation):
        real(runner, operation)
        if operation is plan.operations[-1]:  # a faulty last step drops a row others refer to
            runner.connection.execute(sa.text("DELETE FROM zoo_pen WHERE name = 'North'"))

    monkeypatch.setattr(apply_module, "apply_operation", losing_a_row)
    # SQLite runs the plan with foreign keys off and checks the references before commit;
    # PostgreSQL refuses the DELETE itself
    expected = "references to missing records" if site.engine.dialect.name == "sqlite" else "nothing was changed"
    with pytest.raises(MigrationError, match=expected):
        apply_plan(site, plan)
    assert snapshot(site) == before


# --- unique groups ----------------------------------------------------------------------------


def _unique_name_per_enclosure(objects, zoo):
    objects["zoo_animal"]["unique"] = [["name", "enclosure"]]


def _unique_indexes(site) -> dict:
    return {index["name"]: (index["column_names"], bool(index["unique"])) for index in sa.inspect(site.engine).get_indexes("zoo_animal")}


def test_a_unique_group_becomes_a_unique_index(site, populated, changed):
    migrate(site, changed, _unique_name_per_enclosure)
    assert _unique_indexes(site)["ux_zoo_animal_name_enclosure"] == (["name", "enclosure"], True)
    _no_drift(site)

    def drop(objects, zoo):
        objects["zoo_animal"].pop("unique")

    migrate(site, changed, drop)
    assert "ux_zoo_animal_name_enclosure" not in _unique_indexes(site)
    _no_drift(site)


def test_a_unique_group_over_repeated_values_is_refused_with_a_count(site, populated, changed, insert_rows):
    pen = populated["pens"][0]
    insert_rows(site, "zoo_animal", [{"name": "Rex", "enclosure": pen}, {"name": "Rex", "enclosure": pen}])
    # blanks never clash: two animals without an enclosure may share a name
    insert_rows(site, "zoo_animal", [{"name": "Nemo"}])
    before = snapshot(site)
    plan = diff(site.registry, changed(site.registry, _unique_name_per_enclosure))
    assert "add unique index ux_zoo_animal_name_enclosure on zoo_animal (name, enclosure together)" in str(plan)
    expected = rf"cannot make \(name, enclosure\) of zoo_animal unique together: 3 records share their values in 1 group: name='Rex', enclosure='{pen}' \(3 records\)"
    with pytest.raises(MigrationError, match=expected):
        check_plan(site, plan)  # as `tessera db plan` runs it: refused before anything is written
    assert snapshot(site) == before
    with pytest.raises(MigrationError, match=expected):
        apply_plan(site, plan)
    assert snapshot(site) == before
    assert site.registry is plan.old
