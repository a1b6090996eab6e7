"""Schedules: nightly scoring and monthly retraining as Prefect deployments, and `ews serve`.

The night a scheduled run scores comes from the time it was scheduled for
(`outputs.nights`). Schedules only fire with a real Prefect server; when `PREFECT_API_URL`
is unset, `ews serve` starts Prefect's own server (`flows.server`). The
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

import datetime as dt
from typing import Any

import pandas as pd

from outputs.nights import MONTHLY_CRON, NIGHTLY_CRON, TIMEZONE, as_of_for, latest_due_night, missed_nights


def catch_up(now: dt.datetime | None = None) -> dict[str, Any]:
    """At `ews serve` start: score the latest due night once unless it is published whole.

    Older missed nights (since the latest published one) are not scored: they are returned,
    logged and recorded as one alert, for an operator to fill with `ews backfill` or
    `ews score --as-of`. Calling it again is a no-op: the night is then complete.
    """
    from data.settings import Settings
    from flows.score import score_flow
    from outputs import alerts, rankings

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


def source_schedules() -> dict[str, str]:
    """Each scheduled source of the workspace's sources file: ``pull-NAME`` → its cron.

    No sources file, no pulls; an invalid one raises :class:`~data.sources.SourcesError`
    so that `ews serve` refuses to start on it rather than silently pulling nothing.
    """
    from data.settings import Settings
    from data.sources import load_sources

    path = Settings().sources_file
    if not path.is_file():
        return {}
    sources = load_sources(path)
    return {
        f"pull-{name}": sources.source(name).schedule or ""
        for name in sources.names
        if sources.source(name).schedule
    }


def deployments(*, by_module: bool = False) -> list[object]:
    """Nightly scoring, monthly retraining and each source's pull, one run at a time each.

    `by_module` names each flow by its module path (``flows.score.score_flow``) instead of
    its file: what a worker on another machine, with the project installed, can import.
    """
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    from data.settings import Settings
    from flows.pull import pull_flow
    from flows.score import score_flow
    from flows.train import train_flow

    sources_file = str(Settings().sources_file)
    kind = EntrypointType.MODULE_PATH if by_module else EntrypointType.FILE_PATH
    pulls = [
        pull_flow.to_deployment(
            name=name,
            schedules=[Cron(cron, timezone=TIMEZONE)],
            concurrency_limit=1,
            parameters={"sources_file": sources_file, "names": [name.removeprefix("pull-")]},
            description=f"Pull the source {name.removeprefix('pull-')} of the sources file on its own schedule.",
            entrypoint_type=kind,
        )
        for name, cron in source_schedules().items()
    ]
    return [
        *pulls,
        score_flow.to_deployment(
            name="nightly-scoring",
            schedules=[Cron(NIGHTLY_CRON, timezone=TIMEZONE)],
            concurrency_limit=1,
            parameters={"scheduled": True},
            description=(
                "Score every enterprise as of the day that just ended (from the scheduled time); "
                "a night already published, or superseded by a later due night, is skipped."
            ),
            entrypoint_type=kind,
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
            entrypoint_type=kind,
        ),
    ]


SCHEDULES = {"nightly-scoring": NIGHTLY_CRON, "monthly-retraining": MONTHLY_CRON}


def all_schedules() -> dict[str, str]:
    """Every deployment's cron: scoring, retraining and the sources' pulls."""
    return {**SCHEDULES, **source_schedules()}


def upcoming(n: int = 3, start: dt.datetime | None = None) -> dict[str, list[dt.datetime]]:
    """The next n run times of each deployment, from the same cron code the server uses."""
    import asyncio

    from prefect.server.schemas.schedules import CronSchedule

    async def dates(cron: str) -> list[dt.datetime]:
        return list(await CronSchedule(cron=cron, timezone=TIMEZONE).get_dates(n, start=start))

    return {name: asyncio.run(dates(cron)) for name, cron in all_schedules().items()}


def deployment_names() -> list[str]:
    """The names of the workspace's deployments: scoring, retraining and each source's pull."""
    return list(all_schedules())


def reap_interrupted_runs() -> list[str]:
    """Mark Crashed the runs of this workspace's deployments left Running or Pending by a
    service that was killed (power cut, OOM, SIGKILL), and record an alert for each.

    Called when `ews serve` starts, the only runner of the workspace's deployments: any run
    still Running then has no process behind it. Left alone, such a run keeps its
    deployment's one concurrency slot until Prefect's lease expires (minutes), so the first
    nights after a restart would wait; and nobody would hear of it, since a killed process
    runs no failure hook. Returns the names of the runs marked.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.states import Crashed

    from data.settings import Settings
    from outputs import alerts
    from vocab.months import today_in_vietnam

    settings = Settings()
    marked = []
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(
                    type=FlowRunFilterStateType(
                        any_=[StateType.RUNNING, StateType.PENDING, StateType.CANCELLING]
                    )
                )
            ),
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=deployment_names())),
        )
        for run in runs:
            message = "interrupted: the service stopped while it ran (found when it started again)"
            client.set_flow_run_state(run.id, Crashed(message=message))
            night = as_of_for(run.expected_start_time) if run.expected_start_time else today_in_vietnam()
            alerts.record_and_push(
                settings.db_path,
                settings.alert_webhook_url,
                as_of=str(night),
                kind="run-interrupted",
                severity="alert",
                message=f"the run {run.name} (scheduled for {run.expected_start_time}) was {message}",
                details={"flow_run_id": str(run.id)},
            )
            marked.append(run.name)
    return marked


def deploy_to_pool(pool: str) -> list[str]:
    """Register the deployments with the process work pool `pool` (created if missing), for
    `prefect worker start --pool POOL` on each machine: the multi-machine recipe.

    The flows are named by module path, so a worker runs them from the project installed
    on its own machine (no image, no remote storage). Returns the deployments' names.
    """
    from prefect import deploy
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
    chosen = deployments(by_module=True)
    deploy(
        *chosen,  # type: ignore[arg-type]
        work_pool_name=pool,
        build=False,
        push=False,
        print_next_steps_message=False,
        ignore_warnings=True,
    )
    return [str(getattr(d, "name", "")) for d in chosen]


def serve_deployments() -> None:
    """Serve the deployments until interrupted, one run at a time; stopping keeps future runs.

    Runs a killed service left Running are marked Crashed first (`reap_interrupted_runs`).
    """
    from prefect import serve

    reap_interrupted_runs()
    serve(*deployments(), pause_on_shutdown=False, limit=1)  # type: ignore[arg-type]
