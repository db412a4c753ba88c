"""Typed filters, sorts and field paths → SQLAlchemy: the only place query names become columns.

A :class:`SelectScope` belongs to one SELECT over one object's table. It resolves checked field
paths to columns, joining the referenced tables (outer joins, one alias per path) as paths ask,
and compiles formula fields through the formula support. Columns always come from the ``Table``
objects built from metadata; values are always bound parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from runtime.query import filters as f
from runtime.records import model as m
from runtime.records.messages import field_error

FormulaSql = Callable[["SelectScope", tuple[str, ...], str, str], sa.ColumnElement | None]
#: the access predicate of a joined table: (object name, alias) → extra ON condition, or None
JoinGuard = Callable[[str, sa.FromClause], sa.ColumnElement[bool] | None]


class SelectScope:
    """The tables of one SELECT: the object's table and the aliases joined for reference paths."""

    def __init__(
        self,
        models: m.ObjectModels,
        tables: dict[str, sa.Table],
        object_name: str,
        base: sa.FromClause,
        formula_sql: FormulaSql | None = None,
        guard: JoinGuard | None = None,
    ):
        self.models = models
        self.guard = guard
        #: whether a joined table carries an access condition (the statement is then per-actor)
        self.guarded = False
        self.tables = tables
        self.object_name = object_name
        self.base = base
        self.formula_sql = formula_sql
        self._joins: dict[tuple[str, ...], sa.FromClause] = {(): base}
        self._join_list: list[tuple[sa.FromClause, sa.ColumnElement]] = []

    # -- tables --------------------------------------------------------------------------

    def table_for(self, prefix: tuple[str, ...], objects: tuple[str, ...]) -> sa.FromClause:
        """The table (alias) reached by following the reference fields ``prefix`` from the base."""
        if prefix in self._joins:
            return self._joins[prefix]
        parent = self.table_for(prefix[:-1], objects)
        return self._join(prefix, objects[len(prefix)], parent.c[prefix[-1]])

    def table_for_target(self, field: str, target: str) -> sa.FromClause:
        """The table (alias) of ``target`` joined on the base's polymorphic reference ``field``:
        one join per target object, each guarded like any other; at most one of them matches a
        given row, since record ids are unique across objects."""
        key = (_target_key(field, target),)
        if key in self._joins:
            return self._joins[key]
        return self._join(key, target, self.base.c[field])

    def _join(self, key: tuple[str, ...], target: str, reference: sa.ColumnElement) -> sa.FromClause:
        """Outer-join an alias of ``target``'s table on ``reference``, kept under ``key``."""
        alias = self.tables[target].alias(f"j{len(self._joins)}")
        self._joins[key] = alias
        on = alias.c.id == reference
        # A referenced record the actor may not read joins as missing: its name, its fields and
        # anything computed from them come back blank, and filters on them match nothing.
        access = self.guard(target, alias) if self.guard is not None else None
        if access is not None:
            on = sa.and_(on, access)
            self.guarded = True
        self._join_list.append((alias, on))
        return alias

    @property
    def joined(self) -> bool:
        """Whether the statement joins any table to the base (its joins may carry access conditions)."""
        return bool(self._join_list)

    def from_clause(self) -> sa.FromClause:
        joined = self.base
        for alias, on in self._join_list:
            joined = joined.outerjoin(alias, on)
        return joined

    # -- columns -------------------------------------------------------------------------

    def column(self, path: f.FieldPath) -> sa.ColumnElement | None:
        """The SQL expression of a checked path's leaf, or None if it cannot be computed in SQL."""
        prefix = tuple(spec.name for spec in path.specs[:-1])
        table = self.table_for(prefix, path.objects)
        leaf = path.leaf
        if leaf.type == "formula":
            if self.formula_sql is None:
                return None
            return self.formula_sql(self, prefix, path.objects[-1], leaf.name)
        if leaf.kind == m.GEOLOCATION:
            return table.c[f"{leaf.name}__lat"]
        return table.c[leaf.name]

    def target_column(self, field: str, target: str, path: f.FieldPath) -> sa.ColumnElement | None:
        """The SQL expression of ``path`` (checked from ``target``) on the record the base's
        polymorphic reference ``field`` points at when it is a ``target``: a formula (a name
        field, say) compiles against that join, and the paths it follows join from there."""
        self.table_for_target(field, target)
        prefix = (_target_key(field, target), *(spec.name for spec in path.specs[:-1]))
        table = self.table_for(prefix, (self.object_name, *path.objects))
        leaf = path.leaf
        if leaf.type == "formula":
            return None if self.formula_sql is None else self.formula_sql(self, prefix, path.objects[-1], leaf.name)
        if leaf.kind == m.GEOLOCATION:
            return table.c[f"{leaf.name}__lat"]
        return table.c[leaf.name]

    def field_column(self, object_path: tuple[str, ...], field: str) -> sa.ColumnElement | None:
        """A column by field names from the base object (used by the formula SQL backend); a path
        may start at a polymorphic target's join (``"field:target"``, see :meth:`target_column`)."""
        errors: list = []
        if object_path and ":" in object_path[0]:
            reference, _, target = object_path[0].partition(":")
            path = f.resolve_path(self.models, target, ".".join((*object_path[1:], field)), errors)
            return None if path is None else self.target_column(reference, target, path)
        path = f.resolve_path(self.models, self.object_name, ".".join((*object_path, field)), errors)
        return None if path is None else self.column(path)


