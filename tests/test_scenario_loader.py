"""Reading scenario and order files: YAML 1.2 semantics, hostile input, exact error places."""

from __future__ import annotations

import codecs
import json
import textwrap
import time
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protectcalc.errors import InputError
from protectcalc.scenarios.model import (
    Scenario,
    generated_schema_text,
    shipped_schema_text,
)
from protectcalc.scenarios.replay import (
    LoadedFile,
    Replayer,
    Status,
    load_file,
    load_text,
)
from protectcalc.scenarios.shape import FileRecord
from protectcalc.scenarios.yaml_reader import MAX_FILE_BYTES, FileProblems, parse_yaml
from tests.conftest import FIXED_NOW

HERE = Path()


def load(text: str, *, scenario: bool = True, base: Path = HERE) -> LoadedFile:
    return load_text(textwrap.dedent(text).lstrip("\n"), "s.yaml", base, scenario=scenario)


def problems(text: str, *, scenario: bool = True) -> list[str]:
    with pytest.raises(FileProblems) as caught:
        load(text, scenario=scenario)
    return caught.value.lines()


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(textwrap.dedent(data).lstrip("\n"), "utf-8")
    else:
        path.write_bytes(data)
    return path


MINIMAL = """
    name: Accidental confirmation
    timezone: Europe/Moscow
    order:
      shipped: 2026-02-10
      confirmed: 2026-03-01
    expect:
      summary: {total_days: 53}
    """


# --- YAML 1.2 scalars ---------------------------------------------------------------------


def test_yaml_12_scalars_stay_text_where_yaml_11_would_guess() -> None:
    document = parse_yaml(
        "a: NO\nb: no\nc: on\nd: 12:30\ne: 2026-03-01\nf: 2026-03-01 10:00:00\n"
        "g: 7\nh: true\ni: ~\nj: '7'\nk: 0o17\nl: 1.5\nm: !!str 12\nn: Yes\n",
        "t.yaml",
    )
    assert document.data == {
        "a": "NO",
        "b": "no",
        "c": "on",
        "d": "12:30",
        "e": "2026-03-01",
        "f": "2026-03-01 10:00:00",
        "g": 7,
        "h": True,
        "i": None,
        "j": "7",
        "k": 15,
        "l": 1.5,
        "m": "12",
        "n": "Yes",
    }


def test_a_yaml_11_directive_does_not_bring_back_the_norway_problem() -> None:
    document = parse_yaml("%YAML 1.1\n---\nbuyer_country: NO\nflag: on\n", "t.yaml")
    assert document.data == {"buyer_country": "NO", "flag": "on"}


def test_norway_is_a_country_not_false() -> None:
    loaded = load(
        """
        name: Norway
        buyer_country: NO
        order: {confirmed: 2026-03-01}
        expect: {phase: confirmed}
        """
    )
    assert loaded.order.buyer_country == "NO"


def test_fields_map_to_order_input(tmp_path: Path) -> None:
    loaded = load(
        """
        name: Everything
        timezone: Asia/Shanghai
        rules: custom/rules.toml
        readings: {post_confirmation_protection: ends_at_once}
        as_of: 2026-04-01T12:00
        buyer_country: RU
        buyer_subdivision: 77
        seller_country: CN
        payment_method: card
        shipping: premium
        order:
          placed: 2026-02-01
          paid: 2026-02-01T10:00
          shipped: 2026-02-03
          delivered: 2026-02-28
          confirmed: 2026-03-01
          processing_days: 7
          delivery_days: 45
          extended: [30, 20]
        dispute:
          opened: 2026-03-15
          seller_responses: [2026-03-18, 2026-03-29]
          buyer_responses: [2026-03-27]
          escalated: 2026-04-20
          closed: 2026-04-25
          outcome: buyer_won
        expect: {phase: closed}
        """,
        base=tmp_path,
    )
    raw = loaded.order
    assert raw.tz == "Asia/Shanghai"
    assert raw.rules == str(tmp_path / "custom/rules.toml")
    assert raw.readings == ("post_confirmation_protection=ends_at_once",)
    assert raw.as_of == "2026-04-01T12:00"
    assert (raw.buyer_country, raw.buyer_subdivision, raw.seller_country) == ("RU", "77", "CN")
    assert (raw.payment_method, raw.shipping) == ("card", "premium")
    assert (raw.placed, raw.paid, raw.shipped) == ("2026-02-01", "2026-02-01T10:00", "2026-02-03")
    assert (raw.delivered, raw.confirmed) == ("2026-02-28", "2026-03-01")
    assert (raw.processing_days, raw.delivery_days, raw.extended) == (7, 45, (30, 20))
    assert raw.dispute_opened == "2026-03-15"
    assert raw.seller_responded == ("2026-03-18", "2026-03-29")
    assert raw.buyer_responded == ("2026-03-27",)
    assert (raw.escalated, raw.dispute_closed, raw.dispute_outcome) == (
        "2026-04-20",
        "2026-04-25",
        "buyer_won",
    )


