"""Page layouts: sections of fields and related lists, chosen per business type."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from metadata.models.common import Identifier, Label, Model, describe


class LayoutItem(Model):
    """A field placed in a section, with per-layout options."""

    field: Identifier
    required: bool = Field(default=False, description=describe("Required on this layout.", "在该布局中必填。"))
    read_only: bool = Field(default=False, description=describe("Read-only on this layout.", "在该布局中只读。"))


class LayoutSection(Model):
    """A titled group of fields in one or two columns."""

    api_name: Identifier
    label: Label
    columns: Literal[1, 2] = Field(default=2, description=describe("Columns of fields.", "字段列数。"))
    collapsed: bool = Field(default=False, description=describe("Starts collapsed.", "默认折叠。"))
    fields: list[Identifier | LayoutItem] = Field(
        description=describe("Fields, left to right then top to bottom.", "字段，先左右后上下。")
    )

    @property
    def items(self) -> list[LayoutItem]:
        """Every entry as a LayoutItem."""
        return [LayoutItem(field=entry) if isinstance(entry, str) else entry for entry in self.fields]


class RelatedList(Model):
    """Child records shown under a record: those whose ``field`` points at it."""

    object: Identifier = Field(description=describe("The child object.", "子对象。"))
    field: Identifier = Field(
        description=describe("The child's lookup or master-detail field pointing here.", "子对象上指向本对象的关联字段。")
    )
    label: Label | None = Field(default=None, description=describe("Title (default: the field's related-list label).", "标题（默认取关联字段的相关列表标题）。"))
    columns: list[Identifier] = Field(min_length=1, description=describe("Columns shown.", "显示的列。"))
    sort: str | None = Field(
        default=None,
        pattern=r"^-?[a-z][a-z0-9_]*$",
        description=describe("Sort field; a leading '-' sorts descending.", "排序字段；前加 '-' 表示降序。"),
    )
    limit: int = Field(default=10, ge=1, le=200, description=describe("Rows shown before 'view all'.", "显示的行数。"))


class Layout(Model):
    """A page layout for one object."""

    api_name: Identifier
    object: Identifier = Field(description=describe("The object laid out.", "布局所属对象。"))
    label: Label
    sections: list[LayoutSection] = Field(min_length=1)
    related_lists: list[RelatedList] = Field(default_factory=list)

    @property
    def field_names(self) -> list[str]:
        """Every field placed on the layout, section by section."""
        return [item.field for section in self.sections for item in section.items]