def _target_key(field: str, target: str) -> str:
    return f"{field}:{target}"  # ":" never appears in a field name


# --- filters ----------------------------------------------------------------------------


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _json_contains(column: sa.ColumnElement, value: str, dialect: str) -> sa.ColumnElement[bool]:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB

        return sa.type_coerce(column, JSONB).contains([value])  # JSONB @>, served by a GIN index
    items = sa.func.json_each(column).table_valued("value")
    return sa.exists(sa.select(sa.literal(1)).select_from(items).where(items.c.value == value))


def compile_condition(scope: SelectScope, condition: f.Condition, dialect: str) -> sa.ColumnElement[bool]:
    column = scope.column(condition.path)
    if column is None:
        from runtime.errors import QueryError

        raise QueryError([field_error(condition.path.text, "not_filterable")], object_name=scope.object_name)
    op, value = condition.op, condition.value
    if op == "eq":
        return column == value
    if op == "ne":
        return sa.or_(column != value, column.is_(None))
    if op == "lt":
        return column < value
    if op == "lte":
        return column <= value
    if op == "gt":
        return column > value
    if op == "gte":
        return column >= value
    if op == "in":
        return column.in_(value)
    if op == "not_in":
        return sa.or_(column.not_in(value), column.is_(None))
    if op == "between":
        return column.between(*value)
    if op == "is_null":
        return column.is_(None) if value else column.is_not(None)
    if op == "contains":
        if condition.path.leaf.kind == m.CHOICES:
            return _json_contains(column, value, dialect)
        return column.ilike(f"%{_escape_like(value)}%", escape="\\")
    if op == "starts_with":
        return column.ilike(f"{_escape_like(value)}%", escape="\\")
    start, end = value
    inside = sa.and_(
        *([column >= start] if start is not None else []),
        *([column < end] if end is not None else []),
    )
    if op == "range":
        return inside
    return sa.or_(sa.not_(inside), column.is_(None))  # "outside"


def compile_filter(scope: SelectScope, node: f.Filter | None, dialect: str) -> sa.ColumnElement[bool] | None:
    """The WHERE clause of a typed filter (None for no filter)."""
    if node is None:
        return None
    if isinstance(node, f.Condition):
        return compile_condition(scope, node, dialect)
    if isinstance(node, f.Not):
        return sa.not_(compile_filter(scope, node.child, dialect))
    parts = [compile_filter(scope, child, dialect) for child in node.children]
    return sa.and_(*parts) if isinstance(node, f.All) else sa.or_(*parts)


def literal_for_kind(kind: str, value: Any) -> Any:
    """A cursor value decoded back to the Python type of ``kind``."""
    import datetime as dt
    from decimal import Decimal

    if value is None:
        return None
    if kind == m.DECIMAL:
        return Decimal(value)
    if kind == m.INTEGER:
        return int(value)
    if kind == m.DATE:
        return dt.date.fromisoformat(value)
    if kind == m.DATETIME:
        return dt.datetime.fromisoformat(value)
    if kind == m.TIME:
        return dt.time.fromisoformat(value)
    if kind == m.BOOLEAN:
        if type(value) is not bool:
            raise ValueError("not a boolean")
        return value
    if type(value) is not str:
        raise ValueError("not a text")
    return value
