"""The metadata language: pydantic models of packages, objects, fields, layouts and value sets."""

from metadata.models.apps import App
from metadata.models.common import SYSTEM_FIELD_NAMES, Identifier, Label, Model
from metadata.models.fields import (
    CHOICE_TYPES,
    FIELD_TYPES,
    REFERENCE_TYPES,
    AutoNumberField,
    FieldDef,
    FormulaField,
    LookupField,
    MasterDetailField,
    MultiPicklistField,
    PicklistField,
    PicklistValue,
    RegionField,
    RollupField,
)
from metadata.models.layouts import Layout, LayoutItem, LayoutSection, RelatedList
from metadata.models.objects import (
    BusinessType,
    FieldRule,
    KeyEvent,
    ObjectDef,
    ObjectExtension,
    ObjectFeatures,
    Stage,
    ValidationRule,
)
from metadata.models.packages import Dependency, PackageManifest
from metadata.models.value_sets import ValueSet, ValueSetValue

__all__ = [
    "App",
    "AutoNumberField",
    "BusinessType",
    "CHOICE_TYPES",
    "Dependency",
    "FIELD_TYPES",
    "FieldDef",
    "FieldRule",
    "FormulaField",
    "Identifier",
    "KeyEvent",
    "Label",
    "Layout",
    "LayoutItem",
    "LayoutSection",
    "LookupField",
    "MasterDetailField",
    "Model",
    "MultiPicklistField",
    "ObjectDef",
    "ObjectExtension",
    "ObjectFeatures",
    "PackageManifest",
    "PicklistField",
    "PicklistValue",
    "REFERENCE_TYPES",
    "RegionField",
    "RelatedList",
    "RollupField",
    "SYSTEM_FIELD_NAMES",
    "Stage",
    "ValidationRule",
    "ValueSet",
    "ValueSetValue",
]