def test_defaults_utc_and_one_extension_as_a_number() -> None:
    loaded = load(
        """
        name: Defaults
        order: {shipped: 2026-02-10, delivery_days: 30, extended: 15}
        expect: {phase: in_transit}
        """
    )
    assert loaded.order.tz == "UTC"
    assert loaded.order.extended == (15,)
    assert loaded.order.rules is None and loaded.order.as_of is None


def test_dates_from_another_yaml_loader_are_accepted_as_objects() -> None:
    record = Scenario.model_validate(
        {
            "name": "objects",
            "order": {"confirmed": date(2026, 3, 1), "shipped": datetime(2026, 2, 10, 9, 30)},
            "expect": {"milestones": {"protection_end": date(2026, 3, 16)}},
        }
    )
    assert record.order.confirmed == "2026-03-01"
    assert record.order.shipped == "2026-02-10T09:30:00"
    assert record.expect is not None
    assert record.expect.milestones == {"protection_end": "2026-03-16"}


# --- validation errors: file, line, column, key ---------------------------------------------


def test_duplicate_keys_are_errors_with_both_lines() -> None:
    lines = problems(
        """
        name: Twice
        order:
          confirmed: 2026-03-01
          confirmed: 2026-03-02
        expect: {phase: confirmed}
        """
    )
    assert lines == ["s.yaml:4:3: order.confirmed: is given twice (first at line 3)"]


def test_unknown_keys_name_the_key_its_place_and_the_keys_expected() -> None:
    lines = problems(
        """
        name: Unknown
        colour: red
        order:
          confirmed: 2026-03-01
          recieved: 2026-03-02
        expect:
          phase: confirmed
          milestone: {}
        """
    )
    assert lines[0].startswith("s.yaml:2:1: colour: is not a key of this format (expected one of: ")
    assert "timezone" in lines[0]
    assert lines[1] == (
        "s.yaml:5:3: order.recieved: is not a key of this format (expected one of: placed, "
        "paid, cancel_requested, shipped, delivered, confirmed, processing_days, "
        "delivery_days, extended, estimated_delivery, seller_contacted, return_submitted, "
        "transaction_posted)"
    )
    assert lines[2].startswith("s.yaml:8:3: expect.milestone: is not a key of this format")
    assert len(lines) == 3


def test_wrong_kinds_of_values() -> None:
    lines = problems(
        """
        name: Kinds
        order:
          confirmed: 2026-03-01
          processing_days: seven
          extended: [30, x]
        dispute:
          outcome: maybe
          seller_responses: 2026-03-05
        expect:
          phase: confused
          summary:
            total_days: "53"
        """
    )
    assert lines == [
        "s.yaml:4:20: order.processing_days seven: expected a whole number",
        "s.yaml:5:18: order.extended[1] x: expected a whole number",
        "s.yaml:7:12: dispute.outcome maybe: is not one of: buyer_won, seller_won, partial, "
        "cancelled",
        "s.yaml:8:21: dispute.seller_responses 2026-03-05: expected a list ([a, b] or '- ' lines)",
        "s.yaml:10:10: expect.phase confused: is not one of: awaiting_payment, "
        "awaiting_shipment, in_transit, delivered, confirmed, dispute_awaiting_seller, "
        "dispute_awaiting_buyer, escalated, closed, protection_expired",
        "s.yaml:12:17: expect.summary.total_days 53: expected a whole number",
    ]


