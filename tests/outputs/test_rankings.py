"""Publication of a night, on SQLite and on PostgreSQL: whole or not at all, replaced on a rerun,
its completion checked, never assumed; readers never wait for it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

import data.database as database_module
import outputs.rankings as rankings
from data.database import Database
from data.errors import WorkspaceBusy
from outputs.rankings import (
    SCORE_COLUMNS,
    PublishError,
    complete_or_fail,
    completed_dates,
    publish,
    read_ranking,
    read_scores,
    score_runs,
    scored_dates,
)
from outputs.views import score_history

NIGHT = "2024-06-30"


def _night(as_of: str, run_id: str, scores: list[float]) -> pd.DataFrame:
    """A small ranking shaped as the score flow publishes it (ids keep their leading zero)."""
    n = len(scores)
    ids = [f"080{i:07d}" for i in range(n)]
    return pd.DataFrame(
        {
            "as_of": pd.Timestamp(as_of),
            "enterprise_id": ids,
            "rank": list(range(1, n + 1)),
            "score": scores,
            "band": ["high"] + ["low"] * (n - 1),
            "reasons": ["nợ lương 3 tháng"] + [None] * (n - 1),
            "reasons_en": ["3 months of wage arrears"] + [None] * (n - 1),
            "name": [f"Công ty {i}" for i in range(n)],
            "province": "Hải Dương",
            "district": "Cẩm Giàng",
            "zone_id": [None] + ["KCN-1"] * (n - 1),
            "sector": "14",
            "ownership": "fdi",
            "model_name": "labor-ews",
            "model_version": "3",
            "run_id": run_id,
            "input_digest": "0" * 64,
            "months_stale": [0.0] + [None] * (n - 1),
            "stale": [False] + [True] * (n - 1),
        }
    )


def test_a_night_is_published_and_read_back_as_written(database: Database) -> None:
    assert scored_dates(database) == [] and completed_dates(database) == []
    assert publish(database, _night(NIGHT, "run-1", [0.9, 0.5, 0.1])) == 3
    back = read_ranking(database)
    assert list(back.columns) == list(SCORE_COLUMNS)
    assert back["enterprise_id"].tolist() == ["0800000000", "0800000001", "0800000002"]
    assert back["as_of"].tolist() == [NIGHT] * 3 and back["rank"].tolist() == [1, 2, 3]
    assert back["score"].tolist() == [0.9, 0.5, 0.1]  # doubles, not 4-byte reals
    assert back["reasons"].iloc[0] == "nợ lương 3 tháng" and back["reasons"].iloc[1:].isna().all()
    assert back["zone_id"].isna().tolist() == [True, False, False]
    assert back["stale"].tolist() == [0, 1, 1]  # the flag as 0/1 on both backends
    assert back["months_stale"].iloc[0] == 0.0 and back["months_stale"].iloc[1:].isna().all()
    # What was read can be published again as it is.
    assert publish(database, back.assign(as_of="2024-07-31")) == 3
    assert scored_dates(database) == [NIGHT, "2024-07-31"]
    chosen = read_scores(database, [NIGHT, "2024-07-31"], ("as_of", "enterprise_id", "score"))
    assert chosen["as_of"].tolist() == [NIGHT] * 3 + ["2024-07-31"] * 3
    assert read_scores(database, []).empty
    history = score_history(database, "0800000001")
    assert history["as_of"].tolist() == [NIGHT, "2024-07-31"] and history["rank"].tolist() == [2, 2]


def test_scoring_a_night_again_replaces_its_rows_and_its_run(database: Database) -> None:
    publish(database, _night(NIGHT, "run-1", [0.9, 0.5, 0.1]))
    complete_or_fail(database, NIGHT, "run-1")
    assert completed_dates(database) == [NIGHT]
    publish(database, _night(NIGHT, "run-2", [0.8, 0.2]))
    back = read_ranking(database, NIGHT)
    assert len(back) == 2 and set(back["run_id"]) == {"run-2"}  # no row of the first run is left
    runs = score_runs(database)
    assert runs["as_of"].tolist() == [NIGHT] and runs["run_id"].tolist() == ["run-2"]
    assert runs["rows"].tolist() == [2]
    # The new publication starts incomplete; only the run that published it completes it.
    assert completed_dates(database) == []
    with pytest.raises(PublishError, match="another run published it while this one ran"):
        complete_or_fail(database, NIGHT, "run-1")
    complete_or_fail(database, NIGHT, "run-2")
    assert completed_dates(database) == [NIGHT]


def test_a_night_another_run_published_meanwhile_is_an_error_not_a_silent_success(
    database: Database,
) -> None:
    with pytest.raises(PublishError, match="another run published it while this one ran"):
        complete_or_fail(database, NIGHT, "not-the-publishing-run")


def test_readers_see_the_previous_night_until_the_publication_commits(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader in the middle of a publication is not kept waiting, and sees the previous rows."""
    publish(database, _night(NIGHT, "run-1", [0.9, 0.5, 0.1]))
    seen: dict[str, pd.DataFrame] = {}

    def read_meanwhile(point: str) -> None:
        if point == "publish.before_commit":
            seen["during"] = read_ranking(database, NIGHT)

    monkeypatch.setattr(rankings, "pause_point", read_meanwhile)
    publish(database, _night(NIGHT, "run-2", [0.7, 0.3]))
    assert set(seen["during"]["run_id"]) == {"run-1"} and len(seen["during"]) == 3
    assert set(read_ranking(database, NIGHT)["run_id"]) == {"run-2"}


