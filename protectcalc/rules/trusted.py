"""The validated store: each shipped rule set as plain data that pydantic already accepted.

Why: every ``protectcalc`` command loads a rule set, and validating a shipped one from its
TOML (parsing the TOML, building the pydantic validators of ~20 models, validating) took
about a sixth of the start-up for a result that only changes when the file or the schema
does. So the shipped sets are validated once, when the package is built, and stored next to
their TOML as ``NAME.validated.json``; a command builds the objects of ``schema.py`` from
that data with their constructors, without importing pydantic.

Trust: an entry is used only when it was made from exactly this TOML text and this
``schema.py`` (both by their length and CRC-32: a fingerprint that notices an edit, not a
seal, since the store ships inside the package like its code; ``hashlib`` would cost every
command a few milliseconds to load OpenSSL); otherwise the loader validates the TOML as always, so a
stale or missing store is slower, never wrong. A user's own rule file is always validated.
``tests/test_trusted_store.py`` checks that the shipped store is up to date; after editing a
shipped rule set or the schema, write it again::

    python -m protectcalc.rules.trusted

That also writes the JSON Schema for editors (``rules/rules.schema.json``) and the code cache
of each shipped set's generated functions (``rules/codecache.py``).
"""

from __future__ import annotations

import functools
import json
import types
import zlib
from collections.abc import Callable
from dataclasses import fields
from datetime import date
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

from protectcalc.rules import schema
from protectcalc.rules.schema import RuleSetFile, json_schema, to_json_data, validate_rule_set

SUFFIX = ".validated.json"
"""The store file of rule set NAME is ``rules/data/NAME.validated.json``."""

_DATA = "protectcalc.rules.data"


def digest(text: str) -> str:
    """A text's fingerprint (length and CRC-32 of its UTF-8), the key an entry is made for."""
    data = text.encode("utf-8")
    return f"{len(data)}:{zlib.crc32(data):08x}"


@functools.cache
def schema_digest() -> str:
    """The fingerprint of ``schema.py``'s source: a changed schema makes every entry stale."""
    from protectcalc.rules.loader import read_shipped

    return digest(read_shipped("schema.py") or "")


def store_text(data: RuleSetFile, toml_text: str) -> str:
    """The store file for a rule set validated from ``toml_text``.

    Values equal to their defaults are left out: the constructors put them back.
    """
    entry = {
        "toml_fingerprint": digest(toml_text),
        "schema_fingerprint": schema_digest(),
        "data": to_json_data(data, exclude_defaults=True),
    }
    return json.dumps(entry, ensure_ascii=False, indent=1) + "\n"


def trusted_rule_set(name: str, toml_text: str) -> RuleSetFile | None:
    """The shipped rule set ``name`` from the store, or None when it has no current entry."""
    from protectcalc.rules.loader import read_shipped

    try:
        entry = json.loads(read_shipped(f"data/{name}{SUFFIX}") or "null")
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("toml_fingerprint") != digest(toml_text):
        return None
    if entry.get("schema_fingerprint") != schema_digest():
        return None
    built = _builder(RuleSetFile)(entry["data"])
    assert isinstance(built, RuleSetFile)
    return built


Convert = Callable[[Any], Any]


def _inert_field(*args: Any, **kwargs: Any) -> None:
    """Stands for pydantic's ``Field`` when the store reads the annotations (no pydantic)."""
    return None


@functools.cache
def _annotation_names() -> dict[str, Any]:
    """What ``schema.py``'s annotations name, without pydantic: the constraints are inert."""
    return {
        **vars(schema),
        "Field": _inert_field,
        "Amount": int,
        "Expression": str,
        "Text": str,
    }


_BUILDERS: dict[type[Any], Convert] = {}


def _field_types(kind: type[Any]) -> dict[str, Any]:
    """The type of each field of ``kind``, its annotation text evaluated (all in one go:
    ``typing.get_type_hints`` compiles each annotation apart, a tenth of the start-up left)."""
    items = fields(kind)
    types_ = eval(f"({''.join(f'{item.type}, ' for item in items)})", _annotation_names())
    return {item.name: hint for item, hint in zip(items, types_, strict=True)}


def _builder(kind: type[Any]) -> Convert:
    """How to build a class of ``schema.py`` from its JSON data, already validated."""
    found = _BUILDERS.get(kind)
    if found is not None:
        return found
    converters = {name: _converter(hint) for name, hint in _field_types(kind).items()}

    def build(values: Any) -> Any:
        return kind(**{name: converters[name](value) for name, value in values.items()})

    _BUILDERS[kind] = build
    return build


def _same(value: Any) -> Any:
    return value


def _converter(hint: Any) -> Convert:
    """The function that turns JSON data back into a value of type ``hint``."""
    origin = get_origin(hint)
    args = get_args(hint)
    if origin is Annotated:
        return _converter(args[0])
    if origin in (Union, types.UnionType):
        members = [arg for arg in args if arg is not type(None)]
        if len(members) != 1:
            raise TypeError(f"the store cannot rebuild {hint!r}")
        inner = _converter(members[0])
        return lambda value: None if value is None else inner(value)
    if origin is tuple:
        if len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"the store cannot rebuild {hint!r}")
        item = _converter(args[0])
        return lambda value: tuple(item(v) for v in value)
    if origin is dict:
        entry = _converter(args[1])
        return lambda value: {key: entry(v) for key, v in value.items()}
    if isinstance(hint, type) and issubclass(hint, schema._Strict):
        return lambda value: _builder(hint)(value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    if hint is date:
        return date.fromisoformat
    if hint in (str, int, bool):
        return _same
    raise TypeError(f"the store cannot rebuild {hint!r}")


def write_store() -> list[str]:
    """Validate every shipped rule set from its TOML and write its store file."""
    from pathlib import Path

    from protectcalc.rules.loader import read_raw, shipped_names

    written = []
    from importlib import resources

    folder = Path(str(resources.files(_DATA)))
    for name in shipped_names():
        raw, _, text = read_raw(name)
        data = validate_rule_set(raw)
        target = folder / f"{name}{SUFFIX}"
        target.write_text(store_text(data, text), encoding="utf-8")
        written.append(str(target))
    target = folder.parent / "rules.schema.json"
    target.write_text(schema_text(), encoding="utf-8")
    written.append(str(target))
    return written


def schema_text() -> str:
    """``rules/rules.schema.json``: the JSON Schema of a rule-set file, for editors."""
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    from protectcalc.rules.codecache import write_caches

    for path in [*write_store(), *write_caches()]:
        print(path)
