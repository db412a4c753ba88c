"""Parsing: precedence, literals, positions, syntax errors with hints, size limits."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from formula import FormulaLimitError, FormulaSyntaxError, grammar, parse
from formula.ast import Binary, Call, FieldRef, GlobalRef, Literal, Unary


def shape(node) -> str:
    """A compact, fully parenthesised rendering of a syntax tree."""
    if isinstance(node, Literal):
        return repr(node.value) if node.kind == "text" else str(node.value)
    if isinstance(node, FieldRef):
        return ".".join(node.path)
    if isinstance(node, GlobalRef):
        return ".".join((node.name, *node.path))
    if isinstance(node, Unary):
        return f"({node.op}{shape(node.operand)})"
    if isinstance(node, Binary):
        return f"({shape(node.left)} {node.op} {shape(node.right)})"
    if isinstance(node, Call):
        return f"{node.name}({', '.join(shape(a) for a in node.args)})"
    raise AssertionError(node)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", "(1 + (2 * 3))"),
        ("1 - 2 - 3", "((1 - 2) - 3)"),
        ("2 ^ 3 ^ 2", "((2 ^ 3) ^ 2)"),
        ("-2 ^ 2", "((-2) ^ 2)"),
        ("2 ^ -1", "(2 ^ (-1))"),
        ("a & b + c", "((a & b) + c)"),
        ("a + b = c * d", "((a + b) = (c * d))"),
        ("a = b && c <> d || e", "(((a = b) && (c <> d)) || e)"),
        ("a || b && c", "(a || (b && c))"),
        ("!a && b", "((!a) && b)"),
        ("a == b", "(a = b)"),
        ("a != b", "(a <> b)"),
        ("(1 + 2) * 3", "((1 + 2) * 3)"),
        ("if(a, 1, 2)", "IF(a, 1, 2)"),
        ("Today()", "TODAY()"),
        ("TRUE", "True"),
        ("false", "False"),
        ("Null", "None"),
        ("true_value", "true_value"),
        ("owner.manager.name", "owner.manager.name"),
        ("$User.department", "$User.department"),
        ("$Today", "$Today"),
        ("1 /* a comment */ + 2", "(1 + 2)"),
        ("1 +\n  2", "(1 + 2)"),
        (".5 + 1.25", "(0.5 + 1.25)"),
    ],
)
def test_precedence_and_shapes(text, expected):
    assert shape(parse(text)) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (r'"a\"b"', 'a"b'),
        (r"'it\'s'", "it's"),
        (r'"tab\tnew\nline"', "tab\tnew\nline"),
        (r'"back\\slash"', "back\\slash"),
        (r'"\u00e9"', "é"),
        ('"销售易"', "销售易"),
    ],
)
def test_string_escapes(text, value):
    assert parse(text).value == value


def test_numbers_are_exact_decimals():
    node = parse("0.1")
    assert node.value == Decimal("0.1") and isinstance(node.value, Decimal)


def test_spans_point_into_the_text():
    node = parse("1 +\n  foo(2)")
    call = node.right
    assert (call.span.line, call.span.column, call.span.start, call.span.end) == (2, 3, 6, 12)
    assert call.name_span.end == 9


@pytest.mark.parametrize(
    ("text", "line", "column", "message", "hint"),
    [
        ("a < b < c", 1, 7, "unexpected '<'", "comparisons cannot be chained"),
        ('LEFT("abc", 2', 1, 14, "ends too early", "add ')'"),
        ("1 +", 1, 4, "ends too early", "operand"),
        ('"abc', 1, 1, "unterminated string", 'close the string with "'),
        ("1 /* open", 1, 3, "unterminated comment", "*/"),
        ("foo().__class__", 1, 6, "unexpected '.'", "no attributes"),
        ("(1 + 2))", 1, 8, "unexpected ')'", "unbalanced"),
        ("a[0]", 1, 2, "unexpected character '['", "( )"),
        ("f(a; b)", 1, 4, "unexpected character ';'", "','"),
        ('"\\q"', 1, 2, "unknown escape \\q", "known escapes"),
        ("1 +\n  * 2", 2, 3, "unexpected '*'", None),
        ("", 1, 1, "formula is empty", None),
        ("/* only */", 1, 1, "formula is empty", None),
    ],
)
def test_syntax_errors_carry_position_message_and_hint(text, line, column, message, hint):
    with pytest.raises(FormulaSyntaxError) as info:
        parse(text)
    err = info.value
    assert (err.line, err.column) == (line, column)
    assert message in err.message
    if hint:
        assert hint in err.hint
    assert err.start is not None and err.end is not None
    assert f"{line}:{column}: " in err.describe()


def test_describe_shows_a_caret_under_the_problem():
    with pytest.raises(FormulaSyntaxError) as info:
        parse("amount +\n  + * 3")
    assert info.value.describe().splitlines()[1:3] == ["  + * 3", "    ^"]


def test_formula_length_is_limited():
    with pytest.raises(FormulaLimitError, match="3901 characters"):
        parse("1" + " " * 3900)


@pytest.mark.parametrize("text", ["(" * 500 + "1" + ")" * 500, "-" * 500 + "1", "!" * 500 + "TRUE", "1" + "+1" * 1000])
def test_deep_or_large_input_ends_in_a_clean_error_quickly(text):
    started = time.perf_counter()
    with pytest.raises((FormulaLimitError, FormulaSyntaxError)):
        parse(text)
    assert time.perf_counter() - started < 1.0


def test_long_number_literal_is_refused():
    with pytest.raises(FormulaLimitError, match="digits"):
        parse("1" * 31)


def test_grammar_is_built_once():
    assert grammar() is grammar()


def test_non_text_is_refused():
    with pytest.raises(FormulaSyntaxError):
        parse(42)
