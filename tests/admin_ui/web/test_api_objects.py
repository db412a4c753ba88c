"""Objects and their description, the access explanation, and permissions as the API applies them."""

from __future__ import annotations

import pytest

from admin_ui.web.app import create_app
from admin_ui.web.settings import Settings
from runtime.records.context import Actor


class HiddenCredit:
    """An access policy of the test's own, so these tests pin the API's mapping whatever the
    site's roles and profiles say: administrators may do anything; everyone else sees no
    ``contract`` object and may neither read nor set an account's ``credit_limit``."""

    def __init__(self, site, admins):
        self.site = site
        self.admins = admins

    def _restricted(self, actor: Actor) -> bool:
        return not actor.system and actor.user_id not in self.admins

    def predicate(self, actor, object_name, table, operation):
        return None

    def allows(self, actor, object_name, action):
        return not (self._restricted(actor) and object_name == "contract")

    def readable_fields(self, actor, object_name):
        if self._restricted(actor) and object_name == "account":
            return frozenset(self.site.registry.fields("account")) - {"credit_limit"} | {"id", "version", "owner", "business_type"}
        return None

    editable_fields = readable_fields

    def object_permissions(self, actor, object_name):
        return {action: self.allows(actor, object_name, action) for action in ("create", "read", "edit", "delete")}

    def field_permissions(self, actor, object_name):
        visible = self.readable_fields(actor, object_name)
        return {
            name: {"read": visible is None or name in visible, "edit": visible is None or name in visible}
            for name in self.site.registry.fields(object_name)
        }

    def readable_objects(self, actor):
        return [name for name in self.site.registry.objects if self.allows(actor, name, "read")]

    def is_admin(self, actor):
        return actor.user_id in self.admins

    def explain(self, actor, object_name, record_id):
        return {"user": actor.user_id, "object": object_name, "record": record_id, "operations": {}}


@pytest.fixture
def restricted(web_site, make_user, client_for, bearer, fast_auth):
    """(client, admin headers, restricted user headers) on an app using HiddenCredit."""
    admin, user = make_user(), make_user()
    app = create_app(Settings(auth=fast_auth), site=web_site, security=HiddenCredit(web_site, {admin["id"]}))
    client = client_for(app)
    return client, bearer(client, admin["username"]), bearer(client, user["username"]), user


def test_objects_lists_what_the_caller_may_read_with_permissions(client, make_user, bearer):
    headers = bearer(client, make_user(admin=True)["username"])
    response = client.get("/api/v1/objects", headers=headers)
    assert response.status_code == 200
    objects = {entry["api_name"]: entry for entry in response.json()["objects"]}
    assert {"user", "department", "account"} <= set(objects)
    assert objects["account"]["label"] == {"en": "Account", "zh": "客户"}
    assert set(objects["account"]["permissions"]) == {"create", "read", "edit", "delete"}


def test_describe_gives_fields_picklists_per_business_type_layouts_and_relations(client, make_user, bearer):
    headers = bearer(client, make_user(admin=True)["username"])
    response = client.get("/api/v1/objects/account", headers=headers)
    assert response.status_code == 200
    body = response.json()
    fields = {field["api_name"]: field for field in body["fields"]}
    assert fields["name"]["type"] == "text" and fields["name"]["permissions"] == {"read": True, "edit": True}
    assert fields["id"]["system"] is True and fields["id"]["writable"] is False
    source = body["picklists"]["source"]
    assert len(source["by_business_type"]["individual"]) < len(source["values"])
    assert "website" in source["by_business_type"]["individual"]
    assert {layout["api_name"] for layout in body["layouts"]} >= {"account_default", "account_individual"}
    assert {"object": "contact", "field": "account", "kind": "lookup"} in body["relations"]["children"]
    assert any(parent["field"] == "parent_account" for parent in body["relations"]["parents"])
    assert [bt["api_name"] for bt in body["business_types"]][:2] == ["enterprise", "individual"]


def test_permissions_hold_through_the_api_for_token_callers(restricted):
    client, admin, user, _ = restricted
    names = {entry["api_name"] for entry in client.get("/api/v1/objects", headers=user).json()["objects"]}
    assert "contract" not in names and "account" in names
    assert "contract" in {entry["api_name"] for entry in client.get("/api/v1/objects", headers=admin).json()["objects"]}
    assert client.get("/api/v1/objects/contract", headers=user).status_code == 403
    listed = client.get("/api/v1/objects/contract/records", headers=user)
    assert listed.status_code == 403 and listed.json()["errors"][0]["code"] == "object_forbidden"

    fields = {field["api_name"]: field for field in client.get("/api/v1/objects/account", headers=user).json()["fields"]}
    assert fields["credit_limit"]["permissions"] == {"read": False, "edit": False}
    refused = client.post("/api/v1/objects/account/records", json={"name": "Sneaky", "industry": "mining", "credit_limit": 5}, headers=user)
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "credit_limit"
    made = client.post("/api/v1/objects/account/records", json={"name": "Plain", "industry": "mining"}, headers=admin | {})
    assert made.status_code == 201
    patched = client.patch(f"/api/v1/objects/account/records/{made.json()['id']}", json={"credit_limit": 9}, headers=user)
    assert patched.status_code == 403
    seen = client.get(f"/api/v1/objects/account/records/{made.json()['id']}", headers=user).json()
    assert "credit_limit" not in seen and seen["name"] == "Plain"


def test_explain_is_for_administrators_only(restricted):
    client, admin, user, subject = restricted
    made = client.post("/api/v1/objects/account/records", json={"name": "Explained", "industry": "mining"}, headers=admin).json()
    url = f"/api/v1/access/account/{made['id']}/explain"
    refused = client.get(url, params={"user": subject["username"]}, headers=user)
    assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "admin_only"
    answer = client.get(url, params={"user": subject["username"]}, headers=admin)
    assert answer.status_code == 200 and answer.json()["user"] == subject["id"]
    assert client.get(url, params={"user": subject["id"]}, headers=admin).json()["user"] == subject["id"]
    assert client.get(url, headers=admin).status_code == 400
    assert client.get(url, params={"user": "nobody_at_all"}, headers=admin).status_code == 404
    assert client.get("/api/v1/access/spaceship/x/explain", params={"user": subject["id"]}, headers=admin).status_code == 404
