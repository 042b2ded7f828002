"""``replay --update``: rewrite failing expectations in place, touching nothing else.

Each value to change is replaced inside the file's text at the exact character span the
YAML reader recorded, so comments, key order, blank lines, indentation and quoting stay as
they were. Only values that exist and differ are rewritten; a new value keeps the old
one's quoting where that is still valid YAML. Pure: text in, text out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from protectcalc.scenarios.yaml_reader import Spot, YamlDocument, plain_scalar

_PLAIN_TEXT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ .,:+\-/()']*")


def updated_text(
    document: YamlDocument, changes: Iterable[tuple[tuple[str | int, ...], Any]]
) -> str:
    """The file's text with the value at each key path replaced by its new value."""
    edits: list[tuple[int, int, str]] = []
    text = document.text
    for key, value in changes:
        spot = document.spots.get(key)
        if spot is None:
            continue
        if spot.kind == "sequence" and not spot.flow and isinstance(value, list):
            end = spot.items_end if spot.items_end is not None else spot.end
            edits.append((spot.start, end, _block_list(value, spot)))
            continue
        if spot.kind != "scalar" and not (spot.kind == "sequence" and isinstance(value, list)):
            continue
        replacement = _flow_list(value) if isinstance(value, list) else _scalar(value, spot)
        if spot.style in ("|", ">"):
            # A block scalar's span ends with its line breaks: keep them as they were.
            original = text[spot.start : spot.end]
            replacement = replacement.rstrip("\n") + original[len(original.rstrip("\r\n")) :]
        if spot.start == spot.end and spot.key_end is not None:
            # An empty value (``escalation:``): write it right after the key's colon.
            colon = text.find(":", spot.key_end)
            if colon < 0:
                continue
            edits.append((colon + 1, colon + 1, " " + replacement))
            continue
        edits.append((spot.start, spot.end, replacement))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _scalar(value: Any, spot: Spot) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    match spot.style:
        case '"':
            return json.dumps(text, ensure_ascii=False)
        case "'":
            return "'" + text.replace("'", "''") + "'"
        case "|" | ">":
            return json.dumps(text, ensure_ascii=False) + "\n"
        case _:
            return text if _plain_ok(text) else json.dumps(text, ensure_ascii=False)


def _plain_ok(text: str, *, in_flow: bool = False) -> bool:
    """True when the text can be written unquoted and reads back as the same text."""
    if not _PLAIN_TEXT.fullmatch(text) or text.endswith((" ", ":")) or ": " in text:
        return False
    if in_flow and "," in text:
        return False
    read_back = plain_scalar(text)
    return isinstance(read_back, str) and read_back == text


def _flow_list(items: list[Any]) -> str:
    shown = [
        str(item) if _plain_ok(str(item), in_flow=True) else json.dumps(str(item)) for item in items
    ]
    return "[" + ", ".join(shown) + "]"


def _block_list(items: list[Any], spot: Spot) -> str:
    if not items:
        return "[]"
    indent = "\n" + " " * (spot.column - 1)
    return indent.join(
        "- " + (str(item) if _plain_ok(str(item)) else json.dumps(str(item))) for item in items
    )
