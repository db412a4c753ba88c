"""SQLite expressions: native SQL for logic and text equality, registered functions for the rest.

Numbers, dates and times go through the ``fx_*`` functions of :mod:`formula.sql.sqlite`, which
run the evaluator's own implementations on exact decimals, so SQLite and Python agree digit for
digit. Those functions must be registered on every connection (see
:func:`formula.sql.register_sqlite_functions`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from formula.ast import TApply, TField, Typed
from formula.sql.builder import Builder
from formula.sql.sqlite import encode, function_name
from formula.types import FormulaType, Kind

__all__ = ["SqliteBuilder"]

_NUMERIC = (Kind.NUMBER, Kind.CURRENCY, Kind.PERCENT)
_RAW = sa.types.NullType()


def _text(x):
    return sa.func.coalesce(x, sa.literal(""))


class SqliteBuilder(Builder):
    dialect = "sqlite"

    def literal(self, value: Any, formula_type: FormulaType):
        kind = formula_type.kind
        if kind is Kind.BOOLEAN:
            return sa.true() if value else sa.false()
        return sa.literal(encode(kind, value), _RAW)

    def null_of(self, formula_type: FormulaType):
        return sa.false() if formula_type.kind is Kind.BOOLEAN else sa.null()

    def field(self, node: TField):
        column = sa.type_coerce(self.columns(node.path), _RAW)
        kind = node.type.kind
        if kind is Kind.BOOLEAN:
            return sa.func.coalesce(column, sa.false())
        if kind in _NUMERIC and self.checked.blank_as_zero:
            return sa.func.coalesce(column, sa.literal(0))
        return column

    def call(self, node: TApply, args: list):
        key = node.key
        if key == "CONCAT":
            return _text(args[0]).concat(_text(args[1]))
        if key in ("EQ_TEXT", "NE_TEXT", "ISPICKVAL"):
            left, right = _text(args[0]), _text(args[1])
            return left != right if key == "NE_TEXT" else left == right
        if key in ("EQ_BOOLEAN", "NE_BOOLEAN"):
            return args[0] != args[1] if key == "NE_BOOLEAN" else args[0] == args[1]
        return getattr(sa.func, function_name(key))(*args)

    def is_blank(self, node: Typed):
        kind = node.type.kind
        value = self.build(node)
        if kind in (Kind.TEXT, Kind.PICKLIST):
            return _text(value) == sa.literal("")
        if kind is Kind.MULTIPICKLIST:
            return sa.func.fx_multipicklist_blank(value) == 1
        if kind is Kind.BOOLEAN:
            return sa.false()
        return value.is_(None)

    def equals(self, kind: Kind, left, right):
        if kind in (Kind.TEXT, Kind.PICKLIST):
            return _text(left) == _text(right)
        word = "NUMBER" if kind in _NUMERIC else kind.name
        return getattr(sa.func, function_name(f"EQ_{word}"))(left, right) == 1

    def special_regex(self, node: TApply):
        text, pattern = node.args
        return sa.func.fx_regex(self.build(text), sa.literal(pattern.value or "", _RAW))
