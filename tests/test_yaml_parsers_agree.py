"""libyaml and the pure-Python parser feed one strict reader: they must give the same answer.

The libyaml path is only a speed-up, so for any text it must give the same data, the same
places (line, column, spans) and the same soft problems as the pure YAML 1.2 parser, or the
same error message at the same place. Checked on generated YAML (structured documents with
YAML 1.1 look-alike scalars in every style, and raw character soup), every file under
scenarios/, and the hostile files the loader tests use.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protectcalc.scenarios import yaml_reader
from protectcalc.scenarios.yaml_lines import read_common
from protectcalc.scenarios.yaml_reader import (
    MAX_DEPTH,
    PURE_ENV,
    FileProblems,
    fast_parser,
    parse_yaml,
    plain_scalar,
    read_yaml,
)

pytest.importorskip("yaml._yaml", reason="PyYAML's libyaml extension is not installed")

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

Outcome = tuple[str, Any, Any, Any]


def outcome(text: str, *, fast: bool, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    """What the reader makes of the text with one parser: data, places and soft problems."""
    if fast:
        monkeypatch.delenv(PURE_ENV, raising=False)
    else:
        monkeypatch.setenv(PURE_ENV, "1")
    try:
        document = parse_yaml(text, "t.yaml")
    except FileProblems as error:
        return ("error", error.lines(), None, None)
    # repr: NaN == NaN, 1 != True, and key order counts
    return ("ok", repr(document.data), document.spots, document.problems)


def assert_agree(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = outcome(text, fast=True, monkeypatch=monkeypatch)
    pure = outcome(text, fast=False, monkeypatch=monkeypatch)
    assert fast == pure, text


# --- the fast path is really taken ---------------------------------------------------------


def test_libyaml_is_installed_with_the_dev_dependencies() -> None:
    assert fast_parser() is not None


def test_the_switch_turns_libyaml_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PURE_ENV, "1")
    assert fast_parser() is None
    monkeypatch.setenv(PURE_ENV, "0")
    assert fast_parser() is not None


def test_every_scenario_file_is_read_by_libyaml_without_falling_back() -> None:
    files = sorted(SCENARIOS.rglob("*.yaml"))
    assert len(files) > 50
    for path in files:
        text = path.read_text("utf-8").removeprefix("\ufeff")
        assert yaml_reader._build_fast(text) is not None, path


def test_yaml_11_look_alikes_are_typed_by_yaml_12_on_the_fast_path() -> None:
    text = "a: yes\nb: on\nc: 0o17\nd: 017\ne: 1:30:00\nf: NO\ng: 0x1F\nh: .5\ni: 1_000\nj: y\n"
    builder = yaml_reader._build_fast(text)
    assert builder is not None
    assert builder.root == {
        "a": "yes",
        "b": "on",
        "c": 15,
        "d": 17,
        "e": "1:30:00",
        "f": "NO",
        "g": 31,
        "h": 0.5,
        "i": "1_000",
        "j": "y",
    }


# --- scenarios/ and the hostile files --------------------------------------------------------


@pytest.mark.parametrize(
    "path", sorted(SCENARIOS.rglob("*.yaml")), ids=lambda path: str(path.relative_to(SCENARIOS))
)
def test_scenario_files_agree(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_agree(path.read_text("utf-8").removeprefix("\ufeff"), monkeypatch)


def _alias_bomb() -> str:
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"a{i}: &a{i} [{', '.join(f'*a{i - 1}' for _ in range(9))}]" for i in range(1, 10)]
    return "\n".join(levels) + "\n"


HOSTILE = [
    "order:\n  confirmed: 2026-03-01\n  confirmed: 2026-03-02\nname: x\nname: y\n",
    _alias_bomb(),
    "base: &b {shipped: 2026-02-10}\norder:\n  <<: *b\n",
    "name: x\norder: !!python/object/apply:os.system ['echo hi']\n",
    "name: !secret x\n",
    "a: " + "[" * 20_000 + "]" * 20_000 + "\n",
    "a: " + "{b: " * (MAX_DEPTH + 2) + "1" + "}" * (MAX_DEPTH + 2) + "\n",
    "%YAML 1.1\n---\nbuyer_country: NO\nflag: on\n",
    "%YAML 1.2\n---\nbuyer_country: NO\n",
    "name: a\n---\nname: b\n",
    "- a\n- b\n",
    "just text\n",
    "name: [unclosed\n",
    "name: 'unclosed\n",
    "a:\n\tb: 1\n",
    "? [complex, key]\n: 1\n",
    "&anchor name: x\n",
    "name: x\n  bad: indent\n",
    'name: "bad \\q escape"\n',
    'name: "\\/ slash \\t tab \\x41 \\u00e9 \\U0001F600"\n',
    "name: x\x07\n",
    "name: a\x85b\nnext: c\u2028d\n",
    "key: value # comment\n# only comment\n",
    textwrap.dedent(
        """\
        name: Story
        description: |
          two lines
          of text
        folded: >-
          folded
          text

          para
        order: {shipped: 2026-02-10, extended: [30, 20]}
        dispute:
          seller_responses:
            - 2026-03-18T09:00
            - [2026-03-19T09:00]
        """
    ),
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_and_odd_texts_agree(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_agree(text, monkeypatch)


def test_file_level_refusals_come_before_either_parser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {
        "latin1.yaml": "name: ok\ndescription: caf\xe9\n".encode("latin-1"),
        "utf16.yaml": "name: x\n".encode("utf-16"),
        "huge.yaml": b"name: " + b"x" * (yaml_reader.MAX_FILE_BYTES + 10) + b"\n",
        "bom.yaml": "\ufeffname: x\n".encode(),
    }
    for name, raw in files.items():
        path = tmp_path / name
        path.write_bytes(raw)
        answers = []
        for pure in ("", "1"):
            monkeypatch.setenv(PURE_ENV, pure)
            try:
                document = read_yaml(path)
                answers.append(("ok", document.data, document.spots, document.bom))
            except FileProblems as error:
                answers.append(("error", error.lines(), None, None))
        assert answers[0] == answers[1], name


# --- generated documents ----------------------------------------------------------------------

TRICKY = [
    "yes", "no", "on", "off", "y", "n", "NO", "Yes", "true", "False", "TRUE", "~", "null",
    "Null", "", "0", "017", "0o17", "0x1F", "0b101", "1_000", "+12", "-7", "1:30", "190:20:30",
    "12:30:00", ".5", "1.", "1e3", "-1.5E-3", ".inf", "-.Inf", ".nan", ".NaN", "2026-03-01",
    "2026-03-18T09:00", "2026-03-01 10:00:00", "2026-02-30", "= ", "<<", "a b", "a#b",
    "caf\u00e9", "x: y", "a, b", "- z", "it's", 'say "hi"', " lead", "trail ", "two\nlines",
    "tab\there", "%pct", "@at", "`tick", "!bang", "&amp", "*star", "back\\slash", "#hash",
    "{brace}", "[bracket]", "é€😀",
]  # fmt: skip

KEYS = st.sampled_from(["name", "order", "a", "b", "shipped", "x y", "on", "NO", "1", "k-2"])


def _quote_single(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote_double(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace("\t", "\\t") + '"'


@st.composite
def scalar_text(draw: st.DrawFn, indent: str) -> str:
    """A scalar as it would follow ``key: ``: plain, quoted or block, valid or not."""
    value = draw(st.sampled_from(TRICKY) | st.text(max_size=8))
    style = draw(st.sampled_from(["plain", "plain", "single", "double", "literal", "folded"]))
    if style == "plain":
        return value
    if style == "single":
        return _quote_single(value)
    if style == "double":
        return _quote_double(value)
    header = draw(st.sampled_from(["", "-", "+", "2"]))
    body = "\n".join(f"{indent}  {line}" for line in (value or "x").split("\n"))
    return ("|" if style == "literal" else ">") + header + "\n" + body


def flow(value: Any) -> str:
    """A value in flow style."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(item) for item in value) + "]"
    return str(value)


