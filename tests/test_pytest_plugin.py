"""The pytest plugin: scenario files as test items in a repository that has only them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from importlib.metadata import entry_points

import pytest

from protectcalc.scenarios.replay import Replayer, Status
from protectcalc.scenarios.yaml_reader import FileProblems, parse_yaml

pytest_plugins = ["pytester"]

PASSING = """
    name: Accidental confirmation
    timezone: Europe/Moscow
    order:
      confirmed: 2026-03-01
    expect:
      milestones:
        safe_dispute_open: 2026-03-15
        protection_end: 2026-03-16T00:00+03:00
    """

FAILING = """
    name: Wrong protection end
    timezone: Europe/Moscow
    order:
      confirmed: 2026-03-01
    expect:
      milestones:
        protection_end: 2026-03-17T00:00+03:00
        safe_dispute_open: 2026-03-15
      summary:
        total_days: 50
    """

REFUSED = """
    name: Delivered before shipped
    order:
      shipped: 2026-03-05
      delivered: 2026-03-01
    expect:
      error: is before --shipped
    """

WRONG_ERROR = """
    name: Expects another error
    order:
      shipped: 2026-03-05
      delivered: 2026-03-01
    expect:
      error: is in the future
    """

MALFORMED = """
    name: Broken
    order:
      confirmed: 2026-03-01
      colour: red
    expect: {phase: confirmed}
    """


def write(pytester: pytest.Pytester, **files: str) -> None:
    """Scenario files under scenarios/ of pytester's fresh directory."""
    for name, text in files.items():
        path = pytester.path / "scenarios" / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


