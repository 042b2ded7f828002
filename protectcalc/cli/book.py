"""The order book commands: ``add``, ``record``, ``orders``, ``calendar``; also ``completion``
and ``man``.

The shell only: find the book, read and write files, ask the clock, print. What is decided
(names, events, the new file text, the calendar) is in :mod:`protectcalc.book` and
:mod:`protectcalc.render.bookcal`. Heavy modules are imported inside the commands, so
registering these commands costs the start-up of ``timeline`` nothing measurable.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from protectcalc.cli import (
    EXIT_BAD_INPUT,
    FormatOption,
    OrdersOption,
    OutputOption,
    compute_order,
    console_out,
    emit,
    file_message,
    order_options,
)
from protectcalc.cli.completers import event_names, order_names, outcome_names
from protectcalc.errors import InputError, RuleSetError
from protectcalc.order import OrderInput
from protectcalc.render import OutputFormat

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from protectcalc.model import Order, Timeline
    from protectcalc.render.bookout import BookRow

BOOK_PANEL = "Order book"

app = typer.Typer(
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=False,
)
"""The order-book commands; the main group loads them on first use (see BOOK_COMMANDS)."""


def book_commands() -> dict[str, Any]:
    """The click commands of this module, by name, for the main group."""
    group = typer.main.get_command(app)
    return dict(getattr(group, "commands", {}))


NameArgument = Annotated[
    str,
    typer.Argument(
        help="The order's name in the book (a plain file name: letters, digits, . _ - + @).",
        show_default=False,
        autocompletion=order_names,
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Judge every order as of this moment (default now).",
        show_default=False,
    ),
]


def book_dir(option: Path | None) -> Path:
    """The order book folder: ``--orders``, ``$PROTECTCALC_ORDERS``, or the user data folder."""
    from protectcalc.book import book_folder

    return book_folder(option, os.environ, Path.home(), sys.platform)


def resolve_order_file(path: Path, orders: Path | None) -> Path:
    """An order file as given, or the book's order of that name (a path that exists wins)."""
    from protectcalc.book import is_book_name, order_path

    if path.exists():
        return path
    name = str(path)
    if not is_book_name(name):
        return path  # the file loader says "no such file", naming it
    folder = book_dir(orders)
    found = order_path(folder, name)
    if found is None:
        raise InputError(
            "ORDER_FILE",
            name,
            f"is neither a file nor an order in the book {folder} (protectcalc orders lists them)",
        )
    return found


def book_files(folder: Path) -> list[Path]:
    """The order files of the book: ``*.yaml`` and ``*.yml`` directly in it, not hidden."""
    from protectcalc.book import SUFFIXES

    try:
        items = list(folder.iterdir())
    except FileNotFoundError:
        return []
    except OSError as error:
        raise InputError("orders", str(folder), f"cannot be read ({error.strerror})") from None
    return sorted(
        item
        for item in items
        if item.suffix in SUFFIXES and not item.name.startswith(".") and item.is_file()
    )


def _moment(as_of: str | None, zone: ZoneInfo) -> datetime:
    """The moment the command acts at: ``--as-of``, else the clock."""
    from protectcalc.cli.shell import now
    from protectcalc.clock import parse_instant

    clock = now()
    if as_of is None:
        return clock.astimezone(zone)
    return parse_instant(as_of, zone, clock, field="as_of")


def _order_zone(order: OrderInput) -> ZoneInfo:
    from protectcalc.cli.shell import system_zone
    from protectcalc.clock import parse_zone

    return parse_zone(order.tz) if order.tz is not None else system_zone()


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


