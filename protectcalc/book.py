"""The order book: a folder of order files, one per order, named by the buyer.

The pure part of ``protectcalc add``, ``record``, ``orders`` and ``calendar``: where the book
is, which names are safe file names, which events ``record`` knows, the text of a new order
file, and one event added to an existing file with its comments and key order kept. No I/O
and no clock: the environment, the home folder and the current moment come in as arguments.

The files are the order-file format (the scenario format without ``expect``), so a person
can read, edit and keep them in git, and every other command reads them as they are.
"""

from __future__ import annotations

import difflib
import io
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo

from protectcalc.clock import parse_instant, utc, zone_name
from protectcalc.errors import InputError
from protectcalc.model import SINGLE_EVENTS, Order
from protectcalc.order import OrderInput

BOOK_ENV = "PROTECTCALC_ORDERS"
"""The environment variable that moves the book (``--orders`` wins over it)."""

SUFFIXES = (".yaml", ".yml")
MAX_NAME = 80
_NAME_PUNCTUATION = "._-+@"
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10))}
_RESERVED |= {f"lpt{i}" for i in range(10)}


def default_folder(env: Mapping[str, str], home: Path, platform: str) -> Path:
    """The platform's user data folder for the book, by the usual conventions.

    Linux and other Unix: ``$XDG_DATA_HOME/protectcalc/orders`` (an absolute XDG_DATA_HOME
    only, as the XDG spec says), else ``~/.local/share/protectcalc/orders``. macOS:
    ``~/Library/Application Support/protectcalc/orders``. Windows:
    ``%LOCALAPPDATA%\\protectcalc\\orders``.
    """
    if platform == "darwin":
        return home / "Library" / "Application Support" / "protectcalc" / "orders"
    if platform.startswith("win"):
        base = env.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / "protectcalc" / "orders"
    xdg = env.get("XDG_DATA_HOME", "")
    base_path = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share"
    return base_path / "protectcalc" / "orders"


def book_folder(option: Path | None, env: Mapping[str, str], home: Path, platform: str) -> Path:
    """The book: ``--orders DIR``, else ``$PROTECTCALC_ORDERS``, else the user data folder."""
    if option is not None:
        return option
    given = env.get(BOOK_ENV, "").strip()
    if given:
        return Path(given).expanduser()
    return default_folder(env, home, platform)


def check_name(name: str) -> str:
    """An order's name as a safe file name (the file is ``NAME.yaml`` in the book).

    Letters, digits and ``. _ - + @``, starting with a letter or digit: no path separators,
    no ``..``, no control characters or spaces, no hidden files, no device names.
    """
    problem = _name_problem(name)
    if problem is not None:
        raise InputError("NAME", name, problem)
    return name


def is_book_name(name: str) -> bool:
    """True when ``name`` could name an order in the book."""
    return _name_problem(name) is None


def _name_problem(name: str) -> str | None:
    if not name:
        return "is empty: give the order a short name such as 8123 or headphones"
    if len(name) > MAX_NAME:
        return f"is longer than {MAX_NAME} characters"
    if "/" in name or "\\" in name or PurePosixPath(name).name != name or ".." in name:
        return "is a path: an order name is a plain file name such as 8123 or headphones"
    if any(unicodedata.category(char).startswith("C") for char in name):
        return "contains a control character"
    if not name[0].isalnum():
        return "must start with a letter or a digit"
    if any(not (char.isalnum() or char in _NAME_PUNCTUATION) for char in name):
        return f"may hold only letters, digits and {' '.join(_NAME_PUNCTUATION)}"
    if name.lower().endswith(SUFFIXES):
        return "ends in .yaml: give the name without the file suffix"
    if name.split(".")[0].lower() in _RESERVED:
        return "is a device name on Windows: choose another name"
    return None


def order_path(folder: Path, name: str) -> Path | None:
    """The file of the order ``name`` in the book, if there is one."""
    for suffix in SUFFIXES:
        candidate = folder / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class EventKind:
    """An event ``record`` knows: its command-line name, its order field, its place in a file."""

    name: str
    field: str
    key: tuple[str, str]
    many: bool = False
    days: bool = False


