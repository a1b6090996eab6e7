"""The workspace's layout, shared by the settings (`data.settings`) and the analysts' page (`app`).

Both read the same `EWS_HOME`; keeping the default folder, the default capacity and the
file names in one place is what makes them agree on where the store and the rankings are.
"""

from __future__ import annotations

from pathlib import Path

from data.database import Database

#: The README's default workspace folder.
DEFAULT_HOME = Path("~/.local/share/labor-ews")


def db_path(root: Path) -> Path:
    """The default workspace database: the SQLite file with the published rankings, runs,
    alerts, reviews and champion history."""
    return root / "ews.db"


def database(root: Path, url: str | None = None) -> Database:
    """The workspace database: the one `url` (`EWS_DB_URL`) names, else the SQLite file of
    :func:`db_path`. A URL that is neither SQLite nor PostgreSQL is a `UsageError` naming
    the variable (its password hidden)."""
    if not url:
        return Database(path=db_path(root))
    from data.errors import UsageError

    try:
        return Database.of(url)
    except UsageError as exc:
        raise UsageError(f"EWS_DB_URL: {exc}") from None


def store_dir(root: Path) -> Path:
    """The validated store of deliveries."""
    return root / "store"


def score_lock_path(root: Path) -> Path:
    """The lock that lets one scoring run at a time publish in the workspace."""
    return root / ".score.lock"


def server_file(prefect_home: Path) -> Path:
    """Where `ews serve` records the address of the workspace's Prefect server while it runs."""
    return prefect_home / "server.json"


def running_server(prefect_home: Path, timeout: float = 2.0) -> str | None:
    """The API URL of the workspace's running Prefect server, or None.

    None when no `ews serve` recorded one, when the process that recorded it is gone (a
    killed service leaves its file behind), or when the server does not answer.
    """
    import json
    import os
    import urllib.request

    try:
        record = json.loads(server_file(prefect_home).read_text(encoding="utf-8"))
        url, pid = str(record["api_url"]), int(record["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not url.startswith("http://127.0.0.1:"):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:  # noqa: S310 - loopback only
            return url if response.status == 200 else None
    except OSError:
        return None
