"""Scenario and order files as plain data: YAML 1.2, read safely, every value with its place.

ruamel.yaml only scans and composes the text into nodes (no Python object is ever built
from a tag); this module turns the nodes into dicts, lists and scalars itself, with the
YAML 1.2 core schema, so ``NO``, ``no``, ``on`` and ``12:30`` stay text and dates stay text
(``2026-02-30`` is then refused by the strict date parser with its line, not by the YAML
reader). Anchors, aliases and tags are refused, which makes an alias bomb harmless; files
are capped in size and depth. Every value keeps its line, column and character span so that
errors can point at it and ``replay --update`` can rewrite it in place.
"""

from __future__ import annotations

import codecs
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_FILE_BYTES = 256 * 1024
"""Scenario files are a few hundred bytes; anything this large is a mistake or an attack."""

MAX_DEPTH = 12
"""The format nests four levels deep; deeper input is refused before it can recurse far."""

KeyPath = tuple[str | int, ...]
"""Where a value sits in a file: ``("order", "confirmed")``, ``("dispute", "opened")``."""

_STANDARD_TAGS = frozenset(
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)
_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]{1,18}")
_INT_OTHER_BASE = re.compile(r"0o[0-7]{1,18}|0x[0-9a-fA-F]{1,15}")
_FLOAT = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)


def show_path(path: KeyPath) -> str:
    """A key path as people write it: ``dispute.buyer_responses[1]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


@dataclass(frozen=True)
class Spot:
    """Where one value of the file is: 1-based line and column, and its character span."""

    line: int
    column: int
    start: int
    end: int
    style: str | None = None
    """The scalar style: None (plain), ``'``, ``"``, ``|`` or ``>``."""
    kind: str = "scalar"
    """``scalar``, ``mapping`` or ``sequence``."""
    flow: bool = False
    """True for ``[a, b]`` / ``{a: b}``, False for block style."""
    key_line: int | None = None
    key_column: int | None = None
    key_end: int | None = None
    """Where the key before this value ends (an empty value's span is not reliable)."""
    items_end: int | None = None
    """For a sequence: the end of its last item (a block sequence's own end runs on)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, with its place when known."""

    message: str
    key: KeyPath = ()
    line: int | None = None
    column: int | None = None
    value: object = None
    """The offending value as written, shown after the key; None to show none."""

    def describe(self, path: str) -> str:
        """``scenarios/x.yaml:7:14: order.confirmed 2026-02-30: is not a real date``."""
        where = path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        label = _one_line(show_path(self.key))
        if self.value is not None and label:
            label += f" {_one_line(str(self.value))}"
        message = _one_line(self.message)
        return f"{where}: {label}: {message}" if label else f"{where}: {message}"


def _one_line(text: str) -> str:
    """Text as it may appear in a one-line message: control characters escaped."""
    return text if text.isprintable() else repr(text)[1:-1]


class FileProblems(ValueError):
    """A scenario or order file that cannot be read, parsed or validated."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = tuple(problems)
        super().__init__(self.lines()[0] if problems else path)

    def lines(self) -> list[str]:
        """One line per problem, each naming the file and the place."""
        return [problem.describe(self.path) for problem in self.problems]


@dataclass(frozen=True)
class YamlDocument:
    """A file's top-level mapping as plain data, with the place of every value and key."""

    data: dict[str, Any]
    spots: dict[KeyPath, Spot]
    text: str
    bom: bool = False
    problems: tuple[Problem, ...] = ()
    """Problems that do not stop validation (a duplicate key): reported with its errors."""

    def place(self, path: KeyPath, *, key: bool = False) -> tuple[int | None, int | None]:
        """Line and column of the value at ``path`` (or of its key), or of its nearest parent."""
        for depth in range(len(path), -1, -1):
            spot = self.spots.get(path[:depth])
            if spot is None:
                continue
            if key and depth == len(path) and spot.key_line is not None:
                return spot.key_line, spot.key_column
            return spot.line, spot.column
        return None, None

    def problem(
        self, path: KeyPath, message: str, *, key: bool = False, value: object = None
    ) -> Problem:
        """A problem placed at the value (or the key) ``path`` names."""
        line, column = self.place(path, key=key)
        return Problem(message, path, line, column, value)


