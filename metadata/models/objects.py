"""Objects and what hangs off them: business types (业务类型), stages, validation and field rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, model_validator

from metadata.models.common import Identifier, Label, Model, describe
from metadata.models.fields import FieldDef


class KeyEvent(Model):
    """A step a sales rep must complete within a stage (关键事件)."""

    api_name: Identifier
    label: Label
    description: Label | None = None
    win_rate_share: Decimal = Field(
        default=Decimal(0),
        ge=0,
        le=100,
        description=describe(
            "Percentage points of win rate this event adds when completed.",
            "完成该事件后增加的赢率百分点。",
        ),
    )
    requires_document: bool = Field(
        default=False,
        description=describe("A document must be attached to complete it.", "完成时必须上传文档。"),
    )


class Stage(Model):
    """One stage of a business type's sales process, referring to a value of the stage field."""

    value: Identifier = Field(
        description=describe("A value of the object's stage picklist.", "阶段字段中的一个选项值。")
    )
    win_rate: Decimal = Field(ge=0, le=100, description=describe("Win rate, in percent.", "赢率（百分比）。"))
    outcome: Literal["open", "won", "lost"] = Field(
        default="open",
        description=describe(
            "Whether reaching this stage closes the record as won or lost.", "到达该阶段是否表示赢单或输单。"
        ),
    )
    key_events: list[KeyEvent] = Field(
        default_factory=list,
        description=describe(
            "Events that must be completed before leaving the stage.", "离开该阶段前必须完成的关键事件。"
        ),
    )

    @model_validator(mode="after")
    def _outcome_rate(self):
        if self.outcome == "won" and self.win_rate != 100:
            raise ValueError(f"a won stage has a win rate of 100, not {self.win_rate}")
        if self.outcome == "lost" and self.win_rate != 0:
            raise ValueError(f"a lost stage has a win rate of 0, not {self.win_rate}")
        return self


class BusinessType(Model):
    """A business type (业务类型): its own layout, required fields, picklist values and stages."""

    api_name: Identifier
    label: Label
    description: Label | None = None
    active: bool = True
    default: bool = Field(
        default=False, description=describe("Chosen when a user may pick only one.", "默认业务类型。")
    )
    departments: list[str] | None = Field(
        default=None,
        description=describe(
            "Codes of the departments that may use it (sub-departments included); omitted means all.",
            "可使用的部门编码（含下级部门）；不填表示全部。",
        ),
    )
    layout: Identifier | None = Field(
        default=None, description=describe("The page layout records of this type use.", "该业务类型使用的页面布局。")
    )
    required_fields: list[Identifier] = Field(
        default_factory=list,
        description=describe("Fields required for records of this type.", "该业务类型下必填的字段。"),
    )
    picklist_values: dict[Identifier, list[Identifier]] = Field(
        default_factory=dict,
        description=describe(
            "For a picklist field, the subset of its values this type offers.", "单选/多选字段在该业务类型下可用的取值子集。"
        ),
    )
    stages: list[Stage] | None = Field(
        default=None,
        description=describe(
            "Ordered stages of the sales process (objects with a stage field).", "销售阶段，按顺序（有阶段字段的对象）。"
        ),
    )

    @model_validator(mode="after")
    def _stages_close(self):
        if self.stages is None:
            return self
        outcomes = [stage.outcome for stage in self.stages]
        if "won" not in outcomes or "lost" not in outcomes:
            raise ValueError("stages need at least one 'won' and one 'lost' stage")
        open_rates = [stage.win_rate for stage in self.stages if stage.outcome == "open"]
        if open_rates != sorted(open_rates):
            raise ValueError("win rates of open stages must not decrease from one stage to the next")
        return self


class ValidationRule(Model):
    """A formula that blocks the save when it is TRUE."""

    api_name: Identifier
    condition: str = Field(
        min_length=1,
        description=describe("When this formula is TRUE the save is refused.", "公式为 TRUE 时拒绝保存。"),
    )
    message: Label = Field(description=describe("The error shown.", "显示的错误信息。"))
    field: Identifier | None = Field(
        default=None,
        description=describe("Show the error next to this field (else at the top).", "错误显示在该字段旁（否则显示在顶部）。"),
    )
    active: bool = True
    description: Label | None = None


