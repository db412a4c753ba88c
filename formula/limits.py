"""Size limits that keep every formula cheap to parse, check, evaluate and compile."""

from __future__ import annotations

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NODES",
    "MAX_NUMBER_DIGITS",
    "MAX_PATH_HOPS",
    "MAX_SQL_ELEMENTS",
    "MAX_SQL_LENGTH",
    "MAX_TEXT_LENGTH",
]

#: Characters in a formula's text (Salesforce's limit).
MAX_LENGTH = 3900
#: Nesting of parentheses, and depth of the syntax tree (operators chain left to right, so
#: ``a & b & c …`` counts one level per operator).
MAX_DEPTH = 100
#: Nodes in the syntax tree.
MAX_NODES = 1000
#: Lookups followed by a cross-object path (``a.b.c`` follows two).
MAX_PATH_HOPS = 10
#: Digits in a number literal.
MAX_NUMBER_DIGITS = 30
#: Characters of SQL one compiled formula may produce.
MAX_SQL_LENGTH = 200_000
#: SQL expression elements (columns, operators, literals…) counted while compiling, with shared
#: parts counted each time they appear: some functions repeat their argument in the SQL, so
#: nesting them grows the SQL exponentially, and this stops the compiler before it renders it.
MAX_SQL_ELEMENTS = 40_000
#: Characters a text value may grow to during evaluation (LPAD, SUBSTITUTE…).
MAX_TEXT_LENGTH = 100_000
