"""The long table prints exactly what Rich's table prints, colours and wrapping included.

Differential: every table is printed twice, once as :class:`LongTable` and once as the
``rich.table.Table`` it stands for (:meth:`LongTable.rich_table`), to consoles of the same
width, and the two outputs must be equal byte for byte.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from protectcalc.render.longtable import Cell, LongColumn, LongStack, LongTable

WORDS = [
    "a",
    "Open",
    "dispute",
    "by",
    "seller_response_due_round_3",
    "漢字",
    "Zürich",
    "x" * 45,
    "tab\there",
    "",
    " ",
    "  lead",
    "trail ",
    "😀",
    "[bold]not markup[/]",
]

run_text = st.lists(st.sampled_from([*WORDS, "line\nbreak"]), max_size=6).map(" ".join)
run = st.tuples(run_text, st.sampled_from([None, "dim", "bold red", "italic"]))
line = st.lists(run, max_size=3).map(tuple)
cell = st.lists(line, min_size=0, max_size=3).map(tuple)
column = st.builds(
    LongColumn,
    header=st.sampled_from(["When", "Time left", "Order", "Deadline", "A much longer header"]),
    no_wrap=st.booleans(),
    justify=st.sampled_from(["left", "right"]),
    max_width=st.one_of(st.none(), st.integers(min_value=1, max_value=30)),
)


def printed(renderable: object, width: int, colour: bool) -> str:
    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        force_terminal=colour,
        color_system="truecolor" if colour else None,
        legacy_windows=False,
        highlight=False,
    )
    console.print(renderable)
    return out.getvalue()


@st.composite
def tables(draw: st.DrawFn) -> LongTable:
    columns = draw(st.lists(column, min_size=1, max_size=5))
    rows = draw(
        st.lists(
            st.lists(cell, min_size=len(columns), max_size=len(columns)).map(tuple),
            max_size=6,
        )
    )
    title = draw(st.sampled_from(["Deadlines", "A title " * 12, "Orders in [bold]x[/]"]))
    return LongTable(title, columns, rows)


@settings(max_examples=400, deadline=None)
@given(tables(), st.integers(min_value=8, max_value=170), st.booleans())
def test_prints_what_rich_prints(table: LongTable, width: int, colour: bool) -> None:
    assert printed(table, width, colour) == printed(table.rich_table(), width, colour)


DUE_COLUMNS = (
    LongColumn("When", no_wrap=True),
    LongColumn("Time left", no_wrap=True, justify="right"),
    LongColumn("Order"),
    LongColumn("Deadline"),
)
"""The columns of ``due``'s table."""


def test_a_due_table_exactly() -> None:
    """Known output: wrapping in the name and label columns, the id dim, time right-aligned."""
    columns = DUE_COLUMNS
    rows: list[tuple[Cell, ...]] = [
        (
            ((("2026-03-02 Mon", None),), (("until 15:00 MSK", None),)),
            ((("3h 0m", None),),),
            ((("Headphones from the summer sale", None),),),
            (
                (("Protection ends: last moment to open a dispute", None),),
                (("protection_end", "dim"),),
            ),
        ),
        (
            ((("2026-03-05 Thu", None),), (("until 24:00", None),)),
            ((("3d 15h", None),),),
            ((("Kettle", None), (" [sale]", "dim")),),
            ((("Answer the seller", None),), (("buyer_response_due_round_1", "dim"),)),
        ),
    ]
    table = LongTable("Your open deadlines", columns, rows)
    expected = [
        "Your open deadlines" + " " * 65,
        "┏━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━┓",
        "┃ When            ┃ Time left ┃ Order                   ┃ Deadline                 ┃",
        "┡━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━┩",
        "│ 2026-03-02 Mon  │     3h 0m │ Headphones from the     │ Protection ends: last    │",
        "│ until 15:00 MSK │           │ summer sale             │ moment to open a dispute │",
        "│                 │           │                         │ protection_end           │",
        "│ 2026-03-05 Thu  │    3d 15h │ Kettle [sale]           │ Answer the seller        │",
        "│ until 24:00     │           │                         │ buyer_response_due_roun… │",
        "└─────────────────┴───────────┴─────────────────────────┴──────────────────────────┘",
    ]
    assert printed(table, 84, colour=False).splitlines() == expected
    assert printed(table, 84, colour=True) == printed(table.rich_table(), 84, colour=True)
    assert "\x1b[2mprotection_end\x1b[0m" in printed(table, 84, colour=True)


