"""Scenario files as pytest items: ``pytest --protectcalc scenarios/``.

Registered through the ``pytest11`` entry point, so a repository that installs protectcalc
can run its scenario files in its ordinary pytest run, one test item per scenario, without a
wrapper script. The replay itself is :class:`protectcalc.scenarios.replay.Replayer`, the
same one ``protectcalc replay`` uses; this module only turns its outcomes into test results.

Every pytest run in such an environment imports this module, so it imports nothing of
protectcalc until ``--protectcalc`` is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from protectcalc.scenarios.replay import Outcome, Replayer
    from protectcalc.scenarios.yaml_reader import YamlDocument

OPTION = "--protectcalc"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("protectcalc", "protectcalc scenario files")
    group.addoption(
        OPTION,
        action="append",
        default=[],
        metavar="PATH",
        dest="protectcalc_paths",
        help="Run the protectcalc scenario files in PATH (a file, a folder searched "
        "recursively for *.yaml and *.yml, or a quoted glob) as test items; repeatable.",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Add the scenario files to the paths pytest collects (``testpaths`` or the arguments).

    The files come from an option rather than from pytest's own arguments so that
    ``pytest --protectcalc scenarios`` still runs the usual tests as well; globs and folders
    are expanded here, with the same search as ``protectcalc replay``. A relative path is
    read from where pytest was started, else from its rootdir (as ``addopts`` means it).
    """
    targets: list[str] = config.getoption("protectcalc_paths", None) or []
    if not targets:
        return
    from protectcalc.scenarios.replay import find_scenarios

    here, root = config.invocation_params.dir, config.rootpath
    chosen: list[Path] = []
    for target in targets:
        files, missing = find_scenarios([str(here / target)])
        if missing and root != here:
            files, _ = find_scenarios([str(root / target)])
        if missing and not files:
            first = missing[0].problems[0].removeprefix(str(here) + "/")
            raise pytest.UsageError(f"{OPTION}: {first}")
        chosen.extend(path.resolve() for path, _shown in files)
    config.stash[_FILES] = set(chosen)
    config.args.extend(str(path) for path in chosen)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A scenario file named by ``--protectcalc``; any other YAML file is left alone."""
    chosen = parent.config.stash.get(_FILES, None)
    if chosen is None or file_path.suffix.lower() not in (".yaml", ".yml"):
        return None
    if file_path.resolve() not in chosen:
        return None
    return ScenarioFile.from_parent(parent, path=file_path)


_FILES = pytest.StashKey[set[Path]]()


class ScenarioFailure(Exception):
    """A scenario that failed or could not be read, with the report pytest shows for it."""


def _replayer(config: pytest.Config) -> Replayer:
    """One replayer per run, so rule sets are loaded once for all scenarios."""
    replayer: Replayer | None = config.stash.get(_REPLAYER, None)
    if replayer is None:
        from datetime import UTC, datetime

        from protectcalc.scenarios.replay import Replayer

        replayer = Replayer(datetime.now(UTC))
        config.stash[_REPLAYER] = replayer
    return replayer


_REPLAYER = pytest.StashKey["Replayer"]()


class ScenarioFile(pytest.File):
    """A scenario file: one item, named by the scenario's ``name`` (its file name without)."""

    def collect(self) -> list[pytest.Item]:
        from protectcalc.scenarios.replay import load_file
        from protectcalc.scenarios.yaml_reader import FileProblems

        try:
            title = load_file(self.path, self.shown).record.name
        except FileProblems:
            title = None  # the item fails when it runs, with every problem's place
        name = (title or self.path.name).replace("::", ":")
        return [ScenarioItem.from_parent(self, name=name)]

    @property
    def shown(self) -> str:
        """The file's path as the failure report names it: relative to pytest's rootdir."""
        try:
            return self.path.relative_to(self.config.rootpath).as_posix()
        except ValueError:
            return self.path.as_posix()


class ScenarioItem(pytest.Item):
    """One scenario: passes when the replay passes (an ``expect: error`` that matches too)."""

    parent: ScenarioFile

    def runtest(self) -> None:
        from protectcalc.scenarios.replay import Status
        from protectcalc.scenarios.yaml_reader import FileProblems, read_file_text

        shown = self.parent.shown
        try:
            text, bom = read_file_text(self.path, shown)
        except FileProblems as error:
            raise ScenarioFailure("\n".join(error.lines())) from None
        outcome, loaded = _replayer(self.config).run_text(text, shown, self.path.parent, bom=bom)
        if outcome.status is Status.PASS:
            return
        places = loaded.document if loaded is not None else None
        raise ScenarioFailure(failure_text(outcome, places))

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | Any:
        if isinstance(excinfo.value, ScenarioFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, f"scenario: {self.name}"


def failure_text(outcome: Outcome, places: YamlDocument | None = None) -> str:
    """What a failed scenario shows: each unmet expectation at its line, expected then computed.

    ``places`` is the file's :class:`~protectcalc.scenarios.yaml_reader.YamlDocument` (None
    when it did not load), used to put the line of each expectation before it.
    """
    from protectcalc.scenarios.replay import Status

    if outcome.status is Status.ERROR:
        return "\n".join(outcome.problems)
    count = len(outcome.differences)
    noun = "expectation" if count == 1 else "expectations"
    lines = [f"{outcome.path}: {count} {noun} not met (- expected, + computed)"]
    for difference in outcome.differences:
        where = outcome.path
        if places is not None:
            line, _column = places.place(difference.key)
            if line is not None:
                where += f":{line}"
        lines.append(f"{where}: {difference.label}")
        lines.append(f"  - {difference.expected}")
        lines.append(f"  + {difference.actual}")
    return "\n".join(lines)
