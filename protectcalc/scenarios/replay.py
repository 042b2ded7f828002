"""Scenario files (SPEC section 5): load and validate, replay against the engine, compare.

A scenario is an order plus the deadlines it must give. :class:`Replayer` reads each file
(:mod:`protectcalc.scenarios.yaml_reader`), validates it (:mod:`protectcalc.scenarios.model`),
computes its timeline with the same core the command line uses, and compares. Every problem
names the file, the line and column, and the key; one broken file never stops the others.
Rendering the results is :mod:`protectcalc.scenarios.report`; rewriting expectations is
:mod:`protectcalc.scenarios.update`.
"""

from __future__ import annotations

import glob
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from protectcalc.clock import parse_instant
from protectcalc.engine.scalar import compute_timeline
from protectcalc.errors import InputError, RuleSetError
from protectcalc.model import Timeline
from protectcalc.order import OrderInput, build_order
from protectcalc.render.jsonout import iso
from protectcalc.rules import RuleSet, load_rule_set, parse_readings
from protectcalc.scenarios.shape import (
    DATE_TEXT,
    Expected,
    FileRecord,
    SummaryExpected,
    check_shape,
    summary_expected,
)
from protectcalc.scenarios.yaml_reader import (
    FileProblems,
    KeyPath,
    Problem,
    YamlDocument,
    parse_yaml,
    read_file_text,
    show_path,
)

if TYPE_CHECKING:
    from protectcalc.scenarios.model import Expect, OrderRecord

SCENARIO_SUFFIXES = (".yaml", ".yml")
DEFAULT_ZONE = "UTC"
"""Scenario and order files are read in UTC unless they name a timezone (SPEC section 2.1)."""

UPDATE_NOT_POSSIBLE = object()
"""The ``new_value`` of a difference that ``--update`` cannot fix by rewriting a value."""

_FIELD_KEYS: dict[str, KeyPath] = {
    **{
        name: ("order", name)
        for name in (
            "placed",
            "paid",
            "cancel_requested",
            "shipped",
            "delivered",
            "confirmed",
            "processing_days",
            "delivery_days",
            "extended",
            "estimated_delivery",
            "seller_contacted",
            "return_submitted",
            "transaction_posted",
        )
    },
    "claim_escalated": ("dispute", "claim_escalated"),
    "also": ("also",),
    "dispute_opened": ("dispute", "opened"),
    "seller_responded": ("dispute", "seller_responses"),
    "buyer_responded": ("dispute", "buyer_responses"),
    "escalated": ("dispute", "escalated"),
    "mediator_asked": ("dispute", "mediator_questions"),
    "dispute_closed": ("dispute", "closed"),
    "dispute_outcome": ("dispute", "outcome"),
    "tz": ("timezone",),
    "rules": ("rules",),
    "reading": ("readings",),
    "readings": ("readings",),
    "order": ("order",),
    **{
        name: (name,)
        for name in (
            "as_of",
            "buyer_country",
            "buyer_subdivision",
            "seller_country",
            "payment_method",
            "shipping",
        )
    },
}
"""Where each :class:`OrderInput` field comes from in a file, to place an InputError."""


