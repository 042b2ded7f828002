"""Issue 7, sections 3 and 4: no traceback on hostile input, bounded reads, careful writes.

Each test names the exact one-line message and exit code a user gets; the files read are
regular files only, and every write keeps what is already there (links, modes, owners).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
import typer

from protectcalc.rules.data import __file__ as _rules_data
from tests.test_cli import invoke, subprocess_env

RULES_FILE = Path(_rules_data).parent / "aliexpress.toml"
CONFIRMED = ["--confirmed", "2026-03-01", "--tz", "UTC"]
ORDER = "name: Test order\ntimezone: UTC\norder:\n  confirmed: 2026-03-01\n"


def one_line(args: list[str], code: int = 2) -> str:
    """Run ``args``; assert the exit code, nothing on stdout and exactly one stderr line."""
    result = invoke(args)
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


# --- section 3: numbers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--processing-days", "²"],
            "protectcalc: --processing-days ²: is not a whole number of days",
        ),
        (
            ["--delivery-days=--5"],
            "protectcalc: --delivery-days --5: is not a whole number of days",
        ),
        (["--extended", "²"], "protectcalc: --extended ²: is not a whole number of days"),
        (["--extended", "٣"], "protectcalc: --extended ٣: is not a whole number of days"),
    ],
)
def test_non_ascii_digits_and_doubled_signs_are_refused(args: list[str], message: str) -> None:
    assert one_line(["timeline", *CONFIRMED, "-f", "json", *args]) == message


@pytest.mark.parametrize("within", ["99999999999999999999d", "P99999999999999999999D", "P9999999W"])
@pytest.mark.parametrize("command", ["status", "due"])
def test_huge_durations_are_refused(command: str, within: str, tmp_path: Path) -> None:
    target = [*CONFIRMED] if command == "status" else [str(tmp_path)]
    assert one_line([command, *target, "--within", within]) == (
        f"protectcalc: --within {within}: is longer than ten years"
    )


def test_non_ascii_digits_in_a_duration_are_refused() -> None:
    assert one_line(["status", *CONFIRMED, "--within", "٣d"]) == (
        "protectcalc: --within ٣d: is not a duration: use e.g. 36h, 3d, 2d12h or P2D"
    )


# --- section 3: rule files ------------------------------------------------------------


def test_a_rule_file_may_count_a_rule_in_business_days(tmp_path: Path) -> None:
    """Units are data: a rule moved to business days is counted so (no AssertionError)."""
    text = RULES_FILE.read_text("utf-8")
    start = text.index("[rules.auto_confirm]")
    at = text.index('unit = "days"', start)
    changed = text[:at] + 'unit = "business_days"\ncalendar = "buyer"' + text[at + 13 :]
    path = tmp_path / "unit.toml"
    path.write_text(changed, "utf-8")
    result = invoke(
        ["timeline", "--delivered", "2026-03-06", "--tz", "UTC", "--rules", str(path), "-f", "json"]
    )
    assert result.exit_code == 0, result.stderr
    found = {item["id"]: item for item in json.loads(result.stdout)["milestones"]}
    assert (found["auto_confirm"]["date"], found["auto_confirm"]["at"]) == ("2026-03-17", None)
    # the protection window ends as that business day begins (SPEC 2.1)
    assert found["protection_end"]["at"] == "2026-03-17T00:00+00:00"


def test_a_rule_in_a_unit_that_cannot_step_the_dispute_is_refused(tmp_path: Path) -> None:
    text = RULES_FILE.read_text("utf-8")
    start = text.index("[rules.seller_response]")
    at = text.index('unit = "days"', start)
    path = tmp_path / "unit.toml"
    path.write_text(text[:at] + 'unit = "count"' + text[at + 13 :], "utf-8")
    line = one_line(["timeline", "--delivered", "2026-03-01", "--rules", str(path)])
    assert line.startswith(f"protectcalc: {path}:")
    assert line.endswith(
        "milestones.dispute.cycle.steps.add: rule seller_response is in count: "
        "it must be in days or hours here"
    )


def test_an_alternative_reading_in_another_unit_is_refused(tmp_path: Path) -> None:
    text = RULES_FILE.read_text("utf-8")
    start = text.index("[rules.post_confirmation_protection.alternatives.ends_at_once]")
    at = text.index('unit = "days"', start)
    path = tmp_path / "alt.toml"
    path.write_text(text[:at] + 'unit = "count"' + text[at + 13 :], "utf-8")
    line = one_line(["rules", "--rules", str(path)])
    assert line.endswith(
        "milestones.protection_end.cases.add: rule post_confirmation_protection "
        "(reading ends_at_once) is in count: it must be in days or hours or business_days here"
    )


def test_rules_from_dev_zero_are_refused_at_once() -> None:
    assert one_line(["rules", "--rules", "/dev/zero"]) == (
        "protectcalc: rule set /dev/zero: is a device, not a regular file"
    )


def test_rules_from_a_fifo_are_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "rules.toml"
    os.mkfifo(fifo)
    assert one_line(["timeline", *CONFIRMED, "--rules", str(fifo)]) == (
        f"protectcalc: rule set {fifo}: is a FIFO (named pipe), not a regular file"
    )


def test_rules_from_a_folder_and_a_huge_file_are_refused(tmp_path: Path) -> None:
    assert one_line(["rules", "--rules", f"{tmp_path}/"]) == (
        f"protectcalc: rule set {tmp_path}/: is a folder, not a regular file"
    )
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (1024 * 1024 + 1))
    assert one_line(["rules", "--rules", str(big)]) == (
        f"protectcalc: rule set {big}: is larger than 1 MiB"
    )


def test_rules_dev_zero_inside_an_order_file(tmp_path: Path) -> None:
    order = tmp_path / "order.yaml"
    order.write_text(ORDER + "rules: /dev/zero\n", "utf-8")
    assert one_line(["timeline", str(order), "-f", "json"]) == (
        "protectcalc: rule set /dev/zero: is a device, not a regular file"
    )


def test_rules_dev_zero_inside_a_scenario_file(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(ORDER + "rules: /dev/zero\nexpect:\n  phase: confirmed\n", "utf-8")
    result = invoke(["replay", str(scenario)])
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    shown = scenario.as_posix()
    assert result.stdout.splitlines()[:2] == [
        f"ERROR {shown}  Test order",
        f"  {shown}:5:8: rules: rule set /dev/zero: is a device, not a regular file",
    ]


# --- section 3: order and scenario files that are not regular files --------------------


def test_an_order_file_that_is_a_device_or_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "order.yaml"
    os.mkfifo(fifo)
    assert one_line(["timeline", str(fifo)]) == (
        f"protectcalc: {fifo}: is a FIFO (named pipe), not a YAML file"
    )
    assert one_line(["status", "/dev/zero"]) == (
        "protectcalc: /dev/zero: is a device, not a YAML file"
    )


def test_due_and_replay_name_a_device_as_such(tmp_path: Path) -> None:
    result = invoke(["due", "/dev/zero"])
    assert result.exit_code == 2
    assert result.stderr == "protectcalc: /dev/zero: is a device, not a YAML file\n"
    result = invoke(["replay", "/dev/zero"])
    assert result.exit_code == 2
    assert "/dev/zero: is a device, not a YAML file" in result.stdout


# --- section 3: output streams, encodings, file names, Ctrl-C ----------------------------

SCRIPT = Path(sys.executable).parent / "protectcalc"


def run_script(
    args: list[str], cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess[bytes]:
    """The real console script in a child process (what a shell runs)."""
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        env=subprocess_env(**env),
        cwd=cwd,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("output_format", ["json", "table"])
def test_stdout_to_dev_full_is_one_line_and_exit_2(output_format: str) -> None:
    with Path("/dev/full").open("wb") as full:
        done = subprocess.run(
            [str(SCRIPT), "rules", "--format", output_format],
            stdout=full,
            stderr=subprocess.PIPE,
            env=subprocess_env(),
            timeout=60,
            check=False,
        )
    assert done.returncode == 2
    assert done.stderr.decode() == (
        "protectcalc: standard output: cannot be written (No space left on device)\n"
    )


def test_an_ascii_terminal_gets_escapes_not_a_traceback(tmp_path: Path) -> None:
    order = tmp_path / "order.yaml"
    order.write_text(ORDER.replace("Test order", "Заказ"), "utf-8")
    done = run_script(
        ["due", str(order), "--as-of", "2026-03-02", "--format", "csv"], PYTHONIOENCODING="ascii"
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    rows = done.stdout.decode("ascii").splitlines()
    assert rows[1].startswith("\\u0417\\u0430\\u043a\\u0430\\u0437,")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        ORDER.replace("Test order", "Заказ") + "expect:\n  phase: confirmed\n", "utf-8"
    )
    done = run_script(["replay", str(scenario)], PYTHONIOENCODING="ascii")
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("ascii").splitlines()[0] == (
        f"PASS {scenario.as_posix()}  \\u0417\\u0430\\u043a\\u0430\\u0437"
    )


def test_junit_with_a_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    name = os.fsdecode(b"caf\xe9.yaml")
    (folder / name).write_text(ORDER + "expect:\n  phase: confirmed\n", "utf-8")
    junit = tmp_path / "junit.xml"
    result = invoke(["replay", str(folder), "--junit", str(junit)])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"wrote {junit}\n"
    tree = ElementTree.parse(junit)
    case = tree.getroot().find("testsuite/testcase")
    assert case is not None
    assert case.get("name") == "caf\ufffd.yaml: Test order"


STARTUP_INTERRUPT = """
import sys


