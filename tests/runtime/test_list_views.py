"""Saved list views: checked against metadata and field permissions, private unless shared, owner-only changes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from runtime import list_views
from runtime.errors import QueryError, RecordNotFoundError, RecordPermissionError, RecordValidationError
from runtime.records.context import SYSTEM, Actor
from runtime.records.service import RecordService


class HidingPolicy:
    """Everything allowed, except the fields listed per user."""

    def __init__(self):
        self.hidden: dict[str, set[str]] = {}

    def predicate(self, actor, object_name, table, operation):
        return None

    def allows(self, actor, object_name, action):
        return True

    def editable_fields(self, actor, object_name):
        return None

    def readable_fields(self, actor, object_name):
        hidden = self.hidden.get(actor.user_id)
        if not hidden:
            return None
        return frozenset(name for name in self.site.registry.fields(object_name) if name not in hidden)


@pytest.fixture
def zoo(site):
    policy = HidingPolicy()
    policy.site = site
    service = RecordService(site, access=policy)
    keeper = service.create(SYSTEM, "user", {"username": "keeper", "name": "Keeper", "user_kind": "internal"})["id"]
    visitor = service.create(SYSTEM, "user", {"username": "visitor", "name": "Visitor", "user_kind": "internal"})["id"]
    return service, policy, Actor(user_id=keeper), Actor(user_id=visitor)


GOOD = {"scope": "mine", "q": " lion ", "sort": "-weight", "columns": ["name", "weight", "name"], "filter": {"diet": {"in": ["carnivore"]}}}


def test_save_checks_and_normalises_and_the_view_runs(zoo):
    service, _, keeper, _ = zoo
    view = list_views.save(service, keeper, "zoo_animal", "park", "Heavy cats", GOOD)
    assert view.owner_id == keeper.user_id and view.shared is False and view.name == "Heavy cats"
    assert view.definition == {"scope": "mine", "q": "lion", "sort": "-weight", "columns": ["name", "weight"], "filter": {"diet": {"in": ["carnivore"]}}}
    stored = service.site.platform[list_views.TABLE]
    with service.site.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(stored)).scalar() == 1
    service.create(SYSTEM, "zoo_animal", {"name": "Leo", "diet": "carnivore", "weight": "190"})
    service.create(SYSTEM, "zoo_animal", {"name": "Bambi", "diet": "herbivore"})
    found = service.find(keeper, "zoo_animal", filter=view.definition["filter"], sort=[view.definition["sort"]])
    assert [record["name"] for record in found.records] == ["Leo"]


@pytest.mark.parametrize(
    ("definition", "error", "code", "field"),
    [
        ({"filter": {"nowhere": "x"}}, QueryError, "unknown_field", "nowhere"),
        ({"filter": {"legs": {"gte": "many"}}}, QueryError, None, "legs"),
        ({"filter": {"diet": {"contains": "meat"}}}, QueryError, None, "diet"),
        ({"sort": "-nowhere"}, QueryError, "unknown_field", "nowhere"),
        ({"columns": ["name", "nowhere"]}, RecordValidationError, "unknown_field", "nowhere"),
        ({"columns": []}, RecordValidationError, "invalid_view", "columns"),
        ({"scope": "everyone"}, RecordValidationError, "invalid_view", "scope"),
        ({"having": {"x": 1}}, RecordValidationError, "invalid_view", "having"),
        ("not a dict", RecordValidationError, "invalid_view", "definition"),
    ],
)
def test_bad_definitions_are_refused_with_the_field_named(zoo, definition, error, code, field):
    service, _, keeper, _ = zoo
    with pytest.raises(error) as refused:
        list_views.save(service, keeper, "zoo_animal", "park", "Bad", definition)
    assert refused.value.errors[0].field == field
    if code:
        assert refused.value.errors[0].code == code
    assert refused.value.errors[0].message("en") and refused.value.errors[0].message("zh")
    assert list_views.list_views(service, keeper, "zoo_animal", "park") == []


def test_a_view_cannot_use_fields_the_saver_may_not_read(zoo):
    service, policy, keeper, _ = zoo
    policy.hidden[keeper.user_id] = {"weight"}
    for definition in ({"columns": ["name", "weight"]}, {"filter": {"weight": {"gt": 1}}}, {"sort": "weight"}):
        with pytest.raises(QueryError) as refused:
            list_views.save(service, keeper, "zoo_animal", "park", "Hidden", definition)
        assert refused.value.errors[0].field == "weight"
    assert list_views.list_views(service, keeper, "zoo_animal", "park") == []


def test_names_privacy_sharing_and_ownership(zoo):
    service, _, keeper, visitor = zoo
    mine = list_views.save(service, keeper, "zoo_animal", "park", "Mine", {"scope": "mine"})
    with pytest.raises(RecordValidationError) as duplicate:
        list_views.save(service, keeper, "zoo_animal", "park", " Mine ", {})
    assert duplicate.value.codes == ["duplicate_view_name"]
    with pytest.raises(RecordValidationError):
        list_views.save(service, keeper, "zoo_animal", "park", "   ", {})
    with pytest.raises(RecordPermissionError) as not_admin:
        list_views.save(service, keeper, "zoo_animal", "park", "For all", {}, shared=True)
    assert not_admin.value.codes == ["share_forbidden"]
    shared = list_views.save(service, keeper, "zoo_animal", "park", "For all", {}, shared=True, may_share=True)

    # the visitor sees the shared view only, may not open the private one, nor change either
    assert [view.name for view in list_views.list_views(service, visitor, "zoo_animal", "park")] == ["For all"]
    assert [view.name for view in list_views.list_views(service, keeper, "zoo_animal", "park")] == ["For all", "Mine"]
    assert list_views.list_views(service, keeper, "zoo_animal", "elsewhere") == []
    with pytest.raises(RecordNotFoundError):
        list_views.get(service, visitor, "zoo_animal", mine.id)
    with pytest.raises(RecordNotFoundError):
        list_views.delete(service, visitor, "zoo_animal", mine.id)
    with pytest.raises(RecordPermissionError):
        list_views.delete(service, visitor, "zoo_animal", shared.id)
    with pytest.raises(RecordPermissionError):
        list_views.rename(service, visitor, "zoo_animal", shared.id, "Taken over")
    assert list_views.get(service, visitor, "zoo_animal", shared.id).name == "For all"

    renamed = list_views.rename(service, keeper, "zoo_animal", mine.id, "Still mine")
    assert renamed.name == "Still mine" and renamed.definition == {"scope": "mine"}
    with pytest.raises(RecordValidationError):
        list_views.rename(service, keeper, "zoo_animal", mine.id, "For all")
    with pytest.raises(RecordPermissionError):
        list_views.rename(service, keeper, "zoo_animal", mine.id, "Still mine", shared=True)
    list_views.delete(service, keeper, "zoo_animal", mine.id)
    assert [view.name for view in list_views.list_views(service, keeper, "zoo_animal", "park")] == ["For all"]
    with pytest.raises(RecordPermissionError):
        list_views.save(service, SYSTEM, "zoo_animal", "park", "Nobody's", {})
