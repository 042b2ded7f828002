"""Scenario and order files as plain data: YAML 1.2, read safely, every value with its place.

ruamel.yaml only parses the text into events (no node graph, no constructor: no Python
object is ever built from a tag); this module turns the events into dicts, lists and scalars
itself, with the YAML 1.2 core schema, so ``NO``, ``no``, ``on`` and ``12:30`` stay text and
dates stay text (``2026-02-30`` is then refused by the strict date parser with its line, not
by the YAML reader). Anchors, aliases and tags other than ``!!str`` are refused at the first
event, so an alias bomb is never expanded; files are capped in size and depth. Every value
keeps its line, column and character span so that errors can point at it and
``replay --update`` can rewrite it in place.
"""

from __future__ import annotations

import codecs
import os
import re
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from protectcalc.scenarios.yaml_lines import plain_scalar, read_common

__all__ = ["plain_scalar"]  # re-exported: the typing rules live with the line reader

MAX_FILE_BYTES = 256 * 1024
"""Scenario files are a few hundred bytes; anything this large is a mistake or an attack."""

MAX_DEPTH = 12
"""The format nests four levels deep; deeper input is refused at once."""

KeyPath = tuple[str | int, ...]
"""Where a value sits in a file: ``("order", "confirmed")``, ``("dispute", "opened")``."""


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
    text: str
    bom: bool = False
    problems: tuple[Problem, ...] = ()
    """Problems that do not stop validation (a duplicate key): reported with its errors."""
    found_spots: dict[KeyPath, Spot] | None = field(default=None, repr=False, compare=False)
    """The places, when the YAML reader built them; None when the line reader read the file."""

    @cached_property
    def spots(self) -> dict[KeyPath, Spot]:
        """Where every value is; worked out on first use when the line reader read the file.

        Only an error message or ``replay --update`` needs a place, so a file that passes
        never pays for them; the YAML reader gives them as it would have at first.
        """
        if self.found_spots is not None:
            return self.found_spots
        builder = _build_fast(self.text)
        if builder is None:
            builder = _build_pure(self.text, "")
        return builder.spots

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
    from protectcalc.files import FileRefused, read_limited

    try:
        raw = read_limited(path, MAX_FILE_BYTES)
    except FileRefused as refused:
        problem = refused.problem.replace("not a regular file", "not a YAML file")
        if problem.startswith("is larger than"):
            problem += ": not a scenario or order file"
        raise FileProblems(shown, [Problem(problem)]) from None
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
    """Parse one YAML document whose top level is a mapping; refuse everything unsafe.

    A file of the usual shape is read by the line reader (:mod:`yaml_lines`), with no
    YAML parser; any other is built straight from a parser's events: no node graph, no
    constructor, and an alias is refused before anything is expanded. libyaml's C parser
    produces the events when it is installed (ten times faster); any file it cannot read,
    or that the reader refuses, is read again by the pure-Python parser, so every error
    message and place comes from one parser whichever is installed.
    """
    if not text.strip():
        raise FileProblems(shown, [Problem("is empty: expected name, order and expect keys")])
    if os.environ.get(PURE_ENV, "") in ("", "0"):
        common = read_common(text)
        if common is not None:
            return YamlDocument(common, text, bom)
    builder = _build_fast(text)
    if builder is None:
        builder = _build_pure(text, shown)
    if not builder.done:
        raise FileProblems(shown, [Problem("is empty: expected name, order and expect keys")])
    data = builder.root
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        found = f"expected a mapping of keys (name, order, expect, ...), found {kind}"
        raise FileProblems(shown, [Problem(found, (), 1, 1)])
    return YamlDocument(data, text, bom, tuple(builder.soft), builder.spots)


def _build_fast(text: str) -> _Builder | None:
    """The events of libyaml's C parser, built; None when it is missing or anything went wrong.

    libyaml scans YAML 1.1, but the reader types every scalar itself from its text and style
    by the 1.2 rules, so ``yes``, ``on``, ``017`` and ``1:30`` come out as the pure parser's.
    """
    parser_class = fast_parser()
    if parser_class is None or _PURE_ONLY.search(text):
        return None
    builder = _Builder(fast=True, text=text)
    parser = parser_class(text)
    try:
        feed = builder.feed
        get_event = parser.get_event
        while True:
            event = get_event()
            if event is None:
                break
            feed(event)
    except Exception:  # any syntax error or refusal: the pure parser words it (rare, so cheap)
        return None
    finally:
        parser.dispose()
    if not builder.done or not isinstance(builder.root, dict):
        return None  # not a mapping: an error, worded by the pure path
    return builder


