"""The command line: parse, call the pure core, render, exit with a documented code.

Exit codes: 0 success; 1 a replay or check found a mismatch; 2 bad input or usage (one
line on stderr naming the option or file, the value and what is wrong; nothing on
stdout); 3 ``status --within`` found a buyer deadline inside that time; 130 Ctrl-C.
"""

import copy
import functools
import inspect
import os
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import typer
from typer.core import TyperGroup

from protectcalc import __version__
from protectcalc.cli.completers import order_names, rule_set_names
from protectcalc.errors import InputError, RuleSetError, error_lines
from protectcalc.model import Order, Timeline

if TYPE_CHECKING:
    from protectcalc.engine.layers import Layered
    from protectcalc.engine.status import DueRow
from protectcalc.order import OrderInput, build_order
from protectcalc.render import OutputFormat

EXIT_OK = 0
EXIT_MISMATCH = 1
EXIT_BAD_INPUT = 2
EXIT_DEADLINE_NEAR = 3
EXIT_INTERRUPTED = 130

BOOK_COMMANDS = ("add", "record", "orders", "calendar", "completion", "man")
"""Commands of cli/book.py, built only when asked for, so that timeline starts as fast."""


class _Group(TyperGroup):
    """The command group; the order-book commands (cli/book.py) are loaded on first use."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = list(super().list_commands(ctx))
        return names + [name for name in BOOK_COMMANDS if name not in names]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in BOOK_COMMANDS and cmd_name not in self.commands:
            from protectcalc.cli.book import book_commands

            for name, command in book_commands().items():
                self.commands.setdefault(name, command)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    cls=_Group,
    name="protectcalc",
    help="Buyer-protection deadlines for marketplace orders (AliExpress first): "
    "when protection ends, when to open a dispute, and how the dispute rounds run.",
    rich_markup_mode="rich",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=False,
)


def _flags_without_placeholder() -> None:
    """--help shows no ``<bool>`` after a flag (--update, --dayfirst, --help): it takes no value.

    Typer prints each option's type, and a flag's type is ``<bool>``; a reader then types
    ``--update true``. Its rich help asks ``display_type_rich`` for the text, so a flag answers
    with nothing. Options that take a value are unchanged.
    """
    from typer.core import TyperOption

    original = TyperOption.display_type_rich
    if getattr(original, "_protectcalc", False):
        return

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag else original(self, ctx)

    display_type_rich._protectcalc = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_without_placeholder()


_NO_SHORTCUT = object()


def _coerced_without_adapter(param: Any, ctx: Any, value: Any) -> Any:
    """What Typer's adapter would return for a given value, or ``_NO_SHORTCUT``.

    For a text, a choice (an Enum) and a path, and a list of them, Typer's adapter only calls
    Typer's own functions, which are called here directly: a text comes out unchanged, a
    choice is matched by ``coerce_cli_choice``, a path checked by ``coerce_cli_path``. Any
    other type, and any value those refuse (so that Typer words the error), goes through
    Typer's adapter as before.
    """
    from typing import get_args, get_origin

    descriptor = param.type_descriptor
    info = descriptor.parameter_info
    if info.parser is not None or descriptor.file_annotation is not None:
        return _NO_SHORTCUT
    annotation = descriptor.annotation
    if get_origin(annotation) is list:
        if not isinstance(value, list | tuple):
            return _NO_SHORTCUT  # Typer refuses a lone text for a list, in its own words
        (item_type,) = get_args(annotation)
        items = [_leaf_without_adapter(param, ctx, item_type, item) for item in value]
        return _NO_SHORTCUT if any(item is _NO_SHORTCUT for item in items) else items
    if param.multiple or param.nargs != 1:
        return _NO_SHORTCUT
    return _leaf_without_adapter(param, ctx, annotation, value)


def _leaf_without_adapter(param: Any, ctx: Any, annotation: Any, value: Any) -> Any:
    """One value as Typer's leaf adapter gives it (``build_leaf_adapter``), or ``_NO_SHORTCUT``."""
    from pathlib import Path

    from typer._param_types import (
        choice_coercion_annotation,
        coerce_cli_choice,
        coerce_cli_path,
        routes_to_path,
    )

    if not isinstance(value, str):
        return _NO_SHORTCUT
    if annotation is str:
        return value
    info = param.type_descriptor.parameter_info
    found = choice_coercion_annotation(annotation, info)
    try:
        if found is not None:
            choices, case_sensitive = found
            return coerce_cli_choice(value, choices=choices, case_sensitive=case_sensitive, ctx=ctx)
        if routes_to_path(annotation, info):
            path_type = info.path_type
            if path_type is None and isinstance(annotation, type) and issubclass(annotation, Path):
                path_type = annotation
            path_class = isinstance(path_type, type) and issubclass(path_type, Path)
            if path_class and not value:
                return _NO_SHORTCUT
            # Typer turns the text into a path with a pydantic adapter of its own: done here.
            given = path_type(value) if path_class else value
            return coerce_cli_path(given, info, path_type=path_type, param=param, ctx=ctx)
    except Exception:  # refused: Typer's adapter raises its own error for it
        return _NO_SHORTCUT
    return _NO_SHORTCUT


