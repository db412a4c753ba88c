"""The end-user pages: apps, list views, record pages, forms and stage paths, drawn from metadata.

:func:`routes` is what the web app mounts. Every page answers at its path as HTML and at the
same path plus ``.json`` with the same data (see :mod:`admin_ui.web.pages.rendering`).

    /app                                   apps and their tabs
    /app/search?q=                         global search
    /app/language                          POST: the user's language
    /app/{app}                             an app's tabs
    /app/{app}/{object}                    list view (filters, sort, quick search, scopes, pages)
    /app/{app}/{object}/kanban             kanban by the stage field
    /app/{app}/{object}/kanban/move        POST: move a card to another lane (through the stage gate)
    /app/{app}/{object}/views              POST: save the list as it stands as a named view
    /app/{app}/{object}/views/{view_id}/rename  POST: rename (or share) one's own saved view
    /app/{app}/{object}/views/{view_id}/delete  POST: delete one's own saved view
    /app/{app}/{object}/lookup?field=&q=   type-ahead for a reference field
    /app/{app}/{object}/form               POST (htmx): the form's fields for the values so far
    /app/{app}/{object}/bulk               POST: transfer or delete the selected records
    /app/{app}/{object}/new                GET form, POST create
    /app/{app}/{object}/{id}               detail
    /app/{app}/{object}/{id}/edit          GET form, POST update
    /app/{app}/{object}/{id}/delete        POST: to the recycle bin
    /app/{app}/{object}/{id}/restore       POST: back from the recycle bin
    /app/{app}/{object}/{id}/stage         POST: move along the stage path
    /app/{app}/{object}/{id}/key-event     POST: complete a key event
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from admin_ui.web.pages import forms, i18n, lists, navigation, records, saved_views, search, stages
from admin_ui.web.pages.rendering import STATIC_DIR, language_of, render
from runtime.errors import RecordError

__all__ = ["routes"]


#: methods whose form the wrapper reads before the handler runs
_FORM_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _guarded(endpoint):
    """The page handler ``endpoint`` (a plain function) as a Starlette endpoint.

    The handler's database work blocks, so it runs in a worker thread, never on the event loop
    (one slow page must not hold up every other request). The form of a POST is read and parsed
    on the event loop first (``rendering.form_of`` hands it to the handler). What the handler
    refuses is answered as a page (or JSON) instead of a server error.
    """

    def answer(request):
        # another worker or server may have changed the metadata: catch up before rendering
        request.app.state.services.site.refresh()
        try:
            return endpoint(request)
        except navigation.PageNotFound as missing:
            return _problem(request, 404, [{"field": None, "code": "not_found", "message": str(missing.detail)}])
        except RecordError as problem:
            language = language_of(request)
            return _problem(request, forms.status_of(problem), problem.messages(language))

    async def guarded(request):
        request.state.form = await request.form() if request.method in _FORM_METHODS else FormData()
        return await run_in_threadpool(answer, request)

    guarded.__name__ = getattr(endpoint, "__name__", "page")
    guarded.__doc__ = endpoint.__doc__
    return guarded


def _problem(request, status: int, errors: list[dict]):
    try:
        data = navigation.chrome(request)
    except navigation.PageNotFound:  # pragma: no cover - chrome without an app cannot miss
        data = {}
    data.update(title=i18n.gettext(language_of(request), "Not done"), errors=errors, back="/app")
    return render(request, "app/message.html", data, status=status)


def _twin(path: str, endpoint, methods: list[str] | None = None) -> list[Route]:
    """The page at ``path`` and its ``.json`` twin (listed first, so ``{id}`` never eats ``.json``)."""
    endpoint = _guarded(endpoint)
    return [Route(f"{path}.json", endpoint, methods=methods), Route(path, endpoint, methods=methods)]


def routes() -> list[BaseRoute]:
    """Every page route, and the static files the pages use."""
    base = "/app/{app}/{object}"
    record = base + "/{id}"
    return [
        Mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static"),
        Route("/", _guarded(navigation.home)),
        *_twin("/app", navigation.home),
        *_twin("/app/search", search.search),
        *_twin("/app/language", navigation.switch_language, ["POST"]),
        *_twin("/app/{app}", navigation.app_home),
        *_twin(base, lists.list_view),
        *_twin(base + "/kanban", lists.kanban),
        *_twin(base + "/kanban/move", stages.kanban_move, ["POST"]),
        *_twin(base + "/views", saved_views.create, ["POST"]),
        *_twin(base + "/views/{view_id}/rename", saved_views.rename, ["POST"]),
        *_twin(base + "/views/{view_id}/delete", saved_views.delete, ["POST"]),
        *_twin(base + "/lookup", lists.lookup),
        *_twin(base + "/form", forms.reevaluate, ["POST"]),
        *_twin(base + "/bulk", lists.bulk, ["POST"]),
        *_twin(base + "/new", forms.new_form, ["GET"]),
        *_twin(base + "/new", forms.create, ["POST"]),
        *_twin(record, records.detail),
        *_twin(record + "/edit", forms.edit_form, ["GET"]),
        *_twin(record + "/edit", forms.update, ["POST"]),
        *_twin(record + "/delete", records.delete, ["POST"]),
        *_twin(record + "/restore", records.restore, ["POST"]),
        *_twin(record + "/stage", stages.move, ["POST"]),
        *_twin(record + "/key-event", stages.key_event, ["POST"]),
    ]
