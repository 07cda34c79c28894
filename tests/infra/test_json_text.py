"""JSON text written by orjson reads back as the standard library's does, for every value the
standard library writes: big integers, non-string keys and datetimes (through `default`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.json_text import dumps_bytes

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**256)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=5)
    ),
    max_leaves=30,
)


@given(values)
def test_reads_back_as_the_standard_library_writes(value: Any) -> None:
    assert json.loads(dumps_bytes(value)) == json.loads(json.dumps(value))


def test_integers_past_64_bits_are_exact() -> None:
    token_id = 2**255 + 12345
    assert dumps_bytes({"token_id": token_id}) == b'{"token_id":%d}' % token_id


def test_datetimes_go_to_default_and_others_are_refused() -> None:
    moment = datetime(2026, 12, 7, 6, 30, tzinfo=UTC)
    assert dumps_bytes({"at": moment}, lambda v: "Z" + v.isoformat()) == (
        b'{"at":"Z2026-12-07T06:30:00+00:00"}'
    )
    with pytest.raises(TypeError):
        dumps_bytes({"at": moment})
    with pytest.raises(TypeError):
        dumps_bytes({"at": object()}, lambda v: (_ for _ in ()).throw(TypeError("no")))


def test_writes_utf8_not_escapes() -> None:
    assert dumps_bytes({"name": "Zoë 🎬"}) == '{"name":"Zoë 🎬"}'.encode()
