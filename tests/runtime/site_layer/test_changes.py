"""The site layer: changes planned and applied as change sets, and exported as a package."""

from __future__ import annotations

import copy

import pytest
import sqlalchemy as sa

from metadata.registry import load_registry, shipped_packages
from runtime.site import init_site, open_site
from runtime.site_layer import KINDS, SetupError, apply_change, component, list_change_sets, plan_change, plan_revert
from runtime.site_layer.export import site_package_files

VEHICLE = {
    "api_name": "vehicle",
    "label": {"en": "Vehicle", "zh": "车辆"},
    "plural_label": {"en": "Vehicles", "zh": "车辆"},
    "fields": [
        {"api_name": "name", "type": "text", "label": {"en": "Name"}, "required": True},
        {"api_name": "account", "type": "lookup", "label": {"en": "Account"}, "to": "account", "on_delete": "set_null"},
        {"api_name": "kind", "type": "picklist", "label": {"en": "Kind"}, "values": [{"api_name": "car", "label": {"en": "Car"}}]},
    ],
}


def apply(site, kind, name, body, **options):
    return apply_change(site, plan_change(site, [(kind, name, body)]), changed_by=None, **options)


def customise(site) -> None:
    """A bit of everything: a new object and layout, a field on a package object, overrides."""
    apply(site, "objects", "vehicle", VEHICLE)
    apply(site, "layouts", "vehicle_default", {"api_name": "vehicle_default", "object": "vehicle", "label": {"en": "Vehicle"},
                                               "sections": [{"api_name": "main", "label": {"en": "Main"}, "fields": ["name", "account"]}]})
    account = component(site.registry, "objects", "account")
    account["label"] = {"en": "Client", "zh": "客户"}
    account["fields"].append({"api_name": "fleet_size", "type": "integer", "label": {"en": "Fleet Size"}})
    rule = account.get("validation_rules", [None])[0]
    if rule is not None:
        rule["active"] = False
    apply(site, "objects", "account", account)
    layout = component(site.registry, "layouts", "account_default")
    layout["sections"] = list(reversed(layout["sections"]))
    apply(site, "layouts", "account_default", layout)


def test_package_changes_are_overrides_and_additions_an_extension(engine):
    site = init_site(engine)
    customise(site)
    assert site.registry.objects["account"].label.en == "Client"
    assert "fleet_size" in site.table("account").c
    site_package = next(package for package in site.registry.packages if package.name == "site")
    assert [extension.extends for extension, _ in site_package.extensions] == ["account"]
    overrides = {(override.kind, override.api_name): override for override, _ in site_package.overrides}
    assert overrides[("object", "account")].set["label.en"] == "Client"
    assert "sections.@sequence" in overrides[("layout", "account_default")].set or any(key.startswith("sections") for key in overrides[("layout", "account_default")].set)
    crm = next(package for package in site.registry.packages if package.name == "crm")
    assert next(definition for definition, _ in crm.objects if definition.api_name == "account").label.en == "Account"
    # another process opening the database sees the same effective metadata
    other = open_site(engine)
    assert component(other.registry, "objects", "account") == component(site.registry, "objects", "account")
    other.dispose()


def test_an_invalid_change_changes_nothing(engine):
    site = init_site(engine)
    body = copy.deepcopy(VEHICLE)
    body["fields"][1]["to"] = "no_such_object"
    with pytest.raises(SetupError) as refused:
        plan_change(site, [("objects", "vehicle", body)])
    assert refused.value.problems[0].path.startswith("fields[1]")
    assert "vehicle" not in site.registry.objects
    with engine.connect() as connection:
        assert not sa.inspect(connection).has_table("vehicle")
    assert list_change_sets(site) == []


def test_removing_a_field_is_confirmed_and_reverting_restores_the_definition(engine):
    site = init_site(engine)
    apply(site, "objects", "vehicle", VEHICLE)
    before = component(site.registry, "objects", "vehicle")
    smaller = copy.deepcopy(VEHICLE)
    smaller["fields"] = smaller["fields"][:2]
    plan = plan_change(site, [("objects", "vehicle", smaller)])
    assert plan.archives and plan.as_dict()["archives"] is True
    with pytest.raises(SetupError) as refused:
        apply_change(site, plan, changed_by=None)
    assert refused.value.codes == ["confirm_data_loss"]
    assert "kind" in site.table("vehicle").c
    change = apply_change(site, plan, changed_by=None, confirm=True)
    assert "kind" not in site.table("vehicle").c
    undo = plan_revert(site, change["id"])
    assert "add field vehicle.kind" in " ".join(undo.as_dict()["operations"])
    apply_change(site, undo, changed_by=None)
    assert component(site.registry, "objects", "vehicle") == before
    assert "kind" in site.table("vehicle").c


def test_the_exported_site_layer_installs_elsewhere_with_the_same_result(engine, tmp_path):
    site = init_site(engine)
    customise(site)
    directory = tmp_path / "site"
    for relative, text in site_package_files(site.registry).items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    load_registry([*shipped_packages(), directory])  # what `tessera metadata check` does
    fresh = init_site(f"sqlite:///{tmp_path / 'fresh.sqlite'}", [*shipped_packages(), directory])
    for kind in KINDS:
        names = set(KINDS[kind].table(site.registry))
        assert names == set(KINDS[kind].table(fresh.registry)), kind
        for name in names:
            assert component(fresh.registry, kind, name) == component(site.registry, kind, name), (kind, name)
    assert {column.name for column in fresh.table("account").c} == {column.name for column in site.table("account").c}
    fresh.dispose()


def test_a_type_change_that_loses_values_is_refused_unless_confirmed_and_then_archives_them(engine):
    from runtime.migrations import list_archives, restore_field
    from runtime.records import RecordService
    from runtime.records.context import SYSTEM

    site = init_site(engine)
    body = copy.deepcopy(VEHICLE)
    body["fields"].append({"api_name": "seats", "type": "text", "label": {"en": "Seats"}})
    apply(site, "objects", "vehicle", body)
    records = RecordService(site)
    good = records.create(SYSTEM, "vehicle", {"name": "Van", "seats": "12"})
    bad = records.create(SYSTEM, "vehicle", {"name": "Bus", "seats": "many"})
    body["fields"][-1]["type"] = "integer"
    plan = plan_change(site, [("objects", "vehicle", body)])
    shown = plan.as_dict()
    assert [item["record_id"] for item in shown["unconvertible"]] == [bad["id"]]
    assert shown["archives"] is True and shown["values_converted"] == 2
    with pytest.raises(SetupError) as refused:
        apply_change(site, plan, changed_by=None)
    assert refused.value.codes == ["values_not_convertible"]
    assert refused.value.problems[0].path == "fields[seats].type"
    assert records.get(SYSTEM, "vehicle", bad["id"])["seats"] == "many"  # nothing changed

    apply_change(site, plan, changed_by=None, confirm=True)
    assert records.get(SYSTEM, "vehicle", good["id"])["seats"] == 12
    assert records.get(SYSTEM, "vehicle", bad["id"])["seats"] is None
    [archive] = list_archives(site, "vehicle", "seats")
    assert archive.row_count == 1

    # the archived value comes back once the field can hold it again
    body["fields"][-1]["type"] = "text"
    apply_change(site, plan_change(site, [("objects", "vehicle", body)]), changed_by=None)
    restore_field(site, "vehicle", "seats")
    assert records.get(SYSTEM, "vehicle", bad["id"])["seats"] == "many"