def _no_coercion_for_absent_options() -> None:
    """Typer's pydantic adapters are built only where they do something.

    Typer coerces every parameter through a pydantic ``TypeAdapter`` that it builds on first
    use, also for an option that was not given, whose value is None and whose coercion
    returns None (or ``()`` for a repeatable option) without using the adapter. ``timeline``
    has some forty options; building their adapters cost about a tenth of its start-up.
    Here such a value takes the same result without the adapter, and so do a given text, a
    choice and a path, and lists of them (``_coerced_without_adapter``): building even one
    adapter imports pydantic and its plugin machinery, a third of a command's start-up.
    Everything else is coerced by Typer as before.
    """
    try:
        from typer._click.exceptions import MissingParameter
        from typer._param_types import (  # noqa: F401  (the shortcut's helpers exist)
            choice_coercion_annotation,
            coerce_cli_choice,
            coerce_cli_path,
            routes_to_path,
        )
        from typer.core import _TyperParameter
    except ImportError:  # another Typer: no shortcut, the same results
        return
    original = _TyperParameter.process_value
    lazy = "_runtime_param" in getattr(_TyperParameter, "__annotations__", {})
    if not lazy or getattr(original, "_protectcalc", False):
        return

    def process_value(self: _TyperParameter, ctx: Any, value: Any) -> Any:
        if self._runtime_param is not None:
            return original(self, ctx, value)
        if value is None:
            value = () if self.multiple or self.nargs == -1 else None  # RuntimeParam.coerce(None)
        else:
            shortcut = _coerced_without_adapter(self, ctx, value)
            if shortcut is _NO_SHORTCUT:
                return original(self, ctx, value)
            value = shortcut
        if self.required and self.value_is_missing(value):
            raise MissingParameter(ctx=ctx, param=self)
        if self.callback is not None:
            value = self.callback(ctx, self, value)
        return value

    process_value._protectcalc = True  # type: ignore[attr-defined]
    _TyperParameter.process_value = process_value  # type: ignore[method-assign]


_no_coercion_for_absent_options()

EVENTS_PANEL = "Order events (YYYY-MM-DD, YYYY-MM-DDTHH:MM[+HH:MM], today, yesterday, now)"
LISTING_PANEL = "Listing, place and rules"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"protectcalc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Buyer-protection deadlines for marketplace orders."""


_METAVARS: dict[str, str] = {
    "--dispute-outcome": "OUTCOME",
    "--processing-days": "DAYS",
    "--delivery-days": "DAYS",
    "--extended": "DAYS",
    "--tz": "ZONE",
    "--buyer-country": "CC",
    "--buyer-subdivision": "CODE",
    "--seller-country": "CC",
    "--payment-method": "METHOD",
    "--shipping": "KIND",
    "--rules": "NAME|FILE",
    "--reading": "RULE=NAME",
    "--set": "RULE=VALUE",
    "--also": "NAME|FILE",
}
"""What each option's value is, for --help (event options take a DATE)."""


def _option(flag: str, text: str, panel: str, complete: Any = None) -> Any:
    return typer.Option(
        flag,
        help=text,
        rich_help_panel=panel,
        show_default=False,
        metavar=_METAVARS.get(flag, "DATE"),
        autocompletion=complete,
    )


def _event(flag: str, text: str) -> Any:
    return Annotated[str | None, _option(flag, text, EVENTS_PANEL)]


def _listing(flag: str, text: str) -> Any:
    return Annotated[str | None, _option(flag, text, LISTING_PANEL)]


def _many(flag: str, text: str, panel: str) -> Any:
    return Annotated[list[str] | None, _option(flag, text, panel)]