class FieldRule(Model):
    """Hide, require or lock a field while a formula holds (evaluated live in forms and on save)."""

    api_name: Identifier
    field: Identifier = Field(description=describe("The field the rule acts on.", "规则作用的字段。"))
    visible_when: str | None = Field(default=None, description=describe("Shown only when TRUE.", "为 TRUE 时才显示。"))
    required_when: str | None = Field(default=None, description=describe("Required when TRUE.", "为 TRUE 时必填。"))
    read_only_when: str | None = Field(default=None, description=describe("Read-only when TRUE.", "为 TRUE 时只读。"))
    business_types: list[Identifier] | None = Field(
        default=None, description=describe("Applies only to these business types.", "仅对这些业务类型生效。")
    )
    active: bool = True

    @model_validator(mode="after")
    def _has_condition(self):
        if not (self.visible_when or self.required_when or self.read_only_when):
            raise ValueError("a field rule needs visible_when, required_when or read_only_when")
        return self


class ObjectFeatures(Model):
    """Platform features an object takes part in."""

    owner: bool = Field(default=True, description=describe("Records have an owner.", "记录有负责人。"))
    team: bool = Field(default=False, description=describe("Records have team members.", "记录有团队成员。"))
    history: bool = Field(default=False, description=describe("Field history is kept.", "保留字段历史。"))
    recycle_bin: bool = Field(
        default=True, description=describe("Deleted records go to the recycle bin.", "删除的记录进入回收站。")
    )
    search: bool = Field(default=True, description=describe("Records appear in global search.", "参与全局搜索。"))
    activities: bool = Field(
        default=False, description=describe("Activities and tasks can be logged against records.", "可记录活动和任务。")
    )


class _ObjectParts(Model):
    fields: list[FieldDef] = Field(default_factory=list, description=describe("Fields.", "字段。"))
    business_types: list[BusinessType] = Field(
        default_factory=list, description=describe("Business types (业务类型).", "业务类型。")
    )
    validation_rules: list[ValidationRule] = Field(
        default_factory=list, description=describe("Validation rules.", "验证规则。")
    )
    field_rules: list[FieldRule] = Field(default_factory=list, description=describe("Field rules.", "字段规则。"))


class ObjectDef(_ObjectParts):
    """An object: one table, its fields, business types and rules."""

    api_name: Identifier
    label: Label
    plural_label: Label
    description: Label | None = None
    icon: str | None = Field(default=None, description=describe("Icon name.", "图标名称。"))
    name_field: Identifier = Field(
        default="name",
        description=describe("The field that names a record in lists and lookups.", "在列表和查找中代表记录的字段。"),
    )
    renamed_from: Identifier | None = Field(
        default=None,
        description=describe("The object's previous api name (the table is renamed, data kept).", "对象原来的 API 名称（重命名表并保留数据）。"),
    )
    features: ObjectFeatures = Field(default_factory=ObjectFeatures)
    stage_field: Identifier | None = Field(
        default=None,
        description=describe(
            "The picklist whose values are the stages each business type arranges.", "阶段字段：各业务类型按顺序配置其取值。"
        ),
    )
    win_rate_field: Identifier | None = Field(
        default=None,
        description=describe(
            "A number or percent field the platform keeps at the stage path's win rate (needs a stage_field).",
            "赢率字段：由平台按阶段路径的赢率自动填写的数字或百分比字段（需要阶段字段）。",
        ),
    )
    unique: list[Annotated[list[Identifier], Field(min_length=2)]] = Field(
        default_factory=list,
        description=describe(
            "Groups of two or more fields whose values together no two records share (a unique index); "
            "a record with any of them blank is not checked.",
            "组合唯一：每组两个或以上字段，其取值组合不能在两条记录中重复（唯一索引）；任一字段为空的记录不受限制。",
        ),
    )

    @model_validator(mode="after")
    def _unique_groups(self):
        for group in self.unique:
            repeated = sorted({name for name in group if group.count(name) > 1})
            if repeated:
                raise ValueError(f"unique group {group} names {', '.join(repeated)} more than once")
        return self


class ObjectExtension(_ObjectParts):
    """Fields, business types and rules a package adds to an object of another package."""

    extends: Identifier = Field(description=describe("The object extended.", "被扩展的对象。"))