@app.command()
@order_options
def add(
    name: NameArgument,
    order: OrderInput,
    orders: OrdersOption = None,
    note: Annotated[
        str | None,
        typer.Option(
            "--note",
            help="A note kept in the file (what you bought, the order number).",
            show_default=False,
            rich_help_panel=BOOK_PANEL,
        ),
    ] = None,
) -> None:
    """Add an order to the order book: checked first, written whole, never over another.

    The order file is plain YAML (the order-file format) named [cyan]NAME.yaml[/cyan] in the
    book; [cyan]now[/cyan], [cyan]today[/cyan] and day-first dates are written as fixed ISO
    dates in the order's zone (the system zone unless [cyan]--tz[/cyan]), with the note and
    the rule set. Then [cyan]protectcalc record NAME EVENT[/cyan] adds what happens next.

    [bold]Examples[/bold]

        [cyan]protectcalc add 8123 --shipped 2026-02-10 --delivery-days 45 --tz Europe/Moscow \\
        --note "Headphones"[/cyan]

        [cyan]protectcalc add lamp order.yaml[/cyan]   (take in an existing order file)
    """
    from protectcalc.book import check_name, fixed_order, new_order_text, order_path
    from protectcalc.engine.status import order_status
    from protectcalc.render.bookout import next_line

    check_name(name)
    folder = book_dir(orders)
    existing = order_path(folder, name)
    if existing is not None:
        raise InputError(
            "NAME",
            name,
            f"is already in the book ({_shown(existing)}): record events with protectcalc "
            "record, or choose another name",
        )
    zone = _order_zone(order)
    moment = _moment(None if order.as_of is None else str(order.as_of), zone)
    rules = order.rules
    if rules is not None and ("/" in rules or "\\" in rules or rules.endswith(".toml")):
        rules = str(Path(rules).resolve())  # the book file lives elsewhere
    fixed = fixed_order(replace(order, rules=rules), zone, moment)
    parsed, computed = compute_order(replace(fixed, as_of=moment))
    text = new_order_text(name, _whole_counts(fixed), note)
    path = folder / f"{name}.yaml"
    _check_written_text(text, path, moment)
    _create(path, text)
    _say(f"added {name} ({_shown(path)}): {next_line(order_status(parsed, computed))}")


def _whole_counts(order: OrderInput) -> OrderInput:
    """Day counts as whole numbers (``045`` is written 45), once the engine accepted them."""

    def whole(value: str | int | None) -> int | None:
        return None if value is None else int(str(value).strip())

    return replace(
        order,
        processing_days=whole(order.processing_days),
        delivery_days=whole(order.delivery_days),
        extended=tuple(int(str(value).strip()) for value in order.extended),
    )


def _check_written_text(text: str, path: Path, moment: datetime) -> None:
    """The text to be written reads back as a valid order (a bug guard: never write junk)."""
    from protectcalc.scenarios.replay import load_text
    from protectcalc.scenarios.yaml_reader import FileProblems

    try:
        loaded = load_text(text, str(path), path.parent, scenario=False)
        compute_order(replace(loaded.order, as_of=moment))
    except (FileProblems, InputError, RuleSetError) as error:
        raise InputError(str(path), None, f"would not read back as an order ({error})") from None


def _create(path: Path, text: str) -> None:
    """Write a new file whole, and never over an existing one (even one made meanwhile)."""
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as error:
        raise InputError(
            "orders", str(path.parent), f"cannot be written ({error.strerror})"
        ) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        umask = os.umask(0)
        os.umask(umask)
        Path(temporary).chmod(0o666 & ~umask)
        try:
            os.link(temporary, path)  # atomic, and fails when the name is taken
        except FileExistsError:
            raise InputError("NAME", path.stem, "was added meanwhile; nothing written") from None
        except OSError:  # a file system without hard links
            if path.exists():
                raise InputError("NAME", path.stem, "is already in the book") from None
            Path(temporary).replace(path)
    finally:
        Path(temporary).unlink(missing_ok=True)


