"""Read orders, evaluate them in columns (the scalar engine where the columns cannot), write.

The input is read in chunks (``chunk_rows`` orders at a time) and each chunk is written
before the next is read, so memory stays flat in the input size. In a chunk, orders are
grouped by rule set (every time zone at once: :mod:`protectcalc.engine.zonetable`); each
group's text is parsed and checked in columns (refusals worded as the command line words
them, :func:`refusal`), then runs through the plan compiled to column expressions
(:mod:`protectcalc.engine.columnar`); rows flagged for the scalar engine, and groups whose
rule set cannot be compiled to columns, are computed one by one by the scalar engine (the
same code as ``timeline``).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from io import BytesIO, StringIO
from itertools import islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from protectcalc.batch import rows as R
from protectcalc.engine.columnar import TZ_COLUMN, ZONE_COLUMN, WorkingDays
from protectcalc.engine.zonetable import ZoneTable
from protectcalc.errors import InputError, RuleSetError
from protectcalc.model import DisputeOutcome, PaymentMethod, Shipping
from protectcalc.rules.plan import REPEATED_EVENTS, SINGLE_EVENTS, Plan

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
UTC_TYPE = pl.Datetime("us", "UTC")


@dataclass
class Options:
    """What the command line gives a batch run."""

    rules: str | None = None
    readings: tuple[str, ...] = ()
    as_of: str | None = None
    now: datetime | None = None
    zone: ZoneInfo | None = None
    engine: str = "polars"
    chunk_rows: int = 200_000


@dataclass
class Stats:
    """What a run did: orders, refused orders, rows the scalar engine computed."""

    orders: int = 0
    failed: int = 0
    scalar: int = 0
    messages: list[str] = field(default_factory=list)


def input_format(path: str) -> str:
    """``csv``, ``jsonl`` or ``parquet`` from a file name (stdin: CSV)."""
    if path == "-":
        return "csv"
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError("INPUT", path, "needs a .csv, .jsonl, .ndjson or .parquet name")
    return FORMATS[suffix]


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as text, as a CSV file would give it (typed Parquet columns too)."""
    exprs = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            fmt = "%Y-%m-%dT%H:%M:%S%:z" if dtype.time_zone else "%Y-%m-%dT%H:%M:%S"
            exprs.append(column.dt.strftime(fmt).alias(name))
        elif dtype == pl.Date:
            exprs.append(column.dt.strftime("%Y-%m-%d").alias(name))
        elif dtype != pl.String:
            exprs.append(column.cast(pl.String).alias(name))
    return frame.with_columns(exprs) if exprs else frame


def read_chunks(path: str, chunk_rows: int) -> Iterator[pl.DataFrame]:
    """The input in chunks of text columns; unknown columns refused before any row."""
    kind = input_format(path)
    source: Any = sys.stdin.buffer if path == "-" else path
    if path != "-" and not Path(path).is_file():
        raise InputError("INPUT", path, "is not a file")
    try:
        if kind == "csv":
            header = _peeked_header(source) if path == "-" else _file_header(path)
            if header is None:  # stdin without a header in sight: read it all, as before
                frame = pl.read_csv(source.read(), infer_schema=False)
                yield from _checked(frame.iter_slices(chunk_rows))
                return
            yield from _csv_chunks(source, header, chunk_rows)
            return
        if kind == "parquet":
            yield from _parquet_chunks(path, chunk_rows)
            return
        yield from _jsonl_chunks(path, chunk_rows)
    except (pl.exceptions.PolarsError, OSError, _ArrowError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError("INPUT", path, f"cannot be read ({first})") from None


try:
    from pyarrow import ArrowException as _ArrowError
except ImportError:  # pragma: no cover - pyarrow comes with the batch extra

    class _ArrowError(Exception):  # type: ignore[no-redef]
        """Never raised: no pyarrow."""


def _parquet_chunks(path: str, chunk_rows: int) -> Iterator[pl.DataFrame]:
    """A Parquet file chunk by chunk, never more than one chunk in memory.

    (Polars' ``collect_batches`` runs the whole scan ahead of the consumer and keeps every
    batch it has read: memory grew with the input.)
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as handle:
        R.check_columns(handle.schema_arrow.names)
        for batch in handle.iter_batches(batch_size=chunk_rows):
            yield _as_text(_frame(pa.Table.from_batches([batch])))


def _file_header(path: str) -> list[str]:
    """The header row of a CSV file (a quoted name may span lines)."""
    import csv

    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        return next(csv.reader(handle), [])


def _peeked_header(stream: Any) -> list[str] | None:
    """The header row of CSV on stdin, read from what is buffered without consuming it.

    None when the stream cannot peek, the first line is not in the buffer yet, or it is
    blank (pyarrow would skip it and take the next line as the header): stdin is then read
    whole, as before.
    """
    import csv

    peek = getattr(stream, "peek", None)
    if peek is None:
        return None
    data = peek(1 << 16)
    if b"\n" not in data:
        return None
    first = data[: data.index(b"\n") + 1].decode("utf-8-sig", errors="replace")
    if not first.strip():
        return None
    return next(csv.reader(StringIO(first)), [])


def _csv_chunks(source: Any, header: list[str], chunk_rows: int) -> Iterator[pl.DataFrame]:
    """CSV (a file's path or stdin, its header already read) in chunks of text columns (an
    empty cell is null), one chunk in memory."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    R.check_columns(header)
    reader = pacsv.open_csv(
        source,
        read_options=pacsv.ReadOptions(block_size=8 << 20),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()),
            null_values=[""],
            strings_can_be_null=True,
        ),
    )
    pending: list[pa.RecordBatch] = []
    count = 0
    done = False
    for batch in reader:
        pending.append(batch)
        count += batch.num_rows
        while count >= chunk_rows:
            table = pa.Table.from_batches(pending, schema=reader.schema)
            yield _as_text(_frame(table.slice(0, chunk_rows)))
            done = True
            rest = table.slice(chunk_rows)
            pending, count = rest.to_batches(), rest.num_rows
    if count or not done:
        yield _as_text(_frame(pa.Table.from_batches(pending, schema=reader.schema)))


