"""Reference cells of a CSV import: a record id, the target's name, or an external key.

A column of a lookup (master-detail, user, department) field takes, per cell, the id of the
record it refers to, or that record's name (its object's ``name_field``): ``account`` holding
``Huaxin`` refers to the account named Huaxin. A header ``field.key`` matches by another field of
the target instead, an external key: a unique field or an auto-number (``account.account_number``
holding ``ACC-2026-00001``). For a polymorphic lookup every target object is searched.

Matching reads as the importing user, through the same permission predicate as every read, so a
record the user may not see matches nothing. A cell that matches no record, or more than one,
is an error on its row naming the column; the other rows go on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from runtime.errors import FieldError, QueryError, RecordPermissionError
from runtime.records import model as m
from runtime.records.coercion import is_record_id

__all__ = ["ReferenceColumn", "key_column", "resolve_references"]

#: how many values one lookup query asks for
CHUNK = 500


@dataclass(frozen=True)
class ReferenceColumn:
    """A reference field's column: its header, and the target field it matches by (None: id or name)."""

    field: str
    header: str
    key: str | None = None


def key_column(model: m.ObjectModel, models: m.ObjectModels, header: str, field: str | None) -> tuple[ReferenceColumn | None, FieldError | None]:
    """The reference column a ``field.key`` header names, or the error saying why it cannot be one.

    ``field`` is the reference field the part before the dot names (None when it names none):
    then this is not a key header at all and both results are None.
    """
    name, _, key = header.partition(".")
    spec = model.fields.get(field) if field is not None else None
    if spec is None or spec.kind != m.REFERENCE or not key:
        return None, None
    for target in spec.targets:
        if target not in models:
            continue
        target_spec = models.get(target).fields.get(key)
        if target_spec is None or not _is_key(models.get(target), target_spec):
            return None, FieldError(
                header,
                "invalid_match_key",
                f"'{header}': '{key}' is not a unique field, an auto-number or the name of '{target}'; match by one of those.",
                f"“{header}”：“{key}”不是“{target}”的唯一字段、自动编号或名称字段，请按其中之一匹配。",
            )
    return ReferenceColumn(field, header, key), None


def _is_key(target: m.ObjectModel, spec: m.FieldSpec) -> bool:
    definition = spec.definition
    if spec.name in ("id", target.name_field):
        return True
    return definition is not None and (definition.type == "auto_number" or bool(getattr(definition, "unique", False)))


def resolve_references(
    records, actor, model: m.ObjectModel, columns: Iterable[ReferenceColumn], inputs: list[tuple[int, dict[str, Any]]]
) -> dict[int, list[FieldError]]:
    """Replace names and keys in the reference cells of ``inputs`` by record ids, in place.

    Returns the problems by row number, each naming its column; a row with a problem keeps its
    cells as they were (the caller does not write it).
    """
    problems: dict[int, list[FieldError]] = {}
    models = records.models()
    for column in columns:
        spec = model.fields[column.field]
        targets = [target for target in spec.targets if target in models]
        wanted = sorted({value for _, values in inputs if isinstance(value := values.get(column.field), str)})
        if not wanted:
            continue
        found: dict[str, set[tuple[str, str]]] = {}
        if column.key is None:
            # a cell that is the id of a record the user can see is that record, whatever its name
            ids = [value for value in wanted if is_record_id(value)]
            for target in targets:
                for value, record_id in _matches(records, actor, target, "id", ids):
                    found.setdefault(value, set()).add((target, record_id))
        named = [value for value in wanted if value not in found]
        for target in targets if named else ():
            key = column.key or models.get(target).name_field
            for value, record_id in _matches(records, actor, target, key, named):
                found.setdefault(value, set()).add((target, record_id))
        for row, values in inputs:
            value = values.get(column.field)
            if not isinstance(value, str) or value not in wanted:
                continue
            matched = found.get(value, set())
            if len(matched) == 1:
                values[column.field] = next(iter(matched))[1]
            else:
                problems.setdefault(row, []).append(_problem(column, value, targets, len(matched)))
    return problems


def _matches(records, actor, target: str, key: str, wanted: list[str]) -> Iterable[tuple[str, str]]:
    """(cell value, record id) of the ``target`` records whose ``key`` is one of ``wanted``."""
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        cursor = None
        while True:
            try:
                page = records.find(actor, target, filter={key: {"in": chunk}}, fields=["id", key], limit=1000, cursor=cursor)
            except (RecordPermissionError, QueryError):
                # an object the user may not read, or a key the user may not filter on: none of
                # its records can be named that way
                return
            for record in page.records:
                value = record.get(key)
                if value is not None:
                    yield str(value), record["id"]
            cursor = page.next_cursor
            if cursor is None:
                break


def _problem(column: ReferenceColumn, value: str, targets: list[str], count: int) -> FieldError:
    by = f"'{column.key}'" if column.key else "id or name"
    by_zh = f"“{column.key}”" if column.key else "ID 或名称"
    objects = " or ".join(targets)
    if count == 0:
        return FieldError(
            column.field,
            "reference_not_found",
            f"Column '{column.header}': no {objects} you can see has {by} '{value}'.",
            f"“{column.header}”列：找不到您可见的、{by_zh}为“{value}”的 {objects} 记录。",
        )
    return FieldError(
        column.field,
        "ambiguous_reference",
        f"Column '{column.header}': {count} {objects} records have {by} '{value}'; use the id or a unique key (header '{column.field}.<field>').",
        f"“{column.header}”列：有 {count} 条 {objects} 记录的{by_zh}为“{value}”；请使用 ID 或唯一字段（表头“{column.field}.<字段>”）。",
    )
