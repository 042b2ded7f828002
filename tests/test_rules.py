"""The rule set as data: the shipped file, readings, and broken files refused with a name."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from importlib import resources
from pathlib import Path

import pytest

from protectcalc.errors import InputError, RuleSetError
from protectcalc.rules import Unit, load_rule_set, parse_readings
from tests.test_cli import invoke

ALIEXPRESS_RULES = (
    "payment_window", "cancel_response", "cancel_by_agreement", "processing_time",
    "delivery_period", "protection_extension_max", "admin_extension", "auto_confirm",
    "auto_confirmation_protection", "post_confirmation_protection", "safety_margin",
    "seller_response", "seller_expected_response", "buyer_response", "dispute_rounds",
    "negotiation_limit", "seller_usual_response", "usual_dispute_length", "dispute_reopen",
    "seller_silence", "escalated_response", "escalated_review", "appeal_window",
    "appeal_after_cancel", "feedback_window",
    "feedback_edit_window", "refund_after_cancel", "refund_after_dispute",
    "shipping_standard", "shipping_premium",
)  # fmt: skip
"""Every rule of the shipped AliExpress set, in file order."""

SHIPPED = resources.files("protectcalc.rules.data").joinpath("aliexpress.toml").read_text("utf-8")
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def test_shipped_rule_set_has_every_rule_with_the_spec_values() -> None:
    rules = load_rule_set()
    assert [rule_id for rule_id, _ in rules.items()] == list(ALIEXPRESS_RULES)
    assert rules.elapsed("payment_window") == timedelta(days=20)
    assert rules.elapsed("cancel_response") == timedelta(hours=72)
    assert rules.elapsed("protection_extension_max") == timedelta(days=90)
    assert rules.elapsed("admin_extension") == timedelta(days=15)
    assert rules.elapsed("admin_extension", high=True) == timedelta(days=20)
    assert rules.elapsed("auto_confirm") == timedelta(days=7)
    assert rules.elapsed("post_confirmation_protection") == timedelta(days=15)
    assert rules.elapsed("safety_margin") == timedelta(days=1)
    assert rules.elapsed("seller_response") == timedelta(days=5)
    assert rules.elapsed("seller_expected_response") == timedelta(days=4)
    assert rules.elapsed("buyer_response") == timedelta(days=10)
    assert rules.count("dispute_rounds") == 3
    assert rules.elapsed("appeal_window") == timedelta(days=7)
    assert rules.elapsed("feedback_window") == timedelta(days=30)
    assert rules.elapsed("feedback_edit_window") == timedelta(days=30)
    assert rules["processing_time"].unit is Unit.LISTING
    assert rules["delivery_period"].unit is Unit.LISTING
    escalated = rules["escalated_response"]
    assert (escalated.value, escalated.unit, escalated.calendar) == (
        7,
        Unit.BUSINESS_DAYS,
        "platform",
    )
    refund = rules["refund_after_cancel"]
    assert (refund.min, refund.max, refund.calendar) == (3, 20, "buyer")
    shipping = rules["shipping_standard"]
    assert (shipping.min, shipping.max, shipping.calendar) == (15, 45, "seller")


def test_every_rule_names_a_seed_and_a_quote() -> None:
    for rule_id, rule in load_rule_set().items():
        assert rule.sources, rule_id
        for reading in rule.alternatives.values():
            assert reading.sources, rule_id


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not beside the checkout")
def test_every_quote_is_in_its_seed() -> None:
    def norm(text: str) -> str:
        text = text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
        return re.sub(r"\s+", " ", text).lower()

    texts = {path.name: norm(path.read_text("utf-8")) for path in SEEDS.iterdir()}
    for rule_id, rule in load_rule_set().items():
        for reading in (rule, *rule.alternatives.values()):
            for source in reading.sources:
                for part in source.quote.split("..."):
                    assert norm(part.strip()) in texts[source.seed], (rule_id, part)


def test_readings_select_alternatives() -> None:
    rules = load_rule_set(None, parse_readings(["post_confirmation_protection=ends_at_once"]))
    assert rules.elapsed("post_confirmation_protection") == timedelta(0)
    assert rules["post_confirmation_protection"].reading == "ends_at_once"
    assert rules.label == "aliexpress[post_confirmation_protection=ends_at_once]"
    assert load_rule_set(None, {"post_confirmation_protection": "default"}).label == "aliexpress"


@pytest.mark.parametrize(
    ("pair", "field"),
    [
        ("post_confirmation_protection=forever", "reading"),
        ("no_such_rule=seven_days", "reading"),
    ],
)
def test_unknown_readings_are_input_errors(pair: str, field: str) -> None:
    with pytest.raises(InputError) as caught:
        load_rule_set(None, parse_readings([pair]))
    assert caught.value.field == field
    assert pair in str(caught.value)


@pytest.mark.parametrize("pair", ["ends_at_once", "=x", "rule=", ""])
def test_malformed_reading_pairs(pair: str) -> None:
    with pytest.raises(InputError, match="RULE=READING"):
        parse_readings([pair])


def test_unknown_shipped_rule_set_name() -> None:
    with pytest.raises(InputError) as caught:
        load_rule_set("wish")
    assert caught.value.field == "rules" and "wish" in str(caught.value)


def test_missing_rule_set_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(InputError) as caught:
        load_rule_set(str(missing))
    assert str(missing) in str(caught.value)


def test_a_copy_of_the_shipped_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "copy.toml"
    path.write_text(SHIPPED, "utf-8")
    assert load_rule_set(str(path)).elapsed("seller_response") == timedelta(days=5)


# --- broken files: RuleSetError naming the file and the rule ----------------------------


def _without_rule(text: str, rule_id: str) -> str:
    """The shipped text with one rule's tables (and its alternatives) removed."""
    kept: list[str] = []
    skipping = False
    for line in text.splitlines():
        if line.startswith("["):
            skipping = line.startswith((f"[rules.{rule_id}]", f"[rules.{rule_id}."))
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n"


