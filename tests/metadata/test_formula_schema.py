"""The registry resolver's schema version: what the cache of checked formulas is keyed by."""

from __future__ import annotations

from formula import FormulaCache
from metadata.formula_schema import RegistryResolver
from metadata.registry import load_registry, shipped_packages


def test_the_version_follows_field_types_and_nothing_else():
    registry = load_registry(shipped_packages())
    resolver = RegistryResolver(registry)
    before = resolver.schema_version()
    assert resolver.schema_version() == before
    assert RegistryResolver(load_registry(shipped_packages())).schema_version() == before  # same fields, same version

    name, object_def = next(iter(registry.objects.items()))
    relabelled = object_def.model_copy(update={"label": {"en": "Renamed", "zh": "改名"}})
    registry.objects[name] = relabelled
    assert resolver.schema_version() == before  # a label is not something a formula's type depends on

    text_field = next(item for item in object_def.fields if item.type == "text")
    retyped = text_field.model_copy(update={"type": "checkbox"})
    registry.objects[name] = object_def.model_copy(
        update={"fields": [retyped if item is text_field else item for item in object_def.fields]}
    )
    assert resolver.schema_version() != before


def test_a_retyped_field_misses_the_cache():
    registry = load_registry(shipped_packages())
    resolver = RegistryResolver(registry)
    name, object_def = next(iter(registry.objects.items()))
    text_field = next(item for item in object_def.fields if item.type == "text")
    cache = FormulaCache()
    assert str(cache.check(text_field.api_name, resolver, object_name=name).type) == "text"
    retyped = text_field.model_copy(update={"type": "checkbox"})
    registry.objects[name] = object_def.model_copy(
        update={"fields": [retyped if item is text_field else item for item in object_def.fields]}
    )
    assert str(cache.check(text_field.api_name, resolver, object_name=name).type) == "boolean"
