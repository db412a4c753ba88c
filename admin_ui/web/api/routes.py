"""Every API route, in one list for :func:`admin_ui.web.app.create_app`."""

from __future__ import annotations

from starlette.routing import BaseRoute

from admin_ui.web.api import access, aggregate, objects, openapi, records, search, transfer


def routes() -> list[BaseRoute]:
    return [*openapi.routes(), *objects.routes(), *records.routes(), *transfer.routes(), *access.routes(), *aggregate.routes(), *search.routes()]