EVENTS: tuple[EventKind, ...] = (
    EventKind("placed", "placed", ("order", "placed")),
    EventKind("paid", "paid", ("order", "paid")),
    EventKind("cancel-requested", "cancel_requested", ("order", "cancel_requested")),
    EventKind("shipped", "shipped", ("order", "shipped")),
    EventKind("delivered", "delivered", ("order", "delivered")),
    EventKind("confirmed", "confirmed", ("order", "confirmed")),
    EventKind("estimated-delivery", "estimated_delivery", ("order", "estimated_delivery")),
    EventKind("seller-contacted", "seller_contacted", ("order", "seller_contacted")),
    EventKind("return-submitted", "return_submitted", ("order", "return_submitted")),
    EventKind("transaction-posted", "transaction_posted", ("order", "transaction_posted")),
    EventKind("dispute-opened", "dispute_opened", ("dispute", "opened")),
    EventKind("seller-responded", "seller_responded", ("dispute", "seller_responses"), many=True),
    EventKind("buyer-responded", "buyer_responded", ("dispute", "buyer_responses"), many=True),
    EventKind("escalated", "escalated", ("dispute", "escalated")),
    EventKind("claim-escalated", "claim_escalated", ("dispute", "claim_escalated")),
    EventKind("mediator-asked", "mediator_asked", ("dispute", "mediator_questions"), many=True),
    EventKind("dispute-closed", "dispute_closed", ("dispute", "closed")),
    EventKind("extended", "extended", ("order", "extended"), many=True, days=True),
)
"""What ``protectcalc record NAME EVENT [WHEN]`` accepts, in the order things happen."""

EVENT_NAMES: tuple[str, ...] = tuple(kind.name for kind in EVENTS)


def event_kind(name: str) -> EventKind:
    """The event named on the command line (``seller-responded`` or ``seller_responded``)."""
    key = name.strip().lower().replace("_", "-")
    for kind in EVENTS:
        if kind.name == key:
            return kind
    close = difflib.get_close_matches(key, EVENT_NAMES, n=1)
    hint = f"; did you mean {close[0]}?" if close else f" (one of: {', '.join(EVENT_NAMES)})"
    raise InputError("EVENT", name, f"is not an event protectcalc can record{hint}")


def canonical_moment(instant: datetime, zone: ZoneInfo, now: datetime) -> str:
    """An instant as the file should hold it: local wall-clock text that reads back the same.

    ``2026-03-01`` for local midnight, ``2026-03-04T15:20`` otherwise (seconds only when
    given); an offset is added only where the wall time alone would read back as another
    instant (the repeated hour of a daylight-saving change).
    """
    local = instant.astimezone(zone)
    if local.second or local.microsecond:
        text = local.strftime("%Y-%m-%dT%H:%M:%S")
    elif local.hour or local.minute:
        text = local.strftime("%Y-%m-%dT%H:%M")
    else:
        text = local.date().isoformat()
    if utc(parse_instant(text, zone, now, field="when")) != utc(instant):
        text = local.isoformat(timespec="seconds" if local.second else "minutes")
    return text


def resolve_moment(
    value: str, zone: ZoneInfo, now: datetime, field: str, dayfirst: bool | None
) -> str:
    """What the user typed (``now``, ``yesterday``, ``03/04/2026``) as fixed file text.

    ``now`` is cut to the minute: an event written a little early never makes a deadline
    later than the real one (SPEC 2.1).
    """
    instant = parse_instant(value, zone, now, field=field, dayfirst=dayfirst)
    if isinstance(value, str) and value.strip().lower() == "now":
        instant = instant.replace(second=0, microsecond=0)
    return canonical_moment(instant, zone, now)


_MOMENT_FIELDS = SINGLE_EVENTS
"""Every event that holds one moment (the shared vocabulary's, from the model)."""

_ORDER_SECTION_EVENTS = (
    "placed",
    "paid",
    "cancel_requested",
    "shipped",
    "delivered",
    "confirmed",
    "estimated_delivery",
    "seller_contacted",
    "return_submitted",
    "transaction_posted",
)
"""The events an order file keeps under ``order:`` (the dispute's go under ``dispute:``)."""


