"""The workspace database the outputs tests run on: each test once on SQLite (a file in the
test's folder) and once on PostgreSQL (a new database on the session's real server)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from data.database import BACKENDS, Database, dispose


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty workspace database: `ews.db` in the test's folder, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield Database.of(tmp_path / "ews.db")
        return
    server = request.getfixturevalue("postgres_server")
    name = "ews_" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:20]
    db = Database.of(server.create_database(name))
    try:
        yield db
    finally:
        dispose(db)  # this process's pooled connections to it
