"""Every API route, in one list for :func:`admin_ui.web.app.create_app`."""

from __future__ import annotations

from starlette.routing import BaseRoute

from admin_ui.web.api import access, aggregate, metadata, objects, openapi, records, search, transfer, users


def routes() -> list[BaseRoute]:
    return [
        *openapi.routes(), *objects.routes(), *records.routes(), *transfer.routes(), *access.routes(),
        *users.routes(), *aggregate.routes(), *search.routes(), *metadata.routes(),
    ]