@app.command()
def record(
    name: NameArgument,
    event: Annotated[
        str,
        typer.Argument(
            help="What happened: placed, paid, cancel-requested, shipped, delivered, confirmed, "
            "dispute-opened, seller-responded, buyer-responded, escalated, dispute-closed, "
            "extended.",
            show_default=False,
            autocompletion=event_names,
        ),
    ],
    when: Annotated[
        str | None,
        typer.Argument(
            help="When (default now): a date or date-time, now, today, yesterday; for "
            "extended, the number of days.",
            show_default=False,
        ),
    ] = None,
    outcome: Annotated[
        str | None,
        typer.Option(
            "--outcome",
            help="With dispute-closed: buyer_won, seller_won, partial or cancelled.",
            show_default=False,
            autocompletion=outcome_names,
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="The moment you record it (default now): now, today and yesterday count "
            "from it, and nothing after it can be recorded.",
            show_default=False,
        ),
    ] = None,
    dayfirst: Annotated[
        bool, typer.Option("--dayfirst", help="Read 03/04/2026 as 3 April.")
    ] = False,
    monthfirst: Annotated[
        bool, typer.Option("--monthfirst", help="Read 03/04/2026 as 4 March.")
    ] = False,
    orders: OrdersOption = None,
) -> None:
    """Record one event of an order in the book, checked against the events already there.

    An event out of order, one recorded twice, one in the future, or anything after the
    dispute was closed is refused (exit 2) and the file is left exactly as it was. The
    file keeps its comments, key order and quoting; it is written whole or not at all.

    [bold]Examples[/bold]

        [cyan]protectcalc record 8123 delivered 2026-03-04T15:20[/cyan]

        [cyan]protectcalc record 8123 seller-responded now[/cyan]

        [cyan]protectcalc record 8123 extended 15[/cyan]

        [cyan]protectcalc record 8123 dispute-closed --outcome buyer_won[/cyan]
    """
    from protectcalc.book import (
        check_name,
        check_record,
        event_kind,
        order_path,
        recorded_text,
        resolve_moment,
        with_event,
    )
    from protectcalc.cli.shell import write_atomically
    from protectcalc.clock import parse_instant, parse_zone
    from protectcalc.engine.status import order_status
    from protectcalc.render.bookout import next_line
    from protectcalc.scenarios.orderfile import errors_located_in, load_order_input
    from protectcalc.scenarios.yaml_reader import decode

    kind = event_kind(event)
    check_name(name)
    if dayfirst and monthfirst:
        raise InputError("dayfirst", None, "and --monthfirst cannot both be given")
    reading = True if dayfirst else False if monthfirst else None
    if outcome is not None and kind.name != "dispute-closed":
        raise InputError("outcome", outcome, "goes with dispute-closed only")
    folder = book_dir(orders)
    path = order_path(folder, name)
    if path is None:
        raise InputError(
            "NAME", name, f"is not an order in the book {folder} (protectcalc orders lists them)"
        )
    raw = path.read_bytes()
    text, bom = decode(raw, str(path))
    before = load_order_input(path)
    zone = parse_zone(before.tz or "UTC")
    moment = _moment(as_of, zone)
    with errors_located_in(path, before):
        parsed, _ = compute_order(replace(before, as_of=moment))
    label = f"record {kind.name}"
    value: str | int
    if kind.days:
        if when is None or not when.strip().isdigit() or len(when.strip()) > 4:
            raise InputError(label, when, "needs a whole number of days: record NAME extended 15")
        value, at = int(when.strip()), None
    else:
        value = resolve_moment(when or "now", zone, moment, label, reading)
        at = parse_instant(value, zone, moment, field=label)
    check_record(parsed, kind, at, moment)
    chosen = outcome.strip().lower().replace("-", "_") if outcome is not None else None
    after = with_event(before, kind, value, chosen)
    try:
        parsed, computed = compute_order(replace(after, as_of=moment))
    except InputError as error:
        if error.field == kind.field:
            raise InputError(label, value, error.problem) from None
        raise InputError(label, value, f"does not fit the events recorded: {error}") from None
    new_text = recorded_text(text, kind, value, chosen)
    _check_recorded(new_text, path, after)
    if path.read_bytes() != raw:
        raise InputError(str(path), None, "changed while the event was being recorded; try again")
    try:
        write_atomically(path, ("\ufeff" if bom else "") + new_text)
    except OSError as error:
        raise InputError(str(path), None, f"cannot be written ({error.strerror})") from None
    shown = value if kind.days else _shown_moment(value)
    _say(f"recorded {name} {kind.name} {shown}: {next_line(order_status(parsed, computed))}")


def _shown_moment(value: str | int) -> str:
    return str(value).replace("T", " ")


def _check_recorded(text: str, path: Path, expected: OrderInput) -> None:
    """The rewritten file holds exactly the order expected (a guard against a bad round trip)."""
    from protectcalc.scenarios.replay import load_text
    from protectcalc.scenarios.yaml_reader import FileProblems

    try:
        loaded = load_text(text, str(path), path.parent, scenario=False)
    except FileProblems as error:
        raise InputError(str(path), None, f"could not be updated safely ({error})") from None
    if replace(loaded.order, as_of=None) != replace(expected, as_of=None):
        raise InputError(
            str(path), None, "could not be updated without changing other values; edit it by hand"
        )


def _load_book(
    folder: Path, as_of: str | None
) -> tuple[list[tuple[str, Path, str | None, Order, Timeline]], list[tuple[str, str]]]:
    """Every order of the book computed as of one moment, and the files that failed."""
    from protectcalc.scenarios.yaml_reader import FileProblems

    computed: list[tuple[str, Path, str | None, Order, Timeline]] = []
    errors: list[tuple[str, str]] = []
    for path in book_files(folder):
        try:
            parsed, timeline = _compute_book_file(path, as_of)
        except (InputError, RuleSetError, FileProblems) as error:
            errors.append((str(path), file_message(path, str(error))))
            continue
        computed.append((path.stem, path, _note(path), parsed, timeline))
    return computed, errors


