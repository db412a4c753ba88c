"""Sites sharing a database catch up with each other's metadata changes, and only then reload."""

from __future__ import annotations

from runtime.site import init_site, open_site
from runtime.site_layer import apply_change, component, plan_change


def test_a_site_catches_up_with_a_change_made_through_another(engine):
    first = init_site(engine)
    second = open_site(engine)
    registry = second.registry
    assert second.refresh() is False and second.registry is registry  # nothing moved: nothing rebuilt
    user = component(first.registry, "objects", "user")
    user["fields"].append({"api_name": "badge", "type": "text", "label": {"en": "Badge"}})
    apply_change(first, plan_change(first, [("objects", "user", user)]), changed_by=None)
    assert first.refresh() is False  # the site that applied it is current already
    assert "badge" not in second.table("user").c
    assert second.refresh() is True
    assert "badge" in second.table("user").c
    assert component(second.registry, "objects", "user") == component(first.registry, "objects", "user")
    assert second.metadata_version == first.metadata_version
    assert second.refresh() is False
    second.dispose()
