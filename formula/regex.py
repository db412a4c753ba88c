"""A small regular-expression engine for REGEX(): linear time by construction.

Patterns are parsed here (a common subset: literals, ``.``, classes ``[a-z]`` ``[^…]``, ``\\d \\w
\\s`` and their negations, groups ``( )`` ``(?: )``, alternation ``|``, quantifiers ``* + ? {n}
{n,} {n,m}``), compiled to a Thompson NFA and run as a set-of-states simulation whose sets are
cached as the states of a DFA built lazily (as RE2 does), so matching takes at most
``len(text) × len(pattern)`` steps whatever the pattern, and usually one dictionary look-up per
character: no backtracking, no catastrophic cases. A work budget (:data:`MAX_WORK`) still bounds
the rare text and pattern that keep missing the cache. Back-references, look-around and ``\\b``
are refused.

The same parsed pattern is written out as a PostgreSQL regular expression with only explicit
character sets (no locale-dependent classes), so both backends match the same strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from formula.errors import FormulaEvaluationError

__all__ = ["Pattern", "RegexSyntaxError", "RegexTooCostly", "compile_pattern"]

#: Upper bound on compiled instructions (repeat counts multiply the pattern's size).
MAX_PROGRAM = 10_000
MAX_REPEAT = 255  # PostgreSQL refuses larger counts
#: DFA states kept per pattern before the cache starts over.
MAX_DFA_STATES = 2_000
#: NFA positions stepped through (on DFA cache misses) in one match before giving up: about
#: about 0.1–0.2 s of work on an idle reference machine, whatever the pattern and the text.
MAX_WORK = 750_000

_DIGIT = ((48, 57),)
_WORD = ((48, 57), (65, 90), (95, 95), (97, 122))
_SPACE = ((9, 13), (32, 32))
_SHORTHANDS = {"d": (_DIGIT, False), "w": (_WORD, False), "s": (_SPACE, False)}
_SHORTHANDS.update({k.upper(): (v[0], True) for k, v in list(_SHORTHANDS.items())})
_CONTROL_ESCAPES = {"n": 10, "t": 9, "r": 13, "f": 12, "v": 11}


class RegexSyntaxError(ValueError):
    """The pattern is not in the supported subset; ``offset`` is where in the pattern."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class RegexTooCostly(FormulaEvaluationError):
    """Matching this text would take more than the work budget (a pathological pattern and text)."""


