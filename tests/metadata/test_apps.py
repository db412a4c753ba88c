"""Apps load from a package's apps/ folder, keep their tab sequence, and name installed objects."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from metadata.errors import PackageError
from metadata.loader import package_documents
from metadata.registry import SYSTEM_PACKAGE, load_registry, registry_from_documents, shipped_packages

FIXTURE = Path(__file__).parent / "fixtures" / "equipment"


def write_app(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "equipment"
    shutil.copytree(FIXTURE, root)
    (root / "apps").mkdir()
    (root / "apps" / "field_service.yaml").write_text(text, encoding="utf-8")
    return root


def test_shipped_package_declares_sales_and_service_apps():
    registry = load_registry(shipped_packages())
    assert list(registry.apps) == ["sales", "service"]
    sales = registry.apps["sales"]
    assert sales.label.text("zh") == "销售"
    assert sales.tabs[:4] == ["lead", "account", "contact", "opportunity"]
    assert all(tab in registry.objects for app in registry.apps.values() for tab in app.tabs)


def test_app_tabs_keep_their_sequence_and_survive_the_store(tmp_path):
    root = write_app(tmp_path, "api_name: field_service\nlabel: {en: Field Service}\ntabs: [eq_visit, eq_device]\n")
    registry = load_registry([SYSTEM_PACKAGE, root])
    assert registry.apps["field_service"].tabs == ["eq_visit", "eq_device"]
    again = registry_from_documents([package_documents(package) for package in registry.packages])
    assert again.apps["field_service"].tabs == ["eq_visit", "eq_device"]


def test_unknown_tab_is_reported_with_its_line_and_a_hint(tmp_path):
    root = write_app(tmp_path, "api_name: field_service\nlabel: {en: Field Service}\ntabs:\n  - eq_device\n  - eq_vist\n")
    with pytest.raises(PackageError) as caught:
        load_registry([SYSTEM_PACKAGE, root])
    messages = [str(problem) for problem in caught.value.problems]
    assert messages == [
        "equipment/apps/field_service.yaml:5:5: app 'field_service' has a tab for unknown object 'eq_vist'"
        " — did you mean 'eq_visit'?"
    ]


@pytest.mark.parametrize(
    "tabs, expected",
    [("[]", "at least 1 item"), ("[eq_device, eq_device]", "tab(s) listed twice: eq_device")],
)
def test_bad_tab_lists_are_refused(tmp_path, tabs, expected):
    root = write_app(tmp_path, f"api_name: field_service\nlabel: {{en: Field Service}}\ntabs: {tabs}\n")
    with pytest.raises(PackageError) as caught:
        load_registry([SYSTEM_PACKAGE, root])
    assert expected in str(caught.value)


def test_list_views_name_a_tab_and_its_fields(tmp_path):
    root = write_app(
        tmp_path,
        "api_name: field_service\nlabel: {en: Field Service}\ntabs: [eq_device]\nlist_views:\n"
        "  - {api_name: mine, object: eq_device, label: {en: Mine}, scope: mine, columns: [name, owner], sort: -created_at}\n"
        "  - {api_name: bad_columns, object: eq_device, label: {en: Bad}, columns: [nme], sort: -serail}\n"
        "  - {api_name: elsewhere, object: eq_visit, label: {en: Visits}}\n",
    )
    with pytest.raises(PackageError) as caught:
        load_registry([SYSTEM_PACKAGE, root])
    messages = [str(problem) for problem in caught.value.problems]
    assert messages == [
        "equipment/apps/field_service.yaml:6:76: list view 'bad_columns': 'nme' is not a field of 'eq_device' — did you mean 'name'?",
        "equipment/apps/field_service.yaml:6:88: list view 'bad_columns': cannot sort by unknown field 'serail' — did you mean 'serial'?",
        "equipment/apps/field_service.yaml:7:35: list view 'elsewhere' is for 'eq_visit', which is not a tab of app 'field_service'",
    ]


def test_shipped_list_views_are_declared_on_their_tabs():
    registry = load_registry(shipped_packages())
    views = {view.api_name: view for app in registry.apps.values() for view in app.list_views}
    assert views["my_open_opportunities"].scope == "mine"
    assert views["my_open_opportunities"].filter == {"stage": {"not_in": ["won", "lost"]}}
    assert views["team_pipeline"].scope == "team" and views["team_pipeline"].sort == "-amount"
