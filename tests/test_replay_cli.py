"""``protectcalc replay``, ``schema`` and order files, end to end through the real entry point."""

from __future__ import annotations

import codecs
import json
import textwrap
from pathlib import Path
from xml.etree import ElementTree

import pytest

from protectcalc.scenarios.model import shipped_schema_text
from tests.test_cli import invoke

PASSING = """
    # The 000 example.
    name: Accidental confirmation, full 53-day plan
    timezone: Europe/Moscow
    order:
      shipped: 2026-02-10
      confirmed: 2026-03-01
    expect:
      milestones:
        safe_dispute_open: 2026-03-15
        protection_end: 2026-03-16T00:00+03:00
        payment_due: null
      summary: {total_days: 53}
      phase: confirmed
      next: protection_end
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

BROKEN = """
    name: Broken
    order:
      confirmed: 2026-03-01
      colour: red
    expect: {phase: confirmed}
    """

REFUSED = """
    name: Delivered before shipped
    order:
      shipped: 2026-03-05
      delivered: 2026-03-01
    expect:
      error: is before --shipped
    """


def scenario(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), "utf-8")
    return path


@pytest.fixture
def mixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scenarios/ folder with one passing, one failing and one broken file."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "scenarios"
    scenario(folder, "a_pass.yaml", PASSING)
    scenario(folder, "b/fail.yml", FAILING)
    scenario(folder, "c/broken.yaml", BROKEN)
    scenario(folder, ".hidden/ignored.yaml", BROKEN)
    (folder / "notes.txt").write_text("not a scenario", "utf-8")
    return folder


# --- exit codes and the text report --------------------------------------------------------


def test_all_passing_exits_0(tmp_path: Path) -> None:
    path = scenario(tmp_path, "ok.yaml", PASSING)
    result = invoke(["replay", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"PASS {path.as_posix()}  Accidental confirmation, full 53-day plan\n"
        "replay: 1 passed, 0 failed\n"
    )
    assert result.stderr == ""


def test_a_failure_exits_1_and_lists_each_difference(tmp_path: Path) -> None:
    scenario(tmp_path, "ok.yaml", PASSING)
    scenario(tmp_path, "wrong.yaml", FAILING)
    result = invoke(["replay", str(tmp_path)])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    wrong = (tmp_path / "wrong.yaml").as_posix()
    assert lines[1:] == [
        f"FAIL {wrong}  Wrong protection end",
        "  milestones.protection_end: expected 2026-03-17T00:00+03:00, got 2026-03-16T00:00+03:00",
        "  summary.total_days: expected 50, got 53",
        "replay: 1 passed, 1 failed",
    ]


def test_default_folder_mixed_results_exit_2_and_every_file_still_runs(mixed: Path) -> None:
    result = invoke(["replay"])
    assert result.exit_code == 2, result.output
    assert result.stdout.splitlines() == [
        "PASS scenarios/a_pass.yaml  Accidental confirmation, full 53-day plan",
        "FAIL scenarios/b/fail.yml  Wrong protection end",
        "  milestones.protection_end: expected 2026-03-17T00:00+03:00, got 2026-03-16T00:00+03:00",
        "  summary.total_days: expected 50, got 53",
        "ERROR scenarios/c/broken.yaml  Broken",
        "  scenarios/c/broken.yaml:4:3: order.colour: is not a key of this format (expected one "
        "of: placed, paid, cancel_requested, shipped, delivered, confirmed, processing_days, "
        "delivery_days, extended, estimated_delivery, seller_contacted, return_submitted, "
        "transaction_posted)",
        "replay: 1 error",
        "replay: 1 passed, 1 failed",
    ]


def test_missing_paths_are_errors_but_the_rest_still_run(tmp_path: Path) -> None:
    path = scenario(tmp_path, "ok.yaml", PASSING)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke(["replay", str(tmp_path / "nope.yaml"), str(empty), str(path)])
    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"ERROR {tmp_path / 'nope.yaml'}"
    assert lines[1] == f"  {tmp_path / 'nope.yaml'}: no such file or folder"
    assert lines[3] == f"  {empty}: no scenario files (*.yaml, *.yml) in this folder"
    assert lines[4].startswith("PASS ")
    assert lines[-2:] == ["replay: 2 errors", "replay: 1 passed, 0 failed"]


def test_globs_and_duplicates(mixed: Path) -> None:
    result = invoke(["replay", "scenarios/**/*.yml", "scenarios/b/fail.yml", "scenarios/a_*"])
    assert result.exit_code == 1, result.output
    assert [line.split()[0:2] for line in result.stdout.splitlines() if line[0] != " "] == [
        ["FAIL", "scenarios/b/fail.yml"],
        ["PASS", "scenarios/a_pass.yaml"],
        ["replay:", "1"],
    ]
    nothing = invoke(["replay", "scenarios/*.json"])
    assert nothing.exit_code == 2
    assert "scenarios/*.json: matches no scenario files" in nothing.stdout


def test_expect_error_passes_when_refused_and_fails_when_accepted(tmp_path: Path) -> None:
    refused = scenario(tmp_path, "refused.yaml", REFUSED)
    assert invoke(["replay", str(refused)]).exit_code == 0
    accepted = scenario(
        tmp_path,
        "accepted.yaml",
        "name: Fine order\norder: {shipped: 2026-03-01, delivered: 2026-03-05}\n"
        "expect: {error: is before}\n",
    )
    result = invoke(["replay", str(accepted)])
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[1] == (
        "  error: expected 'is before', got no error: the order was accepted (phase delivered)"
    )
    other = scenario(tmp_path, "other.yaml", REFUSED.replace("is before --shipped", "is after"))
    result = invoke(["replay", str(other)])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[1] == (
        "  error: expected 'is after', got '--delivered 2026-03-01: is before --shipped 2026-03-05'"
    )


def test_an_engine_refusal_without_expect_error_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = scenario(tmp_path, "bad.yaml", REFUSED.replace("error: is before --shipped", "phase: x"))
    path.write_text(path.read_text("utf-8").replace("phase: x", "phase: delivered"), "utf-8")
    result = invoke(["replay", str(path)])
    assert result.exit_code == 2
    assert result.stdout.splitlines()[1] == (
        f"  {path}:4:14: order.delivered 2026-03-01: is before order.shipped 2026-03-05"
    )


def test_an_order_file_is_not_a_scenario(tmp_path: Path) -> None:
    path = scenario(tmp_path, "order.yaml", "name: Mine\norder: {confirmed: 2026-03-01}\n")
    result = invoke(["replay", str(path)])
    assert result.exit_code == 2
    assert "expect: is missing: a scenario needs expectations" in result.stdout


# --- JUnit and JSON --------------------------------------------------------------------------


def test_junit_report_is_valid_xml_with_one_case_per_file(mixed: Path, tmp_path: Path) -> None:
    report = tmp_path / "out" / "replay.xml"
    report.parent.mkdir()
    result = invoke(["replay", "--junit", str(report)])
    assert result.exit_code == 2
    assert result.stderr == f"wrote {report}\n"
    root = ElementTree.parse(report).getroot()
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    cases = suite.findall("testcase")
    assert [(case.get("classname"), case.get("name")) for case in cases] == [
        ("scenarios", "a_pass.yaml: Accidental confirmation, full 53-day plan"),
        ("scenarios.b", "fail.yml: Wrong protection end"),
        ("scenarios.c", "broken.yaml: Broken"),
    ]
    assert list(cases[0]) == []
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("message") == "2 expectations not met"
    assert failure.text is not None
    assert "summary.total_days: expected 50, got 53" in failure.text
    error = cases[2].find("error")
    assert error is not None
    assert (error.get("message") or "").startswith("scenarios/c/broken.yaml:4:3: order.colour")
    assert [item.name for item in report.parent.iterdir()] == ["replay.xml"]


def test_junit_to_an_unwritable_place_is_bad_input(tmp_path: Path) -> None:
    path = scenario(tmp_path, "ok.yaml", PASSING)
    target = tmp_path / "no" / "such" / "dir" / "r.xml"
    result = invoke(["replay", str(path), "--junit", str(target)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"protectcalc: --junit {target}: cannot be written")


def test_json_report_for_scripts(mixed: Path) -> None:
    result = invoke(["replay", "--format", "json"])
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert (report["passed"], report["failed"], report["errors"], report["exit_code"]) == (
        1,
        1,
        1,
        2,
    )
    assert [(item["path"], item["status"]) for item in report["scenarios"]] == [
        ("scenarios/a_pass.yaml", "pass"),
        ("scenarios/b/fail.yml", "fail"),
        ("scenarios/c/broken.yaml", "error"),
    ]
    assert report["scenarios"][1]["differences"] == [
        {
            "field": "milestones.protection_end",
            "expected": "2026-03-17T00:00+03:00",
            "actual": "2026-03-16T00:00+03:00",
        },
        {"field": "summary.total_days", "expected": "50", "actual": "53"},
    ]
    assert report["scenarios"][2]["problems"][0].startswith("scenarios/c/broken.yaml:4:3:")


# --- --update ---------------------------------------------------------------------------------

STALE = """
    # yaml-language-server: $schema=../protectcalc/scenario.schema.json
    name: "Stale expectations"   # quoted name
    timezone: Europe/Moscow
    order:
      shipped: 2026-02-10
      confirmed: 2026-03-01        # the accidental tap
    expect:
      milestones:
        safe_dispute_open: 2026-03-14      # a date stays a date
        protection_end: '2026-03-17T12:00+03:00'   # a date-time stays a date-time, quoted
        payment_due: 2026-03-01            # no longer appears
        escalation:
        auto_confirm: null
      summary:
        total_days: 50
        protection_end: 2026-03-16T00:00+03:00
      phase: "in_transit"
      next: payment_due
      warnings: [no_such_warning]
    """


def test_update_rewrites_only_failing_values_and_keeps_everything_else(tmp_path: Path) -> None:
    path = scenario(tmp_path, "stale.yaml", STALE)
    path.chmod(0o640)
    result = invoke(["replay", "--update", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"UPDATED {path}  Stale expectations"
    assert result.stdout.splitlines()[-2:] == ["replay: 1 updated", "replay: 1 passed, 0 failed"]
    expected = STALE.replace("2026-03-14 ", "2026-03-15 ")
    expected = expected.replace("'2026-03-17T12:00+03:00'", "'2026-03-16T00:00+03:00'")
    expected = expected.replace("payment_due: 2026-03-01 ", "payment_due: null ")
    expected = expected.replace("escalation:\n", "escalation: 2026-04-23T00:00+03:00\n")
    expected = expected.replace("total_days: 50", "total_days: 53")
    expected = expected.replace('"in_transit"', '"confirmed"')
    expected = expected.replace("next: payment_due", "next: protection_end")
    expected = expected.replace("[no_such_warning]", "[delivery_after_protection, seeds_disagree]")
    assert path.read_text("utf-8") == textwrap.dedent(expected).lstrip("\n")
    assert path.stat().st_mode & 0o777 == 0o640
    again = invoke(["replay", str(path)])
    assert again.exit_code == 0, again.output


def test_update_leaves_passing_broken_and_unfixable_files_byte_for_byte(tmp_path: Path) -> None:
    files = {
        "pass.yaml": PASSING,
        "broken.yaml": BROKEN,
        "accepted.yaml": "name: Fine\norder: {shipped: 2026-03-01}\nexpect: {error: x}\n",
    }
    before = {name: scenario(tmp_path, name, text).read_bytes() for name, text in files.items()}
    result = invoke(["replay", "--update", str(tmp_path)])
    assert result.exit_code == 2
    for name, data in before.items():
        assert (tmp_path / name).read_bytes() == data, name
    assert sorted(item.name for item in tmp_path.iterdir()) == sorted(files)


def test_update_block_lists_errors_bom_and_crlf(tmp_path: Path) -> None:
    text = (
        "name: Block list\r\n"
        "order:\r\n"
        "  shipped: 2026-03-05\r\n"
        "  delivered: 2026-03-01\r\n"
        "expect:\r\n"
        "  error: |\r\n"
        "    something else\r\n"
    )
    path = tmp_path / "crlf.yaml"
    path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    result = invoke(["replay", "--update", str(path)])
    assert result.exit_code == 0, result.output
    data = path.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    assert data.decode("utf-8-sig") == text.replace(
        "|\r\n    something else\r\n", '"is before --shipped 2026-03-05"\r\n'
    )
    listing = scenario(
        tmp_path,
        "list.yaml",
        """
        name: Block warnings
        timezone: Europe/Moscow
        order: {shipped: 2026-02-10, confirmed: 2026-03-01}
        expect:
          warnings:
            - gone          # first
            - also_gone

          # a comment after the list stays
          phase: confirmed
        """,
    )
    assert invoke(["replay", "--update", str(listing)]).exit_code == 0
    assert listing.read_text("utf-8").splitlines()[4:9] == [
        "  warnings:",
        "    - delivery_after_protection",
        "    - seeds_disagree",
        "",
        "  # a comment after the list stays",
    ]


# --- schema and order files ------------------------------------------------------------------


def test_schema_command_prints_the_shipped_schema(tmp_path: Path) -> None:
    result = invoke(["schema"])
    assert result.exit_code == 0
    assert result.stdout == shipped_schema_text()
    assert json.loads(result.stdout)["title"] == "protectcalc scenario"
    target = tmp_path / "scenario.schema.json"
    assert invoke(["schema", "--output", str(target)]).exit_code == 0
    assert target.read_text("utf-8") == shipped_schema_text()


ORDER = """
    # My order, kept beside my receipts.
    name: Headphones
    timezone: Europe/Moscow
    order:
      shipped: 2026-02-10
      confirmed: 2026-03-01
    expect:
      phase: something else entirely   # ignored by timeline
    """


def test_order_file_through_timeline(tmp_path: Path) -> None:
    path = scenario(tmp_path, "order.yaml", ORDER)
    result = invoke(["timeline", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["timezone"] == "Europe/Moscow"
    assert data["as_of"] == "2026-03-02T12:00+03:00"  # no as_of in the file: now (FIXED_NOW)
    assert data["phase"] == "confirmed"
    assert data["summary"]["protection_end"] == "2026-03-16T00:00+03:00"
    assert data["summary"]["total_days"] == 53


def test_options_override_the_order_file(tmp_path: Path) -> None:
    path = scenario(tmp_path, "order.yaml", ORDER)
    result = invoke(
        ["timeline", str(path), "--confirmed", "2026-03-02", "--tz", "UTC", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["timezone"] == "UTC"
    assert data["summary"]["protection_end"] == "2026-03-17T00:00+00:00"


def test_order_file_without_timezone_is_read_in_utc(tmp_path: Path) -> None:
    path = scenario(tmp_path, "utc.yaml", "order:\n  confirmed: 2026-03-01\n")
    result = invoke(["timeline", str(path), "--format", "json"], env={"TZ": "Asia/Shanghai"})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["protection_end"] == "2026-03-16T00:00+00:00"


def test_bad_value_in_an_order_file_names_file_line_and_key(tmp_path: Path) -> None:
    path = scenario(tmp_path, "bad.yaml", ORDER.replace("2026-03-01", "2026-02-30"))
    result = invoke(["timeline", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"protectcalc: {path}:6:14: order.confirmed 2026-02-30: is not a real date or time "
        "(day is out of range for month)\n"
    )


def test_an_option_that_overrides_the_file_is_named_as_the_option(tmp_path: Path) -> None:
    path = scenario(tmp_path, "order.yaml", ORDER)
    result = invoke(["timeline", str(path), "--delivered", "2026-02-05"])
    assert result.exit_code == 2
    assert result.stderr == (
        "protectcalc: --delivered 2026-02-05: is before --shipped 2026-02-10\n"
    )


def test_broken_order_files_are_one_line_and_exit_2(tmp_path: Path) -> None:
    cases = {
        "dup.yaml": (
            "order:\n  shipped: 2026-02-10\n  shipped: 2026-02-11\n",
            ":3:3: order.shipped",
        ),
        "yaml.yaml": ("order: [\n", "is not valid YAML"),
        "key.yaml": ("order:\n  confirmd: 2026-03-01\n", ":2:3: order.confirmd: is not a key"),
    }
    for name, (text, expected) in cases.items():
        path = tmp_path / name
        path.write_text(text, "utf-8")
        result = invoke(["timeline", str(path)])
        assert result.exit_code == 2, name
        assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
        assert result.stderr.startswith(f"protectcalc: {path}")
    missing = invoke(["timeline", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2
    assert missing.stderr == f"protectcalc: {tmp_path / 'nope.yaml'}: no such file\n"


def test_the_readme_example_scenario_passes(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    section = readme[readme.index("## Scenario files and replay") :]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.yaml"
    path.write_text(example, "utf-8")
    result = invoke(["replay", str(path)])
    assert result.exit_code == 0, result.output
