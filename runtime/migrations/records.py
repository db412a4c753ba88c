"""Plan steps over the records themselves: count the records a rule finds broken, fill win rates.

They run last in a plan (phase 10), on the transaction's connection, when every table already
has the shape the new metadata describes, so they read records exactly as the record pipeline
will after the upgrade. Each returns a sentence for the plan's findings.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa

import formula
from metadata.registry import Registry
from runtime.errors import MigrationError
from runtime.records import model as m
from runtime.records.coercion import Invalid
from runtime.records import stages
from runtime.records.context import SYSTEM
from runtime.records.formulas import FormulaSupport
from runtime.records.storage import RowMapper, internal_value
from runtime.schema import build_tables, new_metadata

__all__ = ["count_rule_breakers", "fill_win_rates"]

#: rows read per round trip
_BATCH = 1000


class _Records:
    """Live records of one registry's tables, as the record pipeline's formulas read them."""

    def __init__(self, connection: sa.Connection, registry: Registry):
        self.connection = connection
        self.models = m.ObjectModels(registry)
        self.formulas = FormulaSupport(registry)
        self.tables = build_tables(registry, new_metadata())
        self._mappers: dict[str, RowMapper] = {}
        self._loaded: dict[tuple[str, str], dict[str, Any] | None] = {}

    def mapper(self, object_name: str) -> RowMapper:
        if object_name not in self._mappers:
            self._mappers[object_name] = RowMapper(self.models.get(object_name), self.tables[object_name])
        return self._mappers[object_name]

    def view(self, model: m.ObjectModel, row: Mapping[str, Any]) -> dict[str, Any]:
        record = self.mapper(model.name).from_row(row)
        record["id"] = row["id"]
        inputs = model.formula_inputs
        values = {name: internal_value(model.fields[name], value) for name, value in record.items() if name in model.fields}
        return {name: tuple(value) if isinstance(value, list) else value for name, value in values.items() if name in inputs} | {"id": row["id"]}

    def live(self, object_name: str) -> Iterator[dict[str, Any]]:
        model = self.models.get(object_name)
        table = self.tables[object_name]
        statement = sa.select(table.c.id, *self.mapper(object_name).columns).where(table.c.deleted_at.is_(None)).order_by(table.c.id)
        for row in self.connection.execute(statement, execution_options={"yield_per": _BATCH}):
            yield self.view(model, row._mapping)

    def load(self, object_name: str, record_id: str) -> dict[str, Any] | None:
        key = (object_name, record_id)
        if key not in self._loaded:
            table = self.tables[object_name]
            row = self.connection.execute(
                sa.select(table.c.id, *self.mapper(object_name).columns).where(table.c.id == record_id)
            ).first()
            self._loaded[key] = self.view(self.models.get(object_name), row._mapping) if row is not None else None
        return self._loaded[key]

    def prefetch(self, model: m.ObjectModel, record: Mapping[str, Any], paths) -> dict[str, Any]:
        """Values of cross-object paths (``parent.name``), followed through single-target references."""
        values: dict[str, Any] = {}
        for path in paths:
            current_model, current = model, record
            for part in path[:-1]:
                spec = current_model.fields.get(part)
                target_id = current.get(part) if current is not None else None
                if spec is None or spec.kind != m.REFERENCE or not target_id or len(spec.targets) != 1:
                    current = None
                    break
                current_model = self.models.get(spec.targets[0])
                current = self.load(current_model.name, target_id)
            last = path[-1]
            if current is not None and last not in current and last in current_model.fields:
                if current_model.fields[last].type == "formula":
                    current = {**current, **self.formulas.field_values(current_model, [last], current, SYSTEM, self.prefetch)}
            values[".".join(path)] = current.get(last) if current is not None else None
        return values


def count_rule_breakers(connection: sa.Connection, registry: Registry, object_name: str, rule_name: str) -> str:
    """How many live records of ``object_name`` validation rule ``rule_name`` finds broken."""
    records = _Records(connection, registry)
    model = records.models.get(object_name)
    rule = next(item for item in model.definition.validation_rules if item.api_name == rule_name)
    compiled = records.formulas.compiled(object_name, rule.condition, "validation")
    needed = records.formulas.formula_inputs(model, compiled)[1]
    broken = failed = 0
    for record in records.live(object_name):
        view = records.formulas.with_formula_fields(model, needed, record, SYSTEM, records.prefetch) if needed else record
        try:
            # judged as a save that changes nothing: ISCHANGED is false, PRIORVALUE the value itself
            broken += records.formulas.rule_holds(model, rule.condition, view, view, SYSTEM, records.prefetch)
        except formula.FormulaError:
            failed += 1
    what = f"validation rule {object_name}.{rule_name}: "
    if not broken and not failed:
        return what + "no existing record breaks it"
    text = what + f"{broken} existing record{'s' if broken != 1 else ''} break{'s' if broken == 1 else ''} it"
    if failed:
        text += f", and it cannot be evaluated on {failed}"
    return text + "; they stay editable in the fields it does not read, and must satisfy it when those change"


def fill_win_rates(connection: sa.Connection, registry: Registry, object_name: str) -> str:
    """Set the win-rate field of every record (recycle bin too) to its stage path's win rate."""
    object_def = registry.objects[object_name]
    field_name = object_def.win_rate_field
    stage_field = object_def.stage_field
    assert field_name and stage_field  # the planner adds the step only for such objects
    table = build_tables(registry, new_metadata())[object_name]
    completions = stages.build_tables(sa.MetaData())[stages.TABLE]
    done: dict[tuple[str, str], set[str]] = {}
    for row in connection.execute(
        sa.select(completions.c.record_id, completions.c.stage, completions.c.event).where(completions.c.object == object_name)
    ):
        done.setdefault((row.record_id, row.stage), set()).add(row.event)
    spec = m.ObjectModels(registry).get(object_name).fields[field_name]
    changes = []
    for row in connection.execute(sa.select(table.c.id, table.c.business_type, table.c[stage_field], table.c[field_name])):
        record = {"business_type": row.business_type, stage_field: row[2]}
        rate = stages.win_rate_of(object_def, record, done.get((row.id, row[2]), set()))
        if rate is not None and spec.coerce is not None:
            try:
                rate = spec.coerce(rate)  # rounded to the field's scale, as the record pipeline keeps it
            except Invalid as invalid:
                raise MigrationError(
                    f"cannot fill {object_name}.{field_name} on record {row.id}: the win rate {rate} does not fit the field ({invalid.code}); nothing was changed"
                ) from None
        if rate != row[3]:
            changes.append({"_id": row.id, "_rate": rate})
    if changes:
        connection.execute(
            sa.update(table).where(table.c.id == sa.bindparam("_id")).values({table.c[field_name]: sa.bindparam("_rate")}), changes
        )
    count = len(changes)
    return f"win rate {object_name}.{field_name}: {count} record{'s' if count != 1 else ''} filled from the stage path"
