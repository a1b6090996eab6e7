"""The champion's history and the models' digests in the workspace database, on SQLite and on
PostgreSQL: every move kept in order with who and why; a digest once recorded never replaced."""

from __future__ import annotations

import getpass
from pathlib import Path

from data.database import Database
from outputs.audit import (
    HISTORY_COLUMNS,
    alias_history,
    model_digest,
    record_alias_change,
    record_model_digest,
)


def test_every_move_is_kept_in_the_order_it_was_made(database: Database) -> None:
    assert alias_history(database, "labor-ews").empty
    # Three moves within the same second: the order is the order of recording, not of the clock.
    record_alias_change(
        database, model_name="labor-ews", alias="champion", version="1", previous=None, reason="train: first"
    )
    record_alias_change(
        database,
        model_name="labor-ews",
        alias="champion",
        version="2",
        previous="1",
        reason="promote: better",
    )
    record_alias_change(
        database, model_name="labor-ews", alias="champion", version="1", previous="2", reason="rollback"
    )
    record_alias_change(
        database, model_name="other", alias="champion", version="9", previous=None, reason="x"
    )
    history = alias_history(database, "labor-ews")
    assert list(history.columns) == list(HISTORY_COLUMNS)
    assert history["version"].tolist() == ["1", "2", "1"]
    assert history["reason"].tolist() == ["train: first", "promote: better", "rollback"]
    assert history["previous"].iloc[0] is None or history["previous"].isna().iloc[0]
    assert history["previous"].iloc[1:].tolist() == ["1", "2"]
    assert set(history["actor"]) == {getpass.getuser()}
    assert history["at"].str.endswith("+00:00").all()  # UTC, to the second


def test_a_digest_once_recorded_is_never_replaced(database: Database) -> None:
    assert model_digest(database, "labor-ews", "1") is None
    record_model_digest(database, model_name="labor-ews", version="1", digest="a" * 64)
    record_model_digest(database, model_name="labor-ews", version="1", digest="b" * 64)  # ignored
    record_model_digest(database, model_name="labor-ews", version="2", digest="c" * 64)
    assert model_digest(database, "labor-ews", "1") == "a" * 64
    assert model_digest(database, "labor-ews", "2") == "c" * 64
    assert model_digest(database, "other", "1") is None


def test_asking_a_workspace_without_a_database_creates_none(tmp_path: Path) -> None:
    assert model_digest(tmp_path / "ews.db", "labor-ews", "1") is None
    assert not (tmp_path / "ews.db").exists()