def _build_pure(text: str, shown: str) -> _Builder:
    """The events of ruamel's pure-Python YAML 1.2 parser, built; problems as FileProblems."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    builder = _Builder()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for event in _parser().parse(text):
                builder.feed(event)
    except _Refused as refused:
        raise FileProblems(shown, [refused.problem]) from None
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
    return builder


_BLOCK_HEADER = re.compile(r"[|>](?:[1-9][-+]?|[-+][1-9]?)?(?: +#[^\n]*)? *(?:\r?\n|$)")
"""A block scalar's header as YAML 1.2 writes it."""

_PURE_ONLY = re.compile("[\t\x85\u2028\u2029\ufeff]")
"""Characters that libyaml and ruamel scan differently (tabs; YAML 1.1's extra line breaks)."""

PURE_ENV = "PROTECTCALC_PURE_YAML"
"""Set to 1 to read with the pure-Python parser only (benchmarks, and to rule libyaml out)."""

_FAST: list[Any] = []


def fast_parser() -> Any:
    """PyYAML's libyaml event parser class, or None (not installed, built without libyaml,
    or switched off with ``PROTECTCALC_PURE_YAML=1``).

    PyYAML's, not ruamel's ``_ruamel_yaml``: ruamel.yaml 0.19 no longer installs it and its
    wheels carry libyaml 0.1.7, which refuses ``[2026-03-18T09:00]``; PyYAML's carry 0.2.5.
    """
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return None
    if not _FAST:
        try:
            from yaml._yaml import CParser  # the C extension only, never PyYAML's pure parser
        except ImportError:
            CParser = None
        _FAST.append(CParser)
    return _FAST[0]


def read_yaml(path: Path, shown: str | None = None) -> YamlDocument:
    """Read and parse a scenario or order file (see :func:`parse_yaml`)."""
    label = shown if shown is not None else str(path)
    text, bom = read_file_text(path, label)
    return parse_yaml(text, label, bom)


_PARSERS: list[Any] = []


def _parser() -> Any:
    """One reusable pure-Python YAML 1.2 reader (building one costs more than a small file).

    The pure reader, not libyaml: libyaml is YAML 1.1 and refuses ``[2026-03-18T09:00]``.
    """
    if not _PARSERS:
        from ruamel.yaml import YAML

        _PARSERS.append(YAML(typ="safe", pure=True))
    return _PARSERS[0]


class _Unsure(Exception):
    """libyaml's events would differ from the pure parser's here: read the file with that."""


class _Refused(Exception):
    """A structural problem after which the rest of the file is not read."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


_ALLOWED_SCALAR_TAGS = frozenset({"!", "tag:yaml.org,2002:str"})
_ALLOWED_COLLECTION_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


@dataclass
class _Open:
    """A mapping or sequence whose events are still arriving."""

    container: dict[str, Any] | list[Any]
    path: KeyPath | None
    """None inside a duplicate key's value: built, then dropped, no spots recorded."""
    start: Any
    key_event: Any
    key: str | None = None
    key_at: Any = None
    discard_value: bool = False
    last_end: int | None = None
    first_lines: dict[str, int] | None = None


