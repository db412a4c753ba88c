"""Security metadata: the security/ folder loads, merges, survives the store, and is cross-checked
with every problem located at its file and line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from metadata.errors import PackageError
from metadata.json_schema import SCHEMA_DIR
from metadata.loader import package_documents
from metadata.models.security import SECURITY_FILES
from metadata.registry import SYSTEM_PACKAGE, load_registry, registry_from_documents, shipped_packages

FIXTURE = Path(__file__).parent / "fixtures" / "equipment"


def load_with(tmp_path: Path, files: dict[str, str]):
    root = tmp_path / "equipment"
    shutil.copytree(FIXTURE, root)
    for name, text in files.items():
        (root / "security").mkdir(exist_ok=True)
        (root / "security" / name).write_text(text, encoding="utf-8")
    return load_registry([SYSTEM_PACKAGE, root])


def problems_with(tmp_path: Path, files: dict[str, str]) -> list[str]:
    with pytest.raises(PackageError) as caught:
        load_with(tmp_path, files)
    return [str(problem) for problem in caught.value.problems]


def test_shipped_packages_declare_the_preset_roles_and_crm_profiles():
    security = load_registry(shipped_packages()).security
    assert list(security.roles)[:4] == ["administrator", "standard_user", "manager", "partner_user"]
    administrator = security.roles["administrator"]
    assert administrator.all_data and not administrator.editable
    assert security.roles["manager"].scope("account", "query") == "self_and_subordinates"
    assert security.roles["manager"].scope("account", "delete") == "self"
    assert {"sales_rep", "sales_manager", "finance"} <= set(security.profiles)
    assert security.team_parents("contact") == [("account", "account")]


def test_shipped_security_files_validate_against_the_committed_schema():
    checked = 0
    for root in shipped_packages():
        for path in sorted((root / "security").glob("*.yaml")):
            schema = json.loads((SCHEMA_DIR / f"{path.stem}.schema.json").read_text(encoding="utf-8"))
            jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)
            checked += 1
    assert checked >= 6


def test_security_survives_the_metadata_store_round_trip(tmp_path):
    registry = load_with(tmp_path, {"roles.yaml": GOOD.removesuffix("profiles:\n")})
    again = registry_from_documents([json.loads(json.dumps(package_documents(package))) for package in registry.packages])
    for kind in SECURITY_FILES:
        assert getattr(again.security, kind) == getattr(registry.security, kind)


GOOD = """\
roles:
  - api_name: eq_engineer
    label: {en: Engineer}
    objects:
      eq_device: {query: department_and_children, modify: self}
      eq_visit: all
