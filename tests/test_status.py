"""``protectcalc status``: every phase, the next step, time left, traps, and exit codes 0/2/3.

The commands run through :func:`protectcalc.cli.run` (the real entry point, which turns bad
input into one line and exit 2) inside ``CliRunner`` isolation.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from protectcalc.cli import run

MOSCOW_CONFIRMED = ["--confirmed", "2026-03-01", "--tz", "Europe/Moscow"]
SPRING_FESTIVAL_ESCALATION = [
    "--tz", "Asia/Shanghai", "--shipped", "2026-01-20", "--delivered", "2026-01-28",
    "--dispute-opened", "2026-01-30", "--seller-responded", "2026-02-02",
    "--buyer-responded", "2026-02-05", "--escalated", "2026-02-12T10:00",
    "--mediator-asked", "2026-02-12T10:00",
]  # fmt: skip


def invoke(args: list[str]) -> Result:
    """Run the real entry point; stdout, stderr and the exit code as a user gets them."""
    runner = CliRunner()
    with runner.isolation(env={"NO_COLOR": "1", "COLUMNS": "120"}) as (out, err, mixed):
        code = run(args)
        sys.stdout.flush()
        sys.stderr.flush()
        return Result(runner, out.getvalue(), err.getvalue(), mixed.getvalue(), None, code, None)


def status_json(*args: str) -> dict[str, Any]:
    result = invoke(["status", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def warning_codes(data: dict[str, Any]) -> list[str]:
    return [item["code"] for item in data["warnings"]]


def deadline_ids(data: dict[str, Any]) -> list[str]:
    return [item["id"] for item in data["deadlines"]]


# --- every phase -------------------------------------------------------------------------------


def test_awaiting_payment() -> None:
    data = status_json("--placed", "2026-03-01T10:00", "--tz", "UTC", "--as-of", "2026-03-02T10:00")
    assert data["phase"] == "awaiting_payment"
    assert data["next"]["milestone"] == "payment_due"
    assert data["next"]["deadline"] == "2026-03-21T10:00+00:00"
    assert data["next"]["time_left"] == "19d 0h"
    assert data["next"]["if_nothing"] == "the order is cancelled automatically"
    assert deadline_ids(data) == ["payment_due"]


def test_awaiting_shipment_has_no_buyer_deadline() -> None:
    data = status_json(
        "--paid", "2026-03-01", "--processing-days", "7", "--tz", "UTC", "--as-of", "2026-03-02"
    )
    assert data["phase"] == "awaiting_shipment"
    assert data["next"]["milestone"] == "ship_by"
    assert data["next"]["deadline"] == "2026-03-08T00:00+00:00"
    assert deadline_ids(data) == []
    assert not [code for code in warning_codes(data) if code.startswith("trap_")]


def test_in_transit_warns_not_to_confirm_early() -> None:
    data = status_json(
        "--shipped", "2026-02-10", "--delivery-days", "30", "--tz", "Asia/Shanghai",
        "--as-of", "2026-03-10T12:00",
    )  # fmt: skip
    assert data["phase"] == "in_transit"
    assert data["next"]["milestone"] == "protection_end"
    assert data["next"]["deadline"] == "2026-03-12T00:00+08:00"
    assert data["next"]["time_left"] == "1d 12h"
    assert data["next"]["if_nothing"] == "the order completes and the money goes to the seller"
    assert deadline_ids(data) == ["safe_dispute_open", "protection_end"]
    assert warning_codes(data)[0] == "trap_confirm_early"
    assert "delivery_after_protection" in warning_codes(data)


def test_delivered_counts_down_to_automatic_confirmation() -> None:
    data = status_json(
        "--shipped", "2026-02-10", "--delivered", "2026-03-01T12:00", "--tz", "UTC",
        "--as-of", "2026-03-02T12:00",
    )  # fmt: skip
    assert data["phase"] == "delivered"
    assert data["next"]["deadline"] == "2026-03-08T12:00+00:00"
    assert data["next"]["time_left"] == "6d 0h"
    assert "trap_confirm_early" in warning_codes(data)


def test_confirmed_the_000_example() -> None:
    data = status_json(*MOSCOW_CONFIRMED, "--as-of", "2026-03-02T09:00")
    assert data["phase"] == "confirmed"
    assert data["next"]["deadline"] == "2026-03-16T00:00+03:00"
    assert data["next"]["act_by"] == "2026-03-15T00:00+03:00"
    assert data["next"]["time_left"] == "13d 15h"
    assert deadline_ids(data) == ["safe_dispute_open", "protection_end", "feedback_due"]
    # Planned dispute rounds are not deadlines yet.
    assert "buyer_response_due_1" not in deadline_ids(data)
    assert not [code for code in warning_codes(data) if code.startswith("trap_")]
    assert data["within"] is None


def test_dispute_awaiting_seller_warns_about_accept_and_cancel() -> None:
    data = status_json(
        *MOSCOW_CONFIRMED, "--dispute-opened", "2026-03-10", "--as-of", "2026-03-11T12:00"
    )
    assert data["phase"] == "dispute_awaiting_seller"
    assert data["next"]["milestone"] == "seller_response_due_1"
    assert data["next"]["deadline"] == "2026-03-15T00:00+03:00"
    assert data["next"]["act_by"] is None  # the seller's deadline
    codes = warning_codes(data)
    assert codes[:2] == ["trap_accept", "trap_cancel_near_expiry"]
    near = data["warnings"][1]["message"]
    assert "protection ends 2026-03-16 00:00 (4d 12h left)" in near
    # The dispute is open: "open a dispute by" is done.
    assert deadline_ids(data) == ["feedback_due"]


def test_dispute_far_from_expiry_has_no_cancel_trap() -> None:
    data = status_json(
        "--shipped", "2026-02-01", "--delivery-days", "60", "--dispute-opened", "2026-02-20",
        "--tz", "UTC", "--as-of", "2026-02-21",
    )  # fmt: skip
    assert data["phase"] == "dispute_awaiting_seller"
    assert "trap_accept" in warning_codes(data)
    assert "trap_cancel_near_expiry" not in warning_codes(data)


def test_dispute_awaiting_buyer() -> None:
    data = status_json(
        *MOSCOW_CONFIRMED, "--dispute-opened", "2026-03-10", "--seller-responded", "2026-03-12",
        "--as-of", "2026-03-20T00:00",
    )  # fmt: skip
    assert data["phase"] == "dispute_awaiting_buyer"
    assert data["next"]["milestone"] == "buyer_response_due_1"
    assert data["next"]["deadline"] == "2026-03-22T00:00+03:00"
    assert data["next"]["time_left"] == "2d 0h"
    assert data["next"]["if_nothing"] == "the dispute closes and the money goes to the seller"
    assert deadline_ids(data) == ["buyer_response_due_1", "feedback_due"]
    near = next(item for item in data["warnings"] if item["code"] == "trap_cancel_near_expiry")
    assert "protection ended 2026-03-16 00:00" in near["message"]


def test_an_answered_round_is_no_longer_a_deadline() -> None:
    data = status_json(
        *MOSCOW_CONFIRMED, "--dispute-opened", "2026-03-10", "--seller-responded", "2026-03-12",
        "--buyer-responded", "2026-03-14", "--as-of", "2026-03-15",
    )  # fmt: skip
    assert data["phase"] == "dispute_awaiting_seller"
    assert "buyer_response_due_1" not in deadline_ids(data)


def test_escalated_counts_business_days_of_china() -> None:
    data = status_json(*SPRING_FESTIVAL_ESCALATION, "--as-of", "2026-02-20T09:00")
    assert data["phase"] == "escalated"
    assert data["next"]["milestone"] == "escalated_response_due"
    assert data["next"]["date"] == "2026-02-28"
    assert data["next"]["deadline"] == "2026-02-28T00:00+08:00"
    assert data["next"]["time_left"] == "7d 15h"
    assert data["deadlines"][0]["id"] == "escalated_response_due"
    assert data["deadlines"][0]["business_day"] is True
    assert data["deadlines"][0]["at"] is None
    assert warning_codes(data)[0] == "trap_cancel_arbitration"


def test_closed_with_appeal_and_refund() -> None:
    args = [
        "--tz", "Europe/Moscow", "--shipped", "2025-11-20", "--delivered", "2025-12-10",
        "--dispute-opened", "2025-12-12", "--dispute-closed", "2025-12-29T12:00",
        "--dispute-outcome", "buyer_won", "--buyer-country", "RU", "--payment-method", "card",
        "--as-of", "2025-12-30T09:00",
    ]  # fmt: skip
    data = status_json(*args)
    assert data["phase"] == "closed"
    assert data["next"]["milestone"] == "appeal_due"
    assert data["next"]["deadline"] == "2026-01-05T12:00+03:00"
    table = invoke(["status", *args])
    assert table.exit_code == 0, table.output
    assert "Refund expected: 2026-01-19 Mon to 2026-01-22 Thu" in table.stdout
    assert "refunded to your original payment method (003)" in table.stdout


def test_closed_cancelled_order_has_nothing_to_do() -> None:
    data = status_json("--placed", "2026-01-01", "--tz", "UTC", "--as-of", "2026-02-01")
    assert data["phase"] == "closed"
    assert data["next"] is None
    assert data["deadlines"] == []


def test_protection_expired() -> None:
    data = status_json(*MOSCOW_CONFIRMED, "--as-of", "2026-03-20")
    assert data["phase"] == "protection_expired"
    assert data["next"] is None
    assert deadline_ids(data) == ["feedback_due"]


# --- the human view ----------------------------------------------------------------------------


def test_table_shows_phase_next_time_left_and_what_happens() -> None:
    result = invoke(["status", *MOSCOW_CONFIRMED, "--as-of", "2026-03-14T12:00"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Phase: confirmed - receipt confirmed" in out
    assert "Deadline: 2026-03-15 Sun, until 24:00 MSK" in out
    assert "Time left: 1d 12h" in out
    assert "If you do nothing: the order completes and the money goes to the seller." in out


def test_table_shows_traps_in_their_own_panel() -> None:
    result = invoke(["status", *SPRING_FESTIVAL_ESCALATION, "--as-of", "2026-02-20T09:00"])
    assert result.exit_code == 0, result.output
    assert "Traps" in result.stdout
    assert 'Never press "Cancel arbitration"' in result.stdout
    assert "2026-02-27 Fri, until 24:00 CST (a business day" in result.stdout


# --- --within and exit codes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("within", "code", "matched"),
    [
        ("11h", 0, []),
        ("12h", 3, ["safe_dispute_open"]),  # exactly 12 h left: inside
        ("35h", 3, ["safe_dispute_open"]),
        ("1d12h", 3, ["safe_dispute_open", "protection_end"]),  # exactly 1d 12h left
        ("P2D", 3, ["safe_dispute_open", "protection_end"]),
    ],
)
def test_within_exits_3_when_a_buyer_deadline_is_near(
    within: str, code: int, matched: list[str]
) -> None:
    args = ["status", *MOSCOW_CONFIRMED, "--as-of", "2026-03-14T12:00", "--within", within]
    result = invoke([*args, "--format", "json"])
    assert result.exit_code == code, result.output
    data = json.loads(result.stdout)
    assert data["within"]["matched"] == matched
    table = invoke(args)
    assert table.exit_code == code
    expected = "no buyer deadline." if not matched else f"{matched[-1]} ("
    assert expected in table.stdout


def test_within_ignores_the_sellers_deadlines() -> None:
    result = invoke(
        ["status", *MOSCOW_CONFIRMED, "--dispute-opened", "2026-03-10", "--as-of",
         "2026-03-14T12:00", "--within", "1d"]
    )  # fmt: skip
    # seller_response_due_1 (15 Mar 00:00) is 12 h away, but it is the seller's.
    assert result.exit_code == 0, result.output


def test_within_counts_a_business_day_from_its_start() -> None:
    args = ["status", *SPRING_FESTIVAL_ESCALATION, "--as-of", "2026-02-27T01:00"]
    assert invoke([*args, "--within", "22h"]).exit_code == 0
    assert invoke([*args, "--within", "23h"]).exit_code == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--within", "soon"], "--within soon: is not a duration"),
        (
            ["--format", "csv"],
            "Invalid value for '--format' / '-f': 'csv' is not one of 'table', 'json'.",
        ),
        (["--buyer-country", "XX"], "--buyer-country XX: is not a country"),
        (["--as-of", "2026-02-30"], "--as-of 2026-02-30: "),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], message: str) -> None:
    result = invoke(["status", *MOSCOW_CONFIRMED, *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"protectcalc: {message}")
    assert result.stderr.count("\n") == 1


def test_no_order_exits_2() -> None:
    result = invoke(["status"])
    assert result.exit_code == 2
    assert "no order events given" in result.stderr


def test_status_reads_an_order_file(tmp_path: Path) -> None:
    order = tmp_path / "order.yaml"
    order.write_text(
        "name: Headphones\ntimezone: Europe/Moscow\norder:\n  confirmed: 2026-03-01\n",
        encoding="utf-8",
    )
    result = invoke(["status", str(order), "--as-of", "2026-03-14T12:00", "--within", "2d"])
    assert result.exit_code == 3, result.output
    assert "Time left: 1d 12h" in result.stdout


def test_a_buyers_estimate_is_no_open_deadline(tmp_path: Path) -> None:
    """A user's rule file may give the buyer a planned step or an estimate (``kind``): it is
    shown on the timeline by its own date, but status, due and the calendar list deadlines
    only (a deadline of the same file still is listed)."""
    rules = tmp_path / "shop.toml"
    rules.write_text(
        (Path(__file__).parents[1] / "examples" / "shop.toml").read_text(encoding="utf-8")
        + """
[milestones.refund_expected]
label = "Refund expected around"
actor = "buyer"
kind = "estimate"
when = "present(delivered)"
from = "delivered"
add = "return_window"
explain = "delivered {from} + {return_window}"
""",
        encoding="utf-8",
    )
    args = ["--rules", str(rules), "--shipped", "2026-03-01", "--delivered", "2026-03-10"]
    data = status_json(*args, "--tz", "UTC", "--as-of", "2026-03-11")
    assert "return_due" in deadline_ids(data)
    assert "refund_expected" not in deadline_ids(data)
    table = invoke(["timeline", *args, "--tz", "UTC", "--as-of", "2026-03-11"])
    assert table.exit_code == 0, table.output
    assert "Refund expected around" in table.stdout
    ics = invoke(["timeline", *args, "--tz", "UTC", "--as-of", "2026-03-11", "-f", "ics"])
    assert "SUMMARY:Return the item by" in ics.stdout  # on the calendar by default
    assert "Refund expected around" not in ics.stdout  # an estimate is not, unless asked
