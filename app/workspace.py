"""Where the page reads from: the workspace of the project's `Settings`, read when the page starts.

`ews dashboard` passes the workspace it resolved in `EWS_HOME` (and its `EWS_CAPACITY`), and
the page reads them through the same `data.settings.Settings` as the CLI, so the two always
agree: the same defaults for a page started by hand, the same refusals (`SettingsRefused`,
one line the page shows). Version tokens (file times, or the published nights of a database
server; delivery names) key the page's caches, so a new night or a new delivery shows
without a restart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from data import workspace as layout
from data.database import Database
from data.errors import EwsError
from data.settings import Settings
from data.urls import shown_url
from data.workspace import DEFAULT_HOME
from outputs.rankings import publication_stamp
from vocab.terms import DEFAULT_CAPACITY

DEFAULT_MODEL_NAME = str(Settings.model_fields["model_name"].default)
DEFAULT_HORIZON_MONTHS = int(Settings.model_fields["horizon_months"].default)


class SettingsRefused(EwsError):
    """An `EWS_*` variable the project's `Settings` refuse: the page cannot know its workspace."""


@dataclass(frozen=True)
class Workspace:
    """The files and the database of one workspace the page reads (and the one table it
    writes: reviews)."""

    root: Path
    capacity: float = DEFAULT_CAPACITY
    db_url: str | None = field(default=None, repr=False)  # it may hold a password
    model_name: str = DEFAULT_MODEL_NAME
    horizon_months: int = DEFAULT_HORIZON_MONTHS
    #: Derived from the root (or `MLFLOW_TRACKING_URI`): not part of what the workspace is.
    mlflow_uri: str | None = field(default=None, repr=False, compare=False)  # a URL may hold a password

    @property
    def db_path(self) -> Database:
        """The workspace database (rankings, runs, reviews): `EWS_DB_URL`, else `ews.db`."""
        return layout.database(self.root, self.db_url)

    @property
    def store_dir(self) -> Path:
        """The validated store of deliveries."""
        return layout.store_dir(self.root)


def from_environment() -> Workspace:
    """The workspace and capacity of `Settings()` (`EWS_HOME`, `EWS_CAPACITY`, ...), as the CLI reads them.

    Raises `SettingsRefused` where `Settings` refuses a variable (`EWS_CAPACITY=abc` or `-1`,
    an `EWS_DB_URL` of another database), instead of silently using a default the operator
    did not ask for.
    """
    try:
        settings = Settings()
    except ValidationError as exc:
        raise SettingsRefused(_refusal_line(exc)) from None
    try:  # a URL that is neither SQLite nor PostgreSQL is refused now, not at the first read
        layout.database(settings.root, settings.db_url)
    except EwsError as exc:
        raise SettingsRefused(f"settings refused: {exc}") from None
    return Workspace(
        root=settings.root,
        capacity=settings.capacity,
        db_url=settings.db_url,
        model_name=settings.model_name,
        horizon_months=settings.horizon_months,
        mlflow_uri=settings.mlflow_tracking_uri,
    )


def point_mlflow_at(ws: Workspace) -> None:
    """Before the champion is loaded: MLflow reads the workspace's tracking store unless the
    operator named one (`ews dashboard` has set it already; a page started by hand has not)."""
    if ws.mlflow_uri:
        os.environ.setdefault("MLFLOW_TRACKING_URI", ws.mlflow_uri)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


def _refusal_line(exc: ValidationError) -> str:
    """One line naming each refused variable, its value and the reason."""
    prefix = str(Settings.model_config.get("env_prefix", ""))
    problems = [
        f"{prefix}{'_'.join(str(part) for part in error['loc']).upper()}="
        f"{shown_url(error['input']) if isinstance(error['input'], str) else error['input']!r}: {error['msg']}"
        for error in exc.errors()
    ]
    return "settings refused: " + "; ".join(problems)


def db_version(db: Database) -> tuple[int | str, ...]:
    """Changes whenever a night is published: the SQLite file's (and its WAL's) modification
    times and sizes; a server's count and times of published nights."""
    if db.path is None:
        return publication_stamp(db)
    path = db.path
    out: list[int | str] = []
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


__all__ = [
    "DEFAULT_HOME",
    "SettingsRefused",
    "Workspace",
    "db_version",
    "from_environment",
    "point_mlflow_at",
    "store_version",
]
