"""Where the page reads from: the workspace of `EWS_HOME`, read when the page starts.

`ews dashboard` passes the workspace it resolved in `EWS_HOME`, so the page and the CLI
always agree; the fallback below is the README's documented default for a page started
by hand. Version tokens (file times, delivery names) key the page's caches, so a new
night or a new delivery shows without a restart.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from data import workspace as layout
from data.workspace import DEFAULT_HOME
from vocab.terms import DEFAULT_CAPACITY


@dataclass(frozen=True)
class Workspace:
    """The files of one workspace the page reads (and the one table it writes: reviews)."""

    root: Path
    capacity: float = DEFAULT_CAPACITY

    @property
    def db_path(self) -> Path:
        """SQLite file with the published rankings, runs and reviews."""
        return layout.db_path(self.root)

    @property
    def store_dir(self) -> Path:
        """The validated store of deliveries."""
        return layout.store_dir(self.root)


def from_environment(env: Mapping[str, str] | None = None) -> Workspace:
    """The workspace named by `EWS_HOME` (else the default) and the capacity of `EWS_CAPACITY`."""
    env = os.environ if env is None else env
    home = env.get("EWS_HOME") or str(DEFAULT_HOME)
    try:
        capacity = float(env.get("EWS_CAPACITY", DEFAULT_CAPACITY))
    except ValueError:
        capacity = DEFAULT_CAPACITY
    if not capacity > 0:
        capacity = DEFAULT_CAPACITY
    return Workspace(root=Path(home).expanduser().resolve(), capacity=capacity)


def db_version(path: Path) -> tuple[int, ...]:
    """Changes whenever the database (or its WAL) is written: modification times and sizes."""
    out: list[int] = []
    for candidate in (path, path.with_name(path.name + "-wal")):
        try:
            stat = candidate.stat()
        except OSError:
            out += [0, 0]
            continue
        out += [stat.st_mtime_ns, stat.st_size]
    return tuple(out)


def store_version(store_dir: Path) -> tuple[str, ...]:
    """Changes whenever a delivery is committed: the names of the delivery folders."""
    folder = store_dir / "deliveries"
    if not folder.is_dir():
        return ()
    return tuple(sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")))


__all__ = ["DEFAULT_HOME", "Workspace", "db_version", "from_environment", "store_version"]
