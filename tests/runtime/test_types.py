"""The field-type → column-type map, and the column types that hide dialect differences."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pydantic import TypeAdapter

from metadata.models import FIELD_TYPES, FieldDef
from runtime.types import COLUMN_TYPES, DecimalType, JSON_VALUE, UtcDateTime, column_types, describe_type

_field = TypeAdapter(FieldDef).validate_python
LABEL = {"en": "X"}


def test_every_field_type_has_a_column_type_or_a_rule():
    assert set(FIELD_TYPES) - set(COLUMN_TYPES) == {"formula", "geolocation", "rollup"}


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        ({"type": "text", "max_length": 80}, {"f": "VARCHAR(80)"}),
        ({"type": "email"}, {"f": "VARCHAR(255)"}),
        ({"type": "phone"}, {"f": "VARCHAR(40)"}),
        ({"type": "url"}, {"f": "VARCHAR(1024)"}),
        ({"type": "textarea"}, {"f": "TEXT"}),
        ({"type": "long_text"}, {"f": "TEXT"}),
        ({"type": "rich_text"}, {"f": "TEXT"}),
        ({"type": "integer"}, {"f": "BIGINT"}),
        ({"type": "number"}, {"f": "NUMERIC(18,2)"}),
        ({"type": "currency", "precision": 20, "scale": 4}, {"f": "NUMERIC(20,4)"}),
        ({"type": "percent", "scale": 1}, {"f": "NUMERIC(18,1)"}),
        ({"type": "date"}, {"f": "DATE"}),
        ({"type": "datetime"}, {"f": "TIMESTAMP WITH TIME ZONE"}),
        ({"type": "time"}, {"f": "TIME"}),
        ({"type": "checkbox"}, {"f": "BOOLEAN"}),
        ({"type": "picklist", "values": [{"api_name": "a", "label": LABEL}]}, {"f": "VARCHAR(50)"}),
        ({"type": "multi_picklist", "values": [{"api_name": "a", "label": LABEL}]}, {"f": "JSON"}),
        ({"type": "tags"}, {"f": "JSON"}),
        ({"type": "lookup", "to": "thing"}, {"f": "VARCHAR(32)"}),
        ({"type": "master_detail", "to": "thing"}, {"f": "VARCHAR(32)"}),
        ({"type": "user"}, {"f": "VARCHAR(32)"}),
        ({"type": "department"}, {"f": "VARCHAR(32)"}),
        ({"type": "auto_number", "pattern": "N-{000}"}, {"f": "VARCHAR(100)"}),
        ({"type": "region"}, {"f": "VARCHAR(20)"}),
        ({"type": "geolocation"}, {"f__lat": "NUMERIC(9,6)", "f__lng": "NUMERIC(9,6)"}),
        ({"type": "file"}, {"f": "JSON"}),
        ({"type": "image"}, {"f": "JSON"}),
        ({"type": "formula", "return_type": "number", "expression": "1"}, {}),
        ({"type": "rollup", "child_object": "c", "relation_field": "p", "function": "count"}, {"f": "NUMERIC(18,0)"}),
    ],
)
def test_type_map(definition, expected):
    field = _field({"api_name": "f", "label": LABEL, **definition})
    assert {name: describe_type(column_type) for name, column_type in column_types(field).items()} == expected


@pytest.fixture
def values_table(engine):
    metadata = sa.MetaData()
    table = sa.Table(
        "typed",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("amount", DecimalType(18, 2)),
        sa.Column("rate", DecimalType(12, 6)),
        sa.Column("moment", UtcDateTime()),
        sa.Column("entries", JSON_VALUE),
    )
    metadata.create_all(engine)
    return table


@pytest.mark.parametrize(
    "amount",
    [Decimal("0.10"), Decimal("0.30"), Decimal("1234567890123.45"), Decimal("-0.01"), Decimal("99999.99")],
)
def test_decimals_come_back_exact_and_quantized(engine, values_table, amount):
    with engine.begin() as connection:
        connection.execute(sa.insert(values_table), {"id": 1, "amount": amount, "rate": Decimal("0.1")})
        row = connection.execute(sa.select(values_table)).one()
    assert row.amount == amount and isinstance(row.amount, Decimal)
    assert str(row.amount) == str(amount)
    assert str(row.rate) == "0.100000"


def test_decimal_sums_are_numbers_in_sql(engine, values_table):
    with engine.begin() as connection:
        connection.execute(sa.insert(values_table), [{"id": i, "amount": Decimal("0.10")} for i in range(1, 11)])
        total = connection.execute(sa.select(sa.func.sum(values_table.c.amount))).scalar_one()
        over = connection.execute(sa.select(sa.func.count()).where(values_table.c.amount > Decimal("0.09"))).scalar_one()
    assert Decimal(str(total)).quantize(Decimal("0.01")) == Decimal("1.00")
    assert over == 10


def test_datetimes_are_stored_in_utc_and_come_back_aware(engine, values_table):
    shanghai = dt.timezone(dt.timedelta(hours=8))
    moment = dt.datetime(2024, 3, 1, 9, 30, tzinfo=shanghai)
    with engine.begin() as connection:
        connection.execute(sa.insert(values_table), [{"id": 1, "moment": moment}, {"id": 2, "moment": dt.datetime(2024, 3, 1, 2, 0)}])
        rows = connection.execute(sa.select(values_table.c.moment).order_by(values_table.c.id)).scalars().all()
    assert rows[0] == moment and rows[0].tzinfo == dt.timezone.utc and rows[0].hour == 1
    assert rows[1] == dt.datetime(2024, 3, 1, 2, 0, tzinfo=dt.timezone.utc)  # naive is taken as UTC


def test_json_arrays_round_trip_and_none_is_null(engine, values_table):
    with engine.begin() as connection:
        connection.execute(sa.insert(values_table), [{"id": 1, "entries": ["a", "b"]}, {"id": 2, "entries": None}])
        nulls = connection.execute(sa.select(sa.func.count()).where(values_table.c.entries.is_(None))).scalar_one()
        first = connection.execute(sa.select(values_table.c.entries).where(values_table.c.id == 1)).scalar_one()
    assert first == ["a", "b"]
    assert nulls == 1
