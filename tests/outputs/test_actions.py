"""Action records: append-only, validated, readable per enterprise and per night (point in
time), on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from data.database import Database, connect, has_table
from outputs.actions import (
    ACTION_KINDS,
    ACTION_OUTCOMES,
    MAX_NOTE_CHARS,
    Action,
    ActionRefused,
    latest_actions,
    night_cutoff,
    read_actions,
    record_action,
)
from vocab.i18n import FAMILIES, has_label, label

#: 09:30 in Hanoi on 2026-11-26 is 02:30 UTC.
NOW = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def _record(db: Database, **overrides: object) -> Action:
    values: dict[str, object] = {
        "enterprise_id": "0800123456",
        "kind": "inspection",
        "started": "2026-11-20",
        "recorded_by": "Nguyễn Thị Lan",
        "now": NOW,
    }
    values.update(overrides)
    return record_action(db, **values)  # type: ignore[arg-type]


def test_an_action_is_stored_with_who_and_when_and_read_back(database: Database) -> None:
    saved = _record(
        database, kind="wage_payment", ended="2026-11-25", outcome="paid", note="Đã trả 3 tháng lương"
    )
    bare = _record(database, enterprise_id="0100000001", kind="mediation")
    rows = read_actions(database)
    assert list(rows["id"]) == [saved.id, bare.id] and bare.id > saved.id
    first, second = rows.to_dict("records")
    assert first == {
        "id": saved.id,
        "enterprise_id": "0800123456",  # the leading zero is kept
        "kind": "wage_payment",
        "started": "2026-11-20",
        "ended": "2026-11-25",
        "outcome": "paid",
        "note": "Đã trả 3 tháng lương",
        "recorded_by": "Nguyễn Thị Lan",
        "recorded_at": "2026-11-26T02:30:00+00:00",
    }
    assert (second["ended"], second["outcome"], second["note"]) == (None, None, None)


def test_actions_are_append_only(database: Database) -> None:
    _record(database, outcome="pending")
    _record(database, outcome="no_change", now=NOW + dt.timedelta(days=1))
    refused = ["UPDATE actions SET outcome = 'paid'", "DELETE FROM actions"]
    if database.backend == "postgresql":
        refused.append("TRUNCATE actions")
    for statement in refused:
        with connect(database) as conn, pytest.raises(sa.exc.DatabaseError, match="append-only"):
            conn.execute(sa.text(statement))
            conn.commit()
    history = read_actions(database)
    assert list(history["outcome"]) == ["pending", "no_change"]
    assert list(history["recorded_at"]) == ["2026-11-26T02:30:00+00:00", "2026-11-27T02:30:00+00:00"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "arrest"}, "kind 'arrest' is not one of"),
        ({"outcome": "closed"}, "outcome 'closed' is not one of"),
        ({"enterprise_id": "08001 OR 1=1"}, "enterprise id"),
        ({"started": "20/11/2026"}, "YYYY-MM-DD"),
        ({"started": "2026-02-30"}, "calendar date"),
        ({"started": "2026-11-27"}, "in the future"),  # tomorrow in Hanoi
        ({"ended": "2026-11-19"}, "before the start"),
        ({"ended": "2026-12-01"}, "in the future"),
        ({"note": "x" * (MAX_NOTE_CHARS + 1)}, "limit"),
        ({"note": "paid\x1b[31m"}, "control character"),
        ({"note": "paid\u202e"}, "control character"),
        ({"recorded_by": "Lan\nAdmin"}, "control character"),
        ({"recorded_by": "   "}, "name is required"),
    ],
)
def test_a_bad_action_is_refused_in_one_line_and_nothing_is_written(
    database: Database, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ActionRefused, match=message) as refused:
        _record(database, **overrides)
    assert "\n" not in str(refused.value)
    assert read_actions(database).empty


def test_a_start_today_in_hanoi_is_not_in_the_future_although_utc_is_still_yesterday(
    database: Database,
) -> None:
    early = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))  # 25th in UTC
    assert _record(database, started="2026-11-26", now=early).recorded_at == "2026-11-25T18:00:00+00:00"


def test_a_night_sees_only_the_actions_recorded_by_its_end(database: Database) -> None:
    hanoi = dt.timezone(dt.timedelta(hours=7))
    _record(
        database, kind="inspection", started="2026-10-01", now=dt.datetime(2026, 10, 31, 23, 59, tzinfo=hanoi)
    )
    _record(
        database, kind="mediation", started="2026-10-01", now=dt.datetime(2026, 11, 1, 0, 0, tzinfo=hanoi)
    )
    _record(database, enterprise_id="0100000001", kind="support", started="2026-11-02", now=NOW)
    assert night_cutoff("2026-10-31") == "2026-10-31T17:00:00+00:00"
    october = read_actions(database, up_to="2026-10-31")
    assert list(october["kind"]) == ["inspection"]  # the mediation was recorded the next day
    assert read_actions(database, up_to="2026-09-30").empty
    assert list(read_actions(database, enterprise_id="0800123456")["kind"]) == ["inspection", "mediation"]
    latest = latest_actions(database, up_to="2026-11-26")
    assert list(latest["enterprise_id"]) == ["0100000001", "0800123456"]
    assert list(latest["kind"]) == ["support", "mediation"]
    then = latest_actions(database, up_to="2026-10-31")
    assert then[["enterprise_id", "kind"]].to_dict("records") == [
        {"enterprise_id": "0800123456", "kind": "inspection"}
    ]
    with pytest.raises(ActionRefused, match="night"):
        read_actions(database, up_to="yesterday")


def test_reading_an_empty_workspace_database_creates_nothing(database: Database) -> None:
    assert read_actions(database).empty and latest_actions(database, up_to="2026-11-26").empty
    if database.backend == "postgresql":
        with connect(database) as conn:
            assert not has_table(conn, "actions")
    else:
        assert not database.exists()


def test_reading_a_missing_file_does_not_make_it(tmp_path: Path) -> None:
    assert read_actions(tmp_path / "missing.db").empty
    assert not (tmp_path / "missing.db").exists()


def test_the_kinds_are_the_simulators() -> None:
    from simulator.actions import ACTION_KINDS as SIMULATED

    assert set(ACTION_KINDS) == set(SIMULATED)


@pytest.mark.parametrize(("family", "codes"), [("action", ACTION_KINDS), ("outcome", ACTION_OUTCOMES)])
def test_every_kind_and_outcome_has_words_in_both_languages(family: str, codes: tuple[str, ...]) -> None:
    assert family in FAMILIES
    for code in codes:
        assert has_label(family, code)
        assert label(family, code, "vi").strip() and label(family, code, "en").strip()
