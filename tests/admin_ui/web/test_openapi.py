"""The OpenAPI document: valid 3.1, generated from the installed metadata, and its HTML page."""

from __future__ import annotations

import jsonschema
from openapi_spec_validator import OpenAPIV31SpecValidator


def test_the_document_is_valid_openapi_3_1_with_a_schema_per_object(client, services):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    OpenAPIV31SpecValidator(spec).validate()
    assert spec["openapi"].startswith("3.1")
    for name in services.site.registry.objects:
        assert f"/api/v1/objects/{name}/records" in spec["paths"]
        assert f"/api/v1/objects/{name}/records/{{id}}" in spec["paths"]
    schemas = spec["components"]["schemas"]
    assert schemas["AccountInput"]["properties"]["name"]["maxLength"] == services.site.registry.field("account", "name").max_length
    assert "required" not in schemas["AccountPatch"]
    # the input schema is the pipeline's own: what it accepts, the pipeline accepts
    assert schemas["AccountInput"] == {key: value for key, value in services.records.json_schema("account").items() if key != "$schema"}


def test_responses_match_the_documented_schemas(client, services, make_user, bearer):
    spec = client.get("/api/v1/openapi.json").json()
    headers = bearer(client, make_user(admin=True)["username"])
    created = client.post("/api/v1/objects/department/records", json={"name": "Docs", "code": "docs_dept"}, headers=headers)
    listed = client.get("/api/v1/objects/department/records", headers=headers)
    failed = client.post("/api/v1/objects/department/records", json={"name": 5}, headers=headers)

    def check(response, path, method, status):
        assert response.status_code == status
        schema = spec["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
        # the schema's "#/components/..." references resolve against a root holding the components
        root = {"components": spec["components"], **schema}
        jsonschema.Draft202012Validator(root).validate(response.json())

    check(created, "/api/v1/objects/department/records", "post", 201)
    check(listed, "/api/v1/objects/department/records", "get", 200)
    check(failed, "/api/v1/objects/department/records", "post", 422)


def test_the_html_page_renders_the_document_without_external_scripts(client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/api/v1/objects/account/records" in page.text and "AccountInput" in page.text
    assert "<script src=" not in page.text and "cdn" not in page.text.lower()
