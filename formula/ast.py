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


# --- fast construction -----------------------------------------------------------------
#
# The parser and the checker make one node per part of every formula, and a frozen dataclass's
# ``__init__`` (``object.__setattr__`` per field, through the frozen class's lookup) costs about
# twice as much as storing the slots directly. These build the same objects — equal, of the same
# class, as frozen — by writing each slot through its descriptor.

_new = object.__new__


def _setter(cls: type, name: str):
    for klass in cls.__mro__:
        descriptor = vars(klass).get(name)
        if descriptor is not None:
            return descriptor.__set__
    raise AttributeError(name)  # pragma: no cover - every field is a slot


_node_span = _setter(Node, "span")
_literal_kind, _literal_value = _setter(Literal, "kind"), _setter(Literal, "value")
_field_path = _setter(FieldRef, "path")
_binary_op, _binary_left, _binary_right = (_setter(Binary, name) for name in ("op", "left", "right"))
_call_name, _call_name_span, _call_args = (_setter(Call, name) for name in ("name", "name_span", "args"))
_typed_type, _typed_span = _setter(Typed, "type"), _setter(Typed, "span")
_tliteral_value = _setter(TLiteral, "value")
_tfield_path = _setter(TField, "path")
_tapply_overload, _tapply_args = _setter(TApply, "overload"), _setter(TApply, "args")


def new_literal(span: Span, kind: str, value: Any) -> Literal:
    """``Literal(span, kind, value)``, faster."""
    node = _new(Literal)
    _node_span(node, span)
    _literal_kind(node, kind)
    _literal_value(node, value)
    return node


def new_field_ref(span: Span, path: tuple[str, ...]) -> FieldRef:
    """``FieldRef(span, path)``, faster."""
    node = _new(FieldRef)
    _node_span(node, span)
    _field_path(node, path)
    return node


def new_binary(span: Span, op: str, left: Node, right: Node) -> Binary:
    """``Binary(span, op, left, right)``, faster."""
    node = _new(Binary)
    _node_span(node, span)
    _binary_op(node, op)
    _binary_left(node, left)
    _binary_right(node, right)
    return node


def new_call(span: Span, name: str, name_span: Span, args: tuple[Node, ...]) -> Call:
    """``Call(span, name, name_span, args)``, faster."""
    node = _new(Call)
    _node_span(node, span)
    _call_name(node, name)
    _call_name_span(node, name_span)
    _call_args(node, args)
    return node


def new_tliteral(type_: FormulaType, span: Span, value: Any) -> TLiteral:
    """``TLiteral(type_, span, value)``, faster."""
    node = _new(TLiteral)
    _typed_type(node, type_)
    _typed_span(node, span)
    _tliteral_value(node, value)
    return node


def new_tfield(type_: FormulaType, span: Span, path: tuple[str, ...]) -> TField:
    """``TField(type_, span, path)``, faster."""
    node = _new(TField)
    _typed_type(node, type_)
    _typed_span(node, span)
    _tfield_path(node, path)
    return node


def new_tapply(type_: FormulaType, span: Span, overload: Overload, args: tuple[Typed, ...]) -> TApply:
    """``TApply(type_, span, overload, args)``, faster."""
    node = _new(TApply)
    _typed_type(node, type_)
    _typed_span(node, span)
    _tapply_overload(node, overload)
    _tapply_args(node, args)
    return node
