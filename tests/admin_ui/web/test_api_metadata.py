"""The metadata API: an admin builds an object end to end; everyone else is refused."""

from __future__ import annotations

import copy

import pytest

from tests.admin_ui.web.conftest import unique

VEHICLE_FIELDS = [
    {"api_name": "name", "type": "text", "label": {"en": "Name", "zh": "名称"}, "required": True},
    {"api_name": "plate", "type": "text", "label": {"en": "Plate", "zh": "车牌"}, "max_length": 20, "unique": True},
    {"api_name": "kind", "type": "picklist", "label": {"en": "Kind", "zh": "类型"}, "values": [
        {"api_name": "car", "label": {"en": "Car", "zh": "轿车"}},
        {"api_name": "truck", "label": {"en": "Truck", "zh": "卡车"}},
    ]},
    {"api_name": "seats", "type": "integer", "label": {"en": "Seats", "zh": "座位数"}},
    {"api_name": "price", "type": "currency", "label": {"en": "Price", "zh": "价格"}},
    {"api_name": "bought_on", "type": "date", "label": {"en": "Bought On", "zh": "购买日期"}},
    {"api_name": "electric", "type": "checkbox", "label": {"en": "Electric", "zh": "电动"}},
    {"api_name": "account", "type": "lookup", "label": {"en": "Account", "zh": "客户"}, "to": "account", "on_delete": "set_null"},
    {"api_name": "notes", "type": "textarea", "label": {"en": "Notes", "zh": "备注"}},
    {"api_name": "price_per_seat", "type": "formula", "label": {"en": "Price per Seat", "zh": "每座价格"}, "return_type": "currency",
     "expression": "IF(seats > 0, price / seats, 0)"},
]


def vehicle(name: str, **extra) -> dict:
    return {
        "api_name": name,
        "label": {"en": "Vehicle", "zh": "车辆"},
        "plural_label": {"en": "Vehicles", "zh": "车辆"},
        "fields": copy.deepcopy(VEHICLE_FIELDS),
        **extra,
    }