def test_missing_name_in_a_scenario_but_not_in_an_order_file() -> None:
    text = "order:\n  confirmed: 2026-03-01\nexpect: {phase: confirmed}\n"
    assert problems(text) == ["s.yaml:1:1: name: is missing (required)"]
    assert load(text, scenario=False).order.confirmed == "2026-03-01"


def test_unknown_milestone_id_suggests_the_right_one() -> None:
    lines = problems(
        """
        name: Typo
        order: {confirmed: 2026-03-01}
        expect:
          milestones:
            protection_ends: 2026-03-16
            next_week: 2026-03-09
        """
    )
    assert lines[0] == (
        "s.yaml:5:5: expect.milestones.protection_ends: is not a milestone id; "
        "did you mean protection_end?"
    )
    assert lines[1].startswith("s.yaml:6:5: expect.milestones.next_week: is not a milestone id")


def test_expected_values_must_be_real_iso_dates() -> None:
    lines = problems(
        """
        name: Expected
        order: {confirmed: 2026-03-01}
        expect:
          milestones:
            protection_end: 2026-02-30
            safe_dispute_open: 15 March
          summary:
            safe_dispute_date: 2026-03-15T00:00
        """
    )
    assert lines[0] == (
        "s.yaml:5:21: expect.milestones.protection_end 2026-02-30: is not a real date or time "
        "(day is out of range for month)"
    )
    assert lines[1].startswith("s.yaml:6:24: expect.milestones.safe_dispute_open 15 March: is not")
    assert lines[2] == (
        "s.yaml:8:24: expect.summary.safe_dispute_date 2026-03-15T00:00: is not a date: "
        "use YYYY-MM-DD"
    )


def test_expect_error_stands_alone_and_expect_is_not_empty() -> None:
    lines = problems(
        """
        name: Both
        order: {confirmed: 2026-03-01}
        expect:
          error: is before
          phase: confirmed
        """
    )
    assert lines == [
        "s.yaml:4:3: expect: error cannot be combined with phase: a refused order has no timeline"
    ]
    assert problems("name: Empty\norder: {confirmed: 2026-03-01}\nexpect: {}\n") == [
        "s.yaml:3:9: expect: is empty: give milestones, summary, phase, next, warnings or error"
    ]


def test_order_file_ignores_expect_entirely() -> None:
    loaded = load(
        """
        order: {confirmed: 2026-03-01}
        expect: {not_even: valid}
        """,
        scenario=False,
    )
    assert isinstance(loaded.record, FileRecord)
    assert loaded.record.expect is None


# --- engine errors placed in the file ---------------------------------------------------------


def replay_text(text: str) -> list[str]:
    outcome, _ = Replayer(FIXED_NOW).run_text(textwrap.dedent(text).lstrip("\n"), "s.yaml", HERE)
    assert outcome.status is Status.ERROR, outcome
    return list(outcome.problems)


def test_impossible_date_is_reported_at_its_key_not_as_an_option() -> None:
    lines = replay_text(
        """
        name: Bad date
        timezone: Europe/Moscow
        order:
          shipped: 2026-02-10
          confirmed: 2026-02-30
        expect: {phase: confirmed}
        """
    )
    assert lines == [
        "s.yaml:5:14: order.confirmed 2026-02-30: is not a real date or time "
        "(day is out of range for month)"
    ]


