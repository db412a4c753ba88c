"""A compact driver for the grammar's LALR tables: text straight to syntax-tree nodes.

Lark compiles ``grammar.lark`` into LALR tables; its own parser then builds a parse tree through
a chain of callbacks per reduction (child filtering, position propagation, tree objects) that
costs tens of microseconds per token — most of the time a formula takes to check. This module
runs the same tables in one loop, with one regular expression for the tokens (Lark's terminals,
in Lark's priority sequence) and builds :mod:`formula.ast` nodes directly, reproducing the
positions Lark would give (a node starts at its first child's container, parentheses included).

How it stays fast:

* the regular expression skips the ignored terminals (whitespace, comments) itself, so the loop
  only sees real tokens, and reads the end of the text as one more match; the punctuation is
  one character class, and a token's type comes from the number of the group that matched;
* a stack value is a plain tuple ``(node or token text, start, end, nodes, depth)``: the node
  (or, for a token, its text), the offsets of its container, and the size and depth of the tree
  Lark would have built for it, which the size limits are checked against;
* a per-state table keyed by token type gives every step that does not depend on the state
  below the top (shifts, reductions other than unit ones); the chains of unit reductions
  (``?a: b``, one per precedence level) that follow a token are worked out once per (state
  below, top state, token type) and then replayed in one step;
* a shift into a state that can only reduce (after a number, a string, a call's ``)``…) reduces
  at once, without waiting for the next token: an LR parser never shifts a token that cannot
  follow, so an error is still found, at the same token;
* the common reductions (binary operators, literals, calls and their argument lists,
  parentheses) are written out; the rest go through Lark's child filtering, rebuilt here.

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
from lark.lexer import PatternStr
from lark.parsers.lalr_analysis import Shift

from formula.ast import FieldRef, GlobalRef, Literal, Node, Span, Unary, new_binary, new_call, new_field_ref, new_literal
from formula.limits import MAX_DEPTH, MAX_NODES

__all__ = ["Fallback", "FastParser"]


_SYMBOLS = {"==": "=", "!=": "<>"}
_new_span = tuple.__new__

# What a parser step is (the first item of its tuple); reductions are their rule's code.
_SHIFT = 0
_ACCEPT = 1
# Reductions written out in the loop, by rule shape (the rest are _GENERIC).
_BINARY = 2
_NUMBER = 3
_STRING = 4
_NAME = 5
_CALL = 6
_CALL_EMPTY = 7
_ARGUMENTS_ONE = 8
_ARGUMENTS_MANY = 9
_MORE_FIRST = 10
_MORE_NEXT = 11
_PARENTHESES = 12
_GENERIC = 13
# Shifts into a state that can only reduce: a number or a string literal, reduced at once to
# the state after it; anything else, shifted and then reduced.
_SHIFT_NUMBER = 14
_SHIFT_STRING = 15
_SHIFT_REDUCE = 16
_UNIT = ("unit",)  # a unit reduction: the step depends on the state below

_SHAPES = {
    ("number", ("NUMBER",)): _NUMBER,
    ("string", ("STRING",)): _STRING,
    ("path", ("NAME",)): _NAME,
    ("call", ("NAME", "LPAR", "arguments", "RPAR")): _CALL,
    ("call", ("NAME", "LPAR", "RPAR")): _CALL_EMPTY,
    ("arguments", ("expr",)): _ARGUMENTS_ONE,
    ("arguments", ("expr", "__arguments_star_0")): _ARGUMENTS_MANY,
    ("__arguments_star_0", ("COMMA", "expr")): _MORE_FIRST,
    ("__arguments_star_0", ("__arguments_star_0", "COMMA", "expr")): _MORE_NEXT,
    ("atom", ("LPAR", "expr", "RPAR")): _PARENTHESES,
}


class Fallback(Exception):
    """The fast path cannot parse this text; Lark's parser reports what is wrong."""


