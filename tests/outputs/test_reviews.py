"""Review records: append-only, cleaned, validated, readable per enterprise and per night, on
SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from data.database import Database, connect, has_table
from outputs.reviews import (
    MAX_NOTE_CHARS,
    ReviewError,
    latest_reviews,
    read_reviews,
    record_review,
)

NOW = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def _record(db: Database, **overrides: object) -> object:
    values: dict[str, object] = {
        "enterprise_id": "0800123456",
        "as_of": "2026-11-25",
        "status": "reviewed",
        "reviewer": "Nguyễn Thị Lan",
        "note": "Đã gọi điện cho công ty",
        "now": NOW,
    }
    values.update(overrides)
    return record_review(db, **values)  # type: ignore[arg-type]


def test_a_review_is_stored_with_its_time_in_utc_and_read_back(database: Database) -> None:
    db = database
    saved = _record(db)
    rows = read_reviews(db)
    assert len(rows) == 1
    row = rows.iloc[0]
    assert row["enterprise_id"] == "0800123456"  # the leading zero is kept
    assert (row["as_of"], row["status"], row["reviewer"]) == ("2026-11-25", "reviewed", "Nguyễn Thị Lan")
    assert row["note"] == "Đã gọi điện cho công ty"
    assert row["recorded_at"] == "2026-11-26T02:30:00+00:00"  # 09:30 in Hanoi is 02:30 UTC
    assert saved.review_id == row["review_id"]  # type: ignore[attr-defined]


def test_reviews_are_append_only(database: Database) -> None:
    db = database
    first = _record(db, status="reviewed")
    second = _record(db, status="false_alarm", now=NOW + dt.timedelta(days=1))
    assert second.review_id > first.review_id  # type: ignore[attr-defined]
    assert list(read_reviews(db)["status"]) == ["reviewed", "false_alarm"]
    refused = ["UPDATE reviews SET status = 'reviewed'", "DELETE FROM reviews"]
    if db.backend == "postgresql":
        refused.append("TRUNCATE reviews")
    for statement in refused:
        with connect(db) as conn, pytest.raises(sa.exc.DatabaseError, match="append-only"):
            conn.execute(sa.text(statement))
            conn.commit()
    history = read_reviews(db)
    assert list(history["status"]) == ["reviewed", "false_alarm"]
    assert list(history["reviewer"]) == ["Nguyễn Thị Lan"] * 2  # who, and when, as recorded
    assert list(history["recorded_at"]) == ["2026-11-26T02:30:00+00:00", "2026-11-27T02:30:00+00:00"]


def test_text_is_cleaned_and_sql_looking_text_is_kept_as_data(database: Database) -> None:
    db = database
    decomposed = "Nguye\u0302\u0303n"  # "Nguyễn" written with combining marks
    _record(
        db, reviewer=f"  {decomposed}\x00\u200b ", note="line one\nline two\x07\u202e; DROP TABLE reviews;--"
    )
    row = read_reviews(db).iloc[0]
    assert row["reviewer"] == "Nguyễn"
    assert row["note"] == "line one\nline two; DROP TABLE reviews;--"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"status": "closed"}, "status"),
        ({"enterprise_id": "08001 OR 1=1"}, "enterprise id"),
        ({"as_of": "25/11/2026"}, "YYYY-MM-DD"),
        ({"as_of": "2026-02-30"}, "calendar date"),
        ({"reviewer": " \x00 "}, "reviewer"),
        ({"note": "x" * (MAX_NOTE_CHARS + 1)}, "limit"),
    ],
)
def test_a_bad_review_is_refused_and_nothing_is_written(
    database: Database, overrides: dict[str, object], message: str
) -> None:
    db = database
    with pytest.raises(ReviewError, match=message):
        _record(db, **overrides)
    assert read_reviews(db).empty


def test_later_nights_show_the_latest_review_and_earlier_nights_do_not_see_the_future(
    database: Database,
) -> None:
    db = database
    _record(db, as_of="2026-10-31", status="reviewed")
    _record(db, as_of="2026-11-25", status="action_taken", now=NOW + dt.timedelta(hours=1))
    _record(db, enterprise_id="0100000001", as_of="2026-11-25", status="false_alarm")
    latest = latest_reviews(db).set_index("enterprise_id")["status"].to_dict()
    assert latest == {"0100000001": "false_alarm", "0800123456": "action_taken"}
    october = latest_reviews(db, up_to="2026-10-31").set_index("enterprise_id")["status"].to_dict()
    assert october == {"0800123456": "reviewed"}
    assert list(read_reviews(db, enterprise_id="0800123456")["as_of"]) == ["2026-10-31", "2026-11-25"]


def test_reading_an_empty_workspace_database_creates_nothing(database: Database) -> None:
    """No SQLite file yet, or a new PostgreSQL database: no reviews, and the reader makes
    neither the file nor the table."""
    assert read_reviews(database).empty and latest_reviews(database).empty
    if database.backend == "postgresql":
        with connect(database) as conn:
            assert not has_table(conn, "reviews")
    else:
        assert not database.exists()


def test_reading_never_writes(tmp_path: Path) -> None:
    assert read_reviews(tmp_path / "missing.db").empty
    assert not (tmp_path / "missing.db").exists()
    db = tmp_path / "ews.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE scores (as_of TEXT)")
    assert read_reviews(db).empty and latest_reviews(db).empty
    with sqlite3.connect(db) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"scores"}
