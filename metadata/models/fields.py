"""Field definitions: one model per field type, told apart by ``type``.

The runtime maps each type to one column type; the formula layer maps each type to a formula
type. Options that only make sense for some types live only on those types, so a YAML file that
puts ``scale`` on a text field is an error in the editor and in the loader alike.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, field_validator, model_validator

from metadata.models.common import Identifier, Label, Model, describe

HEX_COLOUR_PATTERN = r"^#[0-9a-fA-F]{6}$"

#: how pages show a number: ``grouped`` with the language's thousands separators (12,345.60),
#: ``plain`` digits only (a year such as 2026, a code): display only, the value is the same
NumberFormat = Literal["grouped", "plain"]


def _format_field():
    return Field(
        default="grouped",
        description=describe(
            "How pages show it: grouped (12,345) or plain digits (a year or a code: 2026).",
            "页面显示方式：grouped 千位分隔（12,345），plain 不分隔（年份、编码：2026）。",
        ),
    )
AUTO_NUMBER_TOKEN = re.compile(r"\{([^{}]*)\}")
AUTO_NUMBER_TOKENS = ("YYYY", "YY", "MM", "DD")


class FieldBase(Model):
    """Options every field type has."""

    api_name: Identifier = Field(description=describe("The field's api name.", "字段的 API 名称。"))
    label: Label = Field(description=describe("What users see.", "显示名称。"))
    description: Label | None = Field(
        default=None, description=describe("What the field is for (admins).", "字段用途说明（管理员可见）。")
    )
    help_text: Label | None = Field(
        default=None, description=describe("Hint shown next to the input.", "输入框旁显示的提示。")
    )
    renamed_from: Identifier | None = Field(
        default=None,
        description=describe(
            "The field's previous api name: the migration renames the column and keeps its data.",
            "字段原来的 API 名称：迁移时重命名列并保留数据。",
        ),
    )
    read_only: bool = Field(
        default=False, description=describe("Users cannot edit it.", "用户不可编辑。")
    )
    track_history: bool = Field(
        default=False,
        description=describe("Changes are recorded in the field history.", "变更记录到字段历史。"),
    )

    @property
    def stored(self) -> bool:
        """Whether the field has a column of its own."""
        return True


class StoredFieldBase(FieldBase):
    """Options of fields whose values users enter."""

    required: bool = Field(default=False, description=describe("A value is required.", "必填。"))
    unique: bool = Field(
        default=False, description=describe("No two records share a value.", "值唯一。")
    )
    indexed: bool = Field(
        default=False, description=describe("The column gets an index.", "为该列建立索引。")
    )
    searchable: bool = Field(
        default=False,
        description=describe("Included in global and quick search.", "参与全局搜索与快速搜索。"),
    )
    default_formula: str | None = Field(
        default=None,
        description=describe(
            "A formula giving the value of a new record (instead of a fixed default).",
            "新建记录时计算默认值的公式（代替固定默认值）。",
        ),
    )

    @model_validator(mode="after")
    def _one_default(self):
        if self.default_formula is not None and getattr(self, "default", None) is not None:
            raise ValueError("give either 'default' or 'default_formula', not both")
        return self


class _Lengthed(StoredFieldBase):
    max_length: int = Field(default=255, ge=1, description=describe("Maximum characters.", "最大字符数。"))
    default: str | None = Field(default=None, description=describe("Default value.", "默认值。"))

    max_length_limit: ClassVar[int] = 255

    @model_validator(mode="after")
    def _length_limit(self):
        if self.max_length > self.max_length_limit:
            raise ValueError(
                f"max_length {self.max_length} is over the limit of {self.max_length_limit} "
                f"for a {self.type} field"
            )
        return self


class TextField(_Lengthed):
    """A single line of text."""

    type: Literal["text"]
    max_length_limit: ClassVar[int] = 1000


class TextAreaField(_Lengthed):
    """Several lines of plain text."""

    type: Literal["textarea"]
    max_length: int = Field(default=4000, ge=1, description=describe("Maximum characters.", "最大字符数。"))
    max_length_limit: ClassVar[int] = 32768


class LongTextField(_Lengthed):
    """Long plain text (notes, descriptions)."""

    type: Literal["long_text"]
    max_length: int = Field(default=131072, ge=1, description=describe("Maximum characters.", "最大字符数。"))
    max_length_limit: ClassVar[int] = 1_000_000


class RichTextField(_Lengthed):
    """Formatted text, stored as sanitised HTML."""

    type: Literal["rich_text"]
    max_length: int = Field(default=131072, ge=1, description=describe("Maximum characters.", "最大字符数。"))
    max_length_limit: ClassVar[int] = 1_000_000


class EmailField(_Lengthed):
    """An e-mail address."""

    type: Literal["email"]


class PhoneField(_Lengthed):
    """A telephone number."""

    type: Literal["phone"]
    max_length: int = Field(default=40, ge=1, description=describe("Maximum characters.", "最大字符数。"))


class UrlField(_Lengthed):
    """A web address."""

    type: Literal["url"]
    max_length: int = Field(default=1024, ge=1, description=describe("Maximum characters.", "最大字符数。"))
    max_length_limit: ClassVar[int] = 2048


class IntegerField(StoredFieldBase):
    """A whole number."""

    type: Literal["integer"]
    min_value: int | None = Field(default=None, description=describe("Smallest allowed value.", "最小值。"))
    max_value: int | None = Field(default=None, description=describe("Largest allowed value.", "最大值。"))
    default: int | None = Field(default=None, description=describe("Default value.", "默认值。"))
    format: NumberFormat = _format_field()


class _Decimal(StoredFieldBase):
    precision: int = Field(
        default=18, ge=1, le=38, description=describe("Total number of digits.", "总位数。")
    )
    scale: int = Field(
        default=2, ge=0, le=18, description=describe("Digits after the decimal point.", "小数位数。")
    )
    min_value: Decimal | None = Field(default=None, description=describe("Smallest allowed value.", "最小值。"))
    max_value: Decimal | None = Field(default=None, description=describe("Largest allowed value.", "最大值。"))
    default: Decimal | None = Field(default=None, description=describe("Default value.", "默认值。"))

    @model_validator(mode="after")
    def _scale_fits(self):
        if self.scale > self.precision:
            raise ValueError(f"scale {self.scale} is larger than precision {self.precision}")
        return self


class NumberField(_Decimal):
    """A decimal number with a fixed precision and scale."""

    type: Literal["number"]
    format: NumberFormat = _format_field()


class CurrencyField(_Decimal):
    """An amount of money."""

    type: Literal["currency"]


class PercentField(_Decimal):
    """A percentage, stored as the number shown (15 means 15 %)."""

    type: Literal["percent"]


class DateField(StoredFieldBase):
    """A calendar date."""

    type: Literal["date"]
    default: dt.date | None = Field(default=None, description=describe("Default value.", "默认值。"))


class DateTimeField(StoredFieldBase):
    """A moment in time, stored in UTC."""

    type: Literal["datetime"]
    default: dt.datetime | None = Field(default=None, description=describe("Default value.", "默认值。"))


class TimeField(StoredFieldBase):
    """A time of day."""

    type: Literal["time"]
    default: dt.time | None = Field(default=None, description=describe("Default value.", "默认值。"))


class CheckboxField(StoredFieldBase):
    """True or false."""

    type: Literal["checkbox"]
    default: bool = Field(default=False, description=describe("Default value.", "默认值。"))


class PicklistValue(Model):
    """One choice of a picklist or a global value set."""

    api_name: Identifier = Field(description=describe("Stored value.", "存储的值。"))
    label: Label
    color: str | None = Field(
        default=None,
        pattern=HEX_COLOUR_PATTERN,
        description=describe("Colour as #RRGGBB.", "颜色，格式 #RRGGBB。"),
    )
    active: bool = Field(
        default=True,
        description=describe("Inactive values stay on old records but cannot be chosen.", "停用的值保留在旧记录上，但不可再选择。"),
    )


class _Choice(StoredFieldBase):
    values: list[PicklistValue] | None = Field(
        default=None, description=describe("The choices, in display sequence.", "选项，按显示顺序。")
    )
    value_set: Identifier | None = Field(
        default=None,
        description=describe("Use the values of this global value set.", "使用该全局选项集的值。"),
    )
    controlling_field: Identifier | None = Field(
        default=None,
        description=describe(
            "A picklist or checkbox on the same object that limits this field's values.",
            "控制字段：同一对象上限制本字段可选值的单选或复选框字段。",
        ),
    )
    dependencies: dict[str, list[Identifier]] | None = Field(
        default=None,
        description=describe(
            "For each value of the controlling field, the values allowed here.",
            "控制字段的每个值所允许的本字段取值。",
        ),
    )

    @model_validator(mode="after")
    def _one_source(self):
        if (self.values is None) == (self.value_set is None):
            raise ValueError("give exactly one of 'values' (inline) or 'value_set' (global)")
        if (self.controlling_field is None) != (self.dependencies is None):
            raise ValueError("'controlling_field' and 'dependencies' go together")
        return self


class PicklistField(_Choice):
    """One value from a list."""

    type: Literal["picklist"]
    default: Identifier | None = Field(default=None, description=describe("Default value.", "默认值。"))


class MultiPicklistField(_Choice):
    """Several values from a list."""

    type: Literal["multi_picklist"]
    max_selections: int | None = Field(
        default=None, ge=1, description=describe("Most values one record may hold.", "最多可选数量。")
    )
    default: list[Identifier] | None = Field(default=None, description=describe("Default values.", "默认值。"))


OnDelete = Literal["restrict", "set_null"]


class _Reference(StoredFieldBase):
    on_delete: OnDelete = Field(
        default="set_null",
        description=describe(
            "When the referenced record is deleted: refuse (restrict) or clear this field (set_null).",
            "被引用记录删除时：拒绝删除（restrict）或清空本字段（set_null）。",
        ),
    )
    related_list_label: Label | None = Field(
        default=None,
        description=describe(
            "Title of the related list shown on the referenced record.", "在被引用记录上显示的相关列表标题。"
        ),
    )

    @property
    def targets(self) -> tuple[str, ...]:
        """The objects this field may point at."""
        raise NotImplementedError


class LookupField(_Reference):
    """A reference to a record of another (or the same) object."""

    type: Literal["lookup"]
    to: Identifier | list[Identifier] = Field(
        description=describe(
            "Target object, or a list of objects for a polymorphic reference.",
            "目标对象；多态引用时为对象列表。",
        )
    )

    @field_validator("to")
    @classmethod
    def _targets_not_empty(cls, value):
        if isinstance(value, list) and not value:
            raise ValueError("'to' needs at least one object")
        return value

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(self.to) if isinstance(self.to, list) else (self.to,)


class MasterDetailField(FieldBase):
    """A required reference to a parent record; deleting the parent deletes the children."""

    type: Literal["master_detail"]
    to: Identifier = Field(description=describe("The parent object.", "主对象。"))
    related_list_label: Label | None = Field(
        default=None,
        description=describe("Title of the related list on the parent.", "在主记录上显示的相关列表标题。"),
    )
    indexed: bool = True
    searchable: bool = False

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.to,)


class UserField(_Reference):
    """A reference to a user."""

    type: Literal["user"]

    @property
    def targets(self) -> tuple[str, ...]:
        return ("user",)


class DepartmentField(_Reference):
    """A reference to a department."""

    type: Literal["department"]

    @property
    def targets(self) -> tuple[str, ...]:
        return ("department",)


class AutoNumberField(FieldBase):
    """A number given by the system on create, from a pattern such as ``OPP-{YYYY}-{0000}``."""

    type: Literal["auto_number"]
    pattern: str = Field(
        description=describe(
            "Text with tokens {YYYY} {YY} {MM} {DD} and one counter such as {0000}.",
            "编号格式：可含 {YYYY} {YY} {MM} {DD} 和一个计数器如 {0000}。",
        )
    )
    start: int = Field(default=1, ge=0, description=describe("First counter value.", "计数器起始值。"))
    read_only: bool = True
    searchable: bool = Field(default=True, description=describe("Included in search.", "参与搜索。"))

    @field_validator("pattern")
    @classmethod
    def _pattern_tokens(cls, value: str) -> str:
        counters = 0
        for token in AUTO_NUMBER_TOKEN.findall(value):
            if token and set(token) == {"0"}:
                counters += 1
            elif token not in AUTO_NUMBER_TOKENS:
                raise ValueError(
                    f"unknown token '{{{token}}}' in pattern; use {{YYYY}}, {{YY}}, {{MM}}, {{DD}} "
                    "or a counter such as {0000}"
                )
        if counters != 1:
            raise ValueError("the pattern needs exactly one counter such as {0000}")
        if value.count("{") != value.count("}"):
            raise ValueError("unbalanced braces in pattern")
        return value


FormulaReturnType = Literal[
    "checkbox", "number", "currency", "percent", "text", "date", "datetime", "time"
]


class FormulaField(FieldBase):
    """A value computed from a formula over this record and the records it refers to."""

    type: Literal["formula"]
    return_type: FormulaReturnType = Field(description=describe("Type of the result.", "结果类型。"))
    expression: str = Field(
        min_length=1, description=describe("The formula.", "公式表达式。")
    )
    scale: int = Field(
        default=2, ge=0, le=18, description=describe("Decimal places of numeric results.", "数值结果的小数位数。")
    )
    blank_as: Literal["blank", "zero"] = Field(
        default="blank",
        description=describe(
            "Treat blank number fields as blank (the result is blank) or as zero.",
            "空数值字段按空处理（结果为空）或按零处理。",
        ),
    )
    read_only: bool = True

    @property
    def stored(self) -> bool:
        return False


class RollupField(FieldBase):
    """COUNT, SUM, MIN or MAX over the child records of a relation."""

    type: Literal["rollup"]
    child_object: Identifier = Field(description=describe("The child object summarised.", "被汇总的子对象。"))
    relation_field: Identifier = Field(
        description=describe(
            "The lookup or master-detail field on the child that points here.", "子对象上指向本对象的关联字段。"
        )
    )
    function: Literal["count", "sum", "min", "max"] = Field(
        description=describe("Aggregate function.", "汇总函数。")
    )
    summarized_field: Identifier | None = Field(
        default=None,
        description=describe("The child field summarised (not for count).", "被汇总的子对象字段（count 不需要）。"),
    )
    filter: str | None = Field(
        default=None,
        description=describe("A formula on the child: only matching children count.", "子记录筛选公式：只汇总满足条件的子记录。"),
    )
    read_only: bool = True

    @model_validator(mode="after")
    def _field_for_function(self):
        if self.function == "count" and self.summarized_field is not None:
            raise ValueError("count takes no 'summarized_field'")
        if self.function != "count" and self.summarized_field is None:
            raise ValueError(f"{self.function} needs 'summarized_field'")
        return self


class RegionField(StoredFieldBase):
    """A place in a hierarchical region value set (province / city / district)."""

    type: Literal["region"]
    value_set: Identifier = Field(
        default="china_region",
        description=describe("The hierarchical value set of regions.", "分层的地区选项集。"),
    )
    levels: int = Field(
        default=3, ge=1, le=3, description=describe("How deep users choose: 1 province … 3 district.", "选择深度：1 省 … 3 区县。")
    )


class GeolocationField(StoredFieldBase):
    """A latitude and longitude."""

    type: Literal["geolocation"]
    scale: int = Field(default=6, ge=0, le=10, description=describe("Decimal places.", "小数位数。"))


class _Attachment(StoredFieldBase):
    multiple: bool = Field(default=False, description=describe("Allows several files.", "允许多个文件。"))
    max_size_mb: int = Field(default=20, ge=1, le=2048, description=describe("Largest file, in MB.", "单个文件上限（MB）。"))
    accept: list[str] | None = Field(
        default=None,
        description=describe("Allowed media types such as application/pdf.", "允许的文件类型，如 application/pdf。"),
    )


class FileField(_Attachment):
    """One or more attached files."""

    type: Literal["file"]


class ImageField(_Attachment):
    """One or more images."""

    type: Literal["image"]
    accept: list[str] | None = Field(
        default=["image/png", "image/jpeg", "image/gif", "image/webp"],
        description=describe("Allowed image types.", "允许的图片类型。"),
    )


class TagsField(StoredFieldBase):
    """Free-form tags."""

    type: Literal["tags"]
    max_tags: int = Field(default=20, ge=1, le=200, description=describe("Most tags per record.", "每条记录最多标签数。"))


FieldDef = Annotated[
    Union[
        TextField,
        TextAreaField,
        LongTextField,
        RichTextField,
        EmailField,
        PhoneField,
        UrlField,
        IntegerField,
        NumberField,
        CurrencyField,
        PercentField,
        DateField,
        DateTimeField,
        TimeField,
        CheckboxField,
        PicklistField,
        MultiPicklistField,
        LookupField,
        MasterDetailField,
        UserField,
        DepartmentField,
        AutoNumberField,
        FormulaField,
        RollupField,
        RegionField,
        GeolocationField,
        FileField,
        ImageField,
        TagsField,
    ],
    Field(discriminator="type"),
]

FIELD_TYPES: tuple[str, ...] = tuple(
    model.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]
    for model in FieldDef.__origin__.__args__  # type: ignore[attr-defined]
)

REFERENCE_TYPES = frozenset({"lookup", "master_detail", "user", "department"})
CHOICE_TYPES = frozenset({"picklist", "multi_picklist"})
