"""A file is read whole with as few reads as its size allows, and the limit still holds."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.parametrize("size", [0, 1, 100, 65535, 65536, 65537, 200_000])
def test_a_file_is_read_whole_in_one_read_when_it_fits(
    size: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from protectcalc.files import read_limited

    path = tmp_path / "f.yaml"
    content = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    path.write_bytes(content)
    reads: list[int] = []
    real_read = os.read

    def counted(descriptor: int, length: int) -> bytes:
        reads.append(length)
        return real_read(descriptor, length)

    monkeypatch.setattr(os, "read", counted)
    assert read_limited(path, 256 * 1024) == content
    assert len(reads) == (size + 1 + 65535) // 65536


def test_a_file_over_the_limit_is_still_refused(tmp_path: Path) -> None:
    from protectcalc.files import FileRefused, read_limited

    path = tmp_path / "f.yaml"
    path.write_bytes(b"x" * 1001)
    with pytest.raises(FileRefused, match="is larger than"):
        read_limited(path, 1000)
    path.write_bytes(b"x" * 1000)
    assert read_limited(path, 1000) == b"x" * 1000
