"""Per-property overrides: computed from two documents, applied back, conflicts named."""

from __future__ import annotations

import pytest

from metadata.overrides import OverrideConflict, apply_override, compute_override

BASE = {
    "api_name": "thing",
    "label": {"en": "Thing", "zh": "东西"},
    "fields": [
        {"api_name": "a", "type": "text", "label": {"en": "A"}},
        {"api_name": "b", "type": "picklist", "label": {"en": "B"}, "values": [{"api_name": "x", "label": {"en": "X"}}, {"api_name": "y", "label": {"en": "Y"}}]},
    ],
    "sections": ["a", "b"],
}


def changed(**edits):
    import copy

    document = copy.deepcopy(BASE)
    for key, value in edits.items():
        document[key] = value
    return document


@pytest.mark.parametrize(
    "desired, expected_set, expected_remove",
    [
        (changed(label={"en": "Item", "zh": "东西"}), {"label.en": "Item"}, []),
        (changed(sections=["b", "a"]), {"sections": ["b", "a"]}, []),  # a plain list is one property
        (changed(fields=[BASE["fields"][1], BASE["fields"][0]]), {"fields.@sequence": ["b", "a"]}, []),
        (changed(fields=[BASE["fields"][0]]), {}, ["fields[b]"]),
        (changed(fields=[{**BASE["fields"][0], "required": True}, BASE["fields"][1]]), {"fields[a].required": True}, []),
        (changed(fields=[BASE["fields"][0], {**BASE["fields"][1], "values": [*BASE["fields"][1]["values"], {"api_name": "z", "label": {"en": "Z"}}]}]),
         {"fields[b].values[z]": {"api_name": "z", "label": {"en": "Z"}}}, []),
    ],
)
def test_compute_finds_each_property_and_apply_gives_the_document_back(desired, expected_set, expected_remove):
    changes, removed = compute_override(BASE, desired)
    assert (changes, removed) == (expected_set, expected_remove)
    assert apply_override(BASE, changes, removed) == desired


def test_an_override_naming_what_is_gone_is_a_conflict():
    with pytest.raises(OverrideConflict) as conflict:
        apply_override(BASE, {"fields[gone].required": True}, [])
    assert conflict.value.path == "fields[gone].required"
    with pytest.raises(OverrideConflict):
        apply_override(BASE, {}, ["fields[gone]"])


def test_a_new_package_item_keeps_its_place_after_a_site_sequence():
    grown = changed(fields=[*BASE["fields"], {"api_name": "c", "type": "text", "label": {"en": "C"}}])
    result = apply_override(grown, {"fields.@sequence": ["b", "a"]}, [])
    assert [field["api_name"] for field in result["fields"]] == ["b", "a", "c"]


def write_package(root, name, depends, overrides):
    import yaml

    (root / name / "overrides").mkdir(parents=True)
    manifest = {"name": name, "version": "1.0.0", "label": {"en": name}, "depends": [{"name": other} for other in depends]}
    (root / name / "package.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    for index, override in enumerate(overrides):
        (root / name / "overrides" / f"{index}.yaml").write_text(yaml.safe_dump(override), encoding="utf-8")
    return root / name


def test_a_package_overrides_what_it_depends_on_and_problems_name_the_override_file(tmp_path):
    from metadata.errors import PackageError
    from metadata.registry import STANDARD_PACKAGE, SYSTEM_PACKAGE, load_registry

    good = write_package(tmp_path, "relabel", ["crm"], [{"kind": "object", "api_name": "account", "set": {"label.en": "Client"}}])
    assert load_registry([SYSTEM_PACKAGE, STANDARD_PACKAGE, good]).objects["account"].label.en == "Client"

    bad = write_package(tmp_path, "broken", ["system"], [
        {"kind": "object", "api_name": "account", "set": {"label.en": "Client"}},  # crm is not a dependency
        {"kind": "object", "api_name": "user", "set": {"fields[nope].required": True}},
        {"kind": "layout", "api_name": "nowhere", "set": {"label.en": "X"}},
    ])
    with pytest.raises(PackageError) as error:
        load_registry([SYSTEM_PACKAGE, STANDARD_PACKAGE, bad])
    messages = [str(problem) for problem in error.value.problems]
    assert any("broken/overrides/0.yaml" in text and "does not depend on" in text for text in messages)
    assert any("broken/overrides/1.yaml" in text and "no item 'nope'" in text for text in messages)
    assert any("broken/overrides/2.yaml" in text and "unknown layout 'nowhere'" in text for text in messages)
