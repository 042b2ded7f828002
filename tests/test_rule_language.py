"""The rule language: the engine knows no marketplace; a user's file adds a milestone; the
rule tools, --set, --explain and the library face; graph errors with file:line."""

from __future__ import annotations

import json
import tokenize
from datetime import date
from pathlib import Path

import pytest

import protectcalc
from protectcalc.cli import run
from protectcalc.errors import InputError, RuleSetError
from protectcalc.rules import load_rule_set

PACKAGE = Path(protectcalc.__file__).parent

CONTRACT_NAMES = {"protection_end", "safe_dispute_date", "escalation", "total_days"}
"""SPEC section 3 fixes these JSON summary keys; they are the contract's, not AliExpress's."""

EVENT_NAMES = {
    "placed", "paid", "cancel_requested", "shipped", "delivered", "confirmed", "dispute_opened",
    "seller_responded", "buyer_responded", "escalated", "mediator_asked", "dispute_closed",
}  # fmt: skip
"""The shared event vocabulary (a milestone may share a name with the event it shows)."""


def _string_tokens(path: Path) -> list[str]:
    with path.open("rb") as stream:
        tokens = tokenize.tokenize(stream.readline)
        return [token.string for token in tokens if token.type == tokenize.STRING]


def test_no_aliexpress_milestone_or_rule_id_in_the_python_code() -> None:
    rules = load_rule_set("aliexpress")
    plan = rules.plan_for(None)
    ids = set(plan.milestone_ids()) | {rule_id for rule_id, _ in rules.items()}
    ids -= CONTRACT_NAMES | EVENT_NAMES
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for text in _string_tokens(path):
            words = set(text.replace('"', " ").replace("'", " ").replace(".", " ").split())
            hits = ids & {word.strip("{}():,;[]") for word in words}
            found.extend(f"{path.relative_to(PACKAGE)}: {hit}" for hit in sorted(hits))
    assert found == []


