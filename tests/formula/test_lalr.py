"""The fast LALR driver builds exactly the tree Lark's parser builds, and steps aside otherwise."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from formula.lalr import Fallback
from formula.parser import _Builder, _check_tree_size, _fast_parser, grammar
from formula_cases import GOLDEN
from test_properties import FORMULAS


def through_lark(text: str):
    tree = grammar().parse(text)
    _check_tree_size(text, tree)
    return _Builder(text).build(tree)


def through_fast_path(text: str):
    builder = _Builder(text)
    return _fast_parser().parse(text, builder.number, builder.unescape)


SHAPES = [
    "(a + b) * c",
    "((a))",
    "-(1)",
    "- - 1",
    "!a && !(b || c)",
    "f(\n  a,\n  (b) )",
    "a\n+\n(b\n*c)",
    "owner.manager.name",
    "owner . manager",
    "$User.department.name",
    "$Today",
    "TRUE && null || False",
    "F()",
    "/* c */ 1 /* d */ + 2",
    "'it\\'s' & \"\\u00e9\\n\"",
    "a != b",
    "a == b",
    "1 <= 2",
    "2 ^ 3 ^ 2",
    "-2 ^ 2",
    ".5 + 1.25",
    "IF(a, b, c)",
]


@pytest.mark.parametrize("text", SHAPES + [text for text, _ in GOLDEN])
def test_same_tree_as_lark(text):
    assert through_fast_path(text) == through_lark(text)


@settings(max_examples=300, deadline=None)
@given(FORMULAS)
def test_same_tree_as_lark_on_generated_formulas(text):
    assert through_fast_path(text) == through_lark(text)


@pytest.mark.parametrize(
    "text",
    [
        "1 +",
        "(1",
        "a b",
        "1 < 2 < 3",
        "#",
        '"open',
        "f(1,)",
        "-" * 150 + "1",  # deeper than the tree limit
        "+".join(["1"] * 600),
    ],
)
def test_steps_aside_for_what_it_does_not_parse(text):
    with pytest.raises(Fallback):
        through_fast_path(text)