def _book_row(path: Path, as_of: str | None) -> BookRow | tuple[str, str]:
    """One order of the book as ``orders`` lists it, or its file and error line."""
    from protectcalc.engine.status import open_buyer_deadlines
    from protectcalc.render.bookout import BookRow
    from protectcalc.scenarios.orderfile import forget_loaded
    from protectcalc.scenarios.yaml_reader import FileProblems

    try:
        # orders shows the phase and the next deadline: no warnings, traps or texts
        parsed, timeline = _compute_book_file(path, as_of, deadlines_only=True)
        deadlines = open_buyer_deadlines(parsed, timeline)
        note = _note(path)
    except (InputError, RuleSetError, FileProblems) as error:
        return str(path), file_message(path, str(error))
    finally:
        forget_loaded(path)
    first = deadlines[0] if deadlines else None
    return BookRow(path.stem, path, note, timeline.rules, timeline.phase, first)


def _compute_book_file(
    path: Path, as_of: str | None, deadlines_only: bool = False
) -> tuple[Order, Timeline]:
    """One order file of the book computed as of ``as_of`` (its own as_of is ignored), its
    errors placed by line in the file."""
    from protectcalc.scenarios.orderfile import errors_located_in, load_order_input

    used = replace(load_order_input(path), as_of=as_of)
    with errors_located_in(path, used):
        return compute_order(used, deadlines_only=deadlines_only)


def _note(path: Path) -> str | None:
    from protectcalc.scenarios.orderfile import _LOADED

    loaded = _LOADED.get(path)
    return loaded.record.description if loaded is not None else None


@app.command(name="orders")
def list_orders(
    orders: OrdersOption = None,
    as_of: AsOfOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
) -> None:
    """List the orders in the book: name, rule set, phase, and the next deadline of yours.

    Soonest next deadline first. A file that cannot be read is named on stderr and the
    others are still listed (exit 2 at the end).

    [bold]Examples[/bold]

        [cyan]protectcalc orders[/cyan]

        [cyan]protectcalc orders --format json[/cyan]
    """
    from functools import partial

    from protectcalc.cli.parallel import map_in_order
    from protectcalc.cli.progress import progress
    from protectcalc.clock import utc
    from protectcalc.render.bookout import (
        BookRow,
        render_orders_csv,
        render_orders_json,
        render_orders_table,
    )

    if output_format is OutputFormat.ICS:
        raise InputError("format", output_format.value, "orders can be shown as table, json or csv")
    _check_as_of(as_of)
    folder = book_dir(orders)
    files = book_files(folder)
    with progress("orders", enabled=output_format is OutputFormat.TABLE) as step:
        found = map_in_order(partial(_book_row, as_of=as_of), files, step)
    rows = [item for item in found if isinstance(item, BookRow)]
    errors = [item for item in found if not isinstance(item, BookRow)]
    far = datetime.max.replace(tzinfo=None)
    rows.sort(
        key=lambda row: (
            utc(row.next.due).replace(tzinfo=None) if row.next else far,
            row.name,
        )
    )
    for _path, message in errors:
        sys.stderr.write(f"protectcalc: {message}\n")
    match output_format:
        case OutputFormat.JSON:
            emit(render_orders_json(rows, folder, errors), None)
        case OutputFormat.CSV:
            emit(render_orders_csv(rows), None)
        case _:
            console_out(render_orders_table(rows, folder))
    if errors:
        raise typer.Exit(EXIT_BAD_INPUT)


def _check_as_of(as_of: str | None) -> None:
    """A bad --as-of fails once, here, not once per order."""
    if as_of is not None:
        from zoneinfo import ZoneInfo

        _moment(as_of, ZoneInfo("UTC"))


