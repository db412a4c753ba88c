"""What the SQL builders of both dialects share: traversal, literals, fields, globals, special forms.

:mod:`formula.sql.postgres` and :mod:`formula.sql.sqlite_builder` subclass :class:`Builder`;
:func:`formula.sql.compile_sql` picks one by dialect. This module imports neither, so the
compiler depends on the builders and the builders on this base, one way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import sqlalchemy as sa

from formula.ast import TApply, TField, TGlobal, TLiteral, Typed
from formula.checker import CheckedFormula
from formula.errors import FormulaCompileError, FormulaLimitError
from formula.functions import FUNCTIONS
from formula.limits import MAX_SQL_ELEMENTS
from formula.types import FormulaType, Kind
from formula.values import UTC, converter

__all__ = ["Builder", "ColumnResolver"]

_NOT_IN_SQL = frozenset(name for name, function in FUNCTIONS.items() if not function.sql)


@runtime_checkable
class ColumnResolver(Protocol):
    """Turns a field path of the formula's object into a column expression.

    Called with ``("amount",)`` for a field of the object and ``("owner", "manager", "name")``
    for a cross-object path; returns a SQLAlchemy column expression (adding whatever joins the
    query needs). Numbers may be ``NUMERIC``, ``INTEGER`` or ``REAL``; datetimes ``TIMESTAMP``
    (UTC) or ``TIMESTAMP WITH TIME ZONE``; multi-picklists JSON arrays or ``a;b`` text.
    """

    def __call__(self, path: tuple[str, ...]) -> sa.ColumnElement[Any]: ...


class Builder:
    """What both dialects share: traversal, literals, fields, globals, lazy special forms."""

    dialect = ""

    def __init__(self, checked: CheckedFormula, columns: ColumnResolver, env: Mapping[str, Any]) -> None:
        self.checked = checked
        self.columns = columns
        self.env = env
        self._now: dt.datetime | None = None
        # id(element) → (element, size as rendered, shared parts counted each time)
        self._sizes: dict[int, tuple[Any, int]] = {}

    # -- entry points ----------------------------------------------------------------------

    def top(self, node: Typed) -> sa.ColumnElement[Any]:
        return self.build(node)

    def build(self, node: Typed) -> sa.ColumnElement[Any]:
        built = self._build(node)
        if isinstance(node, TApply) and self.expanded_size(built) > MAX_SQL_ELEMENTS:
            raise FormulaLimitError(
                f"formula compiles to more than {MAX_SQL_ELEMENTS} SQL elements",
                hint="simplify the formula, or split it into several formula fields",
                start=node.span.start,
                end=node.span.end,
                text=self.checked.text,
            )
        return built

    def expanded_size(self, element: Any) -> int:
        """Elements in ``element`` as SQL renders it: a part used twice counts twice.

        Iterative, and linear in the distinct parts (each is sized once), so an expression
        that would render to gigabytes is measured without rendering it.
        """
        sizes = self._sizes
        stack: list[tuple[Any, bool]] = [(element, False)]
        while stack:
            current, children_done = stack.pop()
            if id(current) in sizes:
                continue
            children = list(current.get_children()) if hasattr(current, "get_children") else []
            if children_done or not children:
                total = 1 + sum(sizes[id(child)][1] for child in children if id(child) in sizes)
                sizes[id(current)] = (current, total)
                continue
            stack.append((current, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
        return sizes[id(element)][1]

    def _build(self, node: Typed) -> sa.ColumnElement[Any]:
        if isinstance(node, TLiteral):
            if node.value is None:
                return sa.null()
            return self.literal(node.value, node.type)
        if isinstance(node, TField):
            return self.field(node)
        if isinstance(node, TGlobal):
            return self.global_value(node)
        if isinstance(node, TApply):
            return self.apply(node)
        raise FormulaCompileError(f"cannot compile {node!r}")  # pragma: no cover

    def fail(self, node: Typed, message: str) -> FormulaCompileError:
        return FormulaCompileError(
            message, start=node.span.start, end=node.span.end, text=self.checked.text
        )

    # -- values ------------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        if self._now is None:
            value = self.env.get("$Now")
            self._now = converter(FormulaType(Kind.DATETIME))(value) if value is not None else dt.datetime.now(UTC)
        return self._now

    def today(self) -> dt.date:
        value = self.env.get("$Today")
        if value is not None:
            return converter(FormulaType(Kind.DATE))(value)
        return self.now().date()

    def global_value(self, node: TGlobal) -> sa.ColumnElement[Any]:
        key = node.key
        if key == "$Today":
            return self.literal(self.today(), node.type)
        if key == "$Now":
            return self.literal(self.now(), node.type)
        value = self.env.get(key)
        if value is None:
            head, _, rest = key.partition(".")
            value = self.env.get(head)
            for segment in rest.split("."):
                value = value.get(segment) if isinstance(value, Mapping) else None
        value = converter(node.type)(value, key)
        if value is None or value == "" or value == ():
            return self.null_of(node.type)
        return self.literal(value, node.type)

    def null_of(self, formula_type: FormulaType) -> sa.ColumnElement[Any]:
        return sa.null()

    def literal(self, value: Any, formula_type: FormulaType) -> sa.ColumnElement[Any]:
        raise NotImplementedError

    def field(self, node: TField) -> sa.ColumnElement[Any]:
        raise NotImplementedError

    # -- calls -------------------------------------------------------------------------------

    def apply(self, node: TApply) -> sa.ColumnElement[Any]:
        key = node.key
        if key in _NOT_IN_SQL or key in ("ISNEW", "ISCHANGED", "PRIORVALUE"):
            raise self.fail(node, f"{key} cannot be used in SQL (it needs the record being saved)")
        special = getattr(self, "special_" + key.lower(), None)
        if special is not None:
            return special(node)
        args = [self.build(arg) for arg in node.args]
        return self.call(node, args)

    def call(self, node: TApply, args: list[sa.ColumnElement[Any]]) -> sa.ColumnElement[Any]:
        raise NotImplementedError

    def condition(self, node: Typed) -> sa.ColumnElement[Any]:
        """A boolean node as a SQL condition that is never NULL."""
        return self.build(node)

    def is_blank(self, node: Typed) -> sa.ColumnElement[Any]:
        raise NotImplementedError

    def equals(self, kind: Kind, left, right) -> sa.ColumnElement[Any]:
        """CASE's comparison of the subject with one value."""
        raise NotImplementedError

    def special_if(self, node: TApply) -> sa.ColumnElement[Any]:
        condition, yes, no = node.args
        return sa.case((self.condition(condition), self.build(yes)), else_=self.build(no))

    def special_ifs(self, node: TApply) -> sa.ColumnElement[Any]:
        args = node.args
        whens = [(self.condition(args[i]), self.build(args[i + 1])) for i in range(0, len(args) - 1, 2)]
        return sa.case(*whens, else_=self.build(args[-1]))

    def special_case(self, node: TApply) -> sa.ColumnElement[Any]:
        args = node.args
        kind = args[0].type.kind
        if kind is Kind.NULL:
            return self.build(args[-1])
        subject = self.build(args[0])
        whens = []
        for i in range(1, len(args) - 1, 2):
            if args[i].type.kind is Kind.NULL:
                continue
            whens.append((self.equals(kind, subject, self.build(args[i])), self.build(args[i + 1])))
        if not whens:
            return self.build(args[-1])
        return sa.case(*whens, else_=self.build(args[-1]))

    def special_and(self, node: TApply) -> sa.ColumnElement[Any]:
        return sa.and_(*(self.condition(arg) for arg in node.args))

    def special_or(self, node: TApply) -> sa.ColumnElement[Any]:
        return sa.or_(*(self.condition(arg) for arg in node.args))

    def special_not(self, node: TApply) -> sa.ColumnElement[Any]:
        return sa.not_(self.condition(node.args[0]))

    def special_xor(self, node: TApply) -> sa.ColumnElement[Any]:
        left, right = (self.condition(arg) for arg in node.args)
        return sa.case((left, sa.not_(right)), else_=right)

    def special_isblank(self, node: TApply) -> sa.ColumnElement[Any]:
        return self.is_blank(node.args[0])

    def special_blankvalue(self, node: TApply) -> sa.ColumnElement[Any]:
        value, substitute = node.args
        return sa.case((self.is_blank(value), self.build(substitute)), else_=self.build(value))

    special_nullvalue = special_blankvalue

    def special_today(self, node: TApply) -> sa.ColumnElement[Any]:
        return self.literal(self.today(), node.type)

    def special_now(self, node: TApply) -> sa.ColumnElement[Any]:
        return self.literal(self.now(), node.type)

    def special_timenow(self, node: TApply) -> sa.ColumnElement[Any]:
        return self.literal(self.now().time().replace(tzinfo=None), node.type)