_ORDER_OPTIONS: dict[str, Any] = {
    "placed": _event("--placed", "When the order was placed."),
    "paid": _event("--paid", "When the payment was confirmed."),
    "cancel_requested": _event(
        "--cancel-requested", "When you asked to cancel (paid, not shipped)."
    ),
    "shipped": _event("--shipped", "When the seller shipped."),
    "delivered": _event("--delivered", "When tracking showed 'Issued to recipient'."),
    "confirmed": _event("--confirmed", "When receipt was confirmed (also by accident)."),
    "dispute_opened": _event("--dispute-opened", "When you opened the dispute."),
    "seller_responded": _many(
        "--seller-responded",
        "When the seller answered; repeat for each round, in order.",
        EVENTS_PANEL,
    ),
    "buyer_responded": _many(
        "--buyer-responded", "When you answered/edited the dispute; repeat, in order.", EVENTS_PANEL
    ),
    "escalated": _event("--escalated", "When the dispute escalated to the administration."),
    "mediator_asked": _many(
        "--mediator-asked",
        "When the mediator asked you a question (escalated dispute); repeat for each.",
        EVENTS_PANEL,
    ),
    "dispute_closed": _event("--dispute-closed", "When the dispute was closed."),
    "estimated_delivery": _event(
        "--estimated-delivery",
        "The latest estimated delivery date shown at checkout (eBay, Amazon, Etsy, Temu, card).",
    ),
    "seller_contacted": _event(
        "--seller-contacted", "When you first wrote to the seller about the problem."
    ),
    "claim_escalated": _event(
        "--claim-escalated",
        "When the dispute went to the platform (PayPal claim, 'ask eBay to step in').",
    ),
    "return_submitted": _event("--return-submitted", "When you submitted a return request."),
    "transaction_posted": _event(
        "--transaction-posted", "The card statement's posting (processing) date of the payment."
    ),
    "dispute_outcome": _listing(
        "--dispute-outcome", "How it closed: buyer_won, seller_won, partial, cancelled."
    ),
    "processing_days": _listing("--processing-days", "Processing time from the listing, days."),
    "delivery_days": _listing("--delivery-days", "Delivery period from the listing, days."),
    "extended": _many(
        "--extended", "Days the seller extended protection; repeatable.", LISTING_PANEL
    ),
    "tz": _listing("--tz", "The order's IANA time zone (default: the system zone)."),
    "buyer_country": _listing("--buyer-country", "Your country (ISO code) for business days."),
    "buyer_subdivision": _listing(
        "--buyer-subdivision", "Your state or region, where the calendar needs one."
    ),
    "seller_country": _listing("--seller-country", "The seller's country (default CN)."),
    "payment_method": _listing(
        "--payment-method",
        "card, wallet, cash, western_union, bank_transfer, cash_on_delivery: where a refund goes.",
    ),
    "shipping": _listing("--shipping", "standard (default) or premium."),
    "rules": Annotated[
        str | None,
        _option(
            "--rules",
            "Rule set name or TOML file (default aliexpress).",
            LISTING_PANEL,
            rule_set_names,
        ),
    ],
    "readings": _many(
        "--reading",
        "Pick another reading where the seeds disagree: RULE=NAME; repeatable.",
        LISTING_PANEL,
    ),
    "sets": _many(
        "--set",
        "Override one rule's number for this run: RULE=VALUE (e.g. seller_response=6); repeatable.",
        LISTING_PANEL,
    ),
    "also": _many(
        "--also",
        "Also compute another programme protecting the same order (e.g. paypal, card); repeatable.",
        LISTING_PANEL,
    ),
    "as_of": _listing("--as-of", "Judge the order as of this moment (default now)."),
    "dayfirst": Annotated[
        bool,
        typer.Option(
            "--dayfirst", help="Read 03/04/2026 as 3 April.", rich_help_panel=LISTING_PANEL
        ),
    ],
    "monthfirst": Annotated[
        bool,
        typer.Option(
            "--monthfirst", help="Read 03/04/2026 as 4 March.", rich_help_panel=LISTING_PANEL
        ),
    ],
}
_ORDER_FILE = Annotated[
    Path | None,
    typer.Argument(
        help="An order file (YAML, the scenario format without expect), or the name of an "
        "order in the book; options given on the command line override it.",
        show_default=False,
        autocompletion=order_names,
    ),
]
OrdersOption = Annotated[
    Path | None,
    typer.Option(
        "--orders",
        help="The order book folder (default: $PROTECTCALC_ORDERS, else "
        "$XDG_DATA_HOME/protectcalc/orders or ~/.local/share/protectcalc/orders).",
        show_default=False,
        file_okay=False,
        metavar="DIR",
    ),
]

F = TypeVar("F", bound=Callable[..., Any])


def order_options(func: F) -> F:
    """Give a command the shared order options; it receives them as ``order: OrderInput``.

    The options are declared once here; the command's own parameters come first.
    """
    own = [
        p
        for p in inspect.signature(func, eval_str=True).parameters.values()
        if p.name not in ("order", "orders")
    ]
    wants_orders = "orders" in inspect.signature(func).parameters
    shared = [
        inspect.Parameter(
            "order_file", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=_ORDER_FILE
        ),
        inspect.Parameter(
            "orders", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=OrdersOption
        ),
    ]
    for name, annotation in _ORDER_OPTIONS.items():
        default: Any = False if name in ("dayfirst", "monthfirst") else None
        shared.append(
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
            )
        )

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        values = {name: kwargs.pop(name) for name in _ORDER_OPTIONS}
        order_file, orders = kwargs.pop("order_file"), kwargs.pop("orders")
        if wants_orders:
            kwargs["orders"] = orders
        if order_file is not None:  # a path that exists, else the book's order of that name
            from protectcalc.cli.book import resolve_order_file

            order_file = resolve_order_file(order_file, orders)
        kwargs["order"] = _order_input(order_file, values)
        if order_file is None:
            return func(**kwargs)
        from protectcalc.scenarios.orderfile import errors_located_in

        with errors_located_in(order_file, kwargs["order"]):
            return func(**kwargs)

    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + shared
    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper  # type: ignore[return-value]


def _order_input(order_file: Path | None, values: dict[str, Any]) -> OrderInput:
    dayfirst, monthfirst = values.pop("dayfirst"), values.pop("monthfirst")
    if dayfirst and monthfirst:
        raise InputError("dayfirst", None, "and --monthfirst cannot both be given")
    for name in (
        "seller_responded",
        "buyer_responded",
        "mediator_asked",
        "extended",
        "readings",
        "sets",
        "also",
    ):
        values[name] = tuple(values[name] or ())
    given = OrderInput(**values, dayfirst=True if dayfirst else False if monthfirst else None)
    if order_file is None:
        return given
    from protectcalc.scenarios.orderfile import load_order_input

    return load_order_input(order_file).merged(given)


