"""The Python backend: record context, nulls, blank-as-zero, bad data, sandboxing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from formula import FormulaEvaluationError, check, compile_python, dependencies
from formula_cases import RECORD, resolver

UTC = dt.timezone.utc


def run(text: str, record=None, *, context=None, blank_as="blank", **options):
    checked = check(text, resolver(), object_name="item", context=context, blank_as=blank_as)
    return compile_python(checked)(RECORD if record is None else record, **options)


def test_ischanged_and_priorvalue_compare_with_the_prior_record():
    before = dict(RECORD, qty=Decimal(2), note="")
    assert run("ISCHANGED(qty)", prior=before, context="validation") is True
    assert run("ISCHANGED(amount)", prior=before, context="validation") is False
    assert run("ISCHANGED(note)", prior=before, context="validation") is False  # blank == ""
    assert run("PRIORVALUE(qty) + 0", prior=before) == Decimal(2)


def test_new_records_have_no_prior_values():
    assert run("ISNEW()", context="validation") is True
    assert run("ISNEW()", prior=RECORD, context="validation") is False
    assert run("ISCHANGED(qty)", context="validation") is False
    assert run("PRIORVALUE(qty) + 0") == Decimal(3)
    assert run("ISNEW()", prior=RECORD, is_new=True, context="rule") is True


def test_globals_come_from_env_flat_or_nested():
    assert run("$User.department", env={"$User.department": "Ops"}) == "Ops"
    assert run("$User.department", env={"$User": {"department": "HR"}}) == "HR"
    assert run("ISBLANK($User.department)") is True


def test_clock_defaults_to_now_and_is_one_instant_per_evaluation():
    before = dt.datetime.now(UTC)
    value = run("NOW()")
    assert before <= value <= dt.datetime.now(UTC)
    assert run("NOW() = NOW()") is True
    assert run("TODAY()", env={"$Now": "2024-01-02T03:04:05Z"}) == dt.date(2024, 1, 2)
    assert run("$Today", env={"$Today": "2030-12-31"}) == dt.date(2030, 12, 31)


@pytest.mark.parametrize(
    ("text", "blank", "zero"),
    [
        ("blank_num + 1", None, Decimal(1)),
        ("blank_num * 2 > -1", False, True),
        ("ISBLANK(blank_num)", True, False),
        ("MAX(blank_num, 2)", None, Decimal(2)),
    ],
)
def test_blank_numbers_stay_blank_unless_treated_as_zero(text, blank, zero):
    assert run(text) == blank
    assert run(text, blank_as="zero") == zero


def test_text_blank_and_empty_are_the_same():
    assert run('note & ""') is None
    assert run("LEN(note)") == Decimal(0)
    assert run('IF(TRUE, "", "x")') is None
    assert run('note = ""', record=dict(RECORD, note="")) is True


def test_null_in_boolean_position_is_false():
    assert run("IF(flag, 1, 2)") == Decimal(2)
    assert run("AND(blank_num > 1, TRUE)") is False
    assert run("OR(NOT(blank_num > 1), FALSE)") is True


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"qty": "three"}, "qty holds 'three', not a number"),
        ({"qty": True}, "not a number"),
        ({"qty": float("nan")}, "not a number"),
        ({"due": "soon"}, "due holds 'soon', not a date"),
        ({"active": "maybe"}, "not a checkbox value"),
    ],
)
def test_bad_record_values_are_evaluation_errors(record, message):
    text = {"qty": "qty + 1", "due": "due + 1", "active": "IF(active, 1, 0)"}[next(iter(record))]
    with pytest.raises(FormulaEvaluationError, match=message):
        run(text, record=dict(RECORD, **record))


def test_record_values_of_many_shapes_are_read():
    record = dict(
        RECORD,
        qty=3,
        amount=0.1,
        due="2024-01-31",
        created=dt.datetime(2024, 3, 10, 22, 30, 15, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        tags="a;b",
        active=1,
    )
    assert run("amount * 3 = 0.3", record=record) is True
    assert run("qty / 2", record=record) == Decimal("1.5")
    assert run("DAY(due)", record=record) == Decimal(31)
    assert run("HOUR(created)", record=record) == Decimal(14)
    assert run('INCLUDES(tags, "b")', record=record) is True
    assert run("active", record=record) is True


def test_evaluation_errors_point_at_the_failing_call():
    with pytest.raises(FormulaEvaluationError) as info:
        run("qty + 10 / (qty - 3)")
    err = info.value
    assert err.message == "division by zero"
    assert (err.start, err.end, err.column) == (6, 20, 7)


def test_lazy_branches_are_not_evaluated():
    assert run("IF(qty = 3, 0, 1 / 0)") == Decimal(0)
    assert run("AND(FALSE, 1 / 0 > 1)") is False
    assert run("OR(TRUE, 1 / 0 > 1)") is True
    assert run("BLANKVALUE(qty, 1 / 0)") == Decimal(3)
    assert run('CASE(qty, 3, 1, 1 / 0)') == Decimal(1)


def test_decimal_context_of_the_caller_is_not_used():
    import decimal

    with decimal.localcontext(decimal.Context(prec=3)):
        assert run("1.23456 + 1") == Decimal("2.23456")


def test_dependencies():
    deps = dependencies(
        check(
            "IF(ISCHANGED(qty), owner.manager.name, $User.name) & TEXT(TODAY())",
            resolver(),
            object_name="item",
        )
    )
    assert deps.paths == {("qty",), ("owner", "manager", "name")}
    assert deps.fields == {"qty", "owner"}
    assert deps.lookups == {("owner",), ("owner", "manager")}
    assert deps.globals == {"$User.name"}
    assert deps.prior_fields == {"qty"}
    assert deps.reads_clock and deps.reads_save_context and deps.cross_object


def test_dependencies_of_a_plain_formula():
    deps = dependencies(check("amount * 2", resolver(), object_name="item"))
    assert deps.paths == {("amount",)} and not deps.reads_clock and not deps.cross_object