class Status(StrEnum):
    """How one scenario went."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    UPDATED = "updated"


@dataclass(frozen=True)
class Difference:
    """One expectation that the engine does not meet."""

    key: KeyPath
    """Where the expectation is: ``("expect", "milestones", "protection_end")``."""
    expected: str
    actual: str
    new_value: Any = UPDATE_NOT_POSSIBLE
    """What ``--update`` writes instead (text, a number, None for null, or a list)."""

    @property
    def label(self) -> str:
        """The expectation as people name it: ``milestones.protection_end``."""
        return show_path(self.key[1:])

    def describe(self) -> str:
        return f"{self.label}: expected {self.expected}, got {self.actual}"


@dataclass(frozen=True)
class Outcome:
    """The result of replaying one file."""

    path: str
    name: str | None
    status: Status
    differences: tuple[Difference, ...] = ()
    problems: tuple[str, ...] = ()
    """For an error: one line per problem, each ``path:line:column: key: what is wrong``."""
    seconds: float = 0.0


@dataclass(frozen=True)
class LoadedFile:
    """A validated file: its YAML with places, its record, and the order it records."""

    shown: str
    document: YamlDocument
    record: FileRecord
    order: OrderInput

    def locate(self, error: InputError) -> Problem:
        """Place an error about an order field at the key of this file it came from."""
        key = _FIELD_KEYS.get(error.field)
        if key is None:
            return Problem(str(error))
        data = self.document.data
        if key == ("readings",):
            rule = str(error.value).partition("=")[0].strip()
            if rule in self.record.readings:
                key = ("readings", rule)
        elif key[-1] in ("seller_responses", "buyer_responses", "mediator_questions", "extended"):
            key = _list_item(key, _get(data, key), error.value)
        return self.document.problem(key, in_file_words(error.problem), value=error.value)


_OPTION_WORDS = re.compile(r"--[a-z][a-z-]*[a-z]")


def in_file_words(problem: str) -> str:
    """An engine message with each option (``--dispute-opened``) named as its file key."""

    def file_key(match: re.Match[str]) -> str:
        name = match.group(0)[2:].replace("-", "_")
        key = _FIELD_KEYS.get(name)
        return show_path(key) if key is not None and name != "order" else match.group(0)

    return _OPTION_WORDS.sub(file_key, problem)


def _get(data: Any, key: KeyPath) -> Any:
    for part in key:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _list_item(key: KeyPath, items: Any, value: object) -> KeyPath:
    """The list item an error's value names, when exactly one matches."""
    if not isinstance(items, list):
        return key
    shown = str(value).strip()
    exact = [i for i, item in enumerate(items) if str(item).strip() == shown]
    if len(exact) == 1:
        return (*key, exact[0])
    same_day = [i for i, item in enumerate(items) if str(item).strip()[:10] == shown[:10]]
    return (*key, same_day[0]) if len(same_day) == 1 and len(shown) >= 10 else key


def load_text(
    text: str, shown: str, base: Path, *, scenario: bool = True, bom: bool = False
) -> LoadedFile:
    """Parse and validate a file's text; ``base`` is its folder (for a ``rules`` file path).

    A file of the usual shape is checked by :func:`check_shape` without pydantic; anything
    it declines is validated by the models, which word every refusal.
    """
    document = parse_yaml(text, shown, bom)
    data = document.data
    if not scenario and "expect" in data:
        data = {key: value for key, value in data.items() if key != "expect"}
    # Only ``expect`` names milestones: an order file (or a scenario without it) needs no ids.
    milestone_ids = _milestone_ids(data, base) if "expect" in data else None
    if not document.problems:
        checked = check_shape(data, scenario=scenario, milestone_ids=milestone_ids)
        if checked is not None:
            values, record = checked
            return LoadedFile(shown, document, record, order_input(values, base))
    return _validated(document, data, shown, base, scenario=scenario, milestone_ids=milestone_ids)


def _validated(
    document: YamlDocument,
    data: dict[str, Any],
    shown: str,
    base: Path,
    *,
    scenario: bool,
    milestone_ids: list[str] | None,
) -> LoadedFile:
    """Validate with the pydantic models: every problem of the file, in its own words."""
    from pydantic import ValidationError

    from protectcalc.scenarios.model import OrderRecord, Scenario

    model: type[OrderRecord] = Scenario if scenario else OrderRecord
    problems = list(document.problems)
    try:
        record = model.model_validate(data, context={"milestone_ids": milestone_ids})
    except ValidationError as error:
        problems.extend(_problem(document, item) for item in error.errors())
    if problems:
        problems.sort(key=lambda item: (item.line or 0, item.column or 0))
        raise FileProblems(shown, problems)
    values = {**record.__dict__, "order": record.order.__dict__, "dispute": record.dispute.__dict__}
    return LoadedFile(shown, document, record_of(record), order_input(values, base))


def record_of(record: OrderRecord) -> FileRecord:
    """A validated model as the record the fast check gives."""
    return FileRecord(
        record.name,
        record.description,
        record.rules,
        dict(record.readings),
        list(record.also),
        None if record.expect is None else _expected_of(record.expect),
    )


def _expected_of(expect: Expect) -> Expected:
    summary: SummaryExpected | None = None
    if expect.summary is not None:
        summary = summary_expected(
            expect.summary.__dict__, frozenset(expect.summary.model_fields_set)
        )
    return Expected(
        dict(expect.milestones),
        summary,
        expect.phase,
        expect.next,
        list(expect.warnings),
        expect.error,
        frozenset(expect.model_fields_set),
    )