def compute(order: OrderInput) -> Timeline:
    """Parse the order, load its rules and compute the timeline (the shell's one core call)."""
    return compute_order(order)[1]


def compute_order(
    order: OrderInput, deadlines_only: bool = False, traces: bool = False
) -> tuple[Order, Timeline]:
    """The parsed :class:`Order` and its timeline (``status`` and ``due`` need both).

    ``deadlines_only``: the milestones and phase only (``compute_deadlines``), for ``due``;
    ``traces``: each milestone's steps too, for ``timeline --explain``.
    """
    from protectcalc.cli.shell import now, system_zone
    from protectcalc.engine.scalar import compute_deadlines, compute_timeline
    from protectcalc.rules import load_rule_set, parse_readings, parse_sets

    if order.is_empty():
        raise InputError(
            "ORDER",
            None,
            "no order events given: give at least one of --placed, "
            "--paid, --shipped, --delivered, --confirmed, --dispute-opened "
            "(or an order file)",
        )
    zone = system_zone() if order.tz is None else None
    rules = load_rule_set(order.rules, parse_readings(order.readings), parse_sets(order.sets))
    parsed, as_of = build_order(order, now(), zone or _utc_zone())
    if deadlines_only:
        return parsed, compute_deadlines(parsed, rules, as_of)
    return parsed, compute_timeline(parsed, rules, as_of, traces=traces)


def compute_layered(order: OrderInput) -> tuple[Order, "Layered"]:
    """Every layer of the order: ``--rules`` and each ``--also``, from the same events."""
    from protectcalc.cli.shell import now, system_zone
    from protectcalc.engine.layers import compute_layers
    from protectcalc.rules import load_rule_set, parse_readings, parse_sets

    if order.is_empty():
        compute_order(order)  # the same one-line refusal
    zone = system_zone() if order.tz is None else None
    main = load_rule_set(order.rules, parse_readings(order.readings), parse_sets(order.sets))
    seen = {main.name}
    also = []
    for name in order.also:
        rules = load_rule_set(name)
        if rules.name in seen:
            raise InputError("also", name, f"names the rule set {rules.name} a second time")
        seen.add(rules.name)
        also.append(rules)
    parsed, as_of = build_order(order, now(), zone or _utc_zone())
    return parsed, compute_layers(parsed, main, also, as_of)


def _utc_zone() -> ZoneInfo:
    return ZoneInfo("UTC")


FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        "-f",
        help="table (default), json, csv, ics; chart (bars in the terminal); svg or html "
        "(a picture; needs protectcalc[plot]).",
        case_sensitive=False,
    ),
]


class StatusFormat(StrEnum):
    """The formats ``status`` and ``rules`` accept (--help lists only these)."""

    TABLE = "table"
    JSON = "json"


class DueFormat(StrEnum):
    """The formats ``due`` accepts (--help lists only these)."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


StatusFormatOption = Annotated[
    StatusFormat,
    typer.Option("--format", "-f", help="table (default) or json.", case_sensitive=False),
]
DueFormatOption = Annotated[
    DueFormat,
    typer.Option("--format", "-f", help="table (default), json or csv.", case_sensitive=False),
]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write to this file (whole or not at all) instead of stdout.",
        show_default=False,
        dir_okay=False,
    ),
]


def emit(text: str, output: Path | None) -> None:
    """Write machine output to a file atomically, or to stdout."""
    from protectcalc.cli.shell import write_stdout

    if output is None:
        write_stdout(text)
    else:
        write_file(output, text, "output")


def write_file(path: Path, text: str, field: str) -> None:
    """Write an output file whole or not at all; never over a file this command read."""
    from protectcalc.cli.shell import write_atomically
    from protectcalc.files import FileRefused, was_read

    if was_read(path):
        raise InputError(field, str(path), "is a file this command reads: not overwritten")
    try:
        write_atomically(path, text)
    except FileRefused as refused:
        raise InputError(field, str(path), refused.problem) from None
    typer.echo(f"wrote {path}", err=True)


def render(
    timeline: Timeline, output_format: OutputFormat, output: Path | None, name: str = "order"
) -> None:
    """Render a timeline in the chosen format (table and chart through Rich, the rest as plain
    text); ``name`` names the order in a picture's title."""
    match output_format:
        case OutputFormat.JSON:
            from protectcalc.render.jsonout import render_json

            emit(render_json(timeline), output)
        case OutputFormat.CSV:
            from protectcalc.render.csvout import render_csv

            emit(render_csv(timeline), output)
        case OutputFormat.ICS:
            from protectcalc.render.ics import render_ics

            emit(render_ics(timeline), output)
        case OutputFormat.TABLE:
            from protectcalc.render.table import render_table

            if output is not None:
                raise InputError(
                    "output", str(output), "needs a machine format: --format json, csv or ics"
                )
            console_out(render_table(timeline))
        case OutputFormat.CHART:
            from protectcalc.render.chart import render_chart
            from protectcalc.render.windows import programme_name

            if output is not None:
                raise InputError(
                    "output", str(output), "needs a file format: --format json, csv, ics, svg, html"
                )
            console_out(render_chart([(programme_name(timeline), timeline)], name))
        case OutputFormat.SVG | OutputFormat.HTML:
            from protectcalc.render.picture import render_picture

            emit(render_picture(timeline, output_format.value, name), output)


