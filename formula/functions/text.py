"""Text functions: BEGINS, CONTAINS, FIND, LEFT, RIGHT, MID, LEN, LOWER, UPPER, INITCAP, LPAD,
RPAD, TRIM, SUBSTITUTE, REVERSE, TEXT, VALUE, ISNUMBER, HYPERLINK, HTMLENCODE, URLENCODE.

Blank text and ``""`` are the same: text arguments that are blank count as ``""``. Lengths and
positions count characters (code points), never bytes. A blank number argument (a count, a
position) makes the result blank.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import quote as _percent_encode

from formula.errors import FormulaEvaluationError
from formula.functions.registry import DATE, DATETIME, NUM, PICK, REF, TEXT, TIME, Function, Overload
from formula.limits import MAX_TEXT_LENGTH
from formula.types import BOOLEAN, TEXT as TEXT_T, number
from formula.values import _NUMBER_TEXT, format_decimal

__all__ = ["FUNCTIONS", "clamp_count", "html_encode"]


def clamp_count(n: Decimal) -> int:
    """A character count or position argument: truncated to an integer and kept in range."""
    return max(-1, min(MAX_TEXT_LENGTH, int(n)))


def _grown(text: str) -> str:
    if len(text) > MAX_TEXT_LENGTH:
        raise FormulaEvaluationError(f"text grows beyond {MAX_TEXT_LENGTH} characters")
    return text


def _begins(t, p):
    return (t or "").startswith(p or "")


def _contains(t, s):
    return (s or "") in (t or "")


def _find(search, t, start=Decimal(1)):
    if start is None:
        return None
    search, t = search or "", t or ""
    begin = clamp_count(start)
    if not search or begin < 1:
        return Decimal(0)
    return Decimal(t.find(search, begin - 1) + 1)


def _left(t, n):
    if n is None:
        return None
    return (t or "")[: max(0, clamp_count(n))]


def _right(t, n):
    if n is None:
        return None
    count = max(0, clamp_count(n))
    return (t or "")[len(t or "") - count :] if count else ""


def _mid(t, start, length):
    if start is None or length is None:
        return None
    begin = max(1, clamp_count(start))
    count = max(0, clamp_count(length))
    return (t or "")[begin - 1 : begin - 1 + count]


def _len(t):
    return Decimal(len(t or ""))


def _initcap(t):
    out = []
    previous_alnum = False
    for ch in t or "":
        out.append(ch.lower() if previous_alnum else ch.upper())
        previous_alnum = ch.isalnum()
    return "".join(out)


_SPACE = object()


def _pad(t, n, pad, left: bool):
    if n is None:
        return None
    t, pad = t or "", " " if pad is _SPACE else (pad or "")
    if int(n) > MAX_TEXT_LENGTH:
        # Clamping would quietly give a shorter text than asked for; say so instead.
        raise FormulaEvaluationError(f"{'LPAD' if left else 'RPAD'} to {int(n)} characters goes beyond the limit of {MAX_TEXT_LENGTH}")
    width = max(0, clamp_count(n))
    if len(t) >= width:
        return t[:width]
    if not pad:
        return t
    fill = (pad * ((width - len(t)) // len(pad) + 1))[: width - len(t)]
    return _grown(fill + t if left else t + fill)


def _lpad(t, n, pad=_SPACE):
    return _pad(t, n, pad, True)


def _rpad(t, n, pad=_SPACE):
    return _pad(t, n, pad, False)


def _trim(t):
    return (t or "").strip(" \t")


def _substitute(t, old, new):
    t, old, new = t or "", old or "", new or ""
    if not old:
        return t
    if new and len(new) > len(old) and (len(new) - len(old)) * t.count(old) + len(t) > MAX_TEXT_LENGTH:
        raise FormulaEvaluationError(f"text grows beyond {MAX_TEXT_LENGTH} characters")
    return t.replace(old, new)


def _reverse(t):
    return (t or "")[::-1]


def _text_number(x):
    return format_decimal(x)


def _text_date(d: dt.date):
    return d.isoformat()


def _text_datetime(t: dt.datetime):
    return t.strftime("%Y-%m-%d %H:%M:%S") + "Z"


def _text_time(t: dt.time):
    return t.strftime("%H:%M:%S")


def _value(t):
    if not t:
        return None
    if not _NUMBER_TEXT.match(t):
        raise FormulaEvaluationError(f"VALUE cannot read {t!r} as a number")
    return Decimal(t.strip(" \t"))


def _isnumber(t):
    return bool(t) and _NUMBER_TEXT.match(t) is not None


_HTML = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#39;"))


def html_encode(t: str | None) -> str:
    """``& < > " '`` replaced by entities (``&`` first)."""
    t = t or ""
    for raw, entity in _HTML:
        t = t.replace(raw, entity)
    return t


def _htmlencode(t):
    # Every encoding multiplies a length (up to 6×), so nesting them could grow text exponentially.
    return _grown(html_encode(_grown(t or "")))


def _urlencode(t):
    return _grown(_percent_encode(_grown(t or ""), safe="-_.~"))


def _hyperlink(url, label, target=None):
    link = f'<a href="{_htmlencode(url)}"'
    if target:
        link += f' target="{_htmlencode(target)}"'
    return _grown(f"{link}>{_htmlencode(label)}</a>")


def _f(name: str, signature: str, doc: str, *overloads: Overload, **kw) -> Function:
    return Function(name, "text", signature, doc, tuple(overloads), **kw)


def _o(key: str, params, result, py, **kw) -> Overload:
    return Overload(key, params, result, py, nulls="pass", **kw)


