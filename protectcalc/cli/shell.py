"""The few impure helpers the command line needs: the clock, the system zone, writing files."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from protectcalc.clock import parse_zone


def now() -> datetime:
    """The current instant (tests replace this)."""
    return datetime.now(UTC)


def system_zone() -> ZoneInfo:
    """The machine's IANA zone: ``TZ`` when set, else /etc/localtime, else UTC."""
    name = os.environ.get("TZ", "").strip().lstrip(":")
    if name and not name.startswith("/"):
        return parse_zone(name, "TZ")
    # POSIX also allows a file: TZ=:/etc/localtime or TZ=/usr/share/zoneinfo/Europe/Moscow.
    try:
        target = Path(name or "/etc/localtime").resolve(strict=True)
    except OSError:
        if name:
            return parse_zone(name, "TZ")  # an error naming TZ, never a silent UTC
        return ZoneInfo("UTC")
    parts = target.parts
    if "zoneinfo" in parts:
        key = "/".join(parts[parts.index("zoneinfo") + 1 :])
        try:
            return ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo("UTC")


def write_atomically(path: Path, text: str) -> None:
    """Write a whole file or nothing: a temporary file beside it, then one rename.

    The file gets the permissions an ordinary write would give it: those of the file it
    replaces, or 0666 less the umask for a new one (mkstemp alone would leave it 0600).
    """
    directory = path.parent if str(path.parent) else Path()
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_stdout(text: str) -> None:
    """Machine output: plain text straight to stdout, never through Rich."""
    sys.stdout.write(text)
    sys.stdout.flush()
