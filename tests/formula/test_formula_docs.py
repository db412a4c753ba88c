"""docs/formulas.md keeps up with the engine: every function, operator, context and limit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from formula import CONTEXTS, FUNCTIONS
from formula import limits
from formula.functions import OPERATORS, UNARY_OPERATORS

DOC = (Path(__file__).parents[2] / "docs" / "formulas.md").read_text(encoding="utf-8")
DOCUMENTED_SIGNATURES = set(re.findall(r"^\| `([A-Z_]+\(.*?\))` \|", DOC, re.MULTILINE))


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_every_function_has_a_row_with_its_signature(name):
    assert FUNCTIONS[name].signature in DOCUMENTED_SIGNATURES, f"docs/formulas.md lacks a row for {name}"


def test_no_row_for_a_function_that_does_not_exist():
    registered = {function.signature for function in FUNCTIONS.values()}
    assert sorted(DOCUMENTED_SIGNATURES - registered) == []


@pytest.mark.parametrize("symbol", [*OPERATORS, *UNARY_OPERATORS, "&&", "||", "!", "==", "!="])
def test_every_operator_is_documented(symbol):
    escaped = symbol.replace("|", "\\|")
    assert f"`a {escaped} b`" in DOC or f"`{escaped}a`" in DOC or f" {escaped} b`" in DOC or f"`{escaped}`" in DOC


@pytest.mark.parametrize("context", CONTEXTS)
def test_every_context_is_documented(context):
    assert f"| `{context}` |" in DOC


@pytest.mark.parametrize(
    "figure",
    [
        f"{limits.MAX_LENGTH:,} characters",
        f"{limits.MAX_DEPTH} levels",
        f"{limits.MAX_NODES:,}",
        f"| {limits.MAX_PATH_HOPS} |",
        f"| {limits.MAX_NUMBER_DIGITS} |",
        f"{limits.MAX_TEXT_LENGTH:,} characters",
        f"{limits.MAX_SQL_LENGTH:,} characters",
        f"{limits.MAX_SQL_ELEMENTS:,} expression elements",
    ],
)
def test_limits_match_the_engine(figure):
    assert figure in DOC