def fixed_order(order: OrderInput, zone: ZoneInfo, now: datetime) -> OrderInput:
    """The order with every event as fixed file text, in ``zone``, and no ``as_of``."""
    changes: dict[str, Any] = {"tz": zone_name(zone), "as_of": None, "dayfirst": None}
    for name in _MOMENT_FIELDS:
        value = getattr(order, name)
        if value is not None:
            changes[name] = resolve_moment(str(value), zone, now, name, order.dayfirst)
    for name in ("seller_responded", "buyer_responded", "mediator_asked"):
        changes[name] = tuple(
            resolve_moment(str(value), zone, now, name, order.dayfirst)
            for value in getattr(order, name)
        )
    return replace(order, **changes)


def new_order_text(name: str, order: OrderInput, note: str | None) -> str:
    """The text of a new order file for the book (``order`` already fixed by fixed_order).

    Plain YAML in the order-file format: name, the note as ``description``, the zone, the
    rule set (always written, so the marketplace is explicit), then the events.
    """
    lines = [
        f"# Order {name}: written by `protectcalc add`; `protectcalc record {name} EVENT [WHEN]`",
        "# adds what happens next. Plain YAML (the order-file format): edit it by hand if needed.",
        f"name: {_scalar(name)}",
    ]
    if note:
        lines.append(f"description: {_scalar(note)}")
    lines.append(f"timezone: {_scalar(order.tz or 'UTC')}")
    lines.append(f"rules: {_scalar(order.rules or 'aliexpress')}")
    if order.readings:
        lines.append("readings:")
        for pair in order.readings:
            rule, _, reading = pair.partition("=")
            lines.append(f"  {_scalar(rule.strip())}: {_scalar(reading.strip())}")
    for key in ("buyer_country", "buyer_subdivision", "seller_country", "payment_method"):
        value = getattr(order, key)
        if value is not None:
            lines.append(f"{key}: {_scalar(str(value))}")
    if order.shipping is not None:
        lines.append(f"shipping: {_scalar(str(order.shipping))}")
    if order.also:
        lines.append(f"also: [{', '.join(_scalar(name) for name in order.also)}]")
    events = [(key, getattr(order, key)) for key in _ORDER_SECTION_EVENTS]
    events += [("processing_days", order.processing_days), ("delivery_days", order.delivery_days)]
    section = [f"  {key}: {_scalar(value)}" for key, value in events if value is not None]
    if order.extended:
        section.append(f"  extended: [{', '.join(_scalar(v) for v in order.extended)}]")
    if section:
        lines += ["order:", *section]
    dispute = [
        (key, value)
        for key, value in (
            ("opened", order.dispute_opened),
            ("seller_responses", order.seller_responded),
            ("buyer_responses", order.buyer_responded),
            ("escalated", order.escalated),
            ("claim_escalated", order.claim_escalated),
            ("mediator_questions", order.mediator_asked),
            ("closed", order.dispute_closed),
            ("outcome", order.dispute_outcome),
        )
        if value not in (None, ())
    ]
    if dispute:
        lines.append("dispute:")
        for key, value in dispute:
            shown = (
                f"[{', '.join(_scalar(v) for v in value)}]"
                if isinstance(value, tuple)
                else _scalar(value)
            )
            lines.append(f"  {key}: {shown}")
    return "\n".join(lines) + "\n"


def _scalar(value: object) -> str:
    """A YAML 1.2 scalar that reads back as exactly this value (plain when that is safe)."""
    from protectcalc.scenarios.yaml_reader import plain_scalar

    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    safe = (
        text
        and text == text.strip()
        and text[0] not in "!&*[]{}|>'\"%@`#,?:-"
        and not any(mark in text for mark in (": ", " #", "\n", "\t"))
        and not text.endswith(":")
        and text.isprintable()
    )
    if safe and plain_scalar(text) == text:
        return text
    return json.dumps(text, ensure_ascii=False)