def _milestone_ids(data: object, base: Path) -> list[str] | None:
    """The milestone ids the file's rule set can give (None: unknown, check at replay)."""
    from protectcalc.errors import InputError, RuleSetError

    name = data.get("rules") if isinstance(data, dict) else None
    if name is not None and not isinstance(name, str):
        return None
    path = None if name is None else _rule_path(name, base)  # what replay will load
    try:
        return load_rule_set(path).plan_for(None).milestone_ids()
    except (InputError, RuleSetError, OSError):
        return None


def load_file(path: Path, shown: str | None = None, *, scenario: bool = True) -> LoadedFile:
    """Read, parse and validate a scenario (or, with ``scenario=False``, an order file)."""
    label = shown if shown is not None else str(path)
    text, bom = read_file_text(path, label)
    return load_text(text, label, path.parent, scenario=scenario, bom=bom)


def _rule_path(name: str, base: Path) -> str:
    """A rule set name as is; a rule-set file relative to the file's folder."""
    is_file = "/" in name or "\\" in name or name.endswith(".toml")
    return str(base / name) if is_file and not Path(name).is_absolute() else name


_EMPTY_INPUT = OrderInput()

_DISPUTE_FIELDS = {
    "opened": "dispute_opened",
    "seller_responses": "seller_responded",
    "buyer_responses": "buyer_responded",
    "escalated": "escalated",
    "mediator_questions": "mediator_asked",
    "claim_escalated": "claim_escalated",
    "closed": "dispute_closed",
    "outcome": "dispute_outcome",
}
"""The OrderInput field of each ``dispute`` key (the ``order`` keys keep their names)."""

_TOP_FIELDS = (
    "buyer_country",
    "buyer_subdivision",
    "seller_country",
    "payment_method",
    "shipping",
    "as_of",
)
"""Top-level keys that are OrderInput fields of the same name."""


def order_input(values: dict[str, Any], base: Path) -> OrderInput:
    """The file's order as the fields the command line would give.

    ``values`` are the validated top-level values, ``order`` and ``dispute`` as dicts; a key
    may be missing (the fast check gives only the keys written). Only the fields given are
    set on a copy of the empty input, not all 33 passed to the frozen ``__init__``.
    """
    given: dict[str, Any] = {}
    for key, value in values.get("order", {}).items():
        if value is not None and value != []:
            given[key] = tuple(value) if key == "extended" else value
    for key, value in values.get("dispute", {}).items():
        if value is not None and value != []:
            given[_DISPUTE_FIELDS[key]] = tuple(value) if type(value) is list else value
    for key in _TOP_FIELDS:
        value = values.get(key)
        if value is not None:
            given[key] = value
    for key in ("dispute_outcome", "payment_method", "shipping"):
        if key in given:
            given[key] = given[key].value
    timezone = values.get("timezone")
    given["tz"] = timezone if timezone is not None else DEFAULT_ZONE
    rules = values.get("rules")
    if rules is not None:
        given["rules"] = _rule_path(rules, base)
    readings = values.get("readings")
    if readings:
        given["readings"] = tuple(f"{rule}={name}" for rule, name in readings.items())
    also = values.get("also")
    if also:
        given["also"] = tuple(_rule_path(name, base) for name in also)
    return _EMPTY_INPUT.with_fields(**given)


_TYPE_MESSAGES = {
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "string_type": "expected text",
    "dict_type": "expected a mapping (key: value lines)",
    "model_type": "expected a mapping (key: value lines)",
    "model_attributes_type": "expected a mapping (key: value lines)",
    "list_type": "expected a list ([a, b] or '- ' lines)",
    "greater_than_equal": "must not be negative",
    "string_too_short": "must not be empty",
}


