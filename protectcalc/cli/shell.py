"""The few impure helpers the command line needs: the clock, the system zone, writing files."""

from __future__ import annotations

import os
import sys
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
    """Write a whole file or nothing, and keep what is there: raises FileRefused, never more.

    The text goes to a temporary file in the target's folder, then one rename replaces the
    target, so a reader never sees half a file. A symlink is followed: the file it points
    at is written and the link stays a link. The new file keeps the old one's permissions
    and owner (a new file gets 0666 less the umask; mkstemp alone would leave it 0600).
    Refused, with nothing written: a device, FIFO, socket or folder (a rename would replace
    the node itself); a read-only file; a file with more than one hard link (a rename
    would silently split the links, and writing in place could leave half a file); a file
    whose owner cannot be kept.
    """
    from protectcalc.files import FileRefused, kind_of

    target = Path(os.path.realpath(path))
    try:
        info: os.stat_result | None = target.stat()
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise FileRefused(f"cannot be written ({error.strerror or error})") from None
    if info is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    else:
        kind = kind_of(info.st_mode)
        if kind is not None:
            raise FileRefused(f"is {kind}, not a regular file: not written")
        if info.st_nlink > 1:
            raise FileRefused(
                f"has {info.st_nlink} hard links: not rewritten (a new file would split them)"
            )
        if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
            raise FileRefused("is read-only: not rewritten")
        mode = info.st_mode & 0o7777
    import tempfile  # only when a file is written: not on every command's start-up

    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as error:
        raise FileRefused(f"cannot be written ({error.strerror or error})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            _keep_owner(stream.fileno(), info)
            os.fchmod(stream.fileno(), mode)  # after fchown, which may clear set-id bits
            os.fsync(stream.fileno())
        Path(temporary).replace(target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise FileRefused(f"cannot be written ({error.strerror or error})") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _keep_owner(descriptor: int, old: os.stat_result | None) -> None:
    """Give the new file the old one's owner and group, or refuse to replace it."""
    from protectcalc.files import FileRefused

    if old is None:
        return
    new = os.fstat(descriptor)
    if (new.st_uid, new.st_gid) == (old.st_uid, old.st_gid):
        return
    try:
        os.fchown(descriptor, old.st_uid, old.st_gid)
    except PermissionError:
        raise FileRefused(
            f"belongs to user {old.st_uid}, group {old.st_gid}: not rewritten "
            "(a new file would change its owner)"
        ) from None


def write_stdout(text: str) -> None:
    """Machine output: plain text straight to stdout, never through Rich."""
    sys.stdout.write(text)
    sys.stdout.flush()
