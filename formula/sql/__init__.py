"""The SQL backend: :func:`compile_sql`, and the SQLite function hook the runtime installs."""

from formula.sql.compiler import ColumnResolver, CompiledSQL, FormulaValueType, compile_sql, from_sql
from formula.sql.sqlite import register_sqlite_functions

__all__ = [
    "ColumnResolver",
    "CompiledSQL",
    "FormulaValueType",
    "compile_sql",
    "from_sql",
    "register_sqlite_functions",
]
