"""One way to open the workspace's SQLite databases: WAL journal, busy timeout, schema in place."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


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
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.executescript(schema)
        if migrate is not None:
            migrate(conn)
        yield conn
    finally:
        conn.close()
