"""Property: whatever a create, an update or a list filter holds, the answer is a success or a 4xx
with the error shape — never a 5xx.

The values are drawn from each object's own JSON Schema (``RecordService.json_schema``, the
pipeline's published contract): for every property, values the schema accepts (its enums,
patterns, formats, bounds and item rules) mixed with values just past them and hostile ones
(integers past 64 bits, NaN, moments at the ends of the calendar, lone surrogates, NUL, long
text). The site holds the standard CRM and the test zoo package, and the objects exercised are
chosen so that every field type that can be written appears at least once; a test checks that.
Examples are bounded for CI (``TESSERA_PROPERTY_EXAMPLES`` raises them).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metadata.registry import shipped_packages
from runtime.query.filters import OPERATORS
from runtime.records.context import SYSTEM

pytestmark = pytest.mark.database

EXAMPLES = int(os.environ.get("TESSERA_PROPERTY_EXAMPLES", "20"))
ZOO_PACKAGE = Path(__file__).parents[2] / "runtime" / "fixtures" / "zoo"
#: every field type a create or update can set (auto numbers, formulas and roll-ups are computed)
WRITABLE_TYPES = {
    "text", "textarea", "long_text", "rich_text", "phone", "email", "url", "integer", "number", "currency", "percent",
    "date", "datetime", "time", "checkbox", "picklist", "multi_picklist", "tags", "lookup", "master_detail", "user",
    "department", "region", "geolocation", "file", "image",
}
ZONES = st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=14)), dt.timezone(dt.timedelta(hours=-12, minutes=-30))])
HOSTILE_VALUES = [
    None, "", "\ud800", "a\udfffb", "nul\x00", 2**63, -(2**63) - 1, 10**40, 1e308, -1e-320, float("nan"), float("inf"),
    "NaN", "1e99999", "-0", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-12:00", "0000-00-00", "24:00", True, [], {}, [None], {"id": ""},
]
HOSTILE = st.sampled_from([*HOSTILE_VALUES, "x" * 5000])
#: in a filter, which travels in the URL, long text is shorter: the client refuses very long URLs
HOSTILE_IN_FILTERS = st.sampled_from([*HOSTILE_VALUES, "x" * 300])


@pytest.fixture
def web_engine(tmp_path, site_templates):
    """A database of the test's own holding the CRM and the zoo package (a template copy)."""
    url = site_templates.copy(tmp_path / "zoo.sqlite", [*shipped_packages(), ZOO_PACKAGE])
    engine = sa.create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        site_templates.drop(url)


@pytest.fixture
def web_site(web_engine, site_templates):
    """The web tests' site, with the zoo package beside the CRM (geolocations and more)."""
    return site_templates.site(web_engine, [*shipped_packages(), ZOO_PACKAGE])


def covering_objects(services) -> list[str]:
    """Objects whose inputs between them have every writable field type, fewest first."""
    models = services.records.models()
    chosen: list[str] = []
    covered: set[str] = set()
    for name in sorted(services.site.registry.objects):
        types = {spec.type for spec in models.get(name).inputs.values()}
        if types - covered:
            chosen.append(name)
            covered |= types
    return chosen


