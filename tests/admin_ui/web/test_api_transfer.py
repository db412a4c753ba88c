"""CSV import and export over HTTP: raw and multipart bodies, row errors, CSRF for cookie callers."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def headers(client, make_user, bearer):
    return bearer(client, make_user(admin=True)["username"])


def test_import_a_raw_csv_body_then_export_it(client, headers):
    body = "\ufeffname,industry,employees\r\nHttp One,mining,41\r\nHttp Two,mining,42\r\n".encode()
    response = client.post("/api/v1/objects/account/import", content=body, headers={**headers, "Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 2, "updated": 0, "skipped": 0, "errors": []}
    exported = client.get(
        "/api/v1/objects/account/export",
        params={"filter": json.dumps({"employees": {"in": [41, 42]}}), "fields": "name,employees"},
        headers=headers,
    )
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    assert exported.content.startswith(b"\xef\xbb\xbfname,employees\r\n")
    assert b"Http One,41\r\n" in exported.content and b"Http Two,42\r\n" in exported.content


def test_import_errors_carry_row_numbers_and_nothing_is_written(client, headers):
    body = b"name,industry,employees\nRow Two,mining,1\nRow Three,mining,lots\n"
    refused = client.post("/api/v1/objects/account/import", content=body, headers=headers)
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["row"] == 3 and error["field"] == "employees" and error["code"] == "invalid_type"
    listed = client.get("/api/v1/objects/account/records", params={"filter": json.dumps({"name": "Row Two"})}, headers=headers)
    assert listed.json()["records"] == []
    skipped = client.post("/api/v1/objects/account/import?skip_bad_rows=true", content=body, headers=headers)
    assert skipped.json()["created"] == 1 and skipped.json()["skipped"] == 1


def test_multipart_upload_with_update_by_and_csrf_for_sessions(client, make_user, sign_in):
    user = make_user(admin=True)
    csrf = sign_in(client, user["username"])
    files = {"file": ("accounts.csv", b"name,industry,employees\nMultipart Co,mining,1\n", "text/csv")}
    assert client.post("/api/v1/objects/account/import", files=files).status_code == 403  # no CSRF token
    made = client.post("/api/v1/objects/account/import", files=files, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 200 and made.json()["created"] == 1
    files = {"file": ("accounts.csv", b"name,employees\nMultipart Co,2\n", "text/csv")}
    updated = client.post("/api/v1/objects/account/import?update_by=name", files=files, data={"csrf_token": csrf})
    assert updated.status_code == 200 and updated.json()["updated"] == 1


def test_transfer_errors_are_never_500(client, headers):
    assert client.post("/api/v1/objects/spaceship/import", content=b"a\n1\n", headers=headers).status_code == 404
    assert client.get("/api/v1/objects/spaceship/export", headers=headers).status_code == 404
    assert client.post("/api/v1/objects/account/import", content=b"", headers=headers).status_code == 422
    assert client.post("/api/v1/objects/account/import", content=b"bogus\n1\n", headers=headers).json()["errors"][0]["row"] == 1
    assert client.get("/api/v1/objects/account/export", params={"filter": "{"}, headers=headers).status_code == 400
    multipart = client.post("/api/v1/objects/account/import", content=b"--x\r\n", headers={**headers, "Content-Type": "multipart/form-data; boundary=x"})
    assert multipart.status_code == 400
    assert client.post("/api/v1/objects/account/import", content=b"a", headers={**headers, "Content-Type": "multipart/form-data"}).status_code == 400


def test_export_refuses_a_field_the_caller_may_not_read_naming_it(client, make_user, bearer):
    """It used to answer 200 with the column empty, as if the field held nothing."""
    partner = make_user(roles=["standard_user"], profiles=["partner_sales"])
    headers = bearer(client, partner["username"])
    refused = client.get("/api/v1/objects/account/export", params={"fields": "name,credit_limit"}, headers=headers)
    assert refused.status_code == 400, refused.text
    assert refused.json()["errors"] == [{"field": "credit_limit", "code": "unknown_field", "message": "Unknown field 'credit_limit'."}]
    allowed = client.get("/api/v1/objects/account/export", params={"fields": "name,parent_account.name"}, headers=headers)
    assert allowed.status_code == 200 and allowed.text.splitlines()[0] == "\ufeffname,parent_account.name", allowed.text


def test_export_neutralises_formula_cells_unless_raw_is_asked_for(client, headers):
    body = '\ufeffname,industry,employees\r\n"=HYPERLINK(""http://x.example"")",mining,4401\r\n@SUM(A1),mining,4401\r\n'.encode()
    assert client.post("/api/v1/objects/account/import", content=body, headers={**headers, "Content-Type": "text/csv"}).status_code == 200
    params = {"filter": json.dumps({"employees": 4401}), "fields": "name"}
    safe = client.get("/api/v1/objects/account/export", params=params, headers=headers)
    assert sorted(safe.content.decode("utf-8-sig").splitlines()[1:]) == sorted(["'@SUM(A1)", '"\'=HYPERLINK(""http://x.example"")"'])
    raw = client.get("/api/v1/objects/account/export", params={**params, "raw": "true"}, headers=headers)
    assert sorted(raw.content.decode("utf-8-sig").splitlines()[1:]) == sorted(["@SUM(A1)", '"=HYPERLINK(""http://x.example"")"'])