# Parsed pattern nodes, as tuples: ("set", ranges, negated) | ("cat", [nodes]) | ("alt", [nodes])
# | ("rep", node, low, high or None).


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0

    def error(self, message: str, offset: int | None = None) -> RegexSyntaxError:
        return RegexSyntaxError(message, self.i if offset is None else offset)

    def peek(self) -> str | None:
        return self.p[self.i] if self.i < len(self.p) else None

    def parse(self):
        node = self.alternation()
        if self.i < len(self.p):
            raise self.error("unbalanced ')'")
        return node

    def alternation(self):
        branches = [self.concatenation()]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.concatenation())
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def concatenation(self):
        items = []
        while self.peek() is not None and self.peek() not in "|)":
            items.append(self.repetition())
        return ("cat", items)

    def repetition(self):
        start = self.i
        atom = self.atom()
        ch = self.peek()
        if ch in ("*", "+", "?"):
            self.i += 1
            low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[ch]
        elif ch == "{" and self._looks_like_count():
            low, high = self.count()
        else:
            return atom
        if self.peek() == "?":  # lazy: the same strings match as a whole
            self.i += 1
        if self.peek() in ("*", "+", "?", "{") and not (self.peek() == "{" and not self._looks_like_count()):
            raise self.error("a quantifier cannot follow another quantifier")
        if atom is None:
            raise self.error("nothing to repeat", start)
        counted = ch == "{" and (high is None or high > 1)
        if counted and _nullable(atom):
            # It adds no strings ((a?){3} matches what a{0,3} does), and PostgreSQL's engine
            # takes seconds on long texts when such counts add up: refuse it with the rewrite.
            raise self.error(
                "a counted repetition of something that can match nothing; repeat what must match "
                "instead, e.g. a{0,3} rather than (a?){3}",
                start,
            )
        return ("rep", atom, low, high)

    def _looks_like_count(self) -> bool:
        j = self.i + 1
        while j < len(self.p) and (self.p[j].isdigit() or self.p[j] == ","):
            j += 1
        return j < len(self.p) and self.p[j] == "}" and j > self.i + 1

    def count(self):
        start = self.i
        end = self.p.index("}", self.i)
        body = self.p[self.i + 1 : end]
        self.i = end + 1
        low_text, comma, high_text = body.partition(",")
        if not low_text.isdigit() or (high_text and not high_text.isdigit()):
            raise self.error("bad repetition count", start)
        low = int(low_text)
        high = (int(high_text) if high_text else None) if comma else low
        if low > MAX_REPEAT or (high is not None and (high > MAX_REPEAT or high < low)):
            raise self.error(f"repetition counts must be at most {MAX_REPEAT}, low before high", start)
        return low, high

    def atom(self):
        ch = self.peek()
        start = self.i
        if ch in ("*", "+", "?"):
            raise self.error("nothing to repeat")
        if ch == "(":
            self.i += 1
            if self.p.startswith("?:", self.i):
                self.i += 2
            elif self.peek() == "?":
                raise self.error("look-around and named groups are not supported")
            node = self.alternation()
            if self.peek() != ")":
                raise self.error("missing ')'", start)
            self.i += 1
            return node
        if ch == "[":
            return self.char_class()
        if ch == ".":
            self.i += 1
            return ("set", (), True)
        if ch == "\\":
            return self.escape(in_class=False)
        if ch in ("^", "$"):
            raise self.error("anchors are not needed: REGEX always matches the whole text")
        self.i += 1
        return ("set", ((ord(ch), ord(ch)),), False)

    def escape(self, in_class: bool):
        start = self.i
        self.i += 1
        ch = self.peek()
        if ch is None:
            raise self.error("pattern ends with '\\'", start)
        self.i += 1
        if ch in _SHORTHANDS:
            ranges, negated = _SHORTHANDS[ch]
            if in_class and negated:
                raise self.error(f"\\{ch} is not supported inside [ ]", start)
            return ("set", ranges, negated)
        if ch in _CONTROL_ESCAPES:
            code = _CONTROL_ESCAPES[ch]
            return ("set", ((code, code),), False)
        if ch.isalnum():
            raise self.error(f"unsupported escape \\{ch}", start)
        return ("set", ((ord(ch), ord(ch)),), False)

    def char_class(self):
        start = self.i
        self.i += 1
        negated = self.peek() == "^"
        if negated:
            self.i += 1
        ranges: list[tuple[int, int]] = []
        first = True
        while True:
            ch = self.peek()
            if ch is None:
                raise self.error("missing ']'", start)
            if ch == "]" and not first:
                self.i += 1
                break
            first = False
            low = self.class_char()
            if isinstance(low, tuple):
                ranges.extend(low)
                continue
            if self.peek() == "-" and self.i + 1 < len(self.p) and self.p[self.i + 1] != "]":
                self.i += 1
                high = self.class_char()
                if isinstance(high, tuple) or high < low:
                    raise self.error("bad range in [ ]", start)
                ranges.append((low, high))
            else:
                ranges.append((low, low))
        return ("set", tuple(ranges), negated)

    def class_char(self):
        ch = self.peek()
        if ch == "\\":
            node = self.escape(in_class=True)
            ranges = node[1]
            if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
                return ranges[0][0]
            return tuple(ranges)
        if ch == "[" and self.i + 1 < len(self.p) and self.p[self.i + 1] in ":=.":
            raise self.error("POSIX classes such as [:alpha:] are not supported; use ranges")
        self.i += 1
        return ord(ch)


def _nullable(node) -> bool:
    """Whether a parsed pattern node can match the empty string."""
    kind = node[0]
    if kind == "set":
        return False
    if kind == "cat":
        return all(_nullable(item) for item in node[1])
    if kind == "alt":
        return any(_nullable(item) for item in node[1])
    return node[2] == 0 or _nullable(node[1])


# --- compilation to a Thompson NFA ------------------------------------------------------------

_CHAR, _SPLIT, _JUMP, _MATCH = range(4)