def read_file_text(path: Path, shown: str) -> tuple[str, bool]:
    """The file's text and whether it began with a UTF-8 byte-order mark."""
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise FileProblems(shown, [Problem("no such file")]) from None
    except IsADirectoryError:
        raise FileProblems(shown, [Problem("is a folder, not a YAML file")]) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise FileProblems(shown, [Problem(f"cannot be read ({reason})")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise FileProblems(
            shown,
            [Problem(f"is larger than {MAX_FILE_BYTES // 1024} KiB: not a scenario or order file")],
        )
    return decode(raw, shown)


def decode(raw: bytes, shown: str) -> tuple[str, bool]:
    """UTF-8 text (a byte-order mark is accepted and remembered); anything else is refused."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE)):
        raise FileProblems(shown, [Problem("is UTF-16 or UTF-32 text: save it as UTF-8")])
    bom = raw.startswith(codecs.BOM_UTF8)
    body = raw[len(codecs.BOM_UTF8) :] if bom else raw
    try:
        return body.decode("utf-8"), bom
    except UnicodeDecodeError as error:
        line = body.count(b"\n", 0, error.start) + 1
        column = error.start - (body.rfind(b"\n", 0, error.start) + 1) + 1
        byte = body[error.start]
        raise FileProblems(
            shown,
            [Problem(f"is not UTF-8 text (byte 0x{byte:02x}): save it as UTF-8", (), line, column)],
        ) from None


def parse_yaml(text: str, shown: str, bom: bool = False) -> YamlDocument:
    """Parse one YAML document whose top level is a mapping; refuse everything unsafe."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if not text.strip():
        raise FileProblems(shown, [Problem("is empty: expected name, order and expect keys")])
    reader = YAML(typ="safe", pure=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            root = reader.compose(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = " ".join(str(part) for part in (error.context, error.problem) if part)
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        raise FileProblems(
            shown, [Problem(f"is not valid YAML: {problem or 'syntax error'}", (), line, column)]
        ) from None
    except YAMLError as error:
        detail = str(error).splitlines()[0] if str(error) else "syntax error"
        raise FileProblems(shown, [Problem(f"is not valid YAML: {detail}")]) from None
    except RecursionError:
        raise FileProblems(shown, [Problem("is nested too deeply to be a scenario file")]) from None
    if root is None:
        raise FileProblems(shown, [Problem("is empty: expected name, order and expect keys")])
    builder = _Builder(shown)
    data = builder.value(root, (), 0)
    if builder.fatal:
        raise FileProblems(shown, builder.fatal + builder.soft)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        raise FileProblems(
            shown,
            [
                Problem(
                    f"expected a mapping of keys (name, order, expect, ...), found {kind}", (), 1, 1
                )
            ],
        )
    return YamlDocument(data, builder.spots, text, bom, tuple(builder.soft))


def read_yaml(path: Path, shown: str | None = None) -> YamlDocument:
    """Read and parse a scenario or order file (see :func:`parse_yaml`)."""
    label = shown if shown is not None else str(path)
    text, bom = read_file_text(path, label)
    return parse_yaml(text, label, bom)


class _Builder:
    """Nodes to plain data, recording spots and collecting problems instead of stopping."""

    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.spots: dict[KeyPath, Spot] = {}
        self.fatal: list[Problem] = []
        """Problems after which the data is incomplete."""
        self.soft: list[Problem] = []
        """Problems that leave the data whole (the first of duplicate keys is kept)."""
        self._seen: set[int] = set()

    def _problem(self, node: Any, path: KeyPath, message: str, *, soft: bool = False) -> None:
        mark = node.start_mark
        found = Problem(message, path, mark.line + 1, mark.column + 1)
        (self.soft if soft else self.fatal).append(found)

    def value(self, node: Any, path: KeyPath, depth: int, key_node: Any = None) -> Any:
        from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

        if id(node) in self._seen or getattr(node, "anchor", None) is not None:
            if not any("anchors" in problem.message for problem in self.fatal):
                self._problem(node, path, "anchors and aliases (&name, *name) are not allowed")
            return None
        self._seen.add(id(node))
        tag = str(node.tag)
        if tag not in _STANDARD_TAGS:
            written = tag.replace("tag:yaml.org,2002:", "!!")
            self._problem(node, path, f"YAML tags such as {written} are not allowed")
            return None
        if depth > MAX_DEPTH:
            self._problem(node, path, "is nested too deeply to be a scenario file")
            return None
        start, end = node.start_mark, node.end_mark
        common: dict[str, Any] = {
            "line": start.line + 1,
            "column": start.column + 1,
            "start": start.index,
            "end": end.index,
        }
        if key_node is not None:
            mark = key_node.start_mark
            common["key_line"], common["key_column"] = mark.line + 1, mark.column + 1
            common["key_end"] = key_node.end_mark.index
        if isinstance(node, ScalarNode):
            self.spots[path] = Spot(style=node.style, **common)
            return _scalar(node.value, node.style, tag)
        if isinstance(node, SequenceNode):
            items = [
                self.value(item, (*path, index), depth + 1) for index, item in enumerate(node.value)
            ]
            last = node.value[-1].end_mark.index if node.value else None
            self.spots[path] = Spot(
                kind="sequence", flow=bool(node.flow_style), items_end=last, **common
            )
            return items
        if isinstance(node, MappingNode):
            self.spots[path] = Spot(kind="mapping", flow=bool(node.flow_style), **common)
            return self._mapping(node, path, depth)
        self._problem(node, path, "is not a YAML value this format knows")
        return None

    def _mapping(self, node: Any, path: KeyPath, depth: int) -> dict[str, Any]:
        from ruamel.yaml.nodes import ScalarNode

        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or getattr(key_node, "anchor", None):
                self._problem(key_node, path, "keys must be plain words such as order or expect")
                continue
            key = str(key_node.value)
            key_path = (*path, key)
            if key in first_line:
                self._problem(
                    key_node,
                    key_path,
                    f"is given twice (first at line {first_line[key]})",
                    soft=True,
                )
                continue
            first_line[key] = key_node.start_mark.line + 1
            result[key] = self.value(value_node, key_path, depth + 1, key_node)
        return result


def _scalar(text: str, style: str | None, tag: str) -> Any:
    """A scalar node's value: quoted and ``!!str`` scalars are text, plain ones resolved."""
    if style is not None or tag == "tag:yaml.org,2002:str":
        return text
    return plain_scalar(text)


def plain_scalar(text: str) -> Any:
    """A plain scalar by the YAML 1.2 core schema; dates and times stay text."""
    if _NULL.fullmatch(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.fullmatch(text):
        return int(text)
    if _INT_OTHER_BASE.fullmatch(text):
        return int(text, 0)
    if _FLOAT.fullmatch(text):
        return float(text.lower().replace(".inf", "inf").replace(".nan", "nan"))
    return text
