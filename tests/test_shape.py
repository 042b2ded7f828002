"""The fast shape check against the pydantic models: it declines or gives exactly their result."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from protectcalc.order import OrderInput
from protectcalc.scenarios.model import OrderRecord, Scenario, default_milestone_ids, field_kinds
from protectcalc.scenarios.replay import load_text, order_input, record_of, scenario_files
from protectcalc.scenarios.shape import CHOICES, FIELD_KINDS, FileRecord, check_shape
from protectcalc.scenarios.yaml_reader import parse_yaml

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE.parent / "scenarios"
MILESTONE_IDS = default_milestone_ids()


def test_the_fast_check_knows_the_models_keys_and_kinds() -> None:
    """The table the fast check runs on is the one the models give (regenerate it by hand
    from ``field_kinds()`` when a field changes)."""
    assert field_kinds() == FIELD_KINDS


def test_an_order_record_differs_from_a_scenario_only_in_its_optional_name() -> None:
    from protectcalc.scenarios.model import _field_kind

    kinds = {name: _field_kind(info) for name, info in OrderRecord.model_fields.items()}
    assert kinds == {**FIELD_KINDS["Scenario"], "name": "nonempty text or null"}


Result = tuple[FileRecord, OrderInput]


def by_models(data: dict[str, Any], *, scenario: bool, ids: list[str] | None) -> Result | None:
    """What the pydantic path gives, or None when the models refuse the document."""
    model: type[OrderRecord] = Scenario if scenario else OrderRecord
    try:
        record = model.model_validate(data, context={"milestone_ids": ids})
    except ValidationError:
        return None
    values = {**record.__dict__, "order": record.order.__dict__, "dispute": record.dispute.__dict__}
    return record_of(record), order_input(values, HERE)


def by_shape(data: dict[str, Any], *, scenario: bool, ids: list[str] | None) -> Result | None:
    checked = check_shape(data, scenario=scenario, milestone_ids=ids)
    if checked is None:
        return None
    values, record = checked
    return record, order_input(values, HERE)


def agree(data: dict[str, Any], *, scenario: bool, known: list[str] | None = MILESTONE_IDS) -> bool:
    """True when the fast check took the document (it then gave the models' result)."""
    if not scenario:
        data = {key: value for key, value in data.items() if key != "expect"}
    ids = known if "expect" in data else None
    fast = by_shape(data, scenario=scenario, ids=ids)
    if fast is None:
        return False
    slow = by_models(data, scenario=scenario, ids=ids)
    assert slow is not None, f"the fast check accepted what the models refuse: {data!r}"
    assert fast == slow
    assert [type(value) for value in vars(fast[1]).values()] == [
        type(value) for value in vars(slow[1]).values()
    ]
    return True


# --- generated documents ---------------------------------------------------------------------

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False),
    st.text(max_size=4),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(0, 3), max_size=2),
)
hashable_junk = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(0, 1))
moments = st.sampled_from(
    ["2026-03-01", "2026-03-01T10:00", "2026-03-01 10:00+03:00", "2026-02-30", "", "today", "x"]
)
expected_moments = st.sampled_from(
    [
        "2026-03-15",
        "2026-03-16T00:00+03:00",
        "2026-03-16T00:00Z",
        "2026-03-16T24:00",
        "2026-02-30",
        "2026-3-1",
        "soon",
        "",
    ]
)
milestone_ids = st.sampled_from([*MILESTONE_IDS[:6], "protection_ends", "nope", ""])

SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "text": st.one_of(st.text(max_size=6), st.integers(-5, 10**6)),
    "nonempty text": st.one_of(st.text(max_size=6), st.integers(-5, 10**6)),
    "moment": st.one_of(moments, st.integers(0, 20260301)),
    "whole number": st.one_of(*[st.integers(-3, 400)] * 4, st.booleans(), st.just("5")),
    "expected moment": st.one_of(expected_moments, st.integers(0, 20260315)),
    "expected date": st.one_of(expected_moments, st.integers(0, 20260315)),
    "milestone id": st.one_of(milestone_ids, st.integers(0, 3)),
}
"""Values of each scalar kind, good and bad."""