class _Compiler:
    def __init__(self) -> None:
        self.program: list[list] = []

    def emit(self, *instruction) -> int:
        if len(self.program) >= MAX_PROGRAM:
            raise RegexSyntaxError("pattern is too complex", 0)
        self.program.append(list(instruction))
        return len(self.program) - 1

    def compile(self, node) -> None:
        kind = node[0]
        if kind == "set":
            self.emit(_CHAR, node[1], node[2])
        elif kind == "cat":
            for item in node[1]:
                self.compile(item)
        elif kind == "alt":
            jumps = []
            branches = node[1]
            for branch in branches[:-1]:
                split = self.emit(_SPLIT, 0, 0)
                self.program[split][1] = len(self.program)
                self.compile(branch)
                jumps.append(self.emit(_JUMP, 0))
                self.program[split][2] = len(self.program)
            self.compile(branches[-1])
            for jump in jumps:
                self.program[jump][1] = len(self.program)
        elif kind == "rep":
            _, item, low, high = node
            for _ in range(low):
                self.compile(item)
            if high is None:
                split = self.emit(_SPLIT, 0, 0)
                self.program[split][1] = len(self.program)
                self.compile(item)
                self.emit(_JUMP, split)
                self.program[split][2] = len(self.program)
            else:
                splits = []
                for _ in range(high - low):
                    split = self.emit(_SPLIT, 0, 0)
                    self.program[split][1] = len(self.program)
                    splits.append(split)
                    self.compile(item)
                for split in splits:
                    self.program[split][2] = len(self.program)


def _matches(ranges, negated: bool, code: int) -> bool:
    for low, high in ranges:
        if low <= code <= high:
            return not negated
    return negated


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern: :meth:`fullmatch` in linear time, :attr:`postgres` for SQL."""

    source: str
    program: tuple
    postgres: str
    # Lazily built DFA: a set of NFA positions → {character code → next set}. Shared by every
    # call, so a pattern used on many records builds each transition once.
    _dfa: dict = field(default_factory=dict, compare=False, repr=False)
    _states: dict = field(default_factory=dict, compare=False, repr=False)

    def fullmatch(self, text: str) -> bool:
        """Whether the whole of ``text`` matches; raises :class:`RegexTooCostly` past the work budget."""
        final = len(self.program) - 1
        dfa = self._dfa
        interned = self._states
        current = interned.setdefault(start := self._closure((0,)), start)
        work = 0
        for ch in text:
            code = ord(ch)
            row = dfa.get(current)
            if row is None:
                if len(dfa) >= MAX_DFA_STATES:
                    dfa.clear()  # as RE2 does: start over rather than grow without bound
                    interned.clear()
                row = dfa[current] = {}
            following = row.get(code)
            if following is None:
                following = self._step(current, code)
                # One object per state, so later look-ups compare by identity, not element by element.
                following = row[code] = interned.setdefault(following, following)
                work += len(current) + len(following)
                if work > MAX_WORK:
                    raise RegexTooCostly(
                        f"REGEX needs more than {MAX_WORK:,} steps on this text; simplify the pattern"
                    )
            if not following:
                return False
            current = following
        return final in current

    def _step(self, current: frozenset[int], code: int) -> frozenset[int]:
        program = self.program
        moved = [pc + 1 for pc in current if program[pc][0] == _CHAR and _matches(program[pc][1], program[pc][2], code)]
        return self._closure(moved) if moved else frozenset()

    def _closure(self, pcs) -> frozenset[int]:
        program = self.program
        seen: set[int] = set()
        stack = list(pcs)
        while stack:
            pc = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            op = program[pc]
            if op[0] == _SPLIT:
                stack.append(op[1])
                stack.append(op[2])
            elif op[0] == _JUMP:
                stack.append(op[1])
        return frozenset(seen)


def _pg_char(code: int) -> str:
    ch = chr(code)
    if ch.isascii() and ch.isalnum():
        return ch
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _pg_set(ranges, negated: bool) -> str:
    if not ranges:
        return "." if negated else "[^\\u0000-\\U0010ffff]"
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1] and not negated:
        return _pg_char(ranges[0][0])
    parts = "".join(
        _pg_char(low) if low == high else f"{_pg_char(low)}-{_pg_char(high)}" for low, high in ranges
    )
    return f"[{'^' if negated else ''}{parts}]"


def _to_postgres(node) -> str:
    kind = node[0]
    if kind == "set":
        return _pg_set(node[1], node[2])
    if kind == "cat":
        return "".join(_to_postgres(item) for item in node[1])
    if kind == "alt":
        return "(?:" + "|".join(_to_postgres(item) for item in node[1]) + ")"
    _, item, low, high = node
    body = f"(?:{_to_postgres(item)})"
    if high is None:
        return f"{body}{{{low},}}"
    return f"{body}{{{low},{high}}}" if high != low else f"{body}{{{low}}}"


def compile_pattern(source: str) -> Pattern:
    """Parse and compile a REGEX pattern; raises :class:`RegexSyntaxError`."""
    tree = _Parser(source).parse()
    compiler = _Compiler()
    compiler.compile(tree)
    compiler.emit(_MATCH)
    program = tuple(tuple(op) for op in compiler.program)
    return Pattern(source, program, "^(?:" + _to_postgres(tree) + ")$")