class _Rule:
    """What a reduction does, precomputed from a Lark rule."""

    __slots__ = ("origin", "size", "keep", "trailing_nones", "name", "expand_single", "splice", "unit", "code", "goto")

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
        symbols = tuple(str(symbol.name) for symbol in expansion)
        self.code = _SHAPES.get((self.name, symbols), _GENERIC)
        if self.name == "binary" and self.size == 3 and len(keep) == 3 and not self.trailing_nones:
            self.code = _BINARY
        if self.code == _PARENTHESES and not (self.expand_single and len(keep) == 1):
            self.code = _GENERIC  # pragma: no cover - the grammar's parentheses pass their value through
        # ``?a: b`` — the value passes through untouched (most reductions: one per precedence level)
        self.unit = self.expand_single and self.size == 1 and len(keep) == 1 and not keep[0][1] and not keep[0][2] and not self.trailing_nones
        self.goto: dict[int, int] = {}  # state below → state after reducing to ``origin``


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
        by_origin: dict[str, list[_Rule]] = {}
        for rule in rules.values():
            by_origin.setdefault(rule.origin, []).append(rule)
        for state, row in self.actions.items():
            for symbol, (shift, argument) in row.items():
                if shift:
                    for rule in by_origin.get(symbol, ()):
                        rule.goto[state] = argument
        # A state where every action reduces by one rule: reduce on entering it (see the docstring).
        self.reduce_on_entry: dict[int, _Rule] = {}
        for state, row in self.actions.items():
            found = {id(argument): argument for shift, argument in row.values() if not shift}
            if len(found) == 1 and all(not shift for shift, _ in row.values()):
                (rule,) = found.values()
                if not rule.unit:
                    self.reduce_on_entry[state] = rule
        self.start = table.start_states["start"]
        self.end = table.end_states["start"]
        # state → token type → step, for every step that does not depend on the state below: a
        # shift (of a literal: straight to the state after reducing it), a reduction other than
        # a unit one, the end. Other pairs — unit reductions first, or an error — go through
        # _after_units: (state below, top state, token type) → (top state after every unit
        # reduction, ``?a: b``, one per precedence level, has replaced it; the step from there).
        terminals = {str(t.name) for t in lark_parser.terminals} | {"$END"}
        self.rows: list[dict[str, tuple]] = [{} for _ in range(max(self.actions) + 1)]
        for state, row in self.actions.items():
            for symbol in row:
                if symbol in terminals:
                    step = self._step(state, symbol)
                    if step is not None and step is not _UNIT:
                        self.rows[state][symbol] = step
        self.rows[self.end]["$END"] = (_ACCEPT,)
        self._after_units: dict[tuple[int, int, str], tuple[int, tuple]] = {}
        root = lark_parser.parser.lexer.root_lexer
        ignore = set(root.ignore_types)
        # Ignored terminals first, skipped as a prefix of every match (in Lark's sequence they come
        # before any terminal that could start the same way: a comment before '/'); then Lark's
        # terminals in Lark's sequence; then anything else as an error, and the end of the text.
        # A run of one-character terminals next to each other in that sequence (the punctuation)
        # becomes one character class, its type read from the character: trying them one by one
        # cost most of the time of matching a token.
        skipped = "|".join(f"(?:{t.pattern.to_regexp()})" for t in root.terminals if t.name in ignore)
        alternatives: list[str] = []
        run: dict[str, str] = {}
        self.characters: dict[str, str] = {}  # character → terminal, for the runs
        for terminal in [*(t for t in root.terminals if t.name not in ignore), None]:
            pattern = terminal.pattern if terminal is not None else None
            if isinstance(pattern, PatternStr) and len(pattern.value) == 1 and not pattern.flags:
                run[pattern.value] = terminal.name
                continue
            if run:
                alternatives.append(f"(?P<_run{len(alternatives)}>[{''.join(re.escape(c) for c in run)}])")
                self.characters.update(run)
                run = {}
            if terminal is not None:
                alternatives.append(f"(?P<{terminal.name}>{pattern.to_regexp()})")
        tokens = "|".join(alternatives)
        self.scanner = re.compile(f"(?:{skipped})*+(?:{tokens}|(?P<_error>.)|(?P<_end>\\Z))", re.DOTALL)
        # group number → token type ("$END" for the end of the text); None for the runs and
        # for an unexpected character, told apart by the character.
        self.kinds: list[str | None] = [None] * (self.scanner.groups + 1)
        for name, index in self.scanner.groupindex.items():
            self.kinds[index] = "$END" if name == "_end" else None if name.startswith("_") else name
        self.keywords = keywords

    def _step(self, state: int, symbol: str) -> tuple | None:
        """What ``symbol`` does in ``state``: a step, _UNIT for a unit reduction, None for an error."""
        if symbol == "$END" and state == self.end:
            return (_ACCEPT,)
        found = self.actions[state].get(symbol)
        if found is None:
            return None
        shift, argument = found
        if not shift:
            return _UNIT if argument.unit else (argument.code, argument)
        rule = self.reduce_on_entry.get(argument)
        if rule is None:
            return (_SHIFT, argument)
        after = rule.goto.get(state)
        if rule.code == _NUMBER and after is not None:
            return (_SHIFT_NUMBER, after)
        if rule.code == _STRING and after is not None:
            return (_SHIFT_STRING, after)
        return (_SHIFT_REDUCE, argument, rule)

    def _units(self, below: int, top: int, symbol: str) -> tuple[int, tuple]:
        while True:
            step = self._step(top, symbol)
            if step is None:
                raise Fallback
            if step is not _UNIT:
                return top, step
            top = self.actions[top][symbol][1].goto[below]

    def parse(self, text: str, number: Callable[[str, int], Decimal], string: Callable[[str, int], str]) -> Node:
        """The syntax tree of ``text``; ``number`` and ``string`` read literal tokens (and may raise).

        Both are called with the token's text and its offset.
        """
        if "\n" in text:
            newlines = [i for i, ch in enumerate(text) if ch == "\n"]

            def span(start: int, end: int) -> Span:
                line = bisect.bisect_left(newlines, start)
                column = start - (newlines[line - 1] + 1 if line else 0) + 1
                return _new_span(Span, (start, end, line + 1, column))

        else:

            def span(start: int, end: int) -> Span:
                return _new_span(Span, (start, end, 1, start + 1))

        lines = "\n" in text  # else a span is written out: line 1, column = offset + 1
        rows = self.rows
        after_units = self._after_units
        symbols = _SYMBOLS
        keywords = self.keywords
        kinds = self.kinds
        characters = self.characters
        # The stack: ``states`` below, the top state in ``state``; ``values`` holds one tuple per
        # state above the floor.
        states = [-1]  # -1: a floor, so there is always a state below the top
        state = self.start
        values: list[tuple] = []
        for match in self.scanner.finditer(text):
            index = match.lastindex  # the outermost group that matched: a terminal's
            start, end = match.span(index)
            kind = kinds[index]
            if kind is None:  # a one-character terminal, or a character no terminal matches
                kind = characters.get(text[start])
                if kind is None:
                    raise Fallback
            while True:
                step = rows[state].get(kind)
                if step is None:
                    key = (states[-1], state, kind)
                    found = after_units.get(key)
                    if found is None:
                        found = after_units[key] = self._units(*key)
                    state, step = found
                code = step[0]
                if code == _SHIFT:
                    states.append(state)
                    state = step[1]
                    values.append((text[start:end], start, end, 1, 1))
                    break
                if code == _SHIFT_NUMBER:
                    where = span(start, end) if lines else _new_span(Span, (start, end, 1, start + 1))
                    values.append((new_literal(where, "number", number(text[start:end], start)), start, end, 2, 2))
                    states.append(state)
                    state = step[1]
                    break
                if code == _SHIFT_STRING:
                    where = span(start, end) if lines else _new_span(Span, (start, end, 1, start + 1))
                    values.append((new_literal(where, "text", string(text[start:end], start)), start, end, 2, 2))
                    states.append(state)
                    state = step[1]
                    break
                if code == _SHIFT_REDUCE:
                    states.append(state)
                    values.append((text[start:end], start, end, 1, 1))
                    rule = step[2]
                    code = rule.code
                    shifted = True
                elif code == _ACCEPT:
                    return values[-1][0]
                else:
                    rule = step[1]
                    shifted = False
                # a reduction by ``rule``: pop its values and all its states but the lowest
                # (the top one is ``state``), then go to the state after it from the one below.
                if code == _BINARY:
                    right = values.pop()
                    op = values.pop()
                    left = values[-1]
                    del states[-2:]
                    cstart = left[1]
                    cend = right[2]
                    depth = (left[4] if left[4] > right[4] else right[4]) + 1
                    nodes = left[3] + right[3] + 2
                    if depth > MAX_DEPTH or nodes > MAX_NODES:
                        raise Fallback
                    where = span(cstart, cend) if lines else _new_span(Span, (cstart, cend, 1, cstart + 1))
                    symbol = op[0]
                    values[-1] = (new_binary(where, symbols.get(symbol, symbol), left[0], right[0]), cstart, cend, nodes, depth)
                elif code == _NAME:
                    name, cstart, cend, _, _ = values[-1]
                    where = span(cstart, cend) if lines else _new_span(Span, (cstart, cend, 1, cstart + 1))
                    lowered = name.lower() if 3 < len(name) < 6 else None  # true, false, null
                    if lowered is None or (lowered not in keywords and lowered != "null"):
                        node = new_field_ref(where, (name,))
                    else:
                        node = self._name(name, where)
                    values[-1] = (node, cstart, cend, 2, 2)
                elif code == _MORE_NEXT:  # previous arguments, ',', expr: grow the list in place
                    expr = values.pop()
                    del values[-1]
                    more = values[-1]
                    del states[-2:]
                    more[0].append(expr[0])
                    depth = more[4] if more[4] > expr[4] else expr[4]
                    values[-1] = (more[0], more[1], expr[2], more[3] + expr[3], depth)
                elif code == _MORE_FIRST:  # ',', expr
                    expr = values.pop()
                    del states[-1]
                    values[-1] = ([expr[0]], values[-1][1], expr[2], expr[3], expr[4])
                elif code == _ARGUMENTS_ONE:
                    expr = values[-1]
                    values[-1] = ((expr[0],), expr[1], expr[2], expr[3] + 1, expr[4] + 1)
                elif code == _ARGUMENTS_MANY:
                    more = values.pop()
                    expr = values[-1]
                    del states[-1]
                    depth = more[4] if more[4] > expr[4] else expr[4]
                    values[-1] = ((expr[0], *more[0]), expr[1], more[2], 1 + expr[3] + more[3], depth + 1)
                elif code == _CALL:
                    rpar = values.pop()
                    arguments = values.pop()
                    del values[-1]
                    name = values[-1]
                    del states[-3:]
                    cstart = name[1]
                    cend = rpar[2]
                    nodes = 2 + arguments[3]
                    depth = 1 + (arguments[4] if arguments[4] > 1 else 1)
                    if depth > MAX_DEPTH or nodes > MAX_NODES:
                        raise Fallback
                    where = span(cstart, cend) if lines else _new_span(Span, (cstart, cend, 1, cstart + 1))
                    name_span = _new_span(Span, (cstart, name[2], where[2], where[3]))
                    values[-1] = (new_call(where, name[0].upper(), name_span, arguments[0]), cstart, cend, nodes, depth)
                elif code == _PARENTHESES:
                    rpar = values.pop()
                    expr = values.pop()
                    del states[-2:]
                    values[-1] = (expr[0], values[-1][1], rpar[2], expr[3], expr[4])
                elif code == _CALL_EMPTY:
                    rpar = values.pop()
                    del values[-1]
                    name = values[-1]
                    del states[-2:]
                    cstart = name[1]
                    cend = rpar[2]
                    where = span(cstart, cend)
                    name_span = _new_span(Span, (cstart, name[2], where[2], where[3]))
                    values[-1] = (new_call(where, name[0].upper(), name_span, ()), cstart, cend, 2, 2)
                else:
                    size = rule.size
                    children = values[-size:]
                    del values[-size:]
                    if size > 1:
                        del states[1 - size :]
                    values.append(self._reduce(rule, children, span))
                state = rule.goto[states[-1]]
                if shifted:
                    break
        raise Fallback  # pragma: no cover - the end of the text always finishes or fails

    def _name(self, name: str, where: Span) -> Node:
        """A path of one name: a field, or the keywords true, false and null."""
        lowered = name.lower()
        if lowered in self.keywords:
            return Literal(where, "boolean", self.keywords[lowered])
        if lowered == "null":
            return Literal(where, "null", None)
        return new_field_ref(where, (name,))

    def _reduce(self, rule: _Rule, children: list, span) -> tuple:
        kept: list[Any] = []
        for index, spliced, nones in rule.keep:
            if nones:
                kept.extend([None] * nones)
            if spliced:
                kept.extend(children[index][0])
            else:
                kept.append(children[index])
        if rule.trailing_nones:
            kept.extend([None] * rule.trailing_nones)
        cstart = children[0][1]
        cend = children[-1][2]
        if rule.expand_single and len(kept) == 1:
            only = kept[0]
            return (only[0], cstart, cend, only[3], only[4])
        present = [child for child in kept if child is not None]
        nodes = 1 + sum(child[3] for child in present)
        depth = 1 + max((child[4] for child in present), default=0)
        if nodes > MAX_NODES or depth > MAX_DEPTH:
            raise Fallback  # Lark's path reports the limit with its usual position
        if rule.splice:
            return (kept, cstart, cend, nodes - 1, depth - 1)
        return (self._build(rule.name, kept, span(cstart, cend)), cstart, cend, nodes, depth)

    def _build(self, name: str, kept: list, where: Span) -> Any:
        if name == "path":
            names = tuple(token[0] for token in kept)
            if len(names) == 1:  # pragma: no cover - written out in the loop
                return self._name(names[0], where)
            return FieldRef(where, names)
        if name == "unary":
            op, operand = kept
            return Unary(where, op[0], operand[0])
        if name == "global_ref":
            first, *rest = kept
            return GlobalRef(where, first[0], tuple(token[0] for token in rest))
        # every other rule of the grammar is written out in the loop (literals are reduced on
        # entering the state after them; if a grammar change ever stops that, Lark parses them)
        raise Fallback  # pragma: no cover