class _Builder:
    """Parser events to plain data and spots; duplicate keys are soft problems."""

    def __init__(self, *, fast: bool = False, text: str = "") -> None:
        self.fast = fast
        """Events from libyaml: give up (:class:`_Unsure`) where it would place a value apart."""
        self.text = text
        self.root: Any = None
        self.done = False
        self.spots: dict[KeyPath, Spot] = {}
        self.soft: list[Problem] = []
        self._open: list[_Open] = []
        self._documents = 0

    def feed(self, event: Any) -> None:
        """Take one event of either parser (PyYAML's and ruamel's share class and field names)."""
        kind = type(event).__name__
        if kind == "ScalarEvent":
            scalar = True
            if self.fast:
                if not event.value and not event.style:
                    raise _Unsure  # an empty value: libyaml places it elsewhere than ruamel
                if event.style in ("|", ">") and not _BLOCK_HEADER.match(
                    self.text, event.start_mark.index
                ):
                    raise _Unsure  # libyaml accepts block scalar headers that YAML 1.2 refuses
        elif kind in ("MappingStartEvent", "SequenceStartEvent"):
            scalar = False
        elif kind in ("MappingEndEvent", "SequenceEndEvent"):
            self._close(event)
            return
        elif kind == "AliasEvent":
            where = self._where() or ()
            self._refuse(event, where, "anchors and aliases (&name, *name) are not allowed")
        elif kind == "DocumentStartEvent":
            if self.fast and (event.version or event.tags):
                raise _Unsure  # a %YAML or %TAG directive: libyaml knows only YAML 1.1
            self._documents += 1
            if self._documents > 1:
                self._refuse(event, (), "is not valid YAML: expected a single document")
            return
        elif kind == "DocumentEndEvent" and self.fast and event.explicit:
            raise _Unsure  # ``...``: ruamel may start an empty document after it, libyaml not
        else:
            return
        top = self._open[-1] if self._open else None
        if top is not None and top.first_lines is not None and top.key is None:
            self._key(top, event, scalar)
            return
        path = self._where()
        if event.anchor is not None:
            self._refuse(event, path or (), "anchors and aliases (&name, *name) are not allowed")
        allowed = _ALLOWED_SCALAR_TAGS if scalar else _ALLOWED_COLLECTION_TAGS
        if event.tag is not None and event.tag not in allowed:
            written = str(event.tag).replace("tag:yaml.org,2002:", "!!")
            self._refuse(event, path or (), f"YAML tags such as {written} are not allowed")
        if len(self._open) > MAX_DEPTH:
            self._refuse(event, path or (), "is nested too deeply to be a scenario file")
        if scalar:
            style = event.style or None  # PyYAML writes a plain scalar's style as ""
            if event.tag is not None or style is not None:
                value: Any = event.value
            else:
                value = plain_scalar(event.value)
            end = event.end_mark.index
            if path is not None:
                key_event = None
                if top is not None and isinstance(top.container, dict):
                    key_event = top.key_at
                self.spots[path] = self._spot_at(event.start_mark, end, key_event, style=style)
            self._attach(value, end)
            return
        mapping = kind == "MappingStartEvent"
        self._open.append(
            _Open(
                container={} if mapping else [],
                path=path,
                start=event,
                key_event=top.key_at if top is not None else None,
                first_lines={} if mapping else None,
            )
        )

    def _key(self, top: _Open, event: Any, scalar: bool) -> None:
        path = top.path if top.path is not None else ()
        if not scalar or event.anchor is not None:
            self._refuse(event, path, "keys must be plain words such as order or expect")
        if event.tag is not None and event.tag not in _ALLOWED_SCALAR_TAGS:
            written = str(event.tag).replace("tag:yaml.org,2002:", "!!")
            self._refuse(event, path, f"YAML tags such as {written} are not allowed")
        key = str(event.value)
        assert top.first_lines is not None
        top.key, top.key_at = key, event
        top.discard_value = key in top.first_lines
        if top.discard_value:
            if top.path is not None:
                line = event.start_mark.line + 1
                self.soft.append(
                    Problem(
                        f"is given twice (first at line {top.first_lines[key]})",
                        (*top.path, key),
                        line,
                        event.start_mark.column + 1,
                    )
                )
        else:
            top.first_lines[key] = event.start_mark.line + 1

    def _where(self) -> KeyPath | None:
        """The path of the value about to arrive (None inside a dropped duplicate)."""
        if not self._open:
            return ()
        top = self._open[-1]
        if top.path is None or top.discard_value:
            return None
        if isinstance(top.container, dict):
            return (*top.path, top.key or "")
        return (*top.path, len(top.container))

    @staticmethod
    def _spot_at(
        mark: Any,
        end: int,
        key_event: Any,
        *,
        style: str | None = None,
        kind: str = "scalar",
        flow: bool = False,
        items_end: int | None = None,
    ) -> Spot:
        """The spot of a value starting at ``mark`` (keyword arguments: no dict per value)."""
        if key_event is None:
            key_line = key_column = key_end = None
        else:
            key_mark = key_event.start_mark
            key_line, key_column, key_end = (
                key_mark.line + 1,
                key_mark.column + 1,
                key_event.end_mark.index,
            )
        return Spot(
            line=mark.line + 1,
            column=mark.column + 1,
            start=mark.index,
            end=end,
            style=style,
            kind=kind,
            flow=flow,
            key_line=key_line,
            key_column=key_column,
            key_end=key_end,
            items_end=items_end,
        )

    def _close(self, event: Any) -> None:
        done = self._open.pop()
        if done.path is not None:
            sequence = isinstance(done.container, list)
            self.spots[done.path] = self._spot_at(
                done.start.start_mark,
                event.end_mark.index,
                done.key_event,
                kind="sequence" if sequence else "mapping",
                flow=bool(done.start.flow_style),
                items_end=done.last_end if sequence else None,
            )
        self._attach(done.container, event.end_mark.index)

    def _attach(self, value: Any, end: int) -> None:
        if not self._open:
            self.root, self.done = value, True
            return
        top = self._open[-1]
        top.last_end = end
        if isinstance(top.container, dict):
            if not top.discard_value and top.key is not None:
                top.container[top.key] = value
            top.key, top.discard_value = None, False
        else:
            top.container.append(value)

    @staticmethod
    def _refuse(event: Any, path: KeyPath, message: str) -> None:
        mark = event.start_mark
        raise _Refused(Problem(message, path, mark.line + 1, mark.column + 1))
