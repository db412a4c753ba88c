"""Global search: the searchable objects the user may read, each asked through the record service.

Each object's query carries the security predicate like any other read, so search never shows a
record the user could not open. Objects opt out with ``features.search: false``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from admin_ui.web.pages import i18n
from admin_ui.web.pages.lists import quick_search
from admin_ui.web.pages.navigation import chrome, signed_in
from admin_ui.web.pages.rendering import actor_of, render, services_of, sign_in_redirect
from runtime.errors import RecordError

PER_OBJECT = 5
MIN_LENGTH = 1


def search(request: Request) -> Response:
    if not signed_in(request):
        return sign_in_redirect(request)
    app_name = request.query_params.get("app") or None
    data = chrome(request, app_name)
    language = data["language"]
    services = services_of(request)
    site, actor = services.site, actor_of(request)
    text = (request.query_params.get("q") or "").strip()[:100]
    app = data["app"] or (data["apps"][0] if data["apps"] else None)
    base = app["api_name"] if app else "sales"
    groups = []
    if len(text) >= MIN_LENGTH:
        for name in services.security.readable_objects(actor):
            object_def = site.registry.objects[name]
            condition = quick_search(site, name, text)
            if not object_def.features.search or condition is None:
                continue
            try:
                page = services.records.find(actor, name, filter=condition, fields=[object_def.name_field], sort=["-updated_at"], limit=PER_OBJECT)
            except RecordError:
                continue
            if page.records:
                groups.append(
                    {
                        "object": name,
                        "label": object_def.plural_label.text(language),
                        "results": [
                            {"id": record["id"], "name": str(record.get(object_def.name_field) or record["id"]), "url": f"/app/{base}/{name}/{record['id']}"}
                            for record in page.records
                        ],
                    }
                )
    data.update(title=i18n.gettext(language, "Search"), q=text, groups=groups)
    return render(request, "app/search.html", data)
