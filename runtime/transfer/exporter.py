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

from runtime.records.context import Actor
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

    The first page is read before anything is yielded, so a bad filter, an unknown object or a
    refused read raises before any output (the caller can still answer with an error).
    """
    model = records.model(object_name)
    first = records.find(actor, object_name, filter=filter, fields=list(fields) if fields else None, limit=PAGE)
    if fields:
        names = [name for name in fields if name in model.fields]
    else:
        visible = records.reader.access.readable_fields(actor, object_name)
        names = [name for name, spec in model.fields.items() if visible is None or name in visible]
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
    definition = model.fields[name].definition
    return definition.label.text(language) if definition is not None else name