GOOD: dict[str, st.SearchStrategy[Any]] = {
    "text": st.one_of(st.text(min_size=1, max_size=6), st.integers(0, 10**6)),
    "nonempty text": st.text(min_size=1, max_size=6),
    "moment": st.sampled_from(["2026-03-01", "2026-03-01T10:00", "2026-03-01 10:00+03:00"]),
    "whole number": st.integers(0, 400),
    "expected moment": st.sampled_from(["2026-03-15", "2026-03-16T00:00+03:00"]),
    "expected date": st.just("2026-03-15"),
    "milestone id": st.sampled_from(MILESTONE_IDS[:6]),
}
"""Only valid values of each scalar kind: documents made of them are mostly valid."""


def good_values(kind: str) -> st.SearchStrategy[Any]:
    """Valid values of a kind (a section may still be refused as a whole: ``expect: {}``)."""
    if kind.endswith(" or null") and not kind.startswith("map of"):
        return st.one_of(st.none(), good_values(kind.removesuffix(" or null")))
    if kind.startswith("one or list of "):
        inner = good_values(kind.removeprefix("one or list of "))
        return st.one_of(inner, st.lists(inner, max_size=3))
    if kind.startswith("list of "):
        return st.lists(good_values(kind.removeprefix("list of ")), max_size=3)
    if kind.startswith("map of "):
        key, _, value = kind.removeprefix("map of ").partition(" to ")
        return st.dictionaries(GOOD[key], good_values(value), max_size=3)
    if kind.startswith("choice of "):
        return st.sampled_from(
            [member.value for member in CHOICES[kind.removeprefix("choice of ")]]
        )
    if kind.startswith("section "):
        kinds = FIELD_KINDS[kind.removeprefix("section ")]
        return st.fixed_dictionaries(
            {}, optional={key: good_values(item) for key, item in kinds.items()}
        )
    return GOOD[kind]


bad_values = st.one_of(
    junk,
    st.sampled_from([True, False, 1.5, "5", "", "2026-02-30", "2026-3-1", "nope", None, [], {}]),
    st.sampled_from(MILESTONE_IDS).map(str.upper),
)
"""What a mutation writes in place of one value."""


