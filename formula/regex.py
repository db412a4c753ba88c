"""REGEX() patterns: a checked subset, matched by RE2 in Python and by PostgreSQL in SQL.

Patterns are parsed here (a common subset: literals, ``.``, classes ``[a-z]`` ``[^…]``, ``\\d \\w
\\s`` and their negations, groups ``( )`` ``(?: )``, alternation ``|``, quantifiers ``* + ? {n}
{n,} {n,m}``), so a bad pattern is refused when the formula is checked, with its position in the
pattern. Back-references, look-around and ``\\b`` are refused.

The parsed pattern is then written out twice with only explicit character sets (no
locale-dependent classes, ``.`` matching every character including a newline), so both
backends match the same strings:

* for `RE2 <https://github.com/google/re2>`_ (``google-re2``), which runs the Python evaluator
  and SQLite's ``fx_regex`` function: linear time in the text whatever the pattern, no
  backtracking, so no catastrophic cases and no work budget;
* for PostgreSQL's ``~`` operator, where REGEX() compiles to SQL.

A size bound (:data:`MAX_PROGRAM`) refuses patterns whose repeat counts multiply them past a
few thousand steps per character, on both backends.
"""

from __future__ import annotations

import re2

__all__ = ["Pattern", "RegexSyntaxError", "compile_pattern"]

#: Upper bound on the pattern's size once repeat counts are multiplied out (one per character
#: set, as RE2 and PostgreSQL expand counted repetitions).
MAX_PROGRAM = 10_000
MAX_REPEAT = 255  # PostgreSQL refuses larger counts

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


def _size(node) -> int:
    """How many character sets the pattern has once repeat counts are multiplied out."""
    kind = node[0]
    if kind == "set":
        return 1
    if kind in ("cat", "alt"):
        return sum(_size(item) for item in node[1]) + (len(node[1]) if kind == "alt" else 0)
    _, item, low, high = node
    return _size(item) * max(1, high if high is not None else low + 1)


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # a refused pattern is reported to the formula's author, not logged
    options.never_capture = True  # only whether it matches is asked
    return options


_OPTIONS = _options()


class Pattern:
    """A compiled pattern: :meth:`fullmatch` in linear time, :attr:`postgres` for SQL."""

    __slots__ = ("source", "re2", "postgres", "_compiled")

    def __init__(self, source: str, re2_pattern: str, postgres: str) -> None:
        self.source = source
        self.re2 = re2_pattern
        self.postgres = postgres
        try:
            self._compiled = re2.compile(re2_pattern, _OPTIONS)
        except re2.error:
            # The subset is within RE2's syntax; only its own size limits can refuse it.
            raise RegexSyntaxError("pattern is too complex", 0) from None

    def fullmatch(self, text: str) -> bool:
        """Whether the whole of ``text`` matches."""
        # Lone surrogates cannot be encoded for RE2 (which reads UTF-8); no pattern matches them.
        try:
            return self._compiled.fullmatch(text) is not None
        except UnicodeEncodeError:
            return False

    def __repr__(self) -> str:
        return f"Pattern({self.source!r})"


def _re2_char(code: int) -> str:
    ch = chr(code)
    if ch.isascii() and ch.isalnum():
        return ch
    return f"\\x{{{code:x}}}"


def _re2_set(ranges, negated: bool) -> str:
    if not ranges:
        return "(?s:.)" if negated else "[^\\x{0}-\\x{10ffff}]"
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1] and not negated:
        return _re2_char(ranges[0][0])
    parts = "".join(
        _re2_char(low) if low == high else f"{_re2_char(low)}-{_re2_char(high)}" for low, high in ranges
    )
    return f"[{'^' if negated else ''}{parts}]"


def _to_re2(node) -> str:
    kind = node[0]
    if kind == "set":
        return _re2_set(node[1], node[2])
    if kind == "cat":
        return "".join(_to_re2(item) for item in node[1])
    if kind == "alt":
        return "(?:" + "|".join(_to_re2(item) for item in node[1]) + ")"
    _, item, low, high = node
    body = f"(?:{_to_re2(item)})"
    if high is None:
        return f"{body}{{{low},}}"
    return f"{body}{{{low},{high}}}" if high != low else f"{body}{{{low}}}"


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
    if _size(tree) > MAX_PROGRAM:
        raise RegexSyntaxError("pattern is too complex", 0)
    return Pattern(source, _to_re2(tree), "^(?:" + _to_postgres(tree) + ")$")
