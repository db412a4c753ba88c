"""Architecture rules checked on the source code itself.

1. Imports go down the layers only: ``admin_ui → runtime → metadata → formula``.
2. The engine's code names no CRM object: accounts, leads, orders… are metadata, never Python.
3. Inside each package, modules import one another one way: no circles, not even through an
   import inside a function or under ``TYPE_CHECKING`` (how circles hide).

The rules read every ``.py`` file of the four packages with :mod:`ast` (nothing is imported),
and each checker is first tried on small in-memory snippets, so a broken checker cannot pass
by finding nothing.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# Bottom to top: a module may import its own layer and the layers before it in this tuple.
LAYERS = ("formula", "metadata", "runtime", "admin_ui")

# Object names of the standard CRM package. They belong in metadata/objects/*.yaml and in
# tests, never in the engine: the same engine must run a package that has none of them.
CRM_WORDS = frozenset(
    """
    account accounts contact contacts lead leads opportunity opportunities campaign campaigns
    product products quote quotes contract contracts order orders receivable receivables
    payment payments invoice invoices refund refunds competitor competitors pricebook
    """.split()
)

# Names that belong to libraries and happen to contain a CRM word. They are accepted only
# where a library's name appears: reading an attribute (``select.order_by``), passing a
# keyword argument (``over(order_by=…)``) or importing a name. Never where we name something
# ourselves (a variable, attribute assignment, function, class, parameter or ``as`` alias):
# for our own names pick another word (``position``, ``sequence``, ``rank`` — not ``sort_order``).
ALLOWED_LIBRARY_NAMES = frozenset(
    {
        # SQLAlchemy: Select.order_by(), over(order_by=…), aggregate_order_by, relationship(order_by=…)
        "order_by",
        "aggregate_order_by",
        # Quoting: IdentifierPreparer.quote() / quote_identifier() / quote_schema(),
        # Column(quote=…), html.escape(…, quote=…), shlex.quote(), urllib.parse.quote() / quote_plus()
        "quote",
        "quote_identifier",
        "quote_schema",
        "quote_plus",
        # csv module quoting constants
        "QUOTE_ALL",
        "QUOTE_MINIMAL",
        "QUOTE_NONE",
        "QUOTE_NONNUMERIC",
        "QUOTE_NOTNULL",
        "QUOTE_STRINGS",
    }
)

# Keyword arguments of library calls, accepted as keywords only (see above).
ALLOWED_LIBRARY_KEYWORDS = ALLOWED_LIBRARY_NAMES | {
    # dataclasses.dataclass(order=True): generate comparison methods
    "order",
}


@dataclass(frozen=True)
class Violation:
    """One broken rule, located in a file."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class SourceFile:
    """A parsed module: where it is, its dotted name, its syntax tree."""

    path: str
    module: str
    is_package: bool
    tree: ast.Module