def render_layered(layered: "Layered", output_format: OutputFormat, output: Path | None) -> None:
    """Every layer of an order: a section each (table), ``layers`` (json), one calendar."""
    match output_format:
        case OutputFormat.JSON:
            from protectcalc.render.jsonout import render_layered_json

            emit(render_layered_json(layered), output)
        case OutputFormat.ICS:
            from protectcalc.render.ics import render_ics

            others = [(layer.name, layer.timeline) for layer in layered.also]
            emit(render_ics(layered.main.timeline, others), output)
        case OutputFormat.CSV:
            raise InputError("format", "csv", "--also is shown as table, json or ics")
        case OutputFormat.TABLE:
            from protectcalc.render.table import render_layered_table

            if output is not None:
                raise InputError(
                    "output", str(output), "needs a machine format: --format json or ics"
                )
            console_out(render_layered_table(layered))


def console_out(renderable: Any) -> None:
    """Print a Rich renderable: colour only on a terminal, NO_COLOR honoured."""
    from rich.console import Console

    class QuietOnBrokenPipe(Console):
        def on_broken_pipe(self) -> None:
            # Rich would exit 1 (our "mismatch" code); run() ends quietly with 0 instead.
            self.quiet = True
            raise BrokenPipeError

    QuietOnBrokenPipe(highlight=False).print(renderable)