def _jsonl_chunks(path: str, chunk_rows: int) -> Iterator[pl.DataFrame]:
    """A JSON Lines file in chunks of text columns, one chunk of lines in memory.

    Each chunk's lines are read by Polars on their own (types inferred over the chunk, then
    made text as every input is), and its keys checked. Polars' ``scan_ndjson`` with
    ``collect_batches`` read the whole file ahead and kept it: memory grew with the input.
    An unknown key in a later chunk is refused there; the output is still not written (it
    is renamed into place only when every chunk is done).
    """
    with Path(path).open("rb") as handle:
        read_any = False
        while lines := list(islice(handle, chunk_rows)):
            if not any(line.strip() for line in lines):
                continue  # blank lines only: nothing to infer types from
            frame = pl.read_ndjson(BytesIO(b"".join(lines)), infer_schema_length=None)
            R.check_columns(frame.columns)
            read_any = True
            yield _as_text(frame)
    if not read_any:
        raise InputError("INPUT", path, "cannot be read (it has no JSON lines)")


def _frame(table: Any) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _checked(slices: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    for index, frame in enumerate(slices):
        if index == 0:
            R.check_columns(frame.columns)
        yield _as_text(frame)


# --- columns from text, with the command line's strictness (anything unusual: scalar) -----------


def _blank(column: pl.Expr) -> pl.Expr:
    text = column.str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


_STAMP = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$"


def parse_wall(text: pl.Expr) -> pl.Expr:
    """Blanked text as a naive wall-clock time: only the plain ISO forms, others null."""
    plain = text.str.contains(_STAMP)
    size = text.str.len_bytes()
    spaced = text.str.replace(" ", "T", literal=True)
    return (
        pl.when(plain & (size == 10))
        .then(text.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us")))
        .when(plain & (size == 16))
        .then(spaced.str.to_datetime("%Y-%m-%dT%H:%M", strict=False, time_unit="us"))
        .when(plain & (size == 19))
        .then(spaced.str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us"))
    )


def parse_instant(wall: pl.Expr, zones: ZoneTable) -> pl.Expr:
    """A wall-clock column as UTC instants (the row's zone; null in a skipped hour)."""
    return zones.instant(pl.col(ZONE_COLUMN), wall)


def unread_instant(text: pl.Expr, wall: pl.Expr, instant: pl.Expr, zones: ZoneTable) -> pl.Expr:
    """Where the fast path cannot read a given time (``instant``: the stored result of
    :func:`parse_instant`, so the zone search runs once per value)."""
    year = wall.dt.year()
    low, high = zones.years
    return text.is_not_null() & (
        instant.is_null() | (year < max(low, 1970)) | (year > min(high, 2199))
    ).fill_null(True)


def _whole(column: pl.Expr, low: int, high: int) -> tuple[pl.Expr, pl.Expr]:
    text = _blank(column)
    number = text.cast(pl.Int64, strict=False)
    good = text.str.contains(r"^-?[0-9]{1,6}$") & (number >= low) & (number <= high)
    return number, text.is_not_null() & ~good.fill_null(False)


def _choice(column: pl.Expr, allowed: list[str]) -> tuple[pl.Expr, pl.Expr]:
    text = _blank(column).str.to_lowercase().str.replace_all("-", "_", literal=True)
    return text, text.is_not_null() & ~text.is_in(allowed)


def _country(column: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """A country code upper-cased; flagged unless two ASCII letters (a code the holidays
    package does not know is refused later, in :func:`refusal`, as the scalar engine does)."""
    text = _blank(column).str.to_uppercase()
    return text, text.is_not_null() & ~text.str.contains(r"^[A-Z]{2}$")


def known_countries(values: list[str | None]) -> list[str]:
    """The country codes (as written, upper-cased) the holidays package has a calendar for."""
    from protectcalc.calendars import CalendarChoice, check_calendar

    found = []
    for value in values:
        if value is None:
            continue
        code = value.strip().upper()
        if len(code) != 2 or not code.isalpha() or not code.isascii():
            continue
        try:
            check_calendar(CalendarChoice(code))
        except InputError:
            continue
        found.append(code)
    return sorted(set(found))


def _event_columns(width: int) -> list[str]:
    """The event columns in the order ``build_order`` reads them."""
    events = list(SINGLE_EVENTS)
    return events + [f"{e}_{k}" for e in REPEATED_EVENTS for k in range(1, width + 1)]


def prepare(
    frame: pl.LazyFrame,
    zones: ZoneTable,
    names: list[str],
    width: int,
    countries: list[str],
    now: datetime,
    as_of: str | None,
    plan: Plan,
) -> pl.LazyFrame:
    """The typed columns the compiled plan reads, and the ``_bad`` flag of the fast checks.

    In a few stages (blank text, wall-clock times, instants and flags, the order checks), so
    that no stage recomputes what an earlier one gives.
    """
    events = _event_columns(width)
    given = [name for name in names if name in (*events, *R.SCALAR_COLUMNS)]
    blank = frame.with_columns(_blank(pl.col(name)).alias(f"t__{name}") for name in given)

    def text(name: str) -> pl.Expr:
        return pl.col(f"t__{name}") if name in names else pl.lit(None, dtype=pl.String)

    moment_text = pl.coalesce(text("as_of"), pl.lit(as_of, dtype=pl.String))
    timed = [name for name in events if name in names]
    walls = blank.with_columns(
        *(parse_wall(text(name)).alias(f"w__{name}") for name in timed),
        parse_wall(moment_text).alias("w__as_of"),
        moment_text.alias("t__as_of"),
    )
    bad: list[pl.Expr] = []
    exprs: list[pl.Expr] = []
    for name in events:
        if name not in names:
            exprs.append(pl.lit(None, dtype=UTC_TYPE).alias(f"ev_{name}"))
            continue
        exprs.append(parse_instant(pl.col(f"w__{name}"), zones).alias(f"ev_{name}"))
        bad.append(unread_instant(text(name), pl.col(f"w__{name}"), pl.col(f"ev_{name}"), zones))
    first_skipped = _first_skipped(timed, text, zones, bad)
    numbering: list[pl.Expr] = []
    for event in REPEATED_EVENTS:
        gap: pl.Expr = pl.lit(False)
        for k in range(2, width + 1):
            gap = gap | (text(f"{event}_{k - 1}").is_null() & text(f"{event}_{k}").is_not_null())
        numbering.append(gap)
        present = [text(f"{event}_{k}").is_not_null().cast(pl.Int64) for k in range(1, width + 1)]
        exprs.append(
            (pl.sum_horizontal(*present) if present else pl.lit(0, dtype=pl.Int64))
            .cast(pl.Int64)
            .alias(f"n_{event}")
        )
        bad.append(gap)
    for name, low, high in (("processing_days", 0, 365), ("delivery_days", 1, 365)):
        number, flag = _whole(text(name), low, high)
        exprs.append(number.alias(f"in_{name}"))
        bad.append(flag)
    ext = text("extended")
    if "extended" in names:
        parts = ext.str.split("+").list.eval(
            pl.element().str.strip_chars().cast(pl.Int64, strict=False)
        )
        ext_ok = (
            ext.str.contains(r"^-?[0-9]{1,6}(\s*\+\s*-?[0-9]{1,6})*$")
            & (parts.list.min() >= 1)
            & (parts.list.max() <= 3650)
        )
        exprs += [
            parts.list.sum().fill_null(0).cast(pl.Int64).alias("in_extended_sum"),
            parts.list.len().fill_null(0).cast(pl.Int64).alias("in_extended_n"),
            parts.list.eval(pl.element().cast(pl.String)).list.join("+").alias("in_extended_text"),
        ]
        bad.append(ext.is_not_null() & ~ext_ok.fill_null(False))
    else:
        exprs += [
            pl.lit(0, dtype=pl.Int64).alias("in_extended_sum"),
            pl.lit(0, dtype=pl.Int64).alias("in_extended_n"),
            pl.lit(None, dtype=pl.String).alias("in_extended_text"),
        ]
    for name, kind in (("dispute_outcome", DisputeOutcome), ("payment_method", PaymentMethod)):
        choice, flag = _choice(text(name), [item.value for item in kind])
        exprs.append(choice.alias(f"in_{name}"))
        bad.append(flag)
    shipping, flag = _choice(text("shipping"), [item.value for item in Shipping])
    exprs.append(shipping.fill_null("standard").alias("in_shipping"))
    bad.append(flag)
    buyer, flag = _country(text("buyer_country"))
    exprs.append(buyer.alias("in_buyer_country"))
    bad.append(flag)
    seller, flag = _country(text("seller_country"))
    exprs.append(seller.fill_null("CN").alias("in_seller_country"))
    bad.append(flag)
    bad.append(text("buyer_subdivision").is_not_null())
    exprs.append(parse_instant(pl.col("w__as_of"), zones).alias("_as_of"))
    bad.append(unread_instant(pl.col("t__as_of"), pl.col("w__as_of"), pl.col("_as_of"), zones))
    empty = ~pl.any_horizontal(text(name).is_not_null() for name in events)
    # the flags read the stored instants: computed again inside them, every zone search
    # ran twice (a third of this function's time)
    typed = walls.with_columns(*exprs).with_columns(
        pl.any_horizontal(*bad).fill_null(True).alias("_bad"),
        empty.alias("_empty"),
        pl.coalesce(pl.col("_as_of"), pl.lit(now, dtype=UTC_TYPE)).alias("now"),
        pl.when(~pl.any_horizontal(pl.lit(False), *numbering))
        .then(first_skipped)
        .alias("_skipped_at"),
    )
    first, _ = refusal(width, plan, zones, countries)
    return typed.with_columns(first.alias("_refused_at")).drop(
        [f"t__{name}" for name in given] + [f"w__{name}" for name in timed] + ["_as_of"]
    )


def _first_skipped(
    timed: list[str], text: Callable[[str], pl.Expr], zones: ZoneTable, flags: list[pl.Expr]
) -> pl.Expr:
    """The position in ``timed`` of a wall time in a skipped hour that is the order's first
    unreadable time (null if there is none): the one ``build_order`` reports.

    ``flags`` are the events' :func:`unread_instant` flags in ``timed``'s order, which is
    the order ``build_order`` reads them in. A date alone in a skipped midnight is not
    refused (its day starts after the gap): only texts with a time count.
    """
    low, high = zones.years
    first_flag: list[pl.Expr] = []
    first_gap: list[pl.Expr] = []
    for index, (name, flag) in enumerate(zip(timed, flags, strict=False)):
        wall, instant = pl.col(f"w__{name}"), pl.col(f"ev_{name}")
        year = wall.dt.year()
        skipped = (
            (text(name).str.len_bytes() > 10)
            & wall.is_not_null()
            & instant.is_null()
            & (year >= max(low, 1970))
            & (year <= min(high, 2199))
        )
        first_flag.append(pl.when(flag).then(pl.lit(index, dtype=pl.Int32)))
        first_gap.append(pl.when(skipped.fill_null(False)).then(pl.lit(index, dtype=pl.Int32)))
    if not timed:
        return pl.lit(None, dtype=pl.Int32)
    flagged, gapped = pl.coalesce(first_flag), pl.coalesce(first_gap)
    return pl.when(flagged == gapped).then(flagged)


def skipped_message(timed: list[str]) -> pl.Expr:
    """``wall_to_instant``'s refusal of the time at ``_skipped_at`` (few rows only)."""
    at = pl.col("_skipped_at")
    return pl.coalesce(
        pl.when(at == index).then(
            pl.concat_str(
                pl.lit(f"{name.rsplit('_', 1)[0] if name[-1].isdigit() else name} "),
                pl.col(name).str.strip_chars(),
                pl.lit(": does not exist in "),
                pl.col(TZ_COLUMN),
                pl.lit(" (clocks skip it for daylight saving)"),
            )
        )
        for index, name in enumerate(timed)
    )


EMPTY_ORDER = "ORDER: no order events given"
"""The scalar engine's refusal of an order without events (``rows.scalar_row``)."""
SCALAR_DECIDES = "\x00"
"""The ``_refused`` value of a row whose refusal the columns do not word: the scalar engine's."""


def show(instant: pl.Expr, zones: ZoneTable) -> pl.Expr:
    """``order._show`` of an instant: its local date at midnight, else minutes and offset."""
    local, offset = zones.local_and_text(pl.col(ZONE_COLUMN), instant)
    text = local.dt.strftime("%Y-%m-%dT%H:%M")
    midnight = (local.dt.epoch("us") % (86_400 * 1_000_000)) == 0
    return pl.when(midnight).then(text.str.slice(0, 10)).otherwise(pl.concat_str(text, offset))


def refusal(
    width: int, plan: Plan, zones: ZoneTable, countries: list[str]
) -> tuple[pl.Expr, pl.Expr]:
    """``check_reads``, ``check_order`` and ``_check_given_calendars`` in columns.

    Two expressions: the number of the first check that refuses the order (null where every
    check accepts; cheap, for every row), and, from that number (``_refused_at``), the
    message as the scalar engine words it, or :data:`SCALAR_DECIDES` where that check's
    message is left to the scalar engine (for the few refused rows only). The checks run in
    the scalar engine's order.
    """
    from protectcalc.errors import option_label

    checks: list[tuple[pl.Expr, pl.Expr | None]] = []  # (refused, message or None)

    def ev(name: str) -> pl.Expr:
        return pl.col(f"ev_{name}")

    def day(name: str) -> pl.Expr:
        return zones.local_date(pl.col(ZONE_COLUMN), ev(name))

    def before_message(first: str, first_at: pl.Expr, later: str, later_at: pl.Expr) -> pl.Expr:
        return pl.concat_str(
            pl.lit(f"{later} "),
            show(later_at, zones),
            pl.lit(f": is before {option_label(first)} "),
            show(first_at, zones),
        )

    def require_before(first: str, later: str) -> None:
        refused = (ev(later) < ev(first)).fill_null(False)
        checks.append((refused, before_message(first, ev(first), later, ev(later))))

    def require_day(first: str, later: str, slack: int = 0) -> None:
        limit = day(first) - pl.duration(days=slack) if slack else day(first)
        refused = (day(later) < limit).fill_null(False)
        checks.append((refused, before_message(first, ev(first), later, ev(later))))

    def scalar(refused: pl.Expr) -> None:
        checks.append((refused.fill_null(False), None))

    # check_reads: an event the rule set does not read
    for name in SINGLE_EVENTS:
        if name not in plan.reads:
            scalar(ev(name).is_not_null())
    for name in REPEATED_EVENTS:
        if name not in plan.reads:
            scalar(pl.col(f"n_{name}") > 0)
    # check_order
    require_before("placed", "paid")
    require_before("paid", "cancel_requested")
    require_before("placed", "cancel_requested")
    for name, spec in plan.inputs.items():
        if name not in SINGLE_EVENTS:
            continue
        for later, problem in spec.before.items():
            if later not in SINGLE_EVENTS:
                scalar(pl.lit(True))
                continue
            refused = (ev(later) <= ev(name)).fill_null(False)
            message = pl.concat_str(
                pl.lit(f"{name} "),
                show(ev(name), zones),
                pl.lit(f": is not before {option_label(later)} "),
                show(ev(later), zones),
                pl.lit(f": {problem}"),
            )
            checks.append((refused, message))
    for first in ("placed", "paid"):
        for later in ("shipped", "delivered", "confirmed", "dispute_opened"):
            require_before(first, later)
    for later in ("delivered", "confirmed", "dispute_opened"):
        require_before("shipped", later)
    for first in ("placed", "paid"):
        require_day(first, "estimated_delivery")
        for later in ("seller_contacted", "return_submitted"):
            require_before(first, later)
    require_day("placed", "transaction_posted")
    require_day("paid", "transaction_posted", slack=1)
    require_before("dispute_opened", "claim_escalated")
    seller, buyer = pl.col("n_seller_responded"), pl.col("n_buyer_responded")
    asked = pl.col("n_mediator_asked")
    opened = ev("dispute_opened").is_not_null()
    scalar(
        ~opened
        & (
            (seller > 0)
            | (buyer > 0)
            | ev("escalated").is_not_null()
            | (asked > 0)
            | ev("claim_escalated").is_not_null()
            | ev("dispute_closed").is_not_null()
        )
    )
    # _check_rounds and _check_questions: left to the scalar engine
    if plan.rounds is not None:
        scalar(opened & ((seller > plan.rounds) | (buyer > plan.rounds)))
    scalar(opened & ((buyer > seller) | (seller > buyer + 1)))

    def out_of_order(first: pl.Expr, later: pl.Expr) -> pl.Expr:
        return (later < first).fill_null(False)

    def pair(first: pl.Expr, first_name: pl.Expr, later: str, later_at: pl.Expr) -> None:
        """``_order_pair`` where the earlier event's name is per row (the last answer)."""
        message = pl.concat_str(
            pl.lit(f"{later} "),
            show(later_at, zones),
            pl.lit(": is before "),
            first_name,
            pl.lit(" "),
            show(first, zones),
        )
        checks.append((opened & out_of_order(first, later_at), message))

    # _check_rounds' answers in order. The checks before these (answers without gaps, as
    # many buyer answers as seller answers or one fewer) leave one earlier event for each
    # answer: seller k follows buyer k - 1 (the opening for k = 1), buyer k follows seller k.
    previous = ev("dispute_opened")
    previous_name: pl.Expr = pl.lit(option_label("dispute_opened"))
    for k in range(1, width + 1):
        s_k, b_k = ev(f"seller_responded_{k}"), ev(f"buyer_responded_{k}")
        pair(previous, previous_name, "seller_responded", s_k)
        previous = pl.coalesce(s_k, previous)
        previous_name = (
            pl.when(s_k.is_not_null())
            .then(pl.lit(option_label("seller_responded")))
            .otherwise(previous_name)
        )
        pair(previous, previous_name, "buyer_responded", b_k)
        previous = pl.coalesce(b_k, previous)
        previous_name = (
            pl.when(b_k.is_not_null())
            .then(pl.lit(option_label("buyer_responded")))
            .otherwise(previous_name)
        )
    for name in ("escalated", "dispute_closed"):
        pair(previous, previous_name, name, ev(name))
    pair(ev("escalated"), pl.lit(option_label("escalated")), "dispute_closed", ev("dispute_closed"))
    scalar(opened & (asked > 0) & ev("escalated").is_null())
    previous = ev("escalated")
    previous_name = pl.lit(option_label("escalated"))
    for k in range(1, width + 1):
        question = ev(f"mediator_asked_{k}")
        pair(previous, previous_name, "mediator_asked", question)
        previous = pl.coalesce(question, previous)
        previous_name = pl.lit(option_label("mediator_asked"))
    scalar(pl.col("in_dispute_outcome").is_not_null() & ev("dispute_closed").is_null())
    scalar(pl.col("in_processing_days").is_not_null() & ev("paid").is_null())
    scalar(pl.col("in_delivery_days").is_not_null() & ev("shipped").is_null())
    scalar((pl.col("in_extended_n") > 0) & pl.col("in_delivery_days").is_null())
    cap_rule = plan.inputs["extended"].cap if "extended" in plan.inputs else None
    if cap_rule is not None:
        limit = plan.rules[cap_rule].low
        cited = ", ".join(dict.fromkeys(src.short for src in plan.rules[cap_rule].sources))
        total = pl.col("in_extended_sum")
        message = pl.concat_str(
            pl.lit("extended "),
            pl.col("in_extended_text"),
            pl.lit(": adds up to "),
            total.cast(pl.String),
            pl.lit(f" days; the seller can extend protection by {limit} days at most ({cited})"),
        )
        checks.append(((total > limit).fill_null(False), message))
    # _check_given_calendars: a country the holidays package does not know
    for column, default in (("buyer_country", None), ("seller_country", "CN")):
        value = pl.col(f"in_{column}")
        refused = value.is_not_null() & ~value.is_in(countries)
        if default is not None:
            refused = refused & (value != default)
        words = _country_messages(column)
        checks.append(
            (
                refused.fill_null(False),
                pl.concat_str(pl.lit(f"{column} "), value, pl.lit(words)),
            )
        )
    # flat coalesces: a chain of a hundred nested when/then costs far more to evaluate
    first_failed = pl.coalesce(
        pl.when(failed).then(pl.lit(index, dtype=pl.Int32))
        for index, (failed, _) in enumerate(checks)
    )
    at = pl.col("_refused_at")
    words_of_first = pl.coalesce(
        pl.when(at == index).then(pl.lit(SCALAR_DECIDES) if wording is None else wording)
        for index, (_, wording) in enumerate(checks)
    )
    return first_failed, words_of_first


def _country_messages(column: str) -> str:
    """What follows ``buyer_country XX`` in the scalar engine's refusal of an unknown code."""
    from protectcalc.calendars import CalendarChoice, check_calendar

    try:
        check_calendar(CalendarChoice("XX", field=column))
    except InputError as error:
        text = error.describe(column)
        prefix = f"{column} XX"
        if text.startswith(prefix) and "XX" not in text[len(prefix) :]:
            return text[len(prefix) :]
    raise AssertionError("the holidays package knows XX")  # pragma: no cover


# --- one chunk ----------------------------------------------------------------------------------


def evaluate_chunk(
    frame: pl.DataFrame, options: Options, stats: Stats, offset: int = 0
) -> pl.DataFrame:
    """Output rows for a chunk of text rows (``offset``: rows before it, for row numbers)."""
    from protectcalc.cli.shell import now as clock_now
    from protectcalc.cli.shell import system_zone
    from protectcalc.engine.columnar import Unsupported
    from protectcalc.rules import load_rule_set, parse_readings

    now = options.now or clock_now()
    default_zone = options.zone or system_zone()
    names = frame.columns
    if R.ID_COLUMN not in names:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(R.ID_COLUMN))
        names = frame.columns
    frame = frame.with_row_index("_row", offset=offset)
    width = max(R.repeated_width(names, e) for e in REPEATED_EVENTS)
    rules_col = _blank(pl.col("rules")) if "rules" in names else pl.lit(None, dtype=pl.String)
    tz_col = _blank(pl.col("tz")) if "tz" in names else pl.lit(None, dtype=pl.String)
    keyed = frame.with_columns(
        rules_col.fill_null(options.rules or "aliexpress").alias("_rules"),
        tz_col.fill_null(default_zone.key).alias(TZ_COLUMN),
    )
    countries_raw: list[str | None] = []
    for column in ("buyer_country", "seller_country"):
        if column in names:
            countries_raw += frame.get_column(column).unique().to_list()
    countries = known_countries([*countries_raw, "CN"])
    milestone_ids = _milestone_ids(keyed, options)
    years = _years(keyed, names, now)
    calendars = _working_days(years, tuple(countries))
    zones = _zone_table(keyed.get_column(TZ_COLUMN).unique().to_list(), years)
    keyed = keyed.with_columns(
        pl.col(TZ_COLUMN)
        .replace_strict(zones.ids, default=None, return_dtype=pl.Int64)
        .alias(ZONE_COLUMN)
    )
    fast: list[pl.DataFrame] = []
    scalar_rows: list[pl.DataFrame] = []
    flagged: list[pl.DataFrame] = []  # row numbers for the scalar engine
    errors_only: list[pl.DataFrame] = []  # refused orders: row, id, error
    for (rules_name,), group in keyed.group_by(["_rules"], maintain_order=True):
        try:
            rule_set = load_rule_set(str(rules_name), parse_readings(options.readings))
            plan = rule_set.plan_for(None)
            rounds_width = max(width, plan.rounds or 0)
            stages, columns, fallback = _compiled(
                rule_set,
                rounds_width,
                zones,
                calendars,
                tuple(countries),
                tuple(milestone_ids),
            )
        except (InputError, RuleSetError, Unsupported):
            scalar_rows.append(group)
            continue
        lazy = group.lazy().with_columns(
            pl.col(ZONE_COLUMN).is_null().alias("_no_zone"), pl.col(ZONE_COLUMN).fill_null(0)
        )
        typed = prepare(
            lazy,
            zones,
            names,
            rounds_width,
            countries,
            now,
            options.as_of,
            plan,
        )
        typed_rows = typed.collect(engine="in-memory", optimizations=_STAGE)
        # what the columns cannot read goes to the scalar engine; refused orders get their
        # message (from the few refused rows only); the rest runs through the compiled plan
        empty = pl.col("_empty")
        unread = ~empty & (pl.col("_bad") | pl.col("_no_zone"))
        refused = ~empty & ~unread & pl.col("_refused_at").is_not_null()
        skipped = unread & ~pl.col("_no_zone") & pl.col("_skipped_at").is_not_null()
        timed = [name for name in _event_columns(rounds_width) if name in names]
        errors_only.append(
            typed_rows.filter(skipped).select(
                "_row", R.ID_COLUMN, skipped_message(timed).alias("error")
            )
        )
        unread_rows = typed_rows.filter(unread & ~skipped).select("_row")
        _, message = refusal(rounds_width, plan, zones, countries)
        refusals = typed_rows.filter(refused).select("_row", R.ID_COLUMN, message.alias("error"))
        scalar_refusals = refusals.filter(pl.col("error") == SCALAR_DECIDES).select("_row")
        refusals = refusals.filter(pl.col("error") != SCALAR_DECIDES)
        empties = typed_rows.filter(empty).select(
            "_row", R.ID_COLUMN, pl.lit(EMPTY_ORDER).alias("error")
        )
        flagged.extend((unread_rows, scalar_refusals))
        errors_only.extend((refusals, empties))
        good = typed_rows.filter(~empty & ~unread & ~refused)
        final = [pl.col("_row"), *columns, fallback.alias("_scalar")]
        fast.append(_run_stages(good, stages, final))
    parts: list[pl.DataFrame] = []
    if fast:
        done = pl.concat(fast, how="vertical_relaxed")
        flagged.append(done.filter(pl.col("_scalar")).select("_row"))
        parts.append(done.filter(~pl.col("_scalar")).drop("_scalar"))
    if flagged:
        rows = pl.concat(flagged)
        if rows.height:
            scalar_rows.append(frame.join(rows, on="_row", how="semi"))
    for refused_rows in errors_only:
        parts.append(
            refused_rows.with_columns(
                pl.lit(None, dtype=pl.String).alias(c)
                for c in R.output_columns(milestone_ids)
                if c not in (R.ID_COLUMN, "error")
            )
        )
    for group in scalar_rows:
        parts.append(_scalar(group, options, now, default_zone, milestone_ids, names))
    stats.scalar += sum(group.height for group in scalar_rows)
    schema: dict[str, Any] = dict.fromkeys(R.output_columns(milestone_ids), pl.String)
    schema["summary_total_days"] = pl.Int64
    aligned = [
        part.select(pl.col("_row"), *(pl.col(c).cast(t) for c, t in schema.items()))
        for part in parts
    ]
    result = pl.concat(aligned).sort("_row") if aligned else pl.DataFrame()
    errors = result.filter(pl.col("error").is_not_null()).select("_row", "error")
    for row, message in errors.iter_rows():
        stats.messages.append(f"row {row + 1}: {message}")
    stats.failed += errors.height
    stats.orders += result.height
    return result.drop("_row")


def _run_stages(
    frame: pl.DataFrame, stages: list[list[pl.Expr]], final: list[pl.Expr]
) -> pl.DataFrame:
    """The compiled stages over a frame, eagerly: each one ``with_columns`` that Polars runs
    in parallel (one lazy chain of a hundred wide stages costs seconds of planning whatever
    the number of rows; slices of the frame in threads were measured slower, not faster)."""
    for stage in merge_stages(stages):
        frame = frame.lazy().with_columns(stage).collect(engine="in-memory", optimizations=_STAGE)
    return frame.lazy().select(final).collect(engine="in-memory", optimizations=_STAGE)


def merge_stages(stages: list[list[pl.Expr]]) -> list[list[pl.Expr]]:
    """Consecutive stages that do not read each other's columns, as one ``with_columns``.

    Every ``with_columns`` costs a few milliseconds whatever its size; merged, the same
    expressions run in fewer and wider (more parallel) stages.
    """
    merged: list[list[pl.Expr]] = []
    written: set[str] = set()
    for stage in stages:
        names = {expr.meta.output_name() for expr in stage}
        reads = {name for expr in stage for name in expr.meta.root_names()}
        if merged and not (reads & written) and not (names & written):
            merged[-1] = [*merged[-1], *stage]
            written |= names
        else:
            merged.append(list(stage))
            written = set(names)
    return merged


@lru_cache(maxsize=4)
def _working_days(years: tuple[int, int], countries: tuple[str, ...]) -> WorkingDays:
    """Every calendar's working days (built once per run for the same years and countries)."""
    calendars = WorkingDays(years)
    for country in [None, *countries]:
        calendars.add(country)
    return calendars


Compiled = tuple[list[list[pl.Expr]], list[pl.Expr], pl.Expr]
_COMPILED: dict[tuple[Any, ...], tuple[Any, Compiled]] = {}


def _compiled(
    rule_set: Any,
    rounds_width: int,
    zones: ZoneTable,
    calendars: WorkingDays,
    countries: tuple[str, ...],
    milestone_ids: tuple[str, ...],
) -> Compiled:
    """A rule set compiled to stages, output columns and the fallback flag.

    Kept for the next chunks: the loader gives the same rule-set object until its file
    changes, and the tables are cached too, so a run compiles each rule set once.
    """
    from protectcalc.engine.columnar import OutputCompiler

    key = (id(rule_set), rounds_width, id(zones), id(calendars), countries, milestone_ids)
    found = _COMPILED.get(key)
    owners = (rule_set, zones, calendars)  # kept with the entry, so no id is reused
    if found is not None and all(a is b for a, b in zip(found[0], owners, strict=True)):
        return found[1]
    plan = rule_set.plan_for(None)
    compiler = OutputCompiler(plan, zones, rounds_width, calendars, list(countries))
    compiler.compile()
    columns, fallback = compiler.outputs(list(milestone_ids))
    if len(_COMPILED) >= 8:
        _COMPILED.clear()
    result = (compiler.stages, columns, fallback)
    _COMPILED[key] = (owners, result)
    return result


def _zone_table(values: list[str | None], years: tuple[int, int]) -> ZoneTable:
    """The zones named in a chunk that ``parse_zone`` accepts (the others: scalar rows)."""
    from protectcalc.clock import parse_zone

    good: list[str] = []
    for value in values:
        if value is None:
            continue
        try:
            zone = parse_zone(value)
        except InputError:
            continue
        if zone.key == value:
            good.append(value)
    return _cached_table(tuple(sorted(good)), (years[0] - 1, years[1] + 1))


@lru_cache(maxsize=8)
def _cached_table(zones: tuple[str, ...], years: tuple[int, int]) -> ZoneTable:
    return ZoneTable(list(zones), years)


def _scalar(
    group: pl.DataFrame,
    options: Options,
    now: datetime,
    zone: ZoneInfo,
    milestone_ids: list[str],
    names: list[str],
) -> pl.DataFrame:
    out = []
    keep = [n for n in names if n != "_row"]
    for row in group.select("_row", *keep).iter_rows(named=True):
        result = R.scalar_row(
            row,
            rules=options.rules,
            readings=options.readings,
            as_of=options.as_of,
            now=now,
            zone=zone,
            milestone_ids=milestone_ids,
        )
        result["_row"] = row["_row"]
        out.append(result)
    schema: dict[str, Any] = dict.fromkeys(R.output_columns(milestone_ids), pl.String)
    schema["summary_total_days"] = pl.Int64
    schema["_row"] = pl.UInt32
    return pl.DataFrame(out, schema=schema, orient="row")


def _milestone_ids(keyed: pl.DataFrame, options: Options) -> list[str]:
    from protectcalc.rules import load_rule_set, parse_readings

    found: list[str] = []
    for name in keyed.get_column("_rules").unique(maintain_order=True).to_list():
        try:
            plan = load_rule_set(name, parse_readings(options.readings)).plan_for(None)
        except (InputError, RuleSetError):
            continue
        found += [m for m in plan.milestone_ids() if m not in found]
    return found


def _years(keyed: pl.DataFrame, names: list[str], now: datetime) -> tuple[int, int]:
    """The years of the chunk's dates (at least the year of ``now``), plus two after."""
    years: list[int] = [now.year]
    events = [*SINGLE_EVENTS, "as_of"]
    events += [n for n in names if R.repeated_width([n], n.rsplit("_", 1)[0]) > 0]
    for name in events:
        if name in names:
            found = keyed.get_column(name).str.slice(0, 4).cast(pl.Int64, strict=False)
            years += [y for y in (found.min(), found.max()) if isinstance(y, int)]
    low = max(min(years, default=2026), 1970)
    high = min(max(years, default=2026), 2199)
    return low, min(high + 2, 2199)


Progress = Callable[[int], None]


def run_batch(
    source: str, output: str | None, options: Options, progress: Progress | None = None
) -> Stats:
    """Read ``source``, write every order's row to ``output`` (None: CSV on stdout)."""
    stats = Stats()
    kind = input_format(output) if output not in (None, "-") else "csv"
    writer = _Writer(output, kind)
    offset = 0
    finished = False
    # Reading the next chunk and writing the last one run in threads beside the
    # evaluation (pyarrow and Polars release the GIL while they work): at most one chunk
    # read ahead and one being written, so memory stays flat.
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="batch-io")
    written: Future[None] | None = None
    try:
        chunks = read_chunks(source, options.chunk_rows)
        ahead = pool.submit(next, chunks, None)
        while (chunk := ahead.result()) is not None:
            ahead = pool.submit(next, chunks, None)
            result = evaluate_chunk(chunk, options, stats, offset)
            done = chunk.height
            offset += done
            if written is not None:
                written.result()
            written = pool.submit(writer.write, result)
            del result, chunk
            # The chunk's frames sit in reference cycles that Python's collector seldom
            # visits (few Python objects, much native memory): without this, memory grew
            # by a chunk's worth every chunk or two.
            gc.collect()
            if progress is not None:
                progress(done)
        if written is not None:
            written.result()
        finished = True
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        writer.close(finished)
    return stats


class _Writer:
    """Writes chunks to one file (or stdout), the header once."""

    def __init__(self, output: str | None, kind: str) -> None:
        self.output = output
        self.kind = kind
        self.first = True
        self.parquet: Any = None
        self.temp: Path | None = None
        self.handle: Any = None
        if output not in (None, "-"):
            target = Path(str(output))
            self.temp = target.with_name(f".{target.name}.partial")
            self.handle = self.temp.open("wb")
        else:
            self.handle = sys.stdout.buffer

    def write(self, frame: pl.DataFrame) -> None:
        if self.kind == "parquet":
            import pyarrow.parquet as pq

            table = frame.to_arrow()
            if self.parquet is None:
                self.parquet = pq.ParquetWriter(self.handle, table.schema)
            self.parquet.write_table(table)
        elif self.kind == "jsonl":
            frame.write_ndjson(self.handle)
        else:
            frame.write_csv(self.handle, include_header=self.first)
        self.first = False

    def close(self, finished: bool = True) -> None:
        if self.parquet is not None:
            self.parquet.close()
        if self.temp is not None and self.output is not None:
            self.handle.close()
            if not finished:
                self.temp.unlink(missing_ok=True)
                return
            self.temp.replace(self.output)
        else:
            self.handle.flush()


_STAGE = pl.QueryOptFlags.none(comm_subexpr_elim=True, simplify_expression=True)
"""How each stage runs: as an eager ``with_columns`` would (no plan optimisations), but with
common subexpressions computed once. Inside one stage a milestone's condition, a zone's
offset search or a case's instant feeds several columns; eager ``with_columns`` computed
each of them once per column (measured: the stages take about a fifth less time). Across a
whole lazy chain of stages the same elimination costs far more than it saves, hence one
plan per stage."""
