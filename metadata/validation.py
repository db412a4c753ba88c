"""Turning pydantic's validation errors into located, readable problems with hints."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from metadata.errors import Problem
from metadata.sources import DataPath, SourceFile


def did_you_mean(word: str, choices: typing.Iterable[str]) -> str | None:
    """``"did you mean 'required'?"`` when ``word`` is close to one of ``choices``."""
    matches = difflib.get_close_matches(str(word), [str(choice) for choice in choices], n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None


def validate(model: type[BaseModel], source: SourceFile, problems: list[Problem], base: DataPath = ()) -> Any:
    """Validate the data at ``base`` in ``source`` as ``model``; on failure record problems, return None."""
    data = source.data
    for part in base:
        data = data[part]
    try:
        return model.model_validate(data)
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            problems.append(_problem(model, source, base, data, detail))
        return None


def _problem(model: type[BaseModel], source: SourceFile, base: DataPath, data: Any, detail: dict) -> Problem:
    loc = tuple(detail["loc"])
    path = base + _data_path(data, loc)
    kind = detail["type"]
    if kind == "extra_forbidden":
        key = loc[-1]
        allowed = _allowed_keys(model, loc[:-1])
        hint = did_you_mean(str(key), allowed)
        if hint is None and allowed:
            hint = "allowed keys: " + ", ".join(sorted(allowed))
        return source.problem(path, f"unknown key '{key}'", hint, key=True)
    if kind == "missing":
        where = _where(path[len(base):])
        return source.problem(path, f"missing required key '{loc[-1]}'{where}")
    if kind == "union_tag_invalid":
        context = detail.get("ctx", {})
        tag = context.get("tag")
        expected = [tag.strip("'") for tag in str(context.get("expected_tags", "")).split(", ")]
        discriminator = str(context.get("discriminator", "type")).strip("'")
        message = f"unknown {discriminator} '{tag}'{_where(path[len(base):])}"
        return source.problem(path + (discriminator,), message, did_you_mean(str(tag), expected))
    if kind == "union_tag_not_found":
        discriminator = str(detail.get("ctx", {}).get("discriminator", "type")).strip("'")
        return source.problem(path, f"missing required key '{discriminator}'{_where(path[len(base):])}")
    message = detail["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    where = _dotted(path[len(base):])
    return source.problem(path, f"{where}: {message}" if where else message)


def _data_path(data: Any, loc: tuple) -> DataPath:
    """The part of pydantic's ``loc`` that exists in the data (dropping union tags and the like)."""
    path: list[str | int] = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current:
            current = current[part]
            path.append(part)
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
            path.append(part)
    return tuple(path)


def _dotted(path: tuple) -> str:
    """``("fields", 3, "scale")`` → ``"fields[3].scale"``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _where(path: tuple) -> str:
    dotted = _dotted(path)
    return f" in {dotted}" if dotted else ""


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def _step(annotation: Any, part: Any) -> Any:
    annotation = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if isinstance(part, int):
        return typing.get_args(annotation)[0] if origin is list else None
    if origin in (typing.Union, types.UnionType):
        for member in typing.get_args(annotation):
            member = _unwrap(member)
            if getattr(member, "__name__", None) == part:
                return member
            if isinstance(member, type) and issubclass(member, BaseModel) and "type" in member.model_fields:
                if part in typing.get_args(member.model_fields["type"].annotation):
                    return member
        return None
    if origin is dict:
        return typing.get_args(annotation)[1]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(part)
        return field.annotation if field is not None else None
    return None
