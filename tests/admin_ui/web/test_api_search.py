"""``GET /api/v1/search`` over the demo data: what each demo user finds is what a LIKE over their
list finds, never a record they cannot read; the page's global search and a list's quick search."""

from __future__ import annotations

import json
import re

import pytest

from admin_ui.web.pages.lists import quick_search
from runtime.records.context import SYSTEM
from runtime.sample_data import DEMO_PACKAGE, load_sample_data

pytestmark = pytest.mark.database

OBJECTS = ["account", "lead", "opportunity", "contact"]


@pytest.fixture
def demo(services):
    return load_sample_data(services.site, DEMO_PACKAGE, records=services.records, auth=services.auth).logins


@pytest.fixture
def headers(app, demo):
    from starlette.testclient import TestClient

    found = {}
    with TestClient(app) as client:
        for login in demo:
            response = client.post("/api/v1/auth/token", json={"username": login.username, "password": login.password})
            assert response.status_code == 200, response.text
            found[login.username] = {"Authorization": f"Bearer {response.json()['access_token']}", "Accept-Language": "en"}
    return found


@pytest.fixture
def chinese_pairs(services):
    """Two-character runs of the demo's Chinese names (every one a query to try)."""
    pairs = set()
    for name in OBJECTS:
        field = services.site.registry.objects[name].name_field
        for record in services.records.find(SYSTEM, name, fields=[field], limit=200).records:
            for run in re.findall("[\u4e00-\u9fff]{2,}", str(record.get(field) or "")):
                pairs.add(run[:2])
    assert len(pairs) >= 5
    return sorted(pairs)[:12]


def test_each_demo_user_finds_what_a_like_over_their_list_finds(client, services, headers, chinese_pairs):
    differs = False
    for username, auth in headers.items():
        for text in chinese_pairs:
            response = client.get("/api/v1/search", params={"q": text, "objects": ",".join(OBJECTS), "limit": 50}, headers=auth)
            assert response.status_code == 200, response.text
            found = {(hit["object"], hit["id"]) for hit in response.json()["results"]}
            expected = set()
            for name in OBJECTS:
                listing = client.get(f"/api/v1/objects/{name}/records", params={"filter": json.dumps(quick_search(services.site, name, text)), "fields": "id", "limit": 1000}, headers=auth)
                if listing.status_code == 403:
                    continue
                assert listing.status_code == 200, listing.text
                expected |= {(name, record["id"]) for record in listing.json()["records"]}
            assert found == expected, (username, text)
            differs = differs or found != set()
    assert differs


def test_a_search_never_returns_a_record_the_user_cannot_read(client, services, headers, chinese_pairs):
    everything = {text: services.records.search_records(SYSTEM, text, limit=50) for text in [*chinese_pairs, "a", "li", "co"]}
    narrower = False
    for username, auth in headers.items():
        for text, all_hits in everything.items():
            response = client.get("/api/v1/search", params={"q": text, "limit": 50}, headers=auth)
            assert response.status_code == 200, response.text
            results = response.json()["results"]
            for hit in results:
                opened = client.get(f"/api/v1/objects/{hit['object']}/records/{hit['id']}", headers=auth)
                assert opened.status_code == 200, (username, text, hit)
            narrower = narrower or len(results) < len(all_hits)
    assert narrower  # some users see less than the platform does


def test_results_are_grouped_by_object_in_the_sequence_asked(client, headers, chinese_pairs):
    auth = next(iter(headers.values()))
    response = client.get("/api/v1/search", params={"q": chinese_pairs[0], "objects": "opportunity,account,no_such"}, headers=auth)
    assert response.status_code == 200
    objects = [hit["object"] for hit in response.json()["results"]]
    assert objects == sorted(objects, key=["opportunity", "account"].index)
    assert all(set(hit) == {"object", "id", "title", "snippet"} for hit in response.json()["results"])


@pytest.mark.parametrize(("params", "status", "field"), [({"q": "x" * 201}, 400, "q"), ({"q": "a", "limit": "0"}, 400, "limit"), ({"q": "a", "limit": "x"}, 400, "limit")])
def test_bad_requests(client, headers, params, status, field):
    response = client.get("/api/v1/search", params=params, headers=next(iter(headers.values())))
    assert response.status_code == status and response.json()["errors"][0]["field"] == field


def test_anonymous_callers_are_refused(client):
    assert client.get("/api/v1/search", params={"q": "a"}).status_code == 401
