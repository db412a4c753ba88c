"""Roll-up summaries: COUNT / SUM / MIN / MAX of live child records, stored on the parent.

Every child write (create, update, delete, restore, purge, re-parent) names the parents it
touched; :func:`refresh` recomputes all roll-ups of those parents in the same transaction.

Correctness under concurrency: the parent rows are locked (``FOR UPDATE``, in id sequence so two
writers cannot deadlock) *before* the aggregate runs, and the aggregate is a new statement, so
under READ COMMITTED it sees every child committed by the writer it waited for. A roll-up
recomputation is not an edit of the parent: it does not bump the parent's ``version``, so a
user editing the parent is not told someone else changed it.

A roll-up runs as one correlated UPDATE when its filter (if any) compiles to SQL; otherwise the
children are read and the filter evaluated in Python, giving the same result more slowly.
When the parent is itself summarised by a grand-parent, the grand-parent is refreshed too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from runtime.records import model as m
from runtime.records.storage import RowMapper
from runtime.records.writes import WriteContext

MAX_DEPTH = 10


def parents_of(model: m.ObjectModel, records: Iterable[Mapping[str, Any]]) -> dict[str, set[str]]:
    """The parent ids (by parent object) whose roll-ups summarise ``records``."""
    found: dict[str, set[str]] = defaultdict(set)
    records = list(records)
    for source in model.rollup_sources:
        field = source.rollup.relation_field
        found[source.parent].update(record[field] for record in records if record.get(field))
    return found


def relevant_change(model: m.ObjectModel, changed: Iterable[str], reads: Mapping[str, frozenset[str] | None]) -> bool:
    """Whether changing ``changed`` fields of a child can change a roll-up over it.

    ``reads`` maps each roll-up (``parent.field``) over this object to the child's stored fields
    its summarised value and filter read, through formula fields too (None: any change may).
    """
    changed = set(changed)
    for source in model.rollup_sources:
        rollup = source.rollup
        if rollup.relation_field in changed:
            return True
        fields = reads.get(f"{source.parent}.{rollup.api_name}")
        if fields is None or fields & changed:
            return True
    return False


def rollup_reads(formulas, model: m.ObjectModel, rollup) -> frozenset[str] | None:
    """The stored fields of the child ``model`` a roll-up's value and filter read (None: unbounded)."""
    fields: set[str] = set()
    summarised = rollup.summarized_field
    if summarised:
        spec = model.fields.get(summarised)
        if spec is not None and spec.type == "formula":
            try:
                read, _ = formulas.formula_inputs(model, formulas.field_formula(model, summarised))
            except Exception:  # a formula that does not check: be safe, refresh on any change
                return None
            if read is None:
                return None
            fields |= read
        else:
            fields.add(summarised)
    if rollup.filter:
        try:
            read, _ = formulas.formula_inputs(model, formulas.compiled(model.name, rollup.filter, "rule"))
        except Exception:
            return None
        if read is None:
            return None
        fields |= read
    return frozenset(fields)


def refresh(ctx: WriteContext, parents: Mapping[str, Iterable[str]], depth: int = 0) -> None:
    """Recompute every roll-up of the given parent records (and of their own parents)."""
    for parent_object, ids in parents.items():
        ids = sorted(set(ids))
        if not ids or depth > MAX_DEPTH:
            continue
        model = ctx.models.get(parent_object)
        table = ctx.table(parent_object)
        # Lock first: see the module docstring.
        locked = ctx.connection.execute(ctx.lock(sa.select(table.c.id).where(table.c.id.in_(ids)).order_by(table.c.id))).scalars().all()
        if not locked:
            continue
        sql_values: dict[str, Any] = {}
        python_rollups = []
        for rollup in model.rollups:
            expression = _sql_aggregate(ctx, table, rollup)
            if expression is None:
                python_rollups.append(rollup)
            else:
                sql_values[rollup.api_name] = expression
        if sql_values:
            ctx.connection.execute(sa.update(table).where(table.c.id.in_(locked)).values(sql_values))
        if python_rollups:
            _python_aggregates(ctx, model, table, python_rollups, locked)
        if model.rollup_sources:
            mapper = RowMapper(model, table)
            fields = [table.c.id, *(table.c[source.rollup.relation_field] for source in model.rollup_sources)]
            rows = [mapper.from_row(row._mapping) for row in ctx.connection.execute(sa.select(*fields).where(table.c.id.in_(locked)))]
            refresh(ctx, parents_of(model, rows), depth + 1)


