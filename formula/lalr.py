"""A compact driver for the grammar's LALR tables: text straight to syntax-tree nodes.

Lark compiles ``grammar.lark`` into LALR tables; its own parser then builds a parse tree through
a chain of callbacks per reduction (child filtering, position propagation, tree objects) that
costs tens of microseconds per token — most of the time a formula takes to check. This module
runs the same tables in one loop, with one regular expression for the tokens (Lark's terminals,
in Lark's priority sequence) and builds :mod:`formula.ast` nodes directly, reproducing the
positions Lark would give (a node starts at its first child's container, parentheses included).

It only handles formulas that parse: on any surprise — an unexpected character or token, a
size limit crossed — it raises :class:`Fallback`, and :func:`formula.parser.parse` runs Lark's
own parser to report the error exactly as before. ``tests/formula/test_lalr.py`` checks the
two produce identical trees.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from lark import Lark
from lark.parsers.lalr_analysis import Shift

from formula.ast import Binary, Call, FieldRef, GlobalRef, Literal, Node, Span, Unary
from formula.limits import MAX_DEPTH, MAX_NODES

__all__ = ["Fallback", "FastParser"]


_SYMBOLS = {"==": "=", "!=": "<>"}


class Fallback(Exception):
    """The fast path cannot parse this text; Lark's parser reports what is wrong."""


class _Token:
    """A token; ``cstart``/``cend`` are its offsets (named as a value's container, read alike)."""

    __slots__ = ("type", "text", "cstart", "cend")
    nodes = 1
    depth = 1

    def __init__(self, type_: str, text: str, start: int, end: int) -> None:
        self.type = type_
        self.text = text
        self.cstart = start
        self.cend = end


class _Value:
    """A reduced value: a node (or a list for helper rules) with Lark's container positions."""

    __slots__ = ("node", "cstart", "cend", "nodes", "depth")

    def __init__(self, node: Any, cstart: int, cend: int, nodes: int, depth: int) -> None:
        self.node = node
        self.cstart = cstart
        self.cend = cend
        self.nodes = nodes
        self.depth = depth


class _Rule:
    """What a reduction does, precomputed from a Lark rule."""

    __slots__ = ("origin", "size", "keep", "trailing_nones", "name", "expand_single", "splice", "unit", "binary", "leaf", "shape")

    def __init__(self, rule) -> None:
        self.origin = str(rule.origin.name)  # Lark's names are Token objects, slow as dict keys
        self.size = len(rule.expansion)
        # As Lark's ChildFilter: (index in the expansion, spliced helper rule?, Nones before it)
        # for every child kept, the Nones standing for missing optional parts, and those after.
        expansion = rule.expansion
        if rule.options.empty_indices:
            flags = "".join(str(int(flag)) for flag in rule.options.empty_indices)
            empty = [len(ones) for ones in flags.split("0")]
        else:
            empty = [0] * (len(expansion) + 1)
        keep = []
        pending = 0
        for index, symbol in enumerate(expansion):
            pending += empty[index]
            if not (symbol.is_term and symbol.filter_out):
                keep.append((index, not symbol.is_term and symbol.name.startswith("_"), pending))
                pending = 0
        self.keep = tuple(keep)
        self.trailing_nones = pending + empty[len(expansion)]
        self.name = str(rule.alias or rule.origin.name)
        self.expand_single = bool(rule.options.expand1) and not rule.alias
        self.splice = self.origin.startswith("_")
        self.binary = self.name == "binary"
        # one token wrapped in a rule: a number, a string, a single field name
        self.leaf = self.size == 1 and self.name in ("number", "string", "path")
        # function calls and their argument lists, the next commonest reductions
        symbols = tuple(str(symbol.name) for symbol in expansion)
        self.shape = {
            ("call", ("NAME", "LPAR", "arguments", "RPAR")): "call",
            ("call", ("NAME", "LPAR", "RPAR")): "call_empty",
            ("arguments", ("expr",)): "arguments_one",
            ("arguments", ("expr", "__arguments_star_0")): "arguments_many",
            ("__arguments_star_0", ("COMMA", "expr")): "more_first",
            ("__arguments_star_0", ("__arguments_star_0", "COMMA", "expr")): "more_next",
        }.get((self.origin, symbols))
        # ``?a: b`` — the value passes through untouched (most reductions: one per precedence level)
        self.unit = self.expand_single and self.size == 1 and len(keep) == 1 and not keep[0][1] and not keep[0][2] and not self.trailing_nones


