"""The usual shape of an order or scenario file, read line by line without a YAML parser.

Nearly every file is a block mapping of ``key: value`` lines: plain or quoted values, flow
lists such as ``[30, 20]``, nested mappings, a folded or literal description, comments.
Such a file is read here with one regular expression per line, several times faster than
building it from libyaml's events. Anything else (a block list, an anchor, a tag, a tab, a
duplicate key, an empty value, uneven indentation, a character YAML does not print, ...)
gives None, and the YAML reader reads the file as before, with every error message and
place. For what this module accepts it gives exactly the data the YAML reader gives
(``tests/test_yaml_parsers_agree.py`` compares it with the pure YAML 1.2 parser), and the
scalars are typed by the same YAML 1.2 rules (:func:`yaml_reader.plain_scalar`).
"""

from __future__ import annotations

import re
from typing import Any

_UNUSUAL_CHARACTER = re.compile(
    "[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029\ufeff]"
)
"""Tabs, carriage returns, control characters and what YAML 1.1 and 1.2 break lines on."""

_PLAIN_FIRST = r"""(?:[^\s\-?:,\[\]{}#&*!|>'"%@`]|-(?=[^\s\[\]{},#]))"""
"""A plain scalar's first character: no indicator (``-`` only before a word, as in ``-7``)."""
_PLAIN_NEXT = r"(?:[^\s:\[\]{}]|:(?=[^\s\[\]{}]))"
"""A later character of a word: ``:`` only inside it (``12:30``), never ``: `` or at its end."""
_PLAIN_WORD_START = r"(?:[^\s#:\[\]{}]|:(?=[^\s\[\]{}]))"
"""The first character of a later word: ``#`` after a space starts a comment."""
_PLAIN = rf"{_PLAIN_FIRST}{_PLAIN_NEXT}*(?: +{_PLAIN_WORD_START}{_PLAIN_NEXT}*)*"

_ITEM = r"""(?:[^\s\-?:,\[\]{}#&*!|>'"%@`])(?:[^\s:,\[\]{}#'"]|:(?=[^\s:,\[\]{}#'"]))*"""
"""One item of a flow list: a single word without quotes, ``#`` or flow indicators."""
_FLOW = rf" *(?:{_ITEM} *(?:, *{_ITEM} *)*)?"
_KEY = r"[A-Za-z_][A-Za-z0-9_]*"
_FLOW_PAIRS = rf" *(?:{_KEY}: +{_ITEM} *(?:, *{_KEY}: +{_ITEM} *)*)?"

_ENTRY = re.compile(
    rf"(?P<indent> *)(?P<key>{_KEY}):"
    rf"(?: +(?:(?P<plain>{_PLAIN})|\"(?P<double>[^\"\\]*)\"|'(?P<single>[^']*)'"
    rf"|\[(?P<flow>{_FLOW})\]|\{{(?P<pairs>{_FLOW_PAIRS})\}}|(?P<block>[|>]-?)))?"
    r"(?: +#.*| *)"
)
"""One ``key: value`` line; the value's group says its kind (none: an empty value)."""

_MAX_DEPTH = 8
"""Deeper files are left to the YAML reader (which refuses beyond its ``MAX_DEPTH``, 12)."""

_TYPED = re.compile(
    r"(?P<null>~|null|Null|NULL|)"
    r"|(?P<true>true|True|TRUE)"
    r"|(?P<false>false|False|FALSE)"
    r"|(?P<int>[-+]?[0-9]{1,18})"
    r"|(?P<based>0o[0-7]{1,18}|0x[0-9a-fA-F]{1,15})"
    r"|(?P<float>[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))"
)
"""The YAML 1.2 core schema's null, bool, int and float, tried in that order."""

_MAYBE_TYPED = frozenset("~nNtTfF0123456789+-.")
"""The first characters of the texts :data:`_TYPED` can match (and the empty text)."""


