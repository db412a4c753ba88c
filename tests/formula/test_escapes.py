"""A regression corpus of escape attempts: each ends in a clean FormulaError, on every backend.

Nothing of Python is reachable from a formula (no attribute access, no calls but the
registered functions, no formatting of text), and every way to make a formula expensive —
nesting, size, exponents, growing text, pathological patterns — ends in a FormulaError from the
parser, the checker, the SQL compiler or the evaluator. In SQL an evaluation error is NULL
(SQL has no portable way to raise), so there the promise is: the query runs, quickly, and the
failing formula is NULL — never a database error.

How long each attempt takes is measured by ``benchmarks/bench_formula.py`` (target: under a
second each), not asserted here.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from formula import (
    FormulaError,
    FormulaEvaluationError,
    FormulaLimitError,
    FormulaSyntaxError,
    FormulaTypeError,
    check,
    compile_python,
    compile_sql,
)
from formula.limits import MAX_LENGTH, MAX_TEXT_LENGTH
from formula_cases import ENV, nested_record, resolver
from formula_sql_harness import Joins, install


def nest(template: str, inner: str, times: int) -> str:
    """``template`` (with ``{}`` for the inner part) applied ``times`` times around ``inner``."""
    for _ in range(times):
        inner = template.format(inner)
    return inner


#: Refused before anything runs: (formula, error class, words of the message).
REFUSED = {
    "dunder field": ("__class__", FormulaTypeError, "unknown field '__class__'"),
    "dunder after a field": ("name.__class__", FormulaTypeError, "not a lookup"),
    "dunder through a lookup": ("owner.__dict__", FormulaTypeError, "unknown field '__dict__'"),
    "dunder on a global": ("$User.__class__", FormulaTypeError, "unknown field '__class__'"),
    "dunder global": ("$__builtins__", FormulaTypeError, "unknown global"),
    "import call": ('__import__("os")', FormulaTypeError, "unknown function __IMPORT__"),
    "eval call": ('eval("1 + 1")', FormulaTypeError, "unknown function EVAL"),
    "exec call": ('exec("x = 1")', FormulaTypeError, "unknown function EXEC"),
    "open call": ('open("/etc/passwd")', FormulaTypeError, "unknown function OPEN"),
    "getattr call": ('getattr(name, "upper")', FormulaTypeError, "unknown function GETATTR"),
    "tuple then attribute": ("().__class__", FormulaSyntaxError, "unexpected ')'"),
    "string then attribute": ('"".__class__', FormulaSyntaxError, "unexpected '.'"),
    "method call": ("name.upper()", FormulaSyntaxError, "unexpected '('"),
    "call of a call": ("TODAY()()", FormulaSyntaxError, "unexpected '('"),
    "subscript": ("name[0]", FormulaSyntaxError, "unexpected character '['"),
    "lambda": ("lambda: 1", FormulaSyntaxError, "unexpected character ':'"),
    "lambda with argument": ("lambda x: x", FormulaSyntaxError, "unexpected 'x'"),
    "python keyword": ("not name", FormulaSyntaxError, "unexpected 'name'"),
    "semicolon": ("1; DROP TABLE item", FormulaSyntaxError, "unexpected character ';'"),
    "sql comment": ("1 -- comment", FormulaTypeError, "unknown field 'comment'"),
    "backquote": ("`id`", FormulaSyntaxError, "unexpected character '`'"),
    "500 nested parentheses": ("(" * 500 + "1" + ")" * 500, FormulaLimitError, "parentheses nest more than"),
    "500 nested calls": (nest("ABS({})", "1", 500), FormulaLimitError, "parentheses nest more than"),
    "500 nested negations": ("-" * 500 + "1", FormulaLimitError, "nests more than"),
    "long chain of operators": ("1" + " + 1" * 900, FormulaLimitError, "nests more than"),
    "4,000 characters": ("1" + "+1" * 1999, FormulaLimitError, f"the limit is {MAX_LENGTH}"),
    "4,000 characters of text": ('"' + "x" * 3998 + '"', FormulaLimitError, f"the limit is {MAX_LENGTH}"),
    "too many parts": ("MAX(" + ",".join(["1"] * 1100) + ")", FormulaLimitError, "more than 1000 parts"),
    "huge number literal": ("1" * 400, FormulaLimitError, "digits"),
    "eleven lookups": ("owner" + ".manager" * 10 + ".name", FormulaLimitError, "the limit is 10"),
    "catastrophic regex anchors": ('REGEX(name, "^(a+)+$")', FormulaTypeError, "anchors are not needed"),
    "back-reference": ('REGEX(name, "(a)\\\\1")', FormulaTypeError, "unsupported escape"),
    "look-ahead": ('REGEX(name, "(?=a)a")', FormulaTypeError, "look-around"),
    "regex too large": ('REGEX(name, "((((a{1,255}){1,255}){1,255}){1,255})")', FormulaTypeError, "too complex"),
    "counted empty repetition": ('REGEX(name, "(a?){255}(a?){255}")', FormulaTypeError, "can match nothing"),
    "regex from a field": ("REGEX(name, note)", FormulaTypeError, "REGEX"),
    "exponential SQL": (nest("ADDMONTHS({}, 1)", "due", 12), FormulaLimitError, "SQL"),
}

#: Checked, but evaluating fails: (formula, words of the evaluator's message).
FAILING = {
    "power tower": ("9 ^ 9 ^ 9", "out of range"),
    "right-nested power tower": ("9 ^ (9 ^ 9)", "out of range"),
    "huge exponent": ("10 ^ 100000", "out of range"),
    "huge exponent of a field": ("qty ^ 1000000000", "out of range"),
    "POWER": ("POWER(2, 1000000000)", "out of range"),
    "EXP": ("EXP(100000)", "out of range"),
    "tiny to a negative power": ("0.0000000001 ^ -100000", "out of range"),
    "division by zero": ("1 / 0", "division by zero"),
    "MOD by zero": ("MOD(qty, 0)", "division by zero"),
    "VALUE of a huge exponent": ('VALUE("1e999999999")', "cannot read"),
    "date far away": ("ADDMONTHS(due, 100000000)", "9999"),
    "date plus a billion days": ("due + 1000000000", "out of range"),
    "LPAD a billion": ('LPAD("x", 1000000000, "ab")', f"limit of {MAX_TEXT_LENGTH}"),
    "RPAD a billion": ("RPAD(name, 999999999)", f"limit of {MAX_TEXT_LENGTH}"),
    "SUBSTITUTE squared": (
        'SUBSTITUTE(LPAD("a", 90000, "a"), "a", LPAD("b", 90000, "b"))',
        f"beyond {MAX_TEXT_LENGTH}",
    ),
    "SUBSTITUTE of fields squared": (
        "SUBSTITUTE(LPAD(name, 90000, name), name, LPAD(name, 90000, name))",
        f"beyond {MAX_TEXT_LENGTH}",
    ),
    "SUBSTITUTE doubling": (nest('SUBSTITUTE({}, "a", "aa")', 'LPAD("a", 1000, "a")', 8), f"beyond {MAX_TEXT_LENGTH}"),
    "nested URLENCODE": (nest("URLENCODE({})", 'LPAD("销", 10000, "销")', 12), f"beyond {MAX_TEXT_LENGTH}"),
    "nested HTMLENCODE": (nest("HTMLENCODE({})", 'LPAD("&", 10000, "&")', 12), f"beyond {MAX_TEXT_LENGTH}"),
    "nested HYPERLINK": (nest('HYPERLINK("u", {})', 'LPAD("<", 20000, "<")', 3), f"beyond {MAX_TEXT_LENGTH}"),
}

#: Checked and evaluated to an ordinary value, the same on every backend: text is never
#: formatted or interpreted, and classic catastrophic patterns run in linear time.
INERT = {
    "format string": ("'{0.__class__}'", "{0.__class__}"),
    "format string through TEXT": ("TEXT('{0.__class__.__mro__}')", "{0.__class__.__mro__}"),
    "percent format": ('"%s%s%n" & name', "%s%s%nAcme 销售易"),
    "template injection": ('"${jndi:ldap://x}" & "{{7*7}}"', "${jndi:ldap://x}{{7*7}}"),
    "python in a string": ('"__import__(\'os\').system(\'id\')"', "__import__('os').system('id')"),
    "sql in a string": ("\"'; DROP TABLE item; --\"", "'; DROP TABLE item; --"),
    "nested quantifiers": ('REGEX(LPAD("a", 5000, "a") & "!", "(a+)+")', False),
    "overlapping alternatives": ('REGEX(LPAD("a", 5000, "a") & "!", "(a|aa)*c")', False),
    "star of stars": ('REGEX(LPAD("a", 99999, "a"), "(a*)*(a*)*(a*)*b")', False),
    "many live states": ('REGEX(LPAD("a", 99999, "a"), ".*a.{200}")', True),
    # A large pattern on a long text: RE2 answers in linear time (it once needed a work budget).
    "regex with much work": (
        'REGEX(LPAD("a", 99999, "a"), ".{0,255}.{0,255}.{0,255}.{0,255}.{0,255}.{0,255}.{0,255}.{0,255}b")',
        False,
    ),
}


@pytest.mark.parametrize(("text", "error", "words"), list(REFUSED.values()), ids=list(REFUSED))
def test_refused_before_running(text, error, words):
    with pytest.raises(FormulaError) as caught:
        checked = check(text, resolver(), object_name="item")
        compile_sql(checked, lambda path: sa.column(path[-1]), dialect="postgresql", env=ENV)
    found = caught.value.errors
    assert any(isinstance(item, error) and words in item.message for item in found), [str(e) for e in found]
    assert all(item.line is not None and item.column is not None for item in found)


@pytest.mark.parametrize(("text", "words"), list(FAILING.values()), ids=list(FAILING))
def test_fails_cleanly_when_evaluated(text, words):
    compiled = compile_python(check(text, resolver(), object_name="item"))
    with pytest.raises(FormulaEvaluationError) as caught:
        compiled(nested_record(), env=ENV)
    assert words in caught.value.message


@pytest.mark.parametrize(("text", "expected"), list(INERT.values()), ids=list(INERT))
def test_inert_in_python(text, expected):
    assert compile_python(check(text, resolver(), object_name="item"))(nested_record(), env=ENV) == expected


#: Where SQL does not give NULL for a failing formula, and why.
SQL_OUTCOMES = {
    # SQL treats a failing part as blank and carries on: the inner links fail, the outer one is built.
    "nested HYPERLINK": {"sqlite": '<a href="u"></a>', "postgresql": '<a href="u"></a>'},
}


def test_sql_backend_runs_every_attempt_that_compiles(engine):
    tables = install(engine)
    dialect = engine.dialect.name
    outcomes = {}
    failing = {name: (text, SQL_OUTCOMES.get(name, {}).get(dialect)) for name, (text, _) in FAILING.items()}
    with engine.connect() as connection:
        for name, (text, expected) in {**failing, **INERT}.items():
            joins = Joins(tables)
            compiled = compile_sql(check(text, resolver(), object_name="item"), joins, dialect=engine.dialect, env=ENV)
            query = sa.select(compiled.expression).select_from(joins.source).where(tables["item"].c.id == "i1")
            try:
                value = connection.execute(query).scalar_one()
            except sa.exc.DBAPIError as exc:  # the failure this test exists to catch
                connection.rollback()
                value = f"database error: {str(exc.orig).splitlines()[0]}"
            if value != expected:
                outcomes[name] = value
    assert outcomes == {}
