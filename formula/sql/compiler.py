"""The SQL backend: a checked formula compiled to one SQLAlchemy column expression.

The same typed tree the evaluator runs becomes SQL for filters, sorting and bulk recalculation.
Field paths are turned into columns by a caller-supplied :class:`ColumnResolver` (the runtime
adds the joins a cross-object path needs). PostgreSQL computes natively on ``NUMERIC``;
SQLite calls the Python implementations registered by
:func:`formula.sql.register_sqlite_functions`. Either way the answers are the evaluator's:
where the evaluator raises an evaluation error (division by zero…), SQL yields NULL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from formula.checker import CheckedFormula
from formula.errors import FormulaCompileError, FormulaLimitError
from formula.limits import MAX_SQL_LENGTH
from formula.sql import sqlite as sqlite_support
from formula.sql.builder import ColumnResolver
from formula.sql.postgres import PostgresBuilder
from formula.sql.sqlite_builder import SqliteBuilder
from formula.types import FormulaType, Kind
from formula.values import UTC, canonical, converter

__all__ = ["ColumnResolver", "CompiledSQL", "compile_sql"]

_NUMERIC = (Kind.NUMBER, Kind.CURRENCY, Kind.PERCENT)


class FormulaValueType(TypeDecorator):
    """The SQL type of a compiled formula: rows come back as canonical formula values."""

    impl = sa.types.NullType
    cache_ok = True

    def __init__(self, kind: str, dialect_name: str) -> None:
        super().__init__()
        self.kind = kind
        self.dialect_name = dialect_name

    @property
    def formula_type(self) -> FormulaType:
        return FormulaType(Kind(self.kind))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return from_sql(value, self.formula_type)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        formula_type = self.formula_type
        value = converter(formula_type)(value)
        if dialect.name == "sqlite":
            return sqlite_support.encode(formula_type.kind, value)
        if formula_type.kind is Kind.DATETIME:
            return value.astimezone(UTC).replace(tzinfo=None)
        return value


def from_sql(value: Any, formula_type: FormulaType) -> Any:
    """A value read from SQL (either dialect) as the canonical formula value."""
    if value is None:
        return canonical(None, formula_type)
    kind = formula_type.kind
    if kind in _NUMERIC and isinstance(value, float):
        value = Decimal(repr(value))
    elif kind is Kind.MULTIPICKLIST:
        value = sqlite_support.decode(Kind.MULTIPICKLIST, value) if isinstance(value, str) else value
    elif kind is Kind.BOOLEAN:
        return bool(value)
    return canonical(value, formula_type)


@dataclass(frozen=True, eq=False)
class CompiledSQL:
    """A formula as SQL: ``expression`` (select it, filter or sort on it) and its formula ``type``.

    Selecting ``expression`` yields canonical formula values (Decimal, date, aware UTC datetime…)
    thanks to its SQL type; :meth:`to_python` converts a raw value the same way.
    """

    expression: sa.ColumnElement[Any]
    type: FormulaType
    dialect: str

    def to_python(self, value: Any) -> Any:
        return from_sql(value, self.type)


def _dialect_name(dialect: str | Dialect | Any) -> str:
    if isinstance(dialect, str):
        name = dialect
    elif hasattr(dialect, "dialect"):
        name = dialect.dialect.name
    else:
        name = getattr(dialect, "name", "")
    name = name.split("+")[0].lower()
    if name == "postgres":
        name = "postgresql"
    return name


def _dialect_object(name: str) -> Dialect:
    if name == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.dialect()
    from sqlalchemy.dialects import postgresql

    return postgresql.dialect()


def compile_sql(
    checked: CheckedFormula,
    columns: ColumnResolver,
    *,
    dialect: str | Dialect | Any,
    env: Mapping[str, Any] | None = None,
) -> CompiledSQL:
    """Compile ``checked`` to a SQLAlchemy expression for ``dialect`` (``"sqlite"`` or
    ``"postgresql"``, or a Dialect, Engine or Connection).

    ``columns`` maps field paths to column expressions. ``env`` gives globals and the clock as
    for the evaluator (``"$User.id"``, ``"$Now"``…); they become bound parameters. Raises
    :class:`~formula.errors.FormulaCompileError` for formulas SQL cannot express (ISNEW,
    ISCHANGED, PRIORVALUE) and :class:`~formula.errors.FormulaLimitError` when the SQL would
    exceed :data:`~formula.limits.MAX_SQL_LENGTH` characters.
    """
    name = _dialect_name(dialect)
    if name not in ("sqlite", "postgresql"):
        raise FormulaCompileError(f"formulas compile to SQLite or PostgreSQL, not {name or dialect!r}")
    builder_class = PostgresBuilder if name == "postgresql" else SqliteBuilder
    builder = builder_class(checked, columns, env or {})
    expression = builder.top(checked.tree)
    typed = sa.type_coerce(expression, FormulaValueType(checked.type.kind.value, name))
    size = len(str(typed.compile(dialect=_dialect_object(name))))
    if size > MAX_SQL_LENGTH:
        raise FormulaLimitError(
            f"formula compiles to {size} characters of SQL; the limit is {MAX_SQL_LENGTH}",
            hint="simplify the formula, or split it into several formula fields",
            start=0,
            end=len(checked.text),
            text=checked.text,
        )
    return CompiledSQL(typed, checked.type, name)
