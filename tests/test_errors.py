"""Bad input (SPEC section 6): exit 2, one line on stderr naming the option and the value,
nothing on stdout, never a traceback, and no file written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli import invoke

BASE = ["timeline", "--tz", "Europe/Moscow", "--format", "json"]


def base_for(args: list[str]) -> list[str]:
    """BASE without its --tz when the case gives its own (a repeated --tz is an error)."""
    return ["timeline", "--format", "json"] if "--tz" in args else BASE


# (id, extra arguments, text the one line must contain: the option, the value, the problem)
CASES: list[tuple[str, list[str], tuple[str, ...]]] = [
    ("impossible_date", ["--confirmed", "2026-02-30"], ("--confirmed", "2026-02-30", "real date")),
    ("month_only", ["--confirmed", "2026-03"], ("--confirmed", "2026-03", "not a date")),
    ("epoch", ["--shipped", "1735689600"], ("--shipped", "1735689600", "not a date")),
    ("two_digit_year", ["--paid", "26-03-01"], ("--paid", "26-03-01", "not a date")),
    ("fuzzy", ["--confirmed", "last friday"], ("--confirmed", "last friday", "not a date")),
    ("ambiguous", ["--confirmed", "03/04/2026"], ("--confirmed", "03/04/2026", "ambiguous")),
    (
        "dst_gap",
        ["--confirmed", "2026-03-08T02:30", "--tz", "America/New_York"],
        ("--confirmed", "2026-03-08T02:30", "does not exist"),
    ),
    (
        "delivered_before_shipped",
        ["--shipped", "2026-03-05", "--delivered", "2026-03-01"],
        ("--delivered", "2026-03-01", "--shipped 2026-03-05"),
    ),
    (
        "paid_before_placed",
        ["--placed", "2026-03-05", "--paid", "2026-03-01"],
        ("--paid", "2026-03-01", "--placed"),
    ),
    (
        "seller_answer_before_dispute",
        ["--dispute-opened", "2026-03-10", "--seller-responded", "2026-03-05"],
        ("--seller-responded", "2026-03-05", "--dispute-opened 2026-03-10"),
    ),
    (
        "answer_without_dispute",
        ["--confirmed", "2026-03-01", "--seller-responded", "2026-03-05"],
        ("--seller-responded", "2026-03-05", "--dispute-opened"),
    ),
    (
        "buyer_answer_without_seller_answer",
        ["--dispute-opened", "2026-03-10", "--buyer-responded", "2026-03-12"],
        ("--buyer-responded", "2026-03-12", "no seller answer"),
    ),
    (
        "cancelled_after_shipping",
        ["--paid", "2026-03-01", "--shipped", "2026-03-02", "--cancel-requested", "2026-03-03"],
        ("--shipped", "2026-03-02", "cancelled after it was shipped"),
    ),
    (
        "unknown_zone",
        ["--confirmed", "2026-03-01", "--tz", "Mars/Olympus"],
        ("--tz", "Mars/Olympus"),
    ),
    ("empty_zone", ["--confirmed", "2026-03-01", "--tz", ""], ("--tz", "empty")),
    (
        "path_zone",
        ["--confirmed", "2026-03-01", "--tz", "/etc/localtime"],
        ("--tz", "/etc/localtime"),
    ),
    (
        "unknown_country_shape",
        ["--confirmed", "2026-03-01", "--buyer-country", "Russia"],
        ("--buyer-country", "Russia", "country code"),
    ),
    (
        "unknown_seller_country_shape",
        ["--confirmed", "2026-03-01", "--seller-country", "C1"],
        ("--seller-country", "C1"),
    ),
    (
        "negative_delivery_days",
        ["--shipped", "2026-03-01", "--delivery-days", "-5"],
        ("--delivery-days", "-5"),
    ),
    (
        "absurd_delivery_days",
        ["--shipped", "2026-03-01", "--delivery-days", "100000"],
        ("--delivery-days", "100000"),
    ),
    (
        "words_as_days",
        ["--paid", "2026-03-01", "--processing-days", "ten"],
        ("--processing-days", "ten", "whole number"),
    ),
    (
        "zero_extension",
        ["--shipped", "2026-03-01", "--delivery-days", "30", "--extended", "0"],
        ("--extended", "0"),
    ),
    (
        "extensions_beyond_90",
        [
            "--shipped",
            "2026-03-01",
            "--delivery-days",
            "30",
            "--extended",
            "60",
            "--extended",
            "31",
        ],
        ("--extended", "60+31", "90 days"),
    ),
    (
        "too_many_rounds",
        [
            "--dispute-opened",
            "2026-03-01",
            *[arg for day in (2, 3, 4, 5) for arg in ("--seller-responded", f"2026-03-0{day}")],
        ],
        ("--seller-responded", "4 answers", "3 rounds"),
    ),
    (
        "second_answer_without_an_edit",
        [
            "--dispute-opened",
            "2026-03-01",
            "--seller-responded",
            "2026-03-02",
            "--seller-responded",
            "2026-03-04",
        ],
        ("--seller-responded", "2026-03-04", "round 2", "--buyer-responded"),
    ),
    (
        "unknown_reading",
        ["--confirmed", "2026-03-01", "--reading", "post_confirmation_protection=forever"],
        ("--reading", "post_confirmation_protection=forever"),
    ),
    (
        "malformed_reading",
        ["--confirmed", "2026-03-01", "--reading", "ends_at_once"],
        ("--reading", "ends_at_once", "RULE=READING"),
    ),
    (
        "unknown_rule_set",
        ["--confirmed", "2026-03-01", "--rules", "temu"],
        ("--rules", "temu"),
    ),
    (
        "missing_rule_set_file",
        ["--confirmed", "2026-03-01", "--rules", "/no/such/rules.toml"],
        ("--rules", "/no/such/rules.toml"),
    ),
    ("far_year", ["--confirmed", "9999-12-20"], ("--confirmed", "9999-12-20", "1970-2199")),
    ("bad_as_of", ["--confirmed", "2026-03-01", "--as-of", "soon"], ("--as-of", "soon")),
    (
        "outcome_without_close",
        ["--dispute-opened", "2026-03-01", "--dispute-outcome", "buyer_won"],
        ("--dispute-outcome", "buyer_won", "--dispute-closed"),
    ),
    (
        "unknown_outcome",
        [
            "--dispute-opened",
            "2026-03-01",
            "--dispute-closed",
            "2026-03-05",
            "--dispute-outcome",
            "draw",
        ],
        ("--dispute-outcome", "draw"),
    ),
    (
        "unknown_payment_method",
        ["--paid", "2026-03-01", "--payment-method", "bitcoin"],
        ("--payment-method", "bitcoin"),
    ),
    (
        "dayfirst_and_monthfirst",
        ["--confirmed", "2026-03-01", "--dayfirst", "--monthfirst"],
        ("--dayfirst", "--monthfirst"),
    ),
    ("no_events", [], ("ORDER", "no order events")),
    ("unknown_format", ["--confirmed", "2026-03-01", "--format", "xml"], ("--format", "xml")),
    ("unknown_option", ["--confirmed", "2026-03-01", "--recieved", "2026-03-01"], ("--recieved",)),
    ("missing_value", ["--confirmed"], ("--confirmed",)),
    (
        "missing_order_file",
        ["/no/such/order.yaml"],
        ("/no/such/order.yaml",),
    ),
]


@pytest.mark.parametrize(("args", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_exit_2(args: list[str], expected: tuple[str, ...]) -> None:
    result = invoke([*base_for(args), *args])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("protectcalc: ")
    for text in expected:
        assert text in line, (text, line)
    assert "Traceback" not in result.stderr and "Error:" not in line


@pytest.mark.parametrize(("args", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_writes_no_file(
    args: list[str], expected: tuple[str, ...], tmp_path: Path
) -> None:
    target = tmp_path / "out.json"
    result = invoke([*base_for(args), *args, "--output", str(target)])
    assert result.exit_code == 2, result.output
    assert list(tmp_path.iterdir()) == []


def test_unknown_country_is_refused() -> None:
    """A well-formed code that names no country (SPEC 6: an unknown country)."""
    result = invoke([*BASE, "--confirmed", "2026-03-01", "--buyer-country", "ZZ"])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1
    assert "--buyer-country ZZ" in result.stderr


def test_malformed_order_file(tmp_path: Path) -> None:
    path = tmp_path / "order.yaml"
    path.write_text("order: [unclosed\n  confirmed: 2026-03-01\n", "utf-8")
    result = invoke([*BASE, str(path)])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and str(path) in result.stderr
    assert "Traceback" not in result.stderr


def test_hostile_yaml_is_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "order.yaml"
    path.write_text(
        f"order: !!python/object/apply:os.system ['touch {marker}']\ntimezone: Europe/Moscow\n",
        "utf-8",
    )
    result = invoke(["timeline", str(path), "--format", "json"])
    assert result.exit_code == 2, result.output
    assert not marker.exists()
    assert result.stderr.count("\n") == 1 and str(path) in result.stderr


def test_order_file_that_is_a_folder(tmp_path: Path) -> None:
    result = invoke([*BASE, str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and str(tmp_path) in result.stderr


def test_rules_command_refuses_csv() -> None:
    result = invoke(["rules", "--format", "csv"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "protectcalc: Invalid value for '--format' / '-f': 'csv' is not one of 'table', 'json'."
    ]


def test_no_command_shows_help_not_an_error() -> None:
    result = invoke([])
    assert result.exit_code in (0, 2)
    assert "Traceback" not in result.output
    assert "timeline" in result.output
