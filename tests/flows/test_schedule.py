"""Schedules: the as-of date comes from the scheduled time, never from the wall clock."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app
from flows.schedule import upcoming
from outputs.nights import (
    as_of_for,
    latest_due_night,
    missed_nights,
    nightly_decision,
    nightly_fire_times,
    retraining_superseded,
)


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


@pytest.mark.parametrize(
    ("scheduled_utc", "frozen_utc", "expected"),
    [
        # 02:00 on 2 March in Hà Nội time; the wall clock months earlier, just before 00:00 ICT.
        ("2027-03-01T19:00:00+00:00", "2026-11-26T16:30:00+00:00", dt.date(2027, 3, 1)),
        # The same schedule with the wall clock just after midnight ICT (UTC still on the 26th).
        ("2027-03-01T19:00:00+00:00", "2026-11-26T17:30:00+00:00", dt.date(2027, 3, 1)),
        # 00:30 ICT on 2 March is still 1 March in UTC: the local day decides.
        ("2027-03-01T17:30:00+00:00", "2026-11-26T16:30:00+00:00", dt.date(2027, 3, 1)),
        # 23:30 ICT on 1 March: the as-of is 28 February.
        ("2027-03-01T16:30:00+00:00", "2026-11-26T17:30:00+00:00", dt.date(2027, 2, 28)),
    ],
)
def test_a_scheduled_run_takes_its_as_of_from_the_schedule_under_a_frozen_clock(
    scheduled_utc: str, frozen_utc: str, expected: dt.date, prefect_server: None
) -> None:
    """A flow run created Scheduled on the server, run with the wall clock frozen far away."""
    import time_machine
    from prefect import flow, get_client
    from prefect.flow_engine import run_flow
    from prefect.states import Pending, Scheduled

    from flows.score import resolve_as_of

    @flow(name="as-of-probe")
    def probe() -> tuple[dt.date, dt.date]:
        return resolve_as_of(None), dt.date.today()

    scheduled = dt.datetime.fromisoformat(scheduled_utc)
    with get_client(sync_client=True) as client:
        run = client.create_flow_run(probe, state=Scheduled(scheduled_time=scheduled))
        # Pending by hand: the server would otherwise hold a run scheduled in the future until its time.
        client.set_flow_run_state(run.id, Pending(), force=True)
        run = client.read_flow_run(run.id)
    assert run.expected_start_time == scheduled
    with time_machine.travel(dt.datetime.fromisoformat(frozen_utc), tick=False):
        as_of, today = run_flow(probe, flow_run=run)  # type: ignore[misc]
    assert today == dt.datetime.fromisoformat(frozen_utc).date()  # the clock really was frozen
    assert as_of == expected


def test_an_interactive_run_defaults_to_today_in_vietnam() -> None:
    import time_machine

    from flows.score import resolve_as_of

    with time_machine.travel(dt.datetime(2026, 11, 26, 17, 30, tzinfo=dt.UTC), tick=False):
        assert resolve_as_of(None) == dt.date(2026, 11, 27)  # 00:30 in Hà Nội
        assert resolve_as_of(dt.date(2025, 1, 25)) == dt.date(2025, 1, 25)


UTC = dt.UTC


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (dt.datetime(2026, 11, 26, 18, 59, tzinfo=UTC), dt.date(2026, 11, 25)),  # 01:59 ICT on the 27th
        (dt.datetime(2026, 11, 26, 19, 0, tzinfo=UTC), dt.date(2026, 11, 26)),  # 02:00 ICT: that night is due
        (dt.datetime(2026, 11, 26, 12, 0, tzinfo=UTC), dt.date(2026, 11, 25)),
    ],
)
def test_latest_due_night(now: dt.datetime, expected: dt.date) -> None:
    assert latest_due_night(now) == expected


def test_fire_times_are_the_cron_times_the_server_uses() -> None:
    start = dt.datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    ours = nightly_fire_times(start, start + dt.timedelta(days=3))
    prefects = upcoming(3, start=start)["nightly-scoring"]
    assert [t.isoformat() for t in ours] == [t.isoformat() for t in prefects]


def test_missed_nights_after_an_outage() -> None:
    now = dt.datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 10:00 ICT on the 26th: night of the 25th due
    published = ["2026-11-20", "2026-11-21", "2026-11-23"]
    # The gap on the 22nd is older than the latest published night: not a missed night.
    assert missed_nights(published, now) == [dt.date(2026, 11, 24), dt.date(2026, 11, 25)]
    assert missed_nights([*published, "2026-11-24", "2026-11-25"], now) == []
    assert missed_nights([], now) == [dt.date(2026, 11, 25)]  # a new workspace: only the latest night
    assert len(missed_nights(["2026-01-01"], now, max_nights=7)) == 7


@pytest.mark.parametrize(
    ("as_of", "complete", "expected"),
    [
        (dt.date(2026, 11, 25), False, "score"),  # the latest due night, late: scored
        (dt.date(2026, 11, 25), True, "done"),  # already published whole: never twice
        (dt.date(2026, 11, 23), False, "superseded"),  # a late run left over from an outage
        (dt.date(2026, 11, 26), False, "score"),  # not due yet (early start): scored as scheduled
    ],
)
def test_nightly_decision(as_of: dt.date, complete: bool, expected: str) -> None:
    now = dt.datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    assert nightly_decision(as_of, now, complete=complete) == expected


def test_a_late_monthly_retraining_is_skipped_only_when_a_later_one_is_due() -> None:
    dec_1 = dt.datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # 03:00 ICT on 1 December
    # Late by a few days: still the latest retraining due, so it runs.
    assert not retraining_superseded(dec_1, dt.datetime(2026, 12, 5, 0, 0, tzinfo=UTC))
    # Just before 03:00 ICT on 1 January (19:59 UTC on 31 December) it still runs ...
    assert not retraining_superseded(dec_1, dt.datetime(2026, 12, 31, 19, 59, tzinfo=UTC))
    # ... and from 03:00 ICT on 1 January January's run is due: December's is skipped.
    assert retraining_superseded(dec_1, dt.datetime(2026, 12, 31, 20, 0, tzinfo=UTC))
    assert retraining_superseded(dec_1, dt.datetime(2027, 3, 10, tzinfo=UTC))


def test_serve_lists_its_deployments_with_next_run_times(workspace) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["serve", "--list"])
    assert result.exit_code == 0, result.output
    assert "nightly-scoring: next runs" in result.stdout and "monthly-retraining: next runs" in result.stdout
    nightly = upcoming(2, start=dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC))["nightly-scoring"]
    assert [t.isoformat() for t in nightly] == ["2026-11-27T02:00:00+07:00", "2026-11-28T02:00:00+07:00"]
    monthly = upcoming(1, start=dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC))["monthly-retraining"]
    assert monthly[0].isoformat() == "2026-12-01T03:00:00+07:00"


def test_a_late_monthly_retraining_overtaken_by_a_later_month_trains_nothing(workspace) -> None:  # type: ignore[no-untyped-def]
    """The monthly deployment's run, scheduled for 1 January, run on 10 March: it ends at once."""
    import time_machine
    from prefect import get_client
    from prefect.flow_engine import run_flow
    from prefect.states import Pending, Scheduled

    from flows.train import train_flow

    scheduled = dt.datetime(2025, 12, 31, 20, 0, tzinfo=UTC)  # 03:00 ICT on 1 January 2026
    with get_client(sync_client=True) as client:
        run = client.create_flow_run(
            train_flow, parameters={"scheduled": True}, state=Scheduled(scheduled_time=scheduled)
        )
        client.set_flow_run_state(run.id, Pending(), force=True)
        run = client.read_flow_run(run.id)
    with time_machine.travel(dt.datetime(2026, 3, 10, tzinfo=UTC), tick=False):
        result = run_flow(train_flow, flow_run=run, parameters={"scheduled": True})  # type: ignore[misc]
    assert result["status"] == "superseded"
    assert not (workspace / "store").exists()  # nothing was read, nothing was trained


