"""The workspace database the outputs live in (`data.database`): what names it, how it is shown,
and what a lock held too long or a server that cannot be reached becomes."""

from __future__ import annotations

import socket
import sqlite3
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from data.database import Database, connect, is_busy, read_only
from data.errors import ServiceUnavailable, StoreError, UsageError
from data.workspace import database
from outputs.rankings import scored_dates
from outputs.reviews import record_review


def test_a_path_or_text_without_a_scheme_is_a_sqlite_file(tmp_path: Path) -> None:
    assert Database.of(tmp_path / "ews.db") == Database(path=tmp_path / "ews.db")
    assert Database.of(str(tmp_path / "ews.db")) == Database(path=tmp_path / "ews.db")
    assert Database.of(f"sqlite:///{tmp_path}/ews.db") == Database(path=tmp_path / "ews.db")
    assert Database.of(tmp_path / "ews.db").backend == "sqlite"
    assert database(tmp_path) == Database(path=tmp_path / "ews.db")  # EWS_DB_URL unset
    assert database(tmp_path, "") == Database(path=tmp_path / "ews.db")


def test_a_postgresql_url_uses_psycopg_and_is_never_shown_with_its_password() -> None:
    db = Database.of("postgresql://ews:s3cret@db.example:5432/ews")
    assert db.backend == "postgresql" and db.url == "postgresql+psycopg://ews:s3cret@db.example:5432/ews"
    assert str(db) == "postgresql+psycopg://ews:***@db.example:5432/ews"
    assert "s3cret" not in repr(db) and "s3cret" not in f"{db}"
    assert db.exists()  # a server answers for itself; its reader finds or makes the tables


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql+pymysql://ews:s3cret@db.example/ews", "SQLite or PostgreSQL, not mysql"),
        ("sqlite://", "must be a file"),
        ("sqlite:///:memory:", "must be a file"),
        ("postgresql+psycopg://ews:s3cret@db.example:5432", "names no database"),
    ],
)
def test_a_url_of_another_database_is_refused_in_one_line_without_its_password(url: str, words: str) -> None:
    with pytest.raises(UsageError) as refused:
        database(Path("/unused"), url)
    message = str(refused.value)
    assert message.startswith("EWS_DB_URL: ") and words in message
    assert "s3cret" not in message and "\n" not in message


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_server_that_cannot_be_reached_is_one_line_naming_it_without_its_password() -> None:
    db = Database.of(f"postgresql+psycopg://ews:s3cret@127.0.0.1:{_closed_port()}/ews")
    start = time.monotonic()
    with pytest.raises(ServiceUnavailable) as caught:
        scored_dates(db)
    assert (
        time.monotonic() - start < 15
    )  # a closed port answers at once; a silent one within the connect timeout
    message = str(caught.value)
    assert isinstance(caught.value, StoreError)  # exit status 1, like a store that cannot be read
    assert message.startswith("the workspace database at postgresql+psycopg://ews:***@127.0.0.1:")
    assert "s3cret" not in message and "\n" not in message and "EWS_DB_URL" in message


class _LockTimeout(Exception):
    """What psycopg raises when PostgreSQL's lock timeout runs out (SQLSTATE 55P03)."""

    sqlstate = "55P03"


def test_a_lock_held_past_the_wait_is_busy_on_either_backend() -> None:
    assert is_busy(sqlite3.OperationalError("database is locked"))
    assert is_busy(_LockTimeout("canceling statement due to lock timeout"))
    wrapped = RuntimeError("publish failed")
    wrapped.__cause__ = _LockTimeout("canceling statement due to lock timeout")
    assert is_busy(wrapped)
    assert not is_busy(sqlite3.OperationalError("no such table: scores"))
    assert not is_busy(ValueError("locked out of nothing"))  # only the databases' own errors


def test_a_read_only_connection_cannot_write(database: Database) -> None:
    """What `read_reviews` reads through: SQLite's ``mode=ro``, a read-only PostgreSQL session."""
    record_review(database, enterprise_id="0800123456", as_of="2026-11-25", status="reviewed", reviewer="Lan")
    with read_only(database) as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM reviews")).scalar_one() == 1
        with pytest.raises(sa.exc.DatabaseError, match="read-only|readonly"):
            conn.execute(sa.text("CREATE TABLE intruder (x INTEGER)"))
    with connect(database) as conn:
        assert not sa.inspect(conn).has_table("intruder")
