"""Indented JSON text, byte for byte as ``json.dumps(data, indent=2, ensure_ascii=False)``.

Why not ``json.dumps`` itself: with ``indent`` set, the standard library encodes through its
pure-Python generator (the C encoder only serves compact output), which was a third of the
time of a whole ``timeline --format json`` computed for many orders. This writes the same
text with string joins and the C string escaper; anything it does not know (a float that is
not finite, a key that is not a string, an object type JSON has no form for) is left to
``json.dumps``, so the text never differs. ``tests/test_jsontext.py`` compares the two.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Any

_INDENT = "  "


class _Unusual(Exception):
    """A value this writer leaves to ``json.dumps`` (which then writes the whole text)."""


def dumps_indented(data: Any) -> str:
    """``data`` as JSON text indented by two spaces, non-ASCII kept (no trailing newline)."""
    try:
        return _value(data, "\n")
    except _Unusual:
        return json.dumps(data, indent=2, ensure_ascii=False)


def _value(value: Any, newline: str) -> str:
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise _Unusual
        return float.__repr__(value)
    if isinstance(value, str):  # a StrEnum: its text, as json.dumps writes it
        return encode_basestring(value)
    if isinstance(value, int):  # an IntEnum: its number
        return int.__repr__(value)
    inner = newline + _INDENT
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise _Unusual
            items.append(encode_basestring(key) + ": " + _value(item, inner))
        return "{" + inner + ("," + inner).join(items) + newline + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        return (
            "[" + inner + ("," + inner).join(_value(item, inner) for item in value) + newline + "]"
        )
    raise _Unusual
