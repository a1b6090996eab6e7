"""Schedules: nightly scoring and monthly retraining as Prefect deployments, and `ews serve`.

The as-of date of a scheduled run comes from the time it was scheduled for, never from the
wall clock: a run scheduled for 02:00 on 2 March (Asia/Ho_Chi_Minh) scores as of 1 March,
the day that just ended, whenever it actually starts. Schedules only fire with a real
Prefect server; when `PREFECT_API_URL` is unset, `ews serve` starts Prefect's own server on
127.0.0.1 with its database under `EWS_HOME`, waits for it, and stops it on exit. The
deployments are served with `pause_on_shutdown=False`, so stopping `ews serve` keeps the
future scheduled runs.
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
from collections.abc import Iterator
from pathlib import Path

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
    from prefect.runtime import flow_run

    if flow_run.get_id() is None:
        return None
    scheduled = flow_run.scheduled_start_time
    return as_of_for(scheduled) if scheduled is not None else None


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
            description="Score every enterprise as of the day that just ended (from the scheduled time).",
        ),
        train_flow.to_deployment(
            name="monthly-retraining",
            schedules=[Cron(MONTHLY_CRON, timezone=TIMEZONE)],
            concurrency_limit=1,
            parameters={"promote": "auto"},
            description="Backtest and retrain on the 1st; promote only if it beats the champion.",
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
