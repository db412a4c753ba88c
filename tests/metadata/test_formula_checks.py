"""Every formula in a package is type-checked on load, reported at its YAML place and its place in the formula."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from metadata.errors import PackageError
from metadata.formula_checks import formula_sites
from metadata.registry import SYSTEM_PACKAGE, load_registry, shipped_packages

FIXTURE = Path(__file__).parent / "fixtures" / "equipment"
DEVICE = "objects/eq_device.yaml"
VISIT = "objects/eq_visit.yaml"

# Lines of the fixture the edits below hook onto.
PRICE_FIELD = "  - api_name: visit_count\n"
VISIT_FIELD = "  - api_name: engineer\n"
RULE = 'condition: "price < 0"'


def load_edited(tmp_path: Path, edits: list[tuple[str, str, str]]):
    """Copy the fixture package, apply (file, old, new) text edits, load it with the system package."""
    root = tmp_path / "equipment"
    shutil.copytree(FIXTURE, root)
    for relative, old, new in edits:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"fixture edit does not apply: {old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return load_registry([SYSTEM_PACKAGE, root])


def problems_of(tmp_path, edits) -> list[str]:
    with pytest.raises(PackageError) as caught:
        load_edited(tmp_path, edits)
    return [str(problem) for problem in caught.value.problems]


def formula_field(name: str, return_type: str, expression: str) -> str:
    return (
        f"  - api_name: {name}\n    type: formula\n    label: {{en: F, zh: F}}\n"
        f"    return_type: {return_type}\n    expression: {expression}\n"
    )


def test_fixture_formulas_are_found_and_pass(tmp_path):
    registry = load_edited(
        tmp_path,
        [
            (DEVICE, PRICE_FIELD, formula_field("price_with_tax", "currency", '"price * 1.13"') + PRICE_FIELD),
            (VISIT, VISIT_FIELD, formula_field("device_price", "currency", "device.price") + VISIT_FIELD),
        ],
    )
    found = {(site.what, site.context) for site in formula_sites(registry)}
    assert ("validation rule 'price_positive' condition", "validation") in found
    assert ("formula field 'price_with_tax'", "field") in found
    assert ("formula field 'device_price'", "field") in found


CASES = {
    "unknown field with hint": (
        [(DEVICE, RULE, 'condition: "pirce < 0"')],
        "equipment/objects/eq_device.yaml:60:16: validation rule 'price_positive' condition, formula 1:1: "
        "unknown field 'pirce' on eq_device — did you mean 'price'?",
    ),
    "position inside the formula": (
        [(DEVICE, RULE, 'condition: "price < 0 && ISBLANK(nmae)"')],
        "equipment/objects/eq_device.yaml:60:16: validation rule 'price_positive' condition, formula 1:22: "
        "unknown field 'nmae' on eq_device — did you mean 'name'?",
    ),
    "syntax error": (
        [(DEVICE, RULE, 'condition: "price < (0"')],
        "equipment/objects/eq_device.yaml:60:16: validation rule 'price_positive' condition, formula 1:11: "
        "formula ends too early — add ')'",
    ),
    "validation rule must be boolean": (
        [(DEVICE, RULE, 'condition: "price * 2"')],
        "equipment/objects/eq_device.yaml:60:16: validation rule 'price_positive' condition, formula 1:1: "
        "formula returns currency(2), but validation rule needs boolean — compare the value to get a boolean, e.g. amount > 0",
    ),
    "formula field return type": (
        [(DEVICE, PRICE_FIELD, formula_field("label_text", "number", '"name & \'!\'"') + PRICE_FIELD)],
        "equipment/objects/eq_device.yaml:44:17: formula field 'label_text', formula 1:1: "
        "formula returns text, but formula field needs number(2)",
    ),
    "cross-object path through a lookup": (
        [(VISIT, VISIT_FIELD, formula_field("device_cost", "currency", "device.cost") + VISIT_FIELD)],
        "equipment/objects/eq_visit.yaml:17:17: formula field 'device_cost', formula 1:8: "
        "unknown field 'cost' on 'device' (eq_device)",
    ),
    "save-context function in a formula field": (
        [(DEVICE, PRICE_FIELD, formula_field("was_new", "checkbox", '"ISNEW()"') + PRICE_FIELD)],
        "equipment/objects/eq_device.yaml:44:17: formula field 'was_new', formula 1:1: "
        "ISNEW is not available in formula fields — ISNEW only works in field rules and validation rules",
    ),
    "ischanged allowed in a validation rule": (
        [(DEVICE, RULE, 'condition: "ISCHANGED(price) && PRIORVALUE(price) > price && ISBLANK(nam)"')],
        "equipment/objects/eq_device.yaml:60:16: validation rule 'price_positive' condition, formula 1:58: "
        "unknown field 'nam' on eq_device — did you mean 'name'?",
    ),
    "default formula reaching another record": (
        [(VISIT, "    to: eq_device\n", "    to: eq_device\n  - api_name: price\n    type: currency\n    label: {en: P, zh: P}\n    default_formula: device.price\n")],
        "equipment/objects/eq_visit.yaml:16:22: default formula of field 'price', formula 1:1: "
        "default values cannot reference other records' fields — defaults are computed before the record's lookups are saved",
    ),
    "default formula type": (
        [(DEVICE, "    type: currency\n", "    type: currency\n    default_formula: TODAY()\n")],
        "equipment/objects/eq_device.yaml:39:22: default formula of field 'price', formula 1:1: "
        "formula returns date, but default value needs currency(2)",
    ),
    "default formula of a user field": (
        [(VISIT, "    label: {en: Engineer, zh: 工程师}\n", "    label: {en: Engineer, zh: 工程师}\n    default_formula: TODAY()\n")],
        "equipment/objects/eq_visit.yaml:16:22: default formula of field 'engineer', formula 1:1: "
        "formula returns date, but field 'engineer' needs reference(user) — give a record id, e.g. $User.id for a "
        "reference to user",
    ),
    "roll-up filter is checked on the child": (
        [(DEVICE, "    function: count\n", "    function: count\n    filter: \"ISBLANK(enginer)\"\n")],
        "equipment/objects/eq_device.yaml:46:13: roll-up 'visit_count' filter on 'eq_visit', formula 1:9: "
        "unknown field 'enginer' on eq_visit — did you mean 'engineer'?",
    ),
    "roll-up filter must be boolean": (
        [(DEVICE, "    function: count\n", "    function: count\n    filter: name\n")],
        "equipment/objects/eq_device.yaml:46:13: roll-up 'visit_count' filter on 'eq_visit', formula 1:1: "
        "formula returns text, but a filter needs boolean — compare the value to get a boolean, e.g. amount > 0",
    ),
    "field rule condition": (
        [(DEVICE, "validation_rules:\n", "field_rules:\n  - api_name: lock_price\n    field: price\n    read_only_when: \"ISPICKVAL(status, 'acepted')\"\nvalidation_rules:\n")],
        "equipment/objects/eq_device.yaml:61:21: field rule 'lock_price' read_only_when, formula 1:19: "
        "'acepted' is not a value of 'status' — did you mean 'accepted'?",
    ),
    "field rule must be boolean": (
        [(DEVICE, "validation_rules:\n", "field_rules:\n  - api_name: show_price\n    field: price\n    visible_when: \"TEXT(status)\"\nvalidation_rules:\n")],
        "equipment/objects/eq_device.yaml:61:19: field rule 'show_price' visible_when, formula 1:1: "
        "formula returns text, but field rule needs boolean — compare the value to get a boolean, e.g. amount > 0",
    ),
    "picklist value through a path": (
        [(VISIT, VISIT_FIELD, formula_field("device_done", "checkbox", "\"ISPICKVAL(device.status, 'instaled')\"") + VISIT_FIELD)],
        "equipment/objects/eq_visit.yaml:17:17: formula field 'device_done', formula 1:26: "
        "'instaled' is not a value of 'device.status' — did you mean 'installed'?",
    ),
    "formula fields in a cycle": (
        [(DEVICE, PRICE_FIELD, formula_field("a_total", "number", "b_total + 1") + formula_field("b_total", "number", "a_total * 2") + PRICE_FIELD)],
        "equipment/objects/eq_device.yaml:44:17: formula field 'a_total': "
        "formula fields read each other in a cycle: a_total → b_total → a_total",
    ),
}


@pytest.mark.parametrize("edits, expected", list(CASES.values()), ids=list(CASES))
def test_formula_problem_is_located_in_the_file_and_in_the_formula(tmp_path, edits, expected):
    problems = problems_of(tmp_path, edits)
    assert problems == [expected]


def test_several_errors_in_one_formula_are_each_reported(tmp_path):
    problems = problems_of(tmp_path, [(DEVICE, RULE, 'condition: "pirce < 0 || ISBLANK(nmae)"')])
    assert [problem.split(": ", 1)[1].split(": unknown")[0] for problem in problems] == [
        "validation rule 'price_positive' condition, formula 1:1",
        "validation rule 'price_positive' condition, formula 1:22",
    ]


def test_shipped_packages_type_check():
    registry = load_registry(shipped_packages())
    contexts = {site.context for site in formula_sites(registry)}
    assert contexts == {"field", "validation", "default", "rule"}
