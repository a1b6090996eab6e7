"""The workspace's layout, shared by the settings (`data.settings`) and the analysts' page (`app`).

Both read the same `EWS_HOME`; keeping the default folder, the default capacity and the
file names in one place is what makes them agree on where the store and the rankings are.
"""

from __future__ import annotations

from pathlib import Path

#: The README's default workspace folder.
DEFAULT_HOME = Path("~/.local/share/labor-ews")


def db_path(root: Path) -> Path:
    """SQLite file with the published rankings, runs, alerts and reviews."""
    return root / "ews.db"


def store_dir(root: Path) -> Path:
    """The validated store of deliveries."""
    return root / "store"


def score_lock_path(root: Path) -> Path:
    """The lock that lets one scoring run at a time publish in the workspace."""
    return root / ".score.lock"
