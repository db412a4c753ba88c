"""Schemathesis against the generated OpenAPI document: no 5xx, every answer as documented.

Schemathesis reads ``/api/v1/openapi.json`` from the app itself (ASGI, no server) and generates
requests for each operation — valid ones from the documented schemas and, in its coverage phase,
boundary and invalid ones. Every generated request is sent twice, as an administrator and as a
restricted user (a sales rep, who owns only their own records and reads a narrower field set),
and each answer must not be a server error and must match the status, content type and body
schema the document gives for the operation.

The suite covers the operations of two objects (one standard, one system) plus the object list,
the access explanation and ``/auth/me``, with a CI-sized number of examples; the large run
(every record operation, ≥ 1,000 examples each) is ``benchmarks/bench_api_fuzz.py``.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.database

EXAMPLES = int(os.environ.get("TESSERA_SCHEMATHESIS_EXAMPLES", "8"))
#: ``DELETE /auth/token`` would revoke the token the run signs in with; the two objects keep the run CI-sized
INCLUDED = r"^/api/v1/(objects(/\{object\})?|objects/(account|department)/.*|access/.*|auth/me|search)$"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app).include(path_regex=INCLUDED)


@pytest.fixture
def callers(app, services):
    """Bearer headers of an administrator and of a sales rep."""
    from starlette.testclient import TestClient

    from runtime.records.context import SYSTEM
    from runtime.security import ADMINISTRATOR, assign

    found = {}
    for name, roles, profiles in (("st_admin", [ADMINISTRATOR], [ADMINISTRATOR]), ("st_rep", ["standard_user"], ["sales_rep"])):
        user = services.records.create(SYSTEM, "user", {"username": name, "name": name, "language": "en"})
        services.auth.set_password(user["id"], "pw")
        assign(services.site, user["id"], roles=roles, profiles=profiles)
        with TestClient(app) as client:
            response = client.post("/api/v1/auth/token", json={"username": name, "password": "pw"})
            assert response.status_code == 200, response.text
        found[name] = {"Authorization": f"Bearer {response.json()['access_token']}", "Accept-Language": "en"}
    return found


def operations(api_schema):
    found = [result.ok() for result in api_schema.get_all_operations()]
    assert len(found) >= 10, [operation.label for operation in found]  # the filter did not lose the record operations
    return found


# Schemathesis's own pytest loader (``schemathesis.pytest.from_fixture``) relies on a pytest
# internal that pytest 9 removed, so the operations' strategies are driven here with Hypothesis.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("caller", ["st_admin", "st_rep"])
def test_generated_requests_match_the_document(api_schema, callers, caller, mode):
    headers = callers[caller]
    for operation in operations(api_schema):

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as error:
            error.add_note(f"operation: {operation.label}, as {caller}")
            raise
