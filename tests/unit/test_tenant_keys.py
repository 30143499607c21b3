import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.identifiers import new_id
from chalicelib.store.contract import InvalidCursor
from chalicelib.store.cursors import decode_cursor, encode_cursor
from chalicelib.store.repository import tenant_partition


def test_tenant_partitions_start_with_the_tenant() -> None:
    tenant = new_id("ten")
    assert tenant_partition(tenant, "SITE") == f"T#{tenant}#SITE"


@pytest.mark.parametrize("tenant", ["", "ten_x", "ten_01m7yaf008s1hc1czej30144q5#SITE", "T#other", "../x"])
def test_a_repository_refuses_anything_but_a_real_tenant_id(tenant: str) -> None:
    with pytest.raises(ValueError):
        tenant_partition(tenant, "SITE")


def test_a_kind_cannot_smuggle_a_key_separator() -> None:
    with pytest.raises(ValueError):
        tenant_partition(new_id("ten"), "SITE#x")


@given(st.lists(st.text(min_size=1, max_size=100).filter(str.isprintable), min_size=1, max_size=3))
def test_cursors_round_trip(parts: list[str]) -> None:
    assert decode_cursor(encode_cursor(parts), len(parts)) == parts


LONE_SURROGATE = base64.urlsafe_b64encode(b'["\\ud800"]').decode().rstrip("=")


@pytest.mark.parametrize("token", ["!!!", "bm90IGpzb24", encode_cursor(["a", "b"]), "W10", "WzFd",
                                   encode_cursor(["x" * 401]), encode_cursor(["a\nb"]), LONE_SURROGATE])
def test_a_forged_cursor_is_refused(token: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(token, 1)
