"""The shape of the function table: :class:`Function`, :class:`Overload`, parameter kinds.

Every operator and function is a :class:`Function` with one or more overloads. An overload
names its parameter kinds, its result type (fixed, or computed from the argument types) and its
Python implementation. The checker picks one overload per call; the backends dispatch on
``overload.key``. Functions that need more than overload matching (IF, CASE, REGEX…) supply a
``resolve`` hook that types the call itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from formula.types import NUMERIC_KINDS, FormulaType, Kind, shared

__all__ = [
    "ANY",
    "BOOL",
    "DATE",
    "DATETIME",
    "Function",
    "MPICK",
    "NUM",
    "Overload",
    "PICK",
    "REF",
    "ResolveHook",
    "TEXT",
    "TIME",
    "TypingProblem",
    "same_as",
]

NUM = frozenset(NUMERIC_KINDS)
TEXT = frozenset({Kind.TEXT})
BOOL = frozenset({Kind.BOOLEAN})
DATE = frozenset({Kind.DATE})
DATETIME = frozenset({Kind.DATETIME})
TIME = frozenset({Kind.TIME})
PICK = frozenset({Kind.PICKLIST})
MPICK = frozenset({Kind.MULTIPICKLIST})
REF = frozenset({Kind.REFERENCE})
ANY = frozenset(Kind) - {Kind.ERROR}

_KIND_WORDS = {
    NUM: "number",
    TEXT: "text",
    BOOL: "boolean",
    DATE: "date",
    DATETIME: "datetime",
    TIME: "time",
    PICK: "picklist",
    MPICK: "multipicklist",
    REF: "reference",
    ANY: "any",
}


def describe_kinds(kinds: frozenset[Kind]) -> str:
    """``number``, ``text``, ``date or datetime``… for messages."""
    if kinds in _KIND_WORDS:
        return _KIND_WORDS[kinds]
    return " or ".join(sorted(k.value for k in kinds))


ResultRule = FormulaType | Callable[[Sequence[FormulaType]], FormulaType]


@dataclass(frozen=True, eq=False)
class Overload:
    """One typing of a function: parameter kinds → result, plus the Python implementation.

    ``nulls``: ``"propagate"`` — any None argument makes the result None (False for a boolean
    result) without calling ``py``; ``"pass"`` — ``py`` sees the Nones and handles them.
    ``info`` carries backend hints (e.g. the comparison operator).
    """

    key: str
    params: tuple[frozenset[Kind], ...]
    result: ResultRule
    py: Callable[..., Any] | None = None
    variadic: bool = False
    nulls: str = "propagate"
    info: dict[str, Any] = field(default_factory=dict)

    def accepts(self, types: Sequence[FormulaType]) -> bool:
        """Whether arguments of ``types`` fit this overload (NULL fits any parameter)."""
        if self.variadic:
            if len(types) < len(self.params):
                return False
        elif len(types) != len(self.params):
            return False
        for i, t in enumerate(types):
            kinds = self.params[min(i, len(self.params) - 1)]
            if t.kind in (Kind.NULL, Kind.ERROR):
                continue
            if t.kind not in kinds:
                return False
        return True

    def result_type(self, types: Sequence[FormulaType]) -> FormulaType:
        return self.result(types) if callable(self.result) else self.result

    def param_kinds(self, count: int) -> tuple[frozenset[Kind], ...]:
        """The parameter kinds for a call with ``count`` arguments."""
        if not self.variadic:
            return self.params
        return self.params + (self.params[-1],) * (count - len(self.params))


class TypingProblem(Exception):
    """Raised by resolve hooks: the checker turns it into a located :class:`FormulaTypeError`.

    ``index`` is the argument the problem is about (None: the whole call).
    """

    def __init__(self, message: str, *, hint: str | None = None, index: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.index = index


#: A ``resolve`` hook: called with the :class:`formula.ast.Call` node and its typed arguments
#: (:class:`formula.ast.Typed`). Written with ``Any``: the syntax tree refers to
#: :class:`Overload`, so naming its classes here would make the two modules a circle.
ResolveHook = Callable[[Any, Sequence[Any]], tuple[Overload, FormulaType]]


@dataclass(frozen=True, eq=False)
class Function:
    """A named function: signature and docs for people, overloads for the checker."""

    name: str
    family: str
    signature: str
    doc: str
    overloads: tuple[Overload, ...] = ()
    resolve: ResolveHook | None = None
    min_args: int | None = None
    max_args: int | None = None
    #: Contexts where the function may appear (None: everywhere).
    contexts: frozenset[str] | None = None
    #: Whether the SQL backend can compile it.
    sql: bool = True

    def __post_init__(self) -> None:
        low = self.min_args
        high = self.max_args
        if low is None:
            counts = [len(o.params) for o in self.overloads]
            low = min(counts) if counts else 0
            if high is None and not any(o.variadic for o in self.overloads):
                high = max(counts) if counts else 0
        # Worked out once: the checker asks for every call of every formula.
        object.__setattr__(self, "_arity", (low, high))

    def arity_ok(self, count: int) -> bool:
        low, high = self._arity
        return count >= low and (high is None or count <= high)


def same_as(index: int) -> Callable[[Sequence[FormulaType]], FormulaType]:
    """A result rule: the type of argument ``index`` (scale dropped)."""

    def rule(types: Sequence[FormulaType]) -> FormulaType:
        t = types[index]
        if t.kind is Kind.NULL:
            return shared(Kind.NUMBER)
        return shared(t.kind, None, t.target)

    return rule
