"""Syntax trees: the parsed formula (:class:`Node`) and the checked, typed formula (:class:`Typed`).

The parser builds plain dataclass nodes with their position; the checker turns them into typed
nodes where every operator and function call has become a :class:`TApply` naming the exact
overload chosen, so the backends never resolve types again.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from formula.types import FormulaType

if TYPE_CHECKING:
    from formula.functions.registry import Overload

__all__ = [
    "Binary",
    "Call",
    "FieldRef",
    "GlobalRef",
    "Literal",
    "Node",
    "Span",
    "TApply",
    "TField",
    "TGlobal",
    "TLiteral",
    "Typed",
    "Unary",
    "walk",
]


class Span(NamedTuple):
    """Where a node sits in the formula text: 0-based offsets (end exclusive), 1-based line/column.

    A named tuple rather than a frozen dataclass: the parser makes one per node, and a tuple is
    made several times faster.
    """

    start: int
    end: int
    line: int
    column: int


# --- parsed tree -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Node:
    """A parsed formula node."""

    span: Span


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """A literal: ``kind`` is ``number`` (Decimal), ``text`` (str), ``boolean`` (bool) or ``null``."""

    kind: str
    value: Decimal | str | bool | None


@dataclass(frozen=True, slots=True)
class FieldRef(Node):
    """A field of the current object, or a path through references: ``("owner", "name")``."""

    path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GlobalRef(Node):
    """A global: ``$Today``, ``$User.department`` (``name`` = ``$User``, ``path`` = ``("department",)``)."""

    name: str
    path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unary(Node):
    """``-x``, ``+x`` or ``!x``."""

    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """``left op right`` for arithmetic, ``&``, comparisons, ``&&`` and ``||``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A function call; ``name`` is upper-cased (function names are case-insensitive)."""

    name: str
    name_span: Span
    args: tuple[Node, ...]


# --- typed tree ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Typed:
    """A checked node with its type."""

    type: FormulaType
    span: Span


@dataclass(frozen=True, slots=True, eq=False)
class TLiteral(Typed):
    """A constant (Decimal, str, bool or None)."""

    value: Any


@dataclass(frozen=True, slots=True, eq=False)
class TField(Typed):
    """A field or a path of fields, already resolved against the schema."""

    path: tuple[str, ...]


@dataclass(frozen=True, slots=True, eq=False)
class TGlobal(Typed):
    """A global value, by canonical key: ``$Today``, ``$Now``, ``$User.id``…"""

    key: str


@dataclass(frozen=True, slots=True, eq=False)
class TApply(Typed):
    """An operator or function call resolved to one overload (``overload.key`` names it)."""

    overload: Overload
    args: tuple[Typed, ...]

    @property
    def key(self) -> str:
        return self.overload.key


def walk(node: Typed):
    """Every typed node of a tree, parents before children (iterative)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, TApply):
            stack.extend(reversed(current.args))
