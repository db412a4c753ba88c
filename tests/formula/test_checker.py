"""Type checking: result types, the numeric tower, errors with hints, contexts, several errors."""

from __future__ import annotations

import pytest

from formula import (
    BOOLEAN,
    CURRENCY,
    FormulaError,
    FormulaErrors,
    FormulaLimitError,
    FormulaTypeError,
    TEXT,
    DictResolver,
    check,
    currency,
    number,
    reference,
)
from formula_cases import resolver


def type_of(text: str, **options) -> str:
    return str(check(text, resolver(), object_name="item", **options).type)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", "number(0)"),
        ("1.25", "number(2)"),
        ("1.5 + 2.25", "number(2)"),
        ("1.5 * 2.25", "number(3)"),
        ("amount", "currency(2)"),
        ("amount * 2", "currency(2)"),
        ("amount * rate", "currency(4)"),
        ("amount + qty", "currency(2)"),
        ("amount / qty", "currency"),
        ("amount / amount", "number"),
        ("rate + rate", "percent(2)"),
        ("rate * qty", "number(2)"),
        ("-amount", "currency"),
        ("ABS(amount)", "currency"),
        ("MAX(amount, 1)", "currency"),
        ("ROUND(qty / 3, 2)", "number"),
        ("due - due", "number(0)"),
        ("due + 1", "date"),
        ("created - created", "number"),
        ("created + 1", "datetime"),
        ('"a" & name', "text"),
        ("qty > 1", "boolean"),
        ("IF(active, amount, NULL)", "currency(2)"),
        ("IF(active, 1, amount)", "currency(2)"),
        ("CASE(stage, \"a\", due, NULL)", "date"),
        ("owner", "reference(person)"),
        ("owner.manager", "reference(person)"),
        ("owner.manager.name", "text"),
        ("$User.department", "text"),
        ("$Today", "date"),
        ("$now", "datetime"),
        ("stage", "picklist"),
        ("tags", "multipicklist"),
        ("NULL", "null"),
        ("TEXT(stage)", "text"),
        ("BLANKVALUE(blank_num, 0)", "number(2)"),
        ("start_time", "time"),
    ],
)
def test_result_types(text, expected):
    assert type_of(text) == expected


@pytest.mark.parametrize(
    ("text", "message", "hint", "column"),
    [
        ("clse_date + 1", "unknown field 'clse_date' on item", None, 1),
        ("amout * 2", "unknown field 'amout' on item", "did you mean 'amount'?", 1),
        ("Amount * 2", "unknown field 'Amount'", "did you mean 'amount'?", 1),
        ("owner.nmae", "unknown field 'nmae' on 'owner' (person)", "did you mean 'name'?", 7),
        ("name.first", "'name' is a text field, not a lookup", None, 6),
        ("LEFTT(name, 2)", "unknown function LEFTT", "did you mean LEFT?", 1),
        ("LEFT(name)", "LEFT does not take 1 argument", "LEFT(text, count)", 1),
        ("LEFT(stage, 2)", "LEFT cannot take (picklist, number(0))", "TEXT(field)", 1),
        ('stage = "Won"', "picklist values cannot be compared", "ISPICKVAL", 1),
        ("stage & \"x\"", "'&' cannot join a picklist", "TEXT(field)", 1),
        ("name + 1", "'+' cannot combine text and number(0)", "TEXT(value)", 1),
        ("name - 1", "'-' cannot combine text and number(0)", "VALUE(text)", 1),
        ("amount = NULL", "comparing with NULL is never true", "ISBLANK", 1),
        ('IF(qty, 1, 2)', "IF condition must be boolean", None, 4),
        ('IF(active, 1, "a")', "IF branches have different types", None, 15),
        ('name < "b"', "'<' cannot combine text and text", None, 1),
        ("$Foo.id", "unknown global '$Foo'", "$User.id", 1),
        ("$User.nam", "unknown field 'nam' on person", "did you mean 'name'?", 7),
        ("$User", "write a field of $User", None, 1),
        ('REGEX(name, code)', "REGEX needs its pattern written as a text literal", None, 13),
        ('REGEX(name, "a(b")', "bad REGEX pattern: missing ')'", None, 13),
        ('REGEX(name, "(?=x)")', "look-around", None, 13),
        ('DATETIME_DIFF(created, created, "months")', "DATETIME_DIFF needs a unit", '"seconds"', 33),
        ('CASE(stage, 1, "a", "b")', "CASE value number(0) does not match", None, 13),
        ("CASE(qty, 1, 2)", "CASE takes an expression", None, 1),
        ("IFS(active, 1)", "IFS takes condition/value pairs", None, 1),
        ("PRIORVALUE(owner.name)", "PRIORVALUE needs a field of this object", None, 12),
        ("+name", "'+' needs a number", None, 1),
    ],
)
def test_type_errors_have_message_hint_and_position(text, message, hint, column):
    with pytest.raises(FormulaTypeError) as info:
        check(text, resolver(), object_name="item")
    err = info.value
    assert message in err.message
    if hint:
        assert hint in (err.hint or "")
    assert (err.line, err.column) == (1, column)