profiles:
"""


def test_a_valid_security_folder_loads(tmp_path):
    registry = load_with(
        tmp_path,
        {
            "roles.yaml": GOOD.removesuffix("profiles:\n"),
            "profiles.yaml": "profiles:\n  - api_name: eq_tech\n    label: {en: Tech}\n    objects:\n      eq_device: {read: true, edit: true, fields: {price: read}}\n",
            "groups.yaml": "groups:\n  - {api_name: eq_a, label: {en: A}, groups: [eq_b]}\n  - {api_name: eq_b, label: {en: B}, roles: [manager]}\n",
            "sharing_rules.yaml": "sharing_rules:\n  - api_name: eq_big\n    label: {en: Big}\n    object: eq_device\n    criteria: price > 100\n    share_with: {groups: [eq_a]}\n",
            "dimensions.yaml": "dimensions:\n  - api_name: eq_line\n    label: {en: Line}\n    values:\n      - {api_name: ct, label: {en: CT}}\n      - {api_name: ct_low, label: {en: CT low}, parent: ct}\n    objects: {eq_device: category}\n",
        },
    )
    security = registry.security
    assert security.roles["eq_engineer"].scope("eq_device", "query") == "department_and_children"
    assert security.roles["eq_engineer"].scope("eq_visit", "delete") == "all"
    assert security.profiles["eq_tech"].permissions("eq_device").field_access("price") == "read"
    assert security.profiles["eq_tech"].permissions("eq_device").field_access("name") == "edit"
    assert security.sharing_rules["eq_big"].access == "read"


CASES = {
    "unknown object in a role": (
        {"roles.yaml": "roles:\n  - api_name: eq_r\n    label: {en: R}\n    objects:\n      eq_devise: all\n"},
        "equipment/security/roles.yaml:5:18: unknown object 'eq_devise' — did you mean 'eq_device'?",
    ),
    "bad scope": (
        {"roles.yaml": "roles:\n  - api_name: eq_r\n    label: {en: R}\n    scopes: everyone\n"},
        "equipment/security/roles.yaml:4:13:",
    ),
    "unknown field in a profile": (
        {"profiles.yaml": "profiles:\n  - api_name: eq_p\n    label: {en: P}\n    objects:\n      eq_device: {read: true, fields: {prise: hidden}}\n"},
        "equipment/security/profiles.yaml:5:47: object 'eq_device' has no field 'prise' — did you mean 'price'?",
    ),
    "group cycle": (
        {"groups.yaml": "groups:\n  - {api_name: eq_a, label: {en: A}, groups: [eq_b]}\n  - {api_name: eq_b, label: {en: B}, groups: [eq_a]}\n"},
        "groups contain each other in a cycle: eq_a → eq_b → eq_a",
    ),
    "unknown group": (
        {"groups.yaml": "groups:\n  - {api_name: eq_a, label: {en: A}, groups: [eq_c]}\n"},
        "equipment/security/groups.yaml:2:47: unknown group 'eq_c'",
    ),
    "criteria not a condition": (
        {"sharing_rules.yaml": "sharing_rules:\n  - api_name: eq_s\n    label: {en: S}\n    object: eq_device\n    criteria: price + 1\n    share_with: {roles: [manager]}\n"},
        "equipment/security/sharing_rules.yaml:5:15: sharing rule 'eq_s' criteria, formula 1:1: formula returns currency(2), but field rule needs boolean",
    ),
    "criteria with an unknown field": (
        {"sharing_rules.yaml": "sharing_rules:\n  - api_name: eq_s\n    label: {en: S}\n    object: eq_device\n    criteria: prise > 1\n    share_with: {roles: [manager]}\n"},
        "equipment/security/sharing_rules.yaml:5:15: sharing rule 'eq_s' criteria",
    ),
    "filter with an unknown field": (
        {"sharing_rules.yaml": "sharing_rules:\n  - api_name: eq_s\n    label: {en: S}\n    object: eq_device\n    filter: {or: [{statu: installed}]}\n    share_with: {roles: [manager]}\n"},
        "object 'eq_device' has no field 'statu' — did you mean 'status'?",
    ),
    "two kinds in one rule": (
        {"sharing_rules.yaml": "sharing_rules:\n  - api_name: eq_s\n    label: {en: S}\n    object: eq_device\n    criteria: price > 1\n    owners: {roles: [manager]}\n    share_with: {roles: [manager]}\n"},
        "exactly one of owners, criteria or filter",
    ),
    "dimension on a field that cannot hold a value": (
        {"dimensions.yaml": "dimensions:\n  - api_name: eq_line\n    label: {en: Line}\n    objects: {eq_device: price}\n"},
        "dimension field 'eq_device.price' must be a picklist or text field",
    ),
    "team child not referencing its parent": (
        {"teams.yaml": "teams:\n  - object: eq_device\n    children:\n      - {object: eq_visit, field: engineer}\n"},
        "object 'eq_device' has no record teams",
    ),
    "duplicate role": (
        {"roles.yaml": "roles:\n  - api_name: manager\n    label: {en: M}\n"},
        "equipment/security/roles.yaml:2:15: duplicate role 'manager' (also in system/security/roles.yaml:",
    ),
    "unknown security file": (
        {"people.yaml": "roles: []\n"},
        "equipment/security/people.yaml:1:1: security files are roles.yaml",
    ),
}


@pytest.mark.parametrize("files, expected", list(CASES.values()), ids=list(CASES))
def test_security_problems_are_located(tmp_path, files, expected):
    problems = problems_with(tmp_path, files)
    assert any(expected in problem for problem in problems), problems