class FastParser:
    """Parses with the tables of ``lark_parser`` (an LALR :class:`lark.Lark`)."""

    def __init__(self, lark_parser: Lark, keywords: dict) -> None:
        table = lark_parser.parser.parser.parser.parse_table
        rules = {id(rule): _Rule(rule) for rule in lark_parser.rules}
        # symbol → (True, next state) for a shift, (False, rule) for a reduction; plain str keys,
        # as Lark's are Token objects whose __eq__ makes every look-up slow.
        self.actions: dict[int, dict[str, tuple[bool, Any]]] = {
            state: {
                str(symbol): (True, argument) if action is Shift else (False, rules[id(argument)])
                for symbol, (action, argument) in row.items()
            }
            for state, row in table.states.items()
        }
        self.start = table.start_states["start"]
        self.end = table.end_states["start"]
        # (state below, top state, token type) → what to do after every unit reduction (``?a: b``,
        # one per precedence level) has replaced the top state: most reductions, done in one look-up.
        self._after_units: dict[tuple[int, int, str], tuple[int, bool, Any]] = {}
        root = lark_parser.parser.lexer.root_lexer
        self.ignore = frozenset(root.ignore_types)
        # Lark's terminals in Lark's sequence, then anything else as an error: every position matches,
        # so finditer walks the text without gaps.
        self.scanner = re.compile(
            "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in root.terminals) + "|(?P<_error>.)", re.DOTALL
        )
        self.keywords = keywords

    def tokens(self, text: str) -> list[_Token]:
        ignore = self.ignore
        out = []
        for found in self.scanner.finditer(text):
            kind = found.lastgroup
            if kind in ignore:
                continue
            if kind == "_error":
                raise Fallback
            out.append(_Token(kind, found.group(), found.start(), found.end()))
        return out

    def _units(self, below: int, top: int, symbol: str) -> tuple[int, bool, Any]:
        actions = self.actions
        while True:
            if symbol == "$END" and top == self.end:
                return top, False, None  # accepted
            found = actions[top].get(symbol)
            if found is None:
                raise Fallback
            shift, argument = found
            if shift or not argument.unit:
                return top, shift, argument
            top = actions[below][argument.origin][1]

    def parse(self, text: str, number: Callable[[Any], Decimal], string: Callable[[Any], str]) -> Node:
        """The syntax tree of ``text``; ``number`` and ``string`` read literal tokens (and may raise)."""
        literals = (number, string)
        newlines = [i for i, ch in enumerate(text) if ch == "\n"] if "\n" in text else None

        def span(start: int, end: int) -> Span:
            if newlines is None:
                return Span(start, end, 1, start + 1)
            line = bisect.bisect_left(newlines, start)
            column = start - (newlines[line - 1] + 1 if line else 0) + 1
            return Span(start, end, line + 1, column)

        actions = self.actions
        after_units = self._after_units
        state_stack = [-1, self.start]  # -1: a floor, so there is always a state below the top
        value_stack: list[Any] = []
        end_token = _Token("$END", "", len(text), len(text))
        tokens = self.tokens(text)
        tokens.append(end_token)
        for token in tokens:
            symbol = token.type
            while True:
                key = (state_stack[-2], state_stack[-1], symbol)
                found = after_units.get(key)
                if found is None:
                    found = after_units[key] = self._units(*key)
                top, shift, argument = found
                state_stack[-1] = top
                if shift:
                    if token is end_token:
                        raise Fallback
                    state_stack.append(argument)
                    value_stack.append(token)
                    break
                if argument is None:  # accepted
                    return value_stack[-1].node
                if argument.binary:  # the commonest reduction, written out
                    right = value_stack.pop()
                    op = value_stack.pop()
                    left = value_stack[-1]
                    del state_stack[-3:]
                    cstart, cend = left.cstart, right.cend
                    depth = (left.depth if left.depth > right.depth else right.depth) + 1
                    nodes = left.nodes + right.nodes + 2
                    if depth > MAX_DEPTH or nodes > MAX_NODES:
                        raise Fallback
                    node = Binary(span(cstart, cend), _SYMBOLS.get(op.text, op.text), left.node, right.node)
                    value_stack[-1] = _Value(node, cstart, cend, nodes, depth)
                    state_stack.append(actions[state_stack[-1]][argument.origin][1])
                    continue
                if argument.leaf:
                    wrapped = value_stack[-1]
                    state_stack.pop()
                    node = self.build(argument.name, [wrapped], span(wrapped.cstart, wrapped.cend), literals)
                    value_stack[-1] = _Value(node, wrapped.cstart, wrapped.cend, 2, 2)
                    state_stack.append(actions[state_stack[-1]][argument.origin][1])
                    continue
                shape = argument.shape
                if shape is not None:
                    size = argument.size
                    children = value_stack[-size:]
                    del value_stack[-size:]
                    del state_stack[-size:]
                    value_stack.append(_shaped(shape, children, span))
                    state_stack.append(actions[state_stack[-1]][argument.origin][1])
                    continue
                size = argument.size
                children = value_stack[-size:]
                del value_stack[-size:]
                del state_stack[-size:]
                value_stack.append(self.reduce(argument, children, span, literals))
                state_stack.append(actions[state_stack[-1]][argument.origin][1])
        raise Fallback  # pragma: no cover - the end token always finishes or fails

    def reduce(self, rule: _Rule, children: list, span, literals) -> Any:
        kept: list[Any] = []
        for index, spliced, nones in rule.keep:
            if nones:
                kept.extend([None] * nones)
            if spliced:
                kept.extend(children[index].node)
            else:
                kept.append(children[index])
        if rule.trailing_nones:
            kept.extend([None] * rule.trailing_nones)
        cstart = children[0].cstart
        cend = children[-1].cend
        if rule.expand_single and len(kept) == 1:
            only = kept[0]
            if isinstance(only, _Value):
                return _Value(only.node, cstart, cend, only.nodes, only.depth)
            return only  # pragma: no cover - every terminal is wrapped by a rule
        present = [child for child in kept if child is not None]
        nodes = 1 + sum(child.nodes for child in present)
        depth = 1 + max((child.depth for child in present), default=0)
        if nodes > MAX_NODES or depth > MAX_DEPTH:
            raise Fallback  # Lark's path reports the limit with its usual position
        if rule.splice:
            return _Value(kept, cstart, cend, nodes - 1, depth - 1)
        return _Value(self.build(rule.name, kept, span(cstart, cend), literals), cstart, cend, nodes, depth)

    def build(self, name: str, kept: list, where: Span, literals) -> Any:
        if name == "binary":
            left, op, right = kept
            symbol = _SYMBOLS.get(op.text, op.text)
            return Binary(where, symbol, left.node, right.node)
        if name == "path":
            names = tuple(token.text for token in kept)
            if len(names) == 1 and names[0].lower() in self.keywords:
                return Literal(where, "boolean", self.keywords[names[0].lower()])
            if len(names) == 1 and names[0].lower() == "null":
                return Literal(where, "null", None)
            return FieldRef(where, names)
        if name == "call":
            name_token, arguments = kept
            args = tuple(item.node for item in arguments.node) if arguments is not None else ()
            name_span = Span(name_token.cstart, name_token.cend, where.line, where.column)
            return Call(where, name_token.text.upper(), name_span, args)
        if name == "arguments":
            return kept
        if name == "number":
            token = kept[0]
            return Literal(Span(token.cstart, token.cend, where.line, where.column), "number", literals[0](token))
        if name == "string":
            token = kept[0]
            return Literal(Span(token.cstart, token.cend, where.line, where.column), "text", literals[1](token))
        if name == "unary":
            op, operand = kept
            return Unary(where, op.text, operand.node)
        if name == "global_ref":
            first, *rest = kept
            return GlobalRef(where, first.text, tuple(token.text for token in rest))
        raise Fallback  # pragma: no cover - every rule of the grammar is handled above


