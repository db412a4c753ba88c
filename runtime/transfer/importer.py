"""CSV import: every row through the record pipeline and the caller's permissions, in one transaction.

All-or-nothing by default: every row is checked (so the report lists every bad row, by row
number) and, if any is bad, nothing is written. With ``skip_bad_rows`` the good rows are written
and the bad ones reported. With ``update_by`` a row whose value of that field matches a record the
caller may see updates it; other rows create records. ``update_by`` may be ``id`` or an
auto-number field: those match but are never written, so a row matching nothing is an error.
Reference cells may hold an id, the target's name or an external key (see
:mod:`runtime.transfer.references`).

New rows are created in chunks through ``RecordService.bulk_create`` (one pipeline pass per
chunk); updates go one by one through ``update``. Each chunk or update runs in a SAVEPOINT of
the import's transaction (see :mod:`runtime.transfer.bound`), so a bad chunk is rolled back and
retried without its bad rows, and the whole import commits or rolls back once.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from runtime.errors import BulkRecordError, FieldError, RecordError, RecordPermissionError, RecordValidationError
from runtime.records.context import Actor
from runtime.records.service import RecordService
from runtime.transfer.bound import BoundSite, bound_access
from runtime.transfer.columns import Columns
from runtime.transfer.errors import CsvImportError, RowError
from runtime.transfer.references import resolve_references

CHUNK = 500
#: the header is row 1, so the first record is row 2
FIRST_ROW = 2

Progress = Callable[[int, int], None]


@dataclass
class ImportResult:
    """What an import did: counts, and the rows skipped with their errors."""

    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    ids: list[str] = field(default_factory=list, repr=False)

    def as_dict(self, language: str = "en") -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "errors": [error.as_dict(language) for error in self.errors],
        }


def read_csv(data: bytes | str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV file: UTF-8 with or without a BOM (as Excel writes it), any line ends."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CsvImportError([RowError(1, FieldError(None, "invalid_encoding", f"The file is not UTF-8 (byte {error.start}).", f"文件不是 UTF-8 编码（第 {error.start} 字节）。"))], object_name=None) from None
    else:
        text = data[1:] if data.startswith(codecs.BOM_UTF8.decode("utf-8")) else data
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise CsvImportError([RowError(1, FieldError(None, "invalid_csv", f"The file is not valid CSV: {error}.", f"文件不是有效的 CSV：{error}。"))], object_name=None) from None
    if not rows:
        raise CsvImportError([RowError(1, FieldError(None, "empty_file", "The file has no header row.", "文件没有表头行。"))], object_name=None)
    return rows[0], rows[1:]


def import_csv(
    records: RecordService,
    actor: Actor,
    object_name: str,
    data: bytes | str,
    *,
    update_by: str | None = None,
    skip_bad_rows: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a CSV file into ``object_name`` for ``actor``; see the module docstring.

    Raises CsvImportError (nothing written) for a bad header, or for bad rows unless
    ``skip_bad_rows``; RecordPermissionError when the actor may not create or change these
    records or fields at all; RecordNotFoundError for an unknown object.
    """
    model = records.model(object_name)
    headers, rows = read_csv(data)
    columns = Columns(model, records.site.registry, headers, records.models())
    if columns.errors:
        raise CsvImportError([RowError(1, error) for error in columns.errors], object_name=object_name)
    if update_by is not None:
        if update_by not in model.fields or update_by not in columns.mapped:
            raise CsvImportError(
                [RowError(1, FieldError(update_by, "update_by_missing", f"Matching by '{update_by}' needs a column for that field.", f"按 '{update_by}' 匹配需要文件中有该字段的列。"))],
                object_name=object_name,
            )
    inputs = [(FIRST_ROW + index, columns.record(cells)) for index, cells in enumerate(rows) if any(cell.strip() for cell in cells)]
    site = records.site
    with site.engine.connect() as connection, connection.begin() as transaction:
        bound_site = BoundSite(site, connection)
        bound = RecordService(bound_site, access=bound_access(records.reader.access, bound_site))
        run = _Run(bound, actor, object_name, len(inputs), progress)
        inputs = run.refuse(inputs, resolve_references(bound, actor, model, columns.references, inputs))
        creates, updates = _split(bound, actor, object_name, inputs, update_by, run)
        run.create(creates)
        run.update(updates)
        if run.result.errors and not skip_bad_rows:
            transaction.rollback()
            raise CsvImportError(sorted(run.result.errors, key=lambda error: error.row), object_name=object_name)
        run.result.skipped = len({error.row for error in run.result.errors})
        run.result.errors.sort(key=lambda error: error.row)
        transaction.commit()
    return run.result