def parse_source(source: str, path: str) -> SourceFile:
    """Parse one module given as text; ``path`` is relative to the repository root."""
    parts = list(Path(path).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    with warnings.catch_warnings():
        # An invalid escape sequence is not this test's business (and warnings are errors here).
        warnings.simplefilter("ignore")
        tree = ast.parse(source, filename=path)
    return SourceFile(path=path, module=".".join(parts), is_package=is_package, tree=tree)


def layer_of(module: str) -> str | None:
    """The layer a dotted module name belongs to, or None for anything outside the four."""
    top = module.split(".", 1)[0]
    return top if top in LAYERS else None


# --- rule 1: direction of imports --------------------------------------------------------


def _resolve_relative(source: SourceFile, level: int, module: str | None) -> str | None:
    """The absolute name a ``from .x import y`` refers to, or None if it climbs too high."""
    package = source.module.split(".")
    if not source.is_package:
        package = package[:-1]
    if level - 1 > len(package) - 1:
        return None
    base = package[: len(package) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def imported_modules(source: SourceFile) -> Iterator[tuple[int, str | None, str]]:
    """(line, absolute module name or None when unresolvable, how it was written) per import.

    Every import counts, at module level or inside a function, plus ``importlib.import_module``
    and ``__import__`` called with a literal name.
    """
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom):
            written = "." * node.level + (node.module or "")
            if node.level == 0:
                target = node.module
            else:
                target = _resolve_relative(source, node.level, node.module)
            if node.module is None and target is not None:
                # ``from . import x`` may name submodules: each one is an import of its own.
                for alias in node.names:
                    yield node.lineno, f"{target}.{alias.name}", f"from {written} import {alias.name}"
            else:
                yield node.lineno, target, f"from {written} import …"
        elif isinstance(node, ast.Call) and node.args:
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
            first = node.args[0]
            if (
                name in {"import_module", "__import__"}
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and not first.value.startswith(".")
            ):
                yield node.lineno, first.value, f"{name}({first.value!r})"


def import_direction_violations(source: SourceFile) -> list[Violation]:
    """Imports in ``source`` that reach a layer above its own."""
    own = layer_of(source.module)
    if own is None:
        return []
    rank = LAYERS.index(own)
    found = []
    for line, target, written in imported_modules(source):
        if target is None:
            found.append(
                Violation(source.path, line, f"relative import {written!r} climbs above the top-level package")
            )
            continue
        target_layer = layer_of(target)
        if target_layer is not None and LAYERS.index(target_layer) > rank:
            found.append(
                Violation(
                    source.path,
                    line,
                    f"{own} imports {target} ({written}); {target_layer} is a layer above {own}"
                    f" (allowed direction: {' → '.join(reversed(LAYERS))})",
                )
            )
    return found


# --- rule 2: no CRM object names ---------------------------------------------------------

_CAMEL_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_SEPARATORS = re.compile(r"[^0-9A-Za-z]+")


def words(text: str) -> Iterator[str]:
    """Lower-case words of an identifier or a string.

    Splits on ``_``, ``.``, whitespace and punctuation, and on camelCase too, so ``LeadView``
    is caught as well as ``lead_view``.
    """
    for chunk in _SEPARATORS.split(text):
        for word in _CAMEL_WORD.findall(chunk):
            yield word.lower()


def _docstring_nodes(tree: ast.Module) -> set[int]:
    """ids of the string constants that are docstrings (prose, not code: not checked)."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr):
                value = body[0].value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    ids.add(id(value))
    return ids


def _names(node: ast.AST) -> Iterator[tuple[str, str, frozenset[str]]]:
    """(text, kind, library names allowed there) for every identifier a node carries itself."""
    nothing: frozenset[str] = frozenset()
    match node:
        case ast.Name(id=name):
            yield name, "name", nothing
        case ast.Attribute(attr=name, ctx=ast.Load()):
            yield name, "attribute", ALLOWED_LIBRARY_NAMES
        case ast.Attribute(attr=name):
            # Assigning or deleting an attribute names it ourselves.
            yield name, "attribute", nothing
        case ast.FunctionDef(name=name) | ast.AsyncFunctionDef(name=name):
            yield name, "function", nothing
        case ast.ClassDef(name=name):
            yield name, "class", nothing
        case ast.arg(arg=name):
            yield name, "argument", nothing
        case ast.keyword(arg=str() as name):
            yield name, "keyword", ALLOWED_LIBRARY_KEYWORDS
        case ast.alias(name=name, asname=asname):
            yield name, "import", ALLOWED_LIBRARY_NAMES
            if asname:
                yield asname, "import alias", nothing
        case ast.ImportFrom(module=str() as name):
            yield name, "import", ALLOWED_LIBRARY_NAMES
        case ast.ExceptHandler(name=str() as name):
            yield name, "name", nothing
        case ast.Global(names=names) | ast.Nonlocal(names=names):
            for name in names:
                yield name, "name", nothing
        case ast.MatchAs(name=str() as name) | ast.MatchStar(name=str() as name):
            yield name, "name", nothing
        case ast.MatchMapping(rest=str() as name):
            yield name, "name", nothing
        case ast.MatchClass(kwd_attrs=names):
            for name in names:
                yield name, "attribute", ALLOWED_LIBRARY_NAMES


def crm_word_violations(source: SourceFile) -> list[Violation]:
    """Identifiers and string literals (docstrings excepted) in ``source`` that use a CRM word."""
    found = []
    for part in Path(source.path).with_suffix("").parts:
        for word in words(part):
            if word in CRM_WORDS:
                found.append(Violation(source.path, 1, f"{word}: in the module's path {source.path!r}"))
    docstrings = _docstring_nodes(source.tree)
    for node in ast.walk(source.tree):
        line = getattr(node, "lineno", None) or 1
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in docstrings:
                continue
            candidates: Iterator[tuple[str, str, frozenset[str]]] = iter([(node.value, "string", frozenset())])
        else:
            candidates = _names(node)
        for text, kind, allowed in candidates:
            if text in allowed:
                continue
            for word in sorted({w for w in words(text) if w in CRM_WORDS}):
                shown = text if len(text) <= 60 else text[:57] + "..."
                found.append(Violation(source.path, line, f"{word}: in {kind} {shown!r}"))
    return sorted(found, key=lambda v: (v.line, v.message))


# --- rule 3: no import circles inside a package -----------------------------------------


def module_dependencies(source: SourceFile, modules: set[str]) -> dict[str, int]:
    """The modules of ``modules`` that ``source`` imports → the first line importing each.

    Every import counts: at module level, inside a function, under ``TYPE_CHECKING``.
    ``from package import name`` is an import of ``package.name`` when that is a module, else
    of ``package`` itself. The parents Python imports on the way are not counted: importing
    ``a.b.c`` is a dependency on ``a.b.c``, not on ``a`` (whose ``__init__`` re-exports are a
    package's public face, not a dependency of its modules).
    """
    found: dict[str, int] = {}

    def add(target: str | None, line: int) -> None:
        if target in modules and target != source.module:
            found[target] = min(line, found.get(target, line))

    for node in ast.walk(source.tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module if node.level == 0 else _resolve_relative(source, node.level, node.module)
            for alias in node.names if base is not None else ():
                add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base, node.lineno)
    for line, target, written in imported_modules(source):
        if not written.startswith("from "):  # ``import x`` and ``import_module("x")``, read above otherwise
            add(target, line)
    return dict(sorted(found.items()))


def import_cycles(sources: list[SourceFile]) -> list[list[str]]:
    """Every circle of imports among ``sources`` of the same top-level package, as sorted module lists.

    Tarjan's strongly connected components, written with an explicit stack (no recursion).
    """
    by_module = {source.module: source for source in sources}
    modules = set(by_module)
    graph = {
        name: [
            target
            for target in module_dependencies(source, modules)
            if target.split(".", 1)[0] == name.split(".", 1)[0]
        ]
        for name, source in by_module.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph[target])))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
    return sorted(cycles)


def describe_cycle(cycle: list[str], sources: list[SourceFile]) -> str:
    """A circle with the import lines that make it, for the failure message."""
    by_module = {source.module: source for source in sources}
    members = set(cycle)
    lines = [" ↔ ".join(cycle)]
    for name in cycle:
        source = by_module[name]
        for target, line in sorted(module_dependencies(source, set(by_module)).items()):
            if target in members:
                lines.append(f"    {source.path}:{line}: imports {target}")
    return "\n".join(lines)


# --- the repository ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def package_sources() -> dict[str, list[SourceFile]]:
    """Every module of the four packages, parsed once, by layer."""
    sources: dict[str, list[SourceFile]] = {}
    for layer in LAYERS:
        sources[layer] = [
            parse_source(path.read_text(encoding="utf-8"), path.relative_to(REPO_ROOT).as_posix())
            for path in sorted((REPO_ROOT / layer).rglob("*.py"))
            if "__pycache__" not in path.parts
        ]
    return sources


def test_every_package_is_scanned(package_sources):
    empty = [layer for layer, files in package_sources.items() if not files]
    assert not empty, f"no .py file found in {empty}: the layer rules would check nothing there"


def test_imports_go_down_the_layers(package_sources):
    found = [v for files in package_sources.values() for source in files for v in import_direction_violations(source)]
    if found:
        pytest.fail("imports against the layer direction:\n" + "\n".join(map(str, found)), pytrace=False)


def test_no_crm_object_names_in_engine_code(package_sources):
    found = [v for files in package_sources.values() for source in files for v in crm_word_violations(source)]
    if found:
        pytest.fail(
            "CRM object names in engine code (they belong in metadata and tests). Rename them; only a"
            " library's own name goes in ALLOWED_LIBRARY_NAMES / ALLOWED_LIBRARY_KEYWORDS, with a comment:\n"
            + "\n".join(map(str, found)),
            pytrace=False,
        )


def test_no_import_circles_inside_a_package(package_sources):
    found = []
    for files in package_sources.values():
        found.extend(describe_cycle(cycle, files) for cycle in import_cycles(files))
    if found:
        pytest.fail(
            "modules that import each other (directly or round a circle), counting imports inside"
            " functions and under TYPE_CHECKING. Move what both need into a module below them:\n"
            + "\n".join(found),
            pytrace=False,
        )


# --- the checkers themselves, on snippets ------------------------------------------------


def _lines(violations: list[Violation]) -> list[tuple[str, int]]:
    return [(v.path, v.line) for v in violations]


@pytest.mark.parametrize(
    ("path", "code", "expected_lines"),
    [
        ("formula/types.py", "import metadata\n", [1]),
        ("formula/types.py", "x = 1\nfrom runtime.records import RecordService\n", [2]),
        ("formula/types.py", "def f():\n    from admin_ui import cli\n", [2]),
        ("metadata/loader.py", "from ..runtime import tables\n", [1]),
        ("metadata/models/fields.py", "from ...admin_ui.cli import app\n", [1]),
        ("runtime/records.py", "from admin_ui.cli import app\n", [1]),
        ("runtime/records.py", "import importlib\nimportlib.import_module('admin_ui.cli')\n", [2]),
        ("formula/__init__.py", "from .. import metadata\n", [1]),
        ("formula/types.py", "from .... import x\n", [1]),
        # Allowed: own layer, lower layers, relative within the package, third-party.
        ("admin_ui/cli.py", "import runtime\nfrom metadata import loader\nimport formula.parser\n", []),
        ("runtime/records.py", "from . import tables\nfrom .queries import compile\nimport sqlalchemy\n", []),
        ("metadata/models/fields.py", "from ..loader import load\nfrom formula import check\n", []),
        ("formula/parser.py", "import lark\nfrom .types import FormulaType\n", []),
    ],
)
def test_import_direction_checker(path, code, expected_lines):
    found = import_direction_violations(parse_source(code, path))
    assert _lines(found) == [(path, line) for line in expected_lines], found


def test_relative_imports_resolve_from_packages_and_modules():
    package = parse_source("", "metadata/models/__init__.py")
    module = parse_source("", "metadata/models/fields.py")
    assert _resolve_relative(package, 1, "fields") == "metadata.models.fields"
    assert _resolve_relative(module, 1, "common") == "metadata.models.common"
    assert _resolve_relative(module, 2, "loader") == "metadata.loader"
    assert _resolve_relative(module, 3, "runtime") is None


VIOLATING_SNIPPET = '''\
"""Docstrings may say account and order."""
account = 1
def convert_lead(record):
    """Prose about leads is fine here."""
    return record.opportunity_id
class QuoteLine:
    pass
def f(contracts, *, payment=None):
    g(invoice=1)
    return "Refund issued"
import sqlalchemy as orders
x = f"{name} ProductsView"
self.quote = 2
'''


def test_crm_word_checker_finds_each_kind_of_name():
    found = crm_word_violations(parse_source(VIOLATING_SNIPPET, "runtime/example.py"))
    assert [(v.line, v.message.split(":")[0]) for v in found] == [
        (2, "account"),
        (3, "lead"),
        (5, "opportunity"),
        (6, "quote"),
        (8, "contracts"),
        (8, "payment"),
        (9, "invoice"),
        (10, "refund"),
        (11, "orders"),
        (12, "products"),
        (13, "quote"),
    ], found
    assert str(found[0]) == "runtime/example.py:2: account: in name 'account'"


CLEAN_SNIPPET = '''\
"""Module docstring that mentions an account and an order, which is allowed."""
import dataclasses
import urllib.parse
from urllib.parse import quote_plus

import sqlalchemy as sa

@dataclasses.dataclass(frozen=True, order=True)
class Position:
    rank: int

def rows(table, connection):
    """Sort by position; docstrings are prose."""
    query = sa.select(table).order_by(table.c.position)
    window = sa.func.row_number().over(order_by=table.c.position)
    return connection.execute(query), window, urllib.parse.quote("ordering, leader, accounting")
'''


def test_crm_word_checker_passes_clean_code():
    assert crm_word_violations(parse_source(CLEAN_SNIPPET, "runtime/example.py")) == []


def test_crm_word_checker_keeps_allowed_library_names_out_of_our_own_names():
    code = "def order_by(quote):\n    return quote\n"
    found = crm_word_violations(parse_source(code, "runtime/example.py"))
    assert [(v.line, v.message.split(":")[0]) for v in found] == [(1, "order"), (1, "quote"), (2, "quote")]


def test_crm_word_checker_reads_module_paths():
    found = crm_word_violations(parse_source("", "runtime/lead_conversion.py"))
    assert [str(v) for v in found] == [
        "runtime/lead_conversion.py:1: lead: in the module's path 'runtime/lead_conversion.py'"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("order_by", ["order", "by"]),
        ("LeadView", ["lead", "view"]),
        ("HTTPAccount", ["http", "account"]),
        ("crm.Opportunity-stage", ["crm", "opportunity", "stage"]),
        ("ordering leader", ["ordering", "leader"]),
    ],
)
def test_words(text, expected):
    assert list(words(text)) == expected


def _sources(files: dict[str, str]) -> list[SourceFile]:
    return [parse_source(code, path) for path, code in files.items()]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # a function-level import closing the circle
        (
            {"metadata/a.py": "from metadata.b import x\n", "metadata/b.py": "def f():\n    from metadata.a import y\n"},
            [["metadata.a", "metadata.b"]],
        ),
        # a type-only import closing it
        (
            {
                "formula/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from formula.b import B\n",
                "formula/b.py": "from formula.a import A\n",
            },
            [["formula.a", "formula.b"]],
        ),
        # round three modules, through ``from package import module`` and a relative import
        (
            {
                "runtime/p/__init__.py": "",
                "runtime/p/a.py": "from runtime.p import b\n",
                "runtime/p/b.py": "from .c import thing\n",
                "runtime/p/c.py": "import runtime.p.a\n",
            },
            [["runtime.p.a", "runtime.p.b", "runtime.p.c"]],
        ),
        # one way only; a package re-exporting its modules; another package's module
        (
            {
                "metadata/__init__.py": "from metadata.a import x\n",
                "metadata/a.py": "from metadata.b import y\nimport formula.a\n",
                "metadata/b.py": "import sqlalchemy\n",
                "formula/a.py": "def f():\n    import metadata.a\n",
            },
            [],
        ),
    ],
)
def test_import_cycle_checker(files, expected):
    assert import_cycles(_sources(files)) == expected


def test_import_cycle_message_names_the_lines():
    files = _sources({"metadata/a.py": "import os\nfrom metadata.b import x\n", "metadata/b.py": "def f():\n    from metadata.a import y\n"})
    assert describe_cycle(["metadata.a", "metadata.b"], files) == (
        "metadata.a ↔ metadata.b\n    metadata/a.py:2: imports metadata.b\n    metadata/b.py:2: imports metadata.a"
    )