def test_due_over_many_orders_prints_as_before() -> None:
    """``render_due_table`` with the long table: the same bytes as Rich's own table."""
    from pathlib import Path

    from protectcalc.engine.status import Deadline, DueRow
    from protectcalc.model import Actor, Milestone
    from protectcalc.render.fit import Fit
    from protectcalc.render.statusout import render_due_table

    zone = ZoneInfo("Europe/Moscow")
    rows = []
    for index in range(30):
        at = datetime(2026, 3, 2, 15, 0, tzinfo=zone) + timedelta(hours=7 * index)
        milestone = Milestone(
            id="protection_end" if index % 2 else "buyer_response_due_round_2",
            day=at.date(),
            at=at,
            actor=Actor.BUYER,
            rule="protection_days",
            explain="",
            label="Protection ends: last moment to open a dispute" * (1 + index % 2),
        )
        due = Deadline(milestone, at, timedelta(hours=7 * index))
        rows.append(DueRow(f"Order {index} " * (index % 4), Path("x.yaml"), due, "Europe/Moscow"))
    fit = render_due_table(rows)
    assert isinstance(fit, Fit) and isinstance(fit.wide, LongTable)
    for width in (80, 97, 120):
        for colour in (False, True):
            assert printed(fit, width, colour) == printed(fit.wide.rich_table(), width, colour)


stack_line = st.tuples(
    st.lists(st.sampled_from([*WORDS, "line\nbreak"]), max_size=8).map(" ".join),
    st.sampled_from([None, "dim", "yellow"]),
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["Your open deadlines", "A long title " * 8]),
    st.lists(st.lists(stack_line, max_size=6), max_size=5),
    st.sampled_from([None, "bold"]),
    st.integers(min_value=10, max_value=120),
    st.booleans(),
)
def test_the_stack_prints_what_rich_prints(
    title: str,
    blocks: list[list[tuple[str, str | None]]],
    base: str | None,
    width: int,
    colour: bool,
) -> None:
    stack = LongStack(title, blocks, base)
    assert printed(stack, width, colour) == printed(stack.rich_group(), width, colour)


def test_a_stack_exactly() -> None:
    stack = LongStack(
        "Deadlines",
        [[("2026-03-02 Mon, until 15:00 MSK", None), ("protection_end", "dim")], []],
        base="bold",
    )
    assert printed(stack, 40, colour=True) == (
        "\x1b[1mDeadlines\x1b[0m\n"
        "\n"
        "\x1b[1m2026-03-02 Mon, until 15:00 MSK\x1b[0m\n"
        "\x1b[1;2mprotection_end\x1b[0m\n"
        "\n"
        "\n"
    )


def _due_like_table() -> LongTable:
    columns = DUE_COLUMNS
    row: tuple[Cell, ...] = (
        ((("2026-03-02 Mon", None),), (("until 15:00 MSK", None),)),
        ((("3h 0m", None),),),
        ((("Headphones from the summer sale", None),),),
        ((("Protection ends: last moment to open a dispute", None),),),
    )
    return LongTable("Your open deadlines", columns, [row, row])


def test_a_rich_without_its_private_helpers_still_prints_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The long table borrows two private parts of Rich (the width narrowing and the line
    breaker); a Rich release that moves or changes them must get Rich's own table, not a
    traceback."""
    from protectcalc.render import longtable

    table = _due_like_table()
    expected = printed(table.rich_table(), 60, colour=False)
    assert "Headphones from the summer sale" not in expected  # narrow: shrunk and wrapped
    assert printed(table, 60, colour=False) == expected

    def changed(*args: object, **kwargs: object) -> list[int]:
        raise TypeError("takes 2 positional arguments but 3 were given")

    for helper in ("_collapse_widths", "_divide_line"):
        for replacement in (None, changed):
            with monkeypatch.context() as patched:
                patched.setattr(longtable, helper, replacement)
                assert printed(table, 60, colour=False) == expected, (helper, replacement)