def _split(records: RecordService, actor: Actor, object_name: str, inputs, update_by: str | None, run: _Run):
    """(rows to create, rows to update as (row, id, values)), matching ``update_by`` values."""
    if update_by is None:
        return inputs, []
    keys = [values.get(update_by) for _, values in inputs]
    matches: dict[Any, list[str]] = {}
    wanted = sorted({key for key in keys if key is not None and isinstance(key, str)})
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        spec = records.model(object_name).fields[update_by]
        coerced = {}
        for key in chunk:
            try:
                coerced[key] = spec.coerce(key) if spec.coerce is not None else key
            except Exception:  # noqa: BLE001 — a value the field refuses matches nothing; the create reports it
                continue
        if not coerced:
            continue
        cursor = None
        while True:
            page = records.find(actor, object_name, filter={update_by: {"in": list(coerced.values())}}, fields=["id", update_by], limit=1000, cursor=cursor)
            for record in page.records:
                matches.setdefault(_key(record.get(update_by)), []).append(record["id"])
            cursor = page.next_cursor
            if cursor is None:
                break
        for key, value in coerced.items():
            if _key(value) in matches:
                matches[key] = matches[_key(value)]
    # the id or an auto-number identifies a record but is never written: a row matching none
    # cannot create a record with that value, and an update leaves it as it is
    given_by_platform = not records.model(object_name).fields[update_by].writable
    creates, updates = [], []
    for (row, values), key in zip(inputs, keys, strict=True):
        found = matches.get(key) if key is not None else None
        if given_by_platform and key is not None:
            values = {name: value for name, value in values.items() if name != update_by}
        if not found and given_by_platform and key is not None:
            run.fail(row, FieldError(update_by, "no_match", f"No record you can see has {update_by} '{key}'.", f"找不到您可见的、{update_by} 为“{key}”的记录。"))
        elif not found:
            creates.append((row, values))
        elif len(found) > 1:
            run.fail(row, FieldError(update_by, "ambiguous_match", f"{len(found)} records have this {update_by}.", f"有 {len(found)} 条记录的 {update_by} 与此相同。"))
        else:
            updates.append((row, found[0], values))
    return creates, updates


def _key(value: Any) -> Any:
    return str(value) if value is not None else None


class _Run:
    def __init__(self, records: RecordService, actor: Actor, object_name: str, total: int, progress: Progress | None):
        self.records = records
        self.actor = actor
        self.object_name = object_name
        self.total = total
        self.done = 0
        self.progress = progress
        self.result = ImportResult()

    def fail(self, row: int, error: FieldError) -> None:
        self.result.errors.append(RowError(row, error))
        self._advance(1)

    def refuse(self, inputs: list[tuple[int, dict[str, Any]]], problems: Mapping[int, list[FieldError]]) -> list[tuple[int, dict[str, Any]]]:
        """``inputs`` without the rows that have ``problems``, those reported."""
        for row in sorted(problems):
            self.result.errors.extend(RowError(row, problem) for problem in problems[row])
        self._advance(len(problems))
        return [(row, values) for row, values in inputs if row not in problems]

    def _advance(self, count: int) -> None:
        self.done += count
        if self.progress is not None:
            self.progress(self.done, self.total)

    def create(self, rows: list[tuple[int, Mapping[str, Any]]]) -> None:
        for start in range(0, len(rows), CHUNK):
            self._create_chunk(rows[start : start + CHUNK])

    def _create_chunk(self, chunk: list[tuple[int, Mapping[str, Any]]]) -> None:
        pending = list(chunk)
        while pending:
            try:
                ids = self.records.bulk_create(self.actor, self.object_name, [values for _, values in pending])
            except BulkRecordError as error:
                bad = set(error.failures)
                for index, errors in error.failures.items():
                    for problem in errors:
                        self.result.errors.append(RowError(pending[index][0], problem))
                self._advance(len(bad))
                pending = [item for index, item in enumerate(pending) if index not in bad]
                continue
            except RecordPermissionError:
                raise
            except RecordValidationError as error:  # a problem the pipeline finds for the chunk as a whole
                for row, _ in pending:
                    self.result.errors.extend(RowError(row, problem) for problem in error.errors)
                self._advance(len(pending))
                return
            self.result.created += len(ids)
            self.result.ids.extend(ids)
            self._advance(len(pending))
            return

    def update(self, rows: Iterable[tuple[int, str, Mapping[str, Any]]]) -> None:
        for row, record_id, values in rows:
            try:
                self.records.update(self.actor, self.object_name, record_id, values)
            except RecordPermissionError:
                raise
            except RecordError as error:
                self.result.errors.extend(RowError(row, problem) for problem in error.errors)
            else:
                self.result.updated += 1
                self.result.ids.append(record_id)
            self._advance(1)