class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == "typer":
            raise KeyboardInterrupt
        return None


sys.meta_path.insert(0, CtrlC())
"""


@pytest.mark.parametrize("how", ["script", "module"])
def test_ctrl_c_while_starting_up_is_exit_130_without_traceback(how: str, tmp_path: Path) -> None:
    """A Ctrl-C that arrives while Typer is being imported (simulated by an import hook)."""
    (tmp_path / "sitecustomize.py").write_text(STARTUP_INTERRUPT, "utf-8")
    env = subprocess_env()
    env["PYTHONPATH"] = f"{tmp_path}{os.pathsep}{env['PYTHONPATH']}"
    command = [str(SCRIPT)] if how == "script" else [sys.executable, "-m", "protectcalc"]
    done = subprocess.run(
        [*command, "rules"], capture_output=True, env=env, timeout=60, check=False
    )
    assert done.returncode == 130
    assert done.stderr == b"\n"
    assert done.stdout == b""


def test_ctrl_c_before_the_command_runs_is_exit_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(typer.main, "get_command", interrupted)
    result = invoke(["rules"])
    assert (result.exit_code, result.stdout, result.stderr) == (130, "", "\n")


# --- section 4: -o and --junit ---------------------------------------------------------

JSON = ["timeline", *CONFIRMED, "--format", "json"]


def test_output_onto_a_symlink_writes_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old", "utf-8")
    link = tmp_path / "link.json"
    link.symlink_to("real.json")
    result = invoke([*JSON, "-o", str(link)])
    assert (result.exit_code, result.stderr) == (0, f"wrote {link}\n")
    assert link.is_symlink()
    assert link.readlink() == Path("real.json")
    assert json.loads(target.read_text("utf-8"))["schema"] == 1
    assert sorted(item.name for item in tmp_path.iterdir()) == ["link.json", "real.json"]


def test_output_onto_a_device_fifo_or_folder_is_refused(tmp_path: Path) -> None:
    """Devices are made here (or linked to), never named in /dev: code without the fix,
    run as root, would rename its temporary file over the real /dev/null."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert one_line([*JSON, "-o", str(fifo)]) == (
        f"protectcalc: --output {fifo}: is a FIFO (named pipe), not a regular file: not written"
    )
    link = tmp_path / "to-null"
    link.symlink_to("/dev/null")
    assert one_line([*JSON, "-o", str(link)]) == (
        f"protectcalc: --output {link}: is a device, not a regular file: not written"
    )
    made = ["pipe", "to-null"]
    if os.geteuid() == 0:
        device = tmp_path / "null"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        assert one_line([*JSON, "-o", str(device)]) == (
            f"protectcalc: --output {device}: is a device, not a regular file: not written"
        )
        assert stat.S_ISCHR(device.stat().st_mode)
        made.insert(0, "null")
    assert one_line([*JSON, "-o", str(tmp_path)]) == (
        f"protectcalc: Invalid value for '--output' / '-o': file '{tmp_path}' is a directory."
    )
    assert sorted(item.name for item in tmp_path.iterdir()) == made
    assert link.is_symlink()


