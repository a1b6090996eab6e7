"""Schedules: nightly scoring and monthly retraining as Prefect deployments, and `ews serve`.

The as-of date of a scheduled run comes from the time it was scheduled for, never from the
wall clock: a run scheduled for 02:00 on 2 March (Asia/Ho_Chi_Minh) scores as of 1 March,
the day that just ended, whenever it actually starts. Schedules only fire with a real
Prefect server; when `PREFECT_API_URL` is unset, `ews serve` starts Prefect's own server on
127.0.0.1 with its database under `EWS_HOME`, waits for it, and stops it on exit. The
deployments are served with `pause_on_shutdown=False`, so stopping `ews serve` keeps the
future scheduled runs.

Missed nights (Prefect 3.9, read in its source): the server's scheduler keeps only a few
runs ahead (`min_runs` 3 for a daily cron) and never creates runs for times that passed
while it was down; the runs it had created stay Scheduled, are marked Late, and a restarted
runner executes every one of them, oldest first (it asks for all Scheduled-type runs before
now, with no lower bound). After a three-night outage that is three late scorings of old
nights, and after a longer one the latest night has no run at all. So each scheduled run
decides with `nightly_decision`: it scores its night only when that night is not already
published whole and no later night is due yet ("superseded" otherwise), and `ews serve`
first catches up the latest due night once (`catch_up`). A night is thus scored at most once
by the schedule; older missed nights are listed, recorded as an alert and left to
`ews backfill` / `ews score --as-of`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any, Literal

import pandas as pd

TIMEZONE = "Asia/Ho_Chi_Minh"
NIGHTLY_CRON = "0 2 * * *"
MONTHLY_CRON = "0 3 1 * *"


def as_of_for(scheduled: dt.datetime | pd.Timestamp) -> dt.date:
    """The as-of date of a run scheduled at `scheduled`: the local day before it."""
    stamp = pd.Timestamp(scheduled)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return (stamp.tz_convert(TIMEZONE) - pd.Timedelta(days=1)).date()


def scheduled_as_of() -> dt.date | None:
    """The as-of date from the current flow run's scheduled start (None outside a flow run)."""
    scheduled = scheduled_start()
    return as_of_for(scheduled) if scheduled is not None else None


def _aware(moment: dt.datetime | pd.Timestamp) -> pd.Timestamp:
    """A timestamp in Asia/Ho_Chi_Minh; a naive one is taken as UTC."""
    stamp = pd.Timestamp(moment)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp).tz_convert(TIMEZONE)


def nightly_fire_times(
    start: dt.datetime | pd.Timestamp, end: dt.datetime | pd.Timestamp
) -> list[pd.Timestamp]:
    """Nightly cron times (02:00 Asia/Ho_Chi_Minh) in (start, end], oldest first."""
    first, last = _aware(start), _aware(end)
    days = pd.date_range(first.normalize(), last.normalize(), freq="D")
    fires = [pd.Timestamp(day.year, day.month, day.day, 2, tz=TIMEZONE) for day in days]
    return [t for t in fires if first < t <= last]


def latest_due_night(now: dt.datetime | pd.Timestamp) -> dt.date:
    """The as-of date of the latest nightly run due by `now` (its 02:00 has passed)."""
    stamp = _aware(now)
    fire = nightly_fire_times(stamp - pd.Timedelta(days=2), stamp)[-1]
    return as_of_for(fire)


def missed_nights(
    published: Collection[str], now: dt.datetime | pd.Timestamp, *, max_nights: int = 31
) -> list[dt.date]:
    """Nights due by `now`, later than the latest published night, not published; oldest first.

    With nothing published yet only the latest due night counts as missed (a new workspace
    has no history to catch up). At most the `max_nights` most recent are listed.
    """
    latest = latest_due_night(now)
    done = {dt.date.fromisoformat(d) for d in published}
    if not done:
        return [latest]
    newest = max(done)
    span = (latest - newest).days
    nights = [newest + dt.timedelta(days=i) for i in range(1, span + 1)]
    return [d for d in nights if d not in done][-max_nights:]


Decision = Literal["score", "done", "superseded"]


def nightly_decision(as_of: dt.date, now: dt.datetime | pd.Timestamp, *, complete: bool) -> Decision:
    """What a scheduled run of night `as_of` does at `now`.

    "done" when the night is already published whole (a second late run, or the catch-up
    got there first); "superseded" when a later night is already due (a late run left over
    from an outage: only the latest night is scored); "score" otherwise.
    """
    if complete:
        return "done"
    if as_of < latest_due_night(now):
        return "superseded"
    return "score"