def _filter_sql(ctx: WriteContext, child: sa.Table, rollup) -> sa.ColumnElement | None | bool:
    if not rollup.filter:
        return True
    try:
        compiled = ctx.formulas.compiled(rollup.child_object, rollup.filter, "rule")
    except Exception:  # a filter that does not check is reported by the metadata checks
        return None
    if compiled.cross_object or any(name not in child.c for name in compiled.fields):
        return None  # reads other records or formula fields: evaluated in Python

    def columns(path: tuple[str, ...]):
        return child.c[path[0]]

    return ctx.formulas.sql(compiled, columns, ctx.dialect)


def _sql_aggregate(ctx: WriteContext, parent: sa.Table, rollup) -> sa.ColumnElement | None:
    child = ctx.table(rollup.child_object)
    condition = _filter_sql(ctx, child, rollup)
    if condition is None:
        return None
    spec = ctx.models.get(rollup.child_object).fields.get(rollup.summarized_field) if rollup.summarized_field else None
    if spec is not None and not spec.stored:
        return None  # a formula summarised: computed in Python
    where = [child.c[rollup.relation_field] == parent.c.id, child.c.deleted_at.is_(None)]
    if condition is not True:
        where.append(condition)
    if rollup.function == "count":
        aggregate = sa.func.count()
    else:
        aggregate = getattr(sa.func, rollup.function)(child.c[rollup.summarized_field])
    subquery = sa.select(aggregate).where(*where).scalar_subquery()
    if rollup.function in ("count", "sum"):
        return sa.func.coalesce(subquery, 0)
    return subquery


def _python_aggregates(ctx: WriteContext, model: m.ObjectModel, parent: sa.Table, rollups: list, ids: list[str]) -> None:
    results: dict[str, dict[str, Any]] = {parent_id: {} for parent_id in ids}
    for rollup in rollups:
        child_model = ctx.models.get(rollup.child_object)
        child = ctx.table(rollup.child_object)
        mapper = RowMapper(child_model, child)
        rows = ctx.connection.execute(
            sa.select(*mapper.columns).where(child.c[rollup.relation_field].in_(ids), child.c.deleted_at.is_(None))
        )
        groups: dict[str, list] = defaultdict(list)
        compiled = ctx.formulas.compiled(rollup.child_object, rollup.filter, "rule") if rollup.filter else None
        summarised = rollup.summarized_field
        formula_field = summarised and not child_model.fields[summarised].stored
        # formula fields the filter and the summarised formula read, each after those it reads
        needed: list[str] = []
        if compiled is not None:
            needed += ctx.formulas.formula_inputs(child_model, compiled)[1]
        if formula_field:
            needed += [name for name in ctx.formulas.formula_inputs(child_model, ctx.formulas.field_formula(child_model, summarised))[1] if name not in needed]
            needed.append(summarised)
        for row in rows:
            record = mapper.from_row(row._mapping)
            if needed:
                record = ctx.formulas.with_formula_fields(child_model, needed, record, ctx.actor, ctx.prefetch)
            if compiled is not None:
                scope = record
                if compiled.cross_object:
                    scope = {**record, **ctx.prefetch(child_model, record, compiled.cross_object)}
                if compiled.run(scope, prior=None, is_new=False, env=ctx.formulas.env(ctx.actor)) is not True:
                    continue
            value = record.get(summarised) if summarised else 1
            groups[record[rollup.relation_field]].append(value)
        for parent_id in ids:
            values = [value for value in groups.get(parent_id, []) if value is not None]
            if rollup.function == "count":
                result: Any = Decimal(len(groups.get(parent_id, [])))
            elif rollup.function == "sum":
                result = sum(values, Decimal(0))
            elif not values:
                result = None
            else:
                result = min(values) if rollup.function == "min" else max(values)
            results[parent_id][rollup.api_name] = result
    for parent_id, values in results.items():
        ctx.connection.execute(sa.update(parent).where(parent.c.id == parent_id).values(values))