def _shaped(shape: str, children: list, span) -> _Value:
    """A call or an argument list, with the node counts and depth of Lark's tree for them."""
    if shape == "more_next":  # previous arguments, ',', expr: grow the list in place
        more, _, expr = children
        more.node.append(expr)
        nodes, depth = more.nodes + expr.nodes, max(more.depth, expr.depth)
        value = _Value(more.node, more.cstart, expr.cend, nodes, depth)
    elif shape == "more_first":  # ',', expr
        comma, expr = children
        value = _Value([expr], comma.cstart, expr.cend, expr.nodes, expr.depth)
    elif shape == "arguments_many":  # expr, more arguments
        expr, more = children
        value = _Value([expr, *more.node], expr.cstart, more.cend, 1 + expr.nodes + more.nodes, 1 + max(expr.depth, more.depth))
    elif shape == "arguments_one":
        (expr,) = children
        value = _Value([expr], expr.cstart, expr.cend, 1 + expr.nodes, 1 + expr.depth)
    else:  # a call: NAME '(' [arguments] ')'
        name = children[0]
        cstart, cend = name.cstart, children[-1].cend
        where = span(cstart, cend)
        name_span = Span(name.cstart, name.cend, where.line, where.column)
        if shape == "call":
            arguments = children[2]
            node = Call(where, name.text.upper(), name_span, tuple(item.node for item in arguments.node))
            value = _Value(node, cstart, cend, 2 + arguments.nodes, 1 + max(1, arguments.depth))
        else:
            value = _Value(Call(where, name.text.upper(), name_span, ()), cstart, cend, 2, 2)
    if value.nodes > MAX_NODES or value.depth > MAX_DEPTH:
        raise Fallback
    return value
