"""Schedules: the as-of date comes from the scheduled time, never from the wall clock."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.schedule import as_of_for, upcoming


@pytest.mark.parametrize(
    ("scheduled_utc", "expected"),
    [
        ("2026-03-01T19:00:00+00:00", dt.date(2026, 3, 1)),  # 02:00 on 2 March in Hà Nội time
        ("2026-12-31T19:00:00+00:00", dt.date(2026, 12, 31)),  # 02:00 on 1 January
        ("2028-02-28T19:00:00+00:00", dt.date(2028, 2, 28)),  # 02:00 on 29 February
    ],
)
def test_as_of_is_the_local_day_before_the_scheduled_start(scheduled_utc: str, expected: dt.date) -> None:
    assert as_of_for(pd.Timestamp(scheduled_utc)) == expected


def test_a_late_run_keeps_the_as_of_of_its_schedule(monkeypatch: pytest.MonkeyPatch, prefect_server: None) -> None:
    """A run scheduled for 2 March 02:00 that starts today still scores as of 1 March."""
    from prefect import flow
    from prefect.runtime import flow_run

    from flows.schedule import scheduled_as_of

    @flow
    def probe() -> dt.date | None:
        return scheduled_as_of()

    scheduled = dt.datetime(2026, 3, 1, 19, 0, tzinfo=dt.UTC)
    monkeypatch.setitem(flow_run.FIELDS, "scheduled_start_time", lambda: scheduled)
    assert pd.Timestamp.now(tz="UTC") > pd.Timestamp("2026-03-02", tz="UTC")  # the wall clock is elsewhere
    assert probe() == dt.date(2026, 3, 1)


def test_serve_lists_its_deployments_with_next_run_times(workspace) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["serve", "--list"])
    assert result.exit_code == 0, result.output
    assert "nightly-scoring: next runs" in result.stdout and "monthly-retraining: next runs" in result.stdout
    nightly = upcoming(2, start=dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC))["nightly-scoring"]
    assert [t.isoformat() for t in nightly] == ["2026-11-27T02:00:00+07:00", "2026-11-28T02:00:00+07:00"]
    monthly = upcoming(1, start=dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC))["monthly-retraining"]
    assert monthly[0].isoformat() == "2026-12-01T03:00:00+07:00"