def retraining_superseded(scheduled: dt.datetime | pd.Timestamp, now: dt.datetime | pd.Timestamp) -> bool:
    """Whether a monthly retraining scheduled at `scheduled` was overtaken by a later one due by `now`.

    After an outage of more than a month the server holds one late retraining per missed
    month; only the latest is worth its ten minutes, so the older ones end at once.
    """
    first, last = _aware(scheduled), _aware(now)
    months = pd.date_range(first.normalize().replace(day=1), last.normalize(), freq="MS")
    fires = (pd.Timestamp(m.year, m.month, 1, 3, tz=TIMEZONE) for m in months)
    return any(first < fire <= last for fire in fires)


def scheduled_start() -> dt.datetime | None:
    """The current flow run's scheduled start (None outside a flow run)."""
    from prefect.runtime import flow_run

    if flow_run.get_id() is None:
        return None
    scheduled: dt.datetime | None = flow_run.scheduled_start_time
    return scheduled


def catch_up(now: dt.datetime | None = None) -> dict[str, Any]:
    """At `ews serve` start: score the latest due night once unless it is published whole.

    Older missed nights (since the latest published one) are not scored: they are returned,
    logged and recorded as one alert, for an operator to fill with `ews backfill` or
    `ews score --as-of`. Calling it again is a no-op: the night is then complete.
    """
    from data import alerts, rankings
    from flows.score import score_flow
    from flows.settings import Settings

    settings = Settings()
    moment = pd.Timestamp(now if now is not None else pd.Timestamp.now(tz="UTC")).to_pydatetime()
    latest = latest_due_night(moment)
    missed = missed_nights(rankings.scored_dates(settings.db_path), moment)
    older = [d for d in missed if d < latest]
    if older:
        listed = ", ".join(str(d) for d in older[-5:]) + (" ..." if len(older) > 5 else "")
        alerts.record_alert(
            settings.db_path,
            as_of=str(latest),
            kind="missed-nights",
            severity="warn",
            message=f"{len(older)} night(s) missed while the service was down and not scored: {listed}",
            details={"nights": ",".join(str(d) for d in older)},
        )
    summary = score_flow(as_of=latest, scheduled=True, decided_at=moment)
    return {"night": latest, "skipped": summary.get("skipped"), "older_missed": older, "summary": summary}


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as response:  # noqa: S310 - loopback only
            return bool(response.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def local_prefect_server(prefect_home: Path, *, wait_seconds: float = 180) -> Iterator[str]:
    """Start Prefect's server on 127.0.0.1 (database under `prefect_home`); yield its API URL."""
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(prefect_home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    log = open(prefect_home / "server.log", "ab")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + wait_seconds
        while not _healthy(api_url):
            if server.poll() is not None:
                raise RuntimeError(f"the Prefect server exited early; see {prefect_home / 'server.log'}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Prefect server did not answer within {wait_seconds:.0f} s")
            time.sleep(1)
        yield api_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def deployments() -> list[object]:
    """The nightly scoring and monthly retraining deployments, one run at a time each."""
    from prefect.schedules import Cron

    from flows.score import score_flow
    from flows.train import train_flow

    return [
        score_flow.to_deployment(
            name="nightly-scoring",
            schedules=[Cron(NIGHTLY_CRON, timezone=TIMEZONE)],
            concurrency_limit=1,
            parameters={"scheduled": True},
            description=(
                "Score every enterprise as of the day that just ended (from the scheduled time); "
                "a night already published, or superseded by a later due night, is skipped."
            ),
        ),
        train_flow.to_deployment(
            name="monthly-retraining",
            schedules=[Cron(MONTHLY_CRON, timezone=TIMEZONE)],
            concurrency_limit=1,
            parameters={"promote": "auto", "scheduled": True},
            description=(
                "Backtest and retrain on the 1st; promote only if it beats the champion. "
                "A late run overtaken by a later month's is skipped."
            ),
        ),
    ]


SCHEDULES = {"nightly-scoring": NIGHTLY_CRON, "monthly-retraining": MONTHLY_CRON}


def upcoming(n: int = 3, start: dt.datetime | None = None) -> dict[str, list[dt.datetime]]:
    """The next n run times of each deployment, from the same cron code the server uses."""
    import asyncio

    from prefect.server.schemas.schedules import CronSchedule

    async def dates(cron: str) -> list[dt.datetime]:
        return list(await CronSchedule(cron=cron, timezone=TIMEZONE).get_dates(n, start=start))

    return {name: asyncio.run(dates(cron)) for name, cron in SCHEDULES.items()}
