"""The loader reports every problem at once, as file:line:col with a hint, for each class of error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from metadata.errors import PackageError
from metadata.registry import SYSTEM_PACKAGE, load_registry

FIXTURE = Path(__file__).parent / "fixtures" / "equipment"


def load_edited(tmp_path: Path, edits: list[tuple[str, str, str]], extra_files: dict[str, str] | None = None):
    """Copy the fixture package, apply (file, old, new) text edits, load it with the system package."""
    root = tmp_path / "equipment"
    shutil.copytree(FIXTURE, root)
    for relative, old, new in edits:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"fixture edit does not apply: {old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    for relative, text in (extra_files or {}).items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    return load_registry([SYSTEM_PACKAGE, root])


def problems_of(tmp_path, edits, extra_files=None) -> list[str]:
    with pytest.raises(PackageError) as caught:
        load_edited(tmp_path, edits, extra_files)
    return [str(problem) for problem in caught.value.problems]


DEVICE = "objects/eq_device.yaml"
VISIT = "objects/eq_visit.yaml"
LAYOUT = "layouts/eq_device_default.yaml"


def test_fixture_package_is_valid(tmp_path):
    registry = load_edited(tmp_path, [])
    assert registry.stats() == {"objects": 4, "fields": 27, "layouts": 3, "rules": 1}
    assert [package.name for package in registry.packages] == ["system", "equipment"]


CASES = {
    "yaml syntax": (
        [(DEVICE, "plural_label: {en: Devices, zh: 设备}", "plural_label: {en: Devices, zh: 设备")],
        "equipment/objects/eq_device.yaml:5:11: YAML syntax error: did not find expected ',' or '}' "
        "(while parsing a flow mapping started at line 4)",
    ),
    "duplicate yaml key": (
        [(DEVICE, "name_field: name\n", "name_field: name\nname_field: serial\n")],
        "equipment/objects/eq_device.yaml:6:1: duplicate key 'name_field' (first at line 5)",
    ),
    "unknown key with hint": (
        [(DEVICE, "    required: true", "    requird: true")],
        "equipment/objects/eq_device.yaml:11:5: unknown key 'requird' — did you mean 'required'?",
    ),
    "unknown field type": (
        [(DEVICE, "type: currency", "type: curency")],
        "equipment/objects/eq_device.yaml:38:11: unknown type 'curency' in fields[5] — did you mean 'currency'?",
    ),
    "missing key": (
        [(VISIT, "label: {en: Maintenance Visit, zh: 维护记录}\n", "")],
        "equipment/objects/eq_visit.yaml:2:1: missing required key 'label'",
    ),
    "invalid identifier": (
        [(DEVICE, "api_name: serial", "api_name: Serial No")],
        "equipment/objects/eq_device.yaml:12:15: fields[1].api_name: invalid identifier 'Serial No': use "
        "lowercase letters, digits and single underscores, starting with a letter (for example 'close_date')",
    ),
    "option on the wrong type": (
        [(DEVICE, "    label: {en: Price, zh: 价格}", "    label: {en: Price, zh: 价格}\n    max_length: 20")],
        "equipment/objects/eq_device.yaml:40:5: unknown key 'max_length' — did you mean 'max_value'?",
    ),
    "model rule": (
        [(DEVICE, "{value: accepted, win_rate: 100, outcome: won}", "{value: accepted, win_rate: 90, outcome: won}")],
        "equipment/objects/eq_device.yaml:56:9: business_types[0].stages[2]: a won stage has a win rate of 100, not 90",
    ),
    "auto-number pattern": (
        [(DEVICE, '"DEV-{YYYY}-{0000}"', '"DEV-{YYYY}-{SEQ}"')],
        "equipment/objects/eq_device.yaml:15:14: fields[1].pattern: unknown token '{SEQ}' in pattern; use {YYYY}, "
        "{YY}, {MM}, {DD} or a counter such as {0000}",
    ),
    "duplicate field": (
        [(DEVICE, "  - api_name: visit_count\n", "  - api_name: price\n    type: number\n    label: {en: P, zh: P}\n  - api_name: visit_count\n")],
        "equipment/objects/eq_device.yaml:40:15: duplicate field 'price' on object 'eq_device' "
        "(also at equipment/objects/eq_device.yaml:37)",
    ),
    "system field name": (
        [(VISIT, "  - api_name: engineer\n", "  - api_name: version\n    type: integer\n    label: {en: V, zh: V}\n  - api_name: engineer\n")],
        "equipment/objects/eq_visit.yaml:13:15: 'version' is a system field every object has; choose another name",
    ),
    "dangling lookup target": (
        [(VISIT, "to: eq_device", "to: eq_devise")],
        "equipment/objects/eq_visit.yaml:12:9: unknown object 'eq_devise' — did you mean 'eq_device'?",
    ),
    "unknown value set": (
        [(DEVICE, "value_set: eq_category", "value_set: eq_categories")],
        "equipment/objects/eq_device.yaml:19:16: unknown value set 'eq_categories' — did you mean 'eq_category'?",
    ),
    "dependent picklist value": (
        [(DEVICE, "imaging: [ct_a, mri_a]", "imaging: [ct_a, mri_b]")],
        "equipment/objects/eq_device.yaml:28:23: 'mri_b' is not a value of 'model' — did you mean 'mri_a'?",
    ),
    "controlling value": (
        [(DEVICE, "imaging: [ct_a, mri_a]", "imagin: [ct_a, mri_a]")],
        "equipment/objects/eq_device.yaml:28:7: 'imagin' is not a value of controlling field 'category' "
        "— did you mean 'imaging'?",
    ),
    "business type layout": (
        [(DEVICE, "layout: eq_device_default", "layout: eq_device_main")],
        "equipment/objects/eq_device.yaml:50:13: unknown layout 'eq_device_main' — did you mean 'eq_device_default'?",
    ),
    "business type picklist subset": (
        [(DEVICE, "category: [imaging]", "category: [imaging, surgery]")],
        "equipment/objects/eq_device.yaml:52:27: 'surgery' is not a value of 'category'",
    ),
    "stage value": (
        [(DEVICE, "{value: installed, win_rate: 60}", "{value: instaled, win_rate: 60}")],
        "equipment/objects/eq_device.yaml:55:17: 'instaled' is not a value of stage field 'status' "
        "— did you mean 'installed'?",
    ),
    "key event shares": (
        [(DEVICE, "{value: ordered, win_rate: 10}", "{value: ordered, win_rate: 10, key_events: [{api_name: paid, label: {en: Paid, zh: 已付款}, win_rate_share: 60}]}")],
        "equipment/objects/eq_device.yaml:54:52: key events of stage 'ordered' add 60 points of win rate, more than "
        "the 50 points up to the next stage",
    ),
    "unknown win rate field": (
        [(DEVICE, "stage_field: status\n", "stage_field: status\nwin_rate_field: prise\n")],
        "equipment/objects/eq_device.yaml:7:17: unknown field 'prise' on 'eq_device' — did you mean 'price'?",
    ),
    "win rate field type": (
        [(DEVICE, "stage_field: status\n", "stage_field: status\nwin_rate_field: name\n")],
        "equipment/objects/eq_device.yaml:7:17: win rate field 'name' must be a percent or number field, not text",
    ),
    "layout field": (
        [(LAYOUT, "fields: [name, serial,", "fields: [name, serail,")],
        "equipment/layouts/eq_device_default.yaml:8:20: unknown field 'serail' on 'eq_device' — did you mean 'serial'?",
    ),
    "related list relation": (
        [(LAYOUT, "    field: device", "    field: engineer")],
        "equipment/layouts/eq_device_default.yaml:11:12: 'eq_visit.engineer' does not refer to 'eq_device'",
    ),
    "rollup relation": (
        [(DEVICE, "relation_field: device", "relation_field: engineer")],
        "equipment/objects/eq_device.yaml:44:21: 'eq_visit.engineer' does not refer to 'eq_device'",
    ),
    "master-detail cycle": (
        [(DEVICE, "  - api_name: price\n", "  - api_name: parent_visit\n    type: master_detail\n    label: {en: V, zh: V}\n    to: eq_visit\n  - api_name: price\n")],
        "equipment/objects/eq_device.yaml:40:9: master-detail cycle: eq_device → eq_visit → eq_device",
    ),
    "reserved object prefix": (
        [("package.yaml", "namespace: eq\n", "")] + [(path, "eq_visit", "tessera_visit") for path in (VISIT, DEVICE, LAYOUT)],
        "equipment/objects/eq_visit.yaml:2:11: object names starting with 'tessera' are reserved for the platform's own tables",
    ),
    "missing dependency": (
        [("package.yaml", "{name: system, version: \">=1.0\"}", "{name: clinic, version: \">=1.0\"}")],
        "equipment/package.yaml:7:12: depends on package 'clinic', which is not loaded",
    ),
    "dependency version": (
        [("package.yaml", 'version: ">=1.0"', 'version: ">=2.0"')],
        "equipment/package.yaml:7:29: needs 'system' >=2.0, but version 1.0.0 is loaded",
    ),
    "namespace prefix": (
        [(VISIT, "api_name: eq_visit", "api_name: visit"), (DEVICE, "child_object: eq_visit", "child_object: visit"), (LAYOUT, "object: eq_visit", "object: visit")],
        "equipment/objects/eq_visit.yaml:2:11: object 'visit' of package 'equipment' must start with 'eq_'",
    ),
}


@pytest.mark.parametrize("edits, expected", list(CASES.values()), ids=list(CASES))
def test_problem_is_reported_with_place_and_hint(tmp_path, edits, expected):
    assert problems_of(tmp_path, edits) == [expected]


def test_win_rate_field_needs_a_stage_field(tmp_path):
    problems = problems_of(tmp_path, [(DEVICE, "stage_field: status\n", "win_rate_field: chance\n")])
    assert "equipment/objects/eq_device.yaml:6:17: object 'eq_device' has no stage_field, so it has no win rate to keep in 'chance'" in problems


def test_win_rate_field_may_be_a_percent_or_number(tmp_path):
    chance = "  - {api_name: chance, type: percent, label: {en: Chance, zh: 赢率}, read_only: true}\n  - api_name: price\n"
    registry = load_edited(tmp_path, [(DEVICE, "stage_field: status\n", "stage_field: status\nwin_rate_field: chance\n"), (DEVICE, "  - api_name: price\n", chance)])
    assert registry.objects["eq_device"].win_rate_field == "chance"


def test_rollup_may_summarise_another_rollup(tmp_path):
    part = (
        "api_name: eq_part\nlabel: {en: Part, zh: 部件}\nplural_label: {en: Parts, zh: 部件}\nfields:\n"
        "  - {api_name: name, type: text, label: {en: Name, zh: 名称}}\n"
        "  - {api_name: device, type: lookup, to: eq_device, label: {en: Device, zh: 设备}}\n"
        "  - {api_name: visits, type: rollup, label: {en: Visits, zh: 次数}, child_object: eq_visit,"
        " relation_field: part, function: count}\n"
    )
    registry = load_edited(
        tmp_path,
        [
            (VISIT, "  - api_name: engineer\n", "  - {api_name: part, type: lookup, to: eq_part, label: {en: Part, zh: 部件}}\n  - api_name: engineer\n"),
            (DEVICE, "    function: count\n", "    function: count\n  - {api_name: part_visits, type: rollup, label: {en: V, zh: V}, child_object: eq_part, relation_field: device, function: sum, summarized_field: visits}\n"),
        ],
        {"objects/eq_part.yaml": part},
    )
    assert registry.field("eq_device", "part_visits").summarized_field == "visits"


def test_duplicate_object_across_files(tmp_path):
    copy = (FIXTURE / VISIT).read_text(encoding="utf-8")
    problems = problems_of(tmp_path, [], {"objects/eq_visit_copy.yaml": copy})
    assert problems == [
        "equipment/objects/eq_visit_copy.yaml:2:11: duplicate object 'eq_visit' (also in equipment/objects/eq_visit.yaml:2)"
    ]


def test_extension_adds_fields_to_another_packages_object(tmp_path):
    extension = (
        "extends: user\n"
        "fields:\n"
        "  - {api_name: eq_certified, type: checkbox, label: {en: Certified, zh: 已认证}}\n"
    )
    registry = load_edited(tmp_path, [], {"extensions/user.yaml": extension})
    assert "eq_certified" in registry.fields("user")


def test_extension_fields_need_the_namespace(tmp_path):
    extension = "extends: user\nfields:\n  - {api_name: certified, type: checkbox, label: {en: C, zh: C}}\n"
    assert problems_of(tmp_path, [], {"extensions/user.yaml": extension}) == [
        "equipment/extensions/user.yaml:3:16: field 'certified' added to another package's object must start with 'eq_'"
    ]


def test_every_problem_is_reported_at_once(tmp_path):
    problems = problems_of(
        tmp_path,
        [
            (DEVICE, "value_set: eq_category", "value_set: eq_categories"),
            (VISIT, "to: eq_device", "to: eq_devise"),
            (LAYOUT, "fields: [name, serial,", "fields: [name, serail,"),
        ],
    )
    assert [problem.split(":")[0] for problem in problems] == [
        "equipment/layouts/eq_device_default.yaml",
        "equipment/objects/eq_device.yaml",
        "equipment/objects/eq_visit.yaml",
    ]


def test_values_file_rows_are_checked_with_their_line(tmp_path):
    value_set = "api_name: eq_site\nlabel: {en: Site, zh: 院区}\nhierarchical: true\nvalues_file: data/sites.csv\n"
    csv_text = "api_name,parent,label_zh,label_en\nnorth,,北院,North\nnorth_a,north,北院A楼,North A\nBad,,坏,Bad\n"
    problems = problems_of(tmp_path, [], {"value_sets/eq_site.yaml": value_set, "value_sets/data/sites.csv": csv_text})
    assert len(problems) == 1
    assert problems[0].startswith("equipment/value_sets/data/sites.csv:4:1: api_name: invalid identifier 'Bad'")


def test_directory_without_manifest(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(PackageError) as caught:
        load_registry([tmp_path / "empty"])
    assert [str(problem) for problem in caught.value.problems] == [
        "empty/package.yaml:1:1: no package.yaml in package directory 'empty'"
    ]


def test_package_round_trips_through_documents(tmp_path):
    import json

    from metadata.loader import package_documents
    from metadata.registry import registry_from_documents

    registry = load_edited(tmp_path, [])
    documents = [json.loads(json.dumps(package_documents(package))) for package in registry.packages]
    rebuilt = registry_from_documents(documents)
    assert rebuilt.stats() == registry.stats()
    assert rebuilt.objects == registry.objects
    assert rebuilt.layouts == registry.layouts


def test_documents_with_problems_name_the_definition(tmp_path):
    from metadata.loader import package_documents
    from metadata.registry import registry_from_documents

    registry = load_edited(tmp_path, [])
    documents = [package_documents(package) for package in registry.packages]
    documents[1]["objects"][1]["fields"][1]["to"] = "eq_gadget"
    with pytest.raises(PackageError) as caught:
        registry_from_documents(documents)
    assert [str(problem) for problem in caught.value.problems] == [
        "store:equipment/objects/eq_visit:1:1: unknown object 'eq_gadget'"
    ]


def test_number_format_is_plain_or_grouped_on_integers_and_numbers_only(tmp_path):
    year = "  - api_name: built_year\n    type: integer\n    label: {en: Built, zh: 年份}\n    format: {value}\n  - api_name: price\n"
    registry = load_edited(tmp_path, [(DEVICE, "  - api_name: price\n", year.replace("{value}", "plain"))])
    fields = {field.api_name: field for field in registry.objects["eq_device"].fields}
    assert (fields["built_year"].format, fields["price"].type) == ("plain", "currency")
    problems = problems_of(tmp_path / "bad", [(DEVICE, "  - api_name: price\n", year.replace("{value}", "bare"))])
    assert len(problems) == 1 and problems[0].startswith("equipment/objects/eq_device.yaml:40:13:") and "'grouped'" in problems[0] and "'plain'" in problems[0]
    problems = problems_of(tmp_path / "currency", [(DEVICE, "    type: currency\n", "    type: currency\n    format: plain\n")])
    assert len(problems) == 1 and "unknown key 'format'" in problems[0]


@pytest.mark.parametrize(
    "unique, expected",
    [
        ("unique: [[name, modle]]\n", "equipment/objects/eq_device.yaml:7:17: unknown field 'modle' on 'eq_device' — did you mean 'model'?"),
        ("unique: [[name, visit_count]]\n", "equipment/objects/eq_device.yaml:7:17: field 'visit_count' is rollup, which a unique group cannot hold"),
        ("unique: [[name, model], [model, name]]\n", "equipment/objects/eq_device.yaml:7:25: unique group ['model', 'name'] repeats group 1"),
    ],
)
def test_unique_groups_are_checked(tmp_path, unique, expected):
    assert problems_of(tmp_path, [(DEVICE, "stage_field: status\n", "stage_field: status\n" + unique)]) == [expected]


def test_a_unique_group_needs_two_different_fields(tmp_path):
    single = problems_of(tmp_path, [(DEVICE, "stage_field: status\n", "stage_field: status\nunique: [[name]]\n")])
    assert len(single) == 1 and single[0].startswith("equipment/objects/eq_device.yaml:7:")
    assert "at least 2 items" in single[0]
    twice = problems_of(tmp_path / "again", [(DEVICE, "stage_field: status\n", "stage_field: status\nunique: [[name, name]]\n")])
    assert len(twice) == 1 and "names name more than once" in twice[0]


def test_a_unique_group_may_name_owner_and_stored_fields(tmp_path):
    registry = load_edited(tmp_path, [(DEVICE, "stage_field: status\n", "stage_field: status\nunique: [[owner, name], [category, model]]\n")])
    assert registry.objects["eq_device"].unique == [["owner", "name"], ["category", "model"]]