def values_of(schema: dict, long_text: bool = True) -> st.SearchStrategy:
    """Values shaped by one property's JSON Schema (and its nearest invalid neighbours); without
    ``long_text``, no text at a long field's limit (filters travel in the URL)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kinds = schema.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else kinds
    options: list[st.SearchStrategy] = []
    if "null" in kinds:
        options.append(st.none())
    if "boolean" in kinds:
        options.append(st.booleans())
    if "integer" in kinds:
        low, high = schema.get("minimum"), schema.get("maximum")
        options.append(st.integers(low, high))
        options.append(st.sampled_from([edge for edge in (low, high) if edge is not None] or [0]).flatmap(
            lambda edge: st.sampled_from([edge - 1, edge, edge + 1, str(edge + 1)])
        ))
    if "number" in kinds:
        low, high = schema.get("exclusiveMinimum", -(10**6)), schema.get("exclusiveMaximum", 10**6)
        options.append(st.decimals(low, high, places=4, allow_nan=False, allow_infinity=False).filter(lambda n: low < n < high).map(str))
        options.append(st.floats(allow_nan=False, allow_infinity=False))
        options.append(st.sampled_from([str(high), str(low), high, str(high - 1) + ".995"]))
    if "string" in kinds:
        fmt = schema.get("format")
        if fmt == "date":
            options.append(st.dates().map(dt.date.isoformat))
        elif fmt == "date-time":
            options.append(st.datetimes(timezones=ZONES).map(dt.datetime.isoformat))
        elif fmt == "time":
            options.append(st.times().map(dt.time.isoformat))
        elif "pattern" in schema and fmt is None:
            options.append(st.from_regex(schema["pattern"], fullmatch=True).filter(lambda text: len(text) < 200))
        length = schema.get("maxLength")
        options.append(st.text(max_size=min(length or 30, 30)))
        if length is not None and (long_text or length < 300):
            options.append(st.sampled_from(["a" * length, "a" * (length + 1)]))
    if "array" in kinds:
        options.append(st.lists(values_of(schema.get("items", {}), long_text), max_size=min(schema.get("maxItems", 3) + 1, 4)))
    if "object" in kinds:
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        options.append(st.fixed_dictionaries({key: values_of(prop, long_text) for key, prop in properties.items() if key in required},
                                             optional={key: values_of(prop, long_text) for key, prop in properties.items() if key not in required}))
    return st.one_of(options) if options else HOSTILE if long_text else HOSTILE_IN_FILTERS


#: text the pipeline keeps as it is: no control characters (NUL among them), no lone surrogates
PLAIN = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"))


OMIT = object()


def _given(body: dict) -> dict:
    return {name: value for name, value in body.items() if value is not OMIT}


def valid_values_of(schema: dict) -> st.SearchStrategy:
    """Values one property's JSON Schema accepts; OMIT for references, as random ids name no record
    (the defaults, such as the owner, fill them in)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kinds = schema.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else kinds
    fmt, length = schema.get("format"), schema.get("maxLength")
    if "boolean" in kinds:
        return st.booleans()
    if "integer" in kinds:
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if "number" in kinds:
        low = max(schema.get("minimum", -(10**6)), schema.get("exclusiveMinimum", -(10**6)) + 1)
        high = min(schema.get("maximum", 10**6), schema.get("exclusiveMaximum", 10**6) - 1)
        return st.decimals(low, high, places=2, allow_nan=False, allow_infinity=False).map(str)
    if "array" in kinds:
        items = schema.get("items", {})
        if items.get("type") == "object":
            return st.just(OMIT)  # file references point at stored files
        return st.lists(valid_values_of(items), max_size=schema.get("maxItems", 3), unique=True)
    if "object" in kinds:
        return st.fixed_dictionaries({key: valid_values_of(prop) for key, prop in schema.get("properties", {}).items()})
    if fmt == "date":
        return st.dates().map(dt.date.isoformat)
    if fmt == "date-time":
        return st.datetimes(dt.datetime(2, 1, 1), dt.datetime(9998, 12, 31), timezones=ZONES).map(dt.datetime.isoformat)
    if fmt == "time":
        return st.times().map(dt.time.isoformat)
    if fmt in ("email", "uri"):
        return st.from_regex(schema["pattern"], fullmatch=True, alphabet=PLAIN).filter(lambda text: len(text) <= length)
    if "pattern" in schema:  # a record id
        return st.just(OMIT)
    return st.text(PLAIN, min_size=1, max_size=min(length or 30, 30))


def bodies(schema: dict) -> st.SearchStrategy:
    """Bodies of three kinds: every field valid; every field valid but one, which is an edge or
    hostile value; any fields, each drawn from its schema's neighbourhood or hostile."""
    properties = schema["properties"]
    valid = st.fixed_dictionaries({name: valid_values_of(prop) for name, prop in properties.items()}).map(_given)
    spoiled = st.tuples(valid, st.sampled_from(sorted(properties)).flatmap(
        lambda name: st.tuples(st.just(name), st.one_of(values_of(properties[name]), HOSTILE))
    )).map(lambda drawn: {**drawn[0], drawn[1][0]: drawn[1][1]})
    mixed = st.fixed_dictionaries({}, optional={name: st.one_of(values_of(prop), HOSTILE) for name, prop in properties.items()})
    return st.one_of(valid, spoiled, mixed)