def check_record(order: Order, kind: EventKind, at: datetime | None, moment: datetime) -> None:
    """Refuse an event that cannot follow what the order already holds.

    After the dispute closed nothing more is recorded; an event that happens once cannot be
    recorded twice; an escalated dispute takes only its closing; nothing in the future.
    The engine then checks the order of the events as for any order (``check_order``).
    """
    label = f"record {kind.name}"
    shown = _show(at) if at is not None else None
    if order.dispute_closed is not None:
        raise InputError(
            label,
            shown,
            f"the dispute was closed on {_show(order.dispute_closed)}: nothing can be recorded "
            "after it",
        )
    if not kind.many and getattr(order, kind.field) is not None:
        raise InputError(
            label,
            shown,
            f"is already recorded ({_show(getattr(order, kind.field))}); to correct it, edit "
            "the order file",
        )
    if order.escalated is not None and kind.name not in ("dispute-closed", "mediator-asked"):
        raise InputError(
            label,
            shown,
            f"the dispute was escalated on {_show(order.escalated)}: only mediator-asked and "
            "dispute-closed can be recorded now",
        )
    if at is not None and utc(at) > utc(moment):
        raise InputError(
            label, shown, f"is in the future (it is {_show(moment)}): record events as they happen"
        )


def with_event(
    order: OrderInput, kind: EventKind, value: str | int, outcome: str | None
) -> OrderInput:
    """The order input with one more event (and the dispute's outcome, when closing it)."""
    changes: dict[str, Any] = {}
    if kind.many:
        changes[kind.field] = (*getattr(order, kind.field), value)
    else:
        changes[kind.field] = value
    if outcome is not None:
        changes["dispute_outcome"] = outcome
    return replace(order, **changes)


def recorded_text(text: str, kind: EventKind, value: str | int, outcome: str | None) -> str:
    """The order file's text with one event added, comments, quoting and key order kept.

    A round trip through ruamel.yaml: the new key goes at the end of its section (a new
    ``dispute:`` section after ``order:``), a new list is written in flow style, and the
    file's own indentation is kept.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    indent, offset = _indentation(text)
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=indent, sequence=offset + 2, offset=offset)
    data = yaml.load(text)
    if not isinstance(data, CommentedMap):
        raise ValueError("the file is not a mapping")
    section_name, key = kind.key
    section = data.get(section_name)
    if not isinstance(section, CommentedMap):
        section = CommentedMap()
        if section_name in data:
            data[section_name] = section
        elif section_name == "dispute" and "order" in data:
            data.insert(list(data).index("order") + 1, section_name, section)
        else:
            data[section_name] = section
    item: Any = _yaml_value(value)
    if kind.many:
        existing = section.get(key)
        if isinstance(existing, list):
            existing.append(item)
        else:
            items = CommentedSeq([] if existing is None else [existing])
            items.append(item)
            items.fa.set_flow_style()
            section[key] = items
    else:
        section[key] = item
    if outcome is not None:
        section["outcome"] = outcome
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _indentation(text: str) -> tuple[int, int]:
    """The file's own mapping indent and block-sequence dash offset (2 and 2 by default)."""
    mapping: int | None = None
    offset: int | None = None
    parent = 0
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        column = len(line) - len(stripped)
        if stripped.startswith("- "):
            if offset is None and column >= parent:
                offset = column - parent
            continue
        if mapping is None and column > parent:
            mapping = column - parent
        parent = column
    return mapping or 2, 2 if offset is None else offset


def _yaml_value(value: str | int) -> Any:
    """A date-only text as a date (written plain, not quoted); anything else as it is."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _show(value: object) -> str:
    if isinstance(value, datetime):
        if value.hour == value.minute == value.second == 0:
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def parse_reminders(values: list[str], default: tuple[timedelta, ...]) -> tuple[timedelta, ...]:
    """``--remind 2d --remind 3h``: distinct offsets before a deadline, longest first."""
    from protectcalc.clock import parse_duration

    if not values:
        return default
    spans: set[timedelta] = set()
    for value in values:
        span = parse_duration(value, "remind")
        if span <= timedelta(0):
            raise InputError("remind", value, "must be longer than zero")
        if span > timedelta(days=60):
            raise InputError("remind", value, "is more than 60 days before the deadline")
        spans.add(span)
    return tuple(sorted(spans, reverse=True))
