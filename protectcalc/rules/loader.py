"""Reading rule-set files: shipped names or paths, ``extends``, validation with line numbers.

Every problem is one line ``file:line: key: problem`` (a :class:`RuleSetError`), so that
``protectcalc rules check`` and every command that loads rules say the same thing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from protectcalc.errors import InputError, RuleSetError
from protectcalc.rules.schema import RuleSetFile, validate_rule_set

MAX_FILE_BYTES = 1024 * 1024
"""A rule set is a few kilobytes; a larger file is refused before it is read."""

_MERGED_TABLES = ("inputs", "rules", "milestones", "tables", "phase")
"""Sections a file that ``extends`` another changes entry by entry."""
_APPENDED_LISTS = ("warnings", "late_events", "ranges")
"""Sections whose entries a file that ``extends`` another adds after the base's."""


def shipped_names() -> list[str]:
    """The rule sets shipped in the package, by name."""
    from importlib import resources

    data = resources.files("protectcalc.rules.data")
    return sorted(
        item.name.removesuffix(".toml") for item in data.iterdir() if item.name.endswith(".toml")
    )


def is_shipped_name(source: str) -> bool:
    """A bare name (no folder, no .toml) names a shipped rule set."""
    return "/" not in source and "\\" not in source and not source.endswith(".toml")


def file_stamp(source: str) -> str | None:
    """A digest of a rule-set file's text, so a cached rule set is never stale after an edit.

    The file is read each time (a few kilobytes); parsing, validating and compiling it is
    what the cache saves. An unreadable file gets no stamp and fails when it is loaded.
    """
    if is_shipped_name(source):
        return None
    import hashlib

    try:
        text, _ = read_text(source)
    except (InputError, RuleSetError):
        return None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_RULES_FOLDER = Path(__file__).parent


def read_shipped(relative: str) -> str | None:
    """A file of the package's ``rules`` folder (``data/aliexpress.toml``) as text, or None."""
    data = read_shipped_bytes(relative)
    return data.decode("utf-8") if data is not None else None


def read_shipped_bytes(relative: str) -> bytes | None:
    """A file of the package's ``rules`` folder as bytes, or None.

    Read from the folder itself when the package is installed as files (every ordinary
    install): importing and first using importlib.resources costs some milliseconds, a share
    of every command's start-up. A package inside a zip file is read through
    importlib.resources.
    """
    try:
        return (_RULES_FOLDER / relative).read_bytes()
    except (OSError, ValueError):
        pass
    from importlib import resources

    resource = resources.files("protectcalc.rules").joinpath(relative)
    return resource.read_bytes() if resource.is_file() else None


def read_text(source: str) -> tuple[str, str]:
    """The text of a shipped rule set or a rule-set file, and how to name it."""
    if is_shipped_name(source):
        text = read_shipped(f"data/{source}.toml")
        if text is None:
            known = ", ".join(shipped_names())
            raise InputError("rules", source, f"is not a shipped rule set (known: {known})")
        return text, source
    from protectcalc.files import FileRefused, read_limited

    try:
        raw = read_limited(Path(source), MAX_FILE_BYTES)
    except FileRefused as refused:
        if refused.problem == "no such file":
            raise InputError("rules", source, "no such rule set file") from None
        raise RuleSetError(f"rule set {source}: {refused.problem}") from None
    try:
        return raw.decode("utf-8"), source
    except UnicodeDecodeError:
        raise RuleSetError(f"rule set {source}: is not UTF-8 text") from None


def read_raw(source: str, seen: tuple[str, ...] = ()) -> tuple[dict[str, Any], str, str]:
    """The file's TOML as data with any ``extends`` merged in, its origin and its text."""
    import tomllib  # only when a file is validated: the shipped sets come from the store

    text, origin = read_text(source)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RuleSetError(f"{origin}: not valid TOML ({error})") from None
    base_name = raw.get("extends")
    if base_name is None:
        return raw, origin, text
    if not isinstance(base_name, str) or not base_name.strip():
        raise RuleSetError(f"{origin}:{locate(text, ('extends',))}: extends: names no rule set")
    if not is_shipped_name(base_name):
        base_name = str(Path(origin).parent / base_name) if origin else base_name
    if base_name in (*seen, origin):
        chain = " -> ".join((*seen, origin, base_name))
        raise RuleSetError(f"{origin}: extends: a rule set extends itself ({chain})")
    base, _, _ = read_raw(base_name, (*seen, origin))
    return merge(base, raw), origin, text


def merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """The base rule set changed by a child: tables entry by entry, lists appended."""
    merged = dict(base)
    for key, value in child.items():
        if key in _MERGED_TABLES and isinstance(value, dict):
            merged[key] = {**base.get(key, {}), **value}
        elif key in _APPENDED_LISTS and isinstance(value, list):
            merged[key] = [*base.get(key, []), *value]
        elif key == "summary" and isinstance(value, dict):
            merged[key] = {**base.get(key, {}), **value}
        elif key == "reads" and isinstance(value, list):
            merged[key] = list(dict.fromkeys([*base.get(key, []), *value]))
        else:
            merged[key] = value
    merged.pop("extends", None)
    return merged


def read_rule_set_file(source: str) -> tuple[RuleSetFile, str]:
    """Read, merge and validate a rule set; errors name the file, line and key.

    A shipped rule set comes from the validated store when it has a current entry
    (``rules/trusted.py``): validated when the package was built, not again on every start.
    """
    if is_shipped_name(source):
        from protectcalc.rules.trusted import trusted_rule_set

        text, origin = read_text(source)
        trusted = trusted_rule_set(source, text)
        if trusted is not None:
            return trusted, origin
    raw, origin, text = read_raw(source)
    from pydantic import ValidationError

    try:
        return validate_rule_set(raw), origin
    except ValidationError as error:
        first = error.errors()[0]
        loc = tuple(str(part) for part in first["loc"])
        message = _PLAIN_MESSAGES.get(first["type"], first["msg"])
        raise RuleSetError(problem_line(origin, text, loc, message)) from None


_PLAIN_MESSAGES = {"unexpected_keyword_argument": "Extra inputs are not permitted"}
"""pydantic's words for an unknown key of a dataclass, as it says them for a model."""


def problem_line(origin: str, text: str, loc: tuple[str, ...], message: str) -> str:
    """``file:line: key.path: problem`` (the line is found in the file's text)."""
    key = ".".join(part for part in loc if not part.isdigit() and part != "function-after")
    key = key.replace("from_", "from")
    message = message.removeprefix("Value error, ")
    return f"{origin}:{locate(text, loc)}: {key}: {message}"


def locate(text: str, loc: tuple[str, ...]) -> int:
    """The line where a key path is written (the nearest table header when not found)."""
    parts = [part for part in loc if not part.isdigit() and not part.startswith("function")]
    lines = text.splitlines()
    best = 1
    start = 0
    # Walk the key path: find the deepest table header that names a prefix of it.
    for depth in range(len(parts), 0, -1):
        header = ".".join(re.escape(part) for part in parts[:depth])
        pattern = re.compile(rf"^\s*\[\[?\s*{header}\s*\]?\]\s*(#.*)?$")
        for number, line in enumerate(lines, start=1):
            if pattern.match(line):
                best, start = number, number
                break
        else:
            continue
        break
    if parts:
        leaf = re.escape(parts[-1].removesuffix("_"))
        key_line = re.compile(rf"^\s*\"?{leaf}\"?\s*=")
        for number in range(start, len(lines)):
            line = lines[number]
            if number > start and line.lstrip().startswith("[") and start:
                break
            if key_line.match(line):
                return number + 1
    return best