@st.composite
def block_document(draw: st.DrawFn, indent: str = "", depth: int = 0) -> str:
    """A block mapping of scalars, flow collections, nested mappings and block sequences."""
    lines = []
    for key in draw(st.lists(KEYS, min_size=1, max_size=5)):
        choice = draw(st.integers(0, 5 if depth < 3 else 2))
        if choice <= 1:
            lines.append(f"{indent}{key}: {draw(scalar_text(indent))}")
        elif choice == 2:
            items = draw(st.lists(st.sampled_from(TRICKY[:40]), max_size=4))
            nested = draw(st.booleans())
            value: Any = {f"k{i}": item for i, item in enumerate(items)} if nested else items
            lines.append(f"{indent}{key}: {flow(value)}")
        elif choice == 3:
            lines.append(f"{indent}{key}:\n" + draw(block_document(indent + "  ", depth + 1)))
        elif choice == 4:
            lines.append(f"{indent}{key}:")
            dash = draw(st.sampled_from(["  - ", "- "]))
            for item in draw(st.lists(scalar_text(indent + "  "), min_size=1, max_size=3)):
                lines.append(f"{indent}{dash}{item}")
        else:
            comment = draw(st.sampled_from(["# note", "#", "", "   "]))
            lines.append(f"{indent}{key}: {draw(scalar_text(indent))} {comment}".rstrip(" "))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n", "\n...\n", "\n---\n"]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=block_document())
