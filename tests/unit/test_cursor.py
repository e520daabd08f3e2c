"""Opaque cursors round-trip and reject anything else with a typed error."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meetmind.domain.cursor import decode_cursor, encode_cursor
from meetmind.domain.errors import InvalidInputError


@given(st.integers(min_value=0, max_value=2**62), st.integers(min_value=1, max_value=2**62))
def test_round_trip(start_ms: int, row_id: int) -> None:
    cursor = encode_cursor("transcript", [start_ms, row_id])
    assert decode_cursor("transcript", cursor, "after", (int, int)) == [start_ms, row_id]


def test_a_cursor_of_another_listing_is_refused() -> None:
    cursor = encode_cursor("sessions", ["ses_1"])
    with pytest.raises(InvalidInputError) as info:
        decode_cursor("transcript", cursor, "after", (int, int))
    assert info.value.field == "after"


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "bm90IGpzb24",
        encode_cursor("transcript", ["x", 1]),
        encode_cursor("transcript", [1]),
    ],
)
def test_malformed_cursors_name_the_field(cursor: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        decode_cursor("transcript", cursor, "after", (int, int))
    assert info.value.field == "after"


@given(st.text(max_size=200))
def test_arbitrary_text_only_raises_invalid_input(text: str) -> None:
    with contextlib.suppress(InvalidInputError):
        decode_cursor("transcript", text, "after", (int, int))
