"""A raw sqlite3 connection with WAL journal, busy timeout and schema in place.

The workspace database itself is opened through `data.database` (SQLite or PostgreSQL);
this stays for callers that want a plain SQLite file the same way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from data.database import BUSY_TIMEOUT_SECONDS

__all__ = ["BUSY_TIMEOUT_SECONDS", "open_db"]


@contextmanager
def open_db(
    path: Path, schema: str, migrate: Callable[[sqlite3.Connection], None] | None = None
) -> Iterator[sqlite3.Connection]:
    """An autocommit connection to `path` with `schema` created (and `migrate` run), closed on exit.

    WAL lets the page and `ews rank` read while a night is being published; the busy
    timeout makes concurrent writers wait instead of failing at once.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        conn.executescript(schema)
        if migrate is not None:
            migrate(conn)
        yield conn
    finally:
        conn.close()
