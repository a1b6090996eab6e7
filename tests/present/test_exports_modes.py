"""Files the workspace publishes respect the umask; the workspace itself is private."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from data.settings import Settings, configure_environment
from present.exports import atomic_write_bytes


def test_exports_take_the_mode_the_umask_gives(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        path = atomic_write_bytes(tmp_path / "ranking.csv", b"a,b\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_new_workspace_is_private(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    saved = dict(os.environ)
    try:
        configure_environment(Settings(home=tmp_path / "ws"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert stat.S_IMODE((tmp_path / "ws").stat().st_mode) == 0o700
