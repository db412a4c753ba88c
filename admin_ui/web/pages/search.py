"""Global search: the search index over the objects the user may read, grouped by object.

Each object's index query carries the security predicate like any other read, so search never
shows a record the user could not open. Objects opt out with ``features.search: false``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from admin_ui.web.pages import i18n
from admin_ui.web.pages.navigation import chrome, signed_in
from admin_ui.web.pages.rendering import actor_of, render, services_of, sign_in_redirect

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
    groups: list[dict] = []
    if len(text) >= MIN_LENGTH:
        # one index query per object, each through that object's security predicate
        hits = services.records.search_records(actor, text, services.security.readable_objects(actor), limit=PER_OBJECT)
        for hit in hits:
            if not groups or groups[-1]["object"] != hit.object:
                groups.append({"object": hit.object, "label": site.registry.objects[hit.object].plural_label.text(language), "results": []})
            groups[-1]["results"].append({"id": hit.id, "name": hit.title, "snippet": hit.snippet, "url": f"/app/{base}/{hit.object}/{hit.id}"})
    data.update(title=i18n.gettext(language, "Search"), q=text, groups=groups)
    return render(request, "app/search.html", data)
