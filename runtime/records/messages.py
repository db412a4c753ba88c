"""The bilingual message catalogue of record and query errors: one template per error code.

Every error the record pipeline or the query layer reports has a stable ``code`` (what programs
test) and a message in English and Chinese (what people read). Keeping the templates in one table
means a new code cannot ship with only one language: :func:`field_error` refuses unknown codes and
a test checks every template formats in both languages.
"""

from __future__ import annotations

from typing import Any

from runtime.errors import FieldError

#: code → (English template, Chinese template); placeholders are ``str.format`` fields.
TEMPLATES: dict[str, tuple[str, str]] = {
    # input shape and types
    "unknown_field": ("Unknown field '{field}'.", "未知字段“{field}”。"),
    "read_only": ("Field '{field}' cannot be set.", "字段“{field}”不可设置。"),
    "invalid_type": ("Expected {expected}.", "应为{expected_zh}。"),
    "too_long": ("At most {limit} characters (got {length}).", "最多 {limit} 个字符（实际 {length} 个）。"),
    "invalid_character": ("Contains {kind} ({character}), which text cannot hold.", "包含{kind_zh}（{character}），文本中不能保存。"),
    "too_small": ("Must be at least {limit}.", "不能小于 {limit}。"),
    "too_large": ("Must be at most {limit}.", "不能大于 {limit}。"),
    "out_of_range": ("Must be between {min} and {max}.", "必须在 {min} 到 {max} 之间。"),
    "too_many_digits": (
        "At most {digits} digits before the decimal point.",
        "整数部分最多 {digits} 位。",
    ),
    "invalid_format": ("Not a valid {expected}: {value!r}.", "不是有效的{expected_zh}：{value!r}。"),
    "invalid_choice": ("'{value}' is not a value of field '{field}'.", "“{value}”不是字段“{field}”的可选值。"),
    "inactive_choice": ("'{value}' is no longer offered.", "“{value}”已停用，不能再选择。"),
    "choice_not_in_business_type": (
        "'{value}' is not offered for business type '{business_type}'.",
        "业务类型“{business_type}”不提供“{value}”。",
    ),
    "dependent_choice": (
        "'{value}' is not allowed when '{controlling}' is '{controlling_value}'.",
        "“{controlling}”为“{controlling_value}”时不允许选择“{value}”。",
    ),
    "stage_not_in_business_type": (
        "Stage '{value}' is not a stage of business type '{business_type}'.",
        "“{value}”不是业务类型“{business_type}”的阶段。",
    ),
    "too_many_items": ("At most {limit} items (got {count}).", "最多 {limit} 项（实际 {count} 项）。"),
    "duplicate_items": ("Items must not repeat.", "各项不能重复。"),
    "invalid_business_type": (
        "'{value}' is not an active business type of this object.",
        "“{value}”不是该对象的可用业务类型。",
    ),
    "required": ("Field '{field}' is required.", "字段“{field}”为必填项。"),
    # references
    "lookup_missing": (
        "No {target} record with id '{value}'.",
        "找不到 id 为“{value}”的{target}记录。",
    ),
    "lookup_deleted": (
        "The {target} record '{value}' is in the recycle bin.",
        "{target}记录“{value}”已在回收站中。",
    ),
    "restricted": (
        "Cannot delete: {count} {child} record(s) refer to it through '{child_field}' ({examples}).",
        "无法删除：有 {count} 条{child}记录通过“{child_field}”引用它（{examples}）。",
    ),
    "parent_deleted": (
        "Restore the parent {target} record '{value}' first.",
        "请先恢复上级{target}记录“{value}”。",
    ),
    # rules and formulas
    "validation_rule": ("{message_en}", "{message_zh}"),
    "formula_failed": ("Formula of '{field}' failed: {detail}", "字段“{field}”的公式计算失败：{detail}"),
    # writes
    "object_forbidden": (
        "You may not {action} {object} records.",
        "你没有{action_zh}{object}记录的权限。",
    ),
    "field_forbidden": ("You may not set field '{field}'.", "你没有设置字段“{field}”的权限。"),
    "not_found": ("No {object} record with id '{value}'.", "找不到 id 为“{value}”的{object}记录。"),
    "version_conflict": (
        "The record was changed by someone else (version {actual}, you had {expected}). Reload and try again.",
        "记录已被他人修改（当前版本 {actual}，你的版本 {expected}）。请刷新后重试。",
    ),
    "not_in_recycle_bin": ("The record is not in the recycle bin.", "该记录不在回收站中。"),
    "no_recycle_bin": (
        "Object '{object}' has no recycle bin: delete purges.",
        "对象“{object}”没有回收站：删除即彻底删除。",
    ),
    "duplicate_value": ("Another record already has this value.", "已有其他记录使用该值。"),
    "duplicate_combination": (
        "Another record already has these values of {fields} together.",
        "已有其他记录使用相同的 {fields} 组合。",
    ),
    # queries
    "unknown_operator": (
        "Unknown operator '{operator}'; use one of {allowed}.",
        "未知运算符“{operator}”；可用：{allowed}。",
    ),
    "operator_not_allowed": (
        "Operator '{operator}' does not apply to a {type} field; use one of {allowed}.",
        "运算符“{operator}”不适用于{type}类型字段；可用：{allowed}。",
    ),
    "invalid_filter": ("Invalid filter: {detail}", "筛选条件无效：{detail}"),
    "invalid_relative_date": (
        "Unknown relative date '{value}'; use for example today, this_month or last_n_days:7.",
        "未知的相对日期“{value}”；例如 today、this_month 或 last_n_days:7。",
    ),
    "invalid_sort": ("Invalid sort: {detail}", "排序无效：{detail}"),
    "not_sortable": ("Field '{field}' cannot be sorted on.", "字段“{field}”不能排序。"),
    "not_filterable": ("Field '{field}' cannot be filtered on.", "字段“{field}”不能用于筛选。"),
    "not_expandable": ("Field '{field}' is not a reference and cannot be expanded.", "字段“{field}”不是引用字段，不能展开。"),
    "invalid_cursor": ("The page cursor is invalid or belongs to another query.", "分页游标无效或属于其他查询。"),
    "invalid_limit": ("The page size must be between 1 and {limit}.", "每页条数必须在 1 到 {limit} 之间。"),
    # aggregates
    "invalid_aggregate": ("Invalid aggregate: {detail}", "汇总查询无效：{detail}"),
    "not_groupable": ("Field '{field}' cannot be grouped on: {reason}", "字段“{field}”不能用于分组：{reason_zh}"),
    "not_aggregatable": (
        "'{fn}' does not apply to field '{field}' (a {type} field).",
        "“{fn}”不适用于字段“{field}”（{type}类型）。",
    ),
}

_KIND_ZH = {
    "text": "文本",
    "a text": "文本",
    "an integer": "整数",
    "a number": "数字",
    "a date": "日期",
    "a date and time": "日期时间",
    "a time": "时间",
    "true or false": "布尔值",
    "a list": "列表",
    "an object": "对象",
    "an e-mail address": "邮箱地址",
    "a web address": "网址",
    "a record id": "记录 ID",
    "a list of values": "取值列表",
    "a latitude and longitude": "经纬度",
}


def field_error(field: str | None, code: str, /, **params: Any) -> FieldError:
    """A :class:`FieldError` with both messages formatted from the catalogue."""
    english, chinese = TEMPLATES[code]
    params.setdefault("field", field)
    if "expected" in params:
        params.setdefault("expected_zh", _KIND_ZH.get(params["expected"], params["expected"]))
    # Labels (objects with .text(language)) are shown in each message's own language.
    in_english = {key: value.text("en") if hasattr(value, "text") else value for key, value in params.items()}
    in_chinese = {key: value.text("zh") if hasattr(value, "text") else value for key, value in params.items()}
    return FieldError(field, code, english.format(**in_english), chinese.format(**in_chinese))
