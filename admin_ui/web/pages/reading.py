"""Reading one record for a page: live, else from the recycle bin, references expanded.

Shared by the detail page and the edit forms (which import each other's helpers otherwise).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from admin_ui.web.pages import values as v
from admin_ui.web.pages.navigation import PageNotFound
from admin_ui.web.pages.rendering import actor_of, services_of
from runtime.errors import RecordError, RecordNotFoundError

__all__ = ["load_record"]


def load_record(request: Request, object_name: str, record_id: str) -> tuple[dict[str, Any], bool]:
    """The record (live, else from the recycle bin) and whether it is deleted; 404 if neither."""
    services = services_of(request)
    actor = actor_of(request)
    site = services.site
    names = [name for name in site.registry.fields(object_name)] + ["owner", "created_by", "updated_by"]
    expand = v.expandable(site, object_name, names)
    try:
        return services.records.get(actor, object_name, record_id, expand=expand), False
    except RecordNotFoundError:
        pass
    try:
        page = services.records.find(actor, object_name, filter={"id": record_id}, state="deleted", expand=expand, limit=1)
    except RecordError:
        page = None
    if page is None or not page.records:
        raise PageNotFound(f"no record '{record_id}'")
    return page.records[0], True


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    """The record with expanded references reduced to their ids (what formulas read)."""
    return {key: (value.get("id") if isinstance(value, dict) and "id" in value and "name" in value else value) for key, value in record.items()}