@app.command()
@order_options
def timeline(
    ctx: typer.Context,
    order: OrderInput,
    output_format: FormatOption = OutputFormat.TABLE,
    output: OutputOption = None,
    explain: Annotated[
        str | None,
        typer.Option(
            "--explain",
            help="Explain one milestone step by step: the events, rules and readings it "
            "comes from, and the arithmetic.",
            metavar="MILESTONE",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Print every deadline of an order, with who must act and the source of each rule.

    [bold]Examples[/bold]

    Receipt confirmed by accident on 1 March, parcel still on its way:

        [cyan]protectcalc timeline --confirmed 2026-03-01 --tz Europe/Moscow[/cyan]

    A parcel in transit with a 45-day delivery period, as JSON for a script:

        [cyan]protectcalc timeline --shipped 2026-02-10 --delivery-days 45 --format json[/cyan]

    A dispute in its second round:

        [cyan]protectcalc timeline --dispute-opened 2026-03-15 --seller-responded 2026-03-17 \\
        --buyer-responded 2026-03-26[/cyan]

    Why is protection_end on that day?

        [cyan]protectcalc timeline --confirmed 2026-03-01 --explain protection_end[/cyan]
    """
    if order.also and explain is None:
        render_layered(compute_layered(order)[1], output_format, output)
        return
    if explain is not None:
        from protectcalc.render.explain import render_explain

        emit(render_explain(compute_order(order, traces=True)[1], explain), output)
        return
    render(compute(order), output_format, output, _order_name(ctx))


def _order_name(ctx: typer.Context) -> str:
    """How a picture names the order: its file's name, else "order"."""
    order_file = ctx.params.get("order_file")
    return order_file.name if isinstance(order_file, Path) else "order"


WithinOption = Annotated[
    str | None,
    typer.Option(
        "--within",
        help="Exit 3 when one of your deadlines falls within this time from --as-of "
        "(36h, 3d, 2d12h, P2D).",
        show_default=False,
    ),
]


@app.command()
@order_options
def status(
    ctx: typer.Context,
    order: OrderInput,
    within: WithinOption = None,
    output_format: StatusFormatOption = StatusFormat.TABLE,
) -> None:
    """Say where an order stands: the phase, what to do next, by when, and the time left.

    Warns loudly about the traps of the seeds (never "Accept" a counter-offer, never cancel a
    dispute when protection is about to expire, never confirm receipt early). Exit codes: 0,
    2 bad input, 3 one of your deadlines falls within [cyan]--within[/cyan].

    [bold]Examples[/bold]

        [cyan]protectcalc status --confirmed 2026-03-01 --tz Europe/Moscow[/cyan]

    From cron: warn when a deadline is less than two days away (exit 3; 2 is bad input):

        [cyan]protectcalc status order.yaml --within 2d; [ $? = 3 ] && notify-send "Act"[/cyan]
    """
    from protectcalc.clock import parse_duration
    from protectcalc.engine.status import order_status

    span = parse_duration(within, "within") if within is not None else None
    layered = None
    if order.also:
        parsed, layered = compute_layered(order)
        computed = layered.main.timeline
    else:
        parsed, computed = compute_order(order)
    result = order_status(parsed, computed, span)
    if layered is not None:
        from protectcalc.engine.layers import layered_near

        result = layered_near(parsed, layered, result, span)
    if output_format is StatusFormat.JSON:
        from protectcalc.render.statusout import render_status_json

        emit(render_status_json(result, layered), None)
    else:
        from rich.console import Group

        from protectcalc.render.chart import render_chart
        from protectcalc.render.fit import Fit
        from protectcalc.render.statusout import NARROW, render_status_table
        from protectcalc.render.windows import programme_name

        lanes = [(programme_name(computed), computed)]
        if layered is not None:
            lanes += [(layer.name, layer.timeline) for layer in layered.all[1:]]
        chart = render_chart(lanes, _order_name(ctx))
        # The strip needs room for its bars; a narrow terminal keeps the stacked text only.
        console_out(Group(render_status_table(result, layered), Fit(chart, Group(), NARROW)))
    if result.near:
        raise typer.Exit(EXIT_DEADLINE_NEAR)


@app.command()
def due(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Order files (YAML) or folders of them, read recursively "
            "(default: the order book).",
            show_default=False,
        ),
    ] = None,
    within: WithinOption = None,
    orders: OrdersOption = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Judge every order as of this moment (default now); an as_of in a file is "
            "ignored.",
            show_default=False,
        ),
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz",
            metavar="ZONE",
            help="The zone of a date-only --as-of (default: the system zone).",
            show_default=False,
        ),
    ] = None,
    output_format: DueFormatOption = DueFormat.TABLE,
) -> None:
    """List every upcoming deadline of yours across many order files, soonest first.

    A file that cannot be read is named on stderr and the others are still listed. Exit
    codes: 3 when a deadline falls within [cyan]--within[/cyan] (even if a file was bad: the
    near deadline is the urgent news), else 2 when a file was bad, else 0.

    [bold]Examples[/bold]

        [cyan]protectcalc due[/cyan]   (every order in the book)

        [cyan]protectcalc due ~/orders/[/cyan]

        [cyan]protectcalc due ~/orders/ --within 3d --format csv[/cyan]
    """
    from functools import partial

    from protectcalc.cli.parallel import map_in_order
    from protectcalc.cli.progress import progress
    from protectcalc.clock import parse_duration
    from protectcalc.engine.status import soonest_first

    span = parse_duration(within, "within") if within is not None else None
    from protectcalc.cli.shell import now, system_zone
    from protectcalc.clock import parse_instant, parse_zone

    # One instant for every order: a date-only --as-of is 00:00 in --tz (or the system zone),
    # not each order's own local midnight, so equal deadlines show equal time left.
    zone = parse_zone(tz, "tz") if tz is not None else system_zone()
    moment = parse_instant(as_of, zone, now(), field="as_of") if as_of is not None else now()
    if paths:
        files, errors = _order_files(paths)
    else:  # the order book; an empty or missing book has nothing due
        from protectcalc.cli.book import book_dir, book_files

        files, errors = book_files(book_dir(orders)), []
    task = partial(_due_of_file, moment=moment, within=span)
    with progress("due", enabled=output_format is not DueFormat.JSON) as step:
        results = map_in_order(task, files, step)
    computed = sum(count for count, _rows, _errors in results)
    rows = soonest_first([row for _count, found, _errors in results for row in found])
    errors.extend(error for _count, _rows, found in results for error in found)
    for _path, message in errors:
        sys.stderr.write(f"protectcalc: {message}\n")
    if errors and not computed:
        # Not one order was read: a bare header or "no deadlines" would read as "all clear".
        raise typer.Exit(EXIT_BAD_INPUT)
    match output_format:
        case DueFormat.JSON:
            from protectcalc.render.statusout import render_due_json

            emit(render_due_json(rows, errors), None)
        case DueFormat.CSV:
            from protectcalc.render.statusout import render_due_csv

            emit(render_due_csv(rows), None)
        case _:
            from protectcalc.render.statusout import render_due_table

            console_out(render_due_table(rows))
    if span is not None and rows:
        raise typer.Exit(EXIT_DEADLINE_NEAR)
    if errors:
        raise typer.Exit(EXIT_BAD_INPUT)


def _due_of_file(
    path: Path, moment: datetime, within: timedelta | None
) -> tuple[int, list["DueRow"], list[tuple[str, str]]]:
    """One order file for ``due``: how many timelines it gave, its rows, its error lines."""
    from protectcalc.engine.status import due_rows

    computed = []
    try:
        name, raw = _load_named_order(path)
        used = raw.with_fields(as_of=moment)
        with _located_in(path, used):
            if used.also:
                parsed, layered = compute_layered(used)
                for layer in layered.all:
                    computed.append((f"{name} [{layer.name}]", path, parsed, layer.timeline))
            else:
                # due lists dates, labels and notes: no explanations, warnings or traps
                parsed, result = compute_order(used, deadlines_only=True)
                computed.append((name, path, parsed, result))
    except (InputError, RuleSetError) as error:
        found = [(str(path), file_message(path, line)) for line in error_lines(error)]
        return 0, [], found
    finally:
        from protectcalc.scenarios.orderfile import forget_loaded

        forget_loaded(path)  # placed in the file or not, its errors are told by now
    return len(computed), due_rows(computed, within), []


