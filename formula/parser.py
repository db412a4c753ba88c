"""Text to syntax tree: the Lark grammar (loaded once) and the conversion to :mod:`formula.ast`.

Only Lark's public API is used: one LALR :class:`lark.Lark` built behind ``lru_cache``, its parse
tree checked against the size limits and converted to dataclass nodes. Parsing runs when metadata
is loaded or a formula is typed in setup; what is checked again and again (the same text against
the same schema) is served from :class:`formula.cache.FormulaCache` instead of being parsed again.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from formula.ast import GlobalRef, Literal, Node, Span, Unary, new_binary, new_call, new_field_ref, new_literal
from formula.errors import FormulaLimitError, FormulaSyntaxError
from formula.limits import MAX_DEPTH, MAX_LENGTH, MAX_NODES, MAX_NUMBER_DIGITS

__all__ = ["grammar", "parse"]

_KEYWORDS = {"true": True, "false": False}
_SYMBOLS = {"==": "=", "!=": "<>"}
_COMMENTS_AND_SPACE = re.compile(r"/\*[\s\S]*?\*/|\s+")

_ESCAPES = {
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "b": "\b",
    "f": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
}

# What each terminal looks like to a person, for "expected …" messages.
_TERMINAL_NAMES = {
    "OR": "'||'",
    "AND": "'&&'",
    "COMPARE": "a comparison",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "AMP": "'&'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "CARET": "'^'",
    "BANG": "'!'",
    "NUMBER": "a number",
    "STRING": "a string",
    "NAME": "a field or function name",
    "GLOBAL": "a global such as $User",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "DOT": "'.'",
    "$END": "the end of the formula",
}


@functools.lru_cache(maxsize=1)
def grammar() -> Lark:
    """The formula grammar, built once per process."""
    return Lark.open("grammar.lark", rel_to=__file__, parser="lalr", propagate_positions=True)


def parse(text: str) -> Node:
    """Parse formula text into a syntax tree.

    Raises :class:`FormulaSyntaxError` (with position, caret context and hint) for text that is
    not a formula, and :class:`FormulaLimitError` for text over the size limits.
    """
    if not isinstance(text, str):
        raise FormulaSyntaxError(f"a formula is text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaLimitError(
            f"formula is {len(text)} characters long; the limit is {MAX_LENGTH}",
            hint="split it into several formula fields",
            start=MAX_LENGTH,
            end=len(text),
            text=text,
        )
    if text.count("(") > MAX_DEPTH:  # fewer parentheses than the limit cannot nest past it
        _check_nesting(text)  # (parentheses in comments are skipped: an empty formula passes)
    if not text.strip() or ("/*" in text and _only_comments(text)):
        raise FormulaSyntaxError("formula is empty", start=0, end=max(1, len(text)), text=text)
    try:
        tree = grammar().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    _check_tree_size(text, tree)
    return _Builder(text).build(tree)


def _only_comments(text: str) -> bool:
    return not _COMMENTS_AND_SPACE.sub("", text)


def _check_nesting(text: str) -> None:
    """Refuse deeply nested parentheses before the parser sees them."""
    depth = 0
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "\"'":
            i += 1
            while i < n and text[i] != ch:
                i += 2 if text[i] == "\\" else 1
        elif ch == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end == -1 else end + 1
        elif ch == "(":
            depth += 1
            if depth > MAX_DEPTH:
                raise FormulaLimitError(
                    f"parentheses nest more than {MAX_DEPTH} deep",
                    hint="simplify the formula, e.g. with CASE or IFS instead of nested IFs",
                    start=i,
                    end=i + 1,
                    text=text,
                )
        elif ch == ")":
            depth -= 1
        i += 1


def _check_tree_size(text: str, tree: Tree) -> None:
    """Refuse trees too deep or too large, iteratively (no recursion on hostile input)."""
    nodes = 0
    stack: list[tuple[Tree | Token, int]] = [(tree, 1)]
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH:
            start = getattr(item, "start_pos", None)
            if start is None and isinstance(item, Tree):
                start = getattr(item.meta, "start_pos", 0)
            raise FormulaLimitError(
                f"formula nests more than {MAX_DEPTH} levels deep",
                hint="simplify the formula or split it into several formula fields",
                start=start or 0,
                end=(start or 0) + 1,
                text=text,
            )
        if nodes > MAX_NODES:
            raise FormulaLimitError(
                f"formula has more than {MAX_NODES} parts",
                hint="split it into several formula fields",
                start=0,
                end=len(text),
                text=text,
            )
        if isinstance(item, Tree):
            stack.extend((child, depth + 1) for child in item.children if child is not None)


def _describe_token(token: Token) -> str:
    if token.type == "$END":
        return "end of formula"
    return repr(str(token))


def _expected(names) -> str:
    described = sorted({_TERMINAL_NAMES.get(name, name) for name in names})
    if not described:
        return ""
    if len(described) > 6:
        return ""
    return "; expected " + (" or ".join(described))


def _syntax_error(text: str, exc: UnexpectedInput) -> FormulaSyntaxError:
    """Our own error for a Lark error: message, position and a hint."""
    hint = None
    if isinstance(exc, UnexpectedCharacters):
        start = exc.pos_in_stream
        ch = text[start] if start < len(text) else ""
        if ch in "\"'":
            message, hint = "unterminated string", f"close the string with {ch}"
        elif text.startswith("/*", start):
            message, hint = "unterminated comment", "close the comment with */"
        elif ch == "$":
            message, hint = "invalid global name", "globals look like $User.id or $Today"
        else:
            message = f"unexpected character {ch!r}"
            if ch == "[" or ch == "{":
                hint = "only ( ) group expressions"
            elif ch == ";":
                hint = "separate function arguments with ','"
        return FormulaSyntaxError(message, hint=hint, start=start, end=start + 1, text=text)
    if isinstance(exc, UnexpectedEOF):
        start = len(text)
        return FormulaSyntaxError(
            "formula ends too early",
            hint="check for a missing ')' or a missing operand",
            start=start,
            end=start,
            text=text,
        )
    assert isinstance(exc, UnexpectedToken)
    token = exc.token
    expected = set(exc.expected or ())
    if token.type == "$END":
        start = len(text)
        missing = "')'" if "RPAR" in expected else "an operand"
        return FormulaSyntaxError(
            "formula ends too early",
            hint=f"add {missing}",
            start=start,
            end=start,
            text=text,
        )
    start = token.start_pos if token.start_pos is not None else 0
    end = token.end_pos if token.end_pos is not None else start + 1
    if token.type == "STAR" and text.startswith("/*", start - 1):
        return FormulaSyntaxError(
            "unterminated comment", hint="close the comment with */", start=start - 1, end=start + 1, text=text
        )
    message = f"unexpected {_describe_token(token)}{_expected(expected)}"
    if token.type == "COMPARE" and "COMPARE" not in expected:
        hint = "comparisons cannot be chained; write AND(a < b, b < c)"
    elif token.type == "DOT":
        hint = "'.' only joins field names in a path such as owner.name; values have no attributes"
    elif token.type == "RPAR" and "RPAR" not in expected:
        hint = "unbalanced parentheses"
    elif token.type == "LPAR":
        hint = "only function names can be called"
    elif token.type in ("NAME", "NUMBER", "STRING") and "RPAR" in expected:
        hint = "a ',' or an operator is missing"
    elif token.type == "COMPARE" and str(token) == "=" and "COMPARE" in expected:
        hint = None
    return FormulaSyntaxError(message, hint=hint, start=start, end=end, text=text)


class _Builder:
    """Lark tree → dataclass nodes (recursion is bounded by the depth check)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def span(self, item: Tree | Token) -> Span:
        if isinstance(item, Token):
            return Span(item.start_pos, item.end_pos, item.line, item.column)
        meta = item.meta
        return Span(meta.start_pos, meta.end_pos, meta.line, meta.column)

    def build(self, item: Tree | Token) -> Node:
        if isinstance(item, Token):  # pragma: no cover - the grammar wraps every token
            raise FormulaSyntaxError(f"unexpected {item!r}", text=self.text)
        handler = getattr(self, "_" + item.data, None)
        if handler is None:  # pragma: no cover - every rule has a handler
            raise FormulaSyntaxError(f"unsupported construct {item.data}", text=self.text)
        return handler(item)

    def _number(self, tree: Tree) -> Node:
        token = tree.children[0]
        return new_literal(self.span(token), "number", self.number(str(token), token.start_pos))

    def number(self, raw: str, start: int) -> Decimal:
        digits = len(raw) - raw.count(".")  # the grammar's numbers are digits and at most one point
        if digits > MAX_NUMBER_DIGITS:
            raise FormulaLimitError(
                f"number has {digits} digits; the limit is {MAX_NUMBER_DIGITS}",
                start=start,
                end=start + len(raw),
                text=self.text,
            )
        return Decimal(raw)

    def _string(self, tree: Tree) -> Node:
        token = tree.children[0]
        return new_literal(self.span(token), "text", self.unescape(str(token), token.start_pos))

    def unescape(self, raw: str, start: int) -> str:
        body = raw[1:-1]
        if "\\" not in body:
            return body
        out: list[str] = []
        i = 0
        while i < len(body):
            ch = body[i]
            if ch != "\\":
                out.append(ch)
                i += 1
                continue
            nxt = body[i + 1]
            at = start + 1 + i
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
            elif nxt == "u":
                digits = body[i + 2 : i + 6]
                if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                    raise FormulaSyntaxError(
                        "bad \\u escape",
                        hint="write \\u followed by four hex digits, e.g. \\u00e9",
                        start=at,
                        end=at + 2 + len(digits),
                        text=self.text,
                    )
                out.append(chr(int(digits, 16)))
                i += 6
            else:
                raise FormulaSyntaxError(
                    f"unknown escape \\{nxt}",
                    hint='known escapes: \\n \\r \\t \\b \\f \\" \\\' \\\\ \\uXXXX',
                    start=at,
                    end=at + 2,
                    text=self.text,
                )
        return "".join(out)

    def _path(self, tree: Tree) -> Node:
        names = tuple(str(tok) for tok in tree.children)
        if len(names) == 1 and names[0].lower() in _KEYWORDS:
            return Literal(self.span(tree), "boolean", _KEYWORDS[names[0].lower()])
        if len(names) == 1 and names[0].lower() == "null":
            return Literal(self.span(tree), "null", None)
        return new_field_ref(self.span(tree), names)

    def _global_ref(self, tree: Tree) -> Node:
        first, *rest = tree.children
        return GlobalRef(self.span(tree), str(first), tuple(str(tok) for tok in rest))

    def _call(self, tree: Tree) -> Node:
        name, arguments = tree.children
        args: tuple[Node, ...] = ()
        if arguments is not None:
            args = tuple(self.build(child) for child in arguments.children)
        return new_call(self.span(tree), str(name).upper(), self.span(name), args)

    def _unary(self, tree: Tree) -> Node:
        op, operand = tree.children
        return Unary(self.span(tree), str(op), self.build(operand))

    def _binary(self, tree: Tree) -> Node:
        left, op, right = tree.children
        symbol = str(op)
        symbol = _SYMBOLS.get(symbol, symbol)
        return new_binary(self.span(tree), symbol, self.build(left), self.build(right))