def test_a_publication_that_fails_half_way_leaves_the_night_as_it_was(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(database, _night(NIGHT, "run-1", [0.9, 0.5, 0.1]))
    complete_or_fail(database, NIGHT, "run-1")
    before = read_ranking(database, NIGHT)

    def fail_after_delete(point: str) -> None:
        if point == "publish.after_delete":
            raise KeyboardInterrupt  # what the CLI's SIGTERM handler raises

    monkeypatch.setattr(rankings, "pause_point", fail_after_delete)
    with pytest.raises(KeyboardInterrupt):
        publish(database, _night(NIGHT, "run-2", [0.7, 0.3]))
    pd.testing.assert_frame_equal(read_ranking(database, NIGHT), before)
    assert score_runs(database)["run_id"].tolist() == ["run-1"] and completed_dates(database) == [NIGHT]


def test_a_second_publisher_waits_its_bounded_time_then_the_workspace_is_busy(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's one writer, PostgreSQL's queue of publications: a lock held longer than the wait
    is `WorkspaceBusy` (exit status 5), and the first publication is not disturbed."""
    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_SECONDS", 1)
    failures: list[BaseException] = []

    def publish_meanwhile(point: str) -> None:
        if point == "publish.before_commit" and not failures:
            try:
                publish(database, _night("2024-07-31", "run-other", [0.5]))
            except WorkspaceBusy as exc:
                failures.append(exc)

    monkeypatch.setattr(rankings, "pause_point", publish_meanwhile)
    publish(database, _night(NIGHT, "run-1", [0.9, 0.5, 0.1]))
    assert len(failures) == 1 and "database is locked" in str(failures[0])
    assert "waited 1 s" in str(failures[0])
    assert scored_dates(database) == [NIGHT] and len(read_ranking(database)) == 3


def test_a_workspace_of_an_older_version_gets_the_new_columns(tmp_path: Path) -> None:
    """SQLite files made before staleness, completion and warning kinds were recorded still open,
    and keep their rows."""
    db = tmp_path / "ews.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(
            """
            CREATE TABLE scores (as_of TEXT NOT NULL, enterprise_id TEXT NOT NULL, rank INTEGER NOT NULL,
                score REAL NOT NULL, band TEXT NOT NULL, reasons TEXT, reasons_en TEXT, name TEXT,
                province TEXT, district TEXT, zone_id TEXT, sector TEXT, ownership TEXT,
                model_name TEXT NOT NULL, model_version TEXT NOT NULL, run_id TEXT NOT NULL,
                input_digest TEXT NOT NULL, PRIMARY KEY (as_of, enterprise_id));
            CREATE TABLE score_runs (as_of TEXT PRIMARY KEY, run_id TEXT NOT NULL, model_name TEXT NOT NULL,
                model_version TEXT NOT NULL, input_digest TEXT NOT NULL, rows INTEGER NOT NULL,
                published_at TEXT NOT NULL);
            INSERT INTO scores VALUES ('2024-05-31', '0800000009', 1, 0.5, 'high', NULL, NULL, 'Old',
                NULL, NULL, NULL, NULL, NULL, 'labor-ews', '1', 'run-0', 'x');
            INSERT INTO score_runs VALUES ('2024-05-31', 'run-0', 'labor-ews', '1', 'x', 1, '2024-06-01');
            """
        )
    old = read_ranking(db, "2024-05-31")
    assert old["enterprise_id"].tolist() == ["0800000009"] and old["months_stale"].isna().all()
    publish(db, _night(NIGHT, "run-1", [0.9]))
    complete_or_fail(db, NIGHT, "run-1")
    assert scored_dates(db) == ["2024-05-31", NIGHT] and completed_dates(db) == [NIGHT]
    with sqlite3.connect(db) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(scores)")]
        journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert columns[-3:] == ["months_stale", "stale", "warning_kind"] and journal == "wal"
    assert read_ranking(db, "2024-05-31")["warning_kind"].isna().all()  # an old night has no kinds
    # ... and the index of one firm's history, which older files lacked.
    with sqlite3.connect(db) as conn:
        indexes = [row[1] for row in conn.execute("PRAGMA index_list(scores)")]
    assert "scores_by_enterprise" in indexes


def test_one_firms_history_is_read_through_its_index(database: Database) -> None:
    import sqlalchemy as sa

    publish(database, _night(NIGHT, "run-1", [0.9, 0.2]))
    engine = (
        sa.create_engine(database.url) if database.url else sa.create_engine(f"sqlite:///{database.path}")
    )
    try:
        inspected = {i["name"]: i["column_names"] for i in sa.inspect(engine).get_indexes("scores")}
    finally:
        engine.dispose()
    assert inspected["scores_by_enterprise"] == ["enterprise_id", "as_of"]