def test_generated_documents_agree(text: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert_agree(text, monkeypatch)


SOUP = st.lists(
    st.sampled_from(
        [*"ab01:-?[]{},#&*!|>'\"%@`\\ \n\t.~=", "\r\n", "\x85", "\u2028", "\ufeff", "é"]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=SOUP)
def test_character_soup_agrees(text: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert_agree(text, monkeypatch)
        assert_agree("name: x\nkey: " + text + "\n", monkeypatch)


# --- the line reader (yaml_lines): files of the usual shape, read without a parser ----------


def _built(text: str) -> Any:
    """The data the YAML reader builds from libyaml's events (the pure parser's if it bails)."""
    builder = yaml_reader._build_fast(text)
    if builder is None:
        builder = yaml_reader._build_pure(text, "t.yaml")
    return builder.root


def test_every_scenario_file_is_read_by_the_line_reader() -> None:
    for path in sorted(SCENARIOS.rglob("*.yaml")):
        text = path.read_text("utf-8").removeprefix("\ufeff")
        data = read_common(text)
        assert data is not None, path
        assert repr(data) == repr(_built(text)), path


def test_line_reader_leaves_everything_unusual_to_the_yaml_reader() -> None:
    for text in HOSTILE:
        data = read_common(text)
        assert data is None or repr(data) == repr(_built(text)), text


def test_places_are_worked_out_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "name: x\norder:\n  shipped: 2026-02-10  # a comment\n"
    monkeypatch.delenv(PURE_ENV, raising=False)
    document = parse_yaml(text, "t.yaml")
    assert document.found_spots is None  # read by the line reader: no places yet
    spot = document.spots[("order", "shipped")]
    assert (spot.line, spot.column, text[spot.start : spot.end]) == (3, 12, "2026-02-10")
    assert document.problem(("order", "shipped"), "x").line == 3


_OLD_NULL = re.compile(r"~|null|Null|NULL|")
_OLD_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False}
_OLD_BOOL |= {"FALSE": False}
_OLD_INT = re.compile(r"[-+]?[0-9]{1,18}")
_OLD_INT_OTHER_BASE = re.compile(r"0o[0-7]{1,18}|0x[0-9a-fA-F]{1,15}")
_OLD_FLOAT = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)


def _old_plain_scalar(text: str) -> Any:
    """plain_scalar as it was before one pattern typed every scalar (the reference)."""
    if _OLD_NULL.fullmatch(text):
        return None
    if text in _OLD_BOOL:
        return _OLD_BOOL[text]
    if _OLD_INT.fullmatch(text):
        return int(text)
    if _OLD_INT_OTHER_BASE.fullmatch(text):
        return int(text, 0)
    if _OLD_FLOAT.fullmatch(text):
        return float(text.lower().replace(".inf", "inf").replace(".nan", "nan"))
    return text


NUMBERISH = st.text(alphabet="0123456789+-.eExXoabcfinAFINlLuUtTrRsS~_ ", max_size=22)


@settings(max_examples=3000, deadline=None)
@given(text=st.sampled_from(TRICKY) | NUMBERISH | st.text(max_size=6))
def test_plain_scalars_are_typed_as_before(text: str) -> None:
    assert repr(plain_scalar(text)) == repr(_old_plain_scalar(text))


PLAIN_WORDS = st.sampled_from(
    [
        "Generated by benchmarks/replay.py; rules from 000_6f6c5fe111c31055.txt.",
        "2026-03-18T09:00+03:00", "2026-03-18", "17", "a:b", "a#b", "a :b", "-x", "-7", "it's",
        'say "hi"', "a, b", "é", "x\u00a0y", "...", "<<", "=", "~", "a\\b", "(a)", "a  b",
        "Заказ 7", "0x1F", ".5", "null", "yes", "on", "True", "1_000",
    ]
) | st.sampled_from(
    [
        *TRICKY[:40], "a: b", "a #b", "- x", "x:", "{x}", "[y]", "a [b]", "\u00a0x", "x\u3000y",
        "#", "---", "? x", ": x", "%x", "x ", "",
    ]
)  # fmt: skip
ITEMS = st.lists(
    st.sampled_from(
        ["30", "20", "-7", "2026-03-18T09:00", "12:30", "a:b", "a:", "~", "x y", "'q'"]
    ),
    max_size=3,
)
SPACES = st.sampled_from(["", " ", "  "])


@st.composite
def common_value(draw: st.DrawFn, indent: str) -> str:
    """What follows ``key:`` in files of the usual shape, and near misses."""
    choice = draw(st.integers(-3, 6))
    if choice <= 0:
        return " " + draw(PLAIN_WORDS)
    if choice == 1:
        return " " + draw(st.sampled_from([_quote_double, _quote_single]))(draw(PLAIN_WORDS))
    if choice == 2:
        items = draw(ITEMS)
        gap = draw(SPACES)
        return f" [{gap}{(draw(SPACES) + ',' + draw(SPACES)).join(items)}{gap}]"
    if choice == 3:
        items = draw(ITEMS)
        keys = draw(st.lists(KEYS, min_size=len(items), max_size=len(items)))
        pairs = [f"{key}:{draw(SPACES)}{item}" for key, item in zip(keys, items, strict=True)]
        return " {" + ", ".join(pairs) + "}"
    if choice == 4:
        header = draw(st.sampled_from([">-", ">", "|", "|-", ">+", "|2", ">- # c"]))
        deeper = indent + draw(st.sampled_from([" ", "  ", "    "]))
        lines = draw(
            st.lists(
                st.sampled_from(["text", "more text ", "# not a comment", "x: y", "é"])
                | st.sampled_from(["", "  deeper"]),
                min_size=1,
                max_size=4,
            )
        )
        body = "\n".join(f"{deeper}{line}" if line else draw(SPACES) for line in lines)
        return f" {header}\n{body}" + draw(st.sampled_from(["", "\n", "\n\n"]))
    if choice == 5 and draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(["", " ", " # empty"]))
    return " " + draw(PLAIN_WORDS) + draw(st.sampled_from([" # note", "  #", "# x", "\n  more"]))


