"""The golden table: every function and operator, through the evaluator and through SQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from formula import FormulaEvaluationError, check, compile_python, compile_sql
from formula_cases import ENV, ERROR, GOLDEN, RECORD, nested_record, resolver
from formula_sql_harness import Joins, install


def _checked(text: str):
    return check(text, resolver(), object_name="item")


@pytest.mark.parametrize(("text", "expected"), GOLDEN, ids=[row[0] for row in GOLDEN])
def test_python_backend(text, expected):
    compiled = compile_python(_checked(text))
    if expected is ERROR:
        with pytest.raises(FormulaEvaluationError):
            compiled(nested_record(), env=ENV)
        return
    value = compiled(nested_record(), env=ENV)
    assert value == expected
    assert type(value) is type(expected) or expected is None


def test_python_backend_reads_flat_prefetched_paths():
    record = dict(RECORD, **{"owner.name": "Ann", "owner.manager.name": "Bob"})
    compiled = compile_python(_checked('owner.name & "/" & owner.manager.name'))
    assert compiled(record) == "Ann/Bob"


def test_sql_backend_matches_golden_table(engine):
    tables = install(engine)
    mismatches = []
    with engine.connect() as connection:
        for text, expected in GOLDEN:
            joins = Joins(tables)
            compiled = compile_sql(_checked(text), joins, dialect=engine.dialect, env=ENV)
            query = sa.select(compiled.expression).select_from(joins.source).where(tables["item"].c.id == "i1")
            try:
                value = connection.execute(query).scalar_one()
            except sa.exc.DBAPIError as exc:
                connection.rollback()
                mismatches.append(f"{text}: {str(exc.orig).splitlines()[0]}")
                continue
            wanted = None if expected is ERROR else expected
            if value != wanted or (wanted is not None and type(value) is not type(wanted)):
                mismatches.append(f"{text}: got {value!r}, expected {wanted!r}")
    assert mismatches == []


def test_every_function_and_operator_has_a_golden_row():
    from formula.functions import FUNCTIONS

    texts = " ".join(text.upper() for text, _ in GOLDEN)
    python_only = {"ISNEW", "ISCHANGED", "PRIORVALUE"}
    missing = [name for name in FUNCTIONS if name not in python_only and f"{name}(" not in texts]
    assert missing == []
    for symbol in ["+", "-", "*", "/", "^", "&", "=", "==", "<>", "!=", "<", ">", "<=", ">=", "&&", "||", "!"]:
        assert any(symbol in text for text, _ in GOLDEN), symbol
