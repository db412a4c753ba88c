"""Field labels and record values as pages show them: formatted per field type and locale.

Every value leaves here as data — ``{"value", "text", "href"}`` — and templates print ``text``
through Jinja's autoescaping. A link is only made for schemes that cannot run code (http,
https, mailto, tel) and for record references inside the app; anything else, ``javascript:``
included, is shown as plain text.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import urlsplit

from admin_ui.web.pages import i18n

SYSTEM_LABELS = {
    "id": "Id",
    "owner": "Owner",
    "created_by": "Created By",
    "created_at": "Created At",
    "updated_by": "Last Modified By",
    "updated_at": "Last Modified At",
    "business_type": "Business Type",
    "version": "Version",
    "deleted_at": "Deleted At",
}
SYSTEM_TYPES = {
    "id": "id",
    "owner": "user",
    "created_by": "user",
    "updated_by": "user",
    "created_at": "datetime",
    "updated_at": "datetime",
    "deleted_at": "datetime",
    "business_type": "business_type",
    "version": "integer",
}
TEXT_TYPES = frozenset({"text", "textarea", "long_text", "rich_text", "email", "phone", "url", "auto_number"})
NUMBER_TYPES = frozenset({"integer", "number", "currency", "percent"})
REFERENCE_TYPES = frozenset({"lookup", "master_detail", "user", "department"})
SAFE_SCHEMES = frozenset({"http", "https"})
_CURRENCY_CODE = re.compile(r"^[a-z]{3}$")
DEFAULT_CURRENCY = "CNY"


def definition_of(site, object_name: str, name: str):
    for definition in site.registry.objects[object_name].fields:
        if definition.api_name == name:
            return definition
    return None


def field_type(site, object_name: str, name: str) -> str | None:
    definition = definition_of(site, object_name, name)
    if definition is not None:
        return definition.type
    return SYSTEM_TYPES.get(name)


def result_type(site, object_name: str, name: str) -> str | None:
    """The type a value is shown as: a formula's return type, a roll-up's summarised type."""
    definition = definition_of(site, object_name, name)
    if definition is None:
        return SYSTEM_TYPES.get(name)
    if definition.type == "formula":
        return definition.return_type
    if definition.type == "rollup":
        if definition.function == "count" or definition.summarized_field is None:
            return "integer"
        return result_type(site, definition.child_object, definition.summarized_field)
    return definition.type


def field_label(site, object_name: str, name: str, language: str) -> str:
    definition = definition_of(site, object_name, name)
    if definition is not None:
        return definition.label.text(language)
    return i18n.gettext(language, SYSTEM_LABELS.get(name, name))


def targets(site, object_name: str, name: str) -> tuple[str, ...]:
    definition = definition_of(site, object_name, name)
    if definition is None:
        return ("user",) if SYSTEM_TYPES.get(name) == "user" else ()
    return tuple(getattr(definition, "targets", ()) or ())


def safe_href(url: Any) -> str | None:
    """``url`` when it is an absolute http(s) address, else None (never a script URL)."""
    if not isinstance(url, str):
        return None
    text = url.strip()
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return None
    return text if scheme in SAFE_SCHEMES and not any(ord(char) < 32 for char in text) else None


def choice_labels(site, object_name: str, name: str, language: str) -> dict[str, str]:
    definition = definition_of(site, object_name, name)
    if definition is None:
        if name == "business_type":
            return {item.api_name: item.label.text(language) for item in site.registry.objects[object_name].business_types}
        return {}
    if definition.type == "region":
        value_set = site.registry.value_sets.get(definition.value_set)
        return {value.api_name: value.label.text(language) for value in (value_set.values or [])} if value_set else {}
    if definition.type not in ("picklist", "multi_picklist"):
        return {}
    return {value.api_name: value.label.text(language) for value in site.registry.picklist_values(object_name, name)}


class _Same:
    """A value set compared by identity, so an index of it can be cached (the set never changes)."""

    __slots__ = ("value_set",)

    def __init__(self, value_set):
        self.value_set = value_set

    def __hash__(self) -> int:
        return id(self.value_set)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Same) and other.value_set is self.value_set


@functools.lru_cache(maxsize=8)
def _index(same: _Same) -> dict:
    # region sets hold thousands of values: index each set once, not once per cell shown
    return {item.api_name: item for item in (same.value_set.values or [])}


def _by_code(value_set) -> dict:
    return _index(_Same(value_set))


def region_path(site, object_name: str, name: str, value: str, language: str) -> str:
    """A region with the levels above it: "province / city / district"."""
    definition = definition_of(site, object_name, name)
    value_set = site.registry.value_sets.get(getattr(definition, "value_set", None) or "")
    by_code = _by_code(value_set) if value_set else {}
    labels, current, hops = [], by_code.get(value), 0
    while current is not None and hops < 5:
        labels.insert(0, current.label.text(language))
        current, hops = by_code.get(current.parent) if current.parent else None, hops + 1
    return " / ".join(labels) or str(value)


def currency_of(record: dict[str, Any]) -> str:
    code = record.get("currency")
    return code.upper() if isinstance(code, str) and _CURRENCY_CODE.match(code) else DEFAULT_CURRENCY


def display(site, object_name: str, name: str, record: dict[str, Any], language: str, *, app: str, zone: str = "UTC") -> dict[str, Any]:
    """One field of a record as a page shows it."""
    value = record.get(name)
    kind = result_type(site, object_name, name)
    shown: dict[str, Any] = {"field": name, "type": kind, "value": value, "text": "", "href": None}
    if value is None or value == "" or value == []:
        return shown
    if kind in REFERENCE_TYPES or (kind == "id" and name != "id"):
        if isinstance(value, dict):
            shown["value"] = value.get("id")
            shown["text"] = str(value.get("name") or value.get("id"))
            found = targets(site, object_name, name)
            # a polymorphic lookup's expansion names the object its record belongs to
            target = found[0] if len(found) == 1 else value.get("object")
            if target in site.registry.objects:
                shown["href"] = f"/app/{app}/{target}/{value.get('id')}"
        else:
            shown["text"] = str(value)
        return shown
    if kind == "region":
        shown["text"] = region_path(site, object_name, name, value, language)
        return shown
    if kind in ("picklist", "business_type"):
        labels = choice_labels(site, object_name, name, language)
        shown["text"] = labels.get(value, str(value))
        return shown
    if kind == "multi_picklist":
        labels = choice_labels(site, object_name, name, language)
        shown["text"] = ", ".join(labels.get(item, str(item)) for item in value)
        return shown
    if kind == "tags":
        shown["text"] = ", ".join(str(item) for item in value)
        return shown
    if kind == "checkbox":
        shown["text"] = i18n.gettext(language, "Yes" if value else "No")
        return shown
    if kind == "currency":
        shown["text"] = i18n.money(value, currency_of(record), language)
    elif kind == "percent":
        shown["text"] = i18n.percent(value, language)
    elif kind in ("integer", "number"):
        definition = definition_of(site, object_name, name)
        scale = 0 if kind == "integer" else getattr(definition, "scale", None)
        shown["text"] = i18n.number(value, language, scale, grouped=getattr(definition, "format", "grouped") != "plain")
    elif kind == "date":
        shown["text"] = i18n.date(value, language)
    elif kind == "datetime":
        shown["text"] = i18n.datetime(value, language, zone)
    elif kind == "time":
        shown["text"] = i18n.time(value, language)
    elif kind == "url":
        shown["text"] = str(value)
        shown["href"] = safe_href(value)
    elif kind == "email":
        shown["text"] = str(value)
        shown["href"] = f"mailto:{value}" if "@" in str(value) and ":" not in str(value) else None
    elif kind == "geolocation" and isinstance(value, dict):
        shown["text"] = f"{value.get('lat')}, {value.get('lng')}"
    elif kind in ("file", "image") and isinstance(value, list):
        shown["text"] = ", ".join(str(item.get("name", item)) if isinstance(item, dict) else str(item) for item in value)
    else:
        shown["text"] = str(value)
    return shown


def expandable(site, object_name: str, names: list[str]) -> list[str]:
    """The reference fields among ``names`` whose target's name can be fetched with the record."""
    found = []
    for name in names:
        kind = field_type(site, object_name, name)
        if kind in REFERENCE_TYPES and any(target in site.registry.objects for target in targets(site, object_name, name)):
            found.append(name)
    return found
