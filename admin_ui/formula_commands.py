"""``tessera formula …``: check and evaluate formulas from the terminal.

``check`` prints the formula's result type; ``eval`` prints its value as JSON. Both print
``line:col: message``, a caret excerpt and a hint on stderr and exit 1 when the formula is wrong.

Without ``--object``, field types are inferred from the ``--record`` JSON: ``true``/``false`` →
checkbox, numbers → number, ``"YYYY-MM-DD"`` → date, ``"YYYY-MM-DDTHH:MM:SS[.f](Z|±HH:MM)"`` →
datetime, ``"HH:MM:SS"`` → time, other strings → text, lists of strings → multi-picklist, nested
objects → a lookup whose fields are inferred the same way (``owner.name``), ``null`` → blank of
any type.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NoReturn

import typer

from formula import (
    CONTEXTS,
    DictResolver,
    FormulaError,
    FormulaType,
    check,
    compile_python,
)
from formula import types as formula_types
from formula.values import format_decimal

app = typer.Typer(help="Check and evaluate formulas.", no_args_is_help=True)

_RECORD_OBJECT = "record"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?\Z")
_TIME = re.compile(r"\d{2}:\d{2}:\d{2}(\.\d+)?\Z")


class _UsageProblem(Exception):
    """A bad option value: printed as ``error: …`` with exit status 1."""


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _report(exc: FormulaError) -> NoReturn:
    typer.echo(exc.describe(), err=True)
    raise typer.Exit(1)


def _load_json(text: str | None, option: str) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise _UsageProblem(f"{option} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise _UsageProblem(f"{option} must be a JSON object such as '{{\"amount\": 10}}'")
    return value


def _infer(value: Any, objects: dict[str, dict[str, FormulaType]], name: str, blank: FormulaType) -> FormulaType:
    if isinstance(value, bool):
        return formula_types.BOOLEAN
    if isinstance(value, int | Decimal):
        return formula_types.NUMBER
    if isinstance(value, str):
        if _DATE.match(value):
            return formula_types.DATE
        if _DATETIME.match(value):
            return formula_types.DATETIME
        if _TIME.match(value):
            return formula_types.TIME
        return formula_types.TEXT
    if isinstance(value, list):
        return formula_types.MULTIPICKLIST
    if isinstance(value, Mapping):
        _infer_object(value, objects, name, blank)
        return formula_types.reference(name)
    return blank


def _infer_object(
    record: Mapping[str, Any], objects: dict[str, dict[str, FormulaType]], name: str, blank: FormulaType
) -> None:
    fields: dict[str, FormulaType] = {}
    objects[name] = fields
    for field, value in record.items():
        fields[field] = _infer(value, objects, f"{name}.{field}", blank)


def _inferred_resolver(record: Mapping[str, Any] | None, blank_as: str) -> DictResolver:
    """Field types from JSON values; ``null`` is a number under ``--blank-as zero``, else untyped."""
    objects: dict[str, dict[str, FormulaType]] = {}
    blank = formula_types.NUMBER if blank_as == "zero" else formula_types.NULL
    _infer_object(record or {}, objects, _RECORD_OBJECT, blank)
    return DictResolver(objects)


def _object_resolver(object_name: str):
    try:
        from metadata.registry import standard_resolver
    except ImportError:
        raise _UsageProblem("object metadata is not available (metadata.registry is missing)") from None
    try:
        resolver = standard_resolver()
    except Exception as exc:  # the metadata layer's own errors: report them, never a traceback
        raise _UsageProblem(f"object metadata could not be loaded: {exc}") from None
    if not list(resolver.field_names(object_name)):
        raise _UsageProblem(f"unknown object {object_name!r}")
    return resolver


def _checked(expression: str, object_name: str | None, context: str | None, record, blank_as: str = "blank"):
    if context is not None and context not in CONTEXTS:
        raise _UsageProblem(f"--context must be one of {', '.join(CONTEXTS)}")
    if object_name:
        resolver, target = _object_resolver(object_name), object_name
    else:
        resolver, target = _inferred_resolver(record, blank_as), _RECORD_OBJECT
    return check(expression, resolver, object_name=target, context=context, blank_as=blank_as)


def _clock(time_zone: str) -> dict[str, Any]:
    """The clock globals of one evaluation: now, and today's date in ``time_zone`` (as a site does)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _UsageProblem(f"--time-zone: '{time_zone}' is not a time zone; use an IANA name such as Asia/Shanghai") from None
    now = dt.datetime.now(dt.timezone.utc)
    return {"$Now": now, "$Today": now.astimezone(zone).date()}


def to_json(value: Any) -> str:
    """A formula value as JSON: exact decimal numbers, ISO dates, UTC datetimes ending in Z."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.timezone.utc) if value.tzinfo else value
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        if value.microsecond:
            text += f".{value.microsecond:06d}".rstrip("0")
        return json.dumps(text + "Z")
    if isinstance(value, dt.date):
        return json.dumps(value.isoformat())
    if isinstance(value, dt.time):
        return json.dumps(value.strftime("%H:%M:%S"))
    if isinstance(value, tuple | list):
        return "[" + ", ".join(to_json(item) for item in value) + "]"
    if isinstance(value, int | str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(str(value), ensure_ascii=False)


# A formula may start with '-' ("-amount"): read it as the formula, not as an unknown option.
_FORMULA_ARGUMENT = {"ignore_unknown_options": True}


@app.command("check", context_settings=_FORMULA_ARGUMENT)
def check_command(
    expression: str = typer.Argument(..., help="The formula text."),
    object_name: str = typer.Option(None, "--object", help="The object the formula belongs to."),
    context: str = typer.Option(None, "--context", help="field, validation, default or rule."),
    record: str = typer.Option(None, "--record", help="JSON record to infer field types from."),
) -> None:
    """Type-check a formula and print its result type."""
    try:
        checked = _checked(expression, object_name, context, _load_json(record, "--record"))
    except FormulaError as exc:
        _report(exc)
    except _UsageProblem as exc:
        _fail(str(exc))
    typer.echo(str(checked.type))


@app.command("eval", context_settings=_FORMULA_ARGUMENT)
def eval_command(
    expression: str = typer.Argument(..., help="The formula text."),
    object_name: str = typer.Option(None, "--object", help="The object the formula belongs to."),
    record: str = typer.Option(None, "--record", help="The record as a JSON object."),
    prior: str = typer.Option(None, "--prior", help="The record before this save, as JSON (ISNEW() is true without it)."),
    blank_as: str = typer.Option("blank", "--blank-as", help="blank or zero: how blank number fields read."),
    context: str = typer.Option(None, "--context", help="field, validation, default or rule."),
    time_zone: str = typer.Option("UTC", "--time-zone", help="The zone TODAY() is the date in: give a site's time zone to see what the site computes."),
) -> None:
    """Evaluate a formula on a record and print the value as JSON."""
    try:
        if blank_as not in ("blank", "zero"):
            raise _UsageProblem("--blank-as must be blank or zero")
        record_values = _load_json(record, "--record") or {}
        prior_values = _load_json(prior, "--prior")
        env = _clock(time_zone)
        checked = _checked(expression, object_name, context, record_values, blank_as)
        value = compile_python(checked)(record_values, prior=prior_values, env=env)
    except FormulaError as exc:
        _report(exc)
    except _UsageProblem as exc:
        _fail(str(exc))
    typer.echo(to_json(value))