def _problem(document: YamlDocument, item: Any) -> Problem:
    """A pydantic error as a problem at its line and key, in the file's own words."""
    key, at_key = _clean_loc(document.data, tuple(item["loc"]))
    kind = item["type"]
    given = item.get("input")
    shown = given if isinstance(given, str | int | float) and not isinstance(given, bool) else None
    if kind == "missing":
        return document.problem(key, "is missing (required)")
    if kind == "extra_forbidden":
        from protectcalc.scenarios.model import top_keys

        allowed = top_keys(key[:-1])
        hint = f" (expected one of: {', '.join(allowed)})" if allowed else ""
        return document.problem(key, f"is not a key of this format{hint}", key=True)
    if kind in ("enum", "literal_error"):
        expected = item.get("ctx", {}).get("expected", "")
        message = f"is not one of: {expected.replace(' or ', ', ').replace(chr(39), '')}"
    elif kind == "value_error":
        message = str(item["msg"]).removeprefix("Value error, ")
    else:
        message = _TYPE_MESSAGES.get(kind, str(item["msg"]))
    if kind.endswith("_type") and isinstance(given, bool):
        message += f" (got {str(given).lower()})"
    return document.problem(key, message, key=at_key, value=None if at_key else shown)


def _clean_loc(data: Any, loc: tuple[Any, ...]) -> tuple[KeyPath, bool]:
    """Drop pydantic's internal loc parts; say whether the error is about a mapping key."""
    key: list[str | int] = []
    node = data
    at_key = False
    for index, part in enumerate(loc):
        if part == "[key]":
            at_key = True
            continue
        if isinstance(node, dict) and isinstance(part, str):
            key.append(part)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int):
            key.append(part)
            node = node[part] if part < len(node) else None
        elif index == len(loc) - 1 and isinstance(part, str) and node is None:
            key.append(part)
    return tuple(key), at_key


Spread = Callable[
    [
        Callable[[tuple[Path, str]], Outcome],
        Sequence[tuple[Path, str]],
        Callable[[int, int], None] | None,
    ],
    list[Outcome],
]
"""Runs a function over the files in order, perhaps on several processes."""


