"""``replay --update``: rewrite failing expectations in place, touching nothing else.

Each value to change is replaced inside the file's text at the exact character span the
YAML reader recorded, so comments, key order, blank lines, indentation and quoting stay as
they were. Only values that exist and differ are rewritten; a new value keeps the old
one's quoting (and its tag, such as ``!!str``) where that is still valid YAML; in a block
list, an item that stays keeps its comments. Pure: text in, text out.
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
            edits.append(_block_list_edit(document, key, spot, value))
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
        start = spot.start
        if text.startswith("!", start):
            # A tag such as ``!!str`` stays: only the value after it is replaced.
            token_end = start
            while token_end < spot.end and not text[token_end].isspace():
                token_end += 1
            start = token_end
            while start < spot.end and text[start] in " \t":
                start += 1
        edits.append((start, spot.end, replacement))
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


def _block_list_edit(
    document: YamlDocument, key: tuple[str | int, ...], spot: Spot, items: list[Any]
) -> tuple[int, int, str]:
    """A block list rewritten item by item: an item that stays keeps its own line, with
    its comment and the comment lines above it; a new item gets a fresh line.

    The span runs to the end of the last item's line, so the last item's comment goes (or
    stays) with it instead of landing on whatever item comes last now.
    """
    text = document.text
    old = _value_at(document.data, key)
    item_spots = [document.spots.get((*key, index)) for index in range(len(old))]
    if not items or not old or any(item is None for item in item_spots):
        end = spot.items_end if spot.items_end is not None else spot.end
        return spot.start, end, _block_list(items, spot)
    newline = "\r\n" if "\r\n" in text else "\n"
    segments: list[tuple[str, list[str]]] = []
    begin = spot.start
    line_end = spot.start
    for value, item_spot in zip(old, item_spots, strict=True):
        assert item_spot is not None
        line_end = _line_end(text, item_spot.end)
        own = [line.strip() for line in text[begin:line_end].splitlines()]
        segments.append((str(value).strip(), own))
        begin = line_end + (2 if text.startswith("\r\n", line_end) else 1)
    lines: list[str] = []
    for item in items:
        wanted = str(item)
        match = next((index for index, seg in enumerate(segments) if seg[0] == wanted), None)
        if match is not None:
            lines.extend(segments.pop(match)[1])
        else:
            lines.append("- " + (wanted if _plain_ok(wanted) else json.dumps(wanted)))
    while lines and not lines[0]:
        lines.pop(0)
    indent = " " * (spot.column - 1)
    joined = lines[0] + "".join(newline + (indent + line if line else "") for line in lines[1:])
    return spot.start, line_end, joined


def _line_end(text: str, position: int) -> int:
    """Where the line holding ``position`` ends (before its line break)."""
    found = text.find("\n", position)
    if found < 0:
        return len(text)
    return found - 1 if found > position and text[found - 1] == "\r" else found


def _value_at(data: Any, key: tuple[str | int, ...]) -> list[Any]:
    node = data
    for part in key:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return []
    return node if isinstance(node, list) else []


def _block_list(items: list[Any], spot: Spot) -> str:
    if not items:
        return "[]"
    indent = "\n" + " " * (spot.column - 1)
    return indent.join(
        "- " + (str(item) if _plain_ok(str(item)) else json.dumps(str(item))) for item in items
    )