def test_output_onto_the_file_being_read_is_refused(tmp_path: Path) -> None:
    order = tmp_path / "order.yaml"
    order.write_text(ORDER, "utf-8")
    alias = tmp_path / "alias.yaml"
    alias.symlink_to("order.yaml")
    for target in (order, alias):
        assert one_line(["timeline", str(order), "-f", "json", "-o", str(target)]) == (
            f"protectcalc: --output {target}: is a file this command reads: not overwritten"
        )
    rules = tmp_path / "rules.toml"
    rules.write_bytes(RULES_FILE.read_bytes())
    assert one_line([*JSON, "--rules", str(rules), "-o", str(rules)]) == (
        f"protectcalc: --output {rules}: is a file this command reads: not overwritten"
    )
    assert order.read_text("utf-8") == ORDER
    assert rules.read_bytes() == RULES_FILE.read_bytes()


def test_output_onto_a_read_only_or_hard_linked_file_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked.json"
    locked.write_text("old", "utf-8")
    locked.chmod(0o444)
    assert one_line([*JSON, "-o", str(locked)]) == (
        f"protectcalc: --output {locked}: is read-only: not rewritten"
    )
    linked = tmp_path / "a.json"
    linked.write_text("old", "utf-8")
    os.link(linked, tmp_path / "b.json")
    assert one_line([*JSON, "-o", str(linked)]) == (
        f"protectcalc: --output {linked}: has 2 hard links: not rewritten "
        "(a new file would split them)"
    )
    assert locked.read_text("utf-8") == linked.read_text("utf-8") == "old"


