import time

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.identifiers import new_id
from chalicelib.store.repository import TENANT_ID_PATTERN
from chalicelib.tenancy.slugs import RESERVED, SLUG_PATTERN, slug_base, slug_candidates


def test_ids_carry_their_prefix_and_sort_by_creation_time() -> None:
    first = new_id("site")
    time.sleep(0.002)
    second = new_id("site")
    assert first.startswith("site_") and len(first) == len("site_") + 26
    assert first < second


def test_tenant_ids_match_the_pattern_repositories_accept() -> None:
    assert TENANT_ID_PATTERN.match(new_id("ten"))


def test_slug_is_the_name_made_url_safe() -> None:
    assert slug_base("Volt Parking BV") == "volt-parking-bv"
    assert slug_base("  Énergie Café — Zürich ") == "energie-cafe-zurich"


def test_slug_of_an_unusable_name_still_works() -> None:
    assert slug_base("電気") == "cpo"
    assert slug_base("A") == "a-cpo"
    assert slug_base("Pay") == "pay-cpo"


@given(st.text(max_size=200))
def test_every_slug_is_url_safe_and_not_reserved(name: str) -> None:
    candidates = slug_candidates(name)
    for _ in range(3):
        slug = next(candidates)
        assert SLUG_PATTERN.match(slug), slug
        assert slug not in RESERVED


def test_later_slug_candidates_differ_from_the_first() -> None:
    candidates = slug_candidates("Volt")
    first = next(candidates)
    assert first == "volt"
    assert next(candidates).startswith("volt-")