def plain_scalar(text: str) -> Any:
    """A plain scalar by the YAML 1.2 core schema; dates and times stay text."""
    if text and text[0] not in _MAYBE_TYPED:
        return text  # a word: most values, decided without a regular expression
    typed = _TYPED.fullmatch(text)
    if typed is None:
        return text
    kind = typed.lastgroup
    if kind == "null":
        return None
    if kind == "true" or kind == "false":
        return kind == "true"
    if kind == "int":
        return int(text)
    if kind == "based":
        return int(text, 0)
    return float(text.lower().replace(".inf", "inf").replace(".nan", "nan"))


def read_common(text: str) -> dict[str, Any] | None:
    """The file's top-level mapping when it has the usual shape, else None (read it as YAML)."""
    if _UNUSUAL_CHARACTER.search(text):
        return None
    root: dict[str, Any] = {}
    open_mappings: list[tuple[int, dict[str, Any]]] = [(0, root)]
    waiting: tuple[int, dict[str, Any], str] | None = None
    """A key with nothing after its colon: the next line must open its nested mapping."""
    lines = text.split("\n")
    count = len(lines)
    index = 0
    while index < count:
        line = lines[index]
        index += 1
        bare = line.lstrip(" ")
        if not bare or bare[0] == "#":
            continue
        entry = _ENTRY.fullmatch(line)
        if entry is None:
            return None
        indent = entry.end("indent")
        if waiting is not None:
            outer_indent, outer, outer_key = waiting
            if indent <= outer_indent or len(open_mappings) >= _MAX_DEPTH:
                return None
            nested: dict[str, Any] = {}
            outer[outer_key] = nested
            open_mappings.append((indent, nested))
            waiting = None
        else:
            while open_mappings[-1][0] > indent:
                open_mappings.pop()
            if open_mappings[-1][0] != indent:
                return None
        mapping = open_mappings[-1][1]
        key = entry["key"]
        if key in mapping:
            return None
        kind = entry.lastgroup
        if kind == "plain":
            mapping[key] = plain_scalar(entry["plain"])
        elif kind == "double" or kind == "single":
            mapping[key] = entry[kind]
        elif kind == "flow":
            items = entry["flow"].split(",")
            if len(items) == 1 and not items[0].strip(" "):
                mapping[key] = []
            else:
                mapping[key] = [plain_scalar(item.strip(" ")) for item in items]
        elif kind == "pairs":
            pairs = _flow_pairs(entry["pairs"])
            if pairs is None:
                return None
            mapping[key] = pairs
        elif kind == "block":
            block = _block_scalar(lines, index, indent, entry["block"])
            if block is None:
                return None
            mapping[key], index = block
        else:
            waiting = (indent, mapping, key)
    if waiting is not None or not root:
        return None
    return root


def _flow_pairs(text: str) -> dict[str, Any] | None:
    """``{a: b, c: 1}`` as a mapping (its inside, checked by the line's pattern); None for a
    key given twice."""
    pairs: dict[str, Any] = {}
    if not text.strip(" "):
        return pairs
    for pair in text.split(","):
        key, _, value = pair.partition(":")
        key = key.strip(" ")
        if key in pairs:
            return None
        pairs[key] = plain_scalar(value.strip(" "))
    return pairs


def _block_scalar(lines: list[str], index: int, indent: int, header: str) -> tuple[str, int] | None:
    """A ``|``/``>`` scalar (clipped or ``-`` stripped) whose lines all start in one column.

    Returns its text and the index of the line after it; None for anything less plain: a
    more-indented or blank line inside, a line of spaces, no line break after the last line.
    """
    first = lines[index] if index < len(lines) else ""
    column = len(first) - len(first.lstrip(" "))
    if column <= indent or column == len(first):
        return None
    margin = " " * column
    body = [first[column:]]
    index += 1
    blank_seen = False
    while index < len(lines):
        line = lines[index]
        if line.startswith(margin):
            rest = line[column:]
            if blank_seen or not rest or rest[0] == " ":
                return None
            body.append(rest)
        elif not line:
            blank_seen = True
        elif not line.strip(" "):
            return None
        else:
            break
        index += 1
    else:
        if not blank_seen:
            return None  # the last line has no line break: clipping would keep none
    text = (" " if header[0] == ">" else "\n").join(body)
    return (text if header.endswith("-") else text + "\n"), index
