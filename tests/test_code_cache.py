"""The code cache of the shipped rule sets: up to date for this Python, the same functions as
compiling, and ignored (everything compiled again) when it is stale, foreign or damaged."""

from __future__ import annotations

import marshal
import zlib
from collections.abc import Iterator
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from typing import Any

import pytest

from protectcalc import compute
from protectcalc.errors import InputError
from protectcalc.rules import _load, codecache, expr, load_rule_set, loader
from protectcalc.rules.loader import shipped_names

SHIPPED = shipped_names()

ORDERS: list[dict[str, Any]] = [
    {"confirmed": "2026-03-01", "tz": "Europe/Moscow"},
    {
        "placed": "2026-11-01T10:00",
        "paid": "2026-11-01T10:05",
        "seller_responded": ["2026-11-10T10:00"],
        "dispute_opened": "2026-11-08T10:00",
    },
    {"placed": "2026-01-05T08:00", "shipped": "2026-01-07", "delivered": "2026-01-20"},
    {"paid": "2026-05-02T23:30", "tz": "America/New_York", "delivered": "2026-05-20"},
    {"paid": "2026-02-01", "dispute_opened": "2026-02-20", "seller_responded": ["2026-02-25"]},
]


def shipped_file(name: str) -> bytes:
    data = loader.read_shipped_bytes(f"data/{name}{codecache.SUFFIX}")
    assert data is not None, f"no code cache for {name}: run python -m protectcalc.rules.trusted"
    return data


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[expr.GeneratedKey, Any]]:
    """As in a new process: nothing loaded, compiled or taken from a cache yet; yields what
    gets compiled from now on. The caches are emptied again afterwards."""
    monkeypatch.setattr(codecache, "_used", set())
    monkeypatch.setattr(expr, "_PRECOMPILED", {})
    _load.cache_clear()
    expr._compile_function.cache_clear()
    try:
        yield expr.record_compiled()
    finally:
        expr.stop_recording()
        _load.cache_clear()
        expr._compile_function.cache_clear()


def timelines(name: str) -> list[dict[str, Any] | str]:
    """Each order's timeline under rule set ``name``, or what it refuses (not every set reads
    every event)."""
    found: list[dict[str, Any] | str] = []
    for order in ORDERS:
        try:
            found.append(compute(order, name, as_of="2026-12-01"))
        except InputError as error:
            found.append(str(error))
    assert any(isinstance(item, dict) for item in found)
    return found


def skip_unless_written_by_this_python(name: str) -> None:
    """A cache written by another Python version is ignored by design (slower, never wrong),
    and rewriting it here would take it from the Python it was written for: the tests that
    need it are skipped rather than failed, so two versions never make each other red."""
    if not shipped_file(name).startswith(codecache._HEADER + MAGIC_NUMBER):
        pytest.skip(f"the code cache of {name} was written by another Python version")


@pytest.mark.parametrize("name", SHIPPED)
def test_the_code_cache_is_up_to_date(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Edited a shipped rule set or the code generator?
    Run: python -m protectcalc.rules.trusted"""
    skip_unless_written_by_this_python(name)
    cached = codecache.codes_from(shipped_file(name))
    assert cached is not None, "damaged"
    monkeypatch.setattr(codecache, "_used", set())
    monkeypatch.setattr(expr, "_PRECOMPILED", {})
    try:
        expected = codecache.generated_codes(name)
    finally:
        expr._compile_function.cache_clear()
    assert sorted(cached) == sorted(expected)
    assert cached == expected  # code objects compare by their bytecode, constants and names


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_set_compiles_nothing(name: str, fresh: dict[Any, Any]) -> None:
    skip_unless_written_by_this_python(name)
    timelines(name)
    assert fresh == {}


def test_a_users_rule_file_compiles(fresh: dict[Any, Any], tmp_path: Path) -> None:
    text = loader.read_shipped("data/aliexpress.toml")
    assert text is not None
    path = tmp_path / "mine.toml"
    path.write_text(text, "utf-8")
    load_rule_set(str(path))
    assert fresh
    assert not expr._PRECOMPILED


@pytest.mark.parametrize("name", SHIPPED)
def test_the_cache_gives_what_compiling_gives(name: str, fresh: dict[Any, Any]) -> None:
    with_cache = timelines(name)
    assert fresh == {}
    expr._PRECOMPILED.clear()
    _load.cache_clear()
    expr._compile_function.cache_clear()
    assert timelines(name) == with_cache
    assert fresh  # compiled this time


def _damaged() -> list[tuple[str, bytes]]:
    good = shipped_file("aliexpress")
    header = len(codecache._HEADER) + len(MAGIC_NUMBER)
    payload = good[header + 4 :]
    codes = codecache.codes_from(good)
    assert codes is not None
    flipped = bytearray(good)
    flipped[len(flipped) // 2] ^= 0x55
    other_python = bytes([MAGIC_NUMBER[0] ^ 1]) + MAGIC_NUMBER[1:]
    stale = {(source + "\n", label): code for (source, label), code in codes.items()}

    def sealed(data: bytes) -> bytes:  # with a right checksum
        checksum = zlib.crc32(data).to_bytes(4, "big")
        return codecache._HEADER + MAGIC_NUMBER + checksum + data

    return [
        ("empty", b""),
        ("header only", good[:header]),
        ("truncated", good[: len(good) // 2]),
        ("a byte changed", bytes(flipped)),
        ("another python", codecache._HEADER + other_python + good[header:]),
        ("not marshal", sealed(b"\xff" * 16)),
        ("cut marshal", sealed(payload[: len(payload) // 3])),
        ("not a mapping", sealed(marshal.dumps([1, 2, 3]))),
        ("not code", sealed(marshal.dumps({("return 1", "rule expression"): "code"}))),
        ("not a key", sealed(marshal.dumps({"return 1": compile("1", "<x>", "eval")}))),
        ("stale sources", codecache.cache_bytes(stale)),
        ("payload with a bad checksum", codecache._HEADER + MAGIC_NUMBER + b"\0\0\0\0" + payload),
    ]


DAMAGED = _damaged()


@pytest.mark.parametrize(("kind", "data"), DAMAGED, ids=[kind for kind, _ in DAMAGED])
def test_a_damaged_or_stale_cache_falls_back_to_compiling(
    kind: str, data: bytes, fresh: dict[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = timelines("aliexpress")  # from the shipped cache
    assert fresh == {}
    real = loader.read_shipped_bytes

    def compiled_with(cache: bytes | None) -> set[expr.GeneratedKey]:
        codecache._used.clear()
        expr._PRECOMPILED.clear()
        _load.cache_clear()
        expr._compile_function.cache_clear()
        fresh.clear()
        monkeypatch.setattr(
            loader,
            "read_shipped_bytes",
            lambda relative: cache if relative.endswith(codecache.SUFFIX) else real(relative),
        )
        assert timelines("aliexpress") == expected
        return set(fresh)

    assert compiled_with(data) == compiled_with(None)  # every source compiled, as without one
    assert fresh


def test_a_missing_cache_falls_back_to_compiling(
    fresh: dict[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = loader.read_shipped_bytes
    monkeypatch.setattr(
        loader,
        "read_shipped_bytes",
        lambda relative: None if relative.endswith(codecache.SUFFIX) else real(relative),
    )
    assert timelines("amazon")
    assert fresh
