"""Grouped results: the one aggregation path reports, dashboards, goals and the aggregate API share.

    {"group_by": ["owner", "close_date:quarter"], "pivot": "stage",
     "measures": [{"fn": "sum", "field": "amount"}, {"fn": "count"}],
     "filter": {"close_date": {"eq": "this_year"}}, "sort": ["-measure:0"], "limit": 100}

An aggregate starts from the caller's base SELECT (:meth:`RecordReader.scope`: recycle bin state
and the security predicate), so its totals are the totals of the list the same caller sees. Paths
through references (``account.industry``) join through :class:`SelectScope`, each join carrying
the reader's access condition, exactly as a list does; a field the caller may not read can be
neither grouped on, nor measured, nor filtered on. Formula fields take part through their SQL
form; a formula the SQL backend cannot compile is refused by name.

Up to :data:`MAX_ROW_LEVELS` row groupings and one column grouping (``pivot``, a matrix); date
and date/time fields group by ``day``, ``week`` (ISO, from Monday), ``month``, ``quarter`` or
``year``, quarters and years counted from the fiscal year's first month. Measures: ``count``,
``count_distinct``, ``sum``, ``avg``, ``min``, ``max``. Sums are exact: on SQLite, where decimals
are stored as REAL, each value is summed as a whole number of its field's smallest unit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from runtime.errors import AggregateError, FieldError
from runtime.query import filters as f
from runtime.query.compiler import SelectScope, compile_filter
from runtime.records import model as m
from runtime.records.messages import field_error

if TYPE_CHECKING:
    from runtime.query.reader import RecordReader
    from runtime.records.context import Actor

MAX_ROW_LEVELS = 3
MAX_MEASURES = 20
DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
BUCKETS = ("day", "week", "month", "quarter", "year")
FUNCTIONS = ("count", "count_distinct", "sum", "avg", "min", "max")
#: field types too long to be a group (a group is a short value people read in a row heading)
LONG_TEXT_TYPES = frozenset({"textarea", "long_text", "rich_text"})
_UNGROUPABLE = {m.CHOICES: "a multi-value field puts one record in several groups", m.JSON_LIST: "files are not values", m.GEOLOCATION: "a location is not a value"}
_UNGROUPABLE_ZH = {m.CHOICES: "多值字段会让一条记录落入多个分组", m.JSON_LIST: "文件不是取值", m.GEOLOCATION: "地理位置不是取值"}
_NUMERIC = (m.INTEGER, m.DECIMAL)
_ORDERED = (m.INTEGER, m.DECIMAL, m.DATE, m.DATETIME, m.TIME)
#: avg is given to at least this many decimals (an average of whole numbers is rarely whole)
AVG_MIN_SCALE = 2
# Labels of the SELECT's columns: api names cannot contain "__", so these never shadow a column
# (PostgreSQL resolves GROUP BY / ORDER BY names to input columns first).
_GROUP_LABEL, _MEASURE_LABEL = "grp__{}", "msr__{}_{}"


# --- the checked query ------------------------------------------------------------------


@dataclass(frozen=True)
class Grouping:
    """One grouping level: a checked field path, with a date bucket for date fields."""

    key: str  # as the caller wrote it, and as results name it: "stage", "close_date:quarter"
    path: f.FieldPath
    bucket: str | None = None


@dataclass(frozen=True)
class Measure:
    """One value computed per group: ``fn`` over ``path`` (``count`` may have no path)."""

    fn: str
    path: f.FieldPath | None = None


@dataclass(frozen=True)
class SortKey:
    """A group key or a measure (by position) the groups are sorted by."""

    group: str | None
    measure: int | None
    descending: bool


@dataclass(frozen=True)
class AggregateQuery:
    """A checked aggregate over one object (see :func:`parse_aggregate`)."""

    object_name: str
    rows: tuple[Grouping, ...]
    pivot: Grouping | None
    measures: tuple[Measure, ...]
    filter: f.Filter | None
    sort: tuple[SortKey, ...]
    limit: int

    @property
    def groupings(self) -> tuple[Grouping, ...]:
        return self.rows + ((self.pivot,) if self.pivot is not None else ())

    @property
    def paths(self) -> list[f.FieldPath]:
        """Every field path the query reads (the caller must be allowed to read each)."""
        paths = [grouping.path for grouping in self.groupings]
        paths += [measure.path for measure in self.measures if measure.path is not None]
        if self.filter is not None:
            paths += [condition.path for condition in f.walk(self.filter)]
        return paths


@dataclass(frozen=True)
class AggregateRow:
    """One group: its key values (by grouping key) and one value per measure, in sequence."""

    group: dict[str, Any]
    values: list[Any]


@dataclass(frozen=True)
class Aggregate:
    """The result: groups (at most ``limit``; ``truncated`` when there were more) and totals over
    every matching record, whether its group was shown or not. With a pivot, ``row_totals`` (per
    row group, across the columns) and ``column_totals`` (per column value) too."""

    rows: list[AggregateRow]
    totals: list[Any]
    truncated: bool
    limit: int
    row_totals: list[AggregateRow] | None = None
    column_totals: list[AggregateRow] | None = None


def _kind_name(spec: m.FieldSpec) -> str:
    return f._KIND_NAMES[spec.kind]


class _Checker:
    def __init__(self, models: m.ObjectModels, object_name: str):
        self.models = models
        self.object_name = object_name
        self.errors: list[FieldError] = []

    def fail(self, field: str | None, code: str, /, **params: Any) -> None:
        self.errors.append(field_error(field, code, **params))

    def invalid(self, field: str | None, detail: str) -> None:
        self.fail(field, "invalid_aggregate", detail=detail)

    def grouping(self, item: Any) -> Grouping | None:
        if isinstance(item, Mapping):
            text, bucket = item.get("field"), item.get("bucket")
            key = f"{text}:{bucket}" if bucket is not None else text
        elif isinstance(item, str):
            key = item
            text, _, bucket_text = item.partition(":")
            bucket = bucket_text if bucket_text else None
        else:
            self.invalid(None, f"a grouping is a field name or {{\"field\", \"bucket\"}}, got {item!r}")
            return None
        path = f.resolve_path(self.models, self.object_name, text, self.errors)
        if path is None:
            return None
        spec = path.leaf
        if bucket is not None:
            if bucket not in BUCKETS:
                self.invalid(key, f"unknown date bucket '{bucket}'; use one of {', '.join(BUCKETS)}")
                return None
            if spec.kind not in (m.DATE, m.DATETIME):
                self.fail(key, "not_groupable", reason=f"'{bucket}' buckets dates, and this is a {_kind_name(spec)} field", reason_zh=f"“{bucket}”只用于日期字段")
                return None
        if spec.kind in _UNGROUPABLE:
            self.fail(key, "not_groupable", reason=_UNGROUPABLE[spec.kind], reason_zh=_UNGROUPABLE_ZH[spec.kind])
            return None
        if spec.type in LONG_TEXT_TYPES:
            self.fail(key, "not_groupable", reason="long text is not a group heading", reason_zh="长文本不能作为分组")
            return None
        if spec.type == "formula" and spec.kind == m.DECIMAL:
            # a computed number rarely repeats; grouping by it would list one group per record
            self.fail(key, "not_groupable", reason="a computed number is not a category", reason_zh="计算出的数值不是分类")
            return None
        return Grouping(key, path, bucket)

    def measure(self, item: Any, position: int) -> Measure | None:
        where = f"measures[{position}]"
        if not isinstance(item, Mapping) or "fn" not in item:
            self.invalid(where, "a measure is {\"fn\": …, \"field\": …}")
            return None
        fn, text = item["fn"], item.get("field")
        unknown = set(item) - {"fn", "field"}
        if unknown:
            self.invalid(where, f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
            return None
        if fn not in FUNCTIONS:
            self.invalid(where, f"unknown function {fn!r}; use one of {', '.join(FUNCTIONS)}")
            return None
        if text is None:
            if fn != "count":
                self.invalid(where, f"'{fn}' needs a field")
                return None
            return Measure(fn)
        path = f.resolve_path(self.models, self.object_name, text, self.errors)
        if path is None:
            return None
        spec = path.leaf
        fits = {
            "count": spec.kind not in (m.JSON_LIST, m.GEOLOCATION),
            "count_distinct": spec.kind not in (m.JSON_LIST, m.GEOLOCATION, m.CHOICES) and spec.type not in LONG_TEXT_TYPES,
            "sum": spec.kind in _NUMERIC,
            "avg": spec.kind in _NUMERIC,
            "min": spec.kind in _ORDERED,
            "max": spec.kind in _ORDERED,
        }[fn]
        if not fits:
            self.fail(text, "not_aggregatable", fn=fn, type=_kind_name(spec))
            return None
        return Measure(fn, path)

    def sort(self, items: Any, groupings: Sequence[Grouping], measures: int) -> tuple[SortKey, ...]:
        if items is None:
            return ()
        if isinstance(items, str):
            items = [items]
        if not isinstance(items, list):
            self.invalid("sort", "sort is a list of group keys or 'measure:N', each '-' for descending")
            return ()
        keys = {grouping.key for grouping in groupings}
        result = []
        for item in items:
            if not isinstance(item, str) or not item:
                self.invalid("sort", f"cannot sort by {item!r}")
                continue
            descending = item.startswith("-")
            name = item[1:] if descending else item
            if name in keys:
                result.append(SortKey(name, None, descending))
                continue
            head, _, number = name.partition(":")
            if head == "measure" and number.isdigit() and int(number) < measures:
                result.append(SortKey(None, int(number), descending))
                continue
            self.invalid("sort", f"'{name}' is neither a grouping of this aggregate nor measure:0…measure:{measures - 1}")
        return tuple(result)


def parse_aggregate(models: m.ObjectModels, object_name: str, spec: Any, *, today: dt.date, zone: dt.tzinfo) -> AggregateQuery:
    """The checked :class:`AggregateQuery` for a JSON ``spec``; raises AggregateError listing every
    problem with its groupings, measures, sort and limit, or the filter's QueryError."""
    checker = _Checker(models, object_name)
    if not isinstance(spec, Mapping):
        checker.invalid(None, "expected an object with group_by, measures and filter")
        raise AggregateError(checker.errors, object_name=object_name)
    unknown = set(spec) - {"group_by", "pivot", "measures", "filter", "sort", "limit"}
    if unknown:
        checker.invalid(None, f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    group_by = spec.get("group_by") or []
    if isinstance(group_by, str):
        group_by = [group_by]
    if not isinstance(group_by, list):
        checker.invalid("group_by", "group_by is a list of fields")
        group_by = []
    if len(group_by) > MAX_ROW_LEVELS:
        checker.invalid("group_by", f"at most {MAX_ROW_LEVELS} row levels (and one pivot), got {len(group_by)}")
        group_by = []
    rows = [grouping for item in group_by if (grouping := checker.grouping(item)) is not None]
    pivot = None
    if isinstance(spec.get("pivot"), list):
        checker.invalid("pivot", "a matrix has one column level")
    elif spec.get("pivot") is not None:
        pivot = checker.grouping(spec["pivot"])
    keys = [grouping.key for grouping in rows] + ([pivot.key] if pivot is not None else [])
    if len(set(keys)) != len(keys):
        checker.invalid("group_by", "the same grouping appears twice")
    measures_spec = spec.get("measures", [{"fn": "count"}])
    if not isinstance(measures_spec, list) or not measures_spec or len(measures_spec) > MAX_MEASURES:
        checker.invalid("measures", f"measures is a list of 1 to {MAX_MEASURES} measures")
        measures_spec = []
    measures = [measure for position, item in enumerate(measures_spec) if (measure := checker.measure(item, position)) is not None]
    limit = spec.get("limit", DEFAULT_LIMIT)
    if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:
        checker.invalid("limit", f"limit is a whole number from 1 to {MAX_LIMIT}")
        limit = DEFAULT_LIMIT
    sort = checker.sort(spec.get("sort"), [*rows, *([pivot] if pivot else [])], len(measures_spec))
    if checker.errors:
        raise AggregateError(checker.errors, object_name=object_name)
    typed = f.parse_filter(models, object_name, spec.get("filter"), today=today, zone=zone)
    return AggregateQuery(object_name, tuple(rows), pivot, tuple(measures), typed, sort, limit)


# --- SQL ----------------------------------------------------------------------------------


Decoder = Callable[[Any], Any]


def _as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def _month_start(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def _scaled(value: Any, scale: int) -> Decimal:
    return Decimal(value).scaleb(-scale).quantize(Decimal(1).scaleb(-scale))


class Aggregator:
    """Runs :class:`AggregateQuery` objects through a :class:`RecordReader`'s security scope."""

    def __init__(self, reader: RecordReader, *, fiscal_year_start: int = 1):
        if not 1 <= fiscal_year_start <= 12:
            raise ValueError("the fiscal year starts in a month from 1 to 12")
        self.reader = reader
        self.fiscal_year_start = fiscal_year_start

    @property
    def dialect(self) -> str:
        return self.reader.dialect

    def parse(self, actor: Actor, object_name: str, spec: Any) -> AggregateQuery:
        # the site's zone, as for a list's filter: every reader agrees on what "this month" is
        zone = self.reader.zone()
        return parse_aggregate(self.reader.models, object_name, spec, today=actor.today(zone), zone=zone)

    def check_readable(self, actor: Actor, query: AggregateQuery) -> None:
        """AggregateError (as if the field did not exist) for any path the actor may not read."""
        errors: list[FieldError] = []
        for path in query.paths:
            self.reader._readable(actor, path, errors)
        if errors:
            raise AggregateError(errors, object_name=query.object_name)

    def run(self, connection: sa.Connection, actor: Actor, query: AggregateQuery) -> Aggregate:
        """The groups and totals of ``query`` over the records ``actor`` may read."""
        self.check_readable(actor, query)
        scope, where = self.reader.scope(actor, query.object_name, "read")
        condition = compile_filter(scope, query.filter, self.dialect)
        if condition is not None:
            where.append(condition)
        groups = [self._group(scope, actor, grouping) for grouping in query.groupings]
        measures = [self._measure(scope, measure) for measure in query.measures]
        # every join is known now (paths were resolved above): the FROM clause is complete
        source = scope.from_clause()

        def grouped(levels: list[int]) -> tuple[list[AggregateRow], bool]:
            return self._grouped(connection, query, source, where, groups, measures, levels)

        totals_row = self._execute(connection, query, self._select([], measures).select_from(source).where(*where))[0]
        totals = self._values(measures, totals_row, 0)
        row_levels = list(range(len(query.rows)))
        if not query.groupings:
            return Aggregate([], totals, False, query.limit)
        rows, truncated = grouped(list(range(len(groups))))
        if query.pivot is None:
            return Aggregate(rows, totals, truncated, query.limit)
        row_totals, cut_rows = grouped(row_levels) if row_levels else ([], False)
        column_totals, cut_columns = grouped([len(groups) - 1])
        return Aggregate(rows, totals, truncated or cut_rows or cut_columns, query.limit, row_totals, column_totals)

    # -- statements ----------------------------------------------------------------------

    @staticmethod
    def _select(group_columns: list[sa.ColumnElement], measures: list[tuple[list[sa.ColumnElement], Decoder]]) -> sa.Select:
        labelled = [column.label(_GROUP_LABEL.format(index)) for index, column in enumerate(group_columns)]
        labelled += [column.label(_MEASURE_LABEL.format(index, part)) for index, (columns, _) in enumerate(measures) for part, column in enumerate(columns)]
        return sa.select(*labelled)

    def _grouped(self, connection, query: AggregateQuery, source, where, groups, measures, levels: list[int]) -> tuple[list[AggregateRow], bool]:
        columns = [groups[level][0] for level in levels]
        statement = self._select(columns, measures).select_from(source).where(*where)
        # grouped and ordered by the output names, never by repeating the expressions: an
        # expression with bound values (a time zone, a formula's literals) would otherwise be a
        # different expression in GROUP BY to PostgreSQL
        names = [sa.literal_column(_GROUP_LABEL.format(position)) for position in range(len(levels))]
        statement = statement.group_by(*names)
        keys = [query.groupings[level].key for level in levels]
        ordering: list[sa.ColumnElement] = []
        used: set[int] = set()
        for key in query.sort:
            if key.group is not None:
                if key.group not in keys:
                    continue
                position = keys.index(key.group)
                used.add(position)
                name = names[position]
            else:
                name = sa.literal_column(_MEASURE_LABEL.format(key.measure, 0))
            ordering.append((name.desc() if key.descending else name.asc()).nulls_last())
        ordering += [names[position].asc().nulls_last() for position in range(len(levels)) if position not in used]
        statement = statement.order_by(*ordering).limit(query.limit + 1)
        fetched = self._execute(connection, query, statement)
        rows = []
        for row in fetched[: query.limit]:
            group = {key: groups[level][1](row[position]) for position, (key, level) in enumerate(zip(keys, levels, strict=True))}
            rows.append(AggregateRow(group, self._values(measures, row, len(levels))))
        return rows, len(fetched) > query.limit

    @staticmethod
    def _execute(connection: sa.Connection, query: AggregateQuery, statement: sa.Select) -> list[sa.Row]:
        try:
            return list(connection.execute(statement).all())
        except sa.exc.OperationalError as error:
            # SQLite adds whole numbers in 64 bits and refuses, rather than wraps, past that
            if "integer overflow" not in str(error.orig):
                raise
            connection.rollback()
            raise AggregateError([field_error("measures", "invalid_aggregate", detail="a sum is too large to add up exactly")], object_name=query.object_name) from None

    @staticmethod
    def _values(measures: list[tuple[list[sa.ColumnElement], Decoder]], row: Sequence[Any], start: int) -> list[Any]:
        values = []
        position = start
        for columns, decode in measures:
            values.append(decode(tuple(row[position : position + len(columns)])))
            position += len(columns)
        return values

    def _column(self, scope: SelectScope, path: f.FieldPath) -> sa.ColumnElement:
        column = scope.column(path)
        if column is None:  # a formula the SQL backend cannot compile
            raise AggregateError([field_error(path.text, "not_filterable")], object_name=scope.object_name)
        return column

    # -- groupings -----------------------------------------------------------------------

    def _group(self, scope: SelectScope, actor: Actor, grouping: Grouping) -> tuple[sa.ColumnElement, Decoder]:
        column = self._column(scope, grouping.path)
        spec = grouping.path.leaf
        if grouping.bucket is None:
            if spec.kind == m.DATE and self.dialect == "sqlite" and spec.type == "formula":
                return column, _as_date
            return column, (lambda value: value)
        local = self._local(column, spec, actor)
        if grouping.bucket == "day":
            expression = sa.func.date(local) if self.dialect == "sqlite" else sa.cast(local, sa.Date)
            return expression, _as_date
        if grouping.bucket == "week":
            if self.dialect == "sqlite":  # the Sunday on or after, less six days: the Monday
                return sa.func.date(local, "weekday 0", "-6 days"), _as_date
            return sa.cast(sa.func.date_trunc("week", local), sa.Date), _as_date
        month = self._month_index(local)  # year * 12 + month - 1
        if grouping.bucket == "month":
            return month, lambda value: None if value is None else _month_start(int(value))
        shift = self.fiscal_year_start - 1
        size = 3 if grouping.bucket == "quarter" else 12
        # months counted from the fiscal year's start, in whole quarters or years (never negative)
        bucket = (month - sa.literal_column(str(shift), sa.Integer)) // sa.literal_column(str(size), sa.Integer)
        return bucket, lambda value: None if value is None else _month_start(int(value) * size + shift)

    def _local(self, column: sa.ColumnElement, spec: m.FieldSpec, actor: Actor) -> sa.ColumnElement:
        """A date/time column as a local time of the actor's zone (a date column as it is)."""
        if spec.kind != m.DATETIME:
            return column
        if self.dialect == "postgresql":
            return sa.func.timezone(actor.time_zone, column)
        # SQLite stores UTC text and knows no zones: shift by the zone's offset at this moment
        offset = actor.moment().astimezone(actor.zone).utcoffset() or dt.timedelta()
        return sa.func.datetime(column, f"{int(offset.total_seconds() // 60):+d} minutes")

    def _month_index(self, local: sa.ColumnElement) -> sa.ColumnElement:
        if self.dialect == "sqlite":
            year = sa.cast(sa.func.strftime("%Y", local), sa.Integer)
            month = sa.cast(sa.func.strftime("%m", local), sa.Integer)
        else:
            year = sa.cast(sa.extract("year", local), sa.Integer)
            month = sa.cast(sa.extract("month", local), sa.Integer)
        return year * 12 + month - 1

    # -- measures ------------------------------------------------------------------------

    def _measure(self, scope: SelectScope, measure: Measure) -> tuple[list[sa.ColumnElement], Decoder]:
        def single(value: tuple) -> Any:
            return value[0]

        if measure.path is None:
            return [sa.func.count()], single
        column = self._column(scope, measure.path)
        spec = measure.path.leaf
        if measure.fn == "count":
            return [sa.func.count(column)], single
        if measure.fn == "count_distinct":
            return [sa.func.count(sa.distinct(column))], single
        if measure.fn in ("min", "max"):
            function = sa.func.min if measure.fn == "min" else sa.func.max
            return [function(column)], lambda value: self._ordered(spec, value[0])
        summed, scale = self._summable(column, spec)
        if measure.fn == "sum":
            return [sa.func.sum(summed)], lambda value: self._sum(spec, scale, value[0])
        places = max(scale, AVG_MIN_SCALE)

        def average(value: tuple) -> Decimal | None:
            total, count = value
            if not count:
                return None
            mean = self._sum(spec, scale, total) / Decimal(count)
            return mean.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)

        return [sa.func.sum(summed), sa.func.count(column)], average

    def _summable(self, column: sa.ColumnElement, spec: m.FieldSpec) -> tuple[sa.ColumnElement, int]:
        """What to SUM for an exact total, and the scale it is in.

        Each value counts as a record shows it (a formula rounded to its scale, half up). On
        PostgreSQL that is NUMERIC arithmetic; on SQLite, where decimals are REAL, each value is
        first made a whole number of its smallest unit, so adding a million of them loses nothing.
        """
        if spec.kind == m.INTEGER:
            return column, 0
        scale = spec.scale if spec.scale is not None else 2
        if self.dialect == "sqlite":
            factor = sa.literal_column(str(10**scale), sa.Integer)
            return sa.cast(sa.func.round(column * factor), sa.Integer), scale
        if spec.type == "formula":
            return sa.func.round(sa.cast(column, sa.Numeric), scale), scale
        return column, scale

    def _sum(self, spec: m.FieldSpec, scale: int, value: Any) -> Any:
        """A SUM as the API gives it: a sum over no values is zero, as adding up an empty list is."""
        if spec.kind == m.INTEGER:
            return int(value or 0)
        if self.dialect == "sqlite":
            return _scaled(int(value or 0), scale)
        return Decimal(value or 0).quantize(Decimal(1).scaleb(-scale))

    @staticmethod
    def _ordered(spec: m.FieldSpec, value: Any) -> Any:
        if value is None:
            return None
        if spec.kind == m.DECIMAL:
            number = value if isinstance(value, Decimal) else Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
            return number.quantize(Decimal(1).scaleb(-(spec.scale or 0)), rounding=ROUND_HALF_UP) if spec.scale is not None else number
        if spec.kind == m.DATE and not isinstance(value, dt.date):
            return _as_date(value)
        return value