def filters(services, object_name: str, schema: dict) -> st.SearchStrategy:
    """Filters over every field of the object, each with an operator its kind takes and values from its schema."""
    model = services.records.models().get(object_name)
    conditions = []
    for name, spec in model.fields.items():
        values = values_of(schema["properties"][name], long_text=False) if name in schema["properties"] else HOSTILE_IN_FILTERS
        operand = st.one_of(values, HOSTILE_IN_FILTERS, st.lists(values, min_size=1, max_size=3))
        conditions.append(st.fixed_dictionaries({name: st.dictionaries(st.sampled_from(OPERATORS[spec.kind]), operand, min_size=1, max_size=2)}))
    leaf = st.one_of(conditions)
    return st.recursive(leaf, lambda children: st.one_of(
        st.fixed_dictionaries({"and": st.lists(children, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"or": st.lists(children, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"not": children}),
    ), max_leaves=5)


def assert_answer(response, *success: int) -> None:
    """A success, or a 4xx whose body is the documented error shape; never a 5xx."""
    assert response.status_code < 500, (response.request.method, response.request.url, response.status_code, response.text)
    if response.status_code in success:
        return
    assert 400 <= response.status_code < 500, response.text
    errors = response.json()["errors"]
    assert errors and all(set(error) >= {"field", "code", "message"} and error["code"] and error["message"] for error in errors), errors


def send(client, method: str, url: str, body, headers):
    # json.dumps escapes lone surrogates (\ud800) and writes NaN as JSON's common extension; the
    # client's own encoder would refuse to send either
    return client.request(method, url, content=json.dumps(body).encode(), headers={**headers, "Content-Type": "application/json"})


@pytest.fixture
def admin_headers(app, services):
    from runtime.security import ADMINISTRATOR, assign
    from starlette.testclient import TestClient

    user = services.records.create(SYSTEM, "user", {"username": "property_admin", "name": "Property Admin", "language": "en"})
    services.auth.set_password(user["id"], "pw")
    assign(services.site, user["id"], roles=[ADMINISTRATOR], profiles=[ADMINISTRATOR])
    with TestClient(app) as client:
        token = client.post("/api/v1/auth/token", json={"username": "property_admin", "password": "pw"}).json()["access_token"]
    return {"Authorization": f"Bearer {token}", "Accept-Language": "en"}


def test_the_objects_exercised_cover_every_writable_field_type(services):
    models = services.records.models()
    covered = {spec.type for name in covering_objects(services) for spec in models.get(name).inputs.values()}
    assert WRITABLE_TYPES <= covered, WRITABLE_TYPES - covered


def test_creates_updates_and_filters_never_answer_5xx(app, services, admin_headers):
    from starlette.testclient import TestClient

    client = TestClient(app, raise_server_exceptions=False)
    models = services.records.models()
    try:
        for object_name in covering_objects(services):
            schema = services.records.json_schema(object_name)
            base = f"/api/v1/objects/{object_name}/records"

            strategies = (bodies(schema), bodies(schema), filters(services, object_name, schema))

            # drawn through st.data(): the strategies' own repr runs to hundreds of kilobytes
            @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            @given(data=st.data())
            def run(data):
                create, change, tree = (data.draw(strategy) for strategy in strategies)
                created = send(client, "POST", base, create, admin_headers)
                assert_answer(created, 201)
                listed = client.get(base, params={"filter": json.dumps(tree), "limit": "5"}, headers=admin_headers)
                assert_answer(listed, 200)
                target = created.json()["id"] if created.status_code == 201 else next(
                    (record["id"] for record in client.get(base, params={"limit": "1"}, headers=admin_headers).json()["records"]), None
                )
                if target is not None:
                    assert_answer(send(client, "PATCH", f"{base}/{target}", change, admin_headers), 200)

            try:
                run()
            except Exception as error:
                error.add_note(f"object: {object_name}")
                raise
    finally:
        client.close()