FUNCTIONS = [
    _f(
        "BEGINS",
        "BEGINS(text, prefix)",
        "Whether ``text`` starts with ``prefix`` (case-sensitive; a blank prefix is always true).",
        _o("BEGINS", (TEXT, TEXT), BOOLEAN, _begins),
    ),
    _f(
        "CONTAINS",
        "CONTAINS(text, part)",
        "Whether ``part`` occurs in ``text`` (case-sensitive; a blank part is always true).",
        _o("CONTAINS", (TEXT, TEXT), BOOLEAN, _contains),
    ),
    _f(
        "FIND",
        "FIND(search, text[, start])",
        "The 1-based position of ``search`` in ``text`` from ``start`` (default 1); 0 when absent or blank.",
        _o("FIND", (TEXT, TEXT), number(0), _find),
        _o("FIND", (TEXT, TEXT, NUM), number(0), _find),
    ),
    _f("LEFT", "LEFT(text, count)", "The first ``count`` characters.", _o("LEFT", (TEXT, NUM), TEXT_T, _left)),
    _f("RIGHT", "RIGHT(text, count)", "The last ``count`` characters.", _o("RIGHT", (TEXT, NUM), TEXT_T, _right)),
    _f(
        "MID",
        "MID(text, start, count)",
        "``count`` characters from the 1-based position ``start``.",
        _o("MID", (TEXT, NUM, NUM), TEXT_T, _mid),
    ),
    _f("LEN", "LEN(text)", "The number of characters (0 for blank).", _o("LEN", (TEXT,), number(0), _len)),
    _f("LOWER", "LOWER(text)", "Lower case.", _o("LOWER", (TEXT,), TEXT_T, lambda t: (t or "").lower())),
    _f("UPPER", "UPPER(text)", "Upper case.", _o("UPPER", (TEXT,), TEXT_T, lambda t: (t or "").upper())),
    _f(
        "INITCAP",
        "INITCAP(text)",
        "Each word capitalised: the first letter after a non-alphanumeric character upper, the rest lower.",
        _o("INITCAP", (TEXT,), TEXT_T, _initcap),
    ),
    _f(
        "LPAD",
        "LPAD(text, length[, pad])",
        "``text`` padded on the left with ``pad`` (default a space) to ``length``, or cut to it.",
        _o("LPAD", (TEXT, NUM), TEXT_T, _lpad),
        _o("LPAD", (TEXT, NUM, TEXT), TEXT_T, _lpad),
    ),
    _f(
        "RPAD",
        "RPAD(text, length[, pad])",
        "``text`` padded on the right with ``pad`` (default a space) to ``length``, or cut to it.",
        _o("RPAD", (TEXT, NUM), TEXT_T, _rpad),
        _o("RPAD", (TEXT, NUM, TEXT), TEXT_T, _rpad),
    ),
    _f("TRIM", "TRIM(text)", "``text`` without leading and trailing spaces and tabs.", _o("TRIM", (TEXT,), TEXT_T, _trim)),
    _f(
        "SUBSTITUTE",
        "SUBSTITUTE(text, old, new)",
        "Every ``old`` in ``text`` replaced by ``new``.",
        _o("SUBSTITUTE", (TEXT, TEXT, TEXT), TEXT_T, _substitute),
    ),
    _f("REVERSE", "REVERSE(text)", "The characters in reverse.", _o("REVERSE", (TEXT,), TEXT_T, _reverse)),
    _f(
        "TEXT",
        "TEXT(value)",
        "A number, date, datetime, time, picklist or id as text: numbers without trailing zeros "
        "(``1.5``), dates ``YYYY-MM-DD``, datetimes ``YYYY-MM-DD HH:MM:SSZ`` (UTC), times ``HH:MM:SS``.",
        Overload("TEXT_NUMBER", (NUM,), TEXT_T, _text_number),
        Overload("TEXT_DATE", (DATE,), TEXT_T, _text_date),
        Overload("TEXT_DATETIME", (DATETIME,), TEXT_T, _text_datetime),
        Overload("TEXT_TIME", (TIME,), TEXT_T, _text_time),
        Overload("TEXT_IDENTITY", (PICK,), TEXT_T, lambda t: t),
        Overload("TEXT_IDENTITY", (TEXT,), TEXT_T, lambda t: t),
        Overload("TEXT_REFERENCE", (REF,), TEXT_T, str),
    ),
    _f(
        "VALUE",
        "VALUE(text)",
        "The number written in ``text`` (digits, optional sign and decimals); other text is an error.",
        Overload("VALUE", (TEXT,), number(), _value),
    ),
    _f(
        "ISNUMBER",
        "ISNUMBER(text)",
        "Whether VALUE(text) would succeed.",
        _o("ISNUMBER", (TEXT,), BOOLEAN, _isnumber),
    ),
    _f(
        "HYPERLINK",
        "HYPERLINK(url, label[, target])",
        "An HTML link; url, label and target are HTML-encoded.",
        _o("HYPERLINK", (TEXT, TEXT), TEXT_T, _hyperlink),
        _o("HYPERLINK", (TEXT, TEXT, TEXT), TEXT_T, _hyperlink),
    ),
    _f(
        "HTMLENCODE",
        "HTMLENCODE(text)",
        "``& < > \" '`` replaced by HTML entities.",
        _o("HTMLENCODE", (TEXT,), TEXT_T, _htmlencode),
    ),
    _f(
        "URLENCODE",
        "URLENCODE(text)",
        "Percent-encoding of the UTF-8 bytes, keeping ``A-Z a-z 0-9 - _ . ~``.",
        _o("URLENCODE", (TEXT,), TEXT_T, _urlencode),
    ),
]

