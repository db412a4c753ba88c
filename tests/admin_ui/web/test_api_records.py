"""The records contract through HTTP: list, create, get, patch, delete, restore, and every error status."""

from __future__ import annotations

import json

import pytest

from runtime.records.context import SYSTEM


@pytest.fixture
def headers(client, make_user, bearer):
    return bearer(client, make_user(admin=True)["username"])


def _account(client, headers, **values):
    body = {"name": values.pop("name", "Acme"), "industry": "mining", **values}
    response = client.post("/api/v1/objects/account/records", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_returns_201_with_id_version_and_location(client, headers):
    record = _account(client, headers, name="Created Co", employees=12, annual_revenue="1234.50")
    assert record["id"] and record["version"] == 1 and record["name"] == "Created Co"
    assert record["annual_revenue"] == "1234.50"  # money stays exact: a string
    fetched = client.get(f"/api/v1/objects/account/records/{record['id']}", headers=headers)
    assert fetched.status_code == 200 and fetched.json() == record
    assert fetched.headers["etag"] == '"1"'


def test_list_filters_sorts_selects_fields_and_pages_with_a_cursor(client, headers):
    tag = "pg" + headers["Authorization"][-6:].replace("-", "x").replace("_", "y")
    for index in range(5):
        _account(client, headers, name=f"{tag} {index}", employees=index * 10)
    query = {"filter": json.dumps({"name": {"starts_with": tag}}), "sort": "-employees,name", "fields": "name,employees", "limit": "2"}
    seen, cursor = [], None
    while True:
        params = {**query, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/objects/account/records", params=params, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        assert set(body) == {"records", "next_cursor"}
        seen += body["records"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert [record["employees"] for record in seen] == [40, 30, 20, 10, 0]
    assert {"name", "employees"} <= set(seen[0]) and "annual_revenue" not in seen[0]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"filter": "{not json"}, "filter"),
        ({"filter": json.dumps({"no_such_field": {"eq": 1}})}, "no_such_field"),
        ({"filter": json.dumps({"employees": {"matches": 1}})}, "employees"),
        ({"sort": "-nope"}, "nope"),
        ({"limit": "many"}, "limit"),
        ({"limit": "0"}, None),
        ({"cursor": "garbage"}, None),
    ],
)
def test_bad_list_queries_answer_400_naming_what_is_wrong(client, headers, params, field):
    response = client.get("/api/v1/objects/account/records", params=params, headers=headers)
    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    assert errors and all(set(error) == {"field", "code", "message"} for error in errors)
    if field is not None:
        assert field in {error["field"] for error in errors} or field in errors[0]["message"]


def test_patch_and_delete_honour_if_match(client, headers):
    record = _account(client, headers, name="Versioned")
    url = f"/api/v1/objects/account/records/{record['id']}"
    stale = client.patch(url, json={"employees": 5}, headers={**headers, "If-Match": '"7"'})
    assert stale.status_code == 412 and stale.json()["errors"][0]["code"] == "version_conflict"
    changed = client.patch(url, json={"employees": 5}, headers={**headers, "If-Match": '"1"'})
    assert changed.status_code == 200 and changed.json()["version"] == 2 and changed.json()["employees"] == 5
    assert client.patch(url, json={"employees": 6}, headers={**headers, "If-Match": "W/\"2\""}).status_code == 200
    assert client.patch(url, json={}, headers={**headers, "If-Match": "soon"}).status_code == 400
    assert client.delete(url, headers={**headers, "If-Match": "1"}).status_code == 412
    assert client.delete(url, headers={**headers, "If-Match": "3"}).status_code == 204
    assert client.get(url, headers=headers).status_code == 404


def test_restore_brings_a_deleted_record_back(client, headers):
    record = _account(client, headers, name="Phoenix")
    url = f"/api/v1/objects/account/records/{record['id']}"
    assert client.delete(url, headers=headers).status_code == 204
    restored = client.post(url + "/restore", headers=headers)
    assert restored.status_code == 200 and restored.json()["name"] == "Phoenix"
    assert client.get(url, headers=headers).status_code == 200
    again = client.post(url + "/restore", headers=headers)
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "not_in_recycle_bin"


