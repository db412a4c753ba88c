"""The function table: every function and operator of the language, by family.

:data:`FUNCTIONS` maps upper-case names to :class:`Function` (read-only); :data:`OPERATORS`
and :data:`UNARY_OPERATORS` map operator symbols. Each family lives in its own module.
"""

from __future__ import annotations

from types import MappingProxyType

from formula.functions import dates, logical, numeric, record, text
from formula.functions.operators import BINARY_OPERATORS, UNARY_OPERATORS as _UNARY
from formula.functions.registry import Function, Overload, TypingProblem

__all__ = ["FUNCTIONS", "OPERATORS", "UNARY_OPERATORS", "Function", "Overload", "TypingProblem", "overloads"]


def _table() -> dict[str, Function]:
    table: dict[str, Function] = {}
    for family in (logical, numeric, text, dates, record):
        for function in family.FUNCTIONS:
            if function.name in table:  # pragma: no cover - caught by the tests
                raise RuntimeError(f"function {function.name} defined twice")
            table[function.name] = function
    return table


FUNCTIONS = MappingProxyType(_table())
OPERATORS = MappingProxyType(dict(BINARY_OPERATORS))
UNARY_OPERATORS = MappingProxyType(dict(_UNARY))


def overloads() -> dict[str, Overload]:
    """Every overload by key; for a key with optional arguments, the overload taking the most."""
    found: dict[str, Overload] = {}
    for function in (*FUNCTIONS.values(), *OPERATORS.values(), *UNARY_OPERATORS.values()):
        for overload in function.overloads:
            known = found.get(overload.key)
            if known is None or len(overload.params) > len(known.params):
                found[overload.key] = overload
    return found
