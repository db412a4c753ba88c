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