class Replayer:
    """Replays scenario files against the engine; keeps loaded rule sets between files."""

    def __init__(self, now: datetime, *, catch_internal: bool = True, orders: bool = False) -> None:
        self.now = now
        self.catch_internal = catch_internal
        self.orders = orders  # accept order files (no expect): each passes when it computes
        self._rule_sets: dict[tuple[str | None, tuple[tuple[str, str], ...]], RuleSet] = {}

    def rule_set(self, name: str | None, readings: dict[str, str]) -> RuleSet:
        key = (name, tuple(sorted(readings.items())))
        if key not in self._rule_sets:
            self._rule_sets[key] = load_rule_set(name, readings)
        return self._rule_sets[key]

    def compute(self, raw: OrderInput) -> tuple[Timeline, ZoneInfo]:
        """The timeline of a file's order; ``as_of`` defaults to its latest event."""
        if raw.is_empty():
            raise InputError(
                "order",
                None,
                "has no events: give at least one of order.placed, order.paid, "
                "order.shipped, order.delivered, order.confirmed or dispute.opened",
            )
        rules = self.rule_set(raw.rules, parse_readings(raw.readings))
        order, as_of = build_order(raw, self.now, ZoneInfo(DEFAULT_ZONE))
        if raw.as_of is None:
            as_of = max(moment for _, moment in order.events())
        if raw.also:
            from protectcalc.engine.layers import compute_layers

            also = [self.rule_set(name, {}) for name in raw.also]
            return compute_layers(order, rules, also, as_of).main.timeline, order.timezone
        return compute_timeline(order, rules, as_of), order.timezone

    def run_file(self, path: Path, shown: str | None = None) -> Outcome:
        """Replay one file; never raises for anything wrong with the file."""
        return self._replay_path(path, shown)[0]

    def _replay_path(
        self, path: Path, shown: str | None
    ) -> tuple[Outcome, LoadedFile | None, bool]:
        """Read and replay one file: the outcome, the loaded file (None when it did not
        load) and whether the file began with a byte-order mark."""
        label = shown if shown is not None else str(path)
        started = time.perf_counter()
        try:
            text, bom = read_file_text(path, label)
        except FileProblems as error:
            return _error(label, None, error.lines(), started), None, False
        outcome, loaded = self.run_text(text, label, path.parent, bom=bom, started=started)
        return outcome, loaded, bom

    def run_text(
        self, text: str, shown: str, base: Path, *, bom: bool = False, started: float | None = None
    ) -> tuple[Outcome, LoadedFile | None]:
        """Replay a file's text; also returns the loaded file (None when it did not load)."""
        begun = time.perf_counter() if started is None else started
        try:
            loaded = load_text(text, shown, base, bom=bom)
        except FileProblems as error:
            return _error(shown, _name_of(text), error.lines(), begun), None
        try:
            return self._judge(loaded, begun), loaded
        except Exception as error:
            if not self.catch_internal:
                raise
            message = f"{shown}: internal error ({type(error).__name__}: {error}); please report it"
            return _error(shown, loaded.record.name, [message], begun), loaded

    def _judge(self, loaded: LoadedFile, started: float) -> Outcome:
        expect = loaded.record.expect
        name = loaded.record.name
        if expect is None and self.orders:
            return self._check_order(loaded, started)
        if expect is None:
            line = loaded.document.problem(
                ("expect",), "is missing: a scenario needs expectations (this is an order file?)"
            ).describe(loaded.shown)
            return _error(loaded.shown, name, [line], started)
        try:
            timeline, zone = self.compute(loaded.order)
        except InputError as error:
            if expect.error is None:
                return _error(
                    loaded.shown, name, [loaded.locate(error).describe(loaded.shown)], started
                )
            messages = [str(error), error.problem, loaded.locate(error).describe(loaded.shown)]
            return _refused(loaded, expect.error, messages, error.problem, started)
        except RuleSetError as error:
            if expect.error is None:
                problem = loaded.document.problem(("rules",), str(error))
                return _error(loaded.shown, name, [problem.describe(loaded.shown)], started)
            return _refused(loaded, expect.error, [str(error)], str(error), started)
        if expect.error is not None:
            difference = Difference(
                ("expect", "error"),
                repr(expect.error),
                f"no error: the order was accepted (phase {timeline.phase.value})",
            )
            return Outcome(loaded.shown, name, Status.FAIL, (difference,), (), _since(started))
        try:
            differences = compare(loaded, timeline, zone, self.now)
        except InputError as error:
            problem = loaded.document.problem(
                _expect_key(error.field), error.problem, value=error.value
            )
            return _error(loaded.shown, name, [problem.describe(loaded.shown)], started)
        status = Status.FAIL if differences else Status.PASS
        return Outcome(loaded.shown, name, status, tuple(differences), (), _since(started))

    def _check_order(self, loaded: LoadedFile, started: float) -> Outcome:
        """An order file has nothing to compare: it passes when it gives a timeline."""
        name = loaded.record.name
        try:
            self.compute(loaded.order)
        except InputError as error:
            return _error(
                loaded.shown, name, [loaded.locate(error).describe(loaded.shown)], started
            )
        except RuleSetError as error:
            problem = loaded.document.problem(("rules",), str(error))
            return _error(loaded.shown, name, [problem.describe(loaded.shown)], started)
        return Outcome(loaded.shown, name, Status.PASS, (), (), _since(started))

    def update_file(self, path: Path, shown: str | None = None) -> Outcome:
        """Replay one file; when it fails, rewrite its expectations from what the engine gives.

        The file is written (atomically, keeping its permissions, owner and symlinks; see
        ``write_atomically`` for what is refused) only when the rewritten scenario passes;
        otherwise it is left alone and reported as failing.
        """
        from protectcalc.cli.shell import write_atomically
        from protectcalc.files import FileRefused
        from protectcalc.scenarios.update import updated_text

        started = time.perf_counter()
        outcome, loaded, bom = self._replay_path(path, shown)
        label = outcome.path
        if outcome.status is not Status.FAIL or loaded is None:
            return outcome
        if any(item.new_value is UPDATE_NOT_POSSIBLE for item in outcome.differences):
            return outcome
        changes = [(item.key, item.new_value) for item in outcome.differences]
        new_text = updated_text(loaded.document, changes)
        again, _ = self.run_text(new_text, label, path.parent, bom=bom)
        if again.status is not Status.PASS:
            return outcome
        try:
            write_atomically(path, ("\ufeff" if bom else "") + new_text)
        except FileRefused as refused:
            line = f"{label}: {refused.problem}"
            return _error(label, outcome.name, [line], started)
        return replace(outcome, status=Status.UPDATED, seconds=_since(started))

    def replay(
        self,
        targets: Sequence[str],
        *,
        update: bool = False,
        progress: Callable[[int, int], None] | None = None,
        spread: Spread | None = None,
    ) -> list[Outcome]:
        """Replay every scenario the targets name (files, folders, globs), in order.

        ``progress`` is told (files done, files in all) before the first file and after
        each one, for a progress bar. ``spread`` may run the files on several processes
        (the command line's ``map_in_order``); ``--update`` writes files, so it never does.
        """
        files, missing = find_scenarios(targets)
        outcomes = list(missing)
        if spread is not None and not update:
            outcomes.extend(spread(lambda item: self.run_file(*item), files, progress))
            return outcomes
        run = self.update_file if update else self.run_file
        if progress is not None:
            progress(0, len(files))
        for done, (path, shown) in enumerate(files, 1):
            outcomes.append(run(path, shown))
            if progress is not None:
                progress(done, len(files))
        return outcomes


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 6)


