"""Reading records: the one base SELECT, field selection, expansion, pages and counts.

:meth:`RecordReader.scope` is the only place a SELECT over an object's table starts: it applies
the recycle-bin state and asks the :class:`~runtime.query.access.AccessPolicy` for the actor's
predicate. Lists, counts, ``get``, the reads the record pipeline does before a write, and lookup
checks all go through it, so the security layer has one place to hook into.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from runtime.query import filters as f
from runtime.query import sorting as s
from runtime.query.access import AccessPolicy, AllowAll, Operation
from runtime.query.compiler import FormulaSql, SelectScope, compile_filter
from runtime.records import model as m
from runtime.records.coercion import is_record_id
from runtime.records.context import Actor
from runtime.errors import FieldError, QueryError
from runtime.records.messages import field_error

State = Literal["live", "deleted", "any"]
#: computes formula fields in Python: (connection, actor, object name, field names, record) → values
FormulaValues = Callable[[sa.Connection, Actor, str, list[str], dict[str, Any]], dict[str, Any]]
MAX_PAGE = 1000
#: statements ``get`` keeps (per object, field list, expansion, state and readable fields)
MAX_CACHED_STATEMENTS = 2000
DEFAULT_COUNT_CAP = 10_000


@dataclass(frozen=True)
class Page:
    """One page of records and the cursor of the next page (None on the last page)."""

    records: list[dict[str, Any]]
    next_cursor: str | None


@dataclass(frozen=True)
class Count:
    """A record count, cut off at ``cap``: ``capped`` says there are more than ``value``."""

    value: int
    capped: bool


@dataclass(frozen=True)
class _Output:
    key: str
    spec: m.FieldSpec
    expressions: tuple[sa.ColumnElement, ...]
    expand: bool = False
    hidden: bool = False  # read only to compute a formula in Python, not returned
    computed: bool = False  # a formula computed in Python after the fetch (no expressions)


_UTC = ZoneInfo("UTC")

# how _record turns an output's columns into a value
_PLAIN, _FORMULA, _COMPUTED, _EXPANDED, _GEOLOCATION, _POLYMORPHIC = range(6)


class RecordReader:
    """Reads records of any object through the one base SELECT."""

    def __init__(
        self,
        tables: Callable[[], dict[str, sa.Table]],
        models: Callable[[], m.ObjectModels],
        *,
        dialect: str,
        access: AccessPolicy | None = None,
        formula_sql: FormulaSql | None = None,
        formula_values: FormulaValues | None = None,
        zone: Callable[[], ZoneInfo] = lambda: _UTC,
    ):
        self._tables = tables
        #: the site's time zone: what "today" means in filters (the same for every reader)
        self.zone = zone
        self._models = models
        self.dialect = dialect
        self.access = access or AllowAll()
        self.formula_sql = formula_sql
        self.formula_values = formula_values
        self._statements: dict[tuple, tuple[sa.Select, list[_Output]]] = {}

    @property
    def models(self) -> m.ObjectModels:
        return self._models()

    # -- the base SELECT -----------------------------------------------------------------

    def scope(self, actor: Actor, object_name: str, operation: Operation = "read", *, state: State = "live") -> tuple[SelectScope, list[sa.ColumnElement[bool]]]:
        """The table scope and WHERE clauses every read of ``object_name`` for ``actor`` starts from."""
        table = self._tables()[object_name]
        scope = self._scope(actor, object_name, table)
        where = self._state_where(table, state)
        predicate = self.access.predicate(actor, object_name, table, operation)
        if predicate is not None:
            where.append(predicate)
        return scope, where

    def _scope(self, actor: Actor, object_name: str, table: sa.Table) -> SelectScope:
        return SelectScope(
            self.models,
            self._tables(),
            object_name,
            table,
            self.formula_sql,
            guard=lambda target, alias: self.access.predicate(actor, target, alias, "read"),
        )

    @staticmethod
    def _state_where(table: sa.Table, state: State) -> list[sa.ColumnElement[bool]]:
        if state == "live":
            return [table.c.deleted_at.is_(None)]
        if state == "deleted":
            return [table.c.deleted_at.is_not(None)]
        return []

    # -- selection -----------------------------------------------------------------------

    def _outputs(self, scope: SelectScope, object_name: str, fields: Sequence[str] | None, expand: Sequence[str], actor: Actor) -> list[_Output]:
        models = self.models
        model = models.get(object_name)
        errors: list[FieldError] = []
        visible = self.access.readable_fields(actor, object_name)
        names = list(fields) if fields is not None else list(model.fields)
        if visible is not None:  # hidden fields stay hidden when asked for by name too
            names = [name for name in names if name.split(".")[0] in visible]
        for required in ("version", "id"):
            if required not in names:
                names.insert(0, required)
        outputs: list[_Output] = []
        for name in names:
            path = f.resolve_path(models, object_name, name, errors)
            if path is None or not self._readable(actor, path, errors):
                continue
            leaf = path.leaf
            if leaf.kind == m.GEOLOCATION:
                prefix = tuple(spec.name for spec in path.specs[:-1])
                table = scope.table_for(prefix, path.objects)
                outputs.append(_Output(name, leaf, (table.c[f"{leaf.name}__lat"], table.c[f"{leaf.name}__lng"])))
                continue
            column = scope.column(path)
            if column is None:
                if len(path.specs) > 1:
                    errors.append(field_error(name, "not_filterable"))
                    continue
                # a formula the SQL backend cannot compile: computed after the fetch from the
                # record's stored fields, which are read for it
                outputs.append(_Output(name, leaf, (), computed=True))
                continue
            outputs.append(_Output(name, leaf, (column,)))
        if any(output.computed for output in outputs):
            present = {output.key for output in outputs}
            for name, spec in model.fields.items():
                if spec.stored and name not in present:
                    columns = (scope.base.c[f"{name}__lat"], scope.base.c[f"{name}__lng"]) if spec.kind == m.GEOLOCATION else (scope.base.c[name],)
                    outputs.append(_Output(name, spec, columns, hidden=True))
        for name in expand:
            spec = model.fields.get(name) if isinstance(name, str) else None
            if spec is not None and not self._field_visible(actor, object_name, name):
                errors.append(field_error(name, "unknown_field"))
                continue
            if spec is None or spec.kind != m.REFERENCE or not any(target in models for target in spec.targets):
                errors.append(field_error(name if isinstance(name, str) else None, "not_expandable"))
                continue
            if len(spec.targets) > 1:
                outputs.append(self._polymorphic_output(scope, name, spec))
                continue
            target = models.get(spec.targets[0])
            name_spec = target.fields.get(target.name_field)
            alias = scope.table_for((name,), (object_name, target.name))
            name_column = scope.column(f.FieldPath(f"{name}.{target.name_field}", (spec, name_spec), (object_name, target.name))) if name_spec else None
            expressions = (alias.c.id,) + ((name_column,) if name_column is not None else (sa.null(),))
            outputs.append(_Output(name, spec, expressions, expand=True))
        if errors:
            raise QueryError(errors, object_name=object_name)
        return outputs

    def _polymorphic_output(self, scope: SelectScope, name: str, spec: m.FieldSpec) -> _Output:
        """A reference to one of several objects, expanded to ``{"id", "name", "object"}``: a join
        per target, the first that matches naming the object (a target the actor may not read
        joins as missing, so the reference then comes back as None, as a single target's does)."""
        ids, names, objects = [], [], []
        for target_name in spec.targets:
            if target_name not in self.models:
                continue
            target = self.models.get(target_name)
            alias = scope.table_for_target(name, target_name)
            name_spec = target.fields.get(target.name_field)
            ids.append(alias.c.id)
            names.append(self._target_name(scope, name, target, name_spec))
            objects.append((alias.c.id.is_not(None), sa.literal(target_name)))
        match = sa.case(*[(found, value) for (found, _), value in zip(objects, names, strict=True)], else_=sa.null())
        found_id = ids[0] if len(ids) == 1 else sa.func.coalesce(*ids)  # SQLite's coalesce wants two or more
        return _Output(name, spec, (found_id, match, sa.case(*objects, else_=sa.null())), expand=True)

    @staticmethod
    def _target_name(scope: SelectScope, name: str, target: m.ObjectModel, name_spec: m.FieldSpec | None) -> sa.ColumnElement:
        """The name of a polymorphic reference's record when it is a ``target``: its name column,
        or its formula name compiled against the join (blank when SQL cannot express it)."""
        if name_spec is None:
            return sa.null()
        if name_spec.stored:
            return scope.table_for_target(name, target.name).c[name_spec.name]
        path = f.FieldPath(name_spec.name, (name_spec,), (target.name,))
        expression = scope.target_column(name, target.name, path)
        return sa.null() if expression is None else expression

    def _field_visible(self, actor: Actor, object_name: str, field_name: str) -> bool:
        visible = self.access.readable_fields(actor, object_name)
        return visible is None or field_name in visible

    def _readable(self, actor: Actor, path: f.FieldPath, errors: list[FieldError]) -> bool:
        """Whether every field along ``path`` is one the actor may read (and every object it
        crosses one they may read at all); a hidden field is reported as if it did not exist."""
        for index, (spec, object_name) in enumerate(zip(path.specs, path.objects, strict=True)):
            crossing = index > 0 and not self.access.allows(actor, object_name, "read")
            if crossing or not self._field_visible(actor, object_name, spec.name):
                errors.append(field_error(path.text, "unknown_field", field=".".join(s.name for s in path.specs[: index + 1])))
                return False
        return True

    def _check_readable(self, actor: Actor, object_name: str, paths: list[f.FieldPath]) -> None:
        errors: list[FieldError] = []
        for path in paths:
            self._readable(actor, path, errors)
        if errors:
            raise QueryError(errors, object_name=object_name)

    @staticmethod
    def _columns(outputs: list[_Output]) -> list[sa.ColumnElement]:
        return [expression.label(f"c{index}_{position}") for index, output in enumerate(outputs) for position, expression in enumerate(output.expressions)]

    def _finish(self, connection: sa.Connection, actor: Actor, object_name: str, outputs: list[_Output], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
        plan = self._record_plan(outputs)
        records = [self._record(plan, row) for row in rows]
        computed = [output.key for output in outputs if output.computed]
        if computed and self.formula_values is not None:
            hidden = [output.key for output in outputs if output.hidden]
            for record in records:
                record.update(self.formula_values(connection, actor, object_name, computed, record))
                for key in hidden:
                    del record[key]
        return records

    @staticmethod
    def _record_plan(outputs: list[_Output]) -> list[tuple[str, int, int, m.FieldSpec]]:
        """(key, how, position, spec) per output: worked out once per page, not once per row."""
        plan = []
        position = 0
        for output in outputs:
            if output.computed:
                how = _COMPUTED
            elif output.expand:
                how = _EXPANDED if len(output.expressions) == 2 else _POLYMORPHIC
            elif output.spec.kind == m.GEOLOCATION:
                how = _GEOLOCATION
            elif output.spec.type == "formula":
                how = _FORMULA
            else:
                how = _PLAIN
            plan.append((output.key, how, position, output.spec))
            position += len(output.expressions)
        return plan

    @staticmethod
    def _record(plan: list[tuple[str, int, int, m.FieldSpec]], row: Sequence[Any]) -> dict[str, Any]:
        record: dict[str, Any] = {}
        for key, how, position, spec in plan:
            if how == _PLAIN:
                record[key] = row[position]
            elif how == _FORMULA:
                record[key] = m.formula_output(spec, row[position])
            elif how == _COMPUTED:
                record[key] = None
            elif how == _EXPANDED:
                record[key] = None if row[position] is None else {"id": row[position], "name": row[position + 1]}
            elif how == _POLYMORPHIC:
                record[key] = None if row[position] is None else {"id": row[position], "name": row[position + 1], "object": row[position + 2]}
            else:
                record[key] = None if row[position] is None else {"lat": row[position], "lng": row[position + 1]}
        return record

    # -- reads ---------------------------------------------------------------------------

    def get(
        self,
        connection: sa.Connection,
        actor: Actor,
        object_name: str,
        record_id: str,
        *,
        fields: Sequence[str] | None = None,
        expand: Sequence[str] = (),
        state: State = "live",
    ) -> dict[str, Any] | None:
        """One record by id, or None when there is no such record the actor may read."""
        if not is_record_id(record_id):  # no SQL for what cannot be an id (a NUL byte would fail it)
            return None
        # The statement is built once per shape and reused (SQLAlchemy caches its compiled form);
        # the actor's row predicate is added to it on each call. A statement that joins other
        # tables (expansions, cross-object formulas) carries the actor's access condition on each
        # join, so it is built for that call only, unless no policy is in force or the actor is a
        # platform job. Without joins, what differs between actors is which fields they may read,
        # which is part of the key.
        table = self._tables()[object_name]
        visible = self.access.readable_fields(actor, object_name)
        predicate = self.access.predicate(actor, object_name, table, "read")
        shared = actor.system or isinstance(self.access, AllowAll)
        key = (object_name, tuple(fields) if fields is not None else None, tuple(expand), state, visible, shared)
        cached = self._statements.get(key)
        if cached is None:
            scope = self._scope(actor, object_name, table)
            where = self._state_where(table, state)
            outputs = self._outputs(scope, object_name, fields, expand, actor)
            statement = (
                sa.select(*self._columns(outputs))
                .select_from(scope.from_clause())
                .where(*where, scope.base.c.id == sa.bindparam("record_id"))
            )
            cached = (statement, outputs)
            if not scope.joined or (shared and not scope.guarded):
                if len(self._statements) >= MAX_CACHED_STATEMENTS:  # shapes come from callers' field lists
                    self._statements.clear()
                self._statements[key] = cached
        statement, outputs = cached
        if predicate is not None:
            statement = statement.where(predicate)
        row = connection.execute(statement, {"record_id": record_id}).first()
        return None if row is None else self._finish(connection, actor, object_name, outputs, [row])[0]

    def returned(self, actor: Actor, object_name: str) -> tuple[list[sa.ColumnElement], Callable[[sa.Connection, Sequence[Any]], dict[str, Any]]] | None:
        """What a write's RETURNING clause carries so that the row it returns becomes the record
        :meth:`get` would give ``actor``, and the function that makes it so; None when the row
        alone cannot tell: the actor's access predicate must be asked (it may read other rows of
        the table), or a field reads joined tables (cross-object formulas)."""
        table = self._tables()[object_name]
        if self.access.predicate(actor, object_name, table, "read") is not None:
            return None
        key = ("returned", object_name, self.access.readable_fields(actor, object_name))
        if key not in self._statements:
            scope = self._scope(actor, object_name, table)
            outputs = self._outputs(scope, object_name, None, (), actor)
            self._statements[key] = None if scope.joined else (self._columns(outputs), outputs)
        cached = self._statements[key]
        if cached is None:
            return None
        columns, outputs = cached
        return columns, lambda connection, row: self._finish(connection, actor, object_name, outputs, [row])[0]

    def find(
        self,
        connection: sa.Connection,
        actor: Actor,
        object_name: str,
        *,
        filter: Any = None,
        sort: Sequence[str] | str | None = None,
        fields: Sequence[str] | None = None,
        expand: Sequence[str] = (),
        limit: int = 50,
        cursor: str | None = None,
        state: State = "live",
    ) -> Page:
        """A page of records matching ``filter`` in ``sort`` order, after ``cursor``."""
        models = self.models
        if object_name not in models:
            raise QueryError([field_error(None, "invalid_filter", detail=f"unknown object '{object_name}'")])
        if type(limit) is not int or not 1 <= limit <= MAX_PAGE:
            raise QueryError([field_error(None, "invalid_limit", limit=MAX_PAGE)], object_name=object_name)
        zone = self.zone()
        typed = f.parse_filter(models, object_name, filter, today=actor.today(zone), zone=zone)
        keys = s.parse_sort(models, object_name, sort)
        # what the actor may not read cannot be filtered or sorted on either (no guessing by bisection)
        self._check_readable(actor, object_name, [condition.path for condition in (f.walk(typed) if typed is not None else ())] + [key.path for key in keys])
        scope, where = self.scope(actor, object_name, "read", state=state)
        condition = compile_filter(scope, typed, self.dialect)
        if condition is not None:
            where.append(condition)
        sort_columns = []
        for key in keys:
            column = scope.column(key.path)
            if column is None:
                raise QueryError([field_error(key.path.text, "not_sortable")], object_name=object_name)
            sort_columns.append(column)
        id_descending = keys[-1].descending if keys else False
        expressions = [*sort_columns, scope.base.c.id]
        directions = [key.descending for key in keys] + [id_descending]
        query_print = s.fingerprint(object_name, filter, list(sort) if isinstance(sort, (list, tuple)) else sort, state)
        if cursor is not None:
            kinds = [key.path.leaf.kind for key in keys]
            values, last_id = s.decode_cursor(cursor, query_print, kinds, object_name)
            filtered = s.never_null(typed)
            non_null = [(key.path.text, len(key.path.specs)) in filtered for key in keys] + [True]
            where.append(s.after(expressions, directions, [*values, last_id], nulls_smallest=self.dialect == "sqlite", non_null=non_null))
        outputs = self._outputs(scope, object_name, fields, expand, actor)
        sort_labels = [column.label(f"s{index}") for index, column in enumerate(expressions)]
        statement = (
            sa.select(*self._columns(outputs), *sort_labels)
            .select_from(scope.from_clause())
            .where(*where)
            .order_by(*[column.desc() if desc else column.asc() for column, desc in zip(expressions, directions, strict=True)])
            .limit(limit + 1)
        )
        rows = connection.execute(statement).all()
        width = sum(len(output.expressions) for output in outputs)
        records = self._finish(connection, actor, object_name, outputs, rows[:limit])
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = s.encode_cursor(query_print, list(last[width : width + len(keys)]), last[width + len(keys)])
        return Page(records, next_cursor)

    def count(
        self,
        connection: sa.Connection,
        actor: Actor,
        object_name: str,
        *,
        filter: Any = None,
        cap: int = DEFAULT_COUNT_CAP,
        state: State = "live",
    ) -> Count:
        """How many records match, counting no further than ``cap``."""
        models = self.models
        zone = self.zone()
        typed = f.parse_filter(models, object_name, filter, today=actor.today(zone), zone=zone)
        self._check_readable(actor, object_name, [condition.path for condition in (f.walk(typed) if typed is not None else ())])
        scope, where = self.scope(actor, object_name, "read", state=state)
        condition = compile_filter(scope, typed, self.dialect)
        if condition is not None:
            where.append(condition)
        limited = sa.select(scope.base.c.id).select_from(scope.from_clause()).where(*where).limit(cap + 1).subquery()
        value = connection.execute(sa.select(sa.func.count()).select_from(limited)).scalar_one()
        return Count(min(value, cap), value > cap)
