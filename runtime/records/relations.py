"""References between records: lookup checks, master-detail cascades, restrict, set-null on purge.

* A reference must name a record that exists and is not in the recycle bin.
* Deleting a record moves its master-detail children (and theirs) to the recycle bin with the
  same ``deleted_at``; restoring it brings back exactly the children deleted with it.
* A live record referring through a ``restrict`` reference blocks the delete; the error names the
  child object, the field, how many and a few of them.
* ``set_null`` references are cleared when the target is purged (not when it goes to the recycle
  bin, so a restore gives back a record whose references are intact).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from runtime.records import model as m
from runtime.errors import FieldError
from runtime.records.messages import field_error
from runtime.records.writes import WriteContext

EXAMPLES_SHOWN = 3


def check_references(ctx: WriteContext, model: m.ObjectModel, records: Sequence[Mapping[str, Any]], fields: Iterable[str] | None = None) -> dict[int, list[FieldError]]:
    """Errors per record index for references to missing or deleted records (one query per target)."""
    names = [name for name, spec in model.fields.items() if spec.kind == m.REFERENCE and (fields is None or name in fields)]
    errors: dict[int, list[FieldError]] = defaultdict(list)
    for name in names:
        spec = model.fields[name]
        wanted = {record[name] for record in records if record.get(name)}
        if not wanted:
            continue
        found: dict[str, Any] = {}
        for target in spec.targets:
            if target not in ctx.tables:
                continue
            table = ctx.table(target)
            statement = _lookup_statement(table)
            # a record the actor may not read cannot be linked to: it answers as missing
            access = ctx.reader.access.predicate(ctx.actor, target, table, "read")
            if access is not None:
                statement = statement.where(access)
            for chunk in _chunks(sorted(wanted - set(found))):
                rows = ctx.connection.execute(statement, {"ids": chunk})
                found.update({row.id: (target, row.deleted_at) for row in rows})
        target_label = ctx.models.get(spec.targets[0]).definition.label if spec.targets[0] in ctx.models else spec.targets[0]
        for index, record in enumerate(records):
            value = record.get(name)
            if not value:
                continue
            hit = found.get(value)
            if hit is None:
                errors[index].append(field_error(name, "lookup_missing", target=target_label, value=value))
            elif hit[1] is not None:
                errors[index].append(field_error(name, "lookup_deleted", target=target_label, value=value))
    return errors


_LOOKUPS: dict[sa.Table, sa.Select] = {}


def _lookup_statement(table: sa.Table) -> sa.Select:
    """Which of a list of ids (the ``ids`` parameter) exist in ``table``, and whether each is deleted;
    built once per table (a reload builds new tables), since every write with a reference runs it."""
    statement = _LOOKUPS.get(table)
    if statement is None:
        if len(_LOOKUPS) > 1000:  # tables of replaced metadata versions
            _LOOKUPS.clear()
        statement = _LOOKUPS[table] = sa.select(table.c.id, table.c.deleted_at).where(table.c.id.in_(sa.bindparam("ids", expanding=True)))
    return statement


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def descendants(ctx: WriteContext, model: m.ObjectModel, ids: Sequence[str], *, state: str) -> dict[str, list[str]]:
    """The master-detail children of ``ids``, their children…, by object (``state``: live/deleted-with/any).

    For ``deleted-with`` pass ``state`` as the deleted_at value (a datetime) to follow only the
    children deleted in the same cascade.
    """
    found: dict[str, list[str]] = defaultdict(list)
    frontier = [(model.name, list(ids))]
    while frontier:
        parent, parent_ids = frontier.pop()
        for child, field, kind, _ in ctx.models.get(parent).children:
            if kind != "master_detail" or not parent_ids:
                continue
            table = ctx.table(child)
            condition = [table.c[field].in_(parent_ids)]
            if state == "live":
                condition.append(table.c.deleted_at.is_(None))
            elif state != "any":
                condition.append(table.c.deleted_at == state)
            child_ids = list(ctx.connection.execute(sa.select(table.c.id).where(*condition)).scalars())
            child_ids = [child_id for child_id in child_ids if child_id not in found[child]]
            if child_ids:
                found[child].extend(child_ids)
                frontier.append((child, child_ids))
    return dict(found)


def restrict_errors(ctx: WriteContext, doomed: Mapping[str, Sequence[str]], *, live_only: bool = True) -> list[FieldError]:
    """Errors naming the records that refer to ``doomed`` records through restrict references."""
    errors = []
    for parent, ids in doomed.items():
        for child, field, kind, on_delete in ctx.models.get(parent).children:
            if kind == "master_detail" or on_delete != "restrict" or child not in ctx.tables:
                continue
            table = ctx.table(child)
            child_model = ctx.models.get(child)
            condition = [table.c[field].in_(list(ids))]
            if live_only:
                condition.append(table.c.deleted_at.is_(None))
            excluded = doomed.get(child)
            if excluded:
                condition.append(table.c.id.not_in(list(excluded)))
            count = ctx.connection.execute(sa.select(sa.func.count()).select_from(table).where(*condition)).scalar_one()
            if not count:
                continue
            name_column = table.c[child_model.name_field] if child_model.name_field in table.c else table.c.id
            examples = ctx.connection.execute(sa.select(name_column).where(*condition).order_by(name_column).limit(EXAMPLES_SHOWN)).scalars()
            errors.append(
                field_error(
                    None,
                    "restricted",
                    count=count,
                    child=child_model.definition.label,
                    child_field=field,
                    examples=", ".join(str(example) for example in examples),
                )
            )
    return errors


def clear_references(ctx: WriteContext, doomed: Mapping[str, Sequence[str]]) -> None:
    """Null every non-master-detail reference to ``doomed`` records (before they are purged)."""
    for parent, ids in doomed.items():
        for child, field, kind, _ in ctx.models.get(parent).children:
            if kind == "master_detail" or child not in ctx.tables:
                continue
            table = ctx.table(child)
            for chunk in _chunks(list(ids)):
                ctx.connection.execute(sa.update(table).where(table.c[field].in_(chunk)).values({field: None}))