def test_an_out_of_order_list_item_is_placed_at_the_item() -> None:
    lines = replay_text(
        """
        name: Answer before the dispute
        order: {shipped: 2026-03-01}
        dispute:
          opened: 2026-03-15
          seller_responses:
            - 2026-03-18
            - 2026-03-17
        expect: {phase: dispute_awaiting_buyer}
        """
    )
    assert len(lines) == 1
    assert lines[0].startswith("s.yaml:7:7: dispute.seller_responses[1] 2026-03-17: "), lines
    assert "--" not in lines[0]  # options are named as the file's keys


def test_unknown_reading_is_placed_at_its_rule() -> None:
    lines = replay_text(
        """
        name: Reading
        order: {confirmed: 2026-03-01}
        readings:
          auto_confirm: five_days
        expect: {phase: confirmed}
        """
    )
    assert lines[0].startswith("s.yaml:4:17: readings.auto_confirm auto_confirm=five_days: is not")


def test_unknown_zone_and_missing_events() -> None:
    assert replay_text(
        "name: Zone\ntimezone: Mars/Olympus\norder: {confirmed: 2026-03-01}\n"
        "expect: {phase: confirmed}\n"
    ) == [
        "s.yaml:2:11: timezone Mars/Olympus: is not a known IANA time zone "
        "(for example Europe/Moscow, UTC)"
    ]
    assert replay_text("name: Nothing\nexpect: {phase: confirmed}\n") == [
        "s.yaml:1:1: order: has no events: give at least one of order.placed, order.paid, "
        "order.shipped, order.delivered, order.confirmed or dispute.opened"
    ]


# --- hostile and broken files ----------------------------------------------------------------


def file_problems(path: Path) -> list[str]:
    with pytest.raises(FileProblems) as caught:
        load_file(path, path.name)
    return caught.value.lines()


def test_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    levels = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        previous = f"*a{level - 1}"
        levels.append(f"a{level}: &a{level} [{', '.join([previous] * 9)}]")
    path = write(tmp_path, "bomb.yaml", "\n".join(levels) + "\n")
    started = time.perf_counter()
    lines = file_problems(path)
    assert time.perf_counter() - started < 2
    assert lines == ["bomb.yaml:1:5: a0: anchors and aliases (&name, *name) are not allowed"]


def test_merge_keys_and_aliases_are_refused_too() -> None:
    lines = problems("base: &b {shipped: 2026-02-10}\norder:\n  <<: *b\n")
    assert lines == ["s.yaml:1:7: base: anchors and aliases (&name, *name) are not allowed"]


def test_python_tags_are_refused_never_constructed() -> None:
    lines = problems(
        'name: Tag\norder: !!python/object/apply:os.system ["echo owned"]\n'
        "expect: {phase: confirmed}\n"
    )
    assert lines == [
        "s.yaml:2:8: order: YAML tags such as !!python/object/apply:os.system are not allowed"
    ]
    assert problems("name: !secret x\n") == [
        "s.yaml:1:7: name: YAML tags such as !secret are not allowed"
    ]


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = write(tmp_path, "huge.yaml", "name: " + "x" * (MAX_FILE_BYTES + 10) + "\n")
    assert file_problems(path) == [
        "huge.yaml: is larger than 256 KiB: not a scenario or order file"
    ]


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "deep.yaml", "a: " + "[" * 20_000 + "]" * 20_000 + "\n")
    assert file_problems(path) == [
        "deep.yaml:1:16: a[0][0][0][0][0][0][0][0][0][0][0][0]: is nested too deeply to be a "
        "scenario file"
    ]
    shallow_but_too_deep = "a: " + "[" * 30 + "]" * 30 + "\n"
    assert problems(shallow_but_too_deep)[0].endswith("is nested too deeply to be a scenario file")


