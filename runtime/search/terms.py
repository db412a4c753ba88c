"""Text → index terms, and a search text → what a record must contain.

Latin-script (and any other space-separated) text is indexed as lower-cased words, found by
prefix: ``acme`` finds "ACME Trading". Chinese, Japanese and Korean text has no spaces, so a run
of such characters is indexed as its overlapping character pairs (``北京市`` → 北京, 京市) and
searched as a phrase of the pairs of the query's run: any two or more consecutive characters of a
value find the record, as a ``LIKE '%…%'`` would, and two-character words (华为, 北京) are found
without a dictionary. A single character stands alone as a term (a one-character run) and is
searched as a prefix of a pair.

When ``pypinyin`` is installed, each run also gets its pinyin and pinyin initials as words
(华为 → ``huawei``, ``hw``), so a Latin-keyboard search finds Chinese names: each character's
most common reading, so a word read otherwise in context (重庆, chongqing) gets the common
reading (zhongqing). It is an optional import: without it the index simply has no pinyin terms
(see :data:`PINYIN`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

try:  # optional: pinyin terms for Chinese text
    from pypinyin import Style, lazy_pinyin
except ImportError:  # pragma: no cover - depends on the installation
    lazy_pinyin = None

#: whether pinyin terms are produced (part of the index's signature: a change reindexes)
PINYIN = lazy_pinyin is not None
#: bumped whenever the terms of a text change, so existing indexes are rebuilt
VERSION = 2
#: terms longer than this are cut (PostgreSQL refuses lexemes over 2 kB)
MAX_TERM = 100
#: characters without spaces between words: CJK ideographs, kana, hangul
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002ffff"
_PIECES = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


def _pairs(run: str) -> list[str]:
    return [run] if len(run) == 1 else [run[index : index + 2] for index in range(len(run) - 1)]


@functools.lru_cache(maxsize=32768)
def _reading(character: str) -> str:
    found = lazy_pinyin(character, errors="ignore") if lazy_pinyin is not None else []
    return found[0] if found and found[0].isascii() and found[0].isalpha() else ""


def _pinyin(run: str) -> list[str]:
    # Each character's most common reading, cached: phrase-level readings (重庆 → chongqing, not
    # zhongqing) cost ~35× as much per record and made indexing a million names take minutes.
    if lazy_pinyin is None or not _HAN.search(run):
        return []
    syllables = [reading for character in run if (reading := _reading(character))]
    if not syllables:
        return []
    return ["".join(syllables)[:MAX_TERM], "".join(syllable[0] for syllable in syllables)[:MAX_TERM]]


def terms(text: str | None) -> list[str]:
    """The index terms of ``text``, in sequence (pairs of one run are consecutive, for phrases)."""
    if not text:
        return []
    found: list[str] = []
    for run, word in _PIECES.findall(text.casefold()):
        if run:
            found += _pairs(run)
            found += _pinyin(run)
        else:
            found.append(word[:MAX_TERM])
    return found


@dataclass(frozen=True)
class SearchQuery:
    """What a search text asks for: every word prefix and every phrase of pairs must be present."""

    prefixes: tuple[str, ...]  # Latin words, and lone CJK characters
    phrases: tuple[tuple[str, ...], ...]  # the pairs of each CJK run of two or more characters
    runs: tuple[str, ...]  # those runs as typed (for matching text in Python)

    @property
    def empty(self) -> bool:
        return not self.prefixes and not self.phrases

    def matches(self, texts: Iterable[str | None]) -> bool:
        """Whether the given values (a record's fields) hold everything the query asks for."""
        values = [text.casefold() for text in texts if text]
        words = {term for text in values for term in terms(text)}
        return all(any(word.startswith(prefix) for word in words) for prefix in self.prefixes) and all(
            any(run in text for text in values) for run in self.runs
        )

    def first_position(self, text: str) -> int | None:
        """Where in ``text`` the query's first word or run occurs (for a snippet), or None."""
        folded = text.casefold()
        found = [folded.find(part) for part in (*self.runs, *self.prefixes) if part]
        found = [position for position in found if position >= 0]
        return min(found) if found else None


#: at most this many words and runs in one search (a pasted paragraph is not a search)
MAX_PARTS = 12


def parse_query(text: str) -> SearchQuery:
    """The :class:`SearchQuery` of a search text (empty when it holds no word)."""
    prefixes: list[str] = []
    phrases: list[tuple[str, ...]] = []
    runs: list[str] = []
    for run, word in _PIECES.findall((text or "").casefold())[:MAX_PARTS]:
        if run and len(run) >= 2:
            phrases.append(tuple(_pairs(run[:MAX_TERM])))
            runs.append(run[:MAX_TERM])
        elif run or word:
            prefixes.append((run or word)[:MAX_TERM])
    return SearchQuery(tuple(dict.fromkeys(prefixes)), tuple(dict.fromkeys(phrases)), tuple(dict.fromkeys(runs)))