def _error(shown: str, name: str | None, lines: Iterable[str], started: float) -> Outcome:
    return Outcome(shown, name, Status.ERROR, (), tuple(lines), _since(started))


def _refused(
    loaded: LoadedFile, expected: str, messages: list[str], problem: str, started: float
) -> Outcome:
    name = loaded.record.name
    if any(expected in message for message in messages):
        return Outcome(loaded.shown, name, Status.PASS, (), (), _since(started))
    difference = Difference(("expect", "error"), repr(expected), repr(messages[0]), problem)
    return Outcome(loaded.shown, name, Status.FAIL, (difference,), (), _since(started))


def _expect_key(field_name: str) -> KeyPath:
    return tuple(field_name.split("."))


def _name_of(text: str) -> str | None:
    """The scenario's name from a file that did not validate, when a plain line gives it."""
    for line in text.splitlines():
        if line.startswith("name:"):
            value = line[5:].split(" #")[0].strip()
            if value.startswith(("[", "{", "&", "*", "!", "|", ">")):
                return None
            return value.strip("\"'") or None
    return None


ABSENT = "absent"
"""How a milestone that does not appear is shown."""


def compare(
    loaded: LoadedFile, timeline: Timeline, zone: ZoneInfo, now: datetime
) -> list[Difference]:
    """Every expectation of the file that the timeline does not meet (pure)."""
    expect = loaded.record.expect
    assert expect is not None
    found: list[Difference] = []
    for milestone_id, expected in expect.milestones.items():
        key = ("expect", "milestones", milestone_id)
        milestone = timeline.milestone(milestone_id)
        at = milestone.at if milestone is not None else None
        day = milestone.day.isoformat() if milestone is not None else None
        difference = _moment_difference(key, expected, at, day, zone, now)
        if difference is not None:
            found.append(difference)
    summary = expect.summary
    if summary is not None:
        actual = timeline.summary
        given = summary.given
        for name in ("protection_end", "escalation"):
            if name in given:
                moment = getattr(actual, name)
                difference = _moment_difference(
                    ("expect", "summary", name),
                    getattr(summary, name),
                    moment,
                    moment.astimezone(zone).date().isoformat() if moment is not None else None,
                    zone,
                    now,
                    absent="null",
                )
                if difference is not None:
                    found.append(difference)
        if "safe_dispute_date" in given:
            safe = actual.safe_dispute_date.isoformat() if actual.safe_dispute_date else None
            if summary.safe_dispute_date != safe:
                found.append(
                    Difference(
                        ("expect", "summary", "safe_dispute_date"),
                        summary.safe_dispute_date or "null",
                        safe or "null",
                        safe,
                    )
                )
        if "total_days" in given and summary.total_days != actual.total_days:
            found.append(
                Difference(
                    ("expect", "summary", "total_days"),
                    _text(summary.total_days),
                    _text(actual.total_days),
                    actual.total_days,
                )
            )
    if expect.phase is not None and expect.phase != timeline.phase:
        found.append(
            Difference(
                ("expect", "phase"), expect.phase.value, timeline.phase.value, timeline.phase.value
            )
        )
    if "next" in expect.given:
        actual_next = timeline.next.milestone if timeline.next is not None else None
        if expect.next != actual_next:
            found.append(
                Difference(("expect", "next"), _text(expect.next), _text(actual_next), actual_next)
            )
    codes = list(dict.fromkeys(warning.code for warning in timeline.warnings))
    missing = [code for code in expect.warnings if code not in codes]
    if missing:
        found.append(
            Difference(
                ("expect", "warnings"),
                f"[{', '.join(expect.warnings)}]",
                f"[{', '.join(codes)}]",
                codes,
            )
        )
    return found


def _text(value: object) -> str:
    return "null" if value is None else str(value)


