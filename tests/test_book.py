"""The order book: ``add``, ``record``, ``orders``, book names for ``status``/``timeline``/``due``.

Every refusal leaves the order file exactly as it was: same bytes, same modification time.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from protectcalc.book import (
    EVENT_NAMES,
    book_folder,
    check_name,
    default_folder,
    event_kind,
    recorded_text,
)
from protectcalc.cli import run
from protectcalc.errors import InputError

OLD = 1_600_000_000  # a modification time no write in a test can give


def invoke(args: list[str], book: Path | None = None, **env: str) -> Result:
    runner = CliRunner()
    environment = {"NO_COLOR": "1", "COLUMNS": "100", **env}
    if book is not None:
        environment["PROTECTCALC_ORDERS"] = str(book)
    with runner.isolation(env=environment) as (out, err, mixed):
        code = run(args)
        sys.stdout.flush()
        sys.stderr.flush()
        return Result(runner, out.getvalue(), err.getvalue(), mixed.getvalue(), None, code, None)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return tmp_path / "orders"


@pytest.fixture
def headphones(book: Path) -> Iterator[Path]:
    """An order in the book: shipped, confirmed by accident, dispute open, seller answered."""
    result = invoke(
        [
            "add",
            "headphones",
            "--shipped",
            "2026-02-10",
            "--confirmed",
            "2026-03-01T11:00",
            "--dispute-opened",
            "2026-03-14T20:00",
            "--seller-responded",
            "2026-03-18T10:00",
            "--tz",
            "Europe/Moscow",
            "--note",
            "Bluetooth headphones, order 8123",
            "--as-of",
            "2026-03-18T12:00",
        ],
        book,
    )
    assert result.exit_code == 0, result.output
    path = book / "headphones.yaml"
    os.utime(path, (OLD, OLD))
    yield path


def snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


# --- pure parts ---------------------------------------------------------------------------


def test_the_book_follows_xdg_and_can_be_moved() -> None:
    home = Path("/home/u")
    assert default_folder({}, home, "linux") == home / ".local/share/protectcalc/orders"
    assert default_folder({"XDG_DATA_HOME": "/data"}, home, "linux") == Path(
        "/data/protectcalc/orders"
    )
    # A relative XDG_DATA_HOME is invalid by the spec and ignored.
    assert default_folder({"XDG_DATA_HOME": "rel"}, home, "linux") == home / (
        ".local/share/protectcalc/orders"
    )
    assert default_folder({}, home, "darwin").parts[-4:] == (
        "Library",
        "Application Support",
        "protectcalc",
        "orders",
    )
    env = {"PROTECTCALC_ORDERS": "/srv/book", "XDG_DATA_HOME": "/data"}
    assert book_folder(None, env, home, "linux") == Path("/srv/book")
    assert book_folder(Path("/opt/x"), env, home, "linux") == Path("/opt/x")


@pytest.mark.parametrize(
    "name",
    [
        "",
        "../x",
        "/",
        "a/b",
        "a\\b",
        "..",
        ".hidden",
        "a\x01b",
        "a\nb",
        "a b",
        "x.yaml",
        "nul",
        "-x",
    ],
)
def test_unsafe_names_are_refused(name: str) -> None:
    with pytest.raises(InputError) as caught:
        check_name(name)
    assert caught.value.field == "NAME"


@pytest.mark.parametrize("name", ["8123", "headphones", "lamp-2026", "a.b_c+d@e", "наушники"])
def test_safe_names_pass(name: str) -> None:
    assert check_name(name) == name


def test_event_names_and_suggestions() -> None:
    assert event_kind("seller_responded").name == "seller-responded"
    assert "extended" in EVENT_NAMES
    with pytest.raises(InputError, match="did you mean delivered"):
        event_kind("deliverd")


def test_recorded_text_keeps_comments_quotes_order_and_indentation() -> None:
    text = (
        "# my order\n"
        "name: headphones   # the name\n"
        "timezone: Europe/Moscow\n"
        "order:\n"
        "  shipped: 2026-02-10    # tracking XYZ\n"
        "  confirmed: '2026-03-01'\n"
        "dispute:\n"
        "  opened: 2026-03-14T20:00\n"
        "  seller_responses:\n"
        "    - 2026-03-18T10:00\n"
        "  buyer_responses: [2026-03-20]\n"
    )
    seller = recorded_text(text, event_kind("seller-responded"), "2026-03-24", None)
    assert seller == text.replace(
        "    - 2026-03-18T10:00\n", "    - 2026-03-18T10:00\n    - 2026-03-24\n"
    )
    buyer = recorded_text(text, event_kind("buyer-responded"), "2026-03-25T08:00", None)
    assert buyer == text.replace("[2026-03-20]", "[2026-03-20, 2026-03-25T08:00]")
    closed = recorded_text(text, event_kind("dispute-closed"), "2026-03-26", "buyer_won")
    assert closed == text + "  closed: 2026-03-26\n  outcome: buyer_won\n"


def test_a_new_dispute_section_goes_after_the_order() -> None:
    text = "name: x\norder:\n    shipped: 2026-02-10\n    extended: 15\nexpect:\n    phase: x\n"
    opened = recorded_text(text, event_kind("dispute-opened"), "2026-03-22", None)
    assert opened == text.replace("expect:", "dispute:\n    opened: 2026-03-22\nexpect:")
    extended = recorded_text(text, event_kind("extended"), 20, None)
    assert "extended: [15, 20]" in extended


# --- add ----------------------------------------------------------------------------------


def test_add_writes_a_plain_order_file_with_fixed_dates(book: Path) -> None:
    result = invoke(
        [
            "add",
            "lamp",
            "--shipped",
            "yesterday",
            "--delivery-days",
            "045",
            "--tz",
            "Asia/Shanghai",
            "--note",
            "Desk lamp: 'warm' #2",
            "--rules",
            "aliexpress",
            "--as-of",
            "2026-03-02T09:30",
        ],
        book,
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("added lamp (")
    assert "in_transit; next: " in result.stdout
    text = (book / "lamp.yaml").read_text("utf-8")
    assert "name: lamp\n" in text
    assert "description: \"Desk lamp: 'warm' #2\"\n" in text
    assert "timezone: Asia/Shanghai\nrules: aliexpress\n" in text
    assert "  shipped: 2026-03-01\n  delivery_days: 45\n" in text  # yesterday, fixed
    assert "as_of" not in text
    # Every command reads it as an ordinary order file.
    again = invoke(["timeline", str(book / "lamp.yaml"), "--format", "json"], book)
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["timezone"] == "Asia/Shanghai"


def test_the_book_says_the_last_day_of_a_midnight_deadline(book: Path) -> None:
    """Safe date 15 March 00:00: the confirmation and the list name 14 March (SPEC 2.3),
    never "2026-03-15 Sun 00:00", which reads as a day more than there is."""
    added = invoke(
        ["add", "x", "--confirmed", "2026-03-01", "--tz", "Europe/Moscow", "--as-of", "2026-03-02"],
        book,
    )
    assert added.exit_code == 0, added.output
    assert added.stdout.endswith(
        "next: Open a dispute by (safe date), 2026-03-14 Sat until 24:00 MSK (13d 0h left)\n"
    )
    listed = invoke(["orders", "--as-of", "2026-03-02"], book)
    assert listed.exit_code == 0, listed.output
    assert "2026-03-14 Sat until 24:00 MSK" in listed.stdout
    assert "00:00" not in added.stdout + listed.stdout


def test_add_defaults_to_the_system_zone_and_writes_it(book: Path) -> None:
    result = invoke(["add", "x1", "--shipped", "2026-02-10"], book, TZ="America/New_York")
    assert result.exit_code == 0, result.output
    assert "timezone: America/New_York\n" in (book / "x1.yaml").read_text("utf-8")


def test_add_takes_in_an_existing_order_file(book: Path, tmp_path: Path) -> None:
    source = tmp_path / "old.yaml"
    source.write_text("timezone: Europe/Moscow\norder:\n  confirmed: 2026-03-01\n", "utf-8")
    result = invoke(["add", "old", str(source), "--note", "from a file"], book)
    assert result.exit_code == 0, result.output
    text = (book / "old.yaml").read_text("utf-8")
    assert "confirmed: 2026-03-01" in text and "timezone: Europe/Moscow" in text


def test_add_refuses_an_existing_name_and_leaves_it(headphones: Path, book: Path) -> None:
    before = snapshot(headphones)
    result = invoke(["add", "headphones", "--shipped", "2026-02-11"], book)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "NAME headphones: is already in the book" in result.stderr
    assert snapshot(headphones) == before


@pytest.mark.parametrize("name", ["../x", "/", "", "a\x07b", ".x", "sub/x"])
def test_add_refuses_unsafe_names_and_writes_nothing(book: Path, name: str) -> None:
    result = invoke(["add", name, "--shipped", "2026-02-10"], book)
    assert result.exit_code == 2
    assert result.stderr.startswith("protectcalc: NAME")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not book.exists()
    assert not (book.parent / "x.yaml").exists()


def test_add_validates_the_order_first(book: Path) -> None:
    result = invoke(["add", "bad", "--shipped", "2026-03-10", "--delivered", "2026-03-01"], book)
    assert result.exit_code == 2
    assert "--delivered 2026-03-01: is before --shipped 2026-03-10" in result.stderr
    assert not (book / "bad.yaml").exists()
    empty = invoke(["add", "empty"], book)
    assert empty.exit_code == 2
    assert "no order events given" in empty.stderr
    assert not (book / "empty.yaml").exists()


# --- record -------------------------------------------------------------------------------


def test_record_adds_events_in_place(headphones: Path, book: Path) -> None:
    headphones.write_text(
        headphones.read_text("utf-8").replace("order:\n", "order:  # from the app\n"), "utf-8"
    )
    result = invoke(
        ["record", "headphones", "buyer-responded", "now", "--as-of", "2026-03-26T09:41:30"], book
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("recorded headphones buyer-responded 2026-03-26 09:41: ")
    text = headphones.read_text("utf-8")
    assert "order:  # from the app\n" in text  # comments kept
    assert "buyer_responses: [2026-03-26T09:41]" in text  # now, to the minute, fixed
    extended = invoke(
        ["record", "headphones", "seller-responded", "2026-03-28", "--as-of", "2026-03-28T12:00"],
        book,
    )
    assert extended.exit_code == 0, extended.output
    assert "seller_responses: [2026-03-18T10:00, 2026-03-28]" in headphones.read_text("utf-8")


def test_record_delivered_with_a_time_and_extended_days(book: Path) -> None:
    assert (
        invoke(
            ["add", "8123", "--shipped", "2026-02-10", "--delivery-days", "30", "--tz", "UTC"], book
        ).exit_code
        == 0
    )
    path = book / "8123.yaml"
    assert invoke(["record", "8123", "extended", "15"], book).exit_code == 0
    assert invoke(["record", "8123", "extended", "20"], book).exit_code == 0
    result = invoke(["record", "8123", "delivered", "2026-03-01T15:20"], book)
    assert result.exit_code == 0, result.output
    text = path.read_text("utf-8")
    assert "  extended: [15, 20]\n" in text
    assert "  delivered: 2026-03-01T15:20\n" in text
    status = invoke(["status", "8123", "--format", "json", "--as-of", "2026-03-02"], book)
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["phase"] == "delivered"


REFUSALS = [
    # (event, when, extra options, what the message says)
    (["confirmed", "2026-03-02"], "is already recorded (2026-03-01 11:00)"),
    (["delivered", "2026-02-01"], "is before --shipped 2026-02-10"),
    (["seller-responded", "2026-03-19"], "answers round 2, but no edit of yours started it"),
    (["buyer-responded", "2026-03-17"], "is before --seller-responded 2026-03-18"),
    (["buyer-responded", "2026-04-01"], "is in the future"),
    (["buyer-responded", "2026-02-30"], "is not a real date"),
    (["buyer-responded", "03/04/2026"], "--dayfirst"),
    (["extended"], "needs a whole number of days"),
    (["extended", "15"], "needs --shipped and --delivery-days"),
    (["teleported", "now"], "is not an event protectcalc can record"),
    (["delivered", "now", "--outcome", "buyer_won"], "goes with dispute-closed only"),
    (["dispute-closed", "now", "--outcome", "won"], "is not one of: buyer_won"),
]


@pytest.mark.parametrize(("args", "message"), REFUSALS)
def test_record_refusals_leave_the_file_untouched(
    headphones: Path, book: Path, args: list[str], message: str
) -> None:
    before = snapshot(headphones)
    result = invoke(["record", "headphones", *args, "--as-of", "2026-03-20T12:00"], book)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(headphones) == before
    assert sorted(p.name for p in book.iterdir()) == ["headphones.yaml"]  # no temp file left


def test_nothing_is_recorded_after_the_dispute_closed(headphones: Path, book: Path) -> None:
    closed = invoke(
        [
            *("record", "headphones", "dispute-closed", "2026-03-20T09:00"),
            *("--outcome", "buyer_won", "--as-of", "2026-03-20T12:00"),
        ],
        book,
    )
    assert closed.exit_code == 0, closed.output
    assert "outcome: buyer_won" in headphones.read_text("utf-8")
    os.utime(headphones, (OLD, OLD))
    before = snapshot(headphones)
    for args in (["buyer-responded", "2026-03-20T10:00"], ["delivered", "2026-03-20T10:00"]):
        result = invoke(["record", "headphones", *args, "--as-of", "2026-03-21"], book)
        assert result.exit_code == 2
        assert "the dispute was closed on 2026-03-20 09:00" in result.stderr
        assert snapshot(headphones) == before


def test_after_escalation_only_questions_and_the_closing(headphones: Path, book: Path) -> None:
    for event, when in (("buyer-responded", "2026-03-19"), ("escalated", "2026-03-19T12:00")):
        result = invoke(["record", "headphones", event, when, "--as-of", "2026-03-20"], book)
        assert result.exit_code == 0, result.output
    os.utime(headphones, (OLD, OLD))
    before = snapshot(headphones)
    result = invoke(
        ["record", "headphones", "seller-responded", "2026-03-19T18:00", "--as-of", "2026-03-20"],
        book,
    )
    assert result.exit_code == 2
    assert "only mediator-asked and dispute-closed can be recorded now" in result.stderr
    assert snapshot(headphones) == before
    asked = invoke(
        ["record", "headphones", "mediator-asked", "2026-03-19T18:00", "--as-of", "2026-03-20"],
        book,
    )
    assert asked.exit_code == 0, asked.output
    assert "mediator_questions: [2026-03-19T18:00]" in headphones.read_text("utf-8")


def test_record_refuses_unknown_and_unsafe_names(headphones: Path, book: Path) -> None:
    before = snapshot(headphones)
    missing = invoke(["record", "nothere", "delivered", "now"], book)
    assert missing.exit_code == 2
    assert "NAME nothere: is not an order in the book" in missing.stderr
    for name in ("../headphones", "/", ""):
        result = invoke(["record", name, "delivered", "now"], book)
        assert result.exit_code == 2
        assert result.stderr.startswith("protectcalc: NAME")
    assert snapshot(headphones) == before


def test_record_refuses_a_broken_file_and_leaves_it(headphones: Path, book: Path) -> None:
    broken = headphones.read_text("utf-8").replace("2026-02-10", "2026-02-30")
    headphones.write_text(broken, "utf-8")
    os.utime(headphones, (OLD, OLD))
    before = snapshot(headphones)
    result = invoke(["record", "headphones", "buyer-responded", "2026-03-19"], book)
    assert result.exit_code == 2
    assert "headphones.yaml:" in result.stderr and "2026-02-30" in result.stderr
    assert snapshot(headphones) == before


# --- orders, status NAME, timeline NAME, due -------------------------------------------------


def test_orders_lists_the_book(headphones: Path, book: Path) -> None:
    assert invoke(["add", "lamp", "--placed", "2026-03-10", "--tz", "UTC"], book).exit_code == 0
    result = invoke(["orders", "--format", "json", "--as-of", "2026-03-20T12:00"], book)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    got = [(o["name"], o["rules"], o["phase"], o["next"]) for o in data["orders"]]
    assert got == [
        ("headphones", "aliexpress", "dispute_awaiting_buyer", "buyer_response_due_1"),
        ("lamp", "aliexpress", "awaiting_payment", "payment_due"),
    ]
    assert data["orders"][0]["note"] == "Bluetooth headphones, order 8123"
    table = invoke(["orders", "--as-of", "2026-03-20T12:00"], book)
    assert "headphones" in table.stdout and "You must answer the seller" in table.stdout


def test_orders_names_a_bad_file_and_lists_the_rest(headphones: Path, book: Path) -> None:
    (book / "bad.yaml").write_text("order:\n  shipped: 2026-02-30\n", "utf-8")
    result = invoke(["orders", "--format", "csv", "--as-of", "2026-03-20"], book)
    assert result.exit_code == 2
    assert "bad.yaml:2:12: order.shipped 2026-02-30" in result.stderr
    assert "headphones," in result.stdout


def test_an_empty_book_is_not_an_error(book: Path) -> None:
    result = invoke(["orders"], book)
    assert result.exit_code == 0
    assert "No orders in" in result.stdout
    due = invoke(["due", "--within", "2d"], book)
    assert due.exit_code == 0
    assert "No open buyer deadlines." in due.stdout


def test_status_and_timeline_take_a_book_name(headphones: Path, book: Path) -> None:
    status = invoke(["status", "headphones", "--as-of", "2026-03-20", "--format", "json"], book)
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["phase"] == "dispute_awaiting_buyer"
    timeline = invoke(["timeline", "headphones", "--format", "csv", "--orders", str(book)])
    assert timeline.exit_code == 0, timeline.output
    assert "buyer_response_due_1,2026-03-28" in timeline.stdout


def test_a_path_that_exists_wins_over_a_book_name(
    headphones: Path, book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "headphones").write_text("order:\n  placed: 2026-03-01\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    result = invoke(["status", "headphones", "--format", "json", "--as-of", "2026-03-02"], book)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["phase"] == "awaiting_payment"


def test_neither_a_file_nor_a_book_name(book: Path) -> None:
    result = invoke(["status", "nothere"], book)
    assert result.exit_code == 2
    assert result.stderr == (
        f"protectcalc: ORDER_FILE nothere: is neither a file nor an order in the book {book} "
        "(protectcalc orders lists them)\n"
    )


def test_due_with_no_path_reads_the_book(headphones: Path, book: Path) -> None:
    result = invoke(
        ["due", "--as-of", "2026-03-26T12:00", "--tz", "UTC", "--within", "2d", "--format", "csv"],
        book,
    )
    assert result.exit_code == 3, result.output
    assert "headphones," in result.stdout and "buyer_response_due_1" in result.stdout


def test_the_book_keeps_every_event_of_the_vocabulary_and_the_layers(book: Path) -> None:
    """Events other rule sets read, and `--also`, are written to the file, not dropped."""
    added = invoke(
        [
            *("add", "lamp", "--rules", "etsy", "--also", "paypal", "--tz", "UTC"),
            *("--paid", "2026-03-01", "--estimated-delivery", "2026-03-20"),
            *("--as-of", "2026-03-02T09:00"),
        ],
        book,
    )
    assert added.exit_code == 0, added.output
    path = book / "lamp.yaml"
    text = path.read_text("utf-8")
    assert "also: [paypal]\n" in text and "  estimated_delivery: 2026-03-20\n" in text
    recorded = invoke(
        ["record", "lamp", "seller-contacted", "2026-03-22T10:00", "--as-of", "2026-03-23"], book
    )
    assert recorded.exit_code == 0, recorded.output
    assert "  seller_contacted: 2026-03-22T10:00\n" in path.read_text("utf-8")
