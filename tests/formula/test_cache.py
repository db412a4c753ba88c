"""The cache of checked formulas: same text and schema version → the same work, done once."""

from __future__ import annotations

import pytest

from formula import CURRENCY, DictResolver, FormulaCache, FormulaError, FormulaSyntaxError, check
from formula.cache import schema_version


class CountingResolver:
    """A resolver with a settable schema version, counting the questions the checker asks."""

    def __init__(self, fields: dict[str, str], version="v1") -> None:
        self.inner = DictResolver({"deal": fields})
        self.schema_version = version
        self.questions = 0

    def field_type(self, object_name, field_name):
        self.questions += 1
        return self.inner.field_type(object_name, field_name)

    def field_names(self, object_name):
        return self.inner.field_names(object_name)

    def global_object(self, name):
        return self.inner.global_object(name)


def test_a_second_check_is_answered_from_the_cache():
    cache = FormulaCache()
    resolver = CountingResolver({"amount": "currency(2)"})
    first = cache.check("amount * 2", resolver, object_name="deal")
    asked = resolver.questions
    second = cache.check("amount * 2", resolver, object_name="deal")
    assert second is first
    assert resolver.questions == asked  # the checker did not run again
    assert (cache.hits, cache.misses) == (1, 1)
    assert first.type == check("amount * 2", resolver, object_name="deal").type


def test_a_new_schema_version_checks_again():
    cache = FormulaCache()
    resolver = CountingResolver({"amount": "currency(2)"})
    assert cache.check("amount", resolver, object_name="deal").type.kind is CURRENCY.kind
    resolver.inner = DictResolver({"deal": {"amount": "text"}})
    resolver.schema_version = "v2"
    assert str(cache.check("amount", resolver, object_name="deal").type) == "text"


@pytest.mark.parametrize(
    "options",
    [
        {"object_name": "other"},
        {"context": "validation"},
        {"blank_as": "zero"},
        {"expected_type": CURRENCY},
    ],
)
def test_every_option_is_part_of_the_key(options):
    cache = FormulaCache()
    resolver = CountingResolver({"amount": "currency(2)"})
    plain = cache.check("amount > 0", resolver, object_name="deal")
    try:
        other = cache.check("amount > 0", resolver, **{"object_name": "deal", **options})
    except FormulaError:
        return  # checked again, and refused under the other options: not served from the cache
    assert other is not plain


def test_failures_are_not_kept():
    cache = FormulaCache()
    resolver = CountingResolver({"amount": "currency(2)"})
    with pytest.raises(FormulaSyntaxError) as first:
        cache.check("amount +", resolver, object_name="deal")
    with pytest.raises(FormulaSyntaxError) as second:
        cache.check("amount +", resolver, object_name="deal")
    assert second.value is not first.value
    assert (second.value.line, second.value.column) == (first.value.line, first.value.column) == (1, 9)
    assert len(cache) == 0


def test_a_resolver_without_a_version_is_never_cached():
    cache = FormulaCache()
    resolver = CountingResolver({"amount": "currency(2)"}, version=None)
    assert schema_version(resolver) is None
    first = cache.check("amount", resolver, object_name="deal")
    assert cache.check("amount", resolver, object_name="deal") is not first
    assert len(cache) == 0


def test_dict_resolvers_do_not_share_entries():
    cache = FormulaCache()
    a = DictResolver({"deal": {"amount": "currency(2)"}})
    b = DictResolver({"deal": {"amount": "text"}})
    assert str(cache.check("amount", a, object_name="deal").type) == "currency(2)"
    assert str(cache.check("amount", b, object_name="deal").type) == "text"


def test_least_recently_used_entries_go_first():
    cache = FormulaCache(maxsize=2)
    resolver = CountingResolver({"amount": "currency(2)"})
    one = cache.check("1", resolver)
    cache.check("2", resolver)
    assert cache.check("1", resolver) is one  # "1" is now the most recent
    cache.check("3", resolver)  # evicts "2"
    assert len(cache) == 2
    assert cache.check("1", resolver) is one
    hits = cache.hits
    cache.check("2", resolver)
    assert cache.hits == hits  # "2" had to be checked again


def test_compiled_keeps_the_closure_with_the_checked_formula():
    cache = FormulaCache()
    resolver = CountingResolver({"amount": "currency(2)"})
    checked, run = cache.compiled("amount * 2", resolver, object_name="deal")
    assert run({"amount": 21}) == 42
    again, run_again = cache.compiled("amount * 2", resolver, object_name="deal")
    assert (again, run_again) == (checked, run) and run_again is run
    assert cache.check("amount * 2", resolver, object_name="deal") is checked


def test_maxsize_must_be_positive():
    with pytest.raises(ValueError):
        FormulaCache(maxsize=0)