def test_non_utf8_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "latin1.yaml", "name: ok\ndescription: caf\xe9\n".encode("latin-1"))
    assert file_problems(path) == [
        "latin1.yaml:2:17: is not UTF-8 text (byte 0xe9): save it as UTF-8"
    ]
    utf16 = write(tmp_path, "utf16.yaml", "name: x\n".encode("utf-16"))
    assert file_problems(utf16) == ["utf16.yaml: is UTF-16 or UTF-32 text: save it as UTF-8"]


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    body = textwrap.dedent(MINIMAL).lstrip("\n").encode("utf-8")
    path = write(tmp_path, "bom.yaml", codecs.BOM_UTF8 + body)
    loaded = load_file(path)
    assert loaded.record.name == "Accidental confirmation"
    assert loaded.document.bom is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "s.yaml: is empty: expected name, order and expect keys"),
        ("# only a comment\n", "s.yaml: is empty: expected name, order and expect keys"),
        (
            "- a\n- b\n",
            "s.yaml:1:1: expected a mapping of keys (name, order, expect, ...), found a list",
        ),
        (
            "name: [unclosed\n",
            "s.yaml:2:1: is not valid YAML: while parsing a flow sequence expected ',' or ']', "
            "but got '<stream end>'",
        ),
        ("name: a\n---\nname: b\n", "s.yaml:2:1: is not valid YAML: expected a single document"),
        ("name: a\n\tbad: tab\n", "s.yaml:2:1: is not valid YAML: "),
        ("[a]: 1\n", "s.yaml:1:1: keys must be plain words such as order or expect"),
    ],
)
def test_broken_yaml_is_one_clear_line(text: str, expected: str) -> None:
    lines = problems(text)
    assert lines[0].startswith(expected), lines


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert file_problems(tmp_path / "nope.yaml") == ["nope.yaml: no such file"]
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    assert file_problems(folder) == ["dir.yaml: is a folder, not a YAML file"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_any_text_is_loaded_or_refused_with_file_problems_only(text: str) -> None:
    try:
        load_text(text, "fuzz.yaml", HERE)
    except FileProblems as error:
        assert error.lines() and all(line.startswith("fuzz.yaml") for line in error.lines())


SHAPES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "name": SHAPES,
            "timezone": SHAPES,
            "order": SHAPES | st.fixed_dictionaries({}, optional={"confirmed": SHAPES}),
            "dispute": SHAPES,
            "expect": SHAPES | st.fixed_dictionaries({}, optional={"milestones": SHAPES}),
        },
    )
)
def test_any_structure_replays_as_pass_fail_or_error_never_a_crash(data: dict[str, object]) -> None:
    text = json.dumps(data)  # JSON is YAML 1.2
    replayer = Replayer(FIXED_NOW, catch_internal=False)
    outcome, _ = replayer.run_text(text, "fuzz.yaml", HERE)
    assert outcome.status in (Status.PASS, Status.FAIL, Status.ERROR)
    for line in outcome.problems:
        assert line.startswith("fuzz.yaml")


# --- the JSON Schema ------------------------------------------------------------------------


def test_shipped_schema_is_the_generated_one() -> None:
    assert shipped_schema_text() == generated_schema_text(), (
        "protectcalc/scenario.schema.json is stale: regenerate it with "
        "python -c 'from protectcalc.scenarios.model import generated_schema_text as g; "
        'open("protectcalc/scenario.schema.json", "w").write(g())\''
    )


def test_schema_lists_keys_and_milestone_ids() -> None:
    schema = json.loads(shipped_schema_text())
    assert schema["required"] == ["name"]
    assert schema["additionalProperties"] is False
    assert {"name", "order", "dispute", "expect", "timezone", "readings"} <= set(
        schema["properties"]
    )
    milestones = schema["$defs"]["Expect"]["properties"]["milestones"]
    assert milestones["propertyNames"]["pattern"] == "^[a-z][a-z0-9_]*$"


def test_input_errors_keep_their_value_error_nature() -> None:
    assert issubclass(FileProblems, ValueError)
    assert issubclass(InputError, ValueError)


def test_problems_stay_on_one_line() -> None:
    lines = problems('name: Lines\n"bad\\nkey": 1\norder:\n  processing_days: "7\\n8"\n')
    assert lines == [
        "s.yaml:2:1: bad\\nkey: is not a key of this format (expected one of: "
        + ", ".join(Scenario.model_fields)
        + ")",
        "s.yaml:4:20: order.processing_days 7\\n8: expected a whole number",
    ]