@pytest.fixture
def admin_headers(app, services):
    from starlette.testclient import TestClient

    from runtime.records.context import SYSTEM
    from runtime.security import ADMINISTRATOR, assign
    from tests.admin_ui.web.conftest import PASSWORD

    username = unique("admin")
    user = services.records.create(SYSTEM, "user", {"username": username, "name": "Admin", "language": "en"})
    services.auth.set_password(user["id"], PASSWORD)
    assign(services.site, user["id"], roles=[ADMINISTRATOR], profiles=[ADMINISTRATOR])
    with TestClient(app) as client:
        response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_an_admin_builds_an_object_and_an_end_user_works_it(client, admin_headers, make_user, bearer):
    name = unique("vehicle")
    rule = {"api_name": "seats_positive", "condition": "seats < 1 &&", "message": {"en": "A vehicle has seats.", "zh": "车辆必须有座位。"}, "field": "seats"}

    # a dry run answers the plan and changes nothing
    dry = client.put(f"/api/v1/metadata/objects/{name}?dry_run=true", json=vehicle(name), headers=admin_headers)
    assert dry.status_code == 200, dry.text
    assert dry.json()["plan"]["operations"][0] == f"add object {name}"
    assert client.get(f"/api/v1/metadata/objects/{name}", headers=admin_headers).status_code == 404

    # a rule with a typo: 422 at its JSON path, with the position inside the formula; nothing applied
    broken = client.put(f"/api/v1/metadata/objects/{name}", json=vehicle(name, validation_rules=[rule]), headers=admin_headers)
    assert broken.status_code == 422, broken.text
    [problem] = broken.json()["errors"]
    assert problem["field"] == "validation_rules[0].condition"
    assert problem["position"]["line"] == 1 and problem["position"]["column"] >= 10
    assert client.get(f"/api/v1/metadata/objects/{name}", headers=admin_headers).status_code == 404

    # fixed: created, with a version
    rule["condition"] = "seats < 1"
    created = client.put(f"/api/v1/metadata/objects/{name}", json=vehicle(name, validation_rules=[rule]), headers=admin_headers)
    assert created.status_code == 201, created.text
    version = created.json()["version"]
    assert created.headers["etag"] == f'"{version}"'
    assert created.json()["change_set"]["summary"] == f"object {name} created"

    # a two-column layout; one naming an unknown field is refused, naming it
    layout = {"api_name": f"{name}_default", "object": name, "label": {"en": "Vehicle", "zh": "车辆"}, "sections": [
        {"api_name": "main", "label": {"en": "Main", "zh": "基本"}, "columns": 2, "fields": ["name", "plate", "kind", "seats", "price", "bought_on", "electric", "account", "notes", "price_per_seat"]},
    ]}
    wrong = copy.deepcopy(layout)
    wrong["sections"][0]["fields"].append("colour")
    refused = client.put(f"/api/v1/metadata/layouts/{name}_default", json=wrong, headers=admin_headers)
    assert refused.status_code == 422
    assert any("colour" in error["message"] for error in refused.json()["errors"])
    placed = client.put(f"/api/v1/metadata/layouts/{name}_default", json=layout, headers=admin_headers)
    assert placed.status_code == 201, placed.text

    # the describe output shows the object and its layout, and that the site owns them
    described = client.get(f"/api/v1/objects/{name}", headers=admin_headers).json()
    assert {field["api_name"] for field in described["fields"]} >= {field["api_name"] for field in VEHICLE_FIELDS}
    assert described["layouts"][0]["sections"][0]["columns"] == 2
    assert described["package"] == "site"
    assert {field["package"] for field in described["fields"] if not field["system"]} == {"site"}
    listed = client.get("/api/v1/metadata/objects", headers=admin_headers).json()["components"]
    assert {"api_name": name, "package": "site"}.items() <= next(item for item in listed if item["api_name"] == name).items()

    # an end user creates one through the records API and meets the rule
    rep = make_user(roles=["standard_user"], profiles=["sales_rep"])
    headers = bearer(client, rep["username"])
    failed = client.post(f"/api/v1/objects/{name}/records", json={"name": "Van", "seats": 0}, headers=headers)
    assert failed.status_code == 422, failed.text
    assert [error["field"] for error in failed.json()["errors"]] == ["seats"]
    made = client.post(f"/api/v1/objects/{name}/records", json={"name": "Van", "seats": 4, "price": "100.00", "kind": "truck"}, headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["price_per_seat"] == "25.00"

    # two admins on one component: the second save, made on the old version, gets 412
    body = client.get(f"/api/v1/metadata/objects/{name}", headers=admin_headers).json()
    body["label"] = {"en": "Car", "zh": "汽车"}
    first = client.put(f"/api/v1/metadata/objects/{name}", json=body, headers={**admin_headers, "If-Match": f'"{version}"'})
    assert first.status_code == 200, first.text
    body["label"] = {"en": "Auto", "zh": "汽车"}
    second = client.put(f"/api/v1/metadata/objects/{name}", json=body, headers={**admin_headers, "If-Match": f'"{version}"'})
    assert second.status_code == 412
    assert second.json()["errors"][0]["code"] == "stale_version"


def test_deleting_a_field_still_used_lists_every_dependent(client, admin_headers):
    name = unique("vehicle")
    rule = {"api_name": "seats_positive", "condition": "seats < 1", "message": {"en": "Seats.", "zh": "座位。"}}
    assert client.put(f"/api/v1/metadata/objects/{name}", json=vehicle(name, validation_rules=[rule]), headers=admin_headers).status_code == 201
    layout = {"api_name": f"{name}_default", "object": name, "label": {"en": "V"}, "sections": [{"api_name": "main", "label": {"en": "Main"}, "fields": ["name", "seats"]}]}
    assert client.put(f"/api/v1/metadata/layouts/{name}_default", json=layout, headers=admin_headers).status_code == 201
    without = vehicle(name, validation_rules=[rule])
    without["fields"] = [field for field in without["fields"] if field["api_name"] != "seats"]
    response = client.put(f"/api/v1/metadata/objects/{name}?confirm=true", json=without, headers=admin_headers)
    assert response.status_code == 422, response.text
    messages = " ".join(error["message"] for error in response.json()["errors"])
    components = {error.get("component") for error in response.json()["errors"]}
    assert f"layouts/{name}_default" in components  # the layout placing it
    assert "price_per_seat" in messages and "seats_positive" in messages  # the formula field and the rule
    assert "seats" in client.get(f"/api/v1/metadata/objects/{name}", headers=admin_headers).text  # nothing half-applied


@pytest.mark.parametrize("api_name, field_name", [("select", None), ("tessera_thing", None), (None, "id"), (None, "two words")])
def test_reserved_and_keyword_names_are_refused(client, admin_headers, api_name, field_name):
    name = api_name or unique("vehicle")
    body = vehicle(name)
    if field_name is not None:
        body["fields"].append({"api_name": field_name, "type": "text", "label": {"en": "X"}})
    response = client.put(f"/api/v1/metadata/objects/{name}", json=body, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["message"]


def test_a_package_component_is_changed_by_an_override_and_the_change_reverts(client, admin_headers, services):
    original = client.get("/api/v1/metadata/objects/account", headers=admin_headers)
    assert original.headers["tessera-package"] == "crm"
    body = original.json()
    body["label"] = {"en": "Client", "zh": "客户"}
    changed = client.put("/api/v1/metadata/objects/account", json=body, headers=admin_headers)
    assert changed.status_code == 200, changed.text
    assert services.site.registry.objects["account"].label.en == "Client"
    assert client.get("/api/v1/objects/account", headers=admin_headers).json()["package"] == "crm"
    # the package's own copy is untouched: the change is the site's override
    crm = next(package for package in services.site.registry.packages if package.name == "crm")
    assert next(definition for definition, _ in crm.objects if definition.api_name == "account").label.en == "Account"
    site = next(package for package in services.site.registry.packages if package.name == "site")
    assert [(override.api_name, override.set) for override, _ in site.overrides] == [("account", {"label.en": "Client"})]

    change_id = changed.json()["change_set"]["id"]
    shown = client.post(f"/api/v1/metadata/change_sets/{change_id}/revert?dry_run=true", headers=admin_headers)
    assert shown.status_code == 200 and "-  en: Client" in shown.json()["plan"]["diff"]
    assert services.site.registry.objects["account"].label.en == "Client"
    reverted = client.post(f"/api/v1/metadata/change_sets/{change_id}/revert", headers=admin_headers)
    assert reverted.status_code == 201, reverted.text
    assert services.site.registry.objects["account"].label.en == "Account"
    listed = client.get("/api/v1/metadata/change_sets", headers=admin_headers).json()["change_sets"]
    assert listed[0]["reverts"] == change_id
    again = client.post(f"/api/v1/metadata/change_sets/{change_id}/revert", headers=admin_headers)
    assert again.status_code == 409


def test_plan_endpoint_plans_several_components(client, admin_headers):
    name = unique("vehicle")
    layout = {"api_name": f"{name}_default", "object": name, "label": {"en": "V"}, "sections": [{"api_name": "main", "label": {"en": "Main"}, "fields": ["name"]}]}
    response = client.post("/api/v1/metadata/plan", json={"components": [
        {"kind": "objects", "api_name": name, "body": vehicle(name)},
        {"kind": "layouts", "api_name": f"{name}_default", "body": layout},
    ]}, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert [item["api_name"] for item in response.json()["plan"]["components"]] == [name, f"{name}_default"]
    assert client.get(f"/api/v1/metadata/objects/{name}", headers=admin_headers).status_code == 404


ROUTES = [
    ("GET", "/api/v1/metadata/objects"),
    ("GET", "/api/v1/metadata/objects/account"),
    ("PUT", "/api/v1/metadata/objects/account"),
    ("DELETE", "/api/v1/metadata/layouts/account_default"),
    ("POST", "/api/v1/metadata/plan"),
    ("GET", "/api/v1/metadata/change_sets"),
    ("GET", "/api/v1/metadata/change_sets/1"),
    ("POST", "/api/v1/metadata/change_sets/1/revert"),
]


@pytest.mark.parametrize("method, path", ROUTES)
def test_every_metadata_route_is_for_admins_only(client, make_user, bearer, method, path):
    rep = make_user(roles=["standard_user"], profiles=["sales_rep"])
    response = client.request(method, path, json={"api_name": "account"}, headers=bearer(client, rep["username"]))
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "admin_only"
    assert client.request(method, path, json={}).status_code == 401


def test_every_metadata_route_is_in_the_openapi_document(client, app):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    documented = {(method.upper(), path) for path, item in paths.items() for method in item}
    for route in app.routes:
        if getattr(route, "path", "").startswith("/api/v1/metadata"):
            for method in route.methods - {"HEAD"}:
                assert (method, route.path.replace(":int", "")) in documented
