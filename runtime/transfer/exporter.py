"""CSV export through the security predicate: the records and fields the caller may read.

The file is what Excel opens without an import wizard: UTF-8 with a byte-order mark (without it
Excel reads UTF-8 as the local code page and garbles Chinese) and CRLF line ends. The header holds
api names by default, so a file exported, edited and imported again maps back exactly; labels in
the caller's language are available with ``headers="label"`` (the import accepts both).

Cells that a spreadsheet would run as a formula (text starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return: OWASP's CSV injection list) are written with a leading ``'``, which
Excel and LibreOffice take as "this is text" and do not show; a record's value like
``=HYPERLINK(...)`` then opens as the text it is. Numbers are written as they are (``-5`` is a
number, not a formula). ``raw=True`` writes every value verbatim, for files read by programs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, Literal

from runtime.errors import QueryError
from runtime.records.context import Actor
from runtime.records.messages import field_error
from runtime.records.service import RecordService
from runtime.transfer.columns import cell_text

BOM = "\ufeff"
PAGE = 1000
#: what makes a spreadsheet read a cell as a formula (OWASP, CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A value as CSV text that no spreadsheet runs as a formula."""
    text = cell_text(value)
    if text.startswith(FORMULA_STARTS) and not (isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)):
        return "'" + text
    return text


def export_csv(
    records: RecordService,
    actor: Actor,
    object_name: str,
    *,
    filter: Any = None,
    fields: Sequence[str] | None = None,
    headers: Literal["api_name", "label"] = "api_name",
    raw: bool = False,
) -> Iterator[str]:
    """The CSV text in pieces (header first, then a page of rows at a time); formula-like cells
    neutralised unless ``raw``.

    ``fields`` may name paths through references (``owner.name``), as a list does; a field the
    actor may not read is refused (QueryError, ``unknown_field`` naming it, as a filter on it
    would be), never exported as an empty column.
    The first page is read before anything is yielded, so a bad filter, an unknown object, a bad
    field list or a refused read raises before any output (the caller can still answer with an error).
    """
    model = records.model(object_name)
    access = records.reader.access
    visible = access.readable_fields(actor, object_name)
    if fields:
        names = list(dict.fromkeys(fields))
        hidden = [name for name in names if visible is not None and isinstance(name, str) and name.split(".")[0] not in visible]
        # an actor who may not read the object at all is refused by the read below, as such
        if hidden and access.allows(actor, object_name, "read"):
            raise QueryError([field_error(name, "unknown_field", field=name.split(".")[0]) for name in hidden], object_name=object_name)
    else:
        names = [name for name, spec in model.fields.items() if visible is None or name in visible]
    first = records.find(actor, object_name, filter=filter, fields=names, limit=PAGE)
    return _write(records, actor, object_name, names, filter, first, model, headers, cell_text if raw else safe_cell)


def _write(records, actor, object_name, names, filter, page, model, headers, cell) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    if headers == "label":
        writer.writerow([cell(_label(model, name, actor.language)) for name in names])
    else:
        writer.writerow(names)
    yield BOM + flush()
    while True:
        for record in page.records:
            writer.writerow([cell(record.get(name)) for name in names])
        yield flush()
        if page.next_cursor is None:
            return
        page = records.find(actor, object_name, filter=filter, fields=names, limit=PAGE, cursor=page.next_cursor)


def _label(model, name: str, language: str) -> str:
    """A column's label: a path through references (``owner.name``) is labelled by its first field."""
    first, _, rest = name.partition(".")
    definition = model.fields[first].definition
    label = definition.label.text(language) if definition is not None else first
    return f"{label}.{rest}" if rest else label