BROKEN: dict[str, tuple[str, str]] = {
    "bad_toml": (
        SHIPPED.replace("value = 20\n", "value = = 20\n", 1),
        "not valid TOML",
    ),
    "unknown_key": (
        SHIPPED.replace("[rules.seller_response]\n", "[rules.seller_response]\ncolour = 1\n"),
        "rules.seller_response.colour",
    ),
    "missing_rule": (
        _without_rule(SHIPPED, "feedback_window"),
        "unknown rule feedback_window",
    ),
    "min_greater_than_max": (
        SHIPPED.replace("min = 15\nmax = 20\n", "min = 25\nmax = 20\n", 1),
        "rules.admin_extension",
    ),
    "business_days_without_calendar": (
        SHIPPED.replace(
            'unit = "business_days"\ncalendar = "platform"\n', 'unit = "business_days"\n'
        ),
        "rules.escalated_response",
    ),
    "negative_value": (
        SHIPPED.replace("value = 72\n", "value = -72\n"),
        "rules.cancel_response",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_rule_set_file_names_file_and_rule(case: str, tmp_path: Path) -> None:
    text, expected = BROKEN[case]
    assert text != SHIPPED
    path = tmp_path / f"{case}.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(RuleSetError) as caught:
        load_rule_set(str(path))
    message = str(caught.value)
    assert str(path) in message
    assert expected in message
    assert "\n" not in message


def test_min_greater_than_max_says_so(tmp_path: Path) -> None:
    path = tmp_path / "range.toml"
    path.write_text(BROKEN["min_greater_than_max"][0], "utf-8")
    with pytest.raises(RuleSetError, match="min 25 is greater than max 20"):
        load_rule_set(str(path))


def test_business_days_without_calendar_says_so(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text(BROKEN["business_days_without_calendar"][0], "utf-8")
    with pytest.raises(RuleSetError, match="name a calendar"):
        load_rule_set(str(path))


def test_bad_toml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BROKEN["bad_toml"][0], "utf-8")
    line = BROKEN["bad_toml"][0].splitlines().index("value = = 20") + 1
    with pytest.raises(RuleSetError, match=rf"line {line}\b"):
        load_rule_set(str(path))


def test_binary_rule_set_file(tmp_path: Path) -> None:
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00rules")
    with pytest.raises(RuleSetError, match=str(path)):
        load_rule_set(str(path))


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_cli_broken_rule_set_exits_2_with_one_line(case: str, tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN[case][0], "utf-8")
    result = invoke(
        ["timeline", "--rules", str(path), "--confirmed", "2026-03-01", "--format", "json"]
    )
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0] and BROKEN[case][1] in lines[0]
    assert "Traceback" not in result.stderr


def test_cli_rules_command_lists_every_rule() -> None:
    result = invoke(["rules", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data["rules"]) == list(ALIEXPRESS_RULES)
    assert (
        data["rules"]["post_confirmation_protection"]["alternatives"]["ends_at_once"]["value"] == 0
    )
