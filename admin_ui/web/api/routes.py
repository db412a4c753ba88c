"""Every API route, in one list for :func:`admin_ui.web.app.create_app`."""

from __future__ import annotations

import importlib

from starlette.routing import BaseRoute

from admin_ui.web.api import access, objects, openapi, records

_OPTIONAL = ("admin_ui.web.api.transfer",)


def routes() -> list[BaseRoute]:
    found: list[BaseRoute] = [*openapi.routes(), *objects.routes(), *records.routes(), *access.routes()]
    for name in _OPTIONAL:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue
        found.extend(module.routes())
    return found
