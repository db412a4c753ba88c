"""``tessera serve``: run the web app with uvicorn, initialising an empty database first.

Also the pieces the other site commands share (``user``, ``import``, ``export``): the ``--db``
option, opening (or initialising) the site, and turning user-caused errors into one message on
stderr with exit code 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from admin_ui.db_commands import DatabaseOption
from metadata.errors import MetadataError, PackageError
from runtime.errors import DataError, RecordError
from runtime.records.context import SYSTEM
from runtime.site import Site


def fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


@contextmanager
def reported() -> Iterator[None]:
    """User-caused errors as one message on stderr and exit code 1, never a traceback."""
    try:
        yield
    except RecordError as error:
        for problem in error.errors:
            typer.echo(f"{problem.field}: {problem.message_en}" if problem.field else problem.message_en, err=True)
        fail(f"{len(error.errors)} problem{'s' if len(error.errors) != 1 else ''}")
    except PackageError as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        fail("the packages do not load")
    except (DataError, MetadataError) as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot read {error.filename}: {error.strerror}")


@contextmanager
def opened_site(db: str, *, initialise: bool = True) -> Iterator[Site]:
    """The site in ``db`` (an empty database is made a site with the shipped packages)."""
    from admin_ui.web.app import open_or_init_site
    from admin_ui.web.settings import Settings

    site = open_or_init_site(Settings(database_url=db, initialise=initialise))
    try:
        yield site
    finally:
        site.dispose()


def user_id_for(site: Site, records, key: str) -> str | None:
    """The id of the user whose username (or id) is ``key``."""
    page = records.find(SYSTEM, "user", filter={"or": [{"username": key}, {"id": key}]}, fields=["id"], limit=1)
    return page.records[0]["id"] if page.records else None


#: what a worker process reads to build its app (``--workers``: uvicorn imports the factory by name)
WORKER_DATABASE_ENV = "TESSERA_WORKER_DATABASE_URL"
WORKER_SECURE_COOKIES_ENV = "TESSERA_WORKER_SECURE_COOKIES"


def worker_app():
    """The app of one worker process of ``tessera serve --workers N``.

    Each worker opens the site itself; they stay current with each other (and with other servers
    on the same database) through the metadata version every request checks.
    """
    import os

    from admin_ui.web.app import create_app
    from admin_ui.web.settings import Settings

    return create_app(Settings(database_url=os.environ[WORKER_DATABASE_ENV], secure_cookies=os.environ.get(WORKER_SECURE_COOKIES_ENV) == "1", initialise=False))


def serve(
    db: str = DatabaseOption,
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes; each sees metadata changes made by the others on its next request."),
    demo: bool = typer.Option(False, "--demo", help="Seed a demo organisation and CRM data (idempotent) and print the logins."),
    secure_cookies: bool = typer.Option(False, "--secure-cookies", help="Send the session cookie over HTTPS only (behind TLS)."),
) -> None:
    """Serve the web app and the API; an empty database is initialised first."""
    import uvicorn

    from admin_ui.web.app import create_app
    from admin_ui.web.settings import Settings

    settings = Settings(database_url=db, secure_cookies=secure_cookies)
    with reported():
        app = create_app(settings)
        if demo:
            from runtime.sample_data import DEMO_PACKAGE, load_sample_data

            summary = load_sample_data(app.state.services.site, DEMO_PACKAGE, records=app.state.services.records, auth=app.state.services.auth)
            typer.echo(summary.describe())
    url = f"http://{host}:{port}"
    typer.echo(f"Tessera is running at {url} (API docs: {url}/api/docs) — press Ctrl+C to stop")
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="warning")
        return
    import os

    # the site is initialised (and seeded) once, above; each worker process opens it
    app.state.services.site.dispose()
    os.environ[WORKER_DATABASE_ENV] = db
    os.environ[WORKER_SECURE_COOKIES_ENV] = "1" if secure_cookies else "0"
    uvicorn.run("admin_ui.serve_commands:worker_app", factory=True, workers=workers, host=host, port=port, log_level="warning")
