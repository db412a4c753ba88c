"""What a word is: Latin words by prefix, CJK runs as overlapping pairs, optional pinyin."""

from __future__ import annotations

import pytest

from runtime.search import terms as t


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ACME Trading, Ltd.", ["acme", "trading", "ltd"]),
        ("北京", ["北京"]),
        ("北京市", ["北京", "京市"]),
        ("华", ["华"]),
        ("华为P50 手机", ["华为", "p50", "手机"]),
        ("e-mail: li.na@example.com", ["e", "mail", "li", "na", "example", "com"]),
        ("", []),
        (None, []),
    ],
)
def test_terms(text, expected, monkeypatch):
    monkeypatch.setattr(t, "lazy_pinyin", None)
    assert t.terms(text) == expected


@pytest.mark.parametrize(
    ("query", "prefixes", "phrases"),
    [
        ("acme trad", ("acme", "trad"), ()),
        ("北京", (), (("北京",),)),
        ("中关村", (), (("中关", "关村"),)),
        ("京 acme", ("京", "acme"), ()),
        ("  ,;  ", (), ()),
    ],
)
def test_queries(query, prefixes, phrases):
    parsed = t.parse_query(query)
    assert (parsed.prefixes, parsed.phrases) == (prefixes, phrases)


@pytest.mark.parametrize(
    ("query", "values", "found"),
    [
        ("北京", ["北京中关村科技"], True),
        ("中关村", ["北京中关村科技"], True),
        ("中村", ["北京中关村科技"], False),  # not consecutive characters
        ("acm", ["ACME Trading"], True),
        ("cme", ["ACME Trading"], False),  # a word's prefix, not any part of it
        ("acme ltd", ["ACME Trading", "Ltd"], True),
        ("acme gmbh", ["ACME Trading"], False),
    ],
)
def test_matching_in_python_agrees_with_the_index(query, values, found, monkeypatch):
    monkeypatch.setattr(t, "lazy_pinyin", None)
    assert t.parse_query(query).matches(values) is found


def test_pinyin_terms_when_pypinyin_is_installed():
    pytest.importorskip("pypinyin")
    assert t.terms("华为") == ["华为", "huawei", "hw"]
    assert t.parse_query("hw").matches(["华为技术"])
