"""Bad input that used to answer a plain-text 500: each is now a 4xx with the one error shape.

Every case ran into an exception nobody mapped — an offset pushing a moment past year 1 or
9999, an integer past the 64-bit column, a lone UTF-16 surrogate that has no UTF-8 form, JSON
nested deeper than the parser's stack — and the answers must be the same on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.database

RECORDS = "/api/v1/objects/{}/records"
EVENT = {"subject": "Launch", "end_at": "2026-01-01T10:00:00Z"}
ACCOUNT = {"name": "Bad Input Co", "industry": "mining"}


@pytest.fixture
def headers(client, make_user, bearer):
    return bearer(client, make_user(admin=True)["username"])


def _post(client, headers, object_name, body: str):
    return client.post(RECORDS.format(object_name), content=body.encode("utf-8"), headers={**headers, "Content-Type": "application/json"})


def _only_error(response) -> dict:
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    return errors[0]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "0001-01-01T12:00:00Z"])
def test_a_date_time_at_the_ends_of_the_calendar_is_out_of_range(client, headers, moment):
    created = _post(client, headers, "event", json.dumps({**EVENT, "start_at": moment}))
    assert created.status_code == 422, created.text
    assert _only_error(created)["field"] == "start_at" and _only_error(created)["code"] == "out_of_range"
    listed = client.get(RECORDS.format("event"), params={"filter": json.dumps({"start_at": {"gt": moment}})}, headers=headers)
    assert listed.status_code == 400 and _only_error(listed)["code"] == "out_of_range", listed.text


def test_the_last_moments_every_time_zone_can_show_are_kept(client, headers):
    for moment in ("0001-01-02T00:00:00Z", "9999-12-30T23:59:59Z"):
        created = _post(client, headers, "event", json.dumps({**EVENT, "start_at": moment, "end_at": moment}))
        assert created.status_code == 201, created.text
        assert created.json()["start_at"].startswith(moment[:19])


@pytest.mark.parametrize("value", [str(2**63), str(-(2**63) - 1), f'"{2**70}"', "1e300"])
def test_an_integer_past_the_column_is_out_of_range_naming_the_field(client, headers, value):
    body = json.dumps(ACCOUNT)[:-1] + f', "employees": {value}}}'
    created = _post(client, headers, "account", body)
    assert created.status_code == 422, created.text
    assert _only_error(created) == {
        "field": "employees", "code": "out_of_range",
        "message": "Must be between -9223372036854775808 and 9223372036854775807.",
    }
    for condition in ({"gt": 2**63}, {"in": [1, 2**64]}, {"between": [0, 2**63]}):
        listed = client.get(RECORDS.format("account"), params={"filter": json.dumps({"employees": condition})}, headers=headers)
        assert listed.status_code == 400 and _only_error(listed)["code"] == "out_of_range", listed.text


def test_the_largest_integer_the_column_holds_is_kept(client, headers):
    created = client.post(RECORDS.format("account"), json={**ACCOUNT, "name": "Biggest Co", "employees": 2**63 - 1}, headers=headers)
    assert created.status_code == 201 and created.json()["employees"] == 2**63 - 1, created.text


def test_an_integer_past_the_column_in_a_csv_import_is_a_row_error(client, headers):
    data = f"name,industry,employees\nHuge Row Co,mining,{2**63}\n".encode()
    imported = client.post("/api/v1/objects/account/import", content=data, headers={**headers, "Content-Type": "text/csv"})
    assert imported.status_code == 422, imported.text
    assert imported.json()["errors"] == [{
        "row": 2, "field": "employees", "code": "out_of_range",
        "message": "Must be between -9223372036854775808 and 9223372036854775807.",
    }]


def test_a_lone_surrogate_is_refused_as_bad_text(client, headers):
    created = _post(client, headers, "account", '{"name": "Half \\ud800 Co", "industry": "mining"}')
    assert created.status_code == 422, created.text
    assert _only_error(created) == {
        "field": "name", "code": "invalid_character", "message": "Contains an unpaired surrogate (U+D800), which text cannot hold.",
    }
    tagged = _post(client, headers, "account", '{"name": "Tagged Half", "industry": "mining", "tags": ["\\udfff"]}')
    assert tagged.status_code == 422 and _only_error(tagged)["code"] == "invalid_character"
    for tree in ('{"name": "\\ud800"}', '{"name": {"contains": "\\ud800"}}'):
        listed = client.get(RECORDS.format("account"), params={"filter": tree}, headers=headers)
        assert listed.status_code == 400 and _only_error(listed)["code"] == "invalid_character", listed.text


def test_an_error_quoting_a_lone_surrogate_is_still_json(client, headers):
    """An unknown field or a picklist value is echoed in the message; UTF-8 cannot carry the
    surrogate, so the answer escapes it."""
    unknown = _post(client, headers, "account", '{"name": "Echo", "industry": "mining", "\\ud800": 1}')
    assert unknown.status_code == 422 and _only_error(unknown) == {
        "field": "\ud800", "code": "unknown_field", "message": "Unknown field '\ud800'."
    }
    choice = _post(client, headers, "account", '{"name": "Echo", "industry": "\\ud800"}')
    assert choice.status_code == 422 and _only_error(choice)["code"] == "invalid_choice"


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, '{"a": ' * 33 + "1" + "}" * 33])
def test_a_body_nested_too_deeply_is_refused(client, headers, body):
    created = _post(client, headers, "account", body)
    assert created.status_code == 400, created.text
    assert _only_error(created) == {"field": None, "code": "too_deep", "message": "The body nests more than 32 levels of arrays and objects."}


def test_a_filter_nested_too_deeply_is_refused(client, headers):
    for tree in ("[" * 3000 + "]" * 3000, '{"not": ' * 2000 + '{"name": "x"}' + "}" * 2000):
        listed = client.get(RECORDS.format("account"), params={"filter": tree}, headers=headers)
        assert listed.status_code == 400, listed.text
        assert _only_error(listed)["field"] == "filter" and _only_error(listed)["code"] == "too_deep"
        exported = client.get("/api/v1/objects/account/export", params={"filter": tree}, headers=headers)
        assert exported.status_code == 400 and _only_error(exported)["code"] == "too_deep"


def test_a_body_nested_as_deep_as_allowed_reaches_the_pipeline(client, headers):
    body = '{"a": ' * 31 + "1" + "}" * 31
    created = _post(client, headers, "account", body)
    assert created.status_code == 422 and _only_error(created)["code"] == "unknown_field", created.text


def test_an_integer_longer_than_python_converts_is_out_of_range_too(client, headers):
    """Past 4300 digits int() itself refuses (ValueError), in the JSON parser and in the coercer."""
    digits = "9" * 5000
    for value in (digits, f'"{digits}"'):
        created = _post(client, headers, "account", json.dumps(ACCOUNT)[:-1] + f', "employees": {value}}}')
        assert created.status_code == 422 and _only_error(created)["code"] == "out_of_range", created.text
        listed = client.get(RECORDS.format("account"), params={"filter": f'{{"employees": {value}}}'}, headers=headers)
        assert listed.status_code == 400 and _only_error(listed)["code"] == "out_of_range", listed.text
    money = _post(client, headers, "account", json.dumps(ACCOUNT)[:-1] + f', "annual_revenue": {digits}}}')
    assert money.status_code == 422 and _only_error(money)["code"] == "too_many_digits", money.text
    data = f"name,industry,employees\nLong Digits Co,mining,{digits}\n".encode()
    imported = client.post("/api/v1/objects/account/import", content=data, headers={**headers, "Content-Type": "text/csv"})
    assert imported.status_code == 422 and imported.json()["errors"][0]["code"] == "out_of_range", imported.text
    huge = client.get(RECORDS.format("account"), params={"filter": json.dumps({"annual_revenue": {"lt": digits}})}, headers=headers)
    assert huge.status_code == 200, huge.text
