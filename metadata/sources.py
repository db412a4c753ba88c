"""Reading YAML while remembering where every key and value stands.

PyYAML's composer gives nodes with start marks; we build plain Python data from them and keep a
map from each data path (``("fields", 3, "type")``) to its line and column, so a problem found
later — by pydantic or by a cross-reference check — points at the exact place in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from metadata.errors import Problem

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DataPath = tuple[str | int, ...]


@dataclass
class SourceFile:
    """A parsed YAML file: its data and the place of every value and key in it."""

    path: Path
    display: str
    data: Any
    values: dict[DataPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[DataPath, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: DataPath, *, key: bool = False) -> tuple[int, int]:
        """Line and column of the value (or key) at ``path``, or of its nearest ancestor."""
        places = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in places:
                return places[probe]
            if key and probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def problem(self, path: DataPath, message: str, hint: str | None = None, *, key: bool = False) -> Problem:
        """A Problem located at ``path`` in this file."""
        line, column = self.position(path, key=key)
        return Problem(self.display, line, column, message, hint)


class _Builder:
    def __init__(self, loader: Any, source: SourceFile, problems: list[Problem]):
        self.loader = loader
        self.source = source
        self.problems = problems

    def build(self, node: yaml.Node, path: DataPath) -> Any:
        self.source.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self._report(key_node, "YAML merge keys ('<<') are not supported; write the keys out")
                    continue
                key = self.loader.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int)):
                    self._report(key_node, f"a key must be text, got {key!r}")
                    continue
                if key in result:
                    first = self.source.keys[path + (key,)]
                    self._report(key_node, f"duplicate key '{key}' (first at line {first[0]})")
                    continue
                self.source.keys[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                result[key] = self.build(value_node, path + (key,))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (index,)) for index, item in enumerate(node.value)]
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, yaml.YAMLError) as error:  # e.g. a date such as 2024-13-45
            self._report(node, f"cannot read value {node.value!r}: {error}")
            return None

    def _report(self, node: yaml.Node, message: str) -> None:
        self.problems.append(
            Problem(self.source.display, node.start_mark.line + 1, node.start_mark.column + 1, message)
        )


def read_yaml(path: Path, display: str, problems: list[Problem]) -> SourceFile | None:
    """Parse ``path``; on a syntax error append a Problem and return None."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        problems.append(Problem(display, 1, 1, f"file is not UTF-8 text ({error.reason} at byte {error.start})"))
        return None
    except OSError as error:
        problems.append(Problem(display, 1, 1, f"cannot read file: {error.strerror}"))
        return None
    source = SourceFile(path=path, display=display, data=None)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            problems.append(Problem(display, 1, 1, "file is empty"))
            return None
        source.data = _Builder(loader, source, problems).build(node, ())
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"YAML syntax error: {error.problem or error.context}"
        if error.context and error.context_mark and error.problem:
            message += f" ({error.context} started at line {error.context_mark.line + 1})"
        problems.append(Problem(display, line, column, message))
        return None
    except yaml.YAMLError as error:  # e.g. bad timestamps or unresolvable tags
        problems.append(Problem(display, 1, 1, f"YAML error: {error}"))
        return None
    finally:
        loader.dispose()
    return source
