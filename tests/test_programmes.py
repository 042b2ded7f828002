"""Issue 10: the programmes' rule sets, the new events, a flag no rule set reads, layers.

Expected instants are the hand-worked cases of the research notes (P1.., E1.., A1.., T1..,
X1.., C1..), computed independently with zoneinfo and holidays.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from protectcalc.cli import run
from protectcalc.rules import load_rule_set
from protectcalc.rules.loader import shipped_names
from tests.conftest import timeline_for

PROGRAMMES = ("paypal", "ebay", "amazon", "temu", "etsy", "card")


def invoke(args: list[str]) -> Result:
    runner = CliRunner()
    with runner.isolation(env={"NO_COLOR": "1", "COLUMNS": "160"}) as (out, err, mixed):
        code = run(args)
        sys.stdout.flush()
        sys.stderr.flush()
        return Result(runner, out.getvalue(), err.getvalue(), mixed.getvalue(), None, code, None)


def at(rules: str, milestone: str, readings: dict[str, str] | None = None, **order: object) -> str:
    timeline = timeline_for(load_rule_set(rules, readings), **order)
    item = timeline.milestone(milestone)
    assert item is not None, f"{rules}: no {milestone}"
    return item.at.isoformat() if item.at is not None else item.day.isoformat()


def test_rules_list_shows_at_least_seven_sets() -> None:
    result = invoke(["rules", "list"])
    assert result.exit_code == 0
    names = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert {"aliexpress", *PROGRAMMES} <= set(names)
    assert len(names) >= 7


@pytest.mark.parametrize("name", PROGRAMMES)
def test_every_rule_cites_a_page_read_with_our_words(name: str) -> None:
    rules = load_rule_set(name)
    assert rules.items()
    for rule_id, rule in rules.items():
        for reading in (rule, *rule.alternatives.values()):
            assert reading.sources, rule_id
            for source in reading.sources:
                assert source.url and source.read and source.says, (name, rule_id)
                assert source.quote is None and source.seed is None


def test_card_sources_are_all_secondary() -> None:
    rules = load_rule_set("card")
    assert all(
        source.secondary
        for _, rule in rules.items()
        for reading in (rule, *rule.alternatives.values())
        for source in reading.sources
    )


def test_paypal_key_deadlines() -> None:
    assert (
        at("paypal", "dispute_open_end", paid="2026-03-02T10:15", tz="America/New_York")
        == "2026-08-29T11:15:00-04:00"
    )
    assert (
        at(
            "paypal",
            "claim_escalation_due",
            paid="2026-04-01",
            dispute_opened="2026-04-10T09:00",
            tz="Europe/Berlin",
        )
        == "2026-04-30T09:00:00+02:00"
    )
    assert (
        at("paypal", "snad_dispute_end", paid="2026-02-01", delivered="2026-02-10")
        == "2026-03-12T00:00:00+00:00"
    )
    assert (
        at(
            "paypal",
            "seller_claim_due",
            paid="2026-04-20",
            dispute_opened="2026-05-01",
            claim_escalated="2026-05-05T14:00",
            tz="Asia/Tokyo",
        )
        == "2026-05-15T14:00:00+09:00"
    )


def test_paypal_reading_switches_by_the_payment_date() -> None:
    before = timeline_for(load_rule_set("paypal"), paid="2014-10-01", tz="America/New_York")
    after = timeline_for(load_rule_set("paypal"), paid="2014-12-01", tz="America/New_York")
    assert before.rules == "paypal[dispute_open_window=days_45]"
    assert before.summary.protection_end.isoformat() == "2014-11-14T23:00:00-05:00"  # type: ignore[union-attr]
    assert after.rules == "paypal"
    assert after.summary.protection_end.isoformat() == "2015-05-30T01:00:00-04:00"  # type: ignore[union-attr]
    disagree = [w.message for w in before.warnings if w.code == "seeds_disagree"]
    assert "default: 180 days" in disagree[0] and "in force from 2014-11-18" in disagree[0]


def test_ebay_business_days_skip_thanksgiving() -> None:
    order = {"paid": "2026-11-01", "dispute_opened": "2026-11-20", "tz": "America/New_York"}
    assert at("ebay", "seller_response_due", **order) == "2026-11-25"
    assert at("ebay", "step_in_possible", **order) == "2026-11-26T00:00:00-05:00"
    assert at("ebay", "step_in_by", **order) == "2026-12-22"
    assert (
        at("ebay", "report_end", estimated_delivery="2026-03-10", tz="America/Chicago")
        == "2026-04-09T00:00:00-05:00"
    )


def test_amazon_claim_window_and_the_order_date_reading() -> None:
    order = {"placed": "2026-01-02", "estimated_delivery": "2026-02-20", "tz": "America/New_York"}
    assert at("amazon", "claim_end", **order) == "2026-04-02T01:00:00-04:00"
    current = {"claim_window": "after_delivery_estimate"}
    assert at("amazon", "claim_end", current, **order) == "2026-05-21T01:00:00-04:00"
    assert (
        at(
            "amazon",
            "claim_opens",
            estimated_delivery="2026-03-10",
            seller_contacted="2026-03-13T21:30",
            tz="America/New_York",
        )
        == "2026-03-15T21:30:00-04:00"
    )


def test_temu_etsy_card_key_deadlines() -> None:
    assert (
        at("temu", "return_due", placed="2026-09-01", tz="Europe/Berlin")
        == "2026-11-29T23:00:00+01:00"
    )
    assert (
        at(
            "temu",
            "ship_back_by",
            placed="2026-02-14T19:45",
            return_submitted="2026-05-15T19:00",
            tz="America/New_York",
        )
        == "2026-05-29T19:00:00-04:00"
    )
    etsy = {
        "estimated_delivery": "2026-03-10",
        "seller_contacted": "2026-03-12T09:00Z",
        "tz": "Europe/London",
    }
    assert at("etsy", "case_opens", **etsy) == "2026-03-14T09:00:00+00:00"
    assert at("etsy", "case_end", **etsy) == "2026-04-09T01:00:00+01:00"
    eligible = {"case_window": "days_100_eligible"}
    assert at("etsy", "case_end", eligible, **etsy) == "2026-06-22T10:00:00+01:00"
    assert (
        at("card", "chargeback_end", transaction_posted="2026-01-10") == "2026-05-10T00:00:00+00:00"
    )
    late = {"dispute_window": "from_expected_delivery"}
    assert (
        at(
            "card",
            "chargeback_end",
            late,
            transaction_posted="2026-01-10",
            estimated_delivery="2027-05-01",
        )
        == "2027-07-04T00:00:00+00:00"
    )


def test_a_flag_the_rule_set_does_not_read_is_refused() -> None:
    result = invoke(
        ["timeline", "--paid", "2026-03-01", "--estimated-delivery", "2026-03-20", "--tz", "UTC"]
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "protectcalc: --estimated-delivery 2026-03-20: is not read by the rule set aliexpress "
        "(the rule sets that read it: amazon, card, ebay, etsy, temu; choose one with --rules "
        "or --also, or leave it out)\n"
    )


def test_a_flag_read_by_a_layer_is_accepted() -> None:
    result = invoke(
        [
            "timeline",
            "--paid",
            "2026-03-01",
            "--estimated-delivery",
            "2026-03-20",
            "--tz",
            "UTC",
            "--also",
            "card",
            "--as-of",
            "2026-03-02",
            "-f",
            "json",
        ]
    )
    assert result.exit_code == 0, result.stderr


LAYERED = [
    "--rules",
    "aliexpress",
    "--also",
    "paypal",
    "--also",
    "card",
    "--paid",
    "2026-02-01",
    "--shipped",
    "2026-02-03",
    "--confirmed",
    "2026-03-01",
    "--tz",
    "Europe/Moscow",
    "--as-of",
    "2026-03-02T09:00",
]


def test_layered_json() -> None:
    result = invoke(["timeline", *LAYERED, "-f", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema"] == 1 and data["rules"] == "aliexpress"
    assert data["summary"]["protection_end"] == "2026-03-16T00:00+03:00"
    assert [layer["name"] for layer in data["layers"]] == ["paypal", "card"]
    paypal, card = data["layers"]
    assert paypal["summary"]["protection_end"] == "2026-07-31T00:00+03:00"
    assert card["summary"]["protection_end"] == "2026-06-01T00:00+03:00"
    assert {"rules", "title", "phase", "milestones", "summary", "next", "warnings"} <= set(paypal)
    assert data["last_open"] == {
        "rules": "paypal",
        "title": "PayPal Buyer Protection",
        "until": "2026-07-31T00:00+03:00",
    }
    assert data["next_across"]["rules"] == "aliexpress"
    assert data["next_across"]["deadline"] == "2026-03-16T00:00+03:00"


def test_layered_status_names_the_last_protection_open() -> None:
    result = invoke(["status", *LAYERED])
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    # Said as last days (SPEC 2.3): protection ending 31 July 00:00 leaves 30 July.
    assert (
        "The last protection still open: PayPal Buyer Protection, 2026-07-30 Thu, "
        "until 24:00 MSK" in text
    )
    assert "Next across all: AliExpress buyer protection" in text
    assert "arrives): 2026-03-15 Sun, until 24:00 MSK (13d 15h left)" in text
    assert "00:00 MSK" not in text


def test_layered_calendar_has_distinct_uids_per_layer() -> None:
    result = invoke(["timeline", *LAYERED, "-f", "ics"])
    assert result.exit_code == 0, result.stderr
    uids = [line for line in result.stdout.splitlines() if line.startswith("UID:")]
    assert len(uids) == len(set(uids)) >= 3
    assert "SUMMARY:paypal: Open a PayPal dispute by" in result.stdout.replace("\r\n ", "")


def test_layered_due_labels_each_programme(tmp_path: Path) -> None:
    (tmp_path / "order.yaml").write_text(
        "name: lamp\ntimezone: Europe/Moscow\nalso: [paypal, card]\n"
        "order:\n  paid: 2026-02-01\n  shipped: 2026-02-03\n  confirmed: 2026-03-01\n"
    )
    result = invoke(["due", str(tmp_path), "--as-of", "2026-03-02T09:00", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["deadlines"]
    assert [(row["name"], row["id"], row["due"]) for row in rows] == [
        ("lamp [aliexpress]", "safe_dispute_open", "2026-03-15T00:00+03:00"),
        ("lamp [aliexpress]", "protection_end", "2026-03-16T00:00+03:00"),
        ("lamp [aliexpress]", "feedback_due", "2026-03-31T00:00+03:00"),
        ("lamp [card]", "chargeback_end", "2026-06-01T00:00+03:00"),
        ("lamp [paypal]", "dispute_open_end", "2026-07-31T00:00+03:00"),
    ]


def test_also_a_set_twice_is_refused() -> None:
    result = invoke(["timeline", "--paid", "2026-02-01", "--also", "paypal", "--also", "paypal"])
    assert result.exit_code == 2
    assert "names the rule set paypal a second time" in result.stderr


def test_every_programme_has_six_scenarios() -> None:
    root = Path(__file__).resolve().parent.parent / "scenarios"
    for name in PROGRAMMES:
        assert len(list((root / name).glob("*.yaml"))) >= 6, name
    assert len(list((root / "layers").glob("*.yaml"))) >= 2
    assert set(PROGRAMMES) <= set(shipped_names())
