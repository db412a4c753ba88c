"""Apps: what end users navigate by — a label, an ordered row of object tabs, saved list views."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from metadata.models.common import Identifier, Label, Model, describe


class ListView(Model):
    """A list view users pick above an object's list: whose records, which, in what sequence."""

    api_name: Identifier
    object: Identifier = Field(description=describe("The object listed (one of the app's tabs).", "所列对象（应用的页签之一）。"))
    label: Label
    scope: Literal["all", "mine", "team"] = Field(
        default="all",
        description=describe(
            "Whose records: all the user may see, the user's own, or theirs and their direct reports'.",
            "谁的记录：用户可见的全部、本人负责的、本人及直接下属负责的。",
        ),
    )
    filter: dict[str, Any] | None = Field(
        default=None,
        description=describe("A condition in the query filter language (checked when the view is used).", "查询筛选语言写的条件（使用时检查）。"),
    )
    columns: list[Identifier] | None = Field(
        default=None, description=describe("Columns (default: the name field and key fields).", "显示的列（默认：名称字段和主要字段）。")
    )
    sort: str | None = Field(
        default=None,
        pattern=r"^-?[a-z][a-z0-9_]*$",
        description=describe("Sort field; a leading '-' sorts descending.", "排序字段；前加 '-' 表示降序。"),
    )


class App(Model):
    """An app: a bilingual label and the objects shown as its tabs, in sequence."""

    api_name: Identifier
    label: Label
    description: Label | None = None
    icon: str | None = Field(default=None, description=describe("Icon name.", "图标名称。"))
    tabs: list[Identifier] = Field(
        min_length=1,
        description=describe(
            "Objects shown as tabs, left to right; users see only those they may read.",
            "作为页签显示的对象，从左到右；用户只看到有权查看的对象。",
        ),
    )
    list_views: list[ListView] = Field(
        default_factory=list,
        description=describe("List views offered on the app's tabs.", "应用页签上提供的列表视图。"),
    )

    @field_validator("tabs")
    @classmethod
    def _distinct(cls, tabs: list[str]) -> list[str]:
        repeated = sorted({tab for tab in tabs if tabs.count(tab) > 1})
        if repeated:
            raise ValueError(f"tab(s) listed twice: {', '.join(repeated)}")
        return tabs
