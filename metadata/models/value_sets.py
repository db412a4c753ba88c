"""Global value sets: picklist values shared by many fields, flat or hierarchical."""

from __future__ import annotations

from pydantic import Field, model_validator

from metadata.models.common import Identifier, Label, Model, describe
from metadata.models.fields import PicklistValue


class ValueSetValue(PicklistValue):
    """A value of a global value set; in a hierarchical set it may name its parent value."""

    parent: Identifier | None = Field(default=None, description=describe("The parent value.", "上级值。"))


class ValueSet(Model):
    """A named list of values that picklist fields can share."""

    api_name: Identifier
    label: Label
    description: Label | None = None
    values: list[ValueSetValue] | None = Field(default=None, description=describe("The values.", "取值列表。"))
    values_file: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_./-]+\.csv$",
        description=describe(
            "A CSV file (api_name,parent,label_zh,label_en) beside this file holding the values.",
            "存放取值的 CSV 文件（api_name,parent,label_zh,label_en），路径相对于本文件。",
        ),
    )
    hierarchical: bool = Field(default=False, description=describe("Values form a tree.", "取值为树形结构。"))
    levels: list[Label] | None = Field(
        default=None, description=describe("Names of the tree's levels.", "各层级的名称。")
    )
    locked: bool = Field(
        default=False,
        description=describe("Preset: admins cannot edit or delete its values.", "预置：管理员不可编辑或删除其取值。"),
    )
    source: str | None = Field(default=None, description=describe("Where the data comes from.", "数据来源。"))

    @model_validator(mode="after")
    def _one_source(self):
        if (self.values is None) == (self.values_file is None):
            raise ValueError("give exactly one of 'values' or 'values_file'")
        return self
