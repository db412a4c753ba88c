"""``tessera search …``: rebuild the search index, and search from the terminal as the platform.

The index is kept current by every save and follows metadata changes in migrations; ``reindex``
is for a database changed behind the platform's back (a restore from backup, rows loaded by SQL).
"""

from __future__ import annotations

from typing import Optional

import typer

from admin_ui.db_commands import DatabaseOption, _fail, _reported, _with_site
from runtime.records.context import SYSTEM
from runtime.records.service import RecordService
from runtime.search import index_specs, sync_indexes
from runtime.site import Site

app = typer.Typer(help="The search index: rebuild it, or try a search.", no_args_is_help=True)


@app.command("reindex")
def reindex(
    objects: Optional[list[str]] = typer.Argument(None, help="Objects to rebuild (default: every searchable object).", show_default=False),
    db: str = DatabaseOption,
) -> None:
    """Rebuild the search index of the given objects (or of all), in one transaction."""
    with _reported():

        def run(site: Site) -> None:
            wanted = index_specs(site.registry)
            names = list(objects) if objects else sorted(wanted)
            unknown = [name for name in names if name not in wanted]
            if unknown:
                _fail(f"not a searchable object: {', '.join(unknown)} (searchable: {', '.join(sorted(wanted))})")
            with site.begin() as connection:
                rebuilt = sync_indexes(connection, site.registry, site.tables, force=names)
            typer.echo(f"reindexed {len(rebuilt)} object{'s' if len(rebuilt) != 1 else ''}: {', '.join(rebuilt)}")

        _with_site(db, run)


@app.command("query")
def query(text: str = typer.Argument(..., help="The search text."), db: str = DatabaseOption, limit: int = typer.Option(5, min=1, max=50, help="Results per object.")) -> None:
    """Search every searchable object as the platform (no security applies): object, id, title."""
    with _reported():

        def run(site: Site) -> None:
            for hit in RecordService(site).search_records(SYSTEM, text, limit=limit):
                typer.echo(f"{hit.object}\t{hit.id}\t{hit.title}")

        _with_site(db, run)