def test_validation_errors_are_422_naming_each_field_in_the_callers_language(client, headers):
    bad = {"name": "", "employees": "lots", "status": "imaginary", "mystery": 1}
    response = client.post("/api/v1/objects/account/records", json=bad, headers=headers)
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"employees", "status", "mystery"} <= fields
    zh = client.post("/api/v1/objects/account/records", json=bad, headers={**headers, "Accept-Language": "zh"})
    assert zh.json()["errors"] != response.json()["errors"]
    assert any("\u4e00" <= character <= "\u9fff" for character in zh.json()["errors"][0]["message"])
    missing = client.post("/api/v1/objects/account/records", json={"name": "No Industry"}, headers=headers)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "industry"
    assert client.post("/api/v1/objects/account/records", json=[1, 2], headers=headers).status_code == 422
    huge = client.post("/api/v1/objects/account/records", json={"name": "Huge", "industry": "mining", "credit_limit": 1e26}, headers=headers)
    assert huge.status_code == 422 and huge.json()["errors"][0]["code"] == "too_many_digits"  # found by the fuzz test


def test_malformed_bodies_unknown_objects_and_records(client, headers):
    url = "/api/v1/objects/account/records"
    broken = client.post(url, content=b'{"name": ', headers={**headers, "Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["errors"][0]["code"] == "invalid_json"
    assert client.post(url, content=b"\xff\xfe", headers=headers).status_code == 400
    unknown = client.get("/api/v1/objects/spaceship/records", headers=headers)
    assert unknown.status_code == 404 and "spaceship" in unknown.json()["errors"][0]["message"]
    assert client.get("/api/v1/objects/spaceship", headers=headers).status_code == 404
    assert client.get(url + "/01nosuchrecord", headers=headers).status_code == 404
    assert client.patch(url + "/01nosuchrecord", json={}, headers=headers).status_code == 404
    assert client.delete(url + "/01nosuchrecord", headers=headers).status_code == 404
    assert client.get("/api/v1/nowhere", headers=headers).json()["errors"][0]["code"] == "not_found"
    assert client.put(url, headers=headers).status_code == 405


def test_deleting_a_record_others_refer_to_is_409(client, headers):
    parent = _account(client, headers, name="Parent With Contacts")
    contact = client.post(
        "/api/v1/objects/contact/records", json={"name": "Lin", "account": parent["id"], "mobile": "13800000000"}, headers=headers
    )
    assert contact.status_code == 201, contact.text
    refused = client.delete(f"/api/v1/objects/account/records/{parent['id']}", headers=headers)
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["code"]


def test_every_endpoint_wants_a_signed_in_caller(client):
    for method, url in [
        ("GET", "/api/v1/objects"),
        ("GET", "/api/v1/objects/account"),
        ("GET", "/api/v1/objects/account/records"),
        ("POST", "/api/v1/objects/account/records"),
        ("GET", "/api/v1/objects/account/records/x"),
        ("PATCH", "/api/v1/objects/account/records/x"),
        ("DELETE", "/api/v1/objects/account/records/x"),
        ("POST", "/api/v1/objects/account/records/x/restore"),
        ("GET", "/api/v1/access/account/x/explain?user=x"),
    ]:
        response = client.request(method, url)
        assert response.status_code == 401, (method, url)
        assert response.json()["errors"][0]["code"] == "unauthenticated"


def test_expand_returns_the_referenced_records_name(client, headers):
    parent = _account(client, headers, name="Expanded Parent")
    child = _account(client, headers, name="Expanded Child", parent_account=parent["id"])
    got = client.get(f"/api/v1/objects/account/records/{child['id']}", params={"expand": "parent_account", "fields": "name"}, headers=headers)
    assert got.status_code == 200
    assert got.json()["parent_account"]["id"] == parent["id"] and got.json()["parent_account"]["name"] == "Expanded Parent"
    assert client.get("/api/v1/objects/account/records", params={"expand": "name"}, headers=headers).status_code == 400


@pytest.mark.database
def test_a_nul_character_is_refused_as_bad_input_on_every_database(client, headers):
    """PostgreSQL refuses U+0000 in text and in queries; it used to surface as a 500 wherever a
    string from the caller reached SQL. Now it is bad input like any other, alike on SQLite."""
    created = client.post("/api/v1/objects/account/records", json={"name": "Nul\x00Co", "industry": "mining"}, headers=headers)
    assert created.status_code == 422 and created.json()["errors"][0] == {
        "field": "name", "code": "invalid_character", "message": "Contains a NUL character (U+0000), which text cannot hold."
    }
    tagged = client.post("/api/v1/objects/account/records", json={"name": "Tagged", "industry": "mining", "tags": ["a\x00"]}, headers=headers)
    assert tagged.status_code == 422 and tagged.json()["errors"][0]["code"] == "invalid_character"
    for tree in ({"name": "a\x00"}, {"name": {"contains": "\x00"}}, {"industry": "\x00"}):
        listed = client.get("/api/v1/objects/account/records", params={"filter": json.dumps(tree)}, headers=headers)
        assert listed.status_code == 400, listed.text
        exported = client.get("/api/v1/objects/account/export", params={"filter": json.dumps(tree)}, headers=headers)
        assert exported.status_code == 400, exported.text
    for method in ("GET", "PATCH", "DELETE"):
        answer = client.request(method, "/api/v1/objects/account/records/%00", json={"name": "x"} if method == "PATCH" else None, headers=headers)
        assert answer.status_code == 404, (method, answer.text)
    mine = _account(client, headers, name="Explained")
    assert client.get(f"/api/v1/access/account/{mine['id']}/explain", params={"user": "\x00"}, headers=headers).status_code == 404
    assert client.post("/api/v1/auth/token", json={"username": "ad\x00min", "password": "x"}).status_code == 401
    imported = client.post("/api/v1/objects/account/import", content="name,industry\nBad\x00Row,mining\n".encode(), headers={**headers, "Content-Type": "text/csv"})
    assert imported.status_code == 422 and imported.json()["errors"][0]["code"] == "invalid_character"


def test_a_concurrent_change_without_if_match_answers_409(client, headers, services, monkeypatch):
    """The docs promise 409 version_conflict when a change lands while a PATCH without If-Match
    is under way; it used to overwrite that change without a word."""
    record = _account(client, headers, name="Raced Co")
    records = services.records
    begin_write = records._write

    def others_commit_first(*args, **kwargs):
        monkeypatch.setattr(records, "_write", begin_write)
        records.update(SYSTEM, "account", record["id"], {"employees": 7})
        return begin_write(*args, **kwargs)

    monkeypatch.setattr(records, "_write", others_commit_first)
    raced = client.patch(f"/api/v1/objects/account/records/{record['id']}", json={"employees": 8}, headers=headers)
    assert raced.status_code == 409, raced.text
    assert raced.json()["errors"][0]["code"] == "version_conflict"
    assert client.get(f"/api/v1/objects/account/records/{record['id']}", headers=headers).json()["employees"] == 7


def test_fields_naming_a_field_the_caller_may_not_read_is_400_as_an_unknown_one(client, headers, make_user, bearer):
    """A hidden field in fields= used to be dropped without a word while an unknown one was 400,
    which told the caller which hidden fields exist; both are unknown_field now."""
    record = _account(client, headers, name="Hidden Fields Co")
    partner = bearer(client, make_user(roles=["standard_user"], profiles=["partner_sales"])["username"])
    for url in ("/api/v1/objects/account/records", f"/api/v1/objects/account/records/{record['id']}"):
        for hidden in ("credit_limit", "nonexistent"):
            answer = client.get(url, params={"fields": f"name,{hidden}"}, headers=partner)
            assert answer.status_code == 400, answer.text
            assert answer.json()["errors"] == [{"field": hidden, "code": "unknown_field", "message": f"Unknown field '{hidden}'."}]
        assert client.get(url, params={"fields": "name,credit_limit"}, headers=headers).status_code == 200