@pytest.fixture(autouse=True, scope="module")
def _imported_here_first(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Replay once in this process before pytester's inline runs.

    An inline run drops the modules first imported during it; the YAML reader imports
    ruamel lazily and keeps its parser, so a parser from a dropped ruamel would meet fresh
    event classes in the next run and read every file as empty.
    """
    path = tmp_path_factory.mktemp("warm") / "good.yaml"
    path.write_text(textwrap.dedent(PASSING).lstrip(), encoding="utf-8")
    outcome = Replayer(datetime.now(UTC)).run_file(path)
    assert outcome.status is Status.PASS
    with pytest.raises(FileProblems):
        parse_yaml("name: [unclosed\n", "bad.yaml")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """pytest in pytester's directory, without hypothesis's plugin (a second of start-up)."""
    return pytester.runpytest("-p", "no:hypothesispytest", *args)


def test_the_entry_point_registers_the_plugin() -> None:
    found = [item for item in entry_points(group="pytest11") if item.name == "protectcalc"]
    assert [item.value for item in found] == ["protectcalc.pytest_plugin"]


def test_one_item_per_scenario_named_by_file_and_title(pytester: pytest.Pytester) -> None:
    write(pytester, good=PASSING, wrong=FAILING, refused=REFUSED, broken=MALFORMED)
    result = run(pytester, "--protectcalc", "scenarios", "-v")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*collected 4 items",
            "",
            "scenarios/broken.yaml::broken.yaml FAILED*",
            "scenarios/good.yaml::Accidental confirmation PASSED*",
            "scenarios/refused.yaml::Delivered before shipped PASSED*",
            "scenarios/wrong.yaml::Wrong protection end FAILED*",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_failure_shows_expected_and_computed_at_their_lines(pytester: pytest.Pytester) -> None:
    write(pytester, wrong=FAILING)
    result = run(pytester, "--protectcalc", "scenarios/wrong.yaml")
    result.assert_outcomes(failed=1)
    result.stdout.re_match_lines(
        [
            "_+ scenario: Wrong protection end _+",
            "scenarios/wrong.yaml: 2 expectations not met \\(- expected, \\+ computed\\)",
            "scenarios/wrong.yaml:7: milestones.protection_end",
            "  - 2026-03-17T00:00\\+03:00",
            "  \\+ 2026-03-16T00:00\\+03:00",
            "scenarios/wrong.yaml:10: summary.total_days",
            "  - 50",
            "  \\+ 53",
            "=+ short test summary info =+",
        ],
        consecutive=True,
    )
    assert "Traceback" not in result.stdout.str()
    assert "pytest_plugin.py" not in result.stdout.str()


def test_expect_error_passes_when_the_error_matches_and_fails_when_not(
    pytester: pytest.Pytester,
) -> None:
    write(pytester, refused=REFUSED, other=WRONG_ERROR)
    result = run(pytester, "--protectcalc", "scenarios", "-rA")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "scenarios/other.yaml: 1 expectation not met (- expected, + computed)",
            "scenarios/other.yaml:6: error",
            "  - 'is in the future'",
            "  + '--delivered 2026-03-01: is before --shipped 2026-03-05'",
        ]
    )
    result.stdout.fnmatch_lines(["PASSED scenarios/refused.yaml::Delivered before shipped"])


def test_a_malformed_file_is_a_failing_item_with_path_and_line(
    pytester: pytest.Pytester,
) -> None:
    write(pytester, broken=MALFORMED)
    (pytester.path / "scenarios" / "tabs.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    result = run(pytester, "--protectcalc", "scenarios")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "_* scenario: broken.yaml _*",
            "scenarios/broken.yaml:4:3: order.colour: is not a key of this format (expected "
            "one of: placed, paid, cancel_requested, shipped, delivered, confirmed, "
            "processing_days, delivery_days, extended, *)",
            "_* scenario: tabs.yaml _*",
            "scenarios/tabs.yaml:2:1: *",
        ]
    )


def test_the_usual_tests_still_run_beside_the_scenarios(pytester: pytest.Pytester) -> None:
    write(pytester, good=PASSING)
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    pytester.makeini("[pytest]\ntestpaths = test_plain.py\n")
    without = run(pytester, "-v")
    without.assert_outcomes(passed=1)
    without.stdout.fnmatch_lines(["test_plain.py::test_plain PASSED*"])
    assert "scenarios/" not in without.stdout.str()
    with_option = run(pytester, "-v", "--protectcalc", "scenarios")
    with_option.assert_outcomes(passed=2)
    with_option.stdout.fnmatch_lines(
        [
            "test_plain.py::test_plain PASSED*",
            "scenarios/good.yaml::Accidental confirmation PASSED*",
        ]
    )


def test_folders_globs_and_files_name_each_scenario_once(pytester: pytest.Pytester) -> None:
    write(pytester, good=PASSING, refused=REFUSED)
    result = run(
        pytester,
        "--co",
        "-q",
        "--protectcalc",
        "scenarios",
        "--protectcalc",
        "scenarios/*.yaml",
        "--protectcalc",
        "scenarios/good.yaml",
        "scenarios",
    )
    assert result.stdout.lines[:3] == [
        "scenarios/good.yaml::Accidental confirmation",
        "scenarios/refused.yaml::Delivered before shipped",
        "",
    ]


def test_addopts_paths_are_read_from_the_rootdir_too(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(pytester, good=PASSING)
    pytester.makeini("[pytest]\naddopts = --protectcalc scenarios\n")
    (pytester.path / "docs").mkdir()
    monkeypatch.chdir(pytester.path / "docs")
    result = run(pytester, "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["../scenarios/good.yaml::Accidental confirmation PASSED*"])


def test_k_selects_scenarios_by_title(pytester: pytest.Pytester) -> None:
    write(pytester, good=PASSING, wrong=FAILING)
    result = run(pytester, "--protectcalc", "scenarios", "-k", "Accidental")
    result.assert_outcomes(passed=1, deselected=1)


def test_a_path_that_names_nothing_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--protectcalc", "nowhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --protectcalc: nowhere: no such file or folder"])


def test_other_yaml_files_are_not_collected(pytester: pytest.Pytester) -> None:
    write(pytester, good=PASSING)
    (pytester.path / "config.yaml").write_text("key: value\n", encoding="utf-8")
    result = run(pytester, "--protectcalc", "scenarios/good.yaml", ".")
    result.assert_outcomes(passed=1)


def test_loading_the_plugin_imports_nothing_of_protectcalc_else() -> None:
    """Every pytest run loads the plugin; without the option it must cost nothing."""
    code = (
        "import sys, protectcalc.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.startswith(('protectcalc', 'pydantic', "
        "'rich', 'typer', 'ruamel'))))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert shown == "['protectcalc', 'protectcalc.pytest_plugin']\n"
