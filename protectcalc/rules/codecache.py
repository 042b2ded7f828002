"""The code cache: the generated functions of each shipped rule set, compiled when it is built.

Why: a rule set's expressions, conditions and templates become generated Python functions
(``rules/expr.py``), and ``compile()`` of their sources cost every command about a quarter of
its instructions (aliexpress: some 160 sources). Their code objects depend only on the source
text and the Python that compiles them, so ``python -m protectcalc.rules.trusted`` stores them
per shipped rule set as ``rules/data/NAME.generated.marshal``, and loading that rule set takes
them from there instead of compiling.

Trust: an entry is keyed by its whole source text and label, so a source that changed since
the file was written is simply not found and compiled as always (slower, never wrong). The
file is used only when it was written by a Python with this bytecode (``MAGIC_NUMBER``) and
its payload has the CRC-32 it was written with; anything else (missing, foreign, truncated,
corrupted) is ignored. A user's own rule file always compiles. ``tests/test_code_cache.py``
fails when a shipped set's file misses a source for the running Python; write them again::

    python -m protectcalc.rules.trusted
"""

from __future__ import annotations

import marshal
import zlib
from importlib.util import MAGIC_NUMBER
from types import CodeType

from protectcalc.rules import expr

SUFFIX = ".generated.marshal"
"""The code cache of rule set NAME is ``rules/data/NAME.generated.marshal``."""

_HEADER = b"protectcalc generated code\n"
"""What the file starts with, before ``MAGIC_NUMBER``, the payload's CRC-32 and the payload."""

_used: set[str] = set()
"""The shipped rule sets whose code cache this process has already taken."""


def use_shipped_code(name: str) -> None:
    """Let the generated functions of shipped rule set ``name`` come from its code cache."""
    if name in _used:
        return
    _used.add(name)
    from protectcalc.rules.loader import read_shipped_bytes

    data = read_shipped_bytes(f"data/{name}{SUFFIX}")
    codes = codes_from(data) if data is not None else None
    if codes:
        expr.use_precompiled(codes)


def codes_from(data: bytes) -> dict[expr.GeneratedKey, CodeType] | None:
    """The code objects a cache file holds, or None when it is not one this Python wrote."""
    prefix = _HEADER + MAGIC_NUMBER
    if not data.startswith(prefix) or len(data) < len(prefix) + 4:
        return None
    checksum = int.from_bytes(data[len(prefix) : len(prefix) + 4], "big")
    payload = data[len(prefix) + 4 :]
    if zlib.crc32(payload) != checksum:
        return None
    try:
        codes = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(codes, dict):
        return None
    for key, code in codes.items():
        if not (
            isinstance(key, tuple)
            and len(key) == 2
            and all(isinstance(part, str) for part in key)
            and isinstance(code, CodeType)
        ):
            return None
    return codes


def cache_bytes(codes: dict[expr.GeneratedKey, CodeType]) -> bytes:
    """A code cache file holding ``codes`` (in key order, so equal codes write equal files)."""
    payload = marshal.dumps(dict(sorted(codes.items())))
    return _HEADER + MAGIC_NUMBER + zlib.crc32(payload).to_bytes(4, "big") + payload


def generated_codes(name: str) -> dict[expr.GeneratedKey, CodeType]:
    """Every generated source that loading shipped rule set ``name`` compiles, with its code:
    as shipped, in each effective period, and with each reading chosen alone."""
    from protectcalc.rules import _load, load_rule_set
    from protectcalc.rules.plan import _boundaries

    _used.add(name)  # its cache file, perhaps stale, is not taken: every source is compiled
    _load.cache_clear()
    expr._compile_function.cache_clear()
    expr._PRECOMPILED.clear()
    found = expr.record_compiled()
    try:
        rule_set = load_rule_set(name)
        variants = [rule_set]
        for rule_id, rule in rule_set.items():
            variants += [load_rule_set(name, {rule_id: reading}) for reading in rule.alternatives]
        for variant in variants:
            for day in _boundaries(variant):
                variant.plan_for(day)
    finally:
        expr.stop_recording()
        _load.cache_clear()
    return found


def write_caches() -> list[str]:
    """Write the code cache of every shipped rule set; the paths written."""
    from importlib import resources
    from pathlib import Path

    from protectcalc.rules.loader import shipped_names

    folder = Path(str(resources.files("protectcalc.rules.data")))
    written = []
    for name in shipped_names():
        target = folder / f"{name}{SUFFIX}"
        target.write_bytes(cache_bytes(generated_codes(name)))
        written.append(str(target))
    return written
