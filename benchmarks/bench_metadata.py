"""Loading and validating metadata packages, against plain YAML parsing of the same files.

    python benchmarks/bench_metadata.py [--repeat N]

Targets (issue: foundation): the shipped packages load and validate in ≤ 0.5 s; a generated
package of 200 objects × 50 fields in ≤ 5 s. The baseline is PyYAML's C parser reading the same
files into plain data, measured in the same run, so the ratio shows what validation, positions
and cross-reference checks cost on top of parsing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from metadata.registry import load_registry, shipped_packages

FIELD_TYPES = [
    ("text", ""),
    ("textarea", ""),
    ("email", ""),
    ("phone", ""),
    ("integer", ""),
    ("number", "    scale: 4\n"),
    ("currency", ""),
    ("percent", ""),
    ("date", ""),
    ("datetime", ""),
    ("checkbox", ""),
    ("picklist", "    values:\n      - {api_name: a, label: {en: A, zh: 甲}}\n      - {api_name: b, label: {en: B, zh: 乙}}\n"),
    ("multi_picklist", "    value_set: bench_colours\n"),
    ("url", ""),
    ("user", ""),
]


def generate_package(root: Path, objects: int = 200, fields: int = 50) -> Path:
    """Write a package of ``objects`` objects × ``fields`` fields (with lookups and layouts)."""
    (root / "objects").mkdir(parents=True)
    (root / "layouts").mkdir()
    (root / "value_sets").mkdir()
    (root / "package.yaml").write_text(
        "name: bench\nnamespace: bench\nversion: 1.0.0\nlabel: {en: Bench, zh: 基准}\n"
        "depends:\n  - {name: system}\n",
        encoding="utf-8",
    )
    (root / "value_sets" / "bench_colours.yaml").write_text(
        "api_name: bench_colours\nlabel: {en: Colours, zh: 颜色}\nvalues:\n"
        + "".join(f"  - {{api_name: c{i}, label: {{en: C{i}, zh: 色{i}}}}}\n" for i in range(20)),
        encoding="utf-8",
    )
    for index in range(objects):
        name = f"bench_object_{index}"
        lines = [
            f"api_name: {name}",
            f"label: {{en: Object {index}, zh: 对象{index}}}",
            f"plural_label: {{en: Objects {index}, zh: 对象{index}}}",
            "fields:",
            "  - api_name: name\n    type: text\n    label: {en: Name, zh: 名称}\n    required: true",
        ]
        if index:
            lines.append(
                f"  - api_name: parent\n    type: lookup\n    label: {{en: Parent, zh: 上级}}\n"
                f"    to: bench_object_{index - 1}"
            )
        for number in range(fields - len(lines) + 4):
            kind, extra = FIELD_TYPES[number % len(FIELD_TYPES)]
            lines.append(
                f"  - api_name: f{number}_{kind}\n    type: {kind}\n    label: {{en: F{number}, zh: 字段{number}}}\n{extra}".rstrip()
            )
        # Formulas of every kind, so the load also pays for type-checking them.
        reach = "parent.name" if index else "name"
        lines.append(
            "  - api_name: doubled\n    type: formula\n    label: {en: Doubled, zh: 双倍}\n    return_type: currency\n"
            f"    expression: \"IF(ISBLANK({reach}), f6_currency, f6_currency * 2 + f7_percent / 100)\""
        )
        lines.append(
            "validation_rules:\n  - api_name: name_set\n    condition: \"ISBLANK(name)\"\n"
            "    message: {en: Name is required., zh: 名称必填。}\n"
            "  - api_name: dates_in_sequence\n    condition: \"f8_date > DATEVALUE(f9_datetime) && ISPICKVAL(f11_picklist, 'a')\"\n"
            "    message: {en: Dates out of sequence., zh: 日期顺序错误。}\n"
            "field_rules:\n  - api_name: lock_amount\n    field: f6_currency\n    read_only_when: \"f10_checkbox || ISCHANGED(f4_integer)\""
        )
        (root / "objects" / f"{name}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (root / "layouts" / f"{name}_default.yaml").write_text(
            f"api_name: {name}_default\nobject: {name}\nlabel: {{en: Default, zh: 默认}}\n"
            "sections:\n  - api_name: main\n    label: {en: Main, zh: 主要}\n"
            f"    fields: [name, f0_text, f1_textarea, f4_integer, owner]\n",
            encoding="utf-8",
        )
    return root


def time_it(function, repeat: int) -> float:
    """Median seconds of ``repeat`` calls."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def parse_only(roots: list[Path]) -> None:
    """The baseline: parse every YAML file of ``roots`` with the C parser, nothing else."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for root in roots:
        for path in root.rglob("*.yaml"):
            if path.parent == root or path.parent.name in {"objects", "layouts", "value_sets", "extensions"}:
                yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


def report(title: str, roots: list[Path], target: float, repeat: int) -> bool:
    registry = load_registry(roots)  # warm imports and caches once
    stats = registry.stats()
    full = time_it(lambda: load_registry(roots), repeat)
    raw = time_it(lambda: parse_only(roots), repeat)
    verdict = "OK" if full <= target else "OVER TARGET"
    print(f"{title}: {stats['objects']} objects, {stats['fields']} fields, {stats['layouts']} layouts")
    print(f"  load + validate + check  {full * 1000:8.1f} ms  (target ≤ {target * 1000:.0f} ms: {verdict})")
    print(f"  baseline: YAML parse     {raw * 1000:8.1f} ms")
    print(f"  ratio                    {full / raw:8.2f}×")
    return full <= target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()
    ok = report("shipped packages (system + standard CRM)", shipped_packages(), 0.5, arguments.repeat)
    with tempfile.TemporaryDirectory() as directory:
        generated = generate_package(Path(directory) / "bench")
        roots = [shipped_packages()[0], generated]
        ok &= report("generated package 200 objects × 50 fields", roots, 5.0, max(1, arguments.repeat // 2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