def test_several_errors_are_reported_together_in_text_order():
    with pytest.raises(FormulaErrors) as info:
        check("IF(amout > 1, clse, LEFTT(name, 1))", resolver(), object_name="item")
    errors = info.value.errors
    assert [e.message.split(" on ")[0] for e in errors] == [
        "unknown field 'amout'",
        "unknown field 'clse'",
        "unknown function LEFTT",
    ]
    assert [e.column for e in errors] == [4, 15, 21]
    assert all(isinstance(e, FormulaError) for e in errors)
    assert len(info.value.describe().splitlines()) >= 9


def test_an_error_does_not_cascade_into_its_parents():
    with pytest.raises(FormulaTypeError) as info:
        check("LEFT(nmae, 2) & \"x\" = \"y\"", resolver(), object_name="item")
    assert len(info.value.errors) == 1


def test_single_error_has_errors_tuple_of_itself():
    with pytest.raises(FormulaError) as info:
        check("nmae", resolver(), object_name="item")
    assert info.value.errors == (info.value,)


@pytest.mark.parametrize(
    ("text", "context", "message"),
    [
        ("ISCHANGED(amount)", "field", "ISCHANGED is not available in formula fields"),
        ("ISNEW()", "default", "ISNEW is not available in default values"),
        ("PRIORVALUE(amount) > 1", "field", "PRIORVALUE is not available"),
        ("owner.name", "default", "default values cannot reference other records' fields"),
        ("amount * 2", "validation", "formula returns currency\\(2\\), but validation rule needs boolean"),
        ('"x"', "rule", "needs boolean"),
    ],
)
def test_context_rules(text, context, message):
    with pytest.raises(FormulaTypeError, match=message):
        check(text, resolver(), object_name="item", context=context)


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("ISCHANGED(amount) && amount > 100", "validation"),
        ("AND(NOT(ISNEW()), PRIORVALUE(qty) > qty)", "rule"),
        ("amount * 2", "field"),
        ("$User.department", "default"),
        ("TODAY() + 30", "default"),
    ],
)
def test_context_allows(text, context):
    check(text, resolver(), object_name="item", context=context)


def test_expected_type_for_defaults():
    check("100", resolver(), object_name="item", context="default", expected_type=CURRENCY)
    with pytest.raises(FormulaTypeError, match="needs text"):
        check("100", resolver(), object_name="item", context="default", expected_type=TEXT)
    check("NULL", resolver(), object_name="item", context="default", expected_type=BOOLEAN)


def test_path_hops_are_limited():
    chain = ".".join(["manager"] * 11)
    with pytest.raises(FormulaLimitError, match="follows 12 lookups"):
        check(f"owner.{chain}.name", resolver(), object_name="item")
    check("owner." + ".".join(["manager"] * 8) + ".name", resolver(), object_name="item")


def test_without_object_fields_are_unknown():
    with pytest.raises(FormulaTypeError, match="no object"):
        check("amount", DictResolver({}))


def test_bad_options_are_programming_errors():
    with pytest.raises(ValueError):
        check("1", context="formula")
    with pytest.raises(ValueError):
        check("1", blank_as="nothing")


def test_dict_resolver_accepts_types_and_strings():
    r = DictResolver({"x": {"a": currency(2), "b": "reference(x)", "c": "number(3)"}}, {"$Me": "x"})
    assert r.field_type("x", "a") == currency(2)
    assert r.field_type("x", "b") == reference("x")
    assert r.field_type("x", "c") == number(3)
    assert r.global_object("$me") == "x"
    assert r.field_type("x", "zz") is None and list(r.field_names("nope")) == []


@pytest.mark.parametrize(
    ("text", "scale"),
    [("7", 0), ("1.5", 1), ("1.50", 2), (".25", 2), ("00012.30", 2), ("0.000", 3), ("0.0000001", 7), ("0.0000000", 7)],
)
def test_a_number_literal_has_the_scale_it_is_written_with(text, scale):
    # 0.0000001 prints as 1E-7: the scale then comes from the exponent
    assert check(text).type == number(scale)