def test_each_scheduled_source_is_pulled_on_its_own_cron(workspace) -> None:  # type: ignore[no-untyped-def]
    from importlib.resources import files

    from flows.schedule import deployments

    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "sources.toml").write_text(
        files("simulator").joinpath("agency_sources.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    start = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
    times = upcoming(1, start=start)
    assert times["pull-bhxh"][0].isoformat() == "2026-12-25T06:00:00+07:00"  # "0 6 25 * *"
    assert times["pull-labour"][0].isoformat() == "2026-11-27T06:00:00+07:00"  # "0 6 * * *"
    names = {d.name for d in deployments()}  # type: ignore[attr-defined]
    assert {"pull-registry", "pull-bhxh", "pull-labour", "pull-incidents", "nightly-scoring"} <= names
    result = CliRunner().invoke(app, ["serve", "--list"])
    assert result.exit_code == 0 and "pull-bhxh: next runs" in result.stdout, result.output
    # A broken sources file stops `ews serve` with one line, rather than pulling nothing.
    (workspace / "sources.toml").write_text("[sources.x]\ntable = 'nope'\n", encoding="utf-8")
    broken = CliRunner().invoke(app, ["serve", "--list"])
    assert broken.exit_code == 3 and "sources.toml: [sources.x]" in broken.stderr


def test_runs_a_killed_service_left_running_are_marked_crashed_with_an_alert(workspace) -> None:  # type: ignore[no-untyped-def]
    """At `ews serve` start, a nightly run still Running (its process killed) is marked
    Crashed, freeing the deployment's slot, and an alert names its night; a second start
    finds nothing more. A finished run is left alone."""
    from prefect.client.orchestration import get_client
    from prefect.states import Completed, Pending, Running, Scheduled

    from flows.schedule import reap_interrupted_runs
    from flows.score import score_flow
    from outputs.alerts import read_alerts

    deployment_id = score_flow.to_deployment(name="nightly-scoring", concurrency_limit=1).apply()
    fired = dt.datetime(2024, 3, 2, 19, 0, tzinfo=dt.UTC)  # 02:00 on 3 March in Vietnam: night 2 March
    with get_client(sync_client=True) as client:
        orphan, finished = (
            client.create_flow_run_from_deployment(
                deployment_id, parameters={"scheduled": True}, state=Scheduled(scheduled_time=fired)
            )
            for _ in range(2)
        )
        for run in (orphan, finished):
            client.set_flow_run_state(run.id, Pending())
            client.set_flow_run_state(run.id, Running())
        client.set_flow_run_state(finished.id, Completed())

        assert reap_interrupted_runs() == [orphan.name]
        assert client.read_flow_run(orphan.id).state.is_crashed()
        assert client.read_flow_run(finished.id).state.is_completed()
    recorded = read_alerts(workspace / "ews.db", "2024-03-02")
    assert list(recorded["kind"]) == ["run-interrupted"] and orphan.name in recorded["message"][0]
    assert reap_interrupted_runs() == []