def test_junit_onto_a_scenario_it_reads_is_refused(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    text = ORDER + "expect:\n  phase: confirmed\n"
    scenario.write_text(text, "utf-8")
    result = invoke(["replay", str(scenario), "--junit", str(scenario)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"protectcalc: --junit {scenario}: is a file this command reads: not overwritten\n"
    )
    assert scenario.read_text("utf-8") == text


# --- section 4: replay --update --------------------------------------------------------

STALE = (
    "name: Stale\n"
    "timezone: Europe/Moscow\n"
    "order: {shipped: 2026-02-10, confirmed: 2026-03-01}\n"
    "expect:\n"
    "  milestones:\n"
    "    protection_end: 2026-03-20\n"
)
FRESH = STALE.replace("2026-03-20", "2026-03-16")


def test_update_through_a_symlink_writes_the_target(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    target = real / "s.yaml"
    target.write_text(STALE, "utf-8")
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    result = invoke(["replay", "--update", str(link)])
    assert result.exit_code == 0, result.stdout
    assert link.is_symlink()
    assert target.read_text("utf-8") == FRESH
    assert sorted(item.name for item in real.iterdir()) == ["s.yaml"]


def test_update_keeps_mode_and_owner(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(STALE, "utf-8")
    path.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(path, 12345, 23456)
    before = path.stat()
    assert invoke(["replay", "--update", str(path)]).exit_code == 0
    after = path.stat()
    assert path.read_text("utf-8") == FRESH
    assert (after.st_mode, after.st_uid, after.st_gid) == (
        before.st_mode,
        before.st_uid,
        before.st_gid,
    )


def test_update_refuses_a_read_only_file(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(STALE, "utf-8")
    path.chmod(0o444)
    result = invoke(["replay", "--update", str(path)])
    assert result.exit_code == 2
    shown = path.as_posix()
    assert result.stdout.splitlines()[:2] == [
        f"ERROR {shown}  Stale",
        f"  {shown}: is read-only: not rewritten",
    ]
    assert path.read_text("utf-8") == STALE
    assert path.stat().st_mode & 0o777 == 0o444


def test_update_refuses_a_hard_linked_file_and_keeps_the_links(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(STALE, "utf-8")
    other = tmp_path / "other.yaml"
    os.link(path, other)
    result = invoke(["replay", "--update", str(path)])
    assert result.exit_code == 2
    assert (
        f"  {path.as_posix()}: has 2 hard links: not rewritten (a new file would split them)"
        in (result.stdout.splitlines())
    )
    assert path.samefile(other)
    assert path.read_text("utf-8") == STALE


def test_update_keeps_yaml_tags(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        STALE.replace("2026-03-20", "!!str 2026-03-20  # tagged")
        + '    safe_dispute_open: !!str "2026-03-20"\n',
        "utf-8",
    )
    assert invoke(["replay", "--update", str(path)]).exit_code == 0
    assert path.read_text("utf-8").splitlines()[5:] == [
        "    protection_end: !!str 2026-03-16  # tagged",
        '    safe_dispute_open: !!str "2026-03-15"',
    ]


def test_update_keeps_comments_on_their_list_items(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        STALE.split("  milestones:")[0]
        + "  warnings:\n"
        + "    - seeds_disagree   # keep me\n"
        + "    # a note on the next item\n"
        + "    - gone          # first\n"
        + "\n"
        + "  phase: confirmed\n",
        "utf-8",
    )
    assert invoke(["replay", "--update", str(path)]).exit_code == 0
    assert path.read_text("utf-8").splitlines()[4:] == [
        "  warnings:",
        "    - delivery_after_protection",
        "    - seeds_disagree   # keep me",
        "",
        "  phase: confirmed",
    ]


def test_update_keeps_comments_in_a_crlf_file(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    text = (
        STALE.split("  milestones:")[0]
        + "  warnings:\n    - gone  # gone\n    - seeds_disagree  # stays\n"
    ).replace("\n", "\r\n")
    path.write_bytes(text.encode("utf-8"))
    assert invoke(["replay", "--update", str(path)]).exit_code == 0
    assert path.read_bytes().decode("utf-8").split("\r\n")[4:] == [
        "  warnings:",
        "    - delivery_after_protection",
        "    - seeds_disagree  # stays",
        "",
    ]