@app.command()
def calendar(
    output: OutputOption = None,
    orders: OrdersOption = None,
    as_of: AsOfOption = None,
    remind: Annotated[
        list[str] | None,
        typer.Option(
            "--remind",
            help="A reminder this long before each deadline (2d, 3h, 1d12h); repeatable. "
            "Default: 2d and 1d.",
            show_default=False,
        ),
    ] = None,
    reminder_events: Annotated[
        bool,
        typer.Option(
            "--reminder-events",
            help="Also write each reminder as an event of its own (Google Calendar and "
            "Outlook drop the reminders of imported files).",
        ),
    ] = False,
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous",
            help="The calendar written last time, to update (default: the -o FILE itself).",
            show_default=False,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Write every order's deadlines of yours into one calendar file (iCalendar, RFC 5545).

    Each order and deadline keeps one UID, so importing the file again updates your calendar
    instead of doubling it: a deadline that moved gets a higher SEQUENCE, one that no longer
    applies (dispute opened, answered or closed; order removed from the book) is written as
    cancelled. That needs the previous export, which is read from the [cyan]-o FILE[/cyan]
    being replaced (or [cyan]--previous FILE[/cyan]). Any bad order file stops it: exit 2,
    nothing written.

    [bold]Examples[/bold]

        [cyan]protectcalc calendar -o ~/deadlines.ics[/cyan]

        [cyan]protectcalc calendar -o ~/deadlines.ics --remind 3d --remind 3h \\
        --reminder-events[/cyan]
    """
    from protectcalc.book import parse_reminders
    from protectcalc.render.bookcal import (
        DEFAULT_REMINDERS,
        BookOrder,
        read_previous,
        render_book_calendar,
        wanted_events,
    )

    reminders = parse_reminders(remind or [], DEFAULT_REMINDERS)
    _check_as_of(as_of)
    folder = book_dir(orders)
    if not folder.is_dir():
        raise InputError(
            "orders", str(folder), "no such folder: add an order first (protectcalc add NAME ...)"
        )
    computed, errors = _load_book(folder, as_of)
    if errors:
        for _path, message in errors[1:]:
            sys.stderr.write(f"protectcalc: {message}\n")
        raise InputError(errors[0][1], None, "fix this order file first; no calendar was written")
    state_file = previous if previous is not None else output
    state = {}
    if state_file is not None and (previous is not None or state_file.exists()):
        field = "previous" if previous is not None else "output"
        try:
            state = read_previous(state_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(field, str(state_file), f"cannot be read ({error})") from None
        except ValueError as error:
            raise InputError(field, str(state_file), str(error)) from None
    entries = [
        BookOrder(name, note, order, timeline) for name, _path, note, order, timeline in computed
    ]
    stamp = computed[0][4].as_of if computed else _moment(as_of, _utc())
    text, change = render_book_calendar(
        wanted_events(entries, reminders, reminder_events), state, stamp
    )
    emit(text, output)
    sys.stderr.write(
        f"calendar: {len(entries)} order{'s' if len(entries) != 1 else ''}; {change.new} new, "
        f"{change.moved} moved, {change.cancelled} cancelled, {change.unchanged} unchanged\n"
    )


def _utc() -> ZoneInfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo("UTC")


class CompletionShell(StrEnum):
    """The shells ``completion`` writes a script for."""

    BASH = "bash"
    ZSH = "zsh"
    FISH = "fish"


@app.command()
def completion(
    shell: Annotated[
        CompletionShell,
        typer.Argument(help="bash, zsh or fish.", case_sensitive=False, show_default=False),
    ],
) -> None:
    """Print the shell completion script: commands, options, order names, events, rule sets.

    [bold]Examples[/bold] (install it)

        [cyan]protectcalc completion bash > \\
        ~/.local/share/bash-completion/completions/protectcalc[/cyan]

        [cyan]protectcalc completion zsh > "${fpath[1]}/_protectcalc"[/cyan]

        [cyan]protectcalc completion fish > ~/.config/fish/completions/protectcalc.fish[/cyan]
    """
    from typer._completion_shared import get_completion_script

    script = get_completion_script(
        prog_name="protectcalc", complete_var=COMPLETE_VAR, shell=shell.value
    )
    emit(script + "\n", None)


COMPLETE_VAR = "_PROTECTCALC_COMPLETE"
"""The variable the completion script sets when it asks ``protectcalc`` for completions."""


@app.command(name="man")
def manual(output: OutputOption = None) -> None:
    """Print the manual page (roff), made from the --help of every command.

    [bold]Examples[/bold]

        [cyan]protectcalc man | man -l -[/cyan]

        [cyan]protectcalc man -o ~/.local/share/man/man1/protectcalc.1[/cyan]
    """
    from typer._click import Context

    from protectcalc import __version__
    from protectcalc.cli import app as main_app
    from protectcalc.render.manpage import render_man

    root = typer.main.get_command(main_app)
    context = Context(root, info_name="protectcalc")
    names = root.list_commands(context)  # type: ignore[attr-defined]
    commands = [(name, root.get_command(context, name)) for name in names]  # type: ignore[attr-defined]
    listed = [(name, command) for name, command in commands if command is not None]
    emit(render_man(root, listed, __version__, context), output)