def places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key and list item of a document, as a path from the top."""
    found: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((*path, key))
            found.extend(places(value, (*path, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.append((*path, index))
            found.extend(places(value, (*path, index)))
    return found


def values_of(kind: str, junky: bool = True) -> st.SearchStrategy[Any]:
    """Mostly values of the kind (good and bad), sometimes (when junky) anything at all."""
    junk_or_not = junk if junky else st.nothing()
    if kind.endswith(" or null") and not kind.startswith("map of"):
        return st.one_of(st.none(), values_of(kind.removesuffix(" or null"), junky))
    if kind.startswith("one or list of "):
        inner = values_of(kind.removeprefix("one or list of "), junky)
        return st.one_of(inner, st.lists(inner, max_size=3), junk_or_not)
    if kind.startswith("list of "):
        inner = values_of(kind.removeprefix("list of "), junky)
        return st.one_of(
            st.lists(inner, max_size=3), st.lists(inner, max_size=3), inner, junk_or_not
        )
    if kind.startswith("map of "):
        key, _, value = kind.removeprefix("map of ").partition(" to ")
        keys = st.one_of(SCALARS[key], SCALARS[key], SCALARS[key], hashable_junk)
        return st.one_of(
            st.dictionaries(keys, values_of(value, junky), max_size=3),
            st.dictionaries(keys, values_of(value, junky), max_size=3),
            junk_or_not,
        )
    if kind.startswith("choice of "):
        choices = [member.value for member in CHOICES[kind.removeprefix("choice of ")]]
        return st.one_of(st.sampled_from([*choices, "nope", choices[0].upper()]), junk_or_not)
    if kind.startswith("section "):
        return st.one_of(sections(kind.removeprefix("section "), junky), junk_or_not)
    return st.one_of(SCALARS[kind], SCALARS[kind], SCALARS[kind], junk_or_not)


def sections(name: str, junky: bool = True) -> st.SearchStrategy[dict[Any, Any]]:
    """A section with some of its keys, and now and then an unknown or non-text key."""
    kinds = FIELD_KINDS[name]
    known = st.fixed_dictionaries(
        {}, optional={key: values_of(kind, junky) for key, kind in kinds.items()}
    )
    unknown = st.dictionaries(
        st.one_of(st.sampled_from(["extra", "Name", "order_", "1"]), st.integers(0, 3)),
        junk,
        max_size=1,
    )
    return st.one_of(known, known, known, st.builds(lambda a, b: {**a, **b}, known, unknown))


documents = st.one_of(sections("Scenario"), sections("Scenario", junky=False))
"""Documents of every kind; without junk values, more of them are valid."""


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents, scenario=st.booleans())
def test_the_fast_check_declines_or_gives_exactly_the_models_result(
    document: dict[Any, Any], scenario: bool
) -> None:
    agree(document, scenario=scenario)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    document=good_values("section Scenario").map(lambda doc: {"name": "x", **doc}),
    data=st.data(),
    scenario=st.booleans(),
)
def test_one_wrong_value_or_key_in_a_good_document_is_never_taken(
    document: dict[Any, Any], data: st.DataObject, scenario: bool
) -> None:
    """A valid document with one value replaced (or one key renamed or added)."""
    spots = places(document)
    if spots:
        path = data.draw(st.sampled_from(spots))
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        if data.draw(st.booleans()) or not isinstance(parent, dict):
            parent[path[-1]] = data.draw(bad_values)
        else:
            parent[data.draw(st.sampled_from(["extra", f"{path[-1]}_", 1]))] = parent.pop(path[-1])
    agree(document, scenario=scenario)


def test_good_documents_are_mostly_taken() -> None:
    taken = []

    @settings(max_examples=300, deadline=None, database=None)
    @given(document=good_values("section Scenario"))
    def count(document: dict[Any, Any]) -> None:
        taken.append(agree({"name": "x", **document}, scenario=True))

    count()
    assert sum(taken) > len(taken) // 2


def test_the_generated_documents_are_often_taken() -> None:
    """The differential test means something only when the fast check accepts many of them."""
    taken = []

    @settings(max_examples=400, deadline=None, database=None)
    @given(document=documents)
    def count(document: dict[Any, Any]) -> None:
        taken.append(agree(document, scenario=False))

    count()
    assert sum(taken) > len(taken) // 10


# --- shipped files ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", scenario_files(SCENARIOS), ids=lambda path: path.stem)
def test_every_shipped_scenario_takes_the_fast_path(path: Path) -> None:
    from protectcalc.scenarios.replay import _milestone_ids

    data = parse_yaml(path.read_text(encoding="utf-8"), str(path)).data
    assert agree(data, scenario=True, known=_milestone_ids(data, path.parent))
    assert agree(data, scenario=False)


def test_a_refused_file_keeps_the_models_words(tmp_path: Path) -> None:
    from protectcalc.scenarios.yaml_reader import FileProblems

    text = "name: x\norder:\n  placed: 2026-03-01\n  processing_days: true\n"
    with pytest.raises(FileProblems) as refused:
        load_text(text, "x.yaml", tmp_path)
    assert refused.value.lines() == [
        "x.yaml:4:20: order.processing_days: expected a whole number (got true)"
    ]


# --- start-up --------------------------------------------------------------------------------


def imported_by(*args: str, env: dict[str, str] | None = None) -> list[str]:
    import os

    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "protectcalc", *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()]


ORDER_FILE = (
    "name: a parcel\norder:\n  placed: 2026-11-01T10:00\n  paid: 2026-11-01T10:05\n"
    "  shipped: 2026-11-03T09:00\n  delivery_days: 45\ntimezone: Europe/Moscow\n"
    "readings: {}\nalso: []\n"
)


def test_timeline_of_a_valid_order_file_imports_no_pydantic(tmp_path: Path) -> None:
    path = tmp_path / "o1.yaml"
    path.write_text(ORDER_FILE, encoding="utf-8")
    imported = imported_by("timeline", str(path), "--as-of", "2026-11-10", "--format", "json")
    assert "protectcalc.scenarios.shape" in imported
    assert [name for name in imported if name.startswith("pydantic")] == []


def test_status_of_a_book_order_imports_no_pydantic(tmp_path: Path) -> None:
    (tmp_path / "o1.yaml").write_text(ORDER_FILE, encoding="utf-8")
    imported = imported_by("status", "o1", env={"PROTECTCALC_ORDERS": str(tmp_path)})
    assert "protectcalc.scenarios.shape" in imported
    assert [name for name in imported if name.startswith("pydantic")] == []
