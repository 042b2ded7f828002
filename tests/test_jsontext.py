"""The fast indented JSON writer against ``json.dumps(indent=2, ensure_ascii=False)``."""

from __future__ import annotations

import json
from enum import IntEnum, StrEnum
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from protectcalc.render.jsontext import dumps_indented


class Colour(StrEnum):
    RED = "red"


class Size(IntEnum):
    BIG = 3


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.sampled_from([Colour.RED, Size.BIG])
)
KEYS = st.text() | st.integers() | st.sampled_from([Colour.RED, True, None])
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(KEYS, inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(DOCUMENTS)
def test_the_same_text_as_json_dumps(document: Any) -> None:
    assert dumps_indented(document) == json.dumps(document, indent=2, ensure_ascii=False)


def test_a_timeline_document() -> None:
    document = {
        "schema": 1,
        "milestones": [{"id": "paid", "at": "2026-03-01T10:00+03:00", "note": None}],
        "empty": {},
        "none": [],
        "text": '«Доставка» \u2028 "quoted" \\ tab\t',
        "ratio": 1.5,
    }
    assert dumps_indented(document) == json.dumps(document, indent=2, ensure_ascii=False)