@st.composite
def common_document(draw: st.DrawFn, indent: str = "", depth: int = 0) -> str:
    """A block mapping as order and scenario files are written, with slips of every kind."""
    lines = []
    keys = st.sampled_from(["name", "order", "a", "shipped", "on", "NO", "_k", "k9"])
    for key in draw(st.lists(keys, min_size=1, max_size=5, unique=True) | st.lists(KEYS)):
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from(["# comment", "", "   # indented", "  "])))
        if depth < 3 and draw(st.integers(0, 3)) == 0:
            comment = draw(st.sampled_from(["", "  # c"]))
            nested = indent + draw(st.sampled_from(["  ", "    ", " "]))
            lines.append(f"{indent}{key}:{comment}\n" + draw(common_document(nested, depth + 1)))
            continue
        lines.append(f"{indent}{key}:{draw(common_value(indent))}")
        if draw(st.integers(0, 59)) == 0:
            lines.append(draw(st.sampled_from([" odd: indent", "- item", "---", "..."])))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n", "\n# end\n"]))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=common_document())
def test_common_documents_agree(text: str) -> None:
    """What the line reader accepts, it reads as libyaml's events and the pure parser do."""
    data = read_common(text)
    if data is None:
        return  # the YAML reader's, checked by the tests above
    assert repr(data) == repr(_built(text)), text
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert_agree(text, monkeypatch)
