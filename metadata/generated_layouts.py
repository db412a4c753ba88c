"""The layout an object gets when its package declares none.

A partner's object must be usable the moment it is installed, as Salesforce gives every new
object a default page layout: one section holding every declared field in declaration sequence,
and a related list for every reference other objects make to it. Nothing is stored; the layout is
computed from the registry each time it is asked for, so it follows the object's fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from metadata.models import Label, Layout, LayoutSection, RelatedList

if TYPE_CHECKING:
    from metadata.registry import Registry

__all__ = ["generated_layout", "layout_for"]

_DETAILS = Label(en="Details", zh="详细信息")
_REFERENCE_TYPES = ("lookup", "master_detail", "user", "department")


def generated_layout(registry: Registry, object_name: str) -> Layout:
    """One section of every field of ``object_name``, and its children's related lists."""
    object_def = registry.objects[object_name]
    fields = [definition.api_name for definition in object_def.fields]
    if object_def.name_field in fields:  # the name first, as on every declared layout
        fields.remove(object_def.name_field)
        fields.insert(0, object_def.name_field)
    related: list[RelatedList] = []
    for child_name, child in registry.objects.items():
        for definition in child.fields:
            if definition.type in _REFERENCE_TYPES and object_name in definition.targets:
                related.append(
                    RelatedList(
                        object=child_name,
                        field=definition.api_name,
                        label=definition.related_list_label or child.plural_label,
                        columns=[child.name_field],
                    )
                )
    return Layout(
        api_name=f"{object_name}_generated",
        object=object_name,
        label=object_def.label,
        sections=[LayoutSection(api_name="details", label=_DETAILS, fields=fields or [object_def.name_field])],
        related_lists=related,
    )


def layout_for(registry: Registry, object_name: str, business_type: str | None = None) -> Layout:
    """The layout of ``business_type`` (the default type when not given), else the object's first
    declared layout, else the generated one."""
    object_def = registry.objects[object_name]
    chosen = next((item for item in object_def.business_types if item.api_name == business_type), None)
    chosen = chosen or next((item for item in object_def.business_types if item.default), None)
    if chosen is not None and chosen.layout in registry.layouts:
        return registry.layouts[chosen.layout]
    declared = next((layout for layout in registry.layouts.values() if layout.object == object_name), None)
    return declared if declared is not None else generated_layout(registry, object_name)
