"""PostgreSQL expressions: every operator and function in native SQL on ``NUMERIC``.

Each builder mirrors the Python implementation it stands for (see :mod:`formula.functions`):
the same rounding (half away from zero, inexact results to 16 decimals after a 40-decimal
working scale), the same clamping of counts, and NULL wherever the evaluator raises an error.
Every guard is a ``CASE`` evaluated before the risky call, so a bad row gives NULL instead of
aborting the query.
"""

from __future__ import annotations

import datetime as dt
import operator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator

from formula.ast import TApply, TField, Typed
from formula.functions.dates import DATETIME_UNITS
from formula.functions.numeric import EXP_FLOOR, EXP_LIMIT, MAX_EXPONENT, ROUND_LIMIT
from formula.limits import MAX_TEXT_LENGTH
from formula.regex import compile_pattern
from formula.sql.builder import Builder
from formula.types import FormulaType, Kind
from formula.values import INEXACT_SCALE, MAX_INTEGER_DIGITS, UTC

__all__ = ["PostgresBuilder"]

_NUMERIC_KINDS = (Kind.NUMBER, Kind.CURRENCY, Kind.PERCENT)
NUMERIC = sa.Numeric()
_OPS = {"=": operator.eq, "<>": operator.ne, "<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}


def N(x):
    """Typed as NUMERIC for SQLAlchemy's operators (no SQL emitted)."""
    return sa.type_coerce(x, NUMERIC)


def i(n: int):
    """A small integer constant, inline."""
    return sa.literal_column(str(int(n)), sa.Integer())


def num(value) -> Any:
    return sa.cast(sa.literal(Decimal(value), NUMERIC), NUMERIC)


def t(value: str):
    return sa.cast(sa.literal(value, sa.Text()), sa.Text())


def text_of(x):
    return sa.func.coalesce(sa.type_coerce(x, sa.Text()), t(""))


def cbool(x):
    return sa.func.coalesce(x, sa.false())


def wide(x):
    """The value at 40 decimals, so PostgreSQL computes quotients and logarithms that far."""
    return sa.cast(x, sa.Numeric(1000, 40))


def rounded(x):
    return N(sa.func.round(N(x), i(INEXACT_SCALE)))


def divide(a, b):
    return rounded(N(wide(a)) / sa.func.nullif(N(b), num(0)))


def clamp_int(x, low: int, high: int):
    return sa.cast(sa.func.least(sa.func.greatest(N(sa.func.trunc(N(x))), i(low)), i(high)), sa.Integer())


def count(x):
    """A character count or position, as the text functions clamp it."""
    return clamp_int(x, -1, MAX_TEXT_LENGTH)


def when(condition, value, otherwise=None):
    return sa.case((condition, value), else_=otherwise if otherwise is not None else sa.null())


def _impl(column_type):
    while isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    variants = getattr(column_type, "_variant_mapping", None) or {}
    return variants.get("postgresql", column_type)


def days_in_month(year, month):
    leap = sa.or_(
        sa.and_(sa.func.mod(year, i(4)) == 0, sa.func.mod(year, i(100)) != 0), sa.func.mod(year, i(400)) == 0
    )
    return sa.case(
        (month == 2, sa.case((leap, i(29)), else_=i(28))),
        (month.in_([i(4), i(6), i(9), i(11)]), i(30)),
        else_=i(31),
    )


def valid_ymd(year, month, day):
    """Whether numeric year/month/day form a date in 1..9999, without ever raising."""
    in_range = sa.and_(year.between(i(1), i(9999)), month.between(i(1), i(12)), day >= 1)
    return sa.case((in_range, day <= days_in_month(year, month)), else_=sa.false())


def year_ok(expression):
    return sa.func.extract("year", expression).between(i(1), i(9999))


def html_encode(x):
    value = text_of(x)
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#39;")):
        value = sa.func.replace(value, t(raw), t(entity))
    return value


def bound_once(values, build, name: str):
    """``build(*columns)`` over ``values`` computed once, as a scalar subquery.

    PostgreSQL has no ``LET``; unnesting one-element arrays binds each value to a column so a
    guard can test a length and then use the value without writing (and computing) it twice.
    """
    source = (
        sa.func.unnest(*(postgresql.array([sa.type_coerce(value, sa.Text())]) for value in values))
        .table_valued(*(f"v{index}" for index in range(len(values))))
        .render_derived(name=name)
    )
    columns = [getattr(source.c, f"v{index}") for index in range(len(values))]
    return sa.select(build(*columns)).select_from(source).scalar_subquery()


def capped(value, build, name: str):
    """``build(value)``, or NULL when the value or the result is longer than a text may be.

    The same limit as the evaluator's (which raises there): encodings multiply lengths, so
    nesting them would otherwise grow text exponentially.
    """
    def guarded_input(v):
        return when(sa.func.length(v) <= i(MAX_TEXT_LENGTH), build(v))

    inner = bound_once([text_of(value)], guarded_input, name + "_in")
    return bound_once([inner], lambda r: when(sa.func.length(r) <= i(MAX_TEXT_LENGTH), r), name + "_out")


class PostgresBuilder(Builder):
    dialect = "postgresql"

    # -- values -------------------------------------------------------------------------------

    def literal(self, value: Any, formula_type: FormulaType):
        kind = formula_type.kind
        if kind in _NUMERIC_KINDS:
            return num(value)
        if kind is Kind.BOOLEAN:
            return sa.true() if value else sa.false()
        if kind is Kind.DATE:
            return sa.cast(sa.literal(value, sa.Date()), sa.Date())
        if kind is Kind.DATETIME:
            naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
            return sa.cast(sa.literal(naive, sa.DateTime()), sa.DateTime())
        if kind is Kind.TIME:
            return sa.cast(sa.literal(value, sa.Time()), sa.Time())
        if kind is Kind.MULTIPICKLIST:
            return t(";".join(value))
        return t(str(value))

    def null_of(self, formula_type: FormulaType):
        return sa.false() if formula_type.kind is Kind.BOOLEAN else sa.null()

    def field(self, node: TField):
        column = self.columns(node.path)
        impl = _impl(column.type)
        kind = node.type.kind
        if kind in _NUMERIC_KINDS:
            value = sa.cast(column, NUMERIC) if isinstance(impl, sa.Float) else N(column)
            if self.checked.blank_as_zero:
                value = N(sa.func.coalesce(value, num(0)))
            return value
        if kind is Kind.BOOLEAN:
            return cbool(sa.type_coerce(column, sa.Boolean()))
        if kind is Kind.DATETIME:
            if getattr(impl, "timezone", False):
                return sa.type_coerce(sa.func.timezone(t("UTC"), column), sa.DateTime())
            return sa.type_coerce(column, sa.DateTime())
        if kind is Kind.DATE:
            return sa.type_coerce(column, sa.Date())
        if kind is Kind.TIME:
            return sa.type_coerce(column, sa.Time())
        if kind is Kind.MULTIPICKLIST:
            if isinstance(impl, sa.JSON):
                return sa.cast(column, postgresql.JSONB())
            return sa.type_coerce(column, sa.Text())
        return sa.type_coerce(column, sa.Text())

    def _is_json(self, node: Typed) -> bool:
        if isinstance(node, TField) and node.type.kind is Kind.MULTIPICKLIST:
            return isinstance(_impl(self.columns(node.path).type), sa.JSON)
        return False

    def is_blank(self, node: Typed):
        kind = node.type.kind
        value = self.build(node)
        if kind in (Kind.TEXT, Kind.PICKLIST, Kind.REFERENCE) and kind is not Kind.REFERENCE:
            return text_of(value) == t("")
        if kind is Kind.MULTIPICKLIST:
            if self._is_json(node):
                return sa.or_(value.is_(None), sa.func.jsonb_array_length(value) == 0)
            return text_of(value) == t("")
        if kind is Kind.BOOLEAN:
            return sa.false()
        if kind is Kind.REFERENCE:
            return sa.or_(value.is_(None), sa.cast(value, sa.Text()) == t(""))
        return value.is_(None)

    def equals(self, kind: Kind, left, right):
        if kind in (Kind.TEXT, Kind.PICKLIST):
            return text_of(left) == text_of(right)
        return cbool(left == right)

    # -- calls ----------------------------------------------------------------------------

    def call(self, node: TApply, args: list):
        key = node.key
        info = node.overload.info
        if "op" in info:
            return self.compare(info["op"], info["kind"], args)
        builder = getattr(self, "k_" + key.lower(), None)
        if builder is None:  # pragma: no cover - every key has a builder (tested)
            raise self.fail(node, f"{key} has no PostgreSQL translation")
        return builder(node, *args)

    def compare(self, symbol: str, kind: str, args):
        op = _OPS[symbol]
        left, right = args
        if kind == "TEXT":
            return op(text_of(left), text_of(right))
        if kind == "BOOLEAN":
            return op(left, right)
        if kind.startswith("REFERENCE") or kind.endswith("REFERENCE"):
            return cbool(op(sa.cast(left, sa.Text()), sa.cast(right, sa.Text())))
        return cbool(op(left, right))

    def special_regex(self, node: TApply):
        text, pattern = node.args
        compiled = compile_pattern(pattern.value or "")
        return cbool(text_of(self.build(text)).op("~", is_comparison=True)(t(compiled.postgres)))

    # arithmetic

    def k_add(self, node, a, b):
        return N(a) + N(b)

    def k_sub(self, node, a, b):
        return N(a) - N(b)

    def k_mul(self, node, a, b):
        return N(a) * N(b)

    def k_div(self, node, a, b):
        return divide(a, b)

    def k_neg(self, node, a):
        return -N(a)

    def k_pow(self, node, a, b):
        a, b = N(a), N(b)
        integral = b == N(sa.func.trunc(b))
        positive_power = rounded(sa.func.power(a, b))
        return sa.case(
            (sa.or_(a.is_(None), b.is_(None)), sa.null()),
            (sa.func.abs(b) > MAX_EXPONENT, sa.null()),
            (a == 0, sa.case((b < 0, sa.null()), (b == 0, num(1)), else_=num(0))),
            (sa.and_(a < 0, sa.not_(integral)), sa.null()),
            (N(b) * N(sa.func.log(wide(sa.func.abs(a)))) >= MAX_INTEGER_DIGITS, sa.null()),
            (sa.and_(integral, b < 0), divide(num(1), sa.func.power(a, -b))),
            (integral, positive_power),
            else_=rounded(sa.func.power(wide(a), b)),
        )

    # math functions

    def k_abs(self, node, a):
        return N(sa.func.abs(a))

    def k_ceiling(self, node, a):
        return N(sa.func.sign(a)) * N(sa.func.ceil(sa.func.abs(a)))

    def k_floor(self, node, a):
        return N(sa.func.trunc(a))

    def k_mceiling(self, node, a):
        return N(sa.func.ceil(a))

    def k_mfloor(self, node, a):
        return N(sa.func.floor(a))

    def k_round(self, node, a, digits):
        return N(sa.func.round(a, clamp_int(digits, -ROUND_LIMIT, ROUND_LIMIT)))

    def k_trunc(self, node, a, digits=None):
        if digits is None:
            return N(sa.func.trunc(a))
        return N(sa.func.trunc(a, clamp_int(digits, -ROUND_LIMIT, ROUND_LIMIT)))

    def k_mod(self, node, a, b):
        return N(sa.func.mod(a, sa.func.nullif(N(b), num(0))))

    def k_exp(self, node, a):
        a = N(a)
        return sa.case(
            (a > EXP_LIMIT, sa.null()),
            (a < -EXP_FLOOR, num(0)),
            else_=rounded(sa.func.exp(wide(a))),
        )

    def k_ln(self, node, a):
        return when(N(a) > 0, rounded(sa.func.ln(wide(a))))

    def k_log(self, node, a):
        return when(N(a) > 0, rounded(sa.func.log(wide(a))))

    def k_sqrt(self, node, a):
        return when(N(a) >= 0, rounded(sa.func.sqrt(wide(a))))

    def k_sign(self, node, a):
        return N(sa.func.sign(a))

    def _extreme(self, fn, args):
        if len(args) == 1:
            return args[0]
        any_blank = sa.or_(*(arg.is_(None) for arg in args))
        return sa.case((any_blank, sa.null()), else_=N(fn(*args)))

    def k_max(self, node, *args):
        return self._extreme(sa.func.greatest, args)

    def k_min(self, node, *args):
        return self._extreme(sa.func.least, args)

    # text

    def k_concat(self, node, a, b):
        return text_of(a).concat(text_of(b))

    def k_begins(self, node, a, b):
        return cbool(sa.func.starts_with(text_of(a), text_of(b)))

    def k_contains(self, node, a, b):
        return sa.func.strpos(text_of(a), text_of(b)) > 0

    def k_find(self, node, search, text, start=None):
        search, text = text_of(search), text_of(text)
        begin = count(start) if start is not None else i(1)
        position = sa.func.strpos(sa.func.substr(text, begin), search)
        found = sa.case((position == 0, i(0)), else_=position + begin - 1)
        result = sa.case((sa.or_(search == t(""), begin < 1), i(0)), else_=found)
        if start is not None:
            result = when(N(start).is_not(None), result)
        return N(sa.cast(result, NUMERIC))

    def k_left(self, node, text, n):
        return sa.func.left(text_of(text), sa.func.greatest(count(n), i(0)))

    def k_right(self, node, text, n):
        return sa.func.right(text_of(text), sa.func.greatest(count(n), i(0)))

    def k_mid(self, node, text, start, length):
        return sa.func.substr(text_of(text), sa.func.greatest(count(start), i(1)), sa.func.greatest(count(length), i(0)))

    def k_len(self, node, text):
        return N(sa.cast(sa.func.char_length(text_of(text)), NUMERIC))

    def k_lower(self, node, text):
        return sa.func.lower(text_of(text))

    def k_upper(self, node, text):
        return sa.func.upper(text_of(text))

    def k_initcap(self, node, text):
        return sa.func.initcap(text_of(text))

    def _pad(self, fn, text, n, pad):
        padding = t(" ") if pad is None else text_of(pad)
        # Past the text limit the evaluator raises rather than clamping; NULL is SQL's error.
        return when(N(n) < i(MAX_TEXT_LENGTH + 1), fn(text_of(text), sa.func.greatest(count(n), i(0)), padding))

    def k_lpad(self, node, text, n, pad=None):
        return self._pad(sa.func.lpad, text, n, pad)

    def k_rpad(self, node, text, n, pad=None):
        return self._pad(sa.func.rpad, text, n, pad)

    def k_trim(self, node, text):
        return sa.func.btrim(text_of(text), t(" \t"))

    def k_substitute(self, node, text, old, new):
        def guarded(whole, old, new):
            # The result's length, known before replace() builds it: a hostile SUBSTITUTE
            # must not make PostgreSQL allocate gigabytes before the length is tested.
            big = sa.BigInteger()
            occurrences = (sa.func.length(whole) - sa.func.length(sa.func.replace(whole, old, t("")))) / sa.func.greatest(
                sa.func.length(old), i(1)
            )
            grown = sa.cast(sa.func.length(new) - sa.func.length(old), big) * sa.cast(occurrences, big)
            return sa.case(
                (old == t(""), whole),
                (sa.func.length(whole) + grown > i(MAX_TEXT_LENGTH), sa.null()),
                else_=sa.func.replace(whole, old, new),
            )

        return bound_once([text_of(text), text_of(old), text_of(new)], guarded, "substitute_args")

    def k_reverse(self, node, text):
        return sa.func.reverse(text_of(text))

    def k_text_number(self, node, x):
        return sa.cast(sa.func.trim_scale(N(x)), sa.Text())

    def k_text_date(self, node, x):
        return sa.func.to_char(x, t("YYYY-MM-DD"))

    def k_text_datetime(self, node, x):
        return sa.func.to_char(x, t('YYYY-MM-DD HH24:MI:SS"Z"'))

    def k_text_time(self, node, x):
        return sa.func.to_char(x, t("HH24:MI:SS"))

    def k_text_identity(self, node, x):
        return sa.type_coerce(x, sa.Text())

    def k_text_reference(self, node, x):
        return sa.cast(x, sa.Text())

    _NUMBER_PATTERN = r"^[ \t]*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)[ \t]*$"

    def k_value(self, node, text):
        text = sa.type_coerce(text, sa.Text())
        return when(
            cbool(text.op("~", is_comparison=True)(t(self._NUMBER_PATTERN))),
            N(sa.cast(sa.func.btrim(text, t(" \t")), NUMERIC)),
        )

    def k_isnumber(self, node, text):
        return cbool(text_of(text).op("~", is_comparison=True)(t(self._NUMBER_PATTERN)))

    def k_htmlencode(self, node, text):
        return capped(text, html_encode, "htmlencode_text")

    def k_hyperlink(self, node, url, label, target=None):
        link = t('<a href="').concat(self.k_htmlencode(node, url)).concat(t('"'))
        if target is not None:
            link = link.concat(
                sa.case(
                    (text_of(target) == t(""), t("")),
                    else_=t(' target="').concat(self.k_htmlencode(node, target)).concat(t('"')),
                )
            )
        link = link.concat(t(">")).concat(self.k_htmlencode(node, label)).concat(t("</a>"))
        return bound_once([link], lambda r: when(sa.func.length(r) <= i(MAX_TEXT_LENGTH), r), "hyperlink_text")

    def k_urlencode(self, node, text):
        return capped(text, self._urlencode, "urlencode_text")

    def _urlencode(self, text):
        chars = (
            sa.func.regexp_split_to_table(text_of(text), t(""))
            .table_valued("c", with_ordinality="n")
            .render_derived(name="urlencode_chars")
        )
        character = chars.c.c
        encoded = sa.func.upper(
            sa.func.regexp_replace(
                sa.func.encode(sa.func.convert_to(character, t("UTF8")), t("hex")), t("(..)"), t("%\\1"), t("g")
            )
        )
        piece = sa.case((character.op("~", is_comparison=True)(t("^[A-Za-z0-9_.~-]$")), character), else_=encoded)
        aggregated = sa.func.string_agg(piece, postgresql.aggregate_order_by(t(""), chars.c.n))
        return sa.func.coalesce(sa.select(aggregated).select_from(chars).scalar_subquery(), t(""))

    def k_ispickval(self, node, a, b):
        return text_of(a) == text_of(b)

    def k_includes(self, node, values, item):
        item_text = text_of(item)
        if self._is_json(node.args[0]):
            contained = cbool(sa.func.jsonb_exists(values, item_text))
        else:
            contained = sa.func.strpos(t(";").concat(text_of(values)).concat(t(";")), t(";").concat(item_text).concat(t(";"))) > 0
        return sa.case(
            (sa.or_(item_text == t(""), sa.func.strpos(item_text, t(";")) > 0), sa.false()),
            else_=contained,
        )

    def k_isblank(self, node, value):  # pragma: no cover - ISBLANK is a special form
        raise self.fail(node, "ISBLANK is compiled as a special form")

    # dates and times

    def k_add_date_number(self, node, d, n):
        days = N(sa.func.trunc(N(n)))
        shifted = sa.type_coerce(d + sa.cast(days, sa.Integer()), sa.Date())
        return when(sa.func.abs(days) <= 3652059, when(year_ok(shifted), shifted))

    def k_add_number_date(self, node, n, d):
        return self.k_add_date_number(node, d, n)

    def k_sub_date_number(self, node, d, n):
        return self.k_add_date_number(node, d, -N(n))

    def k_sub_date_date(self, node, a, b):
        return N(sa.cast(a - b, NUMERIC))

    def _shift_seconds(self, moment, seconds):
        shifted = sa.type_coerce(moment + sa.func.make_interval(0, 0, 0, 0, 0, 0, seconds), sa.DateTime())
        return when(sa.func.abs(seconds) <= 315537897600, when(year_ok(shifted), shifted))

    def k_add_datetime_number(self, node, moment, n):
        return self._shift_seconds(moment, N(sa.func.round(N(n) * 86400)))

    def k_add_number_datetime(self, node, n, moment):
        return self.k_add_datetime_number(node, moment, n)

    def k_sub_datetime_number(self, node, moment, n):
        return self._shift_seconds(moment, -N(sa.func.round(N(n) * 86400)))

    def _epoch(self, interval):
        return N(sa.func.extract("epoch", interval))

    def k_sub_datetime_datetime(self, node, a, b):
        return divide(self._epoch(a - b), num(86400))

    def k_date(self, node, y, m, d):
        y, m, d = (N(sa.func.trunc(N(x))) for x in (y, m, d))
        ints = [sa.cast(x, sa.Integer()) for x in (y, m, d)]
        return when(valid_ymd(y, m, d), sa.func.make_date(*ints))

    _DATE_TEXT = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
    _DATETIME_TEXT = "^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,6})?Z?)?$"
    _TIME_TEXT = "^[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,6})?$"

    def _date_parts_ok(self, text):
        part = lambda start, length: N(sa.cast(sa.func.substr(text, i(start), i(length)), NUMERIC))  # noqa: E731
        return valid_ymd(part(1, 4), part(6, 2), part(9, 2))

    def _clock_ok(self, text, offset: int):
        part = lambda start: N(sa.cast(sa.func.substr(text, i(offset + start), i(2)), NUMERIC))  # noqa: E731
        return sa.and_(part(0) <= 23, part(3) <= 59, part(6) <= 59)

    def k_datevalue_text(self, node, text):
        text = sa.func.btrim(sa.type_coerce(text, sa.Text()), t(" \t"))
        shaped = cbool(text.op("~", is_comparison=True)(t(self._DATE_TEXT)))
        return when(shaped, when(self._date_parts_ok(text), sa.cast(text, sa.Date())))

    def k_datevalue_datetime(self, node, moment):
        return sa.cast(moment, sa.Date())

    def k_datevalue_date(self, node, d):
        return d

    def k_datetimevalue_text(self, node, text):
        text = sa.func.btrim(sa.type_coerce(text, sa.Text()), t(" \t"))
        shaped = cbool(text.op("~", is_comparison=True)(t(self._DATETIME_TEXT)))
        clock_ok = sa.case((sa.func.char_length(text) > 10, self._clock_ok(text, 12)), else_=sa.true())
        valid = sa.case((self._date_parts_ok(text), clock_ok), else_=sa.false())
        value = sa.cast(sa.func.replace(sa.func.replace(text, t("T"), t(" ")), t("Z"), t("")), sa.DateTime())
        return when(shaped, when(valid, value))

    def k_datetimevalue_date(self, node, d):
        return sa.cast(d, sa.DateTime())

    def k_datetimevalue_datetime(self, node, moment):
        return moment

    def k_timevalue_text(self, node, text):
        text = sa.func.btrim(sa.type_coerce(text, sa.Text()), t(" \t"))
        shaped = cbool(text.op("~", is_comparison=True)(t(self._TIME_TEXT)))
        return when(shaped, when(self._clock_ok(text, 1), sa.cast(text, sa.Time())))

    def k_timevalue_datetime(self, node, moment):
        return sa.cast(moment, sa.Time())

    def _extract(self, field: str, value):
        return N(sa.func.extract(field, value))

    def k_year(self, node, d):
        return self._extract("year", d)

    def k_month(self, node, d):
        return self._extract("month", d)

    def k_day(self, node, d):
        return self._extract("day", d)

    def k_weekday(self, node, d):
        return self._extract("dow", d) + 1

    def k_dayofyear(self, node, d):
        return self._extract("doy", d)

    def k_isoweek(self, node, d):
        return self._extract("week", d)

    def k_isoyear(self, node, d):
        return self._extract("isoyear", d)

    def k_hour(self, node, x):
        return self._extract("hour", x)

    k_hour_datetime = k_hour

    def k_minute(self, node, x):
        return self._extract("minute", x)

    k_minute_datetime = k_minute

    def k_second(self, node, x):
        return N(sa.func.trunc(self._extract("second", x)))

    k_second_datetime = k_second

    def k_addmonths(self, node, d, n):
        months = N(sa.func.trunc(N(n)))
        total = self._extract("year", d) * 12 + self._extract("month", d) - 1 + months
        year = N(sa.func.floor(total / num(12)))
        first = sa.func.date_trunc(t("month"), d)
        month_end = sa.cast(first + sa.text("interval '1 month'") - sa.text("interval '1 day'"), sa.Date())
        whole = sa.cast(months, sa.Integer())
        end_of_target = sa.cast(
            first + sa.func.make_interval(0, whole + 1) - sa.text("interval '1 day'"), sa.Date()
        )
        shifted = sa.cast(d + sa.func.make_interval(0, whole), sa.Date())
        result = sa.case((d == month_end, end_of_target), else_=shifted)
        return when(sa.func.abs(months) <= 120000, when(year.between(i(1), i(9999)), result))

    def k_unixtimestamp(self, node, moment):
        return N(sa.func.floor(self._epoch(moment)))

    def k_unixtimestamp_date(self, node, d):
        return N(sa.func.floor(self._epoch(sa.cast(d, sa.DateTime()))))

    def k_fromunixtime(self, node, n):
        seconds = N(sa.func.trunc(N(n)))
        epoch = sa.cast(sa.literal(dt.datetime(1970, 1, 1), sa.DateTime()), sa.DateTime())
        value = sa.type_coerce(epoch + sa.func.make_interval(0, 0, 0, 0, 0, 0, seconds), sa.DateTime())
        return when(seconds.between(num(-62135596800), num(253402300799)), value)

    def k_datetime_diff(self, node, start, end, unit):
        size = DATETIME_UNITS[node.args[2].value.lower()]
        micros = self._epoch(end - start) * 1000000
        return N(sa.func.div(micros, num(size)))

    # logical functions that are plain calls

    def k_not(self, node, a):
        return sa.not_(a)

    def k_xor(self, node, a, b):
        return a != b
