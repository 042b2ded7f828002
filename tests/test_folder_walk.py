"""The folder walk of ``due`` lists exactly what ``sorted(rglob("*"))`` and its filters did."""

from __future__ import annotations

from pathlib import Path

import pytest

from protectcalc.files import yaml_files_in


def _by_rglob(folder: Path) -> list[tuple[Path, str]]:
    """The walk as it was written before: the reference the fast walk must match."""
    found = sorted(
        item
        for item in folder.rglob("*")
        if item.suffix in (".yaml", ".yml")
        and item.is_file()
        and not any(part.startswith(".") for part in item.relative_to(folder).parts)
    )
    return [(item, str(item.resolve())) for item in found]


def _tree(root: Path) -> Path:
    folder = root / "orders"
    for name in (
        "b.yaml",
        "a.yml",
        "a-c.yaml",  # sorts after a/ part by part, before it as text
        "a/b.yaml",
        "a/deeper/z.yaml",
        "a.yaml.",
        ".yaml",
        "notes.txt",
        "x.YAML",
        ".hidden/c.yaml",
        "sub/.secret.yaml",
        "sub/ok.yaml",
        "é.yaml",
    ):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("name: x\n", "utf-8")
    (folder / "dir.yaml").mkdir()
    outside = root / "outside"
    outside.mkdir()
    (outside / "far.yaml").write_text("name: far\n", "utf-8")
    (folder / "link.yaml").symlink_to(outside / "far.yaml")
    (folder / "linked_dir").symlink_to(outside)  # listed by rglob, never searched
    (folder / "broken.yaml").symlink_to(root / "missing.yaml")
    (folder / "loop.yaml").symlink_to(folder / "loop.yaml")
    (folder / "sub" / "same.yaml").symlink_to(folder / "b.yaml")
    return folder


def test_walk_matches_rglob(tmp_path: Path) -> None:
    folder = _tree(tmp_path)
    assert yaml_files_in(folder) == _by_rglob(folder)
    names = [str(path.relative_to(folder)) for path, _real in yaml_files_in(folder)]
    assert names.index("a/b.yaml") < names.index("a-c.yaml")  # part by part, not as text
    assert ".hidden/c.yaml" not in names and "sub/.secret.yaml" not in names


def test_walk_matches_rglob_through_a_linked_folder(tmp_path: Path) -> None:
    folder = _tree(tmp_path)
    (tmp_path / "via").symlink_to(folder)
    assert yaml_files_in(tmp_path / "via") == _by_rglob(tmp_path / "via")


def test_walk_matches_rglob_from_a_relative_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert yaml_files_in(Path("orders")) == _by_rglob(Path("orders"))
    monkeypatch.chdir(tmp_path / "orders")
    assert yaml_files_in(Path()) == _by_rglob(Path())


def _scenario_files_by_rglob(folder: Path) -> list[Path]:
    """replay's folder walk as it was written before (any-case suffix, sorted as text)."""
    files = [
        item
        for item in folder.rglob("*")
        if item.suffix.lower() in (".yaml", ".yml")
        and item.is_file()
        and not any(part.startswith(".") for part in item.relative_to(folder).parts)
    ]
    return sorted(files, key=lambda item: item.as_posix())


def test_replay_walk_matches_its_rglob(tmp_path: Path) -> None:
    from protectcalc.scenarios.replay import find_scenarios, scenario_files

    folder = _tree(tmp_path)
    expected = _scenario_files_by_rglob(folder)
    assert scenario_files(folder) == expected
    names = [str(path.relative_to(folder)) for path in expected]
    assert "x.YAML" in names
    assert names.index("a-c.yaml") < names.index("a/b.yaml")  # as text, not part by part
    found, problems = find_scenarios([str(folder), str(folder / "b.yaml"), str(folder / "*.yml")])
    assert problems == []
    seen: set[Path] = set()
    unique = []
    for path in [*expected, folder / "b.yaml", *sorted(folder.glob("*.yml"))]:
        if path.resolve() not in seen:
            seen.add(path.resolve())
            unique.append((path, path.as_posix()))
    assert found == unique
