"""Apps: what end users navigate by — a label and an ordered row of object tabs."""

from __future__ import annotations

from pydantic import Field, field_validator

from metadata.models.common import Identifier, Label, Model, describe


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

    @field_validator("tabs")
    @classmethod
    def _distinct(cls, tabs: list[str]) -> list[str]:
        repeated = sorted({tab for tab in tabs if tabs.count(tab) > 1})
        if repeated:
            raise ValueError(f"tab(s) listed twice: {', '.join(repeated)}")
        return tabs
