"""Business-type rules (业务类型): required fields, picklist subsets, dependent picklists, stages.

These rules need the whole record (after defaults) and, on update, the stored one: a value that
was inactive or outside the business type may stay on a record that already had it, but cannot be
chosen anew. Every problem is reported together.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from runtime.errors import FieldError
from runtime.records.messages import field_error
from runtime.records.model import ObjectModel

_BLANK = (None, "", [], ())


def _values(value: Any) -> list[str]:
    if value in _BLANK:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def check_business_type(
    model: ObjectModel,
    record: Mapping[str, Any],
    old: Mapping[str, Any] | None,
    *,
    creating: bool,
    changed: Collection[str] | None = None,
) -> list[FieldError]:
    """Problems with ``record`` under its business type (``old`` is the stored record on update).

    On update, ``changed`` names the fields the save changes. A required field left blank blocks
    the save only when the save blanks it, or moves the record to another business type: a
    record stored before the field became required stays editable in every other field (and its
    platform-kept values, such as a key event's win rate, stay current).
    """
    errors: list[FieldError] = []
    bt_name = record.get("business_type")
    business_type = model.business_types.get(bt_name) if bt_name else None
    changed_bt = old is None or old.get("business_type") != bt_name
    if model.business_types:
        if business_type is None or (changed_bt and not business_type.active):
            errors.append(field_error("business_type", "invalid_business_type", value=bt_name))
            business_type = None
    judged = None if changed is None or changed_bt else set(changed)
    old = old or {}

    def missing(name: str) -> bool:
        return record.get(name) in _BLANK and (judged is None or name in judged)

    if business_type is not None and business_type.required_fields:
        required = model.required_fields | set(business_type.required_fields)
        for name in model.fields:
            if name in required and missing(name):
                spec = model.fields[name]
                if spec.stored and spec.type not in ("auto_number", "rollup", "checkbox"):
                    errors.append(field_error(name, "required"))
    else:
        errors.extend(field_error(name, "required") for name in model.required_stored if missing(name))

    stage_field = model.definition.stage_field
    staged = business_type is not None and bool(business_type.stages) and stage_field
    for name, labels in model.value_labels.items():
        values = _values(record.get(name))
        if not values:
            continue
        if staged and name == stage_field:
            continue  # the stage check below says it once, and more precisely
        previous = set(_values(old.get(name)))
        subset = business_type.picklist_values.get(name) if business_type is not None else None
        for value in values:
            if value in previous:
                continue  # kept from before: stays even if since made inactive or unoffered
            choice = labels.get(value)
            if choice is not None and not choice.active:
                errors.append(field_error(name, "inactive_choice", value=value))
            elif subset is not None and value not in subset:
                errors.append(field_error(name, "choice_not_in_business_type", value=value, business_type=bt_name))
        errors.extend(_dependent(model, name, record, values, previous))

    if staged:
        stage = record.get(stage_field)
        stages = {item.value for item in business_type.stages}
        if stage not in _BLANK and stage != old.get(stage_field):
            choice = model.value_labels.get(stage_field, {}).get(stage)
            if choice is not None and not choice.active:
                errors.append(field_error(stage_field, "inactive_choice", value=stage))
            elif stage not in stages:
                errors.append(field_error(stage_field, "stage_not_in_business_type", value=stage, business_type=bt_name))
    return errors


def _dependent(model: ObjectModel, name: str, record: Mapping[str, Any], values: list[str], previous: set[str]) -> list[FieldError]:
    definition = model.fields[name].definition
    controlling = getattr(definition, "controlling_field", None)
    if not controlling:
        return []
    controlling_value = record.get(controlling)
    if isinstance(controlling_value, bool):
        key = "true" if controlling_value else "false"
    else:
        key = controlling_value
    allowed = set(definition.dependencies.get(key, ())) if key not in _BLANK else set()
    return [
        field_error(name, "dependent_choice", value=value, controlling=controlling, controlling_value=key or "")
        for value in values
        if value not in allowed
    ]