def _moment_difference(
    key: KeyPath,
    expected: str | None,
    at: datetime | None,
    day: str | None,
    zone: ZoneInfo,
    now: datetime,
    *,
    absent: str = ABSENT,
) -> Difference | None:
    """Compare one expected date or date-time with a computed instant (or local date)."""
    exists = day is not None
    if expected is None:
        if not exists:
            return None
        return Difference(key, absent, _show_moment(at, day, exact=True), iso(at) if at else day)
    if not exists:
        return Difference(key, expected, absent, None)
    if DATE_TEXT.fullmatch(expected):
        if expected == day:
            return None
        return Difference(key, expected, str(day), day)
    wanted = parse_instant(expected, zone, now, field=".".join(str(part) for part in key))
    if at is not None and at == wanted:
        return None
    return Difference(key, expected, _show_moment(at, day, exact=True), iso(at) if at else day)


def _show_moment(at: datetime | None, day: str | None, *, exact: bool) -> str:
    if at is not None and exact:
        return str(iso(at))
    return f"{day} (a date without a time)"


def find_scenarios(targets: Sequence[str]) -> tuple[list[tuple[Path, str]], list[Outcome]]:
    """The scenario files that files, folders (recursively) and globs name, each once.

    Returns (path, shown) pairs in order, and an error outcome for each target that names
    nothing. A folder's files come with their real paths from its listing (no ``resolve``
    per file); a file named on its own is resolved.
    """
    found: list[tuple[Path, str]] = []
    problems: list[Outcome] = []
    seen: set[str] = set()

    def add(path: Path, real: str | None = None) -> None:
        resolved = real if real is not None else str(path.resolve())
        if resolved not in seen:
            seen.add(resolved)
            found.append((path, path.as_posix()))

    for target in targets:
        path = Path(target)
        if path.is_dir():
            listed = _scenario_files_and_real_paths(path)
            if not listed:
                problems.append(
                    _missing(target, "no scenario files (*.yaml, *.yml) in this folder")
                )
            for item, real in listed:
                add(item, real)
        elif path.exists():  # a device or FIFO too: the reader refuses it by name
            add(path)
        elif any(char in target for char in "*?["):
            matches = sorted(glob.glob(target, recursive=True))  # noqa: PTH207 (any user pattern)
            files: list[tuple[Path, str | None]] = []
            for match in matches:
                candidate = Path(match)
                if candidate.is_dir():
                    files.extend(_scenario_files_and_real_paths(candidate))
                elif candidate.suffix.lower() in SCENARIO_SUFFIXES:
                    files.append((candidate, None))
            if not files:
                problems.append(_missing(target, "matches no scenario files"))
            for item, known in files:
                add(item, known)
        else:
            problems.append(_missing(target, "no such file or folder"))
    return found, problems


def _scenario_files_and_real_paths(folder: Path) -> list[tuple[Path, str]]:
    """:func:`scenario_files`, each with its real path (from one listing per folder)."""
    from protectcalc.files import yaml_files_in

    return yaml_files_in(folder, any_case=True, as_text=True)


def scenario_files(folder: Path) -> list[Path]:
    """Every *.yaml / *.yml file under a folder, skipping hidden ones, in path order."""
    return [path for path, _real in _scenario_files_and_real_paths(folder)]


def _missing(target: str, message: str) -> Outcome:
    return Outcome(target, None, Status.ERROR, (), (f"{target}: {message}",), 0.0)


@dataclass
class Tally:
    """How many scenarios passed, failed, errored and were updated."""

    passed: int = 0
    failed: int = 0
    errors: int = 0
    updated: int = 0
    seconds: float = field(default=0.0)

    @classmethod
    def of(cls, outcomes: Iterable[Outcome]) -> Tally:
        tally = cls()
        for outcome in outcomes:
            tally.seconds += outcome.seconds
            match outcome.status:
                case Status.PASS:
                    tally.passed += 1
                case Status.UPDATED:
                    tally.passed += 1
                    tally.updated += 1
                case Status.FAIL:
                    tally.failed += 1
                case Status.ERROR:
                    tally.errors += 1
        return tally

    @property
    def exit_code(self) -> int:
        """2 when any file could not be read or validated, else 1 when any failed, else 0."""
        if self.errors:
            return 2
        return 1 if self.failed else 0
