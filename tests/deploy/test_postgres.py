"""The throwaway PostgreSQL server of the tests and the rehearsal (`deploy/postgres.py`)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa


def test_a_real_server_gives_each_caller_its_own_empty_database(postgres_server: Any) -> None:
    first = postgres_server.create_database("ews_first")
    engine = sa.create_engine(first)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x integer)"))
        conn.execute(sa.text("INSERT INTO t VALUES (1)"))
    engine.dispose()
    # Made again, the database is new and empty: tests never see each other's rows.
    again = sa.create_engine(postgres_server.create_database("ews_first"))
    with again.connect() as conn:
        names = conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).all()
        server = conn.execute(sa.text("SHOW server_version")).scalar()
    again.dispose()
    assert names == []
    assert str(server).split(".")[0].isdigit()


def test_a_database_name_is_never_pasted_into_sql_unchecked(postgres_server: Any) -> None:
    with pytest.raises(ValueError, match="letters, digits"):
        postgres_server.create_database('x"; DROP DATABASE postgres; --')
