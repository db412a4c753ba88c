"""The formula language: grammar, type checker, Python evaluator, SQL compiler.

Typical use::

    checked = formula.check("amount * 0.1", resolver, object_name="deal", context="field")
    checked.type                                  # currency
    formula.compile_python(checked)({"amount": 100})   # Decimal('10.0')
    formula.compile_sql(checked, columns, dialect="postgresql").expression
    formula.dependencies(checked).paths            # {("amount",)}
    formula.shared_cache().check("amount * 0.1", resolver, object_name="deal")  # checked once per schema version

This package imports nothing from the other layers: objects and fields come through a
:class:`SchemaResolver` that the metadata layer implements.
"""

from formula.ast import Span, Typed
from formula.cache import FormulaCache, shared_cache
from formula.checker import BLANK_MODES, CONTEXTS, CheckedFormula, check
from formula.dependencies import Dependencies, dependencies
from formula.errors import (
    FormulaCompileError,
    FormulaError,
    FormulaErrors,
    FormulaEvaluationError,
    FormulaLimitError,
    FormulaSyntaxError,
    FormulaTypeError,
)
from formula.evaluator import CompiledFormula, compile_python
from formula.functions import FUNCTIONS
from formula.parser import grammar, parse
from formula.schema import DictResolver, SchemaResolver
from formula.sql import ColumnResolver, CompiledSQL, compile_sql, register_sqlite_functions
from formula.types import (
    BOOLEAN,
    CURRENCY,
    DATE,
    DATETIME,
    MULTIPICKLIST,
    NULL,
    NUMBER,
    PERCENT,
    PICKLIST,
    TEXT,
    TIME,
    FormulaType,
    Kind,
    currency,
    number,
    parse_type,
    percent,
    reference,
)

__all__ = [
    "BLANK_MODES",
    "BOOLEAN",
    "CONTEXTS",
    "CURRENCY",
    "DATE",
    "DATETIME",
    "FUNCTIONS",
    "MULTIPICKLIST",
    "NULL",
    "NUMBER",
    "PERCENT",
    "PICKLIST",
    "TEXT",
    "TIME",
    "CheckedFormula",
    "ColumnResolver",
    "CompiledFormula",
    "CompiledSQL",
    "Dependencies",
    "FormulaCache",
    "DictResolver",
    "FormulaCompileError",
    "FormulaError",
    "FormulaErrors",
    "FormulaEvaluationError",
    "FormulaLimitError",
    "FormulaSyntaxError",
    "FormulaType",
    "FormulaTypeError",
    "Kind",
    "SchemaResolver",
    "Span",
    "Typed",
    "check",
    "compile_python",
    "compile_sql",
    "currency",
    "dependencies",
    "grammar",
    "number",
    "parse",
    "parse_type",
    "percent",
    "reference",
    "register_sqlite_functions",
    "shared_cache",
]