def _order_files(paths: list[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """The YAML files named or inside the folders named (hidden folders skipped), sorted."""
    from protectcalc.files import yaml_files_in

    files: list[Path] = []
    errors: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(found: Path, real: str) -> None:
        # The same file named twice, or through a symlink, is listed once.
        if real not in seen:
            seen.add(real)
            files.append(found)

    for path in paths:
        if path.is_dir():
            found = yaml_files_in(path)
            if not found:
                errors.append((str(path), f"{path}: no order files (*.yaml, *.yml) in it"))
            for item, real in found:
                add(item, real)
        elif path.exists():  # a device or FIFO too: the reader refuses it by name
            add(path, str(path.resolve()))
        else:
            errors.append((str(path), f"{path}: no such file or folder"))
    return files, errors


def _load_named_order(path: Path) -> tuple[str, OrderInput]:
    """An order file's ``name:`` (its file name when it has none) and its order."""
    from protectcalc.scenarios.orderfile import load_order_input, order_name

    order = load_order_input(path)  # validates the file, errors named by line
    name = order_name(path)  # from the same read: the file is parsed once
    return (str(name).strip() or path.stem) if name is not None else path.stem, order


def _located_in(path: Path, used: OrderInput) -> Any:
    from protectcalc.scenarios.orderfile import errors_located_in

    return errors_located_in(path, used)


def file_message(path: Path, text: str) -> str:
    """One line naming the file: ``orders/a.yaml:4:14: order.confirmed 2026-02-30: ...``."""
    return text if text.startswith(str(path)) else f"{path}: {text}"


class ReplayFormat(StrEnum):
    """How ``replay`` reports: lines for people or one JSON object for scripts."""

    TEXT = "text"
    JSON = "json"


@app.command()
def replay(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Scenario files, folders (searched recursively for *.yaml and *.yml) or "
            "quoted globs such as 'scenarios/**/dst_*.yaml' (default: scenarios/).",
            show_default=False,
        ),
    ] = None,
    junit: Annotated[
        Path | None,
        typer.Option(
            "--junit",
            help="Also write a JUnit XML report to this file for CI (whole or not at all).",
            show_default=False,
            dir_okay=False,
        ),
    ] = None,
    report_format: Annotated[
        ReplayFormat,
        typer.Option(
            "--format",
            "-f",
            help="text (default): a line per scenario; json: one report object for scripts.",
            case_sensitive=False,
        ),
    ] = ReplayFormat.TEXT,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="Rewrite the failing expectations from what the engine computes now "
            "(only those values: comments, key order and quoting are kept).",
        ),
    ] = False,
    orders: Annotated[
        bool,
        typer.Option(
            "--orders",
            help="Also accept order files (no expect): each passes when it reads and gives "
            "a timeline (for a pre-commit hook over every changed YAML file).",
        ),
    ] = False,
) -> None:
    """Replay scenario files: compute each order and check the deadlines it must give.

    One line per scenario (PASS, FAIL or ERROR, its path and name), what differs under it.
    The last line is [cyan]replay: N passed, N failed[/cyan]; the other files always run.
    Exit codes: 0 all passed; 1 a scenario failed; 2 a file could not be read or validated.

    [bold]Examples[/bold]

        [cyan]protectcalc replay[/cyan]

        [cyan]protectcalc replay scenarios/disputes --junit replay.xml[/cyan]

        [cyan]protectcalc replay 'scenarios/**/*dst*.yaml' --format json[/cyan]

        [cyan]protectcalc replay scenarios/fifty_three_days --update[/cyan]
    """
    from protectcalc.cli.parallel import map_in_order
    from protectcalc.cli.progress import progress
    from protectcalc.cli.shell import now
    from protectcalc.scenarios.replay import Replayer, Tally
    from protectcalc.scenarios.report import json_report, junit_report, text_report

    with progress("replay", enabled=report_format is ReplayFormat.TEXT) as step:
        outcomes = Replayer(now(), orders=orders).replay(
            paths or ["scenarios"], update=update, progress=step, spread=map_in_order
        )
    match report_format:
        case ReplayFormat.JSON:
            emit(json_report(outcomes), None)
        case ReplayFormat.TEXT:
            emit(text_report(outcomes), None)
    if junit is not None:
        write_file(junit, junit_report(outcomes), "junit")
    code = Tally.of(outcomes).exit_code
    if code:
        raise typer.Exit(code)


@app.command()
def schema(output: OutputOption = None) -> None:
    """Print the JSON Schema of scenario and order files, for editors and validators.

    Editors complete and check a file whose first line points at the schema:
    [cyan]# yaml-language-server: $schema=../../protectcalc/scenario.schema.json[/cyan]

    [bold]Examples[/bold]

        [cyan]protectcalc schema --output scenario.schema.json[/cyan]
    """
    from importlib import resources

    text = resources.files("protectcalc").joinpath("scenario.schema.json").read_text("utf-8")
    emit(text, output)


from protectcalc.cli import rules_cmd as _rules_cmd  # noqa: E402  (registers `rules`)

app.add_typer(_rules_cmd.rules_app, name="rules")

from protectcalc.cli import batch_cmd as _batch_cmd  # noqa: E402  (Polars loads only when run)

app.command(name="batch")(_batch_cmd.batch)


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> int:
    sys.stderr.write(f"protectcalc: {message}\n")
    return code