def _invoke(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = run(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


USER_RULES = """
schema = 2
name = "shop"
title = "My shop"
version = "2"
extends = "aliexpress"

[rules.return_window]
value = 30
unit = "days"
meaning = "Returns are taken this long after delivery."
[[rules.return_window.sources]]
url = "https://example.com/returns"
read = 2026-01-01
says = "Returns within 30 days of delivery."

[milestones.return_due]
label = "Return the item by"
actor = "buyer"
when = "present(delivered)"
from = "delivered"
add = "return_window"
explain = "delivered {from} + {return_window} to send it back"
"""


@pytest.fixture
def user_rules(tmp_path: Path) -> Path:
    path = tmp_path / "shop.toml"
    path.write_text(USER_RULES, "utf-8")
    return path


def test_a_users_milestone_shows_in_timeline_status_calendar_and_replay(
    user_rules: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    order = ["--rules", str(user_rules), "--shipped", "2026-03-01", "--delivered", "2026-03-10"]
    order += ["--tz", "UTC", "--as-of", "2026-03-11T12:00"]
    code, out, _ = _invoke(["timeline", *order, "--format", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    milestone = next(item for item in data["milestones"] if item["id"] == "return_due")
    assert milestone["at"] == "2026-04-09T00:00+00:00"
    assert milestone["sources"] == [
        {
            "url": "https://example.com/returns",
            "read": "2026-01-01",
            "says": "Returns within 30 days of delivery.",
        }
    ]
    code, out, _ = _invoke(["status", *order, "--format", "json"], capsys)
    assert code == 0
    assert "return_due" in [item["id"] for item in json.loads(out)["deadlines"]]
    code, out, _ = _invoke(["timeline", *order, "--format", "ics"], capsys)
    assert code == 0 and "SUMMARY:Return the item by" in out
    scenario = tmp_path / "return.yaml"
    scenario.write_text(
        "name: return window\nrules: shop.toml\ntimezone: UTC\n"
        "order:\n  shipped: 2026-03-01\n  delivered: 2026-03-10\n"
        "expect:\n  milestones:\n    return_due: 2026-04-09T00:00+00:00\n",
        "utf-8",
    )
    code, out, _ = _invoke(["replay", str(scenario)], capsys)
    assert code == 0, out
    assert out.splitlines()[-1] == "replay: 1 passed, 0 failed"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            'when = "present(delivered)"',
            "shop.toml:20: milestones.return_due.when: unknown name 'deliverd'",
        ),
        ('add = "return_window"', "milestones.return_due.add: unknown rule return_windw"),
    ],
)
def test_check_names_unknown_names(
    user_rules: Path, change: str, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = USER_RULES.replace(
        change, change.replace("delivered", "deliverd").replace("return_window", "return_windw")
    )
    user_rules.write_text(broken, "utf-8")
    code, _, err = _invoke(["rules", "check", str(user_rules)], capsys)
    assert code == 2
    assert problem in err and str(user_rules) in err
    assert len(err.splitlines()) == 1


def test_check_finds_a_cycle_in_the_graph(
    user_rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = USER_RULES + (
        '\n[milestones.loop_a]\nlabel = "a"\nfrom = "loop_b"\nadd = "return_window"\n'
        '\n[milestones.loop_b]\nlabel = "b"\nfrom = "loop_a"\nadd = "return_window"\n'
    )
    user_rules.write_text(text, "utf-8")
    code, _, err = _invoke(["rules", "check", str(user_rules)], capsys)
    assert code == 2
    assert "a cycle in the graph: loop_a -> loop_b -> loop_a" in err


def test_check_refuses_a_rule_without_a_source_with_its_line(
    user_rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = USER_RULES.replace(
        'read = 2026-01-01\nsays = "Returns within 30 days of delivery."', "read = 2026-01-01"
    )
    user_rules.write_text(text, "utf-8")
    code, _, err = _invoke(["rules", "check", str(user_rules)], capsys)
    assert code == 2
    line = text.splitlines().index("[[rules.return_window.sources]]") + 1
    assert err.startswith(f"protectcalc: {user_rules}:{line}: rules.return_window.sources:")


def test_check_refuses_an_inline_milestone_that_is_an_event_and_counts_too(
    user_rules: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A milestone written inline follows a case's rules (before, event silently won)."""
    text = USER_RULES + '\n[milestones.odd]\nlabel = "odd"\nevent = "paid"\nfrom = "placed"\n'
    user_rules.write_text(text, "utf-8")
    code, _, err = _invoke(["rules", "check", str(user_rules)], capsys)
    assert code == 2
    line = text.splitlines().index("[milestones.odd]") + 1
    assert err == (
        f"protectcalc: {user_rules}:{line}: milestones.odd: an event milestone takes no from, "
        "add, add_days or subtract\n"
    )


def test_check_names_an_unknown_key(user_rules: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = USER_RULES.replace("title = ", 'colour = "blue"\ntitle = ', 1)
    user_rules.write_text(text, "utf-8")
    code, _, err = _invoke(["rules", "check", str(user_rules)], capsys)
    assert code == 2
    line = text.splitlines().index('colour = "blue"') + 1
    assert err == f"protectcalc: {user_rules}:{line}: colour: Extra inputs are not permitted\n"


def test_overlapping_effective_periods_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dated.toml"
    path.write_text(
        USER_RULES
        + "effective_from = 2026-01-01\n".join(["", ""])
        + '\n[rules.return_window.alternatives.old]\nvalue = 14\nunit = "days"\n'
        'meaning = "Older page: 14 days."\neffective_until = 2026-06-01\n'
        'sources = [{ url = "https://example.com/old", read = 2026-01-01, says = "14 days." }]\n'
        '\n[rules.return_window.alternatives.older]\nvalue = 10\nunit = "days"\n'
        'meaning = "Even older."\neffective_until = 2026-03-01\n'
        'sources = [{ url = "https://example.com/older", read = 2026-01-01, says = "10 days." }]\n',
        "utf-8",
    )
    with pytest.raises(RuleSetError, match="in force at the same time"):
        load_rule_set(str(path))


def test_a_dated_version_of_a_rule_applies_by_the_orders_first_event(tmp_path: Path) -> None:
    text = USER_RULES.replace(
        'meaning = "Returns are taken this long after delivery."',
        'meaning = "Returns are taken this long after delivery."\neffective_from = 2026-06-01',
    ) + (
        '\n[rules.return_window.alternatives.before_june]\nvalue = 14\nunit = "days"\n'
        'meaning = "Until June: 14 days."\neffective_until = 2026-06-01\n'
        'sources = [{ url = "https://example.com/old", read = 2026-01-01, says = "14 days." }]\n'
    )
    path = tmp_path / "dated.toml"
    path.write_text(text, "utf-8")
    early = protectcalc.compute(
        {"shipped": "2026-03-01", "delivered": "2026-03-10"}, rules=str(path), as_of="2026-03-11"
    )
    late = protectcalc.compute(
        {"shipped": "2026-07-01", "delivered": "2026-07-10"}, rules=str(path), as_of="2026-07-11"
    )
    by_id = lambda data: {item["id"]: item["at"] for item in data["milestones"]}  # noqa: E731
    assert by_id(early)["return_due"] == "2026-03-24T00:00+00:00"
    assert by_id(late)["return_due"] == "2026-08-09T00:00+00:00"


def test_library_compute_returns_the_json_contract() -> None:
    data = protectcalc.compute(
        {"confirmed": "2026-03-01", "tz": "Europe/Moscow"}, as_of="2026-03-02T09:00"
    )
    assert data["summary"] == {
        "protection_end": "2026-03-16T00:00+03:00",
        "safe_dispute_date": "2026-03-15",
        "escalation": "2026-04-23T00:00+03:00",
        "total_days": 53,
        "total_days_usual": {"min": 30, "max": 40},
    }
    short = protectcalc.compute(
        {"confirmed": "2026-03-01", "tz": "Europe/Moscow"},
        readings={"post_confirmation_protection": "ends_at_once"},
        as_of="2026-03-02T09:00",
    )
    assert short["summary"]["protection_end"] == "2026-03-01T00:00+03:00"
    assert short["phase"] == "protection_expired"


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("payd", "--payd payd: is not an order field; did you mean paid?"),
        (
            "seller-respond",
            "--seller-respond seller-respond: is not an order field; did you "
            "mean seller_responded?",
        ),
        ("as_of", "--as-of as_of: is not an order field; give it as compute(..., as_of=...)"),
        (
            "readings",
            "--readings readings: is not an order field; give it as compute(..., readings=...)",
        ),
        ("zzzz", "--zzzz zzzz: is not an order field (see protectcalc --help)"),
    ],
)
def test_library_compute_names_a_misspelt_key(key: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        protectcalc.compute({key: "2026-03-01"})
    assert str(caught.value) == message


def test_set_overrides_one_number_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["timeline", "--confirmed", "2026-03-01", "--tz", "UTC", "--as-of", "2026-03-02"]
    code, out, _ = _invoke(
        [*args, "--set", "post_confirmation_protection=10", "-f", "json"], capsys
    )
    assert code == 0
    data = json.loads(out)
    assert data["rules"] == "aliexpress[post_confirmation_protection:=10]"
    assert data["summary"]["protection_end"] == "2026-03-11T00:00+00:00"
    code, _, err = _invoke([*args, "--set", "payment_window=x"], capsys)
    assert code == 2 and "--set payment_window=x" in err
    code, _, err = _invoke([*args, "--set", "delivery_period=3"], capsys)
    assert code == 2 and "takes no value" in err


def test_explain_walks_the_chain(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "timeline",
        "--confirmed",
        "2026-03-01",
        "--tz",
        "Europe/Moscow",
        "--as-of",
        "2026-03-02",
    ]
    code, out, _ = _invoke([*args, "--explain", "safe_dispute_open"], capsys)
    assert code == 0
    assert out.splitlines()[:6] == [
        "safe_dispute_open: Open a dispute by (safe date)",
        "  falls at 2026-03-15 00:00",
        "  because protection_end 2026-03-16 00:00 - 1 day safety margin",
        "  - applies because protection_end > protection_end.start",
        "  - from protection_end = 2026-03-16 00:00",
        "  - - safety_margin = 1 day",
    ]
    assert "  rule post_confirmation_protection (rules aliexpress)" in out
    code, _, err = _invoke([*args, "--explain", "nothing_here"], capsys)
    assert code == 2 and "--explain nothing_here: is not on this order's timeline" in err


def test_rules_list_show_and_init(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = _invoke(["rules", "list"], capsys)
    assert code == 0 and out.startswith("aliexpress\tAliExpress buyer protection\tversion ")
    code, out, _ = _invoke(["rules", "show", "protection_end"], capsys)
    assert code == 0 and "case 1: when present(confirmed)" in out
    code, out, _ = _invoke(["rules", "show", "buyer_response_due_2"], capsys)
    assert code == 0 and "part of the cycle dispute" in out
    monkeypatch.chdir(tmp_path)
    code, _, _ = _invoke(["rules", "init", "mine"], capsys)
    assert code == 0
    code, out, _ = _invoke(["rules", "check", "mine.toml"], capsys)
    assert code == 0 and out == "mine.toml: ok (mine 1)\n"
    code, _, err = _invoke(["rules", "init", "mine"], capsys)
    assert code == 2 and "exists already" in err


def test_rule_schema_is_the_generated_one() -> None:
    """Edited schema.py? Run: python -m protectcalc.rules.trusted"""
    from protectcalc.rules.trusted import schema_text

    shipped = (PACKAGE / "rules" / "rules.schema.json").read_text("utf-8")
    assert shipped == schema_text()


def test_effective_day_boundary_is_exclusive() -> None:
    from protectcalc.rules.schema import Effective

    period = Effective(effective_from=date(2026, 1, 1), effective_until=date(2026, 6, 1))
    assert period.in_force(date(2026, 5, 31)) and not period.in_force(date(2026, 6, 1))


README = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")


def _block(after: str, fence: str) -> str:
    start = README.index(fence, README.index(after)) + len(fence)
    return README[start : README.index("```", start)]


def test_readme_python_example_runs() -> None:
    code = _block("### From Python", "```python\n")
    exec(compile(code, "README.md", "exec"), {})


def test_readme_rule_file_is_what_init_writes_and_its_explain_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["rules", "init", "shop"]) == 0
    written = (tmp_path / "shop.toml").read_text("utf-8").splitlines()
    data_lines = [line for line in written if line and not line.startswith("#")]
    shown = _block("### Your own rule file", "```toml\n").splitlines()
    assert [line for line in shown if line] == data_lines
    console = _block("### Your own rule file", "```console\n").splitlines()
    command, expected = console[0].removeprefix("$ protectcalc ").split(), console[1:]
    command[command.index("examples/shop.toml")] = "shop.toml"
    capsys.readouterr()
    assert run(command) == 0
    assert capsys.readouterr().out.splitlines() == expected