def run(args: list[str] | None = None) -> int:
    """Run the command line and return the exit code; every error becomes one line."""
    from protectcalc.files import forget_reads

    forget_reads()
    _escape_unencodable()
    if os.environ.get("_PROTECTCALC_COMPLETE"):  # the shell asks for completions
        from typer._completion_classes import completion_init

        completion_init()
    try:
        from typer._click.exceptions import ClickException

        given = sys.argv[1:] if args is None else args
        completing = bool(os.environ.get("_PROTECTCALC_COMPLETE"))
        command = typer.main.get_command(app if completing else _app_for(given))
        _refuse_repeated_options(command, given)
        result = command.main(args=args, prog_name="protectcalc", standalone_mode=False)
    except InputError as error:
        for line in error_lines(error)[:-1]:
            _fail(line)
        return _fail(error_lines(error)[-1])
    except RuleSetError as error:
        return _fail(str(error))
    except ClickException as error:
        message = error.format_message().replace("\n", " ").replace("Value error, ", "").strip()
        if not message:  # `protectcalc` alone: the help was shown, nothing more to say
            return error.exit_code
        return _fail(message, error.exit_code)
    except typer.Exit as done:
        return done.exit_code
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except OSError as error:
        # Files are read and written with their own messages; what is left is stdout
        # (``> /dev/full``, a disk that filled up, a terminal that went away).
        _quiet_broken_pipe()
        shown = "standard output" if error.filename is None else str(error.filename)
        return _fail(f"{shown}: cannot be written ({error.strerror or error})")
    except SystemExit:
        # typer catches a write to a closed pipe itself, wraps stdout in click's
        # PacifyFlushWrapper and exits 1 (our "mismatch" code): the reader left, stop quietly.
        from typer._click.utils import PacifyFlushWrapper

        if isinstance(sys.stdout, PacifyFlushWrapper):
            return _quiet_broken_pipe()
        raise
    return result if isinstance(result, int) else EXIT_OK


def _app_for(args: list[str]) -> typer.Typer:
    """The app with only the command that runs: Typer then builds that one command's options.

    Typer turns every command's signature into Click options before parsing; building the
    other commands (status, due, replay, rules, batch ...) cost ``timeline`` a few per cent
    of its start-up for nothing. Without a known command name (help, a typo, an order-book
    command) the whole app is built, so the help and "no such command" stay as they were.
    """
    name = next((arg for arg in args if not arg.startswith("-")), None)
    if name is None:
        return app
    commands = [
        info
        for info in app.registered_commands
        if info.callback is not None
        and (info.name or typer.main.get_command_name(info.callback.__name__)) == name
    ]
    groups = [info for info in app.registered_groups if info.name == name]
    if len(commands) + len(groups) != 1:
        return app
    view = copy.copy(app)
    view.registered_commands = commands
    view.registered_groups = groups
    return view


def _refuse_repeated_options(group: Any, args: list[str]) -> None:
    """A single-valued option given twice is an error naming it, not last-one-wins.

    Click keeps the last value silently, so ``--confirmed 2026-03-01 --confirmed 2026-03-05``
    would judge an order the user did not describe. ``--reading`` may repeat, once per rule.
    """
    name = next((arg for arg in args if not arg.startswith("-")), None)
    command = getattr(group, "commands", {}).get(name)
    if name is None or command is None:
        return
    takes_value: dict[str, Any] = {}
    for param in command.params:
        if getattr(param, "param_type_name", "") != "option":
            continue
        for opt in (*param.opts, *param.secondary_opts):
            takes_value[opt] = param
    seen: dict[str, list[str]] = {}
    position = args.index(name) + 1
    while position < len(args):
        token = args[position]
        position += 1
        if token == "--":
            break
        flag, has_value, inline = token.partition("=")
        param = takes_value.get(flag if token.startswith("--") else token)
        if param is None:
            continue
        value = inline if has_value else ""
        if not param.is_flag and not has_value and position < len(args):
            value = args[position]
            position += 1
        seen.setdefault(param.name, []).append(value)
        label = param.opts[0]
        if param.name == "readings":
            rules_named = [item.partition("=")[0].strip() for item in seen[param.name]]
            if rules_named.count(rules_named[-1]) > 1:
                raise InputError(
                    label, None, f"gives a reading for {rules_named[-1]} twice; give it once"
                )
        elif not param.multiple and not param.is_flag and len(seen[param.name]) > 1:
            shown = ", then ".join(seen[param.name])
            raise InputError(label, None, f"is given more than once ({shown}); give it once")


def _quiet_broken_pipe() -> int:
    """The reader went away (``| head``): stop quietly, as Unix tools do."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_OK


def main() -> None:
    """Console-script entry point (through :mod:`protectcalc.__main__`, which guards imports)."""
    try:
        code = run()
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            code = _quiet_broken_pipe()
        except OSError as error:
            _quiet_broken_pipe()
            code = _fail(f"standard output: cannot be written ({error.strerror or error})")
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        code = EXIT_INTERRUPTED
    sys.exit(code)


def _escape_unencodable() -> None:
    """A character the output cannot encode (``PYTHONIOENCODING=ascii`` and a Cyrillic
    order name, a file name that is not UTF-8) is written as a ``\\u`` escape instead of
    raising UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", None) == "strict":
            reconfigure(errors="backslashreplace")
